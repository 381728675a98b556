"""Every figure of the report: each function takes plain arrays or DataFrames and returns a Figure.

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
from matplotlib.ticker import MaxNLocator

from .data import CLASS_NAMES

CURVE_COLUMNS = ("epoch", "train_acc", "val_acc", "train_loss", "val_loss")
CASE_COLUMNS = ("label_name", "prediction_name", "confidence", "entropy")
TOP_K = 3  # classes shown in each case's probability bars
SPLIT_STYLE = {"train": "--", "val": "-"}  # dashed training, solid validation, in every curve figure
SPLIT_NAME = {"train": "train", "val": "validation"}


def _styled(plot):
    """Draw inside one seaborn style and font context, so all figures match and no global is touched."""
    @functools.wraps(plot)
    def wrapper(*args, **kwargs):
        with sns.axes_style("whitegrid"), sns.plotting_context("notebook", font_scale=0.85):
            return plot(*args, **kwargs)
    return wrapper


def _new_figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def _check_columns(frame: pd.DataFrame, required, what: str) -> None:
    missing = [column for column in required if column not in frame.columns]
    if missing:
        raise ValueError(f"{what} lacks column(s) {', '.join(missing)}; it has {', '.join(map(str, frame.columns))}.")


def _image_stack(images, name: str, ndim: int = 3) -> np.ndarray:
    array = np.asarray(images)
    if array.ndim != ndim or 0 in array.shape:
        raise ValueError(f"{name} must be a non-empty array of {ndim} dimensions, got shape {array.shape}.")
    return array


def _check_length(values, expected: int, name: str, of: str) -> None:
    if values is not None and len(values) != expected:
        raise ValueError(f"{name} has {len(values)} entries but there are {expected} {of}.")


def _show_image(ax, image: np.ndarray, title: str | None = None) -> None:
    """A grey image without ticks; uint8 on 0-255, floats in [0, 1] on 0-1, anything else autoscaled."""
    if np.issubdtype(image.dtype, np.integer):
        vmin, vmax = 0, 255
    else:
        vmin, vmax = (0.0, 1.0) if image.min() >= 0 and image.max() <= 1 else (None, None)
    ax.imshow(image, cmap="gray", vmin=vmin, vmax=vmax)
    _bare(ax)
    if title is not None:
        ax.set_title(title, fontsize="small")


def _bare(ax) -> None:
    """No ticks, no frame, no grid: for image panels (a y label can still be set)."""
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)


@_styled
def sample_grid(images, labels, per_class: int = 8, class_names=CLASS_NAMES) -> Figure:
    """The first `per_class` images (N, 28, 28) of each class, one row per class named at the left."""
    images, labels = _image_stack(images, "images"), np.asarray(labels)
    _check_length(labels, len(images), "labels", "images")
    if per_class < 1:
        raise ValueError(f"per_class must be at least 1, got {per_class}.")
    fig = _new_figure(0.9 * per_class + 1.2, 0.9 * len(class_names))
    axes = fig.subplots(len(class_names), per_class, squeeze=False)
    for label, row in enumerate(axes):
        indices = np.flatnonzero(labels == label)[:per_class]
        for column, ax in enumerate(row):
            if column < len(indices):
                _show_image(ax, images[indices[column]])
            else:
                ax.set_axis_off()  # fewer images of this class than per_class
        row[0].set_ylabel(class_names[label], rotation=0, ha="right", va="center")
    fig.suptitle(f"First {per_class} images of each class")
    return fig


@_styled
def class_balance(counts: pd.DataFrame) -> Figure:
    """Images per class (index) and split (columns) as grouped bars: is any class or split skewed?"""
    if counts.empty:
        raise ValueError("counts is empty: expected one row per class and one column per split.")
    long = counts.rename_axis("class").reset_index().melt(id_vars="class", var_name="split", value_name="images")
    fig = _new_figure(10, 4.5)
    ax = fig.subplots()
    sns.barplot(data=long, x="class", y="images", hue="split", ax=ax)
    ax.set(title="Images per class and split", xlabel="class", ylabel="images (count)")
    ax.tick_params(axis="x", labelrotation=30)
    sns.move_legend(ax, "upper left", bbox_to_anchor=(1, 1), title="split")
    return fig


def _check_histories(histories: dict[str, pd.DataFrame]) -> None:
    if not histories:
        raise ValueError("histories is empty: expected {run name: history DataFrame}.")
    for name, history in histories.items():
        _check_columns(history, CURVE_COLUMNS, f"history {name!r}")


def _plot_split(ax, history: pd.DataFrame, metric: str, split: str, label: str, color, percent: bool) -> None:
    scale = 100 if percent else 1
    ax.plot(history["epoch"], history[f"{split}_{metric}"] * scale, SPLIT_STYLE[split],
            marker="o", markersize=3, color=color, label=label)


def _label_curve_axes(acc_ax, loss_ax) -> None:
    acc_ax.set_ylabel("accuracy (%)")
    loss_ax.set_ylabel("loss (cross-entropy)")
    for ax in (acc_ax, loss_ax):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    loss_ax.set_xlabel("epoch")


@_styled
def training_curves(histories: dict[str, pd.DataFrame]) -> Figure:
    """Per model (column): train and validation accuracy (%, top) and loss (bottom) per epoch."""
    _check_histories(histories)
    fig = _new_figure(3.6 * len(histories) + 0.5, 6)
    axes = fig.subplots(2, len(histories), sharex=True, sharey="row", squeeze=False)
    for (name, history), (acc_ax, loss_ax) in zip(histories.items(), axes.T):
        for split, color in (("train", "C0"), ("val", "C1")):
            _plot_split(acc_ax, history, "acc", split, SPLIT_NAME[split], color, percent=True)
            _plot_split(loss_ax, history, "loss", split, SPLIT_NAME[split], color, percent=False)
        acc_ax.set_title(name)
        loss_ax.set_xlabel("epoch")
    _label_curve_axes(*axes[:, 0])  # y shared along each row: label it once
    axes[0, 0].legend()
    fig.suptitle("Training and validation curves")
    return fig


@_styled
def compare_curves(histories: dict[str, pd.DataFrame]) -> Figure:
    """Several runs on shared axes: accuracy (%, left) and loss (right); solid validation, dashed train."""
    _check_histories(histories)
    fig = _new_figure(11, 4.5)
    acc_ax, loss_ax = fig.subplots(1, 2, sharex=True)
    for index, (name, history) in enumerate(histories.items()):
        for split in ("val", "train"):
            label = f"{name} ({SPLIT_NAME[split]})"
            _plot_split(acc_ax, history, "acc", split, label, f"C{index}", percent=True)
            _plot_split(loss_ax, history, "loss", split, label, f"C{index}", percent=False)
    _label_curve_axes(acc_ax, loss_ax)
    acc_ax.set(title="Accuracy", xlabel="epoch")
    loss_ax.set_title("Loss")
    loss_ax.legend(fontsize="small")
    fig.suptitle(" vs ".join(map(str, histories)))
    return fig


@_styled
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
    fig = _new_figure(9, 7.5)
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


@_styled
def case_gallery(images, rows: pd.DataFrame, probabilities=None, class_names=CLASS_NAMES) -> Figure:
    """One column per case: the image titled 'true → predicted', confidence and entropy below it,
    and, given probabilities (N, 10), the top-3 class probabilities as bars."""
    images = _image_stack(images, "images")
    _check_columns(rows, CASE_COLUMNS, "rows")
    _check_length(rows, len(images), "rows", "images")
    if probabilities is not None:
        probabilities = np.asarray(probabilities)
        if probabilities.shape != (len(images), len(class_names)):
            raise ValueError(f"probabilities must be ({len(images)}, {len(class_names)}), got {probabilities.shape}.")
    n_panels = 1 if probabilities is None else 2
    fig = _new_figure(2.3 * len(images), 2.9 * n_panels)
    axes = fig.subplots(n_panels, len(images), squeeze=False,
                        height_ratios=[1.6, 1][:n_panels])
    for index, case in enumerate(rows.itertuples(index=False)):
        image_ax = axes[0, index]
        _show_image(image_ax, images[index], f"{case.label_name} → {case.prediction_name}")
        image_ax.set_xlabel(f"confidence {case.confidence:.1%}\nentropy {case.entropy:.3f} nats", fontsize="small")
        if probabilities is not None:
            _top_bars(axes[1, index], probabilities[index], class_names, case.label_name)
    if probabilities is not None:
        fig.suptitle(f"Top-{TOP_K} class probabilities: green true class, red wrong prediction", fontsize="small")
    return fig


@_styled
def neighbour_grid(query_images, neighbour_images, titles=None, neighbour_titles=None) -> Figure:
    """One row per query: the query image (Q, 28, 28), then its k neighbours (Q, k, 28, 28)."""
    queries = _image_stack(query_images, "query_images")
    neighbours = _image_stack(neighbour_images, "neighbour_images", ndim=4)
    if len(neighbours) != len(queries):
        raise ValueError(f"neighbour_images has {len(neighbours)} rows of neighbours but there are "
                         f"{len(queries)} query images.")
    _check_length(titles, len(queries), "titles", "query images")
    _check_length(neighbour_titles, len(queries), "neighbour_titles", "query images")
    n_queries, k = neighbours.shape[:2]
    for q, row_titles in enumerate([] if neighbour_titles is None else neighbour_titles):
        _check_length(row_titles, k, f"neighbour_titles[{q}]", "neighbours")
    fig = _new_figure(1.5 * (k + 1), 1.7 * n_queries)
    axes = fig.subplots(n_queries, k + 1, squeeze=False)
    for q, row in enumerate(axes):
        _show_image(row[0], queries[q], titles[q] if titles is not None else "query")
        row[0].title.set_fontweight("bold")
        for j, ax in enumerate(row[1:]):
            _show_image(ax, neighbours[q, j], neighbour_titles[q][j] if neighbour_titles is not None
                        else f"neighbour {j + 1}")
    return fig


def _check_cams(cam_sets: dict[str, np.ndarray], shape: tuple) -> dict[str, np.ndarray]:
    if not cam_sets:
        raise ValueError("cam_sets is empty: expected {name: cams (N, 28, 28)}.")
    checked = {}
    for name, cams in cam_sets.items():
        cams = np.asarray(cams)
        if cams.shape != shape:
            raise ValueError(f"cam set {name!r} has shape {cams.shape}, the images {shape}.")
        if cams.min() < 0 or cams.max() > 1:
            raise ValueError(f"cam set {name!r} must lie in [0, 1], got [{cams.min():.3g}, {cams.max():.3g}].")
        checked[name] = cams
    return checked


@_styled
def cam_grid(images, cam_sets: dict[str, np.ndarray], titles=None, alpha: float = 0.5) -> Figure:
    """One row per image: the image, then each named CAM set (N, 28, 28) in [0, 1] as 'jet' over it."""
    images = _image_stack(images, "images")
    cam_sets = _check_cams(cam_sets, images.shape)
    _check_length(titles, len(images), "titles", "images")
    fig = _new_figure(1.9 * (len(cam_sets) + 1) + 0.8, 2.0 * len(images))
    axes = fig.subplots(len(images), len(cam_sets) + 1, squeeze=False)
    for index, row in enumerate(axes):
        _show_image(row[0], images[index], titles[index] if titles is not None else "image")
        for ax, (name, cams) in zip(row[1:], cam_sets.items()):
            _show_image(ax, images[index], name)
            overlay = ax.imshow(cams[index], cmap="jet", vmin=0, vmax=1, alpha=alpha)
    fig.colorbar(overlay, ax=axes, shrink=0.6, label="Grad-CAM weight (0-1)")
    return fig


@_styled
def metric_bars(table: pd.DataFrame, value: str, error: str | None = None, by: str = "model",
                percent: bool | None = None, title: str | None = None) -> Figure:
    """One bar per `by` value (unique; aggregate repeats first) with optional error bars.

    `percent` defaults to True for accuracy columns (name containing 'acc'), drawn as %."""
    _check_columns(table, [by, value] + ([error] if error else []), "table")
    if table[by].duplicated().any():
        raise ValueError(f"table has repeated {by!r} values; aggregate first (e.g. groupby mean and std).")
    percent = "acc" in value.lower() if percent is None else percent
    scale = 100 if percent else 1
    fig = _new_figure(max(4.0, 1.2 * len(table) + 1.5), 4.2)
    ax = fig.subplots()
    bars = ax.bar(table[by].astype(str), table[value] * scale, color=sns.color_palette(n_colors=len(table)),
                  yerr=table[error] * scale if error else None, capsize=4)
    ax.bar_label(bars, fmt="%.2f%%" if percent else "%.3g", padding=2, fontsize="small")
    ax.set(title=title or f"{value} by {by}", xlabel=by, ylabel=f"{value} (%)" if percent else value)
    ax.grid(False, axis="x")
    return fig
