"""One config over several seeds, in numbers: each run's test numbers with its calibration error, the
training in words, and how the seed-to-seed spread compares with the sampling error of one test set."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from ..data.augmentation import training_phrase
from ..runs.cache import Run
from ..runs.seeds import seed_metrics, seed_predictions
from ..training.config import TrainConfig
from ..training.models import model_label
from .calibration import expected_calibration_error, softmax

RUN_METRICS = ("test acc %", "test loss", "errors", "ECE %")
SAME_SIZE = 2.0  # a seed spread within a factor 2 of the sampling error counts as "about the same size"


def epochs_text(epochs: int) -> str:
    """'5 epochs', '1 epoch'."""
    return f"{epochs} epoch{'' if epochs == 1 else 's'}"


def training_text(config: TrainConfig) -> str:
    """'15 epochs on 50,000 images' ('1 epoch ...'; with ', augmented' or the policy when it is)."""
    return f"{epochs_text(config.epochs)} on {config.n_train:,} images" + training_phrase(config.augment)


def run_table(runs: Sequence[Run], weights: str = "final") -> pd.DataFrame:
    """`seeds.seed_metrics` plus the model's display name, its training in words and 'ECE %'.

    ECE is the 15-bin expected calibration error of the test softmax (`calibration`), in per cent.
    """
    frame = seed_metrics(runs, weights)
    frame["model"] = [model_label(name) for name in frame["model"]]
    frame["training"] = [training_text(run.config) for run in runs]
    frame["ECE %"] = [100 * expected_calibration_error(softmax(logits), labels)
                      for logits, labels in seed_predictions(runs, weights)]
    return frame


def sampling_error(accuracy_percent: float, n: int) -> float:
    """Binomial standard error, in points, of an accuracy measured on n independent test images."""
    p = accuracy_percent / 100
    return 100 * math.sqrt(p * (1 - p) / n)


def size_word(spread: float, reference: float) -> str:
    """'larger than', 'about the size of' or 'smaller than': a spread against a reference (factor SAME_SIZE)."""
    if spread > SAME_SIZE * reference:
        return "larger than"
    return "smaller than" if spread * SAME_SIZE < reference else "about the size of"


def per_run_table(seed_runs: dict[str, list[Run]], single_runs: dict[str, Run], models: Sequence[str],
                  weights: str = "final") -> pd.DataFrame:
    """`run_table` of every run of `models`, in that order: each model's seed runs, then its single run (once)."""
    groups = [runs for name in models
              for runs in (seed_runs.get(name, []), [single_runs[name]] if name in single_runs else []) if runs]
    return pd.concat([run_table(runs, weights) for runs in groups]).drop_duplicates("run").reset_index(drop=True)

