"""The report's own verdicts on hand-made evidence, every branch, thin evidence included."""

from fmnist_lib.claims import report_claims as rc
from fmnist_lib.claims.evidence import RunSet
from fmnist_lib.claims.verdicts import CONSISTENT, CONTRADICTED, INCONCLUSIVE, NOT_SUPPORTED, NOT_TESTABLE, SUPPORTED


def rs(label, epochs=2, images=10_000, accuracies=(80.0,), augment=False):
    return RunSet(label=label, epochs=epochs, train_images=images, augment=augment,
                  seeds=tuple(range(56, 56 + len(accuracies))), accuracies=tuple(accuracies))


def test_no_ranking_across_budgets():
    runsets = {"custom_cnn": rs("Custom CNN", 15, 50_000, (93.3,)), "vgg16": rs("VGG-16", accuracies=(70.0,))}
    claim = rc.ranking_claim(runsets, {})
    assert claim.verdict == NOT_TESTABLE and "compare budgets, not architectures" in claim.sentence


def test_ranking_at_one_budget_needs_clear_intervals():
    runsets = {"custom_cnn": rs("Custom CNN", accuracies=(78.0,)), "vgg16": rs("VGG-16", accuracies=(70.0,)),
               "resnet18": rs("ResNet-18", accuracies=(77.5,))}
    clear = {("custom_cnn", "vgg16"): (8.0, 7.0, 9.0), ("custom_cnn", "resnet18"): (0.5, 0.1, 0.9),
             ("resnet18", "vgg16"): (7.5, 6.5, 8.5)}
    claim = rc.ranking_claim(runsets, clear)
    assert claim.verdict == CONSISTENT and claim.sentence.index("Custom CNN 78.00") < claim.sentence.index("ResNet-18")
    assert "these trained weights" in claim.sentence  # one seed: intervals over test images
    assert "says nothing about where they end up" in claim.sentence  # a short budget says so
    seeded = {m: rs(r.label, accuracies=(r.accuracies[0],) * 3) for m, r in runsets.items()}
    assert rc.ranking_claim(seeded, clear).verdict == SUPPORTED
    unclear = {**clear, ("resnet18", "custom_cnn"): (-0.5, -1.2, 0.2)}
    del unclear[("custom_cnn", "resnet18")]
    claim = rc.ranking_claim(runsets, unclear)
    assert claim.verdict == INCONCLUSIVE and "not clearly ahead of ResNet-18" in claim.sentence


def test_two_epochs_cannot_show_overfitting():
    runsets = {"vgg16": rs("VGG-16"), "custom_cnn": rs("Custom CNN", 15, 50_000)}
    claim = rc.rising_loss_claim(runsets, {"custom_cnn": False, "vgg16": False})
    assert claim.verdict == NOT_SUPPORTED and "VGG-16 trained for fewer than 15 epochs" in claim.sentence
    assert rc.rising_loss_claim({"vgg16": rs("VGG-16")}, {"vgg16": True}).verdict == NOT_TESTABLE
    assert rc.rising_loss_claim({"c": rs("C", 15, 50_000)}, {"c": True}).verdict == CONSISTENT
    assert rc.rising_loss_claim({"c": rs("C", 15, 50_000, (93,) * 3)}, {"c": True}).verdict == SUPPORTED
    assert claim.sentence.startswith("Custom CNN's validation loss does not rise by the end of training.")
    two = {"a": rs("A", 15, 50_000), "b": rs("B", 15, 50_000)}
    assert "rises by the end of training for A, not for B." in rc.rising_loss_claim(two, {"a": True}).sentence
    assert "does not rise by the end of training for any of A and B." in rc.rising_loss_claim(two, {}).sentence
    assert "rises by the end of training for all of A and B." in rc.rising_loss_claim(two, {"a": 1, "b": 1}).sentence


def test_persistence_says_which_runs_it_counts():
    headline = rs("Custom CNN", 15, 50_000, (93.38,))
    shorter = rs("Custom CNN", 5, 5_000, (85.5, 84.9, 86.0))
    claim = rc.persistence_scope_claim(shorter, headline, 894)
    assert claim.verdict == NOT_TESTABLE and "5 epochs on 5,000 images" in claim.sentence
    assert "not the headline run" in claim.sentence
    same = rc.persistence_scope_claim(rs("Custom CNN", 15, 50_000, (93.2, 93.4, 93.3)), headline, 300)
    assert same.verdict == SUPPORTED and "own runs" in same.sentence
    two = rc.persistence_scope_claim(rs("Custom CNN", 15, 50_000, (93.2, 93.4)), headline, 300)
    assert two.verdict == CONSISTENT
    assert rc.persistence_scope_claim(None, headline, 0).verdict == NOT_TESTABLE


def test_one_seed_per_arm_is_inconclusive_whatever_the_test_images_say():
    base, aug = rs("Custom CNN", 15, 50_000, (93.38,)), rs("Custom CNN", 15, 50_000, (92.33,), augment=True)
    claim = rc.arm_difference_claim(aug, base, -1.05, -1.5, -0.6)
    assert claim.verdict == INCONCLUSIVE and "at this seed" in claim.sentence and "seed-to-seed" in claim.sentence
    two = rc.arm_difference_claim(rs("C", accuracies=(1, 2), augment=True), rs("C", accuracies=(1, 2)), -1.0, -1.5, -0.5)
    assert two.verdict == INCONCLUSIVE and "fewer than the 3" in two.sentence
    many = rc.arm_difference_claim(rs("C", accuracies=(1, 2, 3), augment=True), rs("C", accuracies=(1, 2, 3)),
                                   -0.6, -1.9, 0.7)
    assert many.verdict == INCONCLUSIVE and "do not differ clearly" in many.sentence
    assert rc.arm_difference_claim(rs("C", accuracies=(1, 2, 3), augment=True), rs("C", accuracies=(1, 2, 3)),
                                   -1.0, -1.5, -0.5).verdict == SUPPORTED


def test_robustness_claim_reports_median_and_wins():
    ce = {"brightness": 190.0, "contrast": 170.0, **{f"c{i}": v for i, v in enumerate([95, 98, 99, 101, 102, 97, 103,
                                                                                           99, 100.5, 96, 104])}}
    claim = rc.robustness_claim(ce, 110.0, 120.0, "augmented", "Custom CNN", 600)
    assert claim.verdict == INCONCLUSIVE and "does better on 6 of 13" in claim.sentence
    assert "without brightness and contrast" in claim.sentence
    better = rc.robustness_claim({f"c{i}": 90.0 - i for i in range(10)}, 80, 95, "augmented", "Custom CNN", 600)
    assert better.verdict == CONTRADICTED and "these trained weights are more robust" in better.sentence
    worse = rc.robustness_claim({f"c{i}": 110.0 + i for i in range(10)}, 108, 120, "augmented", "Custom CNN", 600)
    assert worse.verdict == CONSISTENT  # one run each: never 'supported'
    assert rc.robustness_claim({f"c{i}": 110.0 + i for i in range(10)}, 108, 120, "augmented", "Custom CNN", 600,
                               seeds=3).verdict == SUPPORTED


def test_calibration_ranks_only_within_a_budget_and_says_before_and_after():
    ece = {"Custom CNN": (2.1, 0.8), "augmented": (0.9, 1.0), "ResNet-18": (0.5, 0.4)}
    budgets = {"Custom CNN": "15 epochs", "augmented": "15 epochs", "ResNet-18": "2 epochs"}
    images = {"Custom CNN": 2000, "augmented": 2000, "ResNet-18": 500}
    claim = rc.calibration_claim(ece, budgets, images)
    assert claim.verdict == INCONCLUSIVE and "Without a paired interval" in claim.sentence
    clear = {"Custom CNN": (1.2, 0.6, 1.8)}  # Custom CNN's ECE minus augmented's, paired
    on_weights = rc.calibration_claim(ece, budgets, images, differences=clear)
    assert on_weights.verdict == CONSISTENT and "about these trained weights" in on_weights.sentence
    assert rc.calibration_claim(ece, budgets, images, differences=clear, seeds=3).verdict == SUPPORTED
    assert rc.calibration_claim(ece, budgets, images, differences={"Custom CNN": (0.2, -0.3, 0.7)},
                                seeds=3).verdict == INCONCLUSIVE
    assert "before temperature scaling is 0.90 %, by augmented, and after it 0.80 %, by Custom CNN" in claim.sentence
    same = rc.calibration_claim({"a": (1.0, 0.5), "b (augmented)": (0.9, 0.4)}, {"a": "x", "b (augmented)": "x"},
                                {"a": 10, "b (augmented)": 10})
    assert "is 0.90 %, by b (augmented), and after it 0.40 %, by the same model" in same.sentence
    assert "ResNet-18 (2 epochs) alone at its budget" in claim.sentence
    alone = rc.calibration_claim({"a": (1, 1)}, {"a": "x"}, {"a": 10})
    assert alone.verdict == NOT_TESTABLE


def test_detector_claim_needs_intervals():
    tied = rc.detector_claim({"Custom CNN": (-0.004, -0.010, 0.002), "VGG-16": (-0.001, -0.006, 0.004)})
    assert tied.verdict == INCONCLUSIVE and "indistinguishable" in tied.sentence
    worse = rc.detector_claim({"Custom CNN": (-0.01, -0.02, -0.005)})
    assert worse.verdict == CONTRADICTED and "these trained weights" in worse.sentence
    assert rc.detector_claim({"a": (0.01, 0.005, 0.02)}).verdict == CONSISTENT
    assert rc.detector_claim({"a": (0.01, 0.005, 0.02)}, seeds=3).verdict == SUPPORTED


def test_faithfulness_sentence_reads_as_prose():
    text = rc.faithfulness_sentence("Grad-CAM", 1, 4, 2)
    assert "come first of 4 methods" in text and "random channel weights second" in text and "noise" not in text
    assert "does not separate these maps from noise" in rc.faithfulness_sentence("Grad-CAM", 3, 4, 1)


def test_models_under_the_accuracy_floor_are_listed_but_never_ranked():
    runsets = {"custom_cnn": rs("Custom CNN", accuracies=(84.0,)), "vgg19": rs("VGG-19", accuracies=(10.0,)),
               "resnet18": rs("ResNet-18", accuracies=(80.0,))}
    clear = {("custom_cnn", "resnet18"): (4.0, 3.0, 5.0), ("custom_cnn", "vgg19"): (74.0, 73.0, 75.0)}
    claim = rc.ranking_claim(runsets, clear)
    assert "VGG-19 10.00 %" in claim.sentence and "VGG-19 is under the 70 % accuracy floor" in claim.sentence
    assert claim.verdict == CONSISTENT and "ahead of every other converged model" in claim.sentence
    alone = rc.ranking_claim({"custom_cnn": rs("Custom CNN", accuracies=(84.0,)),
                              "vgg19": rs("VGG-19", accuracies=(10.0,))}, clear)
    assert alone.verdict == NOT_TESTABLE and "Fewer than two models reach the floor" in alone.sentence
