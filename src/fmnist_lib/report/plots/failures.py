"""The failures page's figures: the confusion matrix, failure cases with their probabilities, nearest neighbours."""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from ...data.fashion_mnist import CLASS_NAMES
from .look import FIGURE_WIDTH, SMALL_PT
from .common import check_columns, check_length, image_stack, new_figure, show_image, styled

CASE_COLUMNS = ("label_name", "prediction_name", "confidence", "entropy")
TOP_K = 3  # classes shown in each case's probability bars
CASES_PER_ROW = 4
TRUE_BAR = {"color": "#009E73", "hatch": "////", "edgecolor": "black", "linewidth": 0.5}  # hatched: grayscale too
WRONG_BAR = {"color": "#D55E00", "edgecolor": "black", "linewidth": 0.5}
OTHER_BAR = {"color": "#CCCCCC", "edgecolor": "black", "linewidth": 0.5}
CORRECT_CELL = "#6b6b6b"  # the confusion matrix's diagonal, above its colour scale of errors


@styled
def confusion_heatmap(confusion, class_names=CLASS_NAMES, normalize: bool = True) -> Figure:
    """Confusion counts (true class x predicted class); normalised, each row is % of that true class.

    The colour scale spans the errors only, up to the largest one: the diagonal (correct predictions), above it,
    is drawn in gray, so that the errors do not all fade into the palest blue beside it.
    """
    counts = np.asarray(confusion)
    if counts.shape != (len(class_names), len(class_names)):
        raise ValueError(f"confusion must be ({len(class_names)}, {len(class_names)}) for "
                         f"{len(class_names)} class names, got shape {counts.shape}.")
    if normalize:
        totals = counts.sum(axis=1, keepdims=True)
        values = np.divide(100.0 * counts, totals, out=np.zeros(counts.shape), where=totals > 0)
        fmt, unit = ".0f", "% of the true class"
    else:
        values, fmt, unit = counts, "d", "images (count)"
    errors = values[~np.eye(len(values), dtype=bool)]
    vmax = float(errors.max()) + 0.5 if errors.size and errors.max() > 0 else 1.0  # correct cells fall above it
    cmap = sns.color_palette("Blues", as_cmap=True).with_extremes(over=CORRECT_CELL)
    fig = new_figure(height=5.9)
    ax = fig.subplots()
    sns.heatmap(values, annot=True, fmt=fmt, cmap=cmap, vmin=0, vmax=vmax, square=True, ax=ax,
                annot_kws={"fontsize": SMALL_PT}, xticklabels=class_names, yticklabels=class_names,
                cbar_kws={"label": f"{unit}, errors (gray: above the scale)", "shrink": 0.8, "extend": "max"})
    ax.set(xlabel="predicted class", ylabel="true class")
    ax.tick_params(axis="x", labelrotation=40)
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("right")
    ax.tick_params(axis="y", labelrotation=0)
    return fig


def _percent(value: float) -> str:
    """A probability in per cent with the digits that tell it apart from 0 and 100: '99.97 %', '0.03 %', '42 %'."""
    if 1 <= value <= 99:
        return f"{value:.0f} %"
    return f"{value:.2f} %" if 0.01 <= value <= 99.99 else ("<0.01 %" if value < 0.01 else ">99.99 %")


def _top_bars(ax, probabilities: np.ndarray, class_names, true_name: str) -> None:
    """Top-k probabilities (%) as horizontal bars, best on top: the true class hatched green, a wrong answer
    orange, other classes grey; each bar labelled with its value, so a confident case is more than one full bar."""
    top = np.argsort(probabilities)[::-1][:TOP_K]
    names = [class_names[c] for c in top]
    for rank, (name, c) in enumerate(zip(names, top)):
        look = TRUE_BAR if name == true_name else (WRONG_BAR if rank == 0 else OTHER_BAR)
        value = probabilities[c] * 100
        ax.barh(rank, value, **look)
        inside = value > 60  # a long bar carries its value inside, a short one beside it: a 99.9 % bar next
        ax.text(value - 2 if inside else value + 2, rank, _percent(value), va="center",  # to two slivers
                ha="right" if inside else "left", fontsize=SMALL_PT, color="white" if inside else "black",
                bbox={"boxstyle": "square,pad=0.05", "facecolor": look["color"], "edgecolor": "none"} if inside
                else None)
    ax.set_yticks(range(len(top)), names, fontsize=SMALL_PT)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xticks([0, 50, 100])
    ax.set_xlabel("probability (%)", fontsize=SMALL_PT)
    ax.grid(False, axis="y")


@styled
def case_gallery(images, rows: pd.DataFrame, probabilities=None, class_names=CLASS_NAMES) -> Figure:
    """The cases in rows of four: each image titled 'true → predicted', its confidence and entropy below it,
    and, given probabilities (N, 10), the top-3 class probabilities as bars under it."""
    images = image_stack(images, "images")
    check_columns(rows, CASE_COLUMNS, "rows")
    check_length(rows, len(images), "rows", "images")
    if probabilities is not None:
        probabilities = np.asarray(probabilities)
        if probabilities.shape != (len(images), len(class_names)):
            raise ValueError(f"probabilities must be ({len(images)}, {len(class_names)}), got {probabilities.shape}.")
    columns = min(CASES_PER_ROW, len(images))
    case_rows = -(-len(images) // columns)
    panels = 1 if probabilities is None else 2
    fig = new_figure(height=case_rows * (2.15 + 1.05 * (panels - 1)) + (0.3 if probabilities is not None else 0))
    grid = fig.add_gridspec(case_rows * panels, columns, height_ratios=[1.75, 1][:panels] * case_rows)
    image_axes, bar_axes = [], []
    for index, case in enumerate(rows.itertuples(index=False)):
        row, column = divmod(index, columns)
        image_ax = fig.add_subplot(grid[row * panels, column])
        show_image(image_ax, images[index], f"{case.label_name} → {case.prediction_name}")
        image_ax.set_xlabel(f"confidence {_percent(100 * case.confidence)}\nentropy {case.entropy:.3f} nats",
                            fontsize=SMALL_PT)
        image_axes.append(image_ax)
    for index in range(len(images) if probabilities is not None else 0):  # after the images: fig.axes reads in order
        row, column = divmod(index, columns)
        bar_axes.append(fig.add_subplot(grid[row * panels + 1, column]))
    for index, ax in enumerate(bar_axes):
        _top_bars(ax, probabilities[index], class_names, rows.iloc[index]["label_name"])
    if probabilities is not None:
        fig.suptitle(f"Bars: the {TOP_K} most probable classes (hatched green: the true class; orange: a wrong answer)",
                     fontsize=SMALL_PT)
    return fig


@styled
def neighbour_grid(query_images, neighbour_images, titles=None, neighbour_titles=None) -> Figure:
    """One row per query: the query image (Q, 28, 28), named at its left, then its k neighbours (Q, k, 28, 28)."""
    queries = image_stack(query_images, "query_images")
    neighbours = image_stack(neighbour_images, "neighbour_images", ndim=4)
    if len(neighbours) != len(queries):
        raise ValueError(f"neighbour_images has {len(neighbours)} rows of neighbours but there are "
                         f"{len(queries)} query images.")
    check_length(titles, len(queries), "titles", "query images")
    check_length(neighbour_titles, len(queries), "neighbour_titles", "query images")
    n_queries, k = neighbours.shape[:2]
    for q, row_titles in enumerate([] if neighbour_titles is None else neighbour_titles):
        check_length(row_titles, k, f"neighbour_titles[{q}]", "neighbours")
    label_width = 1.45 if titles is not None else 0.2
    side = min(0.95, (FIGURE_WIDTH - label_width) / (k + 1))
    fig = new_figure(height=(side + 0.28) * n_queries + 0.1, width=min(FIGURE_WIDTH, label_width + side * (k + 1)))
    axes = fig.subplots(n_queries, k + 1, squeeze=False)
    for q, row in enumerate(axes):
        show_image(row[0], queries[q], "query" if q == 0 else None)
        if titles is not None:
            row[0].set_ylabel(titles[q], rotation=0, ha="right", va="center", fontsize=SMALL_PT)
        for j, ax in enumerate(row[1:]):
            show_image(ax, neighbours[q, j], neighbour_titles[q][j] if neighbour_titles is not None
                       else f"neighbour {j + 1}")
    return fig
