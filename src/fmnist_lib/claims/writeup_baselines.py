"""The write-up's claims of sections 3 and 4: four accuracies, the custom CNN's numbers, the choice of the
custom CNN, ResNet-18's overfitting and the custom CNN's training curves.

Each function takes the RunSets the claim needs (None where the build has none) and returns a Claim.
Claims about the write-up's protocol are tested only on runs trained at it; others are "not testable
with this build", naming the build that can test them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

import pandas as pd

from ..analysis.seed_runs import sampling_error
from ..analysis.thresholds import (ALPHA, EQUIVALENT, GAP_MARGIN, GAP_OPENS_SLACK, GAP_POINTS, LOSS_MARGIN,
                                   MAX_DRAWDOWN, VAL_LOSS_RISE)
from ..analysis.training_curves import final_gap, overfitting
from ..data import writeup
from ..data.writeup import Reported
from ..training.config import PROTOCOL
from . import rules
from .evidence import RunSet, not_at_protocol, training_accuracy_words
from .verdicts import CONTRADICTED, INCONCLUSIVE, NOT_SUPPORTED, NOT_TESTABLE, SUPPORTED, Claim, Evidence

SOURCE_3, SOURCE_4 = "write-up §3", "write-up §4"
EPOCHS = PROTOCOL.epochs  # the write-up's budget, which its §3-4 numbers are after
CUSTOM_RUN = "writeup.custom_run"  # the measurement §3's 92.97 %, §4's 93.21 % and §5's 703 errors all re-state


def number_method(runs: RunSet, margin: str) -> str:
    """How a number of the write-up was judged on `runs`, for the evidence column."""
    if runs.n >= rules.ENOUGH_SEEDS:
        return f"equivalence test (TOST) over the seeds, margin {margin}"
    return f"distance against the margin {margin}; fewer seeds than an equivalence test needs"


def accuracy_claim(model: str, runs: RunSet | None, reported: Reported | None = None, source: str = SOURCE_3,
                   key: str | None = None) -> Claim:
    """The write-up's test accuracy of `model` after 15 epochs (§3's, unless `reported` names another figure of
    it, under its own `key`), against ours at the same protocol."""
    theirs = (reported or writeup.ACCURACY[model]).value
    key = key or f"writeup.accuracy.{model}"
    label = runs.label if runs is not None else model
    statement = f"{label} reaches {theirs:.2f} % test accuracy after {EPOCHS} epochs"
    if runs is None or not runs.at_protocol:
        ours = f"{float(np.mean(runs.accuracies)):.2f} % after {runs.budget}" if runs is not None and runs.n else ""
        return Claim(key, statement, NOT_TESTABLE, not_at_protocol(runs, label),
                     Evidence(runs=runs.describe() if runs else "none", method="needs the write-up's protocol",
                              page="baselines"), ours=ours, theirs=f"{theirs:.2f} %", source=source)
    verdict, sentence, numbers = rules.compare_number(theirs, runs.accuracies, n_images=runs.test_images,
                                                      what=f"{label}'s test accuracy")
    ours = f"{numbers['mean']:.2f} %" + (f" ± {numbers['sd']:.2f}" if runs.n > 1 else "")
    return Claim(key, statement, verdict, sentence, runs.evidence(number_method(runs, f"± {EQUIVALENT.value} points")),
                 ours=ours, theirs=f"{theirs:.2f} %", source=source, numbers=numbers,
                 measurement=CUSTOM_RUN if model == "custom_cnn" else "")


def test_loss_claim(runs: RunSet | None, loss_errors: tuple[float, ...] = ()) -> Claim:
    """§4's test loss of the custom CNN, 0.2390; `loss_errors`: per run, the standard error of its mean test loss."""
    theirs = writeup.CUSTOM_TEST_LOSS.value
    statement = f"the custom CNN's test loss is {theirs:.4f}"
    if runs is None or not runs.at_protocol:
        return Claim("writeup.custom_test_loss", statement, NOT_TESTABLE, not_at_protocol(runs, "the custom CNN"),
                     Evidence(runs="none", method="needs the write-up's protocol", page="baselines"),
                     theirs=f"{theirs:.4f}", source=SOURCE_4)
    error = float(np.mean(loss_errors)) if loss_errors else None
    verdict, sentence, numbers = rules.compare_number(theirs, runs.losses, n_images=runs.test_images,
                                                      what="the test loss", unit=" nats", digits=4,
                                                      margin=LOSS_MARGIN.value, single_run_error=error)
    return Claim("writeup.custom_test_loss", statement, verdict, sentence,
                 runs.evidence(number_method(runs, f"± {LOSS_MARGIN.value} nats")),
                 ours=f"{numbers['mean']:.4f}", theirs=f"{theirs:.4f}", source=SOURCE_4, numbers=numbers)


def _history_claim(key: str, statement: str, runs: RunSet | None, what: str, source: str):
    """Not testable unless the runs are the custom CNN's at the write-up's protocol, with histories."""
    if runs is None or not runs.at_protocol or not runs.histories:
        return Claim(key, statement, NOT_TESTABLE, not_at_protocol(runs, what),
                     Evidence(runs=runs.describe() if runs else "none", method=f"needs {EPOCHS}-epoch histories",
                              page="baselines"), source=source)
    return None


def gap_claim(runs: RunSet | None) -> Claim:
    """§4: at epoch 15 training accuracy is about 97.44 % and validation about 93.84 %, a gap of about 3.6 points."""
    train_theirs, val_theirs = writeup.TRAIN_ACC_END.value, writeup.VAL_ACC_END.value
    theirs = train_theirs - val_theirs
    statement = (f"at epoch {EPOCHS} the custom CNN's training accuracy is {train_theirs:.2f} % and its validation "
                 f"accuracy {val_theirs:.2f} %, a gap of {theirs:.2f} points (moderate overfitting)")
    missing = _history_claim("writeup.custom_gap", statement, runs, "the custom CNN", SOURCE_4)
    if missing:
        return missing
    histories = runs.clean_histories
    gaps = [final_gap(h) for h in histories]
    train, val = (float(np.mean([100 * h[c].iloc[-1] for h in histories])) for c in ("train_acc", "val_acc"))
    error = math.hypot(sampling_error(train, PROTOCOL.n_train), sampling_error(val, PROTOCOL.val_size))
    verdict, sentence, numbers = rules.compare_number(theirs, gaps, n_images=runs.test_images, what="the gap",
                                                      unit=" points", margin=GAP_MARGIN.value, single_run_error=error)
    sentence = (f"Training accuracy {train:.2f} % and validation {val:.2f} % at the last epoch, reading "
                f"{training_accuracy_words(runs.histories)}. " + sentence)
    return Claim("writeup.custom_gap", statement, verdict, sentence,
                 runs.evidence("training minus validation accuracy at the last epoch; "
                               + number_method(runs, f"± {GAP_MARGIN.value} points")),
                 ours=f"{train:.2f} / {val:.2f} %", theirs=f"{train_theirs:.2f} / {val_theirs:.2f} %",
                 source=SOURCE_4, numbers={**numbers, "train": train, "val": val})


def gap_opens_claim(runs: RunSet | None) -> Claim:
    """§4: the gap between training and validation accuracy emerges after approximately epoch 12."""
    after, slack = writeup.GAP_OPENS_AFTER.value, GAP_OPENS_SLACK.value
    statement = f"the training/validation gap emerges after about epoch {after}"
    missing = _history_claim("writeup.gap_opens", statement, runs, "the custom CNN", SOURCE_4)
    if missing:
        return missing
    epochs = [overfitting(h)["gap_opens_epoch"] for h in runs.clean_histories]
    near = [e is not None and abs(e - after) <= slack for e in epochs]
    verdict = rules.at_seeds(SUPPORTED if all(near) else CONTRADICTED if not any(near) else INCONCLUSIVE, runs.n)
    shown = ", ".join("never" if e is None else str(e) for e in epochs)
    sentence = (f"The gap (training above validation accuracy by more than {rules.points(GAP_POINTS.value, 0)} from "
                f"then on, reading {training_accuracy_words(runs.histories)}) opens at epoch {shown} "
                f"{rules.seeds_phrase(runs.n)}; within {slack} epochs of {after} in {sum(near)} of {runs.n}.")
    return Claim("writeup.gap_opens", statement, verdict, sentence,
                 runs.evidence(f"first epoch with a lasting gap above {rules.points(GAP_POINTS.value, 0)}"),
                 ours=f"epoch {shown}", theirs=f"after about epoch {after}", source=SOURCE_4,
                 numbers={"epochs": epochs})


def stability_claim(runs: RunSet | None) -> Claim:
    """§4: validation accuracy remains stable rather than collapsing."""
    statement = "the custom CNN's validation accuracy stays stable rather than collapsing"
    missing = _history_claim("writeup.val_stable", statement, runs, "the custom CNN", SOURCE_4)
    if missing:
        return missing
    drawdowns = [float((100 * (h["val_acc"].cummax() - h["val_acc"])).max()) for h in runs.histories]
    stable = [d <= MAX_DRAWDOWN.value for d in drawdowns]
    verdict = rules.at_seeds(SUPPORTED if all(stable) else NOT_SUPPORTED, runs.n)
    sentence = (f"The largest fall of validation accuracy below its best so far is {max(drawdowns):.2f} points "
                f"{rules.seeds_phrase(runs.n)} (a collapse would be more than {rules.points(MAX_DRAWDOWN.value, 0)}).")
    return Claim("writeup.val_stable", statement, verdict, sentence, runs.evidence("largest fall below the best so far"),
                 ours=f"largest fall {max(drawdowns):.2f} points", theirs="stable", source=SOURCE_4,
                 numbers={"drawdowns": drawdowns})


def overfitting_claim(runs: RunSet | None, model_label: str = "ResNet-18") -> Claim:
    """§3: ResNet-18 overfits: validation loss rises after the first epochs while training accuracy keeps climbing."""
    statement = f"{model_label} overfits: its validation loss rises while its training accuracy keeps climbing"
    if runs is None or not runs.at_protocol or not runs.histories:
        short = f" {runs.epochs} epoch{'s' if runs.epochs > 1 else ''} cannot show a trend over {EPOCHS} epochs." \
            if runs is not None and runs.epochs < EPOCHS else ""
        return Claim("writeup.resnet_overfits", statement, NOT_TESTABLE, not_at_protocol(runs, model_label) + short,
                     Evidence(runs=runs.describe() if runs else "none", method=f"needs {EPOCHS}-epoch histories",
                              page="baselines"), source=SOURCE_3)
    rising = []
    for history in runs.clean_histories:
        fit = overfitting(history)
        at_minimum = history.loc[history["epoch"] == fit["val_loss_min_epoch"], "train_acc"].iloc[0]
        rising.append(bool(fit["val_loss_rising"] and history["train_acc"].iloc[-1] > at_minimum))
    verdict = rules.at_seeds(SUPPORTED if all(rising) else NOT_SUPPORTED if not any(rising) else INCONCLUSIVE, runs.n)
    sentence = (f"Validation loss ends more than {100 * VAL_LOSS_RISE.value:.0f} % above its minimum while training "
                f"accuracy ({training_accuracy_words(runs.histories)}) is still higher than at that minimum in "
                f"{sum(rising)} of {runs.n} runs ({rules.seeds_phrase(runs.n)}).")
    return Claim("writeup.resnet_overfits", statement, verdict, sentence,
                 runs.evidence("validation loss at the end against its minimum, per run"),
                 ours=f"{sum(rising)} of {runs.n} runs", theirs="rises", source=SOURCE_3, numbers={"rising": rising})


def capacity_claim(custom: RunSet | None, others: Mapping[str, RunSet | None],
                   comparisons: pd.DataFrame | None = None) -> Claim:
    """§3: the larger models bring nothing: the custom CNN is at least as accurate as each of them.

    `comparisons`: `analysis.stats.seed_differences` of custom CNN minus each other model (comparison = the model's
    key) in points, seed i against seed i, with `margin` EQUIVALENT, one Holm family of the three. Supported when
    no larger model is ahead by more than the margin (non-inferiority, Holm-adjusted, in every comparison);
    contradicted when one is clearly ahead; needs every model at the write-up's protocol with MIN_SEEDS seeds.
    """
    statement = "the custom CNN is at least as accurate as VGG-16, VGG-19 and ResNet-18, so their capacity is unneeded"
    runsets = {"custom": custom, **others}
    if any(r is None or not r.at_protocol for r in runsets.values()) or comparisons is None or comparisons.empty:
        budgets = {r.label: r.budget for r in runsets.values() if r is not None}
        return Claim("writeup.capacity", statement, NOT_TESTABLE,
                     f"The models trained at different budgets here ({rules.budgets_sentence(budgets)}): their "
                     f"accuracies compare budgets, not architectures. The full profile compares them at the "
                     f"write-up's protocol.", Evidence(runs="unmatched budgets", method="needs matched budgets",
                                                       page="baselines"),
                     source=SOURCE_3)
    rows = comparisons.set_index("comparison")
    n = int(rows["seeds"].min())
    label = {m: others[m].label for m in rows.index}
    parts = [f"{label[m]}: {row['mean']:+.2f} ({row['low']:+.2f} to {row['high']:+.2f})" for m, row in rows.iterrows()]
    worse = [label[m] for m, row in rows.iterrows() if row["direction"] == "lower"]  # a larger model clearly ahead
    within = [label[m] for m, row in rows.iterrows() if row.get("p non-inferior (Holm)", 1.0) < ALPHA.value]
    if n < rules.ENOUGH_SEEDS:
        verdict, why = INCONCLUSIVE, (f"With {n} seed(s) per model, fewer than the {rules.ENOUGH_SEEDS} a test over "
                                      "seeds needs, no comparison of the architectures is made.")
    elif worse:
        verdict, why = CONTRADICTED, f"{rules.join_names(worse)} {'is' if len(worse) == 1 else 'are'} clearly more accurate."
    elif len(within) == len(rows):
        verdict, why = SUPPORTED, f"No larger model is ahead by more than {rules.points(EQUIVALENT.value, 1)}."
    else:
        unclear = [label[m] for m in rows.index if label[m] not in within]
        verdict, why = INCONCLUSIVE, (f"The tests over seeds cannot exclude that {rules.join_names(unclear)} "
                                      f"{'is' if len(unclear) == 1 else 'are'} ahead by more than "
                                      f"{rules.points(EQUIVALENT.value, 1)}.")
    sentence = (f"Custom CNN minus each larger model, in points over {n} seeds with 95 % intervals: "
                + "; ".join(parts) + f" (t-tests over seeds, Holm over the {len(rows)} comparisons). " + why)
    return Claim("writeup.capacity", statement, verdict, sentence,
                 Evidence(runs=f"the four models at the write-up's protocol, {n} seeds each",
                          method=f"per-seed differences, non-inferiority at {EQUIVALENT.value} points, Holm",
                          page="baselines", seeds=n),
                 ours="; ".join(parts), theirs="custom CNN best", source=SOURCE_3,
                 numbers={m: (row["mean"], row["low"], row["high"]) for m, row in rows.iterrows()})
