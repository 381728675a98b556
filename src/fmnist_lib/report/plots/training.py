"""The baselines page's figures: the dataset, training curves, and one metric per model as bars."""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ...data.fashion_mnist import CLASS_NAMES
from .common import check_columns, check_length, image_stack, new_figure, show_image, styled

CURVE_COLUMNS = ("epoch", "train_acc", "val_acc", "train_loss", "val_loss")
SPLIT_STYLE = {"train": "--", "val": "-"}  # dashed training, solid validation, in every curve figure
SPLIT_NAME = {"train": "train", "val": "validation"}


@styled
def sample_grid(images, labels, per_class: int = 8, class_names=CLASS_NAMES) -> Figure:
    """The first `per_class` images (N, 28, 28) of each class, one row per class named at the left."""
    images, labels = image_stack(images, "images"), np.asarray(labels)
    check_length(labels, len(images), "labels", "images")
    if per_class < 1:
        raise ValueError(f"per_class must be at least 1, got {per_class}.")
    fig = new_figure(0.9 * per_class + 1.2, 0.9 * len(class_names))
    axes = fig.subplots(len(class_names), per_class, squeeze=False)
    for label, row in enumerate(axes):
        indices = np.flatnonzero(labels == label)[:per_class]
        for column, ax in enumerate(row):
            if column < len(indices):
                show_image(ax, images[indices[column]])
            else:
                ax.set_axis_off()  # fewer images of this class than per_class
        row[0].set_ylabel(class_names[label], rotation=0, ha="right", va="center")
    fig.suptitle(f"First {per_class} images of each class")
    return fig


@styled
def class_balance(counts: pd.DataFrame) -> Figure:
    """Images per class (index) and split (columns) as grouped bars: is any class or split skewed?"""
    if counts.empty:
        raise ValueError("counts is empty: expected one row per class and one column per split.")
    long = counts.rename_axis("class").reset_index().melt(id_vars="class", var_name="split", value_name="images")
    fig = new_figure(10, 4.5)
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
        check_columns(history, CURVE_COLUMNS, f"history {name!r}")


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


@styled
def training_curves(histories: dict[str, pd.DataFrame]) -> Figure:
    """Per model (column): train and validation accuracy (%, top) and loss (bottom) per epoch."""
    _check_histories(histories)
    fig = new_figure(3.6 * len(histories) + 0.5, 6)
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


@styled
def compare_curves(histories: dict[str, pd.DataFrame]) -> Figure:
    """Several runs on shared axes: accuracy (%, left) and loss (right); solid validation, dashed train."""
    _check_histories(histories)
    fig = new_figure(11, 4.5)
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


@styled
def metric_bars(table: pd.DataFrame, value: str, error: str | None = None, by: str = "model",
                percent: bool | None = None, title: str | None = None) -> Figure:
    """One bar per `by` value (unique; aggregate repeats first) with optional error bars.

    `percent` defaults to True for accuracy columns (name containing 'acc'), drawn as %."""
    check_columns(table, [by, value] + ([error] if error else []), "table")
    if table[by].duplicated().any():
        raise ValueError(f"table has repeated {by!r} values; aggregate first (e.g. groupby mean and std).")
    percent = "acc" in value.lower() if percent is None else percent
    scale = 100 if percent else 1
    fig = new_figure(max(4.0, 1.2 * len(table) + 1.5), 4.2)
    ax = fig.subplots()
    bars = ax.bar(table[by].astype(str), table[value] * scale, color=sns.color_palette(n_colors=len(table)),
                  yerr=table[error] * scale if error else None, capsize=4)
    ax.bar_label(bars, fmt="%.2f%%" if percent else "%.3g", padding=2, fontsize="small")
    ax.set(title=title or f"{value} by {by}", xlabel=by, ylabel=f"{value} (%)" if percent else value)
    ax.grid(False, axis="x")
    return fig
