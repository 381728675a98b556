"""The robustness page's figures: corruptions, error against severity, corruption errors, calibration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .common import check_tables, image_stack, new_figure, nonempty, panel_grid, show_image, styled

ERROR_COLUMNS = ("model", "corruption", "severity", "error")
RELIABILITY_COLUMNS = ("lower", "upper", "confidence", "accuracy", "count")


@styled
def severity_curves(errors: pd.DataFrame, columns: int = 5) -> Figure:
    """Error (%) against severity, one panel per corruption, one line per model; severity 0 is the clean error."""
    nonempty(errors, ERROR_COLUMNS, "errors")
    clean = errors[errors.corruption == "clean"]
    corruptions = [c for c in dict.fromkeys(errors.corruption) if c != "clean"]
    if not corruptions:
        raise ValueError("errors holds no corrupted condition (only 'clean').")
    fig = new_figure(2.6 * columns, 2.3 * -(-len(corruptions) // columns) + 0.6)
    axes = panel_grid(fig, len(corruptions), columns, sharex=True, sharey=True)
    for ax, corruption in zip(axes, corruptions):
        for index, (model, rows) in enumerate(pd.concat([clean, errors[errors.corruption == corruption]])
                                               .sort_values("severity").groupby("model", sort=False)):
            ax.plot(rows.severity, 100 * rows.error, marker="o", markersize=3, color=f"C{index}", label=model)
        ax.set_title(corruption.replace("_", " "))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    for ax in axes[::columns]:
        ax.set_ylabel("error (%)")
    for ax in axes[-columns:]:
        ax.set_xlabel("severity (0 = clean)")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=min(6, errors.model.nunique()))
    fig.suptitle("Test error as corruption severity grows")
    return fig


@styled
def ce_heatmap(ce: pd.DataFrame, column: str = "CE", reference: str = "the reference") -> Figure:
    """Corruption errors (rows corruption, columns model) in %, centred on 100 = as good as the reference."""
    nonempty(ce, ("model", "corruption", column), "ce")
    table = ce.pivot(index="corruption", columns="model", values=column)
    table = table.loc[list(dict.fromkeys(ce.corruption)), list(dict.fromkeys(ce.model))]
    table.index = [name.replace("_", " ") for name in table.index]
    fig = new_figure(1.6 * table.shape[1] + 3.2, 0.42 * table.shape[0] + 1.6)
    ax = fig.subplots()
    sns.heatmap(table, annot=True, fmt=".0f", cmap="RdBu_r", center=100, vmin=0, vmax=200, ax=ax,
                annot_kws={"fontsize": 8}, cbar_kws={"label": f"{column} (% of {reference}; 200 and above alike)"})
    ax.set(title=f"{column} per corruption: below 100 beats {reference}", xlabel="model", ylabel="corruption")
    ax.tick_params(axis="y", labelrotation=0)
    return fig


@styled
def corruption_grid(grid, names, severities) -> Figure:
    """One image under every corruption (row) and severity (column 0 clean): `grid` (C, 1 + S, 28, 28) in [0, 1]."""
    grid = image_stack(grid, "grid", ndim=4)
    if grid.shape[:2] != (len(names), len(severities) + 1):
        raise ValueError(f"grid must be ({len(names)} corruptions, {len(severities) + 1} columns, H, W) for the "
                         f"names and severities given, got {grid.shape}.")
    fig = new_figure(1.1 * grid.shape[1] + 1.4, 1.1 * grid.shape[0] + 0.4)
    axes = fig.subplots(*grid.shape[:2], squeeze=False)
    for row, name in enumerate(names):
        for column, ax in enumerate(axes[row]):
            show_image(ax, grid[row, column].astype(np.float32).clip(0, 1),
                        (["clean"] + [f"severity {s}" for s in severities])[column] if row == 0 else None)
        axes[row, 0].set_ylabel(name.replace("_", " "), rotation=0, ha="right", va="center")
    return fig


@styled
def reliability_diagrams(tables: dict[str, pd.DataFrame], ece: dict[str, float] | None = None) -> Figure:
    """Per model: accuracy per confidence bin as bars against the diagonal of perfect calibration.

    Bars below the diagonal mean over-confidence. `tables` are `calibration.reliability_table`s.
    """
    check_tables(tables, RELIABILITY_COLUMNS, "reliability table")
    fig = new_figure(3.0 * len(tables) + 0.4, 3.4)
    axes = fig.subplots(1, len(tables), squeeze=False, sharey=True)[0]
    for ax, (name, table) in zip(axes, tables.items()):
        filled = table[table["count"] > 0]
        width = (table.upper - table.lower).to_numpy()[0]
        ax.bar(filled.lower, 100 * filled.accuracy, width=width, align="edge", color="C0", edgecolor="white",
               label="accuracy")
        ax.bar(filled.lower, 100 * (filled.confidence - filled.accuracy), bottom=100 * filled.accuracy, width=width,
               align="edge", fill=False, hatch="///", edgecolor="C3", linewidth=0, label="gap to confidence")
        ax.plot([0, 1], [0, 100], "k--", linewidth=1, label="perfect calibration")
        title = name if ece is None or name not in ece else f"{name}\nECE {100 * ece[name]:.2f} %"
        ax.set(title=title, xlabel="confidence", xlim=(0, 1), ylim=(0, 100))
    axes[0].set_ylabel("accuracy (%)")
    axes[0].legend(fontsize="small", loc="upper left")
    return fig


@styled
def calibration_shift(frame: pd.DataFrame) -> Figure:
    """ECE (%) against corruption severity per model, before (left) and after (right) temperature scaling."""
    nonempty(frame, ("model", "severity", "ECE", "ECE scaled"), "frame")
    fig = new_figure(10, 3.8)
    axes = fig.subplots(1, 2, sharey=True)
    for ax, column, title in zip(axes, ("ECE", "ECE scaled"), ("as trained", "after temperature scaling")):
        for index, (model, rows) in enumerate(frame.sort_values("severity").groupby("model", sort=False)):
            ax.plot(rows.severity, 100 * rows[column], marker="o", markersize=3, color=f"C{index}", label=model)
        ax.set(title=title, xlabel="severity (0 = clean)")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[0].set_ylabel("ECE (%)")
    axes[1].legend(fontsize="small")
    fig.suptitle("Calibration error as corruption severity grows (all corruptions pooled)")
    return fig
