"""Class activation maps and region statistics that test claims about them.

With `saliency_faithfulness` (ROAD needs it), the only module importing `pytorch_grad_cam`; `saliency_randomisation`
and `saliency_faithfulness` check whether these maps can be trusted.

A CAM here is a (28, 28) float map in [0, 1] over the input pixels. Region
statistics measure where its *mass* (sum of values) lies relative to the
garment: on the object's pixels, and in thirds of the object's bounding box.
The three `*_claim` functions turn the write-up's Grad-CAM observations into
numbers with a baseline, a p-value and a `supported` flag decided by a stated rule.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch
from pytorch_grad_cam import EigenCAM, GradCAM, GradCAMPlusPlus, RandomCAM
from pytorch_grad_cam.utils.image import show_cam_on_image
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
from scipy import stats

from ..data.batches import to_unit_float
from ..data.classes import GARMENTS
from ..data.fashion_mnist import CLASS_NAMES, NUM_CLASSES
from ..data.writeup import SNEAKER_VS_ANKLE_BOOT
from ..errors import ConfigError
from ..training.model_parts import gradcam_layer
from ..training.models import Classifier
from .thresholds import ALPHA, MIN_ERRORS, OBJECT_PIXEL

CAM_METHODS: dict[str, type] = {
    "gradcam": GradCAM,
    "gradcam++": GradCAMPlusPlus,
    "eigencam": EigenCAM,
    "random": RandomCAM,  # baseline: random channel weights
}
BANDS = ("left", "center", "right", "top", "middle", "bottom")


def _unit_images(images: torch.Tensor | np.ndarray) -> torch.Tensor:
    """uint8 (N, 28, 28) or float (N, 1, 28, 28) / (N, 28, 28) in [0, 1] -> a new float tensor (N, 1, 28, 28)."""
    images = torch.as_tensor(images)
    if images.dtype == torch.uint8:
        return to_unit_float(images)  # (N, 1, 28, 28)
    images = images.float().clone()
    return images.unsqueeze(1) if images.dim() == 3 else images  # (N, 1, 28, 28)


def _check_method(method: str) -> type:
    if method not in CAM_METHODS:
        raise ConfigError(f"Unknown CAM method {method!r}. Choose one of: {', '.join(CAM_METHODS)}.")
    return CAM_METHODS[method]


@contextlib.contextmanager
def _numpy_seed(seed: int):
    """Seed NumPy's global generator (RandomCAM draws from it) and restore its state afterwards."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


def _check_targets(target_classes: Sequence[int] | None, n: int) -> list[int] | None:
    """The target classes as ints, one per image and each a real class (grad-cam would swallow an IndexError)."""
    if target_classes is None:
        return None
    targets = [int(c) for c in target_classes]
    if len(targets) != n or any(not 0 <= c < NUM_CLASSES for c in targets):
        raise ConfigError(f"target_classes needs one class in 0..{NUM_CLASSES - 1} per image ({n} images).")
    return targets


def compute_cams(model: Classifier, images: torch.Tensor, target_classes: Sequence[int] | None,
                 method: str = "gradcam", batch_size: int = 256, *, seed: int = 0) -> np.ndarray:
    """CAMs (N, 28, 28) float32 in [0, 1], each min-max scaled, at `gradcam_layer(model)`.

    `images`: uint8 (N, 28, 28) or float (N, 1, 28, 28) in [0, 1], never modified.
    `target_classes`: one class per image (e.g. the predicted one), or None for
    the class the model predicts. `seed` fixes the "random" baseline. The model
    is left in eval mode (grad-cam switches it) with its gradients cleared.
    """
    cam_class = _check_method(method)
    with torch.inference_mode(False), torch.enable_grad():  # grad-cam needs autograd, even if the caller turned it off
        pixels = _unit_images(images)  # (N, 1, 28, 28)
        n = pixels.shape[0]
        targets = _check_targets(target_classes, n)
        device = next(model.parameters()).device
        chunks = []
        with _numpy_seed(seed), cam_class(model=model, target_layers=[gradcam_layer(model)]) as cam:
            for start in range(0, n, batch_size):
                x = pixels[start: start + batch_size].to(device)  # (B, 1, 28, 28)
                batch_targets = (None if targets is None
                                 else [ClassifierOutputTarget(c) for c in targets[start: start + batch_size]])
                chunks.append(cam(input_tensor=x, targets=batch_targets))  # (B, 28, 28)
    model.eval()
    model.zero_grad(set_to_none=True)
    cams = np.concatenate(chunks) if chunks else np.zeros((0, *pixels.shape[-2:]))
    if cams.shape[0] != n:  # grad-cam's context manager swallows IndexError: never return a short result
        raise RuntimeError(f"grad-cam returned {cams.shape[0]} maps for {n} images")
    return np.clip(cams, 0, 1).astype(np.float32)


def overlay(image: torch.Tensor | np.ndarray, cam: np.ndarray) -> np.ndarray:
    """The CAM as a jet heatmap blended over the grey image: (28, 28, 3) float in [0, 1], for plotting."""
    grey = _unit_images(torch.as_tensor(image)[None])[0, 0].cpu().numpy()  # (28, 28)
    rgb = np.repeat(grey[:, :, None], 3, axis=2).astype(np.float32)  # (28, 28, 3)
    return show_cam_on_image(rgb, np.asarray(cam, dtype=np.float32), use_rgb=True).astype(np.float32) / 255


def object_mask(images: torch.Tensor | np.ndarray, threshold: float = OBJECT_PIXEL.value) -> np.ndarray:
    """The garment's silhouette, bool (N, 28, 28): pixels brighter than `threshold` (in [0, 1] units).

    Fashion-MNIST backgrounds are 0, so a small threshold keeps the whole object.
    """
    return _unit_images(images)[:, 0].cpu().numpy() > threshold


def _band_labels(present: np.ndarray) -> np.ndarray:
    """Thirds of the object's extent along one axis: (28,) of 0, 1, 2 inside [first, last] object pixel, -1 outside.

    `present` (28,) bool says which rows (or columns) hold object pixels; an
    empty mask spans the whole axis. Band edges are rounded to whole pixels.
    """
    where, positions = np.flatnonzero(present), np.arange(len(present))
    first, stop = (where[0], where[-1] + 1) if len(where) else (0, len(present))
    edges = np.round(first + (stop - first) * np.array([1 / 3, 2 / 3])).astype(int)
    labels = np.searchsorted(edges, positions, side="right")  # (28,) in 0..2
    labels[(positions < first) | (positions >= stop)] = -1
    return labels


def _shares(weights: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> list[float]:
    """Shares of the in-box `weights` (28, 28) in the column (left/center/right) and row (top/middle/bottom) thirds."""
    boxed = weights * ((rows >= 0)[:, None] & (cols >= 0)[None, :])  # (28, 28)
    total = boxed.sum()
    if total <= 0:
        return [np.nan] * len(BANDS)
    by_col = [boxed[:, cols == b].sum() / total for b in range(3)]
    by_row = [boxed[rows == b, :].sum() / total for b in range(3)]
    return by_col + by_row


def cam_mass_fractions(cams: np.ndarray, images: torch.Tensor | np.ndarray,
                       threshold: float = OBJECT_PIXEL.value) -> pd.DataFrame:
    """Where each CAM's mass lies, one row per image (NaN where a CAM is all zero).

    on_object: CAM mass on `object_mask` pixels / all CAM mass; object_area: the
    mask's share of the image (what a uniform CAM would give). in_box: mass
    inside the object's bounding box / all mass. left, center, right: mass in the
    column thirds of the bounding box, and top, middle, bottom: in its row
    thirds, each / mass inside the box (so each triple sums to 1). bottom is the
    sole and top the ankle for footwear; center is the torso, left/right the
    sleeves for upper garments. object_<band>: the silhouette's pixel share in
    the same band, the baseline of a CAM spread evenly over the garment.
    """
    cams = np.asarray(cams, dtype=np.float64)  # (N, 28, 28)
    masks = object_mask(images, threshold)  # (N, 28, 28)
    rows = []
    for cam, mask in zip(cams, masks):
        row_bands, col_bands = _band_labels(mask.any(1)), _band_labels(mask.any(0))
        total = cam.sum()
        boxed = cam[row_bands >= 0][:, col_bands >= 0].sum()
        rows.append([(cam * mask).sum() / total if total > 0 else np.nan, mask.mean(),
                     boxed / total if total > 0 else np.nan,
                     *_shares(cam, row_bands, col_bands), *_shares(mask.astype(float), row_bands, col_bands)])
    columns = ["on_object", "object_area", "in_box", *BANDS, *(f"object_{b}" for b in BANDS)]
    return pd.DataFrame(rows, columns=columns, dtype=float)


def cam_spread(cams: np.ndarray, mass: float = 0.5) -> np.ndarray:
    """Per CAM, the fraction of the image's pixels needed to hold `mass` of its total, brightest pixels first.

    Small = localised (one hot pixel: 1/784), 0.5 for a flat map at mass 0.5;
    NaN for an all-zero CAM. Shape (N,).
    """
    flat = np.sort(np.asarray(cams, dtype=np.float64).reshape(len(cams), -1), axis=1)[:, ::-1]  # (N, 784) descending
    totals = flat.sum(1)  # (N,)
    needed = (np.cumsum(flat, axis=1) < mass * totals[:, None] * (1 - 1e-9)).sum(1) + 1  # pixels to reach `mass`
    return np.where(totals > 0, needed / flat.shape[1], np.nan)


def _p(test, *args, **kwargs) -> float:
    """A scipy test's p-value, NaN where the test is undefined (too few or all-equal values)."""
    try:
        return float(test(*args, **kwargs).pvalue)
    except ValueError:
        return np.nan


def _spearman(x: np.ndarray, y: np.ndarray, alternative: str | None = None):
    """Spearman rho (and its p-value when `alternative` is given); NaN when either input is constant."""
    constant = np.ptp(x) == 0 or np.ptp(y) == 0
    if alternative is None:
        return np.nan if constant else float(stats.spearmanr(x, y).statistic)
    return (np.nan, np.nan) if constant else stats.spearmanr(x, y, alternative=alternative)


def _region_claim(cams, images, labels, predictions, classes, band: str, direction: str, alpha: float,
                  min_n: int) -> dict:
    """Excess = CAM share in `band` minus the silhouette's share there, on errors within `classes`.

    Supported when at least `min_n` errors have a CAM, their median excess has the
    claimed sign (`direction` "greater" or "less") and a one-sided Wilcoxon
    signed-rank test against 0 gives p < alpha. The same excess on correctly
    classified images of those classes is the comparison (one-sided Mann-Whitney U).
    """
    labels, predictions = np.asarray(labels), np.asarray(predictions)
    inside = np.isin(labels, classes) & np.isin(predictions, classes)
    wrong, right = inside & (labels != predictions), inside & (labels == predictions)
    fractions = cam_mass_fractions(cams, images)
    excess = (fractions[band] - fractions[f"object_{band}"]).to_numpy()  # (N,), NaN for all-zero CAMs
    errors, correct = excess[wrong & ~np.isnan(excess)], excess[right & ~np.isnan(excess)]
    p_value = _p(stats.wilcoxon, errors, alternative=direction) if len(errors) >= min_n else np.nan
    p_vs_correct = (_p(stats.mannwhitneyu, errors, correct, alternative=direction)
                    if min(len(errors), len(correct)) >= min_n else np.nan)
    median = float(np.median(errors)) if len(errors) else np.nan
    sign_ok = median > 0 if direction == "greater" else median < 0
    pairs = pd.Series([f"{CLASS_NAMES[t]} -> {CLASS_NAMES[p]}" for t, p in zip(labels[wrong], predictions[wrong])])
    return {
        "n_errors": int(len(errors)), "n_correct": int(len(correct)),
        "pairs": {name: int(count) for name, count in pairs.value_counts().items()},
        f"median_{band}_errors": float(fractions[band][wrong].median()),
        f"median_object_{band}_errors": float(fractions[f"object_{band}"][wrong].median()),
        "median_excess_errors": median,
        "median_excess_correct": float(np.median(correct)) if len(correct) else np.nan,
        "p_value": p_value, "p_value_vs_correct": p_vs_correct,
        "supported": bool(len(errors) >= min_n and sign_ok and p_value < alpha),
    }


def silhouette_claim(cams: np.ndarray, images, labels, predictions, classes: Sequence[int] = GARMENTS,
                     alpha: float = ALPHA.value, min_n: int = MIN_ERRORS.value) -> dict:
    """Claim (a): in garment confusions the CAM sits on the central (torso) band more than the silhouette does.

    Inputs are aligned over the same images: cams (N, 28, 28), images (uint8
    or float), true labels and predictions (N,). Errors = label != prediction with
    both in `classes` (garments by default); correct images of those classes are
    the comparison. Statistic: excess = `center` - `object_center` of
    `cam_mass_fractions`; supported if the errors' median excess > 0 with a
    one-sided Wilcoxon p < alpha (and n >= min_n). `p_value_vs_correct` says
    whether errors are more central than correct predictions.
    """
    return _region_claim(cams, images, labels, predictions, classes, "center", "greater", alpha, min_n)


def footwear_claim(cams: np.ndarray, images, labels, predictions, classes: Sequence[int] = SNEAKER_VS_ANKLE_BOOT,
                   alpha: float = ALPHA.value, min_n: int = MIN_ERRORS.value) -> dict:
    """Claim (b): in Sneaker <-> Ankle boot errors the ankle height (top third of the box) gets little CAM mass.

    Inputs as for `silhouette_claim`. Statistic: excess = `top` - `object_top`
    (CAM share of the top third minus the shoe's pixel share there; the rest,
    sole and mid-body, gets the complement); supported if the errors' median
    excess < 0 with a one-sided Wilcoxon p < alpha (and n >= min_n).
    """
    return _region_claim(cams, images, labels, predictions, classes, "top", "less", alpha, min_n)


def diffuse_claim(cams: np.ndarray, entropies: np.ndarray, images=None, alpha: float = ALPHA.value,
                  min_n: int = MIN_ERRORS.value) -> dict:
    """Claim (c): higher prediction entropy goes with broader CAMs (larger `cam_spread`).

    Inputs aligned over the same images (the write-up looked at errors):
    cams (N, 28, 28) and prediction entropies (N,) in nats; images optional.
    Statistic: Spearman rho of entropy vs spread, one-sided; supported if
    rho > 0 and p < alpha (and n >= min_n). Also the median spread of the
    images above vs at-or-below the median entropy, and, with images, rho of
    entropy vs object area (big garments give broad maps: a confound to check).
    """
    spread, entropies = cam_spread(cams), np.asarray(entropies, dtype=float)
    keep = ~np.isnan(spread)
    spread, entropy = spread[keep], entropies[keep]
    enough = len(spread) >= min_n
    rho, p_value = _spearman(entropy, spread, alternative="greater") if enough else (np.nan, np.nan)
    high = entropy > np.median(entropy) if len(entropy) else np.zeros(0, bool)
    result = {
        "n": int(len(spread)), "n_all_zero_cams": int((~keep).sum()),
        "rho": float(rho), "p_value": float(p_value),
        "median_spread_high_entropy": float(np.median(spread[high])) if high.any() else np.nan,
        "median_spread_low_entropy": float(np.median(spread[~high])) if (~high).any() else np.nan,
        "supported": bool(enough and rho > 0 and p_value < alpha),
    }
    if images is not None:
        area = object_mask(images).mean(axis=(1, 2))[keep]  # (n,)
        result["rho_entropy_object_area"] = _spearman(entropy, area) if enough else np.nan
    return result


def claim_verdict(result: dict, min_n: int = MIN_ERRORS.value) -> str:
    """A claim's result in plain words: supported, not supported, or too few qualifying errors to test."""
    n = result.get("n_errors", result.get("n", 0))
    if n < min_n:
        return f"not testable here (only {n} qualifying errors, fewer than {min_n})"
    return "supported by these data" if result["supported"] else "not supported by these data"
