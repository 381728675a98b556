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


# ---- stress tests: corruptions, calibration, saliency checks ------------------------------------

ERROR_COLUMNS = ("model", "corruption", "severity", "error")
RELIABILITY_COLUMNS = ("lower", "upper", "confidence", "accuracy", "count")
RANDOMISATION_COLUMNS = ("step", "randomised", "median rho", "q25", "q75")
DELETION_COLUMNS = ("method", "fraction", "probability")


def _panel_grid(fig: Figure, n: int, columns: int, **kwargs) -> np.ndarray:
    """n axes in rows of `columns`, the unused ones switched off; returned flat."""
    rows = -(-n // columns)
    axes = fig.subplots(rows, columns, squeeze=False, **kwargs).ravel()
    for ax in axes[n:]:
        ax.set_axis_off()
    return axes[:n]


def _nonempty(frame: pd.DataFrame, columns, what: str) -> None:
    _check_columns(frame, columns, what)
    if frame.empty:
        raise ValueError(f"{what} is empty.")


@_styled
def severity_curves(errors: pd.DataFrame, columns: int = 5) -> Figure:
    """Error (%) against severity, one panel per corruption, one line per model; severity 0 is the clean error."""
    _nonempty(errors, ERROR_COLUMNS, "errors")
    clean = errors[errors.corruption == "clean"]
    corruptions = [c for c in dict.fromkeys(errors.corruption) if c != "clean"]
    if not corruptions:
        raise ValueError("errors holds no corrupted condition (only 'clean').")
    fig = _new_figure(2.6 * columns, 2.3 * -(-len(corruptions) // columns) + 0.6)
    axes = _panel_grid(fig, len(corruptions), columns, sharex=True, sharey=True)
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


@_styled
def ce_heatmap(ce: pd.DataFrame, column: str = "CE", reference: str = "the reference") -> Figure:
    """Corruption errors (rows corruption, columns model) in %, centred on 100 = as good as the reference."""
    _nonempty(ce, ("model", "corruption", column), "ce")
    table = ce.pivot(index="corruption", columns="model", values=column)
    table = table.loc[list(dict.fromkeys(ce.corruption)), list(dict.fromkeys(ce.model))]
    table.index = [name.replace("_", " ") for name in table.index]
    fig = _new_figure(1.6 * table.shape[1] + 3.2, 0.42 * table.shape[0] + 1.6)
    ax = fig.subplots()
    sns.heatmap(table, annot=True, fmt=".0f", cmap="RdBu_r", center=100, vmin=0, vmax=200, ax=ax,
                annot_kws={"fontsize": 8}, cbar_kws={"label": f"{column} (% of {reference}; 200 and above alike)"})
    ax.set(title=f"{column} per corruption: below 100 beats {reference}", xlabel="model", ylabel="corruption")
    ax.tick_params(axis="y", labelrotation=0)
    return fig


@_styled
def corruption_grid(grid, names, severities) -> Figure:
    """One image under every corruption (row) and severity (column 0 clean): `grid` (C, 1 + S, 28, 28) in [0, 1]."""
    grid = _image_stack(grid, "grid", ndim=4)
    if grid.shape[:2] != (len(names), len(severities) + 1):
        raise ValueError(f"grid must be ({len(names)} corruptions, {len(severities) + 1} columns, H, W) for the "
                         f"names and severities given, got {grid.shape}.")
    fig = _new_figure(1.1 * grid.shape[1] + 1.4, 1.1 * grid.shape[0] + 0.4)
    axes = fig.subplots(*grid.shape[:2], squeeze=False)
    for row, name in enumerate(names):
        for column, ax in enumerate(axes[row]):
            _show_image(ax, grid[row, column].astype(np.float32).clip(0, 1),
                        (["clean"] + [f"severity {s}" for s in severities])[column] if row == 0 else None)
        axes[row, 0].set_ylabel(name.replace("_", " "), rotation=0, ha="right", va="center")
    return fig


def _check_tables(tables: dict[str, pd.DataFrame], columns, what: str) -> None:
    """One non-empty table with `columns` per model."""
    if not tables:
        raise ValueError(f"tables is empty: expected {{model: {what}}}.")
    for name, table in tables.items():
        _nonempty(table, columns, f"{what} {name!r}")


@_styled
def reliability_diagrams(tables: dict[str, pd.DataFrame], ece: dict[str, float] | None = None) -> Figure:
    """Per model: accuracy per confidence bin as bars against the diagonal of perfect calibration.

    Bars below the diagonal mean over-confidence. `tables` are `calibration.reliability_table`s.
    """
    _check_tables(tables, RELIABILITY_COLUMNS, "reliability table")
    fig = _new_figure(3.0 * len(tables) + 0.4, 3.4)
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


@_styled
def calibration_shift(frame: pd.DataFrame) -> Figure:
    """ECE (%) against corruption severity per model, before (left) and after (right) temperature scaling."""
    _nonempty(frame, ("model", "severity", "ECE", "ECE scaled"), "frame")
    fig = _new_figure(10, 3.8)
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


@_styled
def randomisation_curves(tables: dict[str, pd.DataFrame], floors: dict[str, float] | None = None) -> Figure:
    """Per model: median rank correlation with the original maps (IQR shaded) as layers are randomised top-down."""
    _check_tables(tables, RANDOMISATION_COLUMNS, "randomisation table")
    fig = _new_figure(3.2 * len(tables) + 0.4, 3.9)
    axes = fig.subplots(1, len(tables), squeeze=False, sharey=True)[0]
    for ax, (name, table) in zip(axes, tables.items()):
        ax.fill_between(table.step, table.q25, table.q75, color="C0", alpha=0.25, label="interquartile range")
        ax.plot(table.step, table["median rho"], "o-", color="C0", markersize=4, label="median")
        if floors and name in floors:
            ax.axhline(floors[name], color="C3", linestyle="--", linewidth=1, label="different images")
        ax.set_xticks(table.step, table.randomised, rotation=60, ha="right", fontsize="x-small")
        ax.set(title=name, ylim=(-0.6, 1.05), xlabel="randomised down to")
    axes[0].set_ylabel("Spearman rho with original maps")
    axes[0].legend(fontsize="x-small", loc="lower left")
    return fig


@_styled
def randomisation_maps(images, maps, stages, alpha: float = 0.5) -> Figure:
    """Rows: images (N, 28, 28); columns: each step's maps (steps, N, 28, 28) over the image, titled by `stages`."""
    images = _image_stack(images, "images")
    maps = _image_stack(maps, "maps", ndim=4)
    if maps.shape[1:] != images.shape or len(stages) != len(maps):
        raise ValueError(f"maps must be ({len(stages)} steps, {len(images)} images, H, W), got {maps.shape}.")
    fig = _new_figure(1.35 * len(stages) + 0.8, 1.45 * len(images) + 0.6)
    axes = fig.subplots(len(images), len(stages), squeeze=False)
    for row in range(len(images)):
        for step, ax in enumerate(axes[row]):
            _show_image(ax, images[row], stages[step] if row == 0 else None)
            overlay = ax.imshow(maps[step, row], cmap="jet", vmin=0, vmax=1, alpha=alpha)
    fig.colorbar(overlay, ax=axes, shrink=0.6, label="map weight (0-1)")
    return fig


@_styled
def deletion_curves(curves: dict[str, pd.DataFrame]) -> Figure:
    """Per model: mean probability of the explained class as each method's top-ranked pixels are blacked out."""
    if not curves:
        raise ValueError("curves is empty: expected {model: deletion table}.")
    for name, table in curves.items():
        _nonempty(table, DELETION_COLUMNS, f"deletion table {name!r}")
    fig = _new_figure(3.1 * len(curves) + 0.6, 3.4)
    axes = fig.subplots(1, len(curves), squeeze=False, sharey=True)[0]
    for ax, (name, table) in zip(axes, curves.items()):
        for index, (method, rows) in enumerate(table.groupby("method", sort=False)):
            ax.plot(100 * rows.fraction, 100 * rows.probability, marker="o", markersize=3, color=f"C{index}",
                    label=method)
        ax.set(title=name, xlabel="pixels removed (%)", ylim=(0, 100))
    axes[0].set_ylabel("probability of the class (%)")
    axes[-1].legend(fontsize="small")
    return fig


# ---- statistics: seeds, paired tests, error detection, galleries --------------------------------

RISK_COLUMNS = ("model", "signal", "coverage", "risk")


@_styled
def seed_points(runs: pd.DataFrame, x: str, y: str, order=None, title: str | None = None) -> Figure:
    """One point per run (seed) in each group of column `x`, and the group's mean ± sd (sample) beside them."""
    _check_columns(runs, (x, y), "runs")
    if runs.empty:
        raise ValueError("runs is empty: expected one row per run.")
    order = list(dict.fromkeys(runs[x])) if order is None else list(order)
    unknown = sorted(set(runs[x]) - set(order), key=str)
    if unknown:
        raise ValueError(f"order lacks group(s) {unknown} of column {x!r}.")
    fig = _new_figure(max(4.5, 1.7 * len(order) + 1.5), 4.2)
    ax = fig.subplots()
    sns.stripplot(data=runs, x=x, y=y, order=order, ax=ax, jitter=0.06, size=6, color="C0", alpha=0.8,
                  label="one run (seed)")
    summary = runs.groupby(x)[y].agg(["mean", "std"]).reindex(order)
    ax.errorbar(np.arange(len(order)) + 0.25, summary["mean"], yerr=summary["std"].fillna(0), fmt="D",
                color="black", markersize=5, capsize=4, label="mean ± sd")
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles))  # stripplot labels every group's points
    ax.legend(unique.values(), unique.keys(), fontsize="small")
    ax.set(title=title or f"{y} per run", xlabel=x, ylabel=y)
    ax.grid(False, axis="x")
    return fig


@_styled
def p_value_heatmap(matrix: pd.DataFrame, alpha: float = 0.05, label: str = "p (Holm)") -> Figure:
    """A square, symmetric p-value table (`stats.p_value_matrix`) coloured by log10 p; '*' marks p < alpha."""
    values = matrix.to_numpy(dtype=float)
    if values.ndim != 2 or values.shape[0] != values.shape[1] or values.shape[0] < 2:
        raise ValueError(f"matrix must be square with at least 2 models, got shape {values.shape}.")
    if list(matrix.index) != list(matrix.columns):
        raise ValueError("matrix must have the same models, in the same order, as rows and columns.")
    finite = values[~np.isnan(values)]
    if finite.size and (finite.min() < 0 or finite.max() > 1):
        raise ValueError(f"p-values must lie in [0, 1], got [{finite.min():.3g}, {finite.max():.3g}].")
    annotations = [["" if np.isnan(p) else ("<1e-4" if p < 1e-4 else f"{p:.2g}") + ("*" if p < alpha else "")
                    for p in row] for row in values]
    fig = _new_figure(1.5 * len(matrix) + 2.6, 1.2 * len(matrix) + 1.4)
    ax = fig.subplots()
    sns.heatmap(np.log10(np.clip(values, 1e-10, 1)), annot=np.array(annotations), fmt="", mask=np.isnan(values),
                cmap="mako", vmin=-6, vmax=0, square=True, ax=ax, xticklabels=list(matrix.columns),
                yticklabels=list(matrix.index), cbar_kws={"label": f"log10 {label} (-6 or below: darkest)"})
    ax.set(title=f"Pairwise tests, {label}; * below {alpha}")
    ax.grid(False)
    ax.tick_params(axis="x", labelrotation=30)
    ax.tick_params(axis="y", labelrotation=0)
    return fig


def _thinned(rows: pd.DataFrame, max_points: int) -> pd.DataFrame:
    """At most `max_points` rows, evenly spaced, always keeping the first and the last."""
    keep = np.unique(np.linspace(0, len(rows) - 1, min(len(rows), max_points)).round().astype(int))
    return rows.iloc[keep]


@_styled
def risk_coverage_plot(curves: pd.DataFrame, max_points: int = 300) -> Figure:
    """Per model: error rate among the images kept against the share kept, one line per signal.

    `curves` is `error_detection.risk_coverage_curves`; each line is thinned to `max_points`.
    """
    _check_columns(curves, RISK_COLUMNS, "curves")
    if curves.empty:
        raise ValueError("curves is empty.")
    if max_points < 2:
        raise ValueError(f"max_points must be at least 2, got {max_points}.")
    models = list(dict.fromkeys(curves["model"]))
    fig = _new_figure(3.1 * len(models) + 0.6, 3.5)
    axes = fig.subplots(1, len(models), squeeze=False, sharey=True)[0]
    for ax, model in zip(axes, models):
        for index, (signal, rows) in enumerate(curves[curves["model"] == model].groupby("signal", sort=False)):
            rows = _thinned(rows.sort_values("coverage"), max_points)
            ax.plot(100 * rows["coverage"], 100 * rows["risk"], color=f"C{index}", label=signal)
        ax.set(title=model, xlabel="coverage (% kept)", xlim=(0, 100))
    axes[0].set_ylabel("risk (error % among kept)")
    axes[0].legend(title="keep first by", fontsize="small")
    return fig


@_styled
def image_gallery(images, titles, captions=None, columns: int = 6, flagged=None, flag_label: str | None = None,
                  title: str | None = None) -> Figure:
    """Images (N, 28, 28) in rows of `columns`, each titled, captioned below, flagged ones framed in red."""
    images = _image_stack(images, "images")
    for name, values in (("titles", titles), ("captions", captions), ("flagged", flagged)):
        _check_length(values, len(images), name, "images")
    if columns < 1:
        raise ValueError(f"columns must be at least 1, got {columns}.")
    columns = min(columns, len(images))
    rows = -(-len(images) // columns)
    fig = _new_figure(1.6 * columns + 0.2, 2.2 * rows + (0.4 if title or flag_label else 0))
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    for index, ax in enumerate(axes):
        if index >= len(images):
            ax.set_axis_off()
            continue
        _show_image(ax, images[index], titles[index])
        ax.title.set_fontsize("small")
        if captions is not None:
            ax.set_xlabel(captions[index], fontsize="small")
        if flagged is not None and flagged[index]:
            for spine in ax.spines.values():
                spine.set(visible=True, color="tab:red", linewidth=2.5)
    heading = " ".join(part for part in (title, f"(red frame: {flag_label})" if flag_label else None) if part)
    if heading:
        fig.suptitle(heading)
    return fig
