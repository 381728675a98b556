"""The forensics of the claims page, read from its runs: for each contradicted row, and each row whose text and
printed output differ, the candidate explanations of `claims.forensics` that concern its number.

Ours is always the final weights, as the write-up reported. What each candidate needs:
- the best-validation checkpoint and the accuracy measure reuse the row's own runs (their stored best-validation
  predictions; their history's `clean_train_acc`), so every build tests them;
- a longer baseline needs the plain custom CNN at 30 epochs on all training images (the full profile's
  augmentation study has it: `runs["study"][(False, 30)]`);
- fp32 against bf16 and other normalisation constants need twins of the row's runs, `runs["forensics"]["fp32"]` and
  `runs["forensics"]["normalisation"]` (lists of runs, one per seed), which only the full build trains.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..analysis.thresholds import EQUIVALENT, LOSS_MARGIN
from ..analysis.training_curves import TRAIN_ACCURACY, train_measure
from ..data import writeup
from ..data.fashion_mnist import N_TEST
from ..runs.cache import Run
from ..training.config import PROTOCOL, WRITEUP_MEAN, WRITEUP_STD
from . import forensics as fx
from . import gather
from .ledger import CUSTOM, model_runs
from .verdicts import CONTRADICTED, NOT_TESTABLE, Claim

LONG_EPOCHS = writeup.AUGMENTED_EPOCHS.value  # the text's "by epoch 30"


def accuracy(run: Run, weights: str) -> float:
    return 100 * run.test_metrics(weights)["accuracy"]


def loss(run: Run, weights: str) -> float:
    return run.test_metrics(weights)["loss"]


def error_rate(run: Run, weights: str) -> float:
    metrics = run.test_metrics(weights)
    return 100 * metrics["errors"] / metrics["n"]


def train_accuracy(run: Run, weights: str = "final") -> float:
    """The last epoch's running training accuracy (training mode, augmented images), as the write-up printed it."""
    return 100 * float(run.history["train_acc"].iloc[-1])


def clean_train_accuracy(run: Run) -> float | None:
    """The last epoch's eval-mode accuracy on unaugmented training images; None for a run recorded without it."""
    if train_measure(run.history) != "clean":
        return None
    return 100 * float(run.history[TRAIN_ACCURACY["clean"]].iloc[-1])


@dataclass(frozen=True)
class Row:
    """How a claim's number is read from a run and judged."""

    text: float
    metric: Callable[[Run, str], float]
    what: str
    unit: str = " %"
    longer: bool = False  # a §4 number of the custom CNN, which the text reads 'by epoch 30'
    margin: float = EQUIVALENT.value  # the equivalence margin the claim's rule reads (`analysis.thresholds`)


def row_spec(key: str) -> Row | None:
    """The number a claim compares, or None for a claim the candidates do not concern."""
    if key.startswith("writeup.accuracy."):
        return Row(writeup.ACCURACY[key.removeprefix("writeup.accuracy.")].value, accuracy, "the test accuracy")
    return {
        "writeup.custom_second_accuracy": Row(writeup.CUSTOM_SECOND_ACCURACY.value, accuracy, "the test accuracy",
                                              longer=True),
        "writeup.custom_test_loss": Row(writeup.CUSTOM_TEST_LOSS.value, loss, "the test loss", unit="", longer=True,
                                        margin=LOSS_MARGIN.value),
        "writeup.errors": Row(100 * writeup.ERRORS.value / N_TEST, error_rate, "the error rate"),
        "writeup.custom_gap": Row(writeup.TRAIN_ACC_END.value, train_accuracy, "the training accuracy", longer=True),
        "writeup.augmented_accuracy": Row(writeup.AUGMENTED_ACCURACY.value, accuracy, "the test accuracy"),
        "writeup.crop_flip_erase_accuracy": Row(writeup.CROP_FLIP_ERASE_ACCURACY.value, accuracy, "the test accuracy"),
    }.get(key)


def row_runs(key: str, runs: dict) -> list[Run]:
    """The runs a claim was judged on (empty when this build has none)."""
    if key.startswith("writeup.accuracy."):
        return model_runs(runs, key.removeprefix("writeup.accuracy."))
    if key == "writeup.augmented_accuracy":
        return list(runs["study"].get((True, LONG_EPOCHS), []))
    if key == "writeup.crop_flip_erase_accuracy":
        return list(runs.get("policies", {}).get("crop_flip_erase", []))
    return model_runs(runs, CUSTOM)


def long_baseline(runs: dict) -> list[Run]:
    """The plain custom CNN at 30 epochs on all training images, where this build trains it."""
    arm = list(runs["study"].get((False, LONG_EPOCHS), []))
    return arm if arm and arm[0].config.n_train == PROTOCOL.n_train else []


def quantity(spec: Row, own: list[Run]) -> fx.Quantity:
    """The row's number as the rule reads it, from its final weights."""
    n_images = own[0].test_metrics()["n"]
    error = None
    if spec.metric is loss and len(own) == 1:
        error = float(np.mean(gather.loss_errors(own)))
    if spec.metric is train_accuracy:
        n_images = own[0].config.n_train  # a training accuracy is a share of the training images
    return fx.Quantity(spec.text, tuple(spec.metric(r, "final") for r in own), spec.what, n_images, spec.unit, error,
                       spec.margin)


def candidates(spec: Row, own: list[Run], runs: dict) -> list[fx.Explanation]:
    """Every candidate that concerns the row, tested on what this build has."""
    row, twins = quantity(spec, own), runs.get("forensics", {})

    def values(chosen: list[Run]) -> list[float] | None:  # the row's number from another set of runs (None: none)
        return [spec.metric(r, "final") for r in chosen] or None

    found = []
    if spec.metric is train_accuracy:
        clean = [clean_train_accuracy(r) for r in own]
        found.append(fx.accuracy_measure(row, None if None in clean else clean))
    else:
        found.append(fx.checkpoint_choice(row, [spec.metric(r, "best") for r in own],
                                          [r.metrics["best_epoch"] for r in own], own[0].config.epochs))
    if spec.longer:
        found.append(fx.longer_baseline(row, values(long_baseline(runs)), LONG_EPOCHS))
    twin = twins.get("fp32", [])
    found.append(fx.precision_twin(row, [r.config.precision for r in own], values(twin)))
    if spec.metric is not train_accuracy:
        other = twins.get("normalisation", [])
        found.append(fx.normalisation(row, (own[0].config.mean, own[0].config.std), (WRITEUP_MEAN, WRITEUP_STD),
                                      values(other), (other[0].config.mean, other[0].config.std) if other else None))
    return found


@dataclass(frozen=True)
class Forensic:
    """A row's forensics: its number in the claims table, the claim, the candidates and one line."""

    number: int
    claim: Claim
    explanations: tuple[fx.Explanation, ...]
    line: str


def needs_explaining(claim: Claim) -> bool:
    """Contradicted, or text and printed output differ."""
    return claim.verdict == CONTRADICTED or bool(claim.printed_note)


def explain(claims: list[Claim], runs: dict) -> list[Forensic]:
    """The forensics of every row that needs explaining, numbered as in the claims table."""
    found = []
    for number, claim in enumerate(claims, start=1):
        if not needs_explaining(claim):
            continue
        spec, own = row_spec(claim.key), row_runs(claim.key, runs)
        if claim.verdict == NOT_TESTABLE or not own:
            found.append(Forensic(number, claim, (), "This build cannot test the row itself; the full build tests it "
                                  "and its candidate explanations."))
        elif spec is None:
            found.append(Forensic(number, claim, (), "None of the candidate explanations concerns this claim."))
        else:
            explanations = tuple(candidates(spec, own, runs))
            found.append(Forensic(number, claim, explanations, fx.summary(explanations)))
    return found
