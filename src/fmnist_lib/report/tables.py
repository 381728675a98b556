"""The display tables of the pages, computed from cached runs: the models compared, dataset counts, a model's stages."""

from __future__ import annotations

import pandas as pd
import torch

from ..analysis.stats import accuracy_interval
from ..analysis.training_curves import overfitting
from ..data.fashion_mnist import CLASS_NAMES, IMAGE_SIZE, FashionMNIST
from ..runs.cache import Run
from ..training.forward import forward
from ..training.models import model_label
from ..training.train import split_for


def class_counts(data: FashionMNIST, run: Run) -> pd.DataFrame:
    """Images per class in the run's training split, its validation split and the test set."""
    split = split_for(run.config, data)
    columns = {"train": split.train_labels, "validation": split.val_labels, "test": data.test_labels}
    return pd.DataFrame({name: torch.bincount(labels.long(), minlength=len(CLASS_NAMES)).numpy()
                         for name, labels in columns.items()}, index=list(CLASS_NAMES))


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


def stage_table(model: torch.nn.Module, stages: dict[str, torch.nn.Module]) -> pd.DataFrame:
    """Output shape and parameter count of named stages, measured with one forward pass of a 28 x 28 image."""
    shapes = {}
    handles = [module.register_forward_hook(lambda m, i, o, name=name: shapes.__setitem__(name, tuple(o.shape[1:])))
               for name, module in stages.items()]
    try:
        forward(model, torch.zeros(1, 1, IMAGE_SIZE, IMAGE_SIZE), batch_size=1, channels_last=False)
    finally:
        for handle in handles:
            handle.remove()
    return pd.DataFrame([{"stage": name, "output shape": str(shapes[name]),
                          "parameters": sum(p.numel() for p in module.parameters())}
                         for name, module in stages.items()]).set_index("stage")
