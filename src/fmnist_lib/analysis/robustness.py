"""Corruption robustness in ImageNet-C's terms: error per corruption and severity, CE, mCE, relative mCE.

Definitions (Hendrycks & Dietterich 2019), with E the top-1 error of a model on corruption c
at severity s and "ref" the reference model (here the custom CNN, in ImageNet-C AlexNet):
    CE_c = sum_s E_{s,c} / sum_s E^ref_{s,c},
    relative CE_c = sum_s (E_{s,c} - E_clean) / sum_s (E^ref_{s,c} - E^ref_clean),
and mCE, relative mCE their means over corruptions. CE mixes clean accuracy with
degradation; relative CE keeps only the degradation. Each model may see a different
number of test images (large models on a CPU see fewer): all models see prefixes of one
class-stratified order of the test set, corrupted once, and a model's CE divides by the
reference's errors on that same prefix, so every ratio compares like with like.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from ..data.batches import to_unit_float
from ..data.corruptions import SEVERITIES, SEVERITY_FREE, check_corruption, corrupt
from ..data.fashion_mnist import NUM_CLASSES
from ..errors import ConfigError
from ..training.forward import forward
from .calibration import expected_calibration_error, softmax

CLEAN = ("clean", 0)


def stratified_order(labels, seed: int) -> np.ndarray:
    """Indices of `labels` in a seeded order whose prefixes hold the classes in turn (every 10 images, one each)."""
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    ranks = np.empty(len(labels), dtype=np.int64)
    for label in range(NUM_CLASSES):
        members = np.flatnonzero(labels == label)
        ranks[rng.permutation(members)] = np.arange(len(members))
    class_turn = rng.permutation(NUM_CLASSES)
    return np.argsort(ranks * NUM_CLASSES + class_turn[labels], kind="stable")


def predict(model: torch.nn.Module, images: torch.Tensor, precision: str = "fp32",
            batch_size: int = 500) -> torch.Tensor:
    """Logits (N, 10) float32 on the CPU for float images (N, 1, 28, 28) in [0, 1]: the stress tests' forward
    pass, in batches of 500 in the layout the images come in (the models themselves are channels-last)."""
    return forward(model, images, batch_size=batch_size, precision=precision, channels_last=False)


@dataclass
class StressResult:
    """Logits of every model under every condition; condition 0 is the clean images."""

    conditions: list[tuple[str, int]]  # (corruption, severity), CLEAN first
    labels: np.ndarray  # (n_max,) labels of the evaluated images, in evaluation order
    logits: dict[str, np.ndarray]  # model -> (n_conditions, n_model, 10), its first n_model images

    def n_images(self, model: str) -> int:
        return self.logits[model].shape[1]

    def wrong(self, model: str) -> np.ndarray:
        """(n_conditions, n_model) float: 1 where the model's top class is not the label."""
        logits = self.logits[model]
        return (logits.argmax(-1) != self.labels[None, : logits.shape[1]]).astype(np.float64)

    def rows(self, corruption: str) -> list[int]:
        return [i for i, (name, _) in enumerate(self.conditions) if name == corruption]

    @property
    def corruptions(self) -> list[str]:
        return list(dict.fromkeys(name for name, _ in self.conditions[1:]))


def run_stress_test(models: dict[str, tuple[torch.nn.Module, str]], images: torch.Tensor, labels,
                    n_images: dict[str, int], corruptions, severities=SEVERITIES, seed: int = 0) -> StressResult:
    """Corrupt the first max(n_images) `images` (uint8 (N, 28, 28)) once per condition and predict with every model.

    `models`: {name: (model, precision)}; `n_images`: {name: how many of the images it sees}.
    A severity-free corruption (the flip) is computed once and stored under every severity.
    Each model sees all severities of a corruption in one call (fewer, larger batches).
    The models are switched to the channels-last memory layout, which runs their convolutions
    faster on a CPU and leaves their outputs unchanged.
    """
    n_max = max(n_images.values())
    if n_max > len(images):
        raise ConfigError(f"{n_max:,} images were asked for but only {len(images):,} were given.")
    for model, _ in models.values():
        model.to(memory_format=torch.channels_last)
    pixels = to_unit_float(images[:n_max])  # (n_max, 1, 28, 28)
    conditions = [CLEAN] + [(check_corruption(c), s) for c in corruptions for s in severities]
    logits = {name: [predict(model, pixels[: n_images[name]], precision).numpy()]
              for name, (model, precision) in models.items()}
    for corruption in corruptions:
        levels = severities[:1] if corruption in SEVERITY_FREE else severities
        corrupted = [corrupt(pixels, corruption, severity, seed) for severity in levels]  # each (n_max, 1, 28, 28)
        for name, (model, precision) in models.items():
            n = n_images[name]  # all severities in one pass: fewer, larger batches
            out = predict(model, torch.cat([c[:n] for c in corrupted]), precision).numpy().reshape(len(levels), n, -1)
            logits[name] += list(out) * (len(severities) // len(levels))
    return StressResult(conditions, np.asarray(labels[:n_max]), {k: np.stack(v) for k, v in logits.items()})


def error_table(result: StressResult) -> pd.DataFrame:
    """Long table: model, corruption, severity (0 = clean), error (fraction) and n images."""
    rows = []
    for model in result.logits:
        errors = result.wrong(model).mean(1)
        rows += [{"model": model, "corruption": c, "severity": s, "error": float(e), "n": result.n_images(model)}
                 for (c, s), e in zip(result.conditions, errors)]
    return pd.DataFrame(rows)


def _corruption_error(errors: np.ndarray, reference: np.ndarray, rows: list[int], relative: bool) -> np.ndarray:
    """CE (or relative CE) of one corruption from per-condition errors (K, ...) of a model and the reference."""
    numerator, denominator = errors[rows].sum(0), reference[rows].sum(0)
    if relative:
        numerator, denominator = numerator - len(rows) * errors[0], denominator - len(rows) * reference[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1), np.nan)


def corruption_errors(result: StressResult, reference: str) -> pd.DataFrame:
    """CE and relative CE (%, 100 = as the reference) per model and corruption, each on the model's own prefix.

    NaN where the reference makes no errors (CE) or loses nothing (relative CE) on a corruption.
    """
    if reference not in result.logits:
        raise ConfigError(f"The reference model {reference!r} was not tested; tested: {', '.join(result.logits)}.")
    rows = []
    for model in result.logits:
        n = result.n_images(model)
        if n > result.n_images(reference):
            raise ConfigError(f"{model} saw {n:,} images, the reference {reference} only "
                              f"{result.n_images(reference):,}: the reference must see at least as many.")
        errors, ref = result.wrong(model).mean(1), result.wrong(reference)[:, :n].mean(1)
        for corruption in result.corruptions:
            where = result.rows(corruption)
            rows.append({"model": model, "corruption": corruption,
                         "CE": 100 * float(_corruption_error(errors, ref, where, relative=False)),
                         "relative CE": 100 * float(_corruption_error(errors, ref, where, relative=True))})
    return pd.DataFrame(rows)


def mce_table(result: StressResult, reference: str, seen=frozenset(), n_boot: int = 1000,
              seed: int = 0) -> pd.DataFrame:
    """Per model: images, clean error (%), mCE and relative mCE (%) over all corruptions and over those not in `seen`.

    "low" and "high" bound 95 % intervals from `mce_interval` (images resampled, paired with the reference).
    """
    ce = corruption_errors(result, reference)
    unseen = [c for c in result.corruptions if c not in seen]
    rows = []
    for model, group in ce.groupby("model", sort=False):
        keep = group.corruption.isin(unseen).to_numpy()
        intervals = [mce_interval(result, model, reference, chosen, n_boot, seed)
                     for chosen in (result.corruptions, unseen)]
        rows.append({"model": model, "images": result.n_images(model),
                     "clean error %": 100 * float(result.wrong(model)[0].mean()),
                     "mCE": group.CE.mean(), "mCE low": intervals[0][0], "mCE high": intervals[0][1],
                     "mCE unseen": group.CE[keep].mean(), "mCE unseen low": intervals[1][0],
                     "mCE unseen high": intervals[1][1], "relative mCE": group["relative CE"].mean(),
                     "relative mCE unseen": group["relative CE"][keep].mean()})
    return pd.DataFrame(rows).set_index("model")


def mce_interval(result: StressResult, model: str, reference: str, corruptions, n_boot: int = 1000,
                 seed: int = 0, level: float = 0.95) -> tuple[float, float]:
    """Paired bootstrap interval of `model`'s mCE (%) over `corruptions`, resampling its test images.

    Both models are scored on the same resampled images, so the interval reflects which
    images were drawn, not a second source of noise. Meaningful when the model and the
    reference were scored on the same images (e.g. a model and its augmented twin).
    """
    n = result.n_images(model)
    weights = np.random.default_rng(seed).multinomial(n, np.full(n, 1 / n), size=n_boot).T / n  # (n, B)
    errors, ref = result.wrong(model) @ weights, result.wrong(reference)[:, :n] @ weights  # (K, B)
    ces = np.stack([_corruption_error(errors, ref, result.rows(c), relative=False) for c in corruptions])  # (C, B)
    mce = 100 * np.nanmean(ces, axis=0)
    tail = 100 * (1 - level) / 2
    return float(np.percentile(mce, tail)), float(np.percentile(mce, 100 - tail))


def against_reference(low: float, high: float, reference: float = 100.0) -> str:
    """An interval of an mCE (%) read against the reference: 'below', 'above' or 'indistinguishable from' it."""
    return "below" if high < reference else "above" if low > reference else "indistinguishable from"


def most_robust(ce: pd.DataFrame, column: str = "CE") -> pd.DataFrame:
    """Per corruption, the model with the lowest `column` of a `corruption_errors` table, and that value."""
    best = ce.dropna(subset=[column]).sort_values(column).groupby("corruption", sort=False).head(1)
    order = list(dict.fromkeys(ce.corruption))
    return best.set_index("corruption").loc[[c for c in order if c in set(best.corruption)], ["model", column]]


def leaders(ce: pd.DataFrame) -> pd.DataFrame:
    """Per corruption, the model with the lowest CE and the one with the lowest relative CE (`corruption_errors`)."""
    return pd.concat([most_robust(ce).rename(columns={"model": "lowest CE"}),
                      most_robust(ce, "relative CE").rename(columns={"model": "lowest relative CE"})], axis=1)


def calibration_under_corruption(result: StressResult, temperatures: dict[str, float]) -> pd.DataFrame:
    """Per model and severity (0 = clean): accuracy and ECE over all corruptions pooled, before and after scaling."""
    rows = []
    severities = sorted({s for _, s in result.conditions})
    for model, logits in result.logits.items():
        labels = result.labels[: logits.shape[1]]
        for severity in severities:
            where = [i for i, (_, s) in enumerate(result.conditions) if s == severity]
            pooled = logits[where].reshape(-1, NUM_CLASSES)
            pooled_labels = np.tile(labels, len(where))
            plain = softmax(pooled)
            rows.append({"model": model, "severity": severity,
                         "accuracy": float((plain.argmax(1).numpy() == pooled_labels).mean()),
                         "ECE": expected_calibration_error(plain, pooled_labels),
                         "ECE scaled": expected_calibration_error(softmax(pooled, temperatures[model]), pooled_labels)})
    return pd.DataFrame(rows)
