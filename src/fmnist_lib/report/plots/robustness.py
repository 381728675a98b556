"""The robustness page's figures: corruptions, error against severity, corruption errors, calibration."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .look import FIGURE_WIDTH, SMALL_PT
from .common import (check_tables, image_stack, label_panels, line_style, model_panels, new_figure, nonempty,
                     panel_grid, show_image, styled)

ERROR_COLUMNS = ("model", "corruption", "severity", "error")
RELIABILITY_COLUMNS = ("lower", "upper", "confidence", "accuracy", "count")


def _label(name: str) -> str:
    from ...data.corruptions import CORRUPTIONS, label

    text = label(name) if name in CORRUPTIONS else name.replace("_", " ")
    return text[:1].upper() + text[1:]  # as the page's tables name them


@styled
def severity_curves(errors: pd.DataFrame, columns: int = 4) -> Figure:
    """Error (%) against severity, one panel per corruption, one line per model; severity 0 is the clean error.

    The legend takes the first free panel (or sits below the grid when none is free)."""
    nonempty(errors, ERROR_COLUMNS, "errors")
    clean = errors[errors.corruption == "clean"]
    corruptions = [c for c in dict.fromkeys(errors.corruption) if c != "clean"]
    if not corruptions:
        raise ValueError("errors holds no corrupted condition (only 'clean').")
    rows = -(-len(corruptions) // columns)
    fig = new_figure(height=1.75 * rows + 0.5)
    axes = panel_grid(fig, len(corruptions), columns, sharex=True, sharey=True)
    for ax, corruption in zip(axes, corruptions):
        for index, (model, rows_) in enumerate(pd.concat([clean, errors[errors.corruption == corruption]])
                                               .sort_values("severity").groupby("model", sort=False)):
            ax.plot(rows_.severity, 100 * rows_.error, label=model, **line_style(index))
        ax.set_title(_label(corruption))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.tick_params(labelbottom=True)
    for ax in axes[::columns]:
        ax.set_ylabel("error (%)")
    fig.supxlabel("severity (0 = clean)", fontsize=SMALL_PT + 1)
    handles, labels = axes[0].get_legend_handles_labels()
    free = fig.axes[len(corruptions):]
    if free:
        free[0].legend(handles, labels, loc="center", frameon=False, title="model")
    else:
        fig.legend(handles, labels, loc="outside lower center", ncols=min(5, len(labels)), frameon=False)
    return fig


@styled
def ce_heatmap(ce: pd.DataFrame, column: str = "CE", reference: str = "the reference") -> Figure:
    """Corruption errors (rows corruption, columns model) in %, centred on 100 = as good as the reference."""
    nonempty(ce, ("model", "corruption", column), "ce")
    table = ce.pivot(index="corruption", columns="model", values=column)
    table = table.loc[list(dict.fromkeys(ce.corruption)), list(dict.fromkeys(ce.model))]
    table.index = [_label(name) for name in table.index]
    fig = new_figure(height=0.3 * table.shape[0] + 1.5)
    ax = fig.subplots()
    sns.heatmap(table, annot=True, fmt=".0f", cmap="RdBu_r", center=100, vmin=0, vmax=200, ax=ax,
                annot_kws={"fontsize": SMALL_PT}, cbar_kws={"label": f"{column} (% of {reference})"})
    ax.set(xlabel="model", ylabel="corruption")
    ax.tick_params(axis="y", labelrotation=0)
    ax.set_xticks(ax.get_xticks(), [textwrap.fill(label.get_text(), 12) for label in ax.get_xticklabels()],
                  rotation=0)
    return fig


@styled
def corruption_grid(grid, names, severities) -> Figure:
    """One image under every corruption (row) and severity (column 0 clean): `grid` (C, 1 + S, 28, 28) in [0, 1]."""
    grid = image_stack(grid, "grid", ndim=4)
    if grid.shape[:2] != (len(names), len(severities) + 1):
        raise ValueError(f"grid must be ({len(names)} corruptions, {len(severities) + 1} columns, H, W) for the "
                         f"names and severities given, got {grid.shape}.")
    side = 0.52
    fig = new_figure(height=side * grid.shape[0] + 0.45, width=min(FIGURE_WIDTH, side * grid.shape[1] + 1.5))
    axes = fig.subplots(*grid.shape[:2], squeeze=False)
    for row, name in enumerate(names):
        for column, ax in enumerate(axes[row]):
            show_image(ax, grid[row, column].astype(np.float32).clip(0, 1),
                       (["clean"] + [f"sev. {s}" for s in severities])[column] if row == 0 else None)
        axes[row, 0].set_ylabel(_label(name), rotation=0, ha="right", va="center", fontsize=SMALL_PT)
    return fig


@styled
def reliability_diagrams(tables: dict[str, pd.DataFrame], ece: dict[str, float] | None = None) -> Figure:
    """Per model: accuracy per confidence bin as bars against the diagonal of perfect calibration.

    Bars below the diagonal mean over-confidence; the number in each bar is the images in that bin, since a
    bin of a dozen images says little. `tables` are `calibration.reliability_table`s.
    """
    check_tables(tables, RELIABILITY_COLUMNS, "reliability table")
    fig, axes, columns = model_panels(len(tables), 2.35, 0.45, sharey=True)
    for ax, (name, table) in zip(axes, tables.items()):
        filled = table[table["count"] > 0]
        width = (table.upper - table.lower).to_numpy()[0]
        ax.bar(filled.lower, 100 * filled.accuracy, width=width, align="edge", color="#0072B2", edgecolor="white",
               label="accuracy")
        ax.bar(filled.lower, 100 * (filled.confidence - filled.accuracy), bottom=100 * filled.accuracy, width=width,
               align="edge", fill=False, hatch="////", edgecolor="#D55E00", linewidth=0, label="gap to confidence")
        ax.plot([0, 1], [0, 100], "k--", linewidth=1, label="perfect calibration")
        for lower, count in zip(filled.lower, filled["count"]):  # how many images each bar stands for
            ax.text(lower + width / 2, 3, f"{int(count):,}", rotation=90, ha="center", va="bottom",
                    fontsize=SMALL_PT, bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none",
                                             "alpha": 0.75})
        title = name if ece is None or name not in ece else f"{name}\nECE {100 * ece[name]:.2f} %"
        ax.set(title=title, xlim=(0, 1), ylim=(0, 100))
    return label_panels(fig, axes, columns, "accuracy (%)", "confidence", ncols=3)


@styled
def calibration_shift(frame: pd.DataFrame) -> Figure:
    """ECE (%) against corruption severity per model, before (left) and after (right) temperature scaling."""
    nonempty(frame, ("model", "severity", "ECE", "ECE scaled"), "frame")
    fig = new_figure(height=3.5)
    axes = fig.subplots(1, 2, sharey=True)
    for ax, column, title in zip(axes, ("ECE", "ECE scaled"), ("as trained", "after temperature scaling")):
        for index, (model, rows) in enumerate(frame.sort_values("severity").groupby("model", sort=False)):
            ax.plot(rows.severity, 100 * rows[column], label=model, **line_style(index))
        ax.set(title=title, xlabel="severity (0 = clean)")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[0].set_ylabel("ECE (%)")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=3, frameon=False)
    return fig
