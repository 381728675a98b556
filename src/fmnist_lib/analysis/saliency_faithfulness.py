"""Are the CAMs faithful? Removing the pixels a map ranks highest should hurt the prediction most.

ROAD (Rong et al. 2022) removes a share of pixels, most- or least-relevant first, and fills them by
noisy linear imputation so that the hole itself is no clue; the deletion curve blacks out the
top-ranked pixels (Fashion-MNIST's background is black) in steps. With `explain`, this is the only
module that imports `pytorch_grad_cam` (its ROAD metrics).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from pytorch_grad_cam.metrics.road import ROADLeastRelevantFirst, ROADMostRelevantFirst
from pytorch_grad_cam.utils.model_targets import ClassifierOutputSoftmaxTarget
from scipy import stats
from torch import nn

from ..training.forward import forward, model_device
from ..training.models import Classifier
from .explain import compute_cams
from .saliency_randomisation import cuda_devices, one_thread

FRACTIONS_REMOVED = (0.2, 0.5, 0.8)  # ROAD: percentile p keeps p % of pixels, so p = 100 * (1 - fraction)
DELETION_FRACTIONS = (0.0, 0.1, 0.25, 0.5, 0.75, 1.0)
ROAD_ORDERS = {"most relevant first": ROADMostRelevantFirst, "least relevant first": ROADLeastRelevantFirst}


def untie(cams: np.ndarray, seed: int = 0) -> np.ndarray:
    """Each map (N, H, W) as its pixels' ranks scaled to (0, 1], ties broken at random (seeded).

    Grad-CAM maps have many equal (zero) pixels; ranked this way a ROAD percentile or a
    deletion share removes exactly the intended number of pixels, in the map's own order.
    """
    flat = np.asarray(cams, np.float64).reshape(len(cams), -1)
    jitter = np.random.default_rng(seed).random(flat.shape)
    order = np.lexsort((jitter, flat), axis=-1)  # ascending by value, then by jitter
    ranks = np.empty_like(flat)
    np.put_along_axis(ranks, order, np.arange(1, flat.shape[1] + 1) / flat.shape[1], axis=1)
    return ranks.reshape(np.shape(cams)).astype(np.float32)


def road_changes(model: nn.Module, images: torch.Tensor, cams: np.ndarray, target_classes,
                 fractions=FRACTIONS_REMOVED, seed: int = 0) -> pd.DataFrame:
    """ROAD: change in the target class's probability when a share of pixels is imputed, per image.

    Rows: order ("most relevant first" / "least relevant first"), fraction removed, image,
    change (negative = the prediction weakened). `images` float (N, 1, 28, 28) in [0, 1].
    The imputer's noise comes from the global torch generator: seeded here, restored after.
    """
    ranked = untie(cams, seed)
    targets = [ClassifierOutputSoftmaxTarget(int(c)) for c in target_classes]
    images = images.to(model_device(model))
    probs = torch.softmax(forward(model, images, batch_size=None, channels_last=False), 1)  # one batch
    before = probs[torch.arange(len(images)), torch.as_tensor(np.asarray(target_classes))].numpy()
    rows = []
    with torch.random.fork_rng(devices=cuda_devices([model])):
        torch.manual_seed(seed)
        for order, metric in ROAD_ORDERS.items():
            for fraction in fractions:  # return_diff=False: the unperturbed pass is done once, above
                after = metric(round(100 * (1 - fraction)))(images, ranked, targets, model, return_diff=False)
                rows += [{"order": order, "fraction removed": fraction, "image": i, "change": float(c)}
                         for i, c in enumerate(np.ravel(after) - before)]
    return pd.DataFrame(rows)


@torch.inference_mode()
def deletion_curve(model: nn.Module, images: torch.Tensor, cams: np.ndarray, target_classes,
                   fractions=DELETION_FRACTIONS, fill: float = 0.0, seed: int = 0) -> np.ndarray:
    """Target-class probability (F, N) as the top `fraction` of each map's pixels are set to `fill`."""
    images = images.to(model_device(model))
    ranked = torch.from_numpy(untie(cams, seed)).unsqueeze(1).to(images.device)  # (N, 1, H, W)
    targets = torch.as_tensor(np.asarray(target_classes), dtype=torch.long)
    curve = []
    for fraction in fractions:
        removed = ranked > 1 - fraction  # (N, 1, H, W): the top `fraction` of pixels
        kept = torch.where(removed, torch.full_like(images, fill), images)
        probs = torch.softmax(forward(model, kept, batch_size=None, channels_last=False), dim=1)  # one batch
        curve.append(probs[torch.arange(len(targets)), targets].numpy())
    return np.stack(curve)


@dataclass
class Faithfulness:
    """One model's ROAD changes, deletion curves and ranking of CAM methods."""

    road: pd.DataFrame  # method, order, fraction removed, image, change
    deletion: pd.DataFrame  # method, fraction, mean probability
    ranking: pd.DataFrame  # one row per method, best first
    per_image: pd.DataFrame  # method, image, ROAD score, deletion AUC: for paired comparisons


def faithfulness(model: Classifier, images: torch.Tensor, target_classes, methods, seed: int = 0,
                 fractions=FRACTIONS_REMOVED, deletion_fractions=DELETION_FRACTIONS) -> Faithfulness:
    """ROAD and deletion for each CAM method on the same images and target classes."""
    road, deletion, areas = [], [], []
    with one_thread():
        for method in methods:
            cams = compute_cams(model, images, target_classes, method=method, seed=seed)
            road.append(road_changes(model, images, cams, target_classes, fractions, seed).assign(method=method))
            curves = deletion_curve(model, images, cams, target_classes, deletion_fractions, seed=seed)  # (F, N)
            deletion.append(pd.DataFrame({"method": method, "fraction": deletion_fractions,
                                          "probability": curves.mean(1)}))
            areas.append(pd.DataFrame({"method": method, "image": np.arange(curves.shape[1]),
                                       "deletion AUC": np.trapezoid(curves, deletion_fractions, axis=0)}))
    road, deletion = pd.concat(road, ignore_index=True), pd.concat(deletion, ignore_index=True)
    scores = road.pivot_table(index=["method", "image"], columns="order", values="change", aggfunc="mean")
    per_image = pd.concat(areas).set_index(["method", "image"]).assign(
        **{"ROAD score": (scores["least relevant first"] - scores["most relevant first"]) / 2}).reset_index()
    return Faithfulness(road, deletion, rank_methods(road, deletion), per_image)


def beats_floor(result: Faithfulness, method: str, floor: str = "random", alpha: float = 0.05) -> dict:
    """Whether `method` ranks pixels better than `floor` on the same images: one-sided Wilcoxon signed-rank tests.

    Better means a higher per-image ROAD score and a smaller per-image deletion AUC; each
    counts only with p < alpha, so a difference within the images' noise is not a win.
    """
    table = result.per_image.pivot(index="image", columns="method")
    out = {}
    for column, direction in (("ROAD score", "greater"), ("deletion AUC", "less")):
        difference = (table[column][method] - table[column][floor]).to_numpy()
        p = float(stats.wilcoxon(difference, alternative=direction).pvalue) if np.any(difference != 0) else 1.0
        out[column] = {"p": p, "better": p < alpha}
    return out


def rank_methods(road: pd.DataFrame, deletion: pd.DataFrame) -> pd.DataFrame:
    """Per method: mean ROAD change removing most / least relevant first, ROAD score, deletion AUC; best first.

    ROAD score = (least-relevant-first change - most-relevant-first change) / 2, averaged over
    the fractions (grad-cam's ROADCombined): higher means the map orders pixels by how much
    the model needs them. Deletion AUC is the area under the mean probability curve over the
    fraction removed: lower means the prediction collapses sooner.
    """
    means = road.groupby(["method", "order"], sort=False).change.mean().unstack("order")
    auc = pd.Series({method: float(np.trapezoid(d.probability, d.fraction))
                     for method, d in deletion.groupby("method", sort=False)})
    table = pd.DataFrame({"ROAD most relevant first": means["most relevant first"],
                          "ROAD least relevant first": means["least relevant first"]})
    table["ROAD score"] = (table["ROAD least relevant first"] - table["ROAD most relevant first"]) / 2
    table["deletion AUC"] = auc
    table["rank (ROAD)"] = table["ROAD score"].rank(ascending=False, method="min").astype(int)
    table["rank (deletion)"] = table["deletion AUC"].rank(method="min").astype(int)
    return table.sort_values(["rank (ROAD)", "rank (deletion)"])
