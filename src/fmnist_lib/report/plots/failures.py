"""The failures page's figures: the confusion matrix, failure cases with their probabilities, nearest neighbours."""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from ...data.fashion_mnist import CLASS_NAMES
from .common import check_columns, check_length, image_stack, new_figure, show_image, styled

CASE_COLUMNS = ("label_name", "prediction_name", "confidence", "entropy")
TOP_K = 3  # classes shown in each case's probability bars


@styled
def confusion_heatmap(confusion, class_names=CLASS_NAMES, normalize: bool = True) -> Figure:
    """Confusion counts (true class x predicted class); normalised, each row is % of that true class."""
    counts = np.asarray(confusion)
    if counts.shape != (len(class_names), len(class_names)):
        raise ValueError(f"confusion must be ({len(class_names)}, {len(class_names)}) for "
                         f"{len(class_names)} class names, got shape {counts.shape}.")
    if normalize:
        totals = counts.sum(axis=1, keepdims=True)
        values = np.divide(100.0 * counts, totals, out=np.zeros(counts.shape), where=totals > 0)
        fmt, unit, title = ".1f", "% of true class", "Confusion matrix (% of each true class)"
        vmax = 100  # one colour scale for every model, so heatmaps compare
    else:
        values, fmt, unit, title, vmax = counts, "d", "images (count)", "Confusion matrix (counts)", None
    fig = new_figure(9, 7.5)
    ax = fig.subplots()
    sns.heatmap(values, annot=True, fmt=fmt, cmap="Blues", vmin=0, vmax=vmax, square=True, ax=ax, annot_kws={"fontsize": 7},
                xticklabels=class_names, yticklabels=class_names, cbar_kws={"label": unit})
    ax.set(title=title, xlabel="predicted class", ylabel="true class")
    ax.tick_params(axis="x", labelrotation=45)
    ax.tick_params(axis="y", labelrotation=0)
    return fig


def _top_bars(ax, probabilities: np.ndarray, class_names, true_name: str) -> None:
    """Top-k probabilities (%) as horizontal bars, best on top; the true class green, others red or grey."""
    top = np.argsort(probabilities)[::-1][:TOP_K]
    names = [class_names[c] for c in top]
    colors = ["tab:green" if name == true_name else ("tab:red" if rank == 0 else "tab:gray")
              for rank, name in enumerate(names)]
    ax.barh(range(len(top)), probabilities[top] * 100, color=colors)
    ax.set_yticks(range(len(top)), names, fontsize="small")
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("probability (%)", fontsize="small")


@styled
def case_gallery(images, rows: pd.DataFrame, probabilities=None, class_names=CLASS_NAMES) -> Figure:
    """One column per case: the image titled 'true → predicted', confidence and entropy below it,
    and, given probabilities (N, 10), the top-3 class probabilities as bars."""
    images = image_stack(images, "images")
    check_columns(rows, CASE_COLUMNS, "rows")
    check_length(rows, len(images), "rows", "images")
    if probabilities is not None:
        probabilities = np.asarray(probabilities)
        if probabilities.shape != (len(images), len(class_names)):
            raise ValueError(f"probabilities must be ({len(images)}, {len(class_names)}), got {probabilities.shape}.")
    n_panels = 1 if probabilities is None else 2
    fig = new_figure(2.3 * len(images), 2.9 * n_panels)
    axes = fig.subplots(n_panels, len(images), squeeze=False,
                        height_ratios=[1.6, 1][:n_panels])
    for index, case in enumerate(rows.itertuples(index=False)):
        image_ax = axes[0, index]
        show_image(image_ax, images[index], f"{case.label_name} → {case.prediction_name}")
        image_ax.set_xlabel(f"confidence {case.confidence:.1%}\nentropy {case.entropy:.3f} nats", fontsize="small")
        if probabilities is not None:
            _top_bars(axes[1, index], probabilities[index], class_names, case.label_name)
    if probabilities is not None:
        fig.suptitle(f"Top-{TOP_K} class probabilities: green true class, red wrong prediction", fontsize="small")
    return fig


@styled
def neighbour_grid(query_images, neighbour_images, titles=None, neighbour_titles=None) -> Figure:
    """One row per query: the query image (Q, 28, 28), then its k neighbours (Q, k, 28, 28)."""
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
    fig = new_figure(1.5 * (k + 1), 1.7 * n_queries)
    axes = fig.subplots(n_queries, k + 1, squeeze=False)
    for q, row in enumerate(axes):
        show_image(row[0], queries[q], titles[q] if titles is not None else "query")
        row[0].title.set_fontweight("bold")
        for j, ax in enumerate(row[1:]):
            show_image(ax, neighbours[q, j], neighbour_titles[q][j] if neighbour_titles is not None
                        else f"neighbour {j + 1}")
    return fig
