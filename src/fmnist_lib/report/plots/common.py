"""What every figure of the report shares: one style, bare Figures, input checks and image panels.

Each figure function (one module per page family) takes plain arrays or DataFrames and returns a Figure.

Figures are built as bare `ReportFigure`s (matplotlib Figures), not through pyplot: nothing is registered
globally, so a notebook shows a figure only where it is returned or glued (never twice), nothing needs closing,
and no backend is chosen here. They are drawn for the page (`report.style`): as wide as its text column,
rendered at 1.4 times that resolution and shown at that width, with no text under 9 pt, and lines told apart by
colour, line style and marker (grayscale prints). One seaborn style is applied per call, as a context, so
importing this module changes no global setting. Accuracies arrive as fractions and are drawn as percentages.
"""

from __future__ import annotations

import functools

import matplotlib as mpl
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from .look import FIGURE_DPI, FIGURE_WIDTH, RC, SMALL_PT, series_style, shown_width_px


class ReportFigure(Figure):
    """A Figure that tells the page its width: a notebook shows it at `FIGURE_WIDTH` inches (the text column),
    whatever resolution it is rendered at. The png itself comes from the notebook's inline backend."""

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {}, {"image/png": {"width": shown_width_px(self.get_figwidth())}}


def styled(plot):
    """Draw inside one seaborn style and the report's font sizes, so all figures match and no global is touched."""
    @functools.wraps(plot)
    def wrapper(*args, **kwargs):
        with sns.axes_style("whitegrid"), sns.plotting_context("notebook", rc=RC), mpl.rc_context(RC):
            return plot(*args, **kwargs)
    return wrapper


def new_figure(width: float = FIGURE_WIDTH, height: float = 3.5) -> ReportFigure:
    """A figure `height` inches tall and as wide as the page's text column (or `width`, never wider)."""
    if width > FIGURE_WIDTH + 1e-9:
        raise ValueError(f"a figure is at most {FIGURE_WIDTH:.2f} inches wide (the text column), not {width:.2f}.")
    return ReportFigure(figsize=(width, height), dpi=FIGURE_DPI, layout="constrained")


def line_style(index: int, **overrides) -> dict:
    """Keyword arguments for `ax.plot` of the index-th series: colour, line style and marker (`style`)."""
    return series_style(index) | overrides


def check_columns(frame: pd.DataFrame, required, what: str) -> None:
    missing = [column for column in required if column not in frame.columns]
    if missing:
        raise ValueError(f"{what} lacks column(s) {', '.join(missing)}; it has {', '.join(map(str, frame.columns))}.")


def image_stack(images, name: str, ndim: int = 3) -> np.ndarray:
    array = np.asarray(images)
    if array.ndim != ndim or 0 in array.shape:
        raise ValueError(f"{name} must be a non-empty array of {ndim} dimensions, got shape {array.shape}.")
    return array


def check_length(values, expected: int, name: str, of: str) -> None:
    if values is not None and len(values) != expected:
        raise ValueError(f"{name} has {len(values)} entries but there are {expected} {of}.")


def show_image(ax, image: np.ndarray, title: str | None = None) -> None:
    """A grey image without ticks; uint8 on 0-255, floats in [0, 1] on 0-1, anything else autoscaled."""
    if np.issubdtype(image.dtype, np.integer):
        vmin, vmax = 0, 255
    else:
        vmin, vmax = (0.0, 1.0) if image.min() >= 0 and image.max() <= 1 else (None, None)
    ax.imshow(image, cmap="gray", vmin=vmin, vmax=vmax)
    bare(ax)
    if title is not None:
        ax.set_title(title, fontsize=SMALL_PT)


def bare(ax) -> None:
    """No ticks, no frame, no grid: for image panels (a y label can still be set)."""
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)


def panel_grid(fig: Figure, n: int, columns: int, **kwargs) -> np.ndarray:
    """n axes in rows of `columns`, the unused ones switched off; returned flat."""
    rows = -(-n // columns)
    axes = fig.subplots(rows, columns, squeeze=False, **kwargs).ravel()
    for ax in axes[n:]:
        ax.set_axis_off()
    return axes[:n]


def panel_columns(n: int) -> int:
    """Per-model panels: side by side up to three, else in rows of two (for four) or three."""
    return n if n <= 3 else (2 if n == 4 else 3)


def model_panels(n: int, row_height: float, extra: float = 0.5, **kwargs) -> tuple[Figure, np.ndarray, int]:
    """A figure of `n` per-model panels (`panel_columns` to a row): (figure, flat axes, columns)."""
    columns = panel_columns(n)
    fig = new_figure(height=row_height * -(-n // columns) + extra)
    return fig, panel_grid(fig, n, columns, **kwargs), columns


def label_panels(fig: Figure, axes: np.ndarray, columns: int, ylabel: str, xlabel: str, ncols: int,
                 **legend) -> Figure:
    """The y label on each row's first panel, one x label for all, and one legend above the panels."""
    for ax in axes[::columns]:
        ax.set_ylabel(ylabel)
    fig.supxlabel(xlabel, fontsize=SMALL_PT + 1)
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside upper center", ncols=ncols, frameon=False,
               **legend)
    return fig


def nonempty(frame: pd.DataFrame, columns, what: str) -> None:
    check_columns(frame, columns, what)
    if frame.empty:
        raise ValueError(f"{what} is empty.")


def check_tables(tables: dict[str, pd.DataFrame], columns, what: str) -> None:
    """One non-empty table with `columns` per model."""
    if not tables:
        raise ValueError(f"tables is empty: expected {{model: {what}}}.")
    for name, table in tables.items():
        nonempty(table, columns, f"{what} {name!r}")
