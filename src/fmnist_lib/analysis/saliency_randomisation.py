"""Do the CAMs depend on what the model learned? Adebayo et al.'s cascading model-parameter randomisation.

Re-initialise the model's layers from the output backwards, one group at a time (each architecture's
groups: `training.model_parts.randomisation_stages`), recompute the maps for the originally predicted class,
and measure their Spearman rank correlation with the original maps (Adebayo et al. 2018). A map that
barely changes while the model is destroyed reflects the input, not what the model learned.
"""

from __future__ import annotations

import contextlib
import copy
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from scipy import stats
from torch import nn

from ..training.model_parts import randomisation_stages
from .thresholds import BLANK_MAP
from ..training.models import Classifier
from .explain import compute_cams


@contextlib.contextmanager
def one_thread():
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


def cuda_devices(modules: list[nn.Module]) -> list[int]:
    """The CUDA devices holding the modules' tensors: those whose generators `torch.manual_seed` must not leak into."""
    return sorted({t.device.index for module in modules for t in (*module.parameters(), *module.buffers())
                   if t.is_cuda})


def reinitialise(modules: list[nn.Module], seed: int) -> None:
    """Re-draw every parameter in `modules` as at construction (BatchNorm back to identity), seeded.

    The global torch generators (the CPU's and, for modules on a GPU, its CUDA one) are restored afterwards.
    """
    with torch.random.fork_rng(devices=cuda_devices(modules)):
        torch.manual_seed(seed)
        for module in modules:
            for layer in module.modules():
                if hasattr(layer, "reset_parameters"):
                    layer.reset_parameters()


def blank(maps: np.ndarray, spread: float = BLANK_MAP.value) -> np.ndarray:
    """Per map (N, H, W), whether it is blank: its values span less than `spread` (`thresholds.BLANK_MAP`)."""
    maps = np.asarray(maps, np.float64)
    return np.ptp(maps.reshape(len(maps), -1), axis=1) < spread


def rank_correlations(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Spearman rho of each pair of maps (N, H, W) x (N, H, W) -> (N,); ties share ranks.

    A pair with a blank map (`blank`: all pixels equal, or nearly) has no ranking to compare: NaN. A blank map is
    reported as blank, never as a map that lost its resemblance (which would count as passing the test).
    """
    a, b = (stats.rankdata(np.asarray(m, np.float64).reshape(len(m), -1), axis=1) for m in (first, second))
    a, b = a - a.mean(1, keepdims=True), b - b.mean(1, keepdims=True)
    denominator = np.sqrt((a * a).sum(1) * (b * b).sum(1))
    rho = np.divide((a * b).sum(1), denominator, out=np.zeros(len(a)), where=denominator > 0)
    rho[blank(first) | blank(second)] = np.nan
    return rho


def _summary(step: int, stage: str, rho: np.ndarray, cams: np.ndarray) -> dict:
    valid = rho[~np.isnan(rho)]
    quartiles = np.percentile(valid, [25, 50, 75]) if len(valid) else [np.nan] * 3
    return {"step": step, "randomised": stage, "median rho": quartiles[1], "q25": quartiles[0], "q75": quartiles[2],
            "mean rho": valid.mean() if len(valid) else np.nan,
            "blank maps": float(blank(cams).mean()), "n": len(valid)}


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
    with one_thread():
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


BLANK, PASS, FAIL = "blank", "pass", "fail"


def sanity_verdict(result: RandomisationResult) -> dict:
    """Pass when, with every layer re-drawn, the median rho is closer to the floor than to 1.

    That is: the maps have lost more than half of the way from identical (rho 1) to the
    resemblance of unrelated maps (the floor). `first_below` names the first stage whose
    randomisation brings the median below that midpoint (None if none does). `outcome` is "blank" instead of
    "pass" or "fail" when most of the trained model's maps, or most of the fully re-drawn model's, are blank: a blank
    map ranks nothing, so it can neither keep nor lose a resemblance.
    """
    table = result.table
    midpoint = (1 + result.floor) / 2
    below = table[(table.step > 0) & (table["median rho"] < midpoint)]
    final = float(table["median rho"].iloc[-1])
    shares = table["blank maps"] if "blank maps" in table else pd.Series(0.0, index=table.index)
    if shares.iloc[0] >= 0.5 or shares.iloc[-1] >= 0.5 or np.isnan(final):
        outcome = BLANK
    else:
        outcome = PASS if final < midpoint else FAIL
    return {"passes": outcome == PASS, "outcome": outcome, "final_rho": final, "midpoint": midpoint,
            "floor": result.floor,
            "first_below": None if below.empty else str(below.randomised.iloc[0]),
            "first_below_step": None if below.empty else int(below.step.iloc[0]),
            "top_rho": float(table["median rho"].iloc[1]), "steps": int(table.step.max())}


def sanity_table(results: dict[str, RandomisationResult]) -> pd.DataFrame:
    """`sanity_verdict` of each model's cascade, one row per model."""
    return pd.DataFrame([sanity_verdict(result) for result in results.values()], index=list(results))

