"""The write-up's section 3-4 claims on hand-made runs: every verdict branch, thin evidence included."""

import numpy as np
import pandas as pd
import pytest

from fmnist_lib.analysis import stats
from fmnist_lib.analysis.thresholds import EQUIVALENT
from fmnist_lib.claims import writeup_baselines as wb
from fmnist_lib.claims.evidence import RunSet
from fmnist_lib.claims.verdicts import (CONSISTENT, CONTRADICTED, INCONCLUSIVE, NOT_SUPPORTED, NOT_TESTABLE,
                                        REPRODUCED, SUPPORTED, verdict_cell)


def history(train, val, val_loss=None):
    epochs = len(train)
    val_loss = val_loss if val_loss is not None else np.linspace(0.5, 0.25, epochs)
    return pd.DataFrame({"epoch": range(1, epochs + 1), "train_acc": np.array(train) / 100,
                         "val_acc": np.array(val) / 100, "train_loss": np.linspace(0.6, 0.1, epochs),
                         "val_loss": val_loss})


def runset(label="Custom CNN", epochs=15, images=50_000, accuracies=(93.2,), histories=(), losses=(0.24,)):
    return RunSet(label=label, epochs=epochs, train_images=images, seeds=tuple(range(56, 56 + len(accuracies))),
                  accuracies=tuple(accuracies), losses=tuple(losses), errors=tuple(round(100 * (100 - a)) for a in accuracies),
                  histories=tuple(histories), page="baselines")


def test_accuracy_at_protocol_is_compared_and_a_short_budget_is_not_testable():
    assert wb.accuracy_claim("vgg16", runset("VGG-16", accuracies=(92.3, 92.0, 91.9))).verdict == REPRODUCED
    assert wb.accuracy_claim("resnet18", runset("ResNet-18", accuracies=(93.0, 93.1, 92.9))).verdict == CONTRADICTED
    short = wb.accuracy_claim("vgg19", runset("VGG-19", epochs=2, images=10_000, accuracies=(53.6,)))
    assert short.verdict == NOT_TESTABLE and "2 epochs on 10,000 images" in short.sentence
    assert "full profile" in short.sentence and short.theirs == "91.78 %"
    assert wb.accuracy_claim("vgg19", None).verdict == NOT_TESTABLE


def test_one_seed_accuracy_is_consistent_never_reproduced_and_shares_the_runs_measurement():
    claim = wb.accuracy_claim("custom_cnn", runset(accuracies=(93.38,)))
    assert claim.verdict == CONSISTENT and "at this seed" in claim.sentence and claim.ours == "93.38 %"
    assert verdict_cell(claim) == "consistent, 1 seed" and claim.measurement == wb.CUSTOM_RUN
    assert wb.accuracy_claim("vgg16", runset("VGG-16", accuracies=(92.3,))).measurement == ""


def test_test_loss_uses_its_own_margin():
    assert wb.test_loss_claim(runset(losses=(0.25,)), loss_errors=(0.006,)).verdict == CONSISTENT
    assert wb.test_loss_claim(runset(losses=(0.30,)), loss_errors=(0.006,)).verdict == CONTRADICTED
    three = runset(accuracies=(93, 93, 93), losses=(0.242, 0.238, 0.245))
    claim = wb.test_loss_claim(three)
    assert claim.verdict == REPRODUCED and "nats" in claim.sentence


def test_gap_claim_reads_the_last_epoch_and_clean_accuracy_where_measured():
    flat = history([90 + i * 0.5 for i in range(15)], [90 + i * 0.25 for i in range(15)])
    claim = wb.gap_claim(runset(histories=[flat]))
    assert claim.numbers["train"] == pytest.approx(97.0) and claim.numbers["val"] == pytest.approx(93.5)
    assert claim.verdict == CONSISTENT and "running training accuracy" in claim.sentence  # gap 3.5 against 3.6
    clean = flat.assign(clean_train_acc=flat["val_acc"] + 0.001)  # clean: barely above validation
    measured = wb.gap_claim(runset(accuracies=(93, 93, 93), histories=[clean] * 3))
    assert measured.numbers["train"] == pytest.approx(93.6) and "measured clean" in measured.sentence
    assert measured.verdict == CONTRADICTED  # a gap of 0.1 against 3.6, the same in every seed
    close = history([90] * 15, [89.5] * 15)
    assert wb.gap_claim(runset(histories=[close])).verdict == CONTRADICTED
    assert wb.gap_claim(runset(epochs=2, images=10_000, histories=[close.head(2)])).verdict == NOT_TESTABLE


def test_gap_opening_claim():
    opens_at_11 = history([90] * 10 + [95] * 5, [90] * 15)
    assert wb.gap_opens_claim(runset(histories=[opens_at_11])).verdict == CONSISTENT
    assert wb.gap_opens_claim(runset(accuracies=(93,) * 3, histories=[opens_at_11] * 3)).verdict == SUPPORTED
    assert wb.gap_opens_claim(runset(histories=[opens_at_11])).ours == "epoch 11"
    early = history([95] * 15, [90] * 15)  # open from epoch 1
    assert wb.gap_opens_claim(runset(histories=[early])).verdict == CONTRADICTED
    assert wb.gap_opens_claim(runset(accuracies=(93, 93), histories=[early, opens_at_11])).verdict == INCONCLUSIVE


def test_stability_claim():
    steady = history([95] * 15, [93.0 + 0.01 * i for i in range(15)])
    assert wb.stability_claim(runset(histories=[steady])).verdict == CONSISTENT
    assert wb.stability_claim(runset(accuracies=(93,) * 3, histories=[steady] * 3)).verdict == SUPPORTED
    assert wb.stability_claim(runset(histories=[steady])).ours.startswith("largest fall ")
    collapse = history([95] * 15, [93] * 10 + [90] * 5)
    assert wb.stability_claim(runset(histories=[collapse])).verdict == NOT_SUPPORTED


def test_overfitting_needs_fifteen_epochs_and_counts_runs():
    rising = history(list(range(80, 95)), [90] * 15, val_loss=[0.4 - 0.02 * i for i in range(5)] + [0.3 + 0.02 * i for i in range(10)])
    falling = history(list(range(80, 95)), [90] * 15)
    assert wb.overfitting_claim(runset("ResNet-18", histories=[rising])).verdict == CONSISTENT
    assert wb.overfitting_claim(runset("ResNet-18", accuracies=(90,) * 3, histories=[rising] * 3)).verdict == SUPPORTED
    assert wb.overfitting_claim(runset("ResNet-18", histories=[falling])).verdict == NOT_SUPPORTED
    assert wb.overfitting_claim(runset("ResNet-18", accuracies=(90, 90), histories=[rising, falling])).verdict == INCONCLUSIVE
    short = wb.overfitting_claim(runset("ResNet-18", epochs=2, images=10_000, histories=[falling.head(2)]))
    assert short.verdict == NOT_TESTABLE and "2 epochs cannot show a trend over 15 epochs" in short.sentence


def comparisons(per_model: dict) -> pd.DataFrame:
    return stats.seed_differences(per_model, margin=EQUIVALENT.value)


def test_capacity_needs_matched_budgets_and_three_seeds_then_reads_the_tests_over_seeds():
    custom = runset(accuracies=(93.0,) * 3)
    others = {m: runset(m, accuracies=(92.0,) * 3) for m in ("vgg16", "vgg19", "resnet18")}
    clear = comparisons({m: [1.0, 0.9, 1.1] for m in others})
    unmatched = {**others, "vgg16": runset("vgg16", epochs=2, images=10_000)}
    claim = wb.capacity_claim(custom, unmatched, clear)
    assert claim.verdict == NOT_TESTABLE and "compare budgets, not architectures" in claim.sentence
    supported = wb.capacity_claim(custom, others, clear)
    assert supported.verdict == SUPPORTED and "Holm over the 3 comparisons" in supported.sentence
    ahead = comparisons({"vgg16": [-0.8, -0.9, -0.7], "vgg19": [1.0, 0.9, 1.1], "resnet18": [1.0, 0.9, 1.1]})
    assert wb.capacity_claim(custom, others, ahead).verdict == CONTRADICTED
    wide = comparisons({"vgg16": [0.1, -0.9, 1.1], "vgg19": [1.0, 0.9, 1.1], "resnet18": [1.0, 0.9, 1.1]})
    assert wb.capacity_claim(custom, others, wide).verdict == INCONCLUSIVE
    one = wb.capacity_claim(runset(), {m: runset(m) for m in others}, comparisons({m: [1.0] for m in others}))
    assert one.verdict == INCONCLUSIVE and "fewer than the 3" in one.sentence
    assert wb.capacity_claim(custom, others, None).verdict == NOT_TESTABLE
