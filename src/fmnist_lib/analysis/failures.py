"""Failure analysis on test predictions: which images are wrong, how sure the model was, what it confused.

Everything starts from an error table (`error_table`): one row per test image,
indexed by its position in the test set, so rows of two models' tables for the
same image line up and can be compared (`compare_cases`). Features for
nearest-neighbour look-ups come from the input of a model's last linear layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from ..data.fashion_mnist import CLASS_NAMES, NUM_CLASSES, FashionMNIST, split_indices
from ..errors import ConfigError
from ..training.config import TrainConfig
from ..training.evaluate import per_image
from ..training.forward import layer_inputs
from .thresholds import CONFIDENT_ERROR, UNCERTAIN_ERROR

ERROR_KINDS = ("uncertain", "confident")
PROB_COLUMNS = tuple(f"prob_{c}" for c in range(NUM_CLASSES))  # full softmax, one column per class
OUTCOMES = ("fixed", "still wrong (same class)", "still wrong (other class)", "newly wrong", "still right")
FEATURE_BATCH = 256  # images per forward pass for features: twice as fast as 1,000 on a 2-core CPU


def _top3_text(names: np.ndarray, probs: np.ndarray) -> list[str]:
    """'Coat 61.2%, Shirt 30.1%, Pullover 5.0%' for each row of (N, 3) names and probabilities."""
    return [", ".join(f"{n} {100 * p:.1f}%" for n, p in zip(row_names, row_probs))
            for row_names, row_probs in zip(names, probs)]


def error_table(logits: torch.Tensor, labels: torch.Tensor) -> pd.DataFrame:
    """One row per test image (index = test image index) with its prediction, certainty and top-3 classes.

    Columns: label, prediction (ints), label_name, prediction_name, correct,
    confidence (top-1 probability), entropy (nats), margin (top-1 minus top-2),
    p_true (probability of the true class), top2_name/top2_p, top3_name/top3_p,
    top3 (readable text) and prob_0 .. prob_9 (the whole softmax, so another
    model's confidence in any class can be looked up).
    """
    logits, labels = logits.cpu(), labels.cpu()
    stats = per_image(logits, labels)
    probs = F.softmax(logits.float(), dim=1)  # (N, 10)
    top_p, top_i = probs.topk(3, dim=1)  # (N, 3) each
    names = np.asarray(CLASS_NAMES, dtype=object)
    top_names = names[top_i.numpy()]  # (N, 3)
    table = pd.DataFrame({
        "label": stats["label"].astype(int),
        "prediction": stats["prediction"].astype(int),
        "label_name": names[stats["label"]],
        "prediction_name": names[stats["prediction"]],
        "correct": stats["correct"].astype(bool),
        "confidence": stats["confidence"],
        "entropy": stats["entropy"],
        "margin": stats["margin"],
        "p_true": probs.gather(1, labels.long().view(-1, 1)).squeeze(1).numpy(),
        "top2_name": top_names[:, 1],
        "top2_p": top_p[:, 1].numpy(),
        "top3_name": top_names[:, 2],
        "top3_p": top_p[:, 2].numpy(),
        "top3": _top3_text(top_names, top_p.numpy()),
    })
    table[list(PROB_COLUMNS)] = probs.numpy()
    table.index.name = "test_index"
    return table


def _check_kind(kind: str) -> None:
    if kind not in ERROR_KINDS:
        raise ConfigError(f"Unknown kind of error {kind!r}. Choose one of: {', '.join(ERROR_KINDS)}.")


def of_kind(errors: pd.DataFrame | pd.Series, kind: str):
    """Whether errors (rows of an error table, or one row) are of a kind: the one definition of both kinds.

    "confident": confidence at least `thresholds.CONFIDENT_ERROR`; "uncertain": entropy at least
    `thresholds.UNCERTAIN_ERROR` (nats). A boolean Series for a table, a bool for one row.
    """
    _check_kind(kind)
    if kind == "confident":
        return errors["confidence"] >= CONFIDENT_ERROR.value
    return errors["entropy"] >= UNCERTAIN_ERROR.value


def kind_shares(table: pd.DataFrame) -> dict[str, float]:
    """The share of the table's errors that is of each kind (`of_kind`), in per cent; 0 without errors."""
    errors = table[~table["correct"]]
    return {kind: 100 * float(of_kind(errors, kind).mean()) if len(errors) else 0.0 for kind in ERROR_KINDS}


def select_errors(table: pd.DataFrame, kind: str, n: int) -> pd.DataFrame:
    """The n misclassified rows of `table` the write-up would show: "uncertain" or "confident".

    "uncertain" = highest entropy first, "confident" = lowest entropy first (the write-up's ranking);
    equal entropies keep test-index order, so the choice is deterministic.
    """
    _check_kind(kind)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ConfigError(f"n must be a whole number of at least 1, got {n!r}.")
    errors = table[~table["correct"]]
    order = np.lexsort((errors.index.to_numpy(), errors["entropy"].to_numpy() * (-1 if kind == "uncertain" else 1)))
    return errors.iloc[order[:n]]


def confused_pairs(table: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """The n most frequent (true -> predicted) error pairs and their share of the true class's images.

    Sorted by count (descending), then true and predicted class names; index 0..n-1.
    """
    errors = table[~table["correct"]]
    class_sizes = table["label_name"].value_counts()
    pairs = errors.groupby(["label_name", "prediction_name"]).size().rename("count").reset_index()
    pairs["share_of_class"] = pairs["count"] / pairs["label_name"].map(class_sizes)
    pairs = pairs.sort_values(["count", "label_name", "prediction_name"], ascending=[False, True, True])
    return pairs.head(n).reset_index(drop=True)


def _last_linear(model: nn.Module) -> nn.Linear:
    """The last `nn.Linear` registered in the model: the output layer of every registry model."""
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise TypeError(f"{type(model).__name__} has no nn.Linear layer to take features from")
    return linears[-1]


def feature_embeddings(model: nn.Module, images: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """Features (N, D) float32 on the CPU: the input of the model's last linear layer, in eval mode.

    `images` are uint8 (N, 28, 28) or float (N, 1, 28, 28) in [0, 1]. The
    model's training mode is restored afterwards.
    """
    return layer_inputs(model, images, _last_linear(model), batch_size=batch_size)  # (N, D)


def nearest_training_images(query_features: torch.Tensor, train_features: torch.Tensor, train_labels: torch.Tensor,
                            classes: Sequence[int] | torch.Tensor, k: int = 5) -> tuple[torch.Tensor, torch.Tensor]:
    """For each query i, the k training images of class `classes[i]` most cosine-similar to it.

    Returns (indices into the training set, cosine similarities), both (Q, k),
    most similar first. Searching the predicted class shows which training
    images the model thought the query resembled.
    """
    classes = torch.as_tensor(classes, dtype=torch.long).cpu().view(-1)  # (Q,)
    train_labels = torch.as_tensor(train_labels).long().cpu().view(-1)  # (M,)
    if classes.shape[0] != query_features.shape[0] or train_labels.shape[0] != train_features.shape[0]:
        raise ConfigError("classes must have one entry per query and train_labels one per training feature.")
    queries = F.normalize(query_features.float().cpu(), dim=1)  # (Q, D)
    train = F.normalize(train_features.float().cpu(), dim=1)  # (M, D)
    indices = torch.empty(len(classes), k, dtype=torch.long)
    similarities = torch.empty(len(classes), k)
    for c in classes.unique().tolist():
        rows = (classes == c).nonzero().squeeze(1)  # queries searching class c
        candidates = (train_labels == c).nonzero().squeeze(1)  # training images of class c
        if len(candidates) < k:
            raise ConfigError(f"Class {c} has {len(candidates)} training images, fewer than k={k}.")
        best = (queries[rows] @ train[candidates].T).topk(k, dim=1)  # (R, k)
        indices[rows], similarities[rows] = candidates[best.indices], best.values
    return indices, similarities


@dataclass(frozen=True)
class TrainingFeatures:
    """A run's training images as its model sees them: what nearest-neighbour look-ups search."""

    index: np.ndarray  # (M,) positions in the official training set, in the split's order
    labels: torch.Tensor  # (M,) their labels
    features: torch.Tensor  # (M, D) `feature_embeddings` of the images


def training_features(model: nn.Module, config: TrainConfig, data: FashionMNIST) -> TrainingFeatures:
    """Features of the images `config` trained on (its split, or the first `train_subset` of it), with positions.

    The same images as `training.train.split_for` (tested); the positions let a reader look an image up. The
    failures page and the explorer both search these; on the full split this is the costly step, so compute it
    once per page and pass it to `nearest_training_positions` for every query.
    """
    if config.folds is not None:
        raise ConfigError("Nearest training images are searched for headline runs, not cross-validation folds.")
    index, _ = split_indices(len(data.train_images), config.val_size, config.split_seed)
    index = index[: config.train_subset] if config.train_subset is not None else index
    features = feature_embeddings(model, data.train_images[index], batch_size=FEATURE_BATCH)  # (M, D)
    return TrainingFeatures(index=index.numpy(), labels=data.train_labels[index], features=features)


def remembered_training_features(run, weights: str, data: FashionMNIST) -> TrainingFeatures:
    """`training_features` of a cached run's `weights` (a `runs.cache.Run`), computed once and kept beside the run
    (`memo.remembered_arrays`): the failures page and the explorer search the same features."""
    from .memo import remembered_arrays

    def compute() -> dict:
        found = training_features(run.load_model(weights, device="cpu"), run.config, data)
        return {"index": found.index, "labels": found.labels.numpy(), "features": found.features.numpy()}

    arrays = remembered_arrays(run.path, "training-features", {"weights": weights}, compute, device="cpu")
    return TrainingFeatures(index=arrays["index"], labels=torch.from_numpy(arrays["labels"]),
                            features=torch.from_numpy(arrays["features"]))


def nearest_training_positions(model: nn.Module, training: TrainingFeatures, images: torch.Tensor,
                               classes: Sequence[int], k: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """For each image, the k training images of class `classes[i]` whose features are nearest to its own.

    Returns (positions in the official training set, cosine similarities), both (Q, k), most similar first:
    `data.train_images[positions]` are the neighbours.
    """
    query = feature_embeddings(model, images, batch_size=FEATURE_BATCH)  # (Q, D)
    nearest, similarity = nearest_training_images(query, training.features, training.labels, classes, k=k)
    return training.index[nearest.numpy()].reshape(nearest.shape), similarity.numpy()


def _outcome(correct_before: bool, correct_after: bool, same_prediction: bool) -> str:
    """One of OUTCOMES for an image seen by a model before and after a change."""
    if correct_before:
        return "still right" if correct_after else "newly wrong"
    if correct_after:
        return "fixed"
    return "still wrong (same class)" if same_prediction else "still wrong (other class)"


def _confidence_change(before: pd.DataFrame, after: pd.DataFrame) -> tuple[np.ndarray, str]:
    """After minus before of the probability of the *before* prediction's class (top class without prob_ columns)."""
    if all(c in before and c in after for c in PROB_COLUMNS):
        column = [f"prob_{c}" for c in before["prediction"]]
        rows = np.arange(len(before))
        change = after[column].to_numpy()[rows, rows] - before[column].to_numpy()[rows, rows]
        return change, "before prediction"
    return after["confidence"].to_numpy() - before["confidence"].to_numpy(), "top class"


def compare_cases(before: pd.DataFrame, after: pd.DataFrame, indices) -> pd.DataFrame:
    """Two models' error tables side by side for the chosen test indices (e.g. baseline vs augmented).

    Columns: label_name, prediction_before/after (names), confidence_before/after
    (each model's top-class probability), p_true_before/after, outcome (see
    OUTCOMES) and confidence_change = after - before of the probability of the
    class the *before* model predicted (from the prob_ columns; if a table lacks
    them, of each model's top class instead), with confidence_change_of saying which.
    """
    indices = list(indices)
    missing = [i for i in indices if i not in before.index or i not in after.index]
    if missing:
        raise ConfigError(f"Test indices {missing[:5]} are not in both error tables.")
    b, a = before.loc[indices], after.loc[indices]
    if not np.array_equal(b["label"].to_numpy(), a["label"].to_numpy()):
        raise ConfigError("The two error tables disagree on labels: they are not from the same test images.")
    change, change_of = _confidence_change(b, a)
    outcomes = [_outcome(cb, ca, pb == pa) for cb, ca, pb, pa
                in zip(b["correct"], a["correct"], b["prediction"], a["prediction"])]
    cases = pd.DataFrame({
        "label_name": b["label_name"].to_numpy(),
        "prediction_before": b["prediction_name"].to_numpy(),
        "prediction_after": a["prediction_name"].to_numpy(),
        "confidence_before": b["confidence"].to_numpy(),
        "confidence_after": a["confidence"].to_numpy(),
        "p_true_before": b["p_true"].to_numpy(),
        "p_true_after": a["p_true"].to_numpy(),
        "outcome": outcomes,
        "confidence_change": change,
        "confidence_change_of": change_of,
    }, index=pd.Index(indices, name="test_index"))
    return cases
