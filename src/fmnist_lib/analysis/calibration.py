"""Calibration: does a model's confidence match how often it is right?

Expected calibration error (ECE) bins predictions by their top-class confidence into 15
equal-width bins and averages |accuracy - confidence| weighted by each bin's share
(Guo et al. 2017); torchmetrics computes it. Temperature scaling divides the logits by
one scalar T > 0 fitted on validation data by minimising the negative log-likelihood:
it changes confidences, never predictions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from scipy import stats
from scipy.optimize import minimize_scalar
from torchmetrics.classification import MulticlassCalibrationError

from ..data.fashion_mnist import NUM_CLASSES, FashionMNIST
from ..errors import ConfigError
from ..runs.cache import Run
from .thresholds import INTERVAL

N_BINS = 15
LOG_T_BOUNDS = (math.log(0.05), math.log(20.0))  # temperatures searched: 0.05 .. 20


def _probabilities(values: torch.Tensor | np.ndarray) -> torch.Tensor:
    probs = torch.as_tensor(values, dtype=torch.float32).cpu()
    if probs.dim() != 2 or probs.shape[1] != NUM_CLASSES:
        raise ValueError(f"probabilities must be (N, {NUM_CLASSES}), got {tuple(probs.shape)}.")
    if probs.min() < 0 or probs.max() > 1 or not torch.allclose(probs.sum(1), torch.ones(len(probs)), atol=1e-3):
        raise ValueError("probabilities must lie in [0, 1] and sum to 1 per row (apply softmax to logits first).")
    return probs


def expected_calibration_error(probabilities, labels, n_bins: int = N_BINS) -> float:
    """ECE (a fraction, 0 = calibrated) of probabilities (N, 10) against labels (N,), via torchmetrics.

    torchmetrics treats inputs outside [0, 1] as logits, so probabilities are checked first.
    """
    metric = MulticlassCalibrationError(num_classes=NUM_CLASSES, n_bins=n_bins, norm="l1")
    return float(metric(_probabilities(probabilities), torch.as_tensor(labels).long().cpu()))


def binned_ece(confidence: np.ndarray, correct: np.ndarray, n_bins: int = N_BINS, axis: int = -1) -> np.ndarray:
    """ECE from top-class confidence and correctness along `axis`, binned exactly as torchmetrics bins them.

    Vectorised over the other axes (a bootstrap's resamples): with equal-width bins [b_k, b_k+1), and a bin of
    its own for confidence 1, ECE = sum over bins of |sum over its images of (correct - confidence)| / N.
    """
    confidence = np.moveaxis(np.asarray(confidence, np.float32), axis, -1)
    correct = np.moveaxis(np.asarray(correct, np.float64), axis, -1)
    edges = np.linspace(0, 1, n_bins + 1, dtype=np.float32)
    bins = np.searchsorted(edges, confidence, side="right") - 1  # torch.bucketize(..., right=True) - 1
    rows = confidence.reshape(-1, confidence.shape[-1])
    offsets = np.arange(len(rows))[:, None] * (n_bins + 1)
    gaps = np.bincount((bins.reshape(rows.shape) + offsets).ravel(),
                       weights=(correct.reshape(rows.shape) - rows).ravel(), minlength=len(rows) * (n_bins + 1))
    ece = np.abs(gaps.reshape(len(rows), n_bins + 1)).sum(1) / rows.shape[1]
    return ece.reshape(confidence.shape[:-1])


def ece_difference(probabilities_a, probabilities_b, labels, *, n_resamples: int = 2_000,
                   confidence: float = INTERVAL.value, seed: int = 0) -> tuple[float, float, float]:
    """ECE(a) - ECE(b) in points, with a percentile interval from resampling test images as pairs (scipy).

    Each resample draws the same images for both models, so what the images share cancels. The interval is
    about these trained weights on this test set, not about the architectures: seeds decide that.
    """
    a, b = _probabilities(probabilities_a).numpy(), _probabilities(probabilities_b).numpy()
    labels = torch.as_tensor(labels).long().cpu().numpy()
    if not len(a) == len(b) == len(labels):
        raise ValueError(f"the two models' probabilities and the labels must cover the same images, got "
                         f"{len(a):,}, {len(b):,} and {len(labels):,}.")
    data = (a.max(1), a.argmax(1) == labels, b.max(1), b.argmax(1) == labels)

    def statistic(conf_a, right_a, conf_b, right_b, axis=-1):
        return 100 * (binned_ece(conf_a, right_a, axis=axis) - binned_ece(conf_b, right_b, axis=axis))

    observed = float(statistic(*data))
    result = stats.bootstrap(data, statistic, paired=True, vectorized=True, n_resamples=n_resamples,
                             confidence_level=confidence, method="percentile", batch=250,
                             rng=np.random.default_rng(seed))
    return observed, float(result.confidence_interval.low), float(result.confidence_interval.high)


def reliability_table(probabilities, labels, n_bins: int = N_BINS) -> pd.DataFrame:
    """Per confidence bin: its edges, mean confidence, accuracy and count (empty bins kept, NaN means).

    Bins are [k/n, (k+1)/n) as torchmetrics forms them; a confidence of exactly 1 is
    counted in the top bin. sum(count / N * |accuracy - confidence|) is the ECE.
    """
    probs = _probabilities(probabilities)
    confidence, prediction = probs.max(1)
    correct = (prediction == torch.as_tensor(labels).long().cpu()).double()
    boundaries = torch.linspace(0, 1, n_bins + 1, dtype=confidence.dtype)  # torchmetrics' edges
    index = (torch.bucketize(confidence, boundaries, right=True) - 1).clamp(max=n_bins - 1).numpy()  # (N,)
    count = np.bincount(index, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_confidence = np.bincount(index, confidence.double().numpy(), n_bins) / count
        accuracy = np.bincount(index, correct.numpy(), n_bins) / count
    edges = np.arange(n_bins + 1) / n_bins
    return pd.DataFrame({"lower": edges[:-1], "upper": edges[1:], "confidence": mean_confidence,
                         "accuracy": accuracy, "count": count})


def nll(logits, labels, temperature: float = 1.0) -> float:
    """Mean negative log-likelihood (nats) of labels under softmax(logits / temperature)."""
    logits = torch.as_tensor(logits, dtype=torch.float64).cpu()
    return float(F.cross_entropy(logits / temperature, torch.as_tensor(labels).long().cpu()))


def fit_temperature(logits, labels) -> float:
    """The temperature minimising validation NLL, searched on log T (bounded, deterministic, no learning rate).

    T > 1 softens over-confident predictions, T < 1 sharpens timid ones. T = 1 lies in the
    search range, so the fitted NLL is never above the unscaled one (up to the solver's tolerance).
    """
    logits = torch.as_tensor(logits, dtype=torch.float64).cpu()
    labels = torch.as_tensor(labels).long().cpu()
    result = minimize_scalar(lambda log_t: nll(logits, labels, math.exp(log_t)), bounds=LOG_T_BOUNDS,
                             method="bounded", options={"xatol": 1e-4})
    best = math.exp(result.x)
    return best if nll(logits, labels, best) <= nll(logits, labels) else 1.0


def softmax(logits, temperature: float = 1.0) -> torch.Tensor:
    """Probabilities (N, 10) float32 on the CPU of logits scaled by 1 / temperature."""
    return torch.softmax(torch.as_tensor(logits, dtype=torch.float32).cpu() / temperature, dim=1)


def validation_logits(run: Run, n_images: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(logits, labels) of a run's final weights on the first `n_images` of its validation split (None = all).

    Temperature must be fitted on data the test never sees: the run's stored fp32 validation predictions
    (`Run.validation_predictions`), so the fit sees the same exact logits whatever precision the run trained in.
    """
    logits, labels = run.validation_predictions()
    if n_images is not None and n_images > len(labels):
        raise ConfigError(f"Run {run.path.name} stores validation predictions of {len(labels):,} images, fewer than "
                          f"the {n_images:,} asked for.")
    return logits[:n_images], labels[:n_images].long()


def calibration_table(test_logits: dict, test_labels, temperatures: dict[str, float],
                      val_nll: dict[str, tuple[float, float]] | None = None) -> pd.DataFrame:
    """One row per model: accuracy, ECE and NLL on the test set before and after its temperature.

    `test_logits`: {model: logits (N, 10)}; `temperatures`: {model: T}; `val_nll`:
    optional {model: (NLL before, NLL after)} on the validation images the temperature came from.
    """
    rows = []
    for name, logits in test_logits.items():
        t = temperatures[name]
        plain, scaled = softmax(logits), softmax(logits, t)
        row = {"model": name, "accuracy": float((plain.argmax(1) == torch.as_tensor(test_labels).cpu()).float().mean()),
               "temperature": t, "ECE": expected_calibration_error(plain, test_labels),
               "ECE scaled": expected_calibration_error(scaled, test_labels),
               "NLL": nll(logits, test_labels), "NLL scaled": nll(logits, test_labels, t)}
        if val_nll is not None:
            row["val NLL"], row["val NLL scaled"] = val_nll[name]
        rows.append(row)
    return pd.DataFrame(rows).set_index("model")


@dataclass
class Calibrated:
    """Several runs' temperatures fitted on validation images, and their test calibration before and after."""

    temperatures: dict[str, float]
    table: pd.DataFrame  # `calibration_table`, with the validation NLL before and after
    reliability: dict[str, pd.DataFrame]  # `reliability_table` of each run's unscaled test softmax
    val_images: dict[str, int]  # validation images each temperature was fitted on
    test_logits: dict[str, torch.Tensor] = field(default_factory=dict)  # what the test rows were measured on
    test_labels: torch.Tensor | None = None

    def ece_differences(self, models, *, seed: int = 0) -> dict[str, tuple[float, float, float]]:
        """Test ECE (before scaling) of each of `models` minus the lowest among them, in points: {model: (mean,
        low, high)} from `ece_difference`, the paired bootstrap over test images. Needs two models or more."""
        models = list(models)
        if len(models) < 2 or self.test_labels is None or not set(models) <= set(self.test_logits):
            raise ValueError(f"ECE differences need two models or more with stored test logits, got {models}.")
        best = min(models, key=lambda name: self.table.loc[name, "ECE"])
        return {name: ece_difference(softmax(self.test_logits[name]), softmax(self.test_logits[best]),
                                     self.test_labels, seed=seed) for name in models if name != best}


def calibrate(runs: dict[str, Run], data: FashionMNIST, val_images: dict[str, int] | None = None,
              device: str = "cpu") -> Calibrated:
    """Fit each run's temperature on the first `val_images[model]` validation images (a model not named: all).

    The validation logits are the runs' stored ones, so `device` is no longer used (kept for existing callers).
    """
    val_images = val_images or {}
    validation = {name: validation_logits(run, val_images.get(run.config.model)) for name, run in runs.items()}
    temperatures = {name: fit_temperature(*pair) for name, pair in validation.items()}
    val_nll = {name: (nll(*pair), nll(*pair, temperatures[name])) for name, pair in validation.items()}
    test_logits = {name: run.predictions()[0] for name, run in runs.items()}
    reliability = {name: reliability_table(softmax(logits), data.test_labels) for name, logits in test_logits.items()}
    return Calibrated(temperatures, calibration_table(test_logits, data.test_labels, temperatures, val_nll),
                      reliability, {name: len(pair[1]) for name, pair in validation.items()}, test_logits,
                      torch.as_tensor(data.test_labels))

