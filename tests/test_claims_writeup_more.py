"""The write-up's Grad-CAM and augmentation claims on hand-made evidence, every verdict branch."""

import numpy as np
import pandas as pd

from fmnist_lib.claims import writeup_augmentation as wa
from fmnist_lib.claims.evidence import RunSet
from fmnist_lib.claims.writeup_gradcam import gradcam_claim
from fmnist_lib.claims.verdicts import INCONCLUSIVE, NOT_SUPPORTED, NOT_TESTABLE, REPRODUCED, SUPPORTED


def runs(augment=False, epochs=15, images=50_000, accuracies=(93.0,), histories=()):
    return RunSet(label="Custom CNN", epochs=epochs, train_images=images, augment=augment, seeds=(56,),
                  accuracies=accuracies, histories=tuple(histories))


def curve(train, val):
    return pd.DataFrame({"epoch": range(1, len(train) + 1), "train_acc": np.array(train) / 100,
                         "val_acc": np.array(val) / 100})


SILHOUETTE = {"n_errors": 120, "supported": True, "p_value": 0.001, "median_excess_errors": 0.04}


def test_gradcam_branches():
    assert gradcam_claim("silhouette", SILHOUETTE, runs(), True).verdict == SUPPORTED
    assert gradcam_claim("silhouette", {**SILHOUETTE, "supported": False, "p_value": 0.9,
                                        "median_excess_errors": -0.02}, runs(), True).verdict == NOT_SUPPORTED
    untrusted = gradcam_claim("silhouette", SILHOUETTE, runs(), False)
    assert untrusted.verdict == INCONCLUSIVE and "failed the randomisation check" in untrusted.sentence
    few = gradcam_claim("footwear", {**SILHOUETTE, "n_errors": 4}, runs(), True)
    assert few.verdict == INCONCLUSIVE and "Only 4 errors" in few.sentence
    assert gradcam_claim("diffuse", None, runs(), None).verdict == NOT_TESTABLE
    assert gradcam_claim("diffuse", {"n": 50, "rho": 0.3, "p_value": 0.01, "supported": True},
                         runs(epochs=2, images=10_000), True).verdict == NOT_TESTABLE


def test_augmented_accuracy_needs_the_30_epoch_run():
    assert wa.augmented_accuracy_claim(runs(augment=True)).verdict == NOT_TESTABLE
    assert wa.augmented_accuracy_claim(runs(augment=True, epochs=30, accuracies=(93.3, 93.1, 93.4))).verdict == REPRODUCED


def test_gain_is_judged_like_for_like_and_not_at_a_shortened_budget():
    lower = [wa.ArmComparison("5 epochs on 5,000 images", -2.6, -3.5, -1.7, 3),
             wa.ArmComparison("10 epochs on 5,000 images", -1.8, -4.1, 0.5, 3)]
    shortened = wa.augmentation_gain_claim(lower, at_protocol=False)
    assert shortened.verdict == NOT_TESTABLE and "do not differ clearly" in shortened.sentence
    assert "2.60 points below baseline" in shortened.sentence
    both_up = [wa.ArmComparison("15 epochs", 0.3, 0.1, 0.5, 5), wa.ArmComparison("30 epochs", 0.2, 0.05, 0.4, 5)]
    assert wa.augmentation_gain_claim(both_up, at_protocol=True).verdict == SUPPORTED
    both_down = [wa.ArmComparison("15 epochs", -0.3, -0.5, -0.1, 5), wa.ArmComparison("30 epochs", -0.2, -0.4, -0.1, 5)]
    assert wa.augmentation_gain_claim(both_down, at_protocol=True).verdict == NOT_SUPPORTED
    assert wa.augmentation_gain_claim(lower, at_protocol=True).verdict == INCONCLUSIVE
    assert wa.augmentation_gain_claim([], at_protocol=True).verdict == NOT_TESTABLE


def test_confidence_claim_needs_every_seed_to_agree():
    rng = np.random.default_rng(0)
    base = rng.uniform(0.6, 1.0, 200)
    assert wa.confidence_claim(runs(), runs(augment=True), [(base, base - 0.05)]).verdict == SUPPORTED
    assert wa.confidence_claim(runs(), runs(augment=True), [(base, np.minimum(base + 0.05, 1))]).verdict == NOT_SUPPORTED
    noise = base + rng.normal(0, 0.01, 200)
    assert wa.confidence_claim(runs(), runs(augment=True), [(base, noise)]).verdict == INCONCLUSIVE
    assert wa.confidence_claim(runs(), None, []).verdict == NOT_TESTABLE


def test_persisting_confusions():
    base, aug = np.zeros((10, 10)), np.zeros((10, 10))
    base[7, 9], base[6, 4], aug[7, 9], aug[6, 4] = 40, 60, 30, 35
    assert wa.persisting_confusions_claim(runs(), runs(augment=True), [(base, aug)]).verdict == SUPPORTED
    aug[6, 4] = 10
    claim = wa.persisting_confusions_claim(runs(), runs(augment=True), [(base, aug)])
    assert claim.verdict == NOT_SUPPORTED and "Shirt ↔ Coat: 60 errors without augmentation, 10 with" in claim.sentence


def test_slower_convergence_and_the_gap():
    base = curve([84, 89, 91, 93, 95], [88, 90, 91, 92, 92.5])
    slow = curve([80, 86, 89, 92, 93], [87, 89, 91, 92, 94])
    fast = curve([85, 90, 92, 93, 93], [88, 90, 91, 92, 92.4])
    assert wa.slower_convergence_claim(runs(histories=[base]), runs(True, histories=[slow])).verdict == SUPPORTED
    assert wa.slower_convergence_claim(runs(histories=[base]), runs(True, histories=[slow])).ours == "slower in 1 of 1 seed pair"
    assert wa.slower_convergence_claim(runs(histories=[base]), runs(True, histories=[fast])).verdict == NOT_SUPPORTED
    reverses = wa.generalisation_claim(runs(histories=[base]), runs(True, histories=[slow]))
    assert reverses.verdict == INCONCLUSIVE and "it reverses" in reverses.sentence  # +2.50 -> -1.00
    narrows = wa.generalisation_claim(runs(histories=[base]), runs(True, histories=[fast]))
    assert narrows.verdict == SUPPORTED and narrows.numbers["change"] == "narrows"
    assert wa.generalisation_claim(runs(histories=[fast]), runs(True, histories=[base])).verdict == NOT_SUPPORTED
    assert wa.generalisation_claim(runs(epochs=15, histories=[base]),
                                   runs(True, epochs=10, histories=[slow])).verdict == NOT_TESTABLE
