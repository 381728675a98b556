"""The write-up's Grad-CAM and augmentation claims on hand-made evidence, every verdict branch."""

import numpy as np
import pandas as pd

from fmnist_lib.analysis import stats
from fmnist_lib.claims import writeup_augmentation as wa
from fmnist_lib.claims.evidence import RunSet
from fmnist_lib.claims.writeup_gradcam import gradcam_claim
from fmnist_lib.claims.verdicts import (CONSISTENT, CONTRADICTED, INCONCLUSIVE, NOT_SUPPORTED, NOT_TESTABLE,
                                        REPRODUCED, SUPPORTED)


def runs(augment=False, epochs=15, images=50_000, accuracies=(93.0,), histories=()):
    n = max(len(accuracies), len(histories))
    return RunSet(label="Custom CNN", epochs=epochs, train_images=images, augment=augment,
                  seeds=tuple(range(56, 56 + n)), accuracies=tuple(accuracies) * (n // len(accuracies)),
                  histories=tuple(histories))


def curve(train, val):
    return pd.DataFrame({"epoch": range(1, len(train) + 1), "train_acc": np.array(train) / 100,
                         "val_acc": np.array(val) / 100})


SILHOUETTE = {"n_errors": 120, "supported": True, "p_value": 0.001, "median_excess_errors": 0.04}


def test_gradcam_branches():
    assert gradcam_claim("silhouette", SILHOUETTE, runs(), True).verdict == CONSISTENT  # one run: never 'supported'
    assert gradcam_claim("silhouette", SILHOUETTE, runs(accuracies=(93.0,) * 3), True).verdict == SUPPORTED
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
    assert wa.augmented_accuracy_claim(runs(augment=True, epochs=30, accuracies=(93.3,))).verdict == CONSISTENT


def gain(values):
    return stats.seed_differences({"augmentation": values}).iloc[0].to_dict()


def test_gain_is_judged_on_the_matched_pair_over_seeds():
    assert wa.augmentation_gain_claim(gain([0.3, 0.25, 0.35, 0.28, 0.32])).verdict == SUPPORTED
    lower = wa.augmentation_gain_claim(gain([-0.3, -0.25, -0.35, -0.28, -0.32]))
    assert lower.verdict == CONTRADICTED and "below baseline" in lower.sentence  # the other way round
    assert wa.augmentation_gain_claim(gain([0.5, -0.6, 0.2])).verdict == INCONCLUSIVE
    one = wa.augmentation_gain_claim(gain([0.4]))
    assert one.verdict == INCONCLUSIVE and "needs 3 seeds per arm" in one.sentence and one.evidence.seeds == 1
    assert wa.augmentation_gain_claim(None).verdict == NOT_TESTABLE


def test_confidence_claim_needs_a_control_of_the_baselines_other_seeds():
    rng = np.random.default_rng(0)
    three = runs(accuracies=(93.0,) * 3)
    own = [rng.uniform(0.8, 1.0, 200) for _ in range(3)]
    control = [o - 0.2 for o in own]  # a retrained baseline is much less confident on these images anyway
    below_control = [(o, c - 0.05 + rng.normal(0, 0.01, 200), c) for o, c in zip(own, control)]
    claim = wa.confidence_claim(three, three, below_control)
    assert claim.verdict == SUPPORTED and "control" in claim.sentence
    like_control = [(o, c + rng.normal(0, 0.01, 200), c) for o, c in zip(own, control)]
    assert wa.confidence_claim(three, three, like_control).verdict == INCONCLUSIVE  # regression to the mean only
    above = [(o, c + 0.05 + rng.normal(0, 0.01, 200), c) for o, c in zip(own, control)]
    assert wa.confidence_claim(three, three, above).verdict == CONTRADICTED
    no_control = wa.confidence_claim(runs(), runs(augment=True), [(own[0], own[0] - 0.3, None)])
    assert no_control.verdict == INCONCLUSIVE and "no control" in no_control.sentence
    assert wa.confidence_claim(runs(), None, []).verdict == NOT_TESTABLE


def test_persisting_confusions_seed_by_seed():
    base, aug = np.zeros((10, 10)), np.zeros((10, 10))
    base[7, 9], base[6, 4], aug[7, 9], aug[6, 4] = 40, 60, 30, 35
    assert wa.persisting_confusions_claim(runs(), runs(augment=True), [(base, aug)]).verdict == CONSISTENT
    three = runs(accuracies=(93.0,) * 3)
    assert wa.persisting_confusions_claim(three, three, [(base, aug)] * 3).verdict == SUPPORTED
    removed = aug.copy()
    removed[6, 4] = 10
    claim = wa.persisting_confusions_claim(three, three, [(base, removed)] * 3)
    assert claim.verdict == NOT_SUPPORTED and "Shirt ↔ Coat: 60 errors without augmentation, 10 with" in claim.sentence
    assert wa.persisting_confusions_claim(three, three, [(base, removed), (base, aug), (base, aug)]).verdict == \
        INCONCLUSIVE  # removed in one seed only: no evidence it is gone


def test_slower_convergence_and_the_gap_over_seeds():
    base = curve([84, 89, 91, 93, 95], [88, 90, 91, 92, 92.5])
    slow = [curve([80 - i, 86, 89, 92, 93], [87, 89, 91, 92, 94]) for i in range(3)]
    fast = [curve([85 + i, 90, 92, 93, 93], [88, 90, 91, 92, 92.4 - 0.1 * i]) for i in range(3)]
    bases = runs(histories=[base] * 3)
    assert wa.slower_convergence_claim(bases, runs(True, histories=slow)).verdict == SUPPORTED
    assert wa.slower_convergence_claim(bases, runs(True, histories=fast)).verdict == CONTRADICTED
    one = wa.slower_convergence_claim(runs(histories=[base]), runs(True, histories=slow[:1]))
    assert one.verdict == INCONCLUSIVE and "running training accuracy" in one.sentence
    narrows = wa.generalisation_claim(bases, runs(True, histories=fast))
    assert narrows.verdict == SUPPORTED and narrows.numbers["change"] == "narrows"
    widens = wa.generalisation_claim(runs(histories=fast), runs(True, histories=[base] * 3))
    assert widens.verdict == CONTRADICTED  # the gap shown to widen: the claim the other way round
    clean = [h.assign(clean_train_acc=h["val_acc"] + 0.01 + 0.001 * i) for i, h in enumerate(slow)]
    measured = wa.generalisation_claim(bases, runs(True, histories=clean))
    assert "measured clean" in measured.sentence and "harder" not in measured.sentence
    assert wa.generalisation_claim(runs(epochs=15, histories=[base]),
                                   runs(True, epochs=10, histories=slow[:1])).verdict == NOT_TESTABLE
