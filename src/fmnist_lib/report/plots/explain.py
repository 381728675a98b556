"""The explainability and saliency pages' figures: CAMs over images, the randomisation cascade, deletion curves."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .look import FIGURE_WIDTH, SMALL_PT
from .common import (check_length, check_tables, image_stack, label_panels, line_style, model_panels, new_figure,
                     nonempty, show_image, styled)

CASES_PER_ROW = 2  # cam_grid: two cases side by side, each an image and its maps

RANDOMISATION_COLUMNS = ("step", "randomised", "median rho", "q25", "q75")
DELETION_COLUMNS = ("method", "fraction", "probability")


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


@styled
def cam_grid(images, cam_sets: dict[str, np.ndarray], titles=None, alpha: float = 0.5) -> Figure:
    """Each case (two side by side) under its title: the image, then each named CAM set (N, 28, 28) in [0, 1]
    as 'jet' over it; one colour bar under all of them."""
    images = image_stack(images, "images")
    cam_sets = _check_cams(cam_sets, images.shape)
    check_length(titles, len(images), "titles", "images")
    per_case = len(cam_sets) + 1
    columns = min(CASES_PER_ROW, len(images))
    rows = -(-len(images) // columns)
    side = min(1.2, (FIGURE_WIDTH - 0.3 * columns) / (per_case * columns))
    fig = new_figure(height=rows * (side + 0.62) + 0.7)
    cases, scale = fig.subfigures(2, 1, height_ratios=[rows * (side + 0.62), 0.7])
    panels = cases.subfigures(rows, columns, squeeze=False, wspace=0.06).ravel()
    for index, panel in enumerate(panels[:len(images)]):
        axes = panel.subplots(1, per_case)
        show_image(axes[0], images[index], "image")
        for ax, (name, cams) in zip(axes[1:], cam_sets.items()):
            show_image(ax, images[index], name)
            overlay = ax.imshow(cams[index], cmap="jet", vmin=0, vmax=1, alpha=alpha)
        if titles is not None:
            panel.suptitle(titles[index], fontsize=SMALL_PT)
    bar = scale.subplots(1, 3, width_ratios=[1, 2, 1])
    bar[0].set_axis_off()
    bar[2].set_axis_off()
    scale.colorbar(overlay, cax=bar[1], orientation="horizontal", label="map weight: 0 (blue) to 1 (red)")
    bar[1].grid(False)
    return fig


@styled
def randomisation_curves(tables: dict[str, pd.DataFrame], floors: dict[str, float] | None = None) -> Figure:
    """Per model: median rank correlation with the original maps (IQR shaded) as layers are randomised top-down."""
    check_tables(tables, RANDOMISATION_COLUMNS, "randomisation table")
    fig, axes, columns = model_panels(len(tables), 3.1, 0.3, sharey=True)
    look = line_style(0)
    for ax, (name, table) in zip(axes, tables.items()):
        ax.fill_between(table.step, table.q25, table.q75, color=look["color"], alpha=0.2, label="interquartile range")
        ax.plot(table.step, table["median rho"], color=look["color"], marker="o", label="median")
        if floors and name in floors:
            ax.axhline(floors[name], color="black", linestyle="--", linewidth=1.2, label="different images")
        ax.set_xticks(table.step, table.randomised, rotation=50, ha="right", fontsize=SMALL_PT)
        ax.set(title=name, ylim=(-0.6, 1.05))
    return label_panels(fig, axes, columns, "Spearman ρ with the original maps", "re-initialised down to", ncols=3)


@styled
def randomisation_maps(images, maps, stages, alpha: float = 0.5) -> Figure:
    """Rows: images (N, 28, 28); columns: each step's maps (steps, N, 28, 28) over the image, titled by `stages`."""
    images = image_stack(images, "images")
    maps = image_stack(maps, "maps", ndim=4)
    if maps.shape[1:] != images.shape or len(stages) != len(maps):
        raise ValueError(f"maps must be ({len(stages)} steps, {len(images)} images, H, W), got {maps.shape}.")
    side = min(1.1, (FIGURE_WIDTH - 0.9) / len(stages))
    fig = new_figure(height=side * len(images) + 0.75, width=min(FIGURE_WIDTH, side * len(stages) + 0.9))
    axes = fig.subplots(len(images), len(stages), squeeze=False)
    for row in range(len(images)):
        for step, ax in enumerate(axes[row]):
            show_image(ax, images[row], textwrap.fill(str(stages[step]), 10) if row == 0 else None)
            overlay = ax.imshow(maps[step, row], cmap="jet", vmin=0, vmax=1, alpha=alpha)
    fig.colorbar(overlay, ax=axes, shrink=0.6, label="map weight (0 to 1)")
    return fig


@styled
def deletion_curves(curves: dict[str, pd.DataFrame]) -> Figure:
    """Per model: mean probability of the explained class as each method's top-ranked pixels are blacked out."""
    if not curves:
        raise ValueError("curves is empty: expected {model: deletion table}.")
    for name, table in curves.items():
        nonempty(table, DELETION_COLUMNS, f"deletion table {name!r}")
    fig, axes, columns = model_panels(len(curves), 2.5, 0.5, sharey=True)
    for ax, (name, table) in zip(axes, curves.items()):
        for index, (method, rows_) in enumerate(table.groupby("method", sort=False)):
            ax.plot(100 * rows_.fraction, 100 * rows_.probability, label=method, **line_style(index))
        ax.set(title=name, ylim=(0, 100))
    return label_panels(fig, axes, columns, "probability of the class (%)", "pixels removed (%)", ncols=4)
