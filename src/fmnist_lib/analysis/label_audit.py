"""Suspect labels: images whose given label the models confidently and persistently disagree with.

Confident learning (cleanlab) flags an image when out-of-sample predicted probabilities
put it in another class more confidently than that class's typical examples. The
probabilities must be out-of-sample: the test set's, from models trained on the
training split, already are; for the training split itself use `cross_validated_probs`
(k models, each predicting the fold it did not train on). The flags are candidates
for a person to look at, not verdicts.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from cleanlab.filter import find_label_issues

from ..data.fashion_mnist import CLASS_NAMES, NUM_CLASSES, FashionMNIST, fold_partition, split_indices
from ..errors import ConfigError
from ..runs.cache import Run
from ..runs.seeds import average_probs, load_or_train_seeds, seed_predictions
from ..training.config import N_TRAIN_TOTAL, TrainConfig
from ..training.forward import predict_logits


def _checked(labels, pred_probs) -> tuple[np.ndarray, np.ndarray]:
    labels, pred_probs = np.asarray(labels).astype(int), np.asarray(pred_probs, dtype=float)
    if pred_probs.ndim != 2 or pred_probs.shape != (len(labels), pred_probs.shape[1]):
        raise ConfigError(f"pred_probs must be (N, C) with N = {len(labels)} labels, got shape {pred_probs.shape}.")
    if labels.min() < 0 or labels.max() >= pred_probs.shape[1]:
        raise ConfigError(f"labels must lie in 0..{pred_probs.shape[1] - 1}.")
    if not np.allclose(pred_probs.sum(1), 1, atol=1e-3):
        raise ConfigError("Each row of pred_probs must be probabilities summing to 1 (softmax, not logits).")
    return labels, pred_probs


def suspect_labels(labels, pred_probs, n: int | None = 20, persistence: pd.DataFrame | None = None,
                   index_name: str = "test_index") -> pd.DataFrame:
    """cleanlab's label issues, most suspect first (lowest self-confidence), the top n (None: all).

    Columns: rank, given_label/given_name, predicted_label/predicted_name (argmax),
    confidence (probability of the predicted class), self_confidence (probability of the
    given label); with a `persistence.persistence_table` for the same images also
    times_wrong and persistent. Indexed by the image's position (named `index_name`).
    """
    labels, pred_probs = _checked(labels, pred_probs)
    issues = find_label_issues(labels, pred_probs, return_indices_ranked_by="self_confidence",
                               n_jobs=1)  # no process pool on a shared machine; the work is small
    issues = issues[:n] if n is not None else issues
    predicted = pred_probs[issues].argmax(1)
    names = np.asarray(CLASS_NAMES if pred_probs.shape[1] == NUM_CLASSES else range(pred_probs.shape[1]), dtype=object)
    table = pd.DataFrame({
        "rank": np.arange(1, len(issues) + 1),
        "given_label": labels[issues], "given_name": names[labels[issues]],
        "predicted_label": predicted, "predicted_name": names[predicted],
        "confidence": pred_probs[issues, predicted], "self_confidence": pred_probs[issues, labels[issues]],
    }, index=pd.Index(issues, name=index_name))
    if persistence is not None:
        if len(persistence) != len(labels):
            raise ConfigError(f"The persistence table has {len(persistence)} rows for {len(labels)} labels.")
        table[["times_wrong", "persistent"]] = persistence.iloc[issues][["times_wrong", "persistent"]].to_numpy()
        table["persistent"] = table["persistent"].astype(bool)
    return table


def audit_suspects(runs: Sequence[Run], persistence: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every test label cleanlab flags from the runs' test softmax averaged over seeds (final weights).

    The audit of the test labels: the statistics page lists these suspects and the explorer marks them, both
    through this one call so the two cannot drift. The test images are out of sample for every run, so no
    folds are needed. `persistence`: a `persistence.persistence_table` of the same images (see `suspect_labels`).
    """
    predictions = seed_predictions(runs)
    probs = average_probs(predictions)  # (N, C); a ConfigError without runs
    return suspect_labels(predictions[0][1].numpy(), probs, n=None, persistence=persistence)


def fold_configs(config: TrainConfig, folds: int = 5) -> list[TrainConfig]:
    """The k configs of k-fold cross-validation over `config`'s training split (each leaves one fold out)."""
    return [dataclasses.replace(config, folds=folds, fold=fold) for fold in range(folds)]


def held_out_indices(config: TrainConfig) -> torch.Tensor:
    """Positions in the official training set of the fold a cross-validation config did not train on."""
    if config.folds is None:
        raise ConfigError("held_out_indices needs a config with folds and fold set (see fold_configs).")
    pool, _ = split_indices(N_TRAIN_TOTAL, config.val_size, config.split_seed)
    if config.train_subset is not None:
        pool = pool[: config.train_subset]
    return fold_partition(pool, config.folds, config.fold)[1]


@dataclass(frozen=True)
class OutOfSample:
    """Out-of-sample probabilities for training images: row i belongs to training image `index[i]`."""

    index: np.ndarray  # (N,) positions in the official training set, in the split's (shuffled) order
    labels: np.ndarray  # (N,) the given labels
    pred_probs: np.ndarray  # (N, C) from the model that did not train on the image


def cross_validated_probs(config: TrainConfig, data: FashionMNIST, folds: int = 5, *, weights: str = "final",
                          cache_dir: str | Path | None = None, progress: bool = False) -> OutOfSample:
    """k-fold out-of-sample probabilities for `config`'s training split (or its train_subset).

    Trains (or reads from the cache) one run per fold, each on the other k-1 folds, and
    predicts the fold it left out; the validation split is untouched.
    """
    runs = load_or_train_seeds(fold_configs(config, folds), cache_dir=cache_dir, data=data, progress=progress)
    return out_of_sample_probs(runs, data, weights)


def out_of_sample_probs(runs: Sequence[Run], data: FashionMNIST, weights: str = "final") -> OutOfSample:
    """Each k-fold run's probabilities for the fold it left out, the folds in the order of `runs`."""
    parts = []
    for run in runs:
        held_out = held_out_indices(run.config)
        model = run.load_model(weights, device=run.config.device)
        logits = predict_logits(model, data.train_images[held_out], precision="fp32")  # as the cache's predictions
        parts.append((held_out.numpy(), F.softmax(logits, dim=1).numpy()))
    index = np.concatenate([held_out for held_out, _ in parts])
    return OutOfSample(index=index, labels=data.train_labels[index].numpy().astype(int),
                       pred_probs=np.concatenate([probs for _, probs in parts]))
