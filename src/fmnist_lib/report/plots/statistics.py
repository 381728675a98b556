"""The statistics page's figures: runs per seed, paired tests, risk-coverage curves, image galleries."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from .look import FIGURE_WIDTH, SMALL_PT
from .common import (check_columns, check_length, image_stack, label_panels, line_style, model_panels, new_figure,
                     show_image, styled)

RISK_COLUMNS = ("model", "signal", "coverage", "risk")


@styled
def seed_points(runs: pd.DataFrame, x: str, y: str, order=None, title: str | None = None) -> Figure:
    """One point per run (seed) in each group of column `x`, and the group's mean ± sd (sample) beside them."""
    check_columns(runs, (x, y), "runs")
    if runs.empty:
        raise ValueError("runs is empty: expected one row per run.")
    order = list(dict.fromkeys(runs[x])) if order is None else list(order)
    unknown = sorted(set(runs[x]) - set(order), key=str)
    if unknown:
        raise ValueError(f"order lacks group(s) {unknown} of column {x!r}.")
    fig = new_figure(height=3.3)
    ax = fig.subplots()
    sns.stripplot(data=runs, x=x, y=y, order=order, ax=ax, jitter=0.06, size=6, color="#0072B2", alpha=0.8,
                  label="one run (seed)")
    summary = runs.groupby(x)[y].agg(["mean", "std"]).reindex(order)
    ax.errorbar(np.arange(len(order)) + 0.25, summary["mean"], yerr=summary["std"].fillna(0), fmt="D",
                color="black", markersize=5, capsize=4, label="mean ± sd")
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles))  # stripplot labels every group's points
    ax.legend(unique.values(), unique.keys())
    ax.set(title=title or f"{y} per run", xlabel=x, ylabel=y)
    ax.grid(False, axis="x")
    return fig


def _thinned(rows: pd.DataFrame, max_points: int) -> pd.DataFrame:
    """At most `max_points` rows, evenly spaced, always keeping the first and the last."""
    keep = np.unique(np.linspace(0, len(rows) - 1, min(len(rows), max_points)).round().astype(int))
    return rows.iloc[keep]


@styled
def risk_coverage_plot(curves: pd.DataFrame, max_points: int = 300) -> Figure:
    """Per model: error rate among the images kept against the share kept, one line per signal.

    `curves` is `error_detection.risk_coverage_curves`; each line is thinned to `max_points`.
    """
    check_columns(curves, RISK_COLUMNS, "curves")
    if curves.empty:
        raise ValueError("curves is empty.")
    if max_points < 2:
        raise ValueError(f"max_points must be at least 2, got {max_points}.")
    models = list(dict.fromkeys(curves["model"]))
    fig, axes, columns = model_panels(len(models), 2.4, 0.5)  # each model its own risk scale
    for ax, model in zip(axes, models):
        for index, (signal, rows) in enumerate(curves[curves["model"] == model].groupby("signal", sort=False)):
            rows = _thinned(rows.sort_values("coverage"), max_points)
            ax.plot(100 * rows["coverage"], 100 * rows["risk"], label=signal,
                    **line_style(index, marker=None))
        ax.set(title=model, xlim=(0, 100))
        ax.set_ylim(bottom=0)
    return label_panels(fig, axes, columns, "error among kept (%)", "coverage: test images kept (%)", ncols=4,
                        title="kept first by")


@styled
def _characters(width_inches: float) -> int:
    """How many characters of a digit's width (0.62 em at SMALL_PT) a line of `width_inches` holds, at least 8."""
    return max(8, int(width_inches * 72 / (0.62 * SMALL_PT)))


def fit_title(title: str, width_inches: float) -> str:
    """A panel title broken into lines that fit its panel (at the arrow of 'true → predicted' first), so the
    titles of neighbouring images never run into each other."""
    per_line = _characters(width_inches)
    if len(title) <= per_line:
        return title
    if " → " in title:
        true, predicted = title.split(" → ", 1)
        return "\n".join(textwrap.wrap(true, per_line) + textwrap.wrap("→ " + predicted, per_line))
    return textwrap.fill(title, per_line)


def fit_lines(text: str, width_inches: float) -> str:
    """A caption whose lines each fit their panel: a long line is broken at its commas first, then at spaces."""
    per_line = _characters(width_inches)
    lines = []
    for line in text.split("\n"):
        parts = line.split(", ") if len(line) > per_line else [line]
        parts = [part + ("," if i < len(parts) - 1 else "") for i, part in enumerate(parts)]
        lines += [wrapped for part in parts for wrapped in textwrap.wrap(part, per_line) or [""]]
    return "\n".join(lines)


def image_gallery(images, titles, captions=None, columns: int = 6, flagged=None, flag_label: str | None = None,
                  title: str | None = None) -> Figure:
    """Images (N, 28, 28) in rows of `columns`, each titled, captioned below, flagged ones framed in red."""
    images = image_stack(images, "images")
    for name, values in (("titles", titles), ("captions", captions), ("flagged", flagged)):
        check_length(values, len(images), name, "images")
    if columns < 1:
        raise ValueError(f"columns must be at least 1, got {columns}.")
    columns = min(columns, len(images))
    rows = -(-len(images) // columns)
    side = min(1.05, (FIGURE_WIDTH - 0.1) / columns - 0.1)
    width = min(FIGURE_WIDTH, (side + 0.6) * columns + 0.1)  # a few images get room for their words between them
    room = (width - 0.1) / columns - 0.05  # what a title or caption may span: its image and the gap beside it
    fig = new_figure(height=(side + 0.85) * rows + (0.3 if title or flag_label else 0), width=width)
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    for index, ax in enumerate(axes):
        if index >= len(images):
            ax.set_axis_off()
            continue
        show_image(ax, images[index], fit_title(titles[index], room))
        if captions is not None:
            ax.set_xlabel(fit_lines(captions[index], room), fontsize=SMALL_PT)
        if flagged is not None and flagged[index]:
            for spine in ax.spines.values():
                spine.set(visible=True, color="tab:red", linewidth=2.5)
    heading = " ".join(part for part in (title, f"(red frame: {flag_label})" if flag_label else None) if part)
    if heading:
        fig.suptitle(heading, fontsize=SMALL_PT + 1)
    return fig
