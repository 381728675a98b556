"""Overfitting, measured from a run's history: where the train-validation gap opens, how large it ends,
and whether validation loss is rising."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .thresholds import GAP_POINTS, VAL_LOSS_RISE


# The two training accuracies a history holds: "clean", the training images scored after each epoch as the
# validation images are (eval mode, no augmentation; `training.train.CLEAN_TRAIN_IMAGES`), and "running", the
# average over the epoch's batches while the weights moved, augmented and with dropout on (what the write-up's
# logs print). Gaps are read from the clean one where a run has it: runs trained before it was added lack it.
TRAIN_ACCURACY = {"clean": "clean_train_acc", "running": "train_acc"}


def train_measure(history: pd.DataFrame) -> str:
    """'clean' when the history has the clean training accuracy for every epoch, else 'running': the one test of
    which training accuracy a run measured."""
    column = TRAIN_ACCURACY["clean"]
    return "clean" if column in history and history[column].notna().all() else "running"


def accuracy_gap(history: pd.DataFrame, measure: str | None = None) -> np.ndarray:
    """Training minus validation accuracy per epoch, in points (history accuracies are fractions), with the
    training accuracy `measure` ('clean' or 'running'; None: `train_measure`)."""
    column = TRAIN_ACCURACY[measure or train_measure(history)]
    return 100 * (history[column] - history.val_acc).to_numpy()


def final_gap(history: pd.DataFrame, measure: str | None = None) -> float:
    """Training minus validation accuracy at the last epoch, in points: the one definition of 'the final gap'."""
    return float(accuracy_gap(history, measure)[-1])


def overfitting(history: pd.DataFrame) -> dict:
    """Where the train-validation gap opens and how large it ends, read from a run's history.

    gap = train accuracy (clean where the run has it) - validation accuracy, in points. The gap "opens" at the first
    epoch from which it stays above GAP_POINTS to the end (None if it never does).
    Validation loss counts as rising when its last value exceeds its minimum by VAL_LOSS_RISE.
    """
    gap = accuracy_gap(history)
    above = gap > GAP_POINTS.value
    opens = None
    if above[-1]:
        first_of_last_run = len(above) - int(np.argmin(above[::-1])) if not above.all() else 0
        opens = int(history.epoch.iloc[first_of_last_run])
    best = int(history.val_loss.idxmin())
    rise = float(history.val_loss.iloc[-1] / history.val_loss.iloc[best] - 1)
    return {"final_gap": final_gap(history), "train_measure": train_measure(history), "gap_opens_epoch": opens,
            "max_gap": float(gap.max()),
            "val_loss_min_epoch": int(history.epoch.iloc[best]), "val_loss_rise": rise,
            "val_loss_rising": rise > VAL_LOSS_RISE.value}


def learning_curves(histories: dict[str, pd.DataFrame], train_images: dict[str, int],
                    protocol_images: int) -> pd.DataFrame:
    """Validation accuracy after every epoch against the training images seen by then, one row per model and
    epoch: what a short budget's last number is a point of.

    `histories` {model: history}; `train_images` {model: images per epoch}; `protocol_images` the images the
    write-up's protocol sees in all (epochs x training images). Columns: model, epoch, images, accuracy (%),
    short (the model's whole budget sees fewer images than the protocol).
    """
    if not histories:
        raise ValueError("histories is empty: expected {model: history DataFrame}.")
    missing = sorted(set(histories) - set(train_images))
    if missing:
        raise ValueError(f"No images per epoch given for {', '.join(missing)}.")
    rows = []
    for model, history in histories.items():
        seen = history.epoch.to_numpy() * train_images[model]
        short = bool(seen[-1] < protocol_images)
        rows += [{"model": model, "epoch": int(epoch), "images": int(images), "accuracy": 100 * float(acc),
                  "short": short} for epoch, images, acc in zip(history.epoch, seen, history.val_acc)]
    return pd.DataFrame(rows)
