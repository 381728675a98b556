"""The explainability and saliency pages' figures: CAMs over images, the randomisation cascade, deletion curves."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .common import check_length, check_tables, image_stack, new_figure, nonempty, show_image, styled

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
    """One row per image: the image, then each named CAM set (N, 28, 28) in [0, 1] as 'jet' over it."""
    images = image_stack(images, "images")
    cam_sets = _check_cams(cam_sets, images.shape)
    check_length(titles, len(images), "titles", "images")
    fig = new_figure(1.9 * (len(cam_sets) + 1) + 0.8, 2.0 * len(images))
    axes = fig.subplots(len(images), len(cam_sets) + 1, squeeze=False)
    for index, row in enumerate(axes):
        show_image(row[0], images[index], titles[index] if titles is not None else "image")
        for ax, (name, cams) in zip(row[1:], cam_sets.items()):
            show_image(ax, images[index], name)
            overlay = ax.imshow(cams[index], cmap="jet", vmin=0, vmax=1, alpha=alpha)
    fig.colorbar(overlay, ax=axes, shrink=0.6, label="Grad-CAM weight (0-1)")
    return fig


@styled
def randomisation_curves(tables: dict[str, pd.DataFrame], floors: dict[str, float] | None = None) -> Figure:
    """Per model: median rank correlation with the original maps (IQR shaded) as layers are randomised top-down."""
    check_tables(tables, RANDOMISATION_COLUMNS, "randomisation table")
    fig = new_figure(3.2 * len(tables) + 0.4, 3.9)
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


@styled
def randomisation_maps(images, maps, stages, alpha: float = 0.5) -> Figure:
    """Rows: images (N, 28, 28); columns: each step's maps (steps, N, 28, 28) over the image, titled by `stages`."""
    images = image_stack(images, "images")
    maps = image_stack(maps, "maps", ndim=4)
    if maps.shape[1:] != images.shape or len(stages) != len(maps):
        raise ValueError(f"maps must be ({len(stages)} steps, {len(images)} images, H, W), got {maps.shape}.")
    fig = new_figure(1.35 * len(stages) + 0.8, 1.45 * len(images) + 0.6)
    axes = fig.subplots(len(images), len(stages), squeeze=False)
    for row in range(len(images)):
        for step, ax in enumerate(axes[row]):
            show_image(ax, images[row], stages[step] if row == 0 else None)
            overlay = ax.imshow(maps[step, row], cmap="jet", vmin=0, vmax=1, alpha=alpha)
    fig.colorbar(overlay, ax=axes, shrink=0.6, label="map weight (0-1)")
    return fig


@styled
def deletion_curves(curves: dict[str, pd.DataFrame]) -> Figure:
    """Per model: mean probability of the explained class as each method's top-ranked pixels are blacked out."""
    if not curves:
        raise ValueError("curves is empty: expected {model: deletion table}.")
    for name, table in curves.items():
        nonempty(table, DELETION_COLUMNS, f"deletion table {name!r}")
    fig = new_figure(3.1 * len(curves) + 0.6, 3.4)
    axes = fig.subplots(1, len(curves), squeeze=False, sharey=True)[0]
    for ax, (name, table) in zip(axes, curves.items()):
        for index, (method, rows) in enumerate(table.groupby("method", sort=False)):
            ax.plot(100 * rows.fraction, 100 * rows.probability, marker="o", markersize=3, color=f"C{index}",
                    label=method)
        ax.set(title=name, xlabel="pixels removed (%)", ylim=(0, 100))
    axes[0].set_ylabel("probability of the class (%)")
    axes[-1].legend(fontsize="small")
    return fig
