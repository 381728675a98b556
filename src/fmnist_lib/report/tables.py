"""Result tables the report shows, computed from cached runs: comparison, overfitting, dataset counts."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import torch

from .data import CLASS_NAMES, FashionMNIST
from .runs import Run
from .train import split_for

GAP_THRESHOLD = 1.0  # percentage points of train-minus-validation accuracy that count as a gap
VAL_LOSS_RISE = 0.05  # relative rise of validation loss above its minimum that counts as rising

MODEL_LABELS = {"custom_cnn": "Custom CNN", "vgg16": "VGG-16", "vgg19": "VGG-19", "resnet18": "ResNet-18"}


def model_label(name: str) -> str:
    """The display name of a registry model ('vgg16' -> 'VGG-16')."""
    return MODEL_LABELS.get(name, name)


def class_counts(data: FashionMNIST, run: Run) -> pd.DataFrame:
    """Images per class in the run's training split, its validation split and the test set."""
    split = split_for(run.config, data)
    columns = {"train": split.train_labels, "validation": split.val_labels, "test": data.test_labels}
    return pd.DataFrame({name: torch.bincount(labels.long(), minlength=len(CLASS_NAMES)).numpy()
                         for name, labels in columns.items()}, index=list(CLASS_NAMES))


def accuracy_interval(accuracy: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of an accuracy measured on n independent images (95 % by default)."""
    centre = (accuracy + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(accuracy * (1 - accuracy) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def overfitting(history: pd.DataFrame) -> dict:
    """Where the train-validation gap opens and how large it ends, read from a run's history.

    gap = train accuracy - validation accuracy, in points. The gap "opens" at the first
    epoch from which it stays above GAP_THRESHOLD to the end (None if it never does).
    Validation loss counts as rising when its last value exceeds its minimum by VAL_LOSS_RISE.
    """
    gap = 100 * (history.train_acc - history.val_acc).to_numpy()
    above = gap > GAP_THRESHOLD
    opens = None
    if above[-1]:
        first_of_last_run = len(above) - int(np.argmin(above[::-1])) if not above.all() else 0
        opens = int(history.epoch.iloc[first_of_last_run])
    best = int(history.val_loss.idxmin())
    rise = float(history.val_loss.iloc[-1] / history.val_loss.iloc[best] - 1)
    return {"final_gap": float(gap[-1]), "gap_opens_epoch": opens, "max_gap": float(gap.max()),
            "val_loss_min_epoch": int(history.epoch.iloc[best]), "val_loss_rise": rise,
            "val_loss_rising": rise > VAL_LOSS_RISE}


def comparison_table(runs: dict[str, Run], weights: str = "final") -> pd.DataFrame:
    """One row per model: test accuracy with its 95 % interval, loss, errors, size, time and the final gap."""
    rows = []
    for name, run in runs.items():
        test = run.test_metrics(weights)
        low, high = accuracy_interval(test["accuracy"], test["n"])
        fit = overfitting(run.history)
        rows.append({"model": model_label(name), "epochs": run.config.epochs, "train images": run.config.n_train,
                     "test acc %": 100 * test["accuracy"], "95% CI": f"{100 * low:.2f}-{100 * high:.2f}",
                     "test loss": test["loss"], "errors": test["errors"],
                     "parameters (M)": run.metrics["n_parameters"] / 1e6,
                     "train time (min)": run.metrics["train_seconds"] / 60,
                     "final gap (pts)": fit["final_gap"], "gap opens (epoch)": fit["gap_opens_epoch"],
                     "val loss rising": fit["val_loss_rising"]})
    return pd.DataFrame(rows).set_index("model")


def join_names(names: list[str], empty: str = "none") -> str:
    """'A', 'A and B', 'A, B and C' for prose; `empty` when there are none."""
    names = list(names)
    if not names:
        return empty
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def stage_table(model: torch.nn.Module, stages: dict[str, torch.nn.Module]) -> pd.DataFrame:
    """Output shape and parameter count of named stages, measured with one forward pass of a 28 x 28 image."""
    shapes = {}
    handles = [module.register_forward_hook(lambda m, i, o, name=name: shapes.__setitem__(name, tuple(o.shape[1:])))
               for name, module in stages.items()]
    was_training = model.training
    model.eval()
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    with torch.no_grad():
        model(torch.zeros(1, 1, 28, 28, device=device))
    model.train(was_training)
    for handle in handles:
        handle.remove()
    return pd.DataFrame([{"stage": name, "output shape": str(shapes[name]),
                          "parameters": sum(p.numel() for p in module.parameters())}
                         for name, module in stages.items()]).set_index("stage")
