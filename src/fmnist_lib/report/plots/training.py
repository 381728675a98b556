"""The baselines page's figures: the dataset, training curves, and one metric per model as bars."""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ...data.fashion_mnist import CLASS_NAMES
from ...training.config import epochs_text
from .look import COLORS, FIGURE_WIDTH, SMALL_PT
from .common import check_columns, check_length, image_stack, line_style, new_figure, show_image, styled

CURVE_COLUMNS = ("epoch", "train_acc", "val_acc", "train_loss", "val_loss")
SPLIT_STYLE = {"train": "--", "val": "-"}  # dashed training, solid validation, in every curve figure
SPLIT_NAME = {"train": "train", "val": "validation"}
SPLIT_MARKER = {"train": "o", "val": "s"}
HATCHES = ("", "///", "...", "xx")  # bars of a group told apart in grayscale too


@styled
def sample_grid(images, labels, per_class: int = 8, class_names=CLASS_NAMES) -> Figure:
    """The first `per_class` images (N, 28, 28) of each class, one row per class named at the left."""
    images, labels = image_stack(images, "images"), np.asarray(labels)
    check_length(labels, len(images), "labels", "images")
    if per_class < 1:
        raise ValueError(f"per_class must be at least 1, got {per_class}.")
    side = min(0.62, (FIGURE_WIDTH - 1.2) / per_class)
    fig = new_figure(height=side * len(class_names) + 0.1, width=min(FIGURE_WIDTH, side * per_class + 1.2))
    axes = fig.subplots(len(class_names), per_class, squeeze=False)
    for label, row in enumerate(axes):
        indices = np.flatnonzero(labels == label)[:per_class]
        for column, ax in enumerate(row):
            if column < len(indices):
                show_image(ax, images[indices[column]])
            else:
                ax.set_axis_off()  # fewer images of this class than per_class
        row[0].set_ylabel(class_names[label], rotation=0, ha="right", va="center")
    return fig


@styled
def class_balance(counts: pd.DataFrame) -> Figure:
    """Images per class (index) and split (columns) as grouped bars: is any class or split skewed?"""
    if counts.empty:
        raise ValueError("counts is empty: expected one row per class and one column per split.")
    long = counts.rename_axis("class").reset_index().melt(id_vars="class", var_name="split", value_name="images")
    fig = new_figure(height=3.3)
    ax = fig.subplots()
    sns.barplot(data=long, x="class", y="images", hue="split", ax=ax, palette=list(COLORS[:counts.shape[1]]),
                edgecolor="black", linewidth=0.5)
    for index, container in enumerate(ax.containers):  # one container per split: its hatch, for grayscale prints
        for bar in container:
            bar.set_hatch(HATCHES[index % len(HATCHES)])
    ax.set(xlabel="class", ylabel="images (count)")
    ax.tick_params(axis="x", labelrotation=30)
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("right")
    sns.move_legend(ax, "upper center", bbox_to_anchor=(0.5, 1.14), ncols=counts.shape[1], title=None, frameon=False)
    return fig


def _check_histories(histories: dict[str, pd.DataFrame]) -> None:
    if not histories:
        raise ValueError("histories is empty: expected {run name: history DataFrame}.")
    for name, history in histories.items():
        check_columns(history, CURVE_COLUMNS, f"history {name!r}")


def _plot_split(ax, history: pd.DataFrame, metric: str, split: str, label: str, color, percent: bool,
                marker: str | None = None) -> None:
    scale = 100 if percent else 1
    ax.plot(history["epoch"], history[f"{split}_{metric}"] * scale, linestyle=SPLIT_STYLE[split],
            marker=marker or SPLIT_MARKER[split], color=color, label=label)


def _epoch_axis(ax, epochs: pd.Series) -> None:
    """Whole epochs on x (a single epoch included), and y values written out, never as an offset."""
    first, last = int(epochs.min()), int(epochs.max())
    if last - first < 2:
        ax.set_xlim(first - 0.5, last + 0.5)
        ax.set_xticks(range(first, last + 1))
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.ticklabel_format(axis="y", useOffset=False, style="plain")
    low, high = ax.get_ylim()
    if high - low < 1e-3 * max(1.0, abs(high)):  # a flat curve: show it on a readable range
        ax.set_ylim(low - 0.5, high + 0.5)
    ax.set_xlabel("epoch")


@styled
def training_curves(histories: dict[str, pd.DataFrame]) -> Figure:
    """One row per model: train and validation accuracy (%, left) and loss (right) per epoch.

    Each panel has its own y-axis, scaled to that model's curves, so a gap of a point stays visible whatever
    the other models reach (the write-up drew one figure per model).
    """
    _check_histories(histories)
    fig = new_figure(height=2.05 * len(histories) + 0.35)
    axes = fig.subplots(len(histories), 2, squeeze=False)
    for (name, history), (acc_ax, loss_ax) in zip(histories.items(), axes):
        for split, index in (("train", 0), ("val", 1)):
            color = COLORS[index]
            _plot_split(acc_ax, history, "acc", split, SPLIT_NAME[split], color, percent=True)
            _plot_split(loss_ax, history, "loss", split, SPLIT_NAME[split], color, percent=False)
        acc_ax.set(title=f"{name}: accuracy", ylabel="accuracy (%)")
        loss_ax.set(title=f"{name}: loss", ylabel="loss (cross-entropy)")
        for ax in (acc_ax, loss_ax):
            _epoch_axis(ax, history["epoch"])
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside upper center", ncols=2, frameon=False)
    return fig


@styled
def budget_curves(curves: pd.DataFrame, protocol_images: int, protocol_label: str) -> Figure:
    """Validation accuracy against training images seen (log scale), one line per model
    (`analysis.training_curves.learning_curves`), the protocol's total marked: a short budget's number is the
    last point of a curve that is still climbing, not a converged accuracy."""
    check_columns(curves, ("model", "epoch", "images", "accuracy"), "curves")
    fig = new_figure(height=3.4)
    ax = fig.subplots()
    ends = []
    for index, (model, curve) in enumerate(curves.groupby("model", sort=False)):
        look = line_style(index)
        ax.plot(curve.images, curve.accuracy, color=look["color"], marker=look["marker"], label=model)
        ends.append((curve.iloc[-1], look["color"]))
    ax.axvline(protocol_images, color="0.4", linestyle=":", linewidth=1)
    ax.set_xscale("log")
    ax.set_xlim(right=protocol_images * 3)
    low, high = ax.get_ylim()
    placed: list[tuple[float, float]] = []  # (images, label height): labels at one x kept apart, never on each other
    for last, color in sorted(ends, key=lambda end: -end[0].accuracy):
        y = last.accuracy
        for images, other in placed:
            if images == last.images and abs(other - y) < 0.07 * (high - low):
                y = other - 0.07 * (high - low)
        placed.append((last.images, y))
        ax.annotate(f"{last.accuracy:.1f} % after {epochs_text(int(last.epoch))}", (last.images, last.accuracy),
                    xytext=(last.images * 1.15, y), textcoords="data", va="center", fontsize=SMALL_PT, color=color,
                    bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.85})
    ax.annotate(protocol_label, (protocol_images, 0.03), xycoords=("data", "axes fraction"), xytext=(-4, 0),
                textcoords="offset points", ha="right", va="bottom", fontsize=SMALL_PT, color="0.3")
    ax.set(xlabel="training images seen (log scale)", ylabel="validation accuracy (%)")
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=len(ends), frameon=False)
    return fig


@styled
def compare_curves(histories: dict[str, pd.DataFrame]) -> Figure:
    """Several runs on shared axes: accuracy (%, left) and loss (right); solid validation, dashed train.

    Runs differ by colour and marker, splits by line style.
    """
    _check_histories(histories)
    fig = new_figure(height=3.4)
    acc_ax, loss_ax = fig.subplots(1, 2, sharex=True)
    for index, (name, history) in enumerate(histories.items()):
        look = line_style(index)
        for split in ("val", "train"):
            label = f"{name} ({SPLIT_NAME[split]})"
            _plot_split(acc_ax, history, "acc", split, label, look["color"], percent=True, marker=look["marker"])
            _plot_split(loss_ax, history, "loss", split, label, look["color"], percent=False, marker=look["marker"])
    acc_ax.set(title="Accuracy", ylabel="accuracy (%)")
    loss_ax.set(title="Loss", ylabel="loss (cross-entropy)")
    epochs = pd.concat([history["epoch"] for history in histories.values()])
    for ax in (acc_ax, loss_ax):
        _epoch_axis(ax, epochs)
    fig.legend(*loss_ax.get_legend_handles_labels(), loc="outside lower center", ncols=2, frameon=False)
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
    fig = new_figure(height=3.2)
    ax = fig.subplots()
    bars = ax.bar(table[by].astype(str), table[value] * scale, color=[COLORS[i % len(COLORS)] for i in range(len(table))],
                  yerr=table[error] * scale if error else None, capsize=4, edgecolor="black", linewidth=0.5)
    for index, bar in enumerate(bars):
        bar.set_hatch(HATCHES[index % len(HATCHES)])
    ax.bar_label(bars, fmt="%.2f%%" if percent else "%.3g", padding=2, fontsize=SMALL_PT)
    ax.set(title=title or f"{value} by {by}", xlabel=by, ylabel=f"{value} (%)" if percent else value)
    ax.grid(False, axis="x")
    return fig
