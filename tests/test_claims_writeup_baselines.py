"""The write-up's section 3-4 claims on hand-made runs: every verdict branch, thin evidence included."""

import numpy as np
import pandas as pd
import pytest

from fmnist_lib.claims import writeup_baselines as wb
from fmnist_lib.claims.evidence import RunSet
from fmnist_lib.claims.verdicts import (CONTRADICTED, INCONCLUSIVE, NOT_SUPPORTED, NOT_TESTABLE, REPRODUCED,
                                        SUPPORTED)


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


def test_one_seed_accuracy_says_so():
    claim = wb.accuracy_claim("custom_cnn", runset(accuracies=(93.38,)))
    assert claim.verdict == REPRODUCED and "at this seed" in claim.sentence and claim.ours == "93.38 %"


def test_test_loss_uses_the_loss_standard_error_with_one_run():
    assert wb.test_loss_claim(runset(losses=(0.25,)), loss_errors=(0.006,)).verdict == REPRODUCED
    assert wb.test_loss_claim(runset(losses=(0.30,)), loss_errors=(0.006,)).verdict == CONTRADICTED


def test_gap_claim_reads_the_last_epoch():
    flat = history([90 + i * 0.5 for i in range(15)], [90 + i * 0.25 for i in range(15)])
    claim = wb.gap_claim(runset(histories=[flat]))
    assert claim.numbers["train"] == pytest.approx(97.0) and claim.numbers["val"] == pytest.approx(93.5)
    assert claim.verdict == REPRODUCED  # gap 3.5 against 3.6
    close = history([90] * 15, [89.5] * 15)
    assert wb.gap_claim(runset(histories=[close])).verdict == CONTRADICTED
    assert wb.gap_claim(runset(epochs=2, images=10_000, histories=[close.head(2)])).verdict == NOT_TESTABLE


def test_gap_opening_claim():
    opens_at_11 = history([90] * 10 + [95] * 5, [90] * 15)
    assert wb.gap_opens_claim(runset(histories=[opens_at_11])).verdict == REPRODUCED
    assert wb.gap_opens_claim(runset(histories=[opens_at_11])).ours == "epoch 11"
    early = history([95] * 15, [90] * 15)  # open from epoch 1
    assert wb.gap_opens_claim(runset(histories=[early])).verdict == CONTRADICTED
    assert wb.gap_opens_claim(runset(accuracies=(93, 93), histories=[early, opens_at_11])).verdict == INCONCLUSIVE


def test_stability_claim():
    steady = history([95] * 15, [93.0 + 0.01 * i for i in range(15)])
    assert wb.stability_claim(runset(histories=[steady])).verdict == SUPPORTED
    assert wb.stability_claim(runset(histories=[steady])).ours.startswith("largest fall ")
    collapse = history([95] * 15, [93] * 10 + [90] * 5)
    assert wb.stability_claim(runset(histories=[collapse])).verdict == NOT_SUPPORTED


def test_overfitting_needs_fifteen_epochs_and_counts_runs():
    rising = history(list(range(80, 95)), [90] * 15, val_loss=[0.4 - 0.02 * i for i in range(5)] + [0.3 + 0.02 * i for i in range(10)])
    falling = history(list(range(80, 95)), [90] * 15)
    assert wb.overfitting_claim(runset("ResNet-18", histories=[rising])).verdict == SUPPORTED
    assert wb.overfitting_claim(runset("ResNet-18", histories=[falling])).verdict == NOT_SUPPORTED
    assert wb.overfitting_claim(runset("ResNet-18", accuracies=(90, 90), histories=[rising, falling])).verdict == INCONCLUSIVE
    short = wb.overfitting_claim(runset("ResNet-18", epochs=2, images=10_000, histories=[falling.head(2)]))
    assert short.verdict == NOT_TESTABLE and "2 epochs cannot show a trend over 15 epochs" in short.sentence


def test_capacity_needs_matched_budgets_then_reads_the_intervals():
    custom = runset()
    others = {m: runset(m, accuracies=(92.0,)) for m in ("vgg16", "vgg19", "resnet18")}
    unmatched = {**others, "vgg16": runset("vgg16", epochs=2, images=10_000)}
    claim = wb.capacity_claim(custom, unmatched, {m: (1.0, 0.5, 1.5) for m in others})
    assert claim.verdict == NOT_TESTABLE and "compare budgets, not architectures" in claim.sentence
    assert wb.capacity_claim(custom, others, {m: (1.0, 0.5, 1.5) for m in others}).verdict == SUPPORTED
    ahead = {"vgg16": (-0.8, -1.2, -0.4), "vgg19": (1.0, 0.5, 1.5), "resnet18": (1.0, 0.5, 1.5)}
    assert wb.capacity_claim(custom, others, ahead).verdict == CONTRADICTED
    wide = {"vgg16": (0.1, -0.9, 1.1), "vgg19": (1.0, 0.5, 1.5), "resnet18": (1.0, 0.5, 1.5)}
    assert wb.capacity_claim(custom, others, wide).verdict == INCONCLUSIVE
