"""Multi-seed runs: the same config trained once per seed, through the cache, and their numbers side by side.

A single run's accuracy moves by a few tenths of a point from seed to seed, about as
much as the differences the write-up reported; every headline number is therefore
reported over several seeds (`report.profiles.Profile.seeds`, `report.profiles.seed_configs`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from ..data.fashion_mnist import NUM_CLASSES, FashionMNIST, load_fashion_mnist
from ..errors import ConfigError
from ..training.config import TrainConfig
from .cache import Run, default_cache_dir, load_or_train, run_name


def load_or_train_seeds(configs: Sequence[TrainConfig], *, cache_dir: str | Path | None = None,
                        data: FashionMNIST | None = None, progress: bool = False) -> list[Run]:
    """One cached (or newly trained) run per config, in order; the dataset is read at most once.

    Two configs with the same run key would be one run counted twice, so they are refused.
    """
    configs = list(configs)
    names = [run_name(config) for config in configs]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ConfigError(f"Configs {repeated} appear more than once; a repeated run is not another replicate.")
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    if data is None and not all((folder / name).is_dir() for name in names):
        data = load_fashion_mnist()
    return [load_or_train(config, cache_dir=cache_dir, data=data, progress=progress) for config in configs]


def seed_metrics(runs: Sequence[Run], weights: str = "final") -> pd.DataFrame:
    """One row per run: seed, test accuracy (%), loss, error count and run key (feed to `stats.aggregate_runs`).

    Add columns of your own (e.g. a calibration error per run) before aggregating.
    """
    rows = []
    for run in runs:
        test = run.test_metrics(weights)
        rows.append({"model": run.config.model, "epochs": run.config.epochs, "augment": run.config.augment,
                     "seed": run.config.seed, "test acc %": 100 * test["accuracy"], "test loss": test["loss"],
                     "errors": test["errors"], "run": run.key})
    return pd.DataFrame(rows)


def seed_predictions(runs: Sequence[Run], weights: str = "final") -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Each run's test (logits, labels), the input of `persistence.persistence_table`."""
    return [run.predictions(weights) for run in runs]


def seed_correct(runs: Sequence[Run], weights: str = "final") -> np.ndarray:
    """Boolean (n_runs, n_test): whether each run got each test image right (rows in the order of `runs`)."""
    return np.stack([(logits.argmax(1) == labels.long()).numpy() for logits, labels in seed_predictions(runs, weights)])


def seed_probabilities(predictions: Sequence, min_runs: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """Softmax probabilities (R, N, C) and labels (N,) from R runs' (logits, labels), checked to be the same images."""
    predictions = list(predictions)
    if len(predictions) < min_runs:
        raise ConfigError(f"This needs the predictions of at least {min_runs} run{'s' if min_runs > 1 else ''} "
                          f"(seeds), got {len(predictions)}.")
    labels = torch.as_tensor(predictions[0][1]).long().cpu()
    for number, (logits, run_labels) in enumerate(predictions):
        if tuple(torch.as_tensor(logits).shape) != (len(labels), NUM_CLASSES):
            raise ConfigError(f"Run {number}: logits of shape {tuple(torch.as_tensor(logits).shape)}, expected "
                              f"({len(labels)}, {NUM_CLASSES}).")
        if not torch.equal(torch.as_tensor(run_labels).long().cpu(), labels):
            raise ConfigError(f"Run {number} has other labels than run 0: the runs are not on the same test images.")
    probs = torch.stack([F.softmax(torch.as_tensor(logits).float().cpu(), dim=1) for logits, _ in predictions])
    return probs, labels


def average_probs(predictions: Sequence) -> np.ndarray:
    """Softmax probabilities (N, C) averaged over runs' (logits, labels): a seed ensemble, steadier than one run."""
    return seed_probabilities(predictions)[0].mean(0).numpy()

