"""Why a number of the write-up is not where our runs land: candidate explanations, each tested on runs.

A contradicted row (or one whose text and printed output differ) may owe its gap to how the number was made
rather than to the model: a longer run than the text says ("by epoch 30"), the best-validation checkpoint instead
of the last, training accuracy read as a running average in training mode instead of in eval mode, bf16 instead
of fp32, or other normalisation constants. Each candidate predicts that runs made its way land on the text's
number where ours do not; it is *favoured* when they do, by the rule that judged the row (`rules.compare_number`),
*not favoured* when they do not (or when it cannot apply), and *not tested here* when this build lacks the runs,
naming the build that has them. Pure functions of numbers; `claims.forensics_runs` reads them from runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..analysis.thresholds import EQUIVALENT
from . import rules
from .verdicts import CONSISTENT, REPRODUCED

LANDS = (REPRODUCED, CONSISTENT)  # on the text's number: shown over seeds, or within the margin on fewer

FAVOURED, NOT_FAVOURED, NOT_TESTED = "favoured", "not favoured", "not tested here"
FULL_BUILD_TESTS = "not tested in this build; the full build tests it"
LONGER, CHECKPOINT, MEASURE, PRECISION, NORMALISATION = (
    "a longer baseline", "the best-validation checkpoint", "eval-mode training accuracy", "fp32 instead of bf16",
    "other normalisation constants")


@dataclass(frozen=True)
class Quantity:
    """What a row compares: its text value, our values (one per run) and how the rule reads them."""

    text: float
    ours: tuple[float, ...]
    what: str  # e.g. "the test accuracy"
    n_images: int
    unit: str = " %"
    single_run_error: float | None = None
    margin: float = EQUIVALENT.value  # the equivalence margin of the row's rule


@dataclass(frozen=True)
class Explanation:
    """One candidate for one row: what it predicts, what the runs show, and the verdict."""

    candidate: str
    predicts: str
    shows: str
    verdict: str  # FAVOURED, NOT_FAVOURED or NOT_TESTED


def _value(values: Sequence[float], unit: str) -> str:
    mean = sum(values) / len(values)
    digits = 4 if not unit else 2
    return f"{mean:.{digits}f}{unit}" + ("" if len(values) == 1 else f" (mean of {len(values)} runs)")


def weigh(candidate: str, predicts: str, row: Quantity, alternative: Sequence[float] | None, label: str,
          missing: str = FULL_BUILD_TESTS) -> Explanation:
    """The candidate's runs (`alternative`, one value per run, made its way) against the row's text value.

    Favoured when they land on the text's number by the row's rule while ours do not; not favoured when they do
    not either, or when ours already do (then there is nothing to explain); not tested without them (`missing`).
    """
    if not alternative:
        return Explanation(candidate, predicts, missing, NOT_TESTED)
    judge = dict(n_images=row.n_images, what=row.what, unit=row.unit, single_run_error=row.single_run_error,
                 margin=row.margin, digits=4 if not row.unit else 2)
    ours_verdict, _, ours_numbers = rules.compare_number(row.text, row.ours, **judge)
    their_verdict, _, numbers = rules.compare_number(row.text, list(alternative), **judge)
    text = f"{row.text:.{4 if not row.unit else 2}f}{row.unit}"
    shows = (f"{label}: {_value(alternative, row.unit)} against the text's {text} "
             f"({'within' if their_verdict in LANDS else 'outside'} ± {numbers['tolerance']:.2f}); "
             f"ours as built: {_value(row.ours, row.unit)}")
    if ours_verdict in LANDS:
        return Explanation(candidate, predicts, shows + ", already on it", NOT_FAVOURED)
    closer = abs(numbers["difference"]) < abs(ours_numbers["difference"])
    if their_verdict not in LANDS:
        shows += f"; it moves {'towards' if closer else 'away from'} the text's number but stays outside"
    return Explanation(candidate, predicts, shows, FAVOURED if their_verdict in LANDS else NOT_FAVOURED)


def longer_baseline(row: Quantity, at_30: Sequence[float] | None, epochs: int = 30) -> Explanation:
    """The text's 'by epoch 30': its §4 numbers would come from a longer run of the plain custom CNN."""
    return weigh(LONGER, f"a plain custom CNN trained {epochs} epochs lands on the text's number", row, at_30,
                 f"{epochs} epochs")


def checkpoint_choice(row: Quantity, best: Sequence[float] | None, best_epochs: Sequence[int],
                      epochs: int) -> Explanation:
    """The best-validation weights instead of the last: their failure analysis loaded the best checkpoint.

    `best`: per run, the number with the best-validation weights; `best_epochs`: the epoch each was saved at. When
    every run's best epoch is its last, the two weight sets are one and the candidate cannot apply.
    """
    predicts = "the best-validation weights land on the text's number where the last ones do not"
    if best and best_epochs and all(epoch == epochs for epoch in best_epochs):
        return Explanation(CHECKPOINT, predicts, f"every run's best validation epoch is its last ({epochs}): the two "
                           "weight sets are the same", NOT_FAVOURED)
    return weigh(CHECKPOINT, predicts, row, best, "best-validation weights",
                 missing="this build's runs store no best-validation predictions")


def accuracy_measure(row: Quantity, clean: Sequence[float] | None) -> Explanation:
    """Training accuracy in eval mode on unaugmented images, against the running average in training mode that
    the history's `train_acc` (and the write-up's printed 'Train Acc') records. `row.ours` holds the running one."""
    return weigh(MEASURE, "training accuracy measured in eval mode, without dropout, lands on the text's number",
                 row, clean, "eval-mode training accuracy",
                 missing="needs a run with clean training accuracy (a history with `clean_train_acc`)")


def precision_twin(row: Quantity, precisions: Sequence[str], twin: Sequence[float] | None,
                   twin_precision: str = "fp32") -> Explanation:
    """bf16 autocast (the cpu profile's, on a CPU that has it) against fp32, which the write-up's code used."""
    predicts = f"a {twin_precision} twin of our run lands on the text's number"
    if not twin and precisions and set(precisions) == {twin_precision}:
        return Explanation(PRECISION, predicts, f"our runs already train in {twin_precision}, as the write-up's code "
                           "did", NOT_FAVOURED)
    return weigh(PRECISION, predicts, row, twin, f"{twin_precision} twin")


def normalisation(row: Quantity, constants: tuple[float, float], code_constants: tuple[float, float],
                  twin: Sequence[float] | None, twin_constants: tuple[float, float] | None = None) -> Explanation:
    """The code's normalisation constants (which our runs use) against others: the text says only 'standard
    normalization', so a twin with other constants tests whether the choice moves the number."""
    predicts = "a run normalised with other constants lands on the text's number"
    if not twin and tuple(constants) != tuple(code_constants):
        return Explanation(NORMALISATION, predicts, f"our runs normalise with {constants}, not the code's "
                           f"{code_constants}; a twin with the code's constants tests it", NOT_TESTED)
    label = f"mean {twin_constants[0]}, std {twin_constants[1]}" if twin_constants else "other constants"
    return weigh(NORMALISATION, predicts, row, twin, label)


def summary(explanations: Sequence[Explanation]) -> str:
    """One line: what the evidence favours, what it rules out, and what this build leaves to the full build."""
    def named(verdict: str) -> list[str]:
        return [e.candidate for e in explanations if e.verdict == verdict]

    favoured, ruled_out, untested = named(FAVOURED), named(NOT_FAVOURED), named(NOT_TESTED)
    parts = [f"the evidence favours {rules.join_names(favoured)}" if favoured else
             "no candidate tested here explains it" if ruled_out else "no candidate could be tested in this build"]
    if ruled_out:
        parts.append(f"not favoured: {rules.join_names(ruled_out)}")
    if untested:
        parts.append(f"not tested here: {rules.join_names(untested)}")
    return "; ".join(parts) + "."
