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

from ..analysis.seed_runs import sampling_error
from ..analysis.thresholds import EQUIVALENT, GAP_OPENS_SLACK, GAP_POINTS, MAX_DRAWDOWN, VAL_LOSS_RISE
from ..analysis.training_curves import final_gap, overfitting
from ..data import writeup
from ..data.writeup import Reported
from ..training.config import PROTOCOL
from . import rules
from .evidence import RunSet, not_at_protocol
from .verdicts import (CONTRADICTED, INCONCLUSIVE, NOT_SUPPORTED, NOT_TESTABLE, REPRODUCED, SUPPORTED, Claim,
                       Evidence)

SOURCE_3, SOURCE_4 = "write-up §3", "write-up §4"
EPOCHS = PROTOCOL.epochs  # the write-up's budget, which its §3-4 numbers are after


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
    method = "prediction interval of one run over the seeds" if runs.n > 1 else "binomial sampling error (one run)"
    return Claim(key, statement, verdict, sentence, runs.evidence(method),
                 ours=ours, theirs=f"{theirs:.2f} %", source=source, numbers=numbers)


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
                                                      what="the test loss", unit="", single_run_error=error)
    sentence = sentence.replace(" points", "").replace(" point", "")
    return Claim("writeup.custom_test_loss", statement, verdict, sentence,
                 runs.evidence("prediction interval over seeds, or the loss's standard error over test images"),
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
    gaps = [final_gap(h) for h in runs.histories]
    train, val = (float(np.mean([100 * h[c].iloc[-1] for h in runs.histories])) for c in ("train_acc", "val_acc"))
    error = math.hypot(sampling_error(train, PROTOCOL.n_train), sampling_error(val, PROTOCOL.val_size))
    verdict, sentence, numbers = rules.compare_number(theirs, gaps, n_images=runs.test_images, what="the gap",
                                                      unit=" points", single_run_error=error)
    sentence = (f"Training accuracy {train:.2f} % and validation {val:.2f} % at the last epoch. "
                + sentence.replace(" points points", " points"))
    return Claim("writeup.custom_gap", statement, verdict, sentence,
                 runs.evidence("training minus validation accuracy at the last epoch"),
                 ours=f"{train:.2f} / {val:.2f} %", theirs=f"{train_theirs:.2f} / {val_theirs:.2f} %",
                 source=SOURCE_4, numbers={**numbers, "train": train, "val": val})


def gap_opens_claim(runs: RunSet | None) -> Claim:
    """§4: the gap between training and validation accuracy emerges after approximately epoch 12."""
    after, slack = writeup.GAP_OPENS_AFTER.value, GAP_OPENS_SLACK.value
    statement = f"the training/validation gap emerges after about epoch {after}"
    missing = _history_claim("writeup.gap_opens", statement, runs, "the custom CNN", SOURCE_4)
    if missing:
        return missing
    epochs = [overfitting(h)["gap_opens_epoch"] for h in runs.histories]
    near = [e is not None and abs(e - after) <= slack for e in epochs]
    verdict = REPRODUCED if all(near) else CONTRADICTED if not any(near) else INCONCLUSIVE
    shown = ", ".join("never" if e is None else str(e) for e in epochs)
    sentence = (f"The gap (training above validation accuracy by more than {rules.points(GAP_POINTS.value, 0)} from "
                f"then on) opens at epoch {shown} {rules.seeds_phrase(runs.n)}; within {slack} epochs of {after} in "
                f"{sum(near)} of {runs.n}.")
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
    verdict = SUPPORTED if all(stable) else NOT_SUPPORTED
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
    for history in runs.histories:
        fit = overfitting(history)
        at_minimum = history.loc[history["epoch"] == fit["val_loss_min_epoch"], "train_acc"].iloc[0]
        rising.append(bool(fit["val_loss_rising"] and history["train_acc"].iloc[-1] > at_minimum))
    verdict = SUPPORTED if all(rising) else NOT_SUPPORTED if not any(rising) else INCONCLUSIVE
    sentence = (f"Validation loss ends more than {100 * VAL_LOSS_RISE.value:.0f} % above its minimum while training "
                f"accuracy is still higher than at that minimum in {sum(rising)} of {runs.n} runs "
                f"({rules.seeds_phrase(runs.n)}).")
    return Claim("writeup.resnet_overfits", statement, verdict, sentence,
                 runs.evidence("validation loss at the end against its minimum, per run"),
                 ours=f"{sum(rising)} of {runs.n} runs", theirs="rises", source=SOURCE_3, numbers={"rising": rising})


def capacity_claim(custom: RunSet | None, others: Mapping[str, RunSet | None],
                   differences: Mapping[str, tuple[float, float, float]] | None = None) -> Claim:
    """§3: the larger models bring nothing: the custom CNN is at least as accurate as each of them.

    `differences`: per other model, (mean, low, high) of custom CNN minus that model in points, paired on
    the same test images (over seeds where there are several). Needs every model at the write-up's protocol.
    """
    statement = "the custom CNN is at least as accurate as VGG-16, VGG-19 and ResNet-18, so their capacity is unneeded"
    runsets = {"custom": custom, **others}
    if any(r is None or not r.at_protocol for r in runsets.values()) or not differences:
        budgets = {r.label: r.budget for r in runsets.values() if r is not None}
        return Claim("writeup.capacity", statement, NOT_TESTABLE,
                     f"The models trained at different budgets here ({rules.budgets_sentence(budgets)}): their "
                     f"accuracies compare budgets, not architectures. The full profile compares them at the "
                     f"write-up's protocol.", Evidence(runs="unmatched budgets", method="needs matched budgets",
                                                       page="baselines"),
                     source=SOURCE_3)
    worse = [others[m].label for m, (_, _, high) in differences.items() if high < 0]  # a larger model clearly ahead
    unclear = [others[m].label for m, (_, low, high) in differences.items() if low < -EQUIVALENT.value and high >= 0]
    verdict = CONTRADICTED if worse else INCONCLUSIVE if unclear else SUPPORTED
    parts = [f"{others[m].label}: {mean:+.2f} ({low:+.2f} to {high:+.2f})" for m, (mean, low, high) in differences.items()]
    sentence = ("Custom CNN minus each larger model, in points with 95 % intervals: " + "; ".join(parts) + ". "
                + (f"{', '.join(worse)} {'is' if len(worse) == 1 else 'are'} clearly more accurate." if worse else
                   f"The intervals for {', '.join(unclear)} allow a larger model to be ahead by more than "
                   f"{rules.points(EQUIVALENT.value, 1)}." if unclear else
                   f"No larger model is ahead by more than {rules.points(EQUIVALENT.value, 1)}."))
    return Claim("writeup.capacity", statement, verdict, sentence,
                 Evidence(runs=f"the four models at the write-up's protocol, {custom.n} seed(s) each",
                          method="paired differences on the same test images", page="baselines", seeds=custom.n),
                 ours="; ".join(parts), theirs="custom CNN best", source=SOURCE_3, numbers=dict(differences))
