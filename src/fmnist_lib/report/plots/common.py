"""What every figure of the report shares: one style, bare Figures, input checks and image panels.

Each figure function (one module per page family) takes plain arrays or DataFrames and returns a Figure.

Figures are built as bare `matplotlib.figure.Figure` objects, not through pyplot: nothing is
registered globally, so a notebook shows a figure only where it is returned or glued (never twice),
nothing needs closing, and no backend is chosen here. One seaborn style is applied per call, as a
context, so importing this module changes no global setting. Accuracies arrive as fractions and
are drawn as percentages.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure


def styled(plot):
    """Draw inside one seaborn style and font context, so all figures match and no global is touched."""
    @functools.wraps(plot)
    def wrapper(*args, **kwargs):
        with sns.axes_style("whitegrid"), sns.plotting_context("notebook", font_scale=0.85):
            return plot(*args, **kwargs)
    return wrapper


def new_figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


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
        ax.set_title(title, fontsize="small")


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
