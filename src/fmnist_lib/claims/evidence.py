"""The evidence a claim can rest on, as plain values: a set of runs at one budget, and what they measured.

Claims never read the cache themselves: the report gathers `RunSet`s from its runs (see
`claims.gather`), and tests build them by hand. A RunSet knows whether it was trained at the
write-up's protocol, so a claim can refuse to compare what is not comparable.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..analysis.training_curves import TRAIN_ACCURACY, train_measure
from ..data.fashion_mnist import N_TEST
from ..training.config import PROTOCOL, PROTOCOL_BUDGET, budget_text
from .verdicts import Evidence

FULL_BUILD = "the full profile (`fmnist report --profile full`, meant for a GPU)"


def training_view(history: pd.DataFrame) -> pd.DataFrame:
    """The history with `train_acc` read clean (`clean_train_acc`) where the run measured it, for the gap,
    overfitting and convergence claims; runs cached before that column keep the running accuracy."""
    if train_measure(history) == "clean":
        return history.assign(train_acc=history[TRAIN_ACCURACY["clean"]])
    return history


def training_accuracy_words(histories) -> str:
    """Which training accuracy the histories' claims read, in words a sentence can carry."""
    clean = [train_measure(h) == "clean" for h in histories]
    if clean and all(clean):
        return ("training accuracy measured clean (a fixed subset of training images in eval mode, without "
                "augmentation)")
    if any(clean):
        return "training accuracy measured clean where the run did, else its running average over the epoch"
    return ("the running training accuracy (averaged over each epoch's batches in training mode; these runs were "
            "trained before the clean measurement)")


@dataclass(frozen=True)
class RunSet:
    """One model's runs at one budget, one per seed, with the numbers claims read.

    `accuracies` and `losses` are test numbers per run (per cent and nats), `errors` the misclassified
    test images, `histories` the per-epoch tables (epoch, train_acc, val_acc, train_loss, val_loss).
    """

    label: str  # display name, e.g. "Custom CNN"
    epochs: int
    train_images: int
    augment: bool = False
    seeds: tuple[int, ...] = ()
    accuracies: tuple[float, ...] = ()
    losses: tuple[float, ...] = ()
    errors: tuple[int, ...] = ()
    histories: tuple[pd.DataFrame, ...] = field(default=(), compare=False)
    test_images: int = N_TEST
    page: str = ""

    @property
    def n(self) -> int:
        return len(self.accuracies)

    @property
    def budget(self) -> str:
        """'15 epochs on 50,000 images' (', augmented' when it is)."""
        return budget_text(self.epochs, self.train_images, self.augment)

    @property
    def at_protocol(self) -> bool:
        """Trained as the write-up trained its models: 15 epochs on all 50,000 training images (`PROTOCOL`)."""
        return self.epochs == PROTOCOL.epochs and self.train_images == PROTOCOL.n_train

    def describe(self) -> str:
        """'Custom CNN, 15 epochs on 50,000 images, 5 seeds' (or 'seed 56')."""
        seeds = f"{self.n} seeds" if self.n != 1 else f"seed {self.seeds[0]}" if self.seeds else "one run"
        return f"{self.label}, {self.budget}, {seeds}"

    @property
    def clean_histories(self) -> tuple[pd.DataFrame, ...]:
        """The histories as the gap, overfitting and convergence claims read them (`training_view`)."""
        return tuple(training_view(history) for history in self.histories)

    def evidence(self, method: str, page: str | None = None) -> Evidence:
        return Evidence(runs=self.describe(), method=method, page=self.page if page is None else page,
                        seeds=self.n, images=self.test_images)


def not_at_protocol(runs: RunSet | None, what: str) -> str:
    """Why a claim about the write-up's protocol cannot be tested on `runs`, naming the build that can."""
    if runs is None:
        return f"This build has no run of {what}; {FULL_BUILD} trains it at the write-up's protocol."
    return (f"This build trains {runs.label} for {runs.budget}, not the write-up's {PROTOCOL_BUDGET}; {FULL_BUILD} "
            "tests this claim.")
