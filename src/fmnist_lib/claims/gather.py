"""From cached runs to the plain evidence claims read: RunSets, error tables and paired differences.

The one place where the claims stage touches runs. A difference between two models is always
paired on the same test images: over seeds (a t-interval of the per-seed differences) when both
have several seeds, else a paired bootstrap over the test images of the two single runs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch.nn.functional as F

from ..analysis.failures import error_table
from ..analysis.stats import mean_interval, paired_bootstrap
from ..data.augmentation import run_label
from ..runs.cache import Run
from ..training.model_parts import model_label
from .evidence import RunSet


def as_list(runs: Run | Sequence[Run]) -> list[Run]:
    """One run (anything with a `config`, as a Run has) or several, as a list."""
    return [runs] if hasattr(runs, "config") else list(runs)


def runset(runs: Run | Sequence[Run], page: str = "", weights: str = "final", label: str | None = None) -> RunSet:
    """The RunSet of one model's runs at one budget (one run per seed), read from the cache."""
    runs = as_list(runs)
    if not runs:
        raise ValueError("a RunSet needs at least one run")
    config = runs[0].config
    if any((r.config.model, r.config.epochs, r.config.n_train, r.config.augment) !=
           (config.model, config.epochs, config.n_train, config.augment) for r in runs):
        raise ValueError("a RunSet holds runs of one model at one budget; these differ")
    tests = [r.test_metrics(weights) for r in runs]
    name = label or run_label(model_label(config.model), config.augment)
    return RunSet(label=name, epochs=config.epochs, train_images=config.n_train, augment=config.augmented,
                  seeds=tuple(r.config.seed for r in runs), accuracies=tuple(100 * t["accuracy"] for t in tests),
                  losses=tuple(t["loss"] for t in tests), errors=tuple(t["errors"] for t in tests),
                  histories=tuple(r.history for r in runs), test_images=tests[0]["n"], page=page)


def loss_errors(runs: Run | Sequence[Run], weights: str = "final") -> tuple[float, ...]:
    """Per run, the standard error of its mean test loss over the test images (for a one-run comparison)."""
    errors = []
    for run in as_list(runs):
        logits, labels = run.predictions(weights)
        losses = F.cross_entropy(logits.float(), labels.long(), reduction="none").numpy()
        errors.append(float(losses.std(ddof=1) / np.sqrt(len(losses))))
    return tuple(errors)


def errors_only(run: Run, weights: str = "final") -> pd.DataFrame:
    """The run's misclassified test images (`analysis.failures.error_table` rows), indexed by test image."""
    table = error_table(*run.predictions(weights))
    return table[~table["correct"]]


def correct(runs: Run | Sequence[Run], weights: str = "final") -> np.ndarray:
    """Boolean (runs, test images): which test images each run classifies correctly."""
    rows = []
    for run in as_list(runs):
        logits, labels = run.predictions(weights)
        rows.append((logits.argmax(1) == labels.long()).numpy())
    return np.stack(rows)


def paired_difference(runs_a: Run | Sequence[Run], runs_b: Run | Sequence[Run], weights: str = "final",
                      n_resamples: int = 10_000) -> tuple[float, float, float]:
    """Accuracy of a minus b in points, (mean, low, high) at 95 %, paired on the same test images.

    Several seeds on both sides (paired by position): the t-interval of the per-seed differences, which
    carries seed-to-seed variation. One run on either side: a paired bootstrap over test images, which
    says only whether these two runs differ.
    """
    a, b = correct(runs_a, weights), correct(runs_b, weights)
    if len(a) >= 2 and len(b) >= 2:
        n = min(len(a), len(b))
        differences = 100 * (a[:n].mean(1) - b[:n].mean(1))
        low, high = mean_interval(differences)
        return float(differences.mean()), low, high
    result = paired_bootstrap(a[0], b[0], n_resamples=n_resamples)
    return 100 * result["difference"], 100 * result["low"], 100 * result["high"]
