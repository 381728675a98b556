"""Can the CAMs be trusted? A sanity check and faithfulness metrics for the maps of `explain`.

Sanity check (Adebayo et al. 2018, cascading model-parameter randomisation): re-initialise
the model's layers from the output backwards, one group at a time, recompute the maps
for the originally predicted class, and measure their Spearman rank correlation with the
original maps. A map that barely changes while the model is destroyed reflects the input,
not what the model learned.

Faithfulness: does removing the pixels a map ranks highest hurt the prediction most?
ROAD (Rong et al. 2022) removes a share of pixels, most- or least-relevant first, and
fills them by noisy linear imputation so that the hole itself is no clue; the deletion
curve blacks out the top-ranked pixels (Fashion-MNIST's background is black) in steps.
With `explain`, this is the only module that imports `pytorch_grad_cam` (its ROAD metrics).
"""

from __future__ import annotations

import contextlib
import copy
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from pytorch_grad_cam.metrics.road import ROADLeastRelevantFirst, ROADMostRelevantFirst
from pytorch_grad_cam.utils.model_targets import ClassifierOutputSoftmaxTarget
from scipy import stats
from torch import nn
from torchvision import models as tv_models

from .explain import compute_cams
from .models import Classifier, CustomCNN

FRACTIONS_REMOVED = (0.2, 0.5, 0.8)  # ROAD: percentile p keeps p % of pixels, so p = 100 * (1 - fraction)
DELETION_FRACTIONS = (0.0, 0.1, 0.25, 0.5, 0.75, 1.0)
ROAD_ORDERS = {"most relevant first": ROADMostRelevantFirst, "least relevant first": ROADLeastRelevantFirst}


# ---- cascading randomisation --------------------------------------------------------------------

@contextlib.contextmanager
def _one_thread():
    """Run torch on one intra-op thread, restoring the count afterwards.

    The checks are hundreds of passes of a few images each. A second thread speeds them up
    by about 1.5 x on an idle 2-core machine, but on one busy with other work the two threads
    wait on each other at every operation: the smoke profile's saliency page took 109 s with
    two threads and 39 s with one on this project's shared 2-core machine.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _conv_groups(block: nn.Sequential, name: str) -> list[tuple[str, list[nn.Module]]]:
    """Each convolution of a block with the BatchNorm that follows it, last convolution first."""
    layers = list(block)
    groups = [[layer] + [n for n in layers[i + 1: i + 2] if isinstance(n, nn.BatchNorm2d)]
              for i, layer in enumerate(layers) if isinstance(layer, nn.Conv2d)]
    return [(f"{name}, conv {i + 1}", group) for i, group in reversed(list(enumerate(groups)))]


def _vgg_blocks(features: nn.Sequential) -> list[list[nn.Module]]:
    """VGG's convolution blocks: the runs of layers between poolings (or the identities that replaced them)."""
    blocks, current = [], []
    for layer in features:
        if isinstance(layer, (nn.MaxPool2d, nn.Identity)):
            blocks.append(current)
            current = []
        else:
            current.append(layer)
    return blocks + ([current] if current else [])


def randomisation_stages(model: Classifier) -> list[tuple[str, list[nn.Module]]]:
    """The model's layer groups from the output backwards, each named, as the cascade re-initialises them.

    custom CNN: output layer, hidden layer, then each convolution (with its BatchNorm);
    VGG: output layer, hidden layer, then the five convolution blocks; ResNet-18: the
    output layer, its four stages and the stem.
    """
    net = model.net
    if isinstance(net, CustomCNN):
        stages = [("output layer", [net.classifier[-1]]), ("hidden layer", [net.classifier[1], net.classifier[2]])]
        for index in reversed(range(len(net.features))):
            stages += _conv_groups(net.features[index], f"block {index + 1}")
        return stages
    if isinstance(net, tv_models.VGG):
        blocks = _vgg_blocks(net.features)
        return ([("output layer", [net.classifier[-1]]), ("hidden layer", [net.classifier[0]])]
                + [(f"block {i + 1}", blocks[i]) for i in reversed(range(len(blocks)))])
    if isinstance(net, tv_models.ResNet):
        return ([("output layer", [net.fc])] + [(name, [getattr(net, name)]) for name in
                                                 ("layer4", "layer3", "layer2", "layer1")]
                + [("stem", [net.conv1, net.bn1])])
    raise TypeError(f"no randomisation stages known for {type(net).__name__}")


def _cuda_devices(modules: list[nn.Module]) -> list[int]:
    """The CUDA devices holding the modules' tensors: those whose generators `torch.manual_seed` must not leak into."""
    return sorted({t.device.index for module in modules for t in (*module.parameters(), *module.buffers())
                   if t.is_cuda})


def reinitialise(modules: list[nn.Module], seed: int) -> None:
    """Re-draw every parameter in `modules` as at construction (BatchNorm back to identity), seeded.

    The global torch generators (the CPU's and, for modules on a GPU, its CUDA one) are restored afterwards.
    """
    with torch.random.fork_rng(devices=_cuda_devices(modules)):
        torch.manual_seed(seed)
        for module in modules:
            for layer in module.modules():
                if hasattr(layer, "reset_parameters"):
                    layer.reset_parameters()


def rank_correlations(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Spearman rho of each pair of maps (N, H, W) x (N, H, W) -> (N,); ties share ranks.

    A blank second map (all pixels equal) shares no ranking with the first: rho 0. A blank
    first map has nothing to compare: NaN.
    """
    a, b = (stats.rankdata(np.asarray(m, np.float64).reshape(len(m), -1), axis=1) for m in (first, second))
    a, b = a - a.mean(1, keepdims=True), b - b.mean(1, keepdims=True)
    denominator = np.sqrt((a * a).sum(1) * (b * b).sum(1))
    rho = np.divide((a * b).sum(1), denominator, out=np.zeros(len(a)), where=denominator > 0)
    rho[np.ptp(a, axis=1) == 0] = np.nan
    return rho


def _summary(step: int, stage: str, rho: np.ndarray, cams: np.ndarray) -> dict:
    valid = rho[~np.isnan(rho)]
    quartiles = np.percentile(valid, [25, 50, 75]) if len(valid) else [np.nan] * 3
    return {"step": step, "randomised": stage, "median rho": quartiles[1], "q25": quartiles[0], "q75": quartiles[2],
            "mean rho": valid.mean() if len(valid) else np.nan,
            "blank maps": float((np.ptp(cams.reshape(len(cams), -1), axis=1) == 0).mean()), "n": len(valid)}


@dataclass
class RandomisationResult:
    """The cascade's per-step summary, the maps of the first few images at every step, and a floor."""

    table: pd.DataFrame  # one row per step; step 0 is the untouched model (a fresh copy, recomputed)
    examples: np.ndarray  # (steps + 1, n_examples, 28, 28)
    floor: float  # median rho between the original maps of different images: what unrelated maps share


def unrelated_floor(cams: np.ndarray, seed: int = 0) -> float:
    """Median rank correlation between the maps of different images (each paired with another at random)."""
    if len(cams) < 2:
        return np.nan
    order = np.random.default_rng(seed).permutation(len(cams))
    partner = np.empty_like(order)
    partner[order] = np.roll(order, 1)  # a cycle: nobody is paired with itself
    return float(np.nanmedian(rank_correlations(cams, cams[partner])))


def cascading_randomisation(model: Classifier, images, target_classes, method: str = "gradcam", seed: int = 0,
                            n_examples: int = 4) -> RandomisationResult:
    """Adebayo et al.'s cascade on a copy of `model` (never changed): maps of `images` for `target_classes`.

    Layers are re-initialised top-down by `randomisation_stages`, stage k seeded with seed + k,
    and each step's maps are compared with the original maps by `rank_correlations`.
    """
    with _one_thread():
        return _cascade(model, images, target_classes, method, seed, n_examples)


def _cascade(model, images, target_classes, method, seed, n_examples) -> RandomisationResult:
    original = compute_cams(model, images, target_classes, method=method, seed=seed)
    twin = copy.deepcopy(model)
    cams = compute_cams(twin, images, target_classes, method=method, seed=seed)
    rows, examples = [_summary(0, "none", rank_correlations(original, cams), cams)], [cams[:n_examples]]
    for step, (stage, modules) in enumerate(randomisation_stages(twin), start=1):
        reinitialise(modules, seed + step)
        cams = compute_cams(twin, images, target_classes, method=method, seed=seed)
        rows.append(_summary(step, stage, rank_correlations(original, cams), cams))
        examples.append(cams[:n_examples])
    return RandomisationResult(pd.DataFrame(rows), np.stack(examples), unrelated_floor(original, seed))


def sanity_verdict(result: RandomisationResult) -> dict:
    """Pass when, with every layer re-drawn, the median rho is closer to the floor than to 1.

    That is: the maps have lost more than half of the way from identical (rho 1) to the
    resemblance of unrelated maps (the floor). `first_below` names the first stage whose
    randomisation brings the median below that midpoint (None if none does).
    """
    table = result.table
    midpoint = (1 + result.floor) / 2
    below = table[(table.step > 0) & (table["median rho"] < midpoint)]
    final = float(table["median rho"].iloc[-1])
    return {"passes": bool(final < midpoint), "final_rho": final, "midpoint": midpoint, "floor": result.floor,
            "first_below": None if below.empty else str(below.randomised.iloc[0]),
            "first_below_step": None if below.empty else int(below.step.iloc[0]),
            "top_rho": float(table["median rho"].iloc[1]), "steps": int(table.step.max())}


# ---- faithfulness -------------------------------------------------------------------------------

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
    images = images.to(next(model.parameters()).device)
    with torch.no_grad():
        probs = torch.softmax(model(images), 1).cpu()
    before = probs[torch.arange(len(images)), torch.as_tensor(np.asarray(target_classes))].numpy()
    rows = []
    with torch.random.fork_rng(devices=_cuda_devices([model])):
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
    images = images.to(next(model.parameters()).device)
    ranked = torch.from_numpy(untie(cams, seed)).unsqueeze(1).to(images.device)  # (N, 1, H, W)
    targets = torch.as_tensor(np.asarray(target_classes), dtype=torch.long)
    model.eval()
    curve = []
    for fraction in fractions:
        removed = ranked > 1 - fraction  # (N, 1, H, W): the top `fraction` of pixels
        probs = torch.softmax(model(torch.where(removed, torch.full_like(images, fill), images)), dim=1).cpu()
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
    with _one_thread():
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
