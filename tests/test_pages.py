"""What the pages glue, from synthetic inputs with known answers: every branch of their sentences."""

import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch

from fmnist_lib.analysis import calibration
from fmnist_lib.analysis.calibration import Calibrated
from fmnist_lib.analysis.robustness import CLEAN, StressResult, corruption_errors, leaders, mce_table
from fmnist_lib.errors import ConfigError
from fmnist_lib.report.pages import augmentation, explainability, robustness, saliency, statistics
from fmnist_lib.report.profiles import get_profile


def fake_run(accuracy: float, first_train_acc: float, n: int = 10_000):
    return SimpleNamespace(test_metrics=lambda: {"accuracy": accuracy, "n": n},
                           history=pd.DataFrame({"train_acc": [first_train_acc, 0.9]}))


def fake_arm(correct: np.ndarray, train_acc: list[float], val_acc: list[float], augment: bool):
    """A run as the claims read it: config, test metrics, history and predictions (logits right where `correct`)."""
    labels = torch.zeros(len(correct), dtype=torch.long)
    logits = torch.zeros(len(correct), 10)
    logits[torch.arange(len(correct)), torch.as_tensor(np.where(correct, 0, 1))] = 5.0
    config = SimpleNamespace(model="custom_cnn", epochs=len(train_acc), n_train=50_000, seed=56,
                             augment="flip_rotate" if augment else "none", augmented=augment)
    metrics = {"accuracy": float(correct.mean()), "loss": 0.3, "errors": int((~correct).sum()), "n": len(correct)}
    history = pd.DataFrame({"epoch": range(1, len(train_acc) + 1), "train_acc": train_acc, "val_acc": val_acc})
    return SimpleNamespace(config=config, test_metrics=lambda weights="final": metrics, history=history,
                           predictions=lambda weights="final": (logits, labels))


def test_augmentation_comparison_values_are_claims():
    rng = np.random.default_rng(0)
    base_correct = rng.random(10_000) < 0.93
    aug_correct = base_correct & (rng.random(10_000) > 0.012)  # about 1.1 points lower, on the same images
    runs = {"baseline": fake_arm(base_correct, [0.84, 0.9, 0.95], [0.88, 0.91, 0.935], False),
            "augmented": fake_arm(aug_correct, [0.80, 0.86, 0.90], [0.86, 0.90, 0.92], True)}
    comparison = pd.DataFrame({"test acc %": [100 * base_correct.mean(), 100 * aug_correct.mean()],
                               "95% CI": ["a", "b"]}, index=["baseline", "augmented"])
    values = augmentation.comparison_values(comparison, runs)
    assert values["difference_verdict"] == "inconclusive"  # one seed per arm: never a verdict on augmentation
    assert "at this seed" in values["difference_text"] and "below the baseline" in values["difference_text"]
    assert values["gap_verdict"] == "inconclusive" and "harder" in values["gap_text"]  # running accuracy, 1 seed
    assert values["convergence_verdict"] == "inconclusive" and "needs 3 seeds per arm" in values["convergence_text"]


def test_explainability_claim_values():
    claims = {"silhouette": {"n_errors": 12, "p_value": 0.01, "supported": True, "median_excess_errors": 0.05},
              "footwear": {"n_errors": 3, "p_value": np.nan, "supported": False, "median_excess_errors": -0.02},
              "diffuse": {"n": 20, "p_value": 0.2, "supported": False, "rho": 0.1}}
    table = pd.DataFrame({"correct": [True, False, False]})
    values = explainability.claim_values(claims, table)
    assert (values["n_images"], values["n_errors"], values["silhouette_n"], values["diffuse_n"]) == (3, 2, 12, 20)
    assert values["silhouette_verdict"] == "supported by these data"
    assert values["footwear_verdict"].startswith("not testable here")
    assert values["silhouette_excess"] == pytest.approx(5.0) and np.isnan(values["diffuse_area_rho"])
    assert (values["silhouette_excess_text"], values["footwear_excess_text"]) == ("5.0 points above", "2.0 points below")


@pytest.fixture(scope="module")
def stress():
    """The reference, a better model and the augmented reference on 40 images, 3 corruptions at 2 severities."""
    rng = np.random.default_rng(0)
    conditions = [CLEAN] + [(c, s) for c in ("gaussian_noise", "rotation", "hflip") for s in (1, 2)]
    labels = rng.integers(0, 10, 40)

    def logits(error_rate):
        out = np.zeros((len(conditions), 40, 10))
        for k in range(len(conditions)):
            wrong = rng.random(40) < error_rate * (1 + k / 2)
            out[k, np.arange(40), np.where(wrong, (labels + 1) % 10, labels)] = 5.0
        return out

    result = StressResult(conditions, labels, {robustness.REFERENCE: logits(0.2), "Better": logits(0.05),
                                               robustness.AUGMENTED: logits(0.15)})
    ce = corruption_errors(result, robustness.REFERENCE)
    return result, ce, mce_table(result, robustness.REFERENCE, {"rotation", "hflip"}, n_boot=50)


def test_robustness_values(stress):
    result, ce, summary = stress
    values = robustness.mce_values(summary, leaders(ce), result)
    assert values["best_mce_model"] == "Better" and values["n_corruptions"] == 3
    assert values["top_model"] == "Better" and values["mce_below"] in ("Better", "none")
    aug = robustness.augmentation_values(result, ce, summary, seed=0)
    assert aug["n_unseen"] == 1 and "of 1 corruptions" in aug["aug_verdict"]
    assert aug["aug_claim_verdict"] in ("supported", "not supported", "inconclusive")
    alike = {name: "15 epochs" for name in summary.index}
    ranked = robustness.ranking_values(summary, leaders(ce), result, alike, {"A": 50})
    assert ranked["ranking_text"].startswith("Better has the lowest mCE") and "By CE, Better" in ranked["leaders_text"]
    unlike = {**alike, "Better": "2 epochs"}
    unranked = robustness.ranking_values(summary, leaders(ce), result, unlike, {"A": 50})
    assert unranked["ranking_verdict"] == "not testable with this build" and "By CE" not in unranked["leaders_text"]
    with pytest.raises(ConfigError, match="keep custom_cnn"):
        robustness.require_reference(["vgg16"])
    setup = robustness.setup_values({"A": 50, "B": 8}, get_profile("smoke"))
    assert setup["budget"] == "A 50 and B 8" and setup["severities"] == "1 and 5"
    assert setup["subset_note"].startswith("Models that are slow")


def test_calibration_and_shift_values():
    table = pd.DataFrame({"accuracy": [0.9, 0.8], "ECE": [0.05, 0.02], "ECE scaled": [0.01, 0.03],
                          "val NLL": [0.3, 0.4], "val NLL scaled": [0.2, 0.4]}, index=["A", "B"])
    values = robustness.calibration_values(Calibrated({}, table, {}, {"A": 300, "B": 300}), 10_000,
                                           {"A": "15 epochs", "B": "15 epochs"})
    assert values["calibration_verdict"] == "is not the best calibrated" and values["best_ece_model"] == "B"
    assert "before temperature scaling is 2.00 %, by B, and after it 1.00 %, by A" in values["calibration_text"]
    assert (values["nll_lowered"], values["ece_lowered"], values["val_budget"]) == (1, 1, "A 300 and B 300")
    assert values["calibration_claim_verdict"] == "inconclusive"  # no test logits: no paired interval
    g = torch.Generator().manual_seed(0)
    labels, logits = torch.randint(0, 10, (2_000,), generator=g), torch.randn(2_000, 10, generator=g)
    logits[torch.arange(2_000), labels] += 2
    paired = calibration.calibration_table({"A": 4 * logits, "B": logits}, labels, {"A": 1.0, "B": 1.0},
                                           {"A": (0.3, 0.2), "B": (0.4, 0.4)})
    values = robustness.calibration_values(Calibrated({}, paired, {}, {"A": 300, "B": 300}, {"A": 4 * logits,
                                                      "B": logits}, labels), 2_000, {"A": "15 epochs", "B": "15 epochs"})
    assert values["calibration_claim_verdict"] == "consistent"  # clearly apart, but one run each: not 'supported'
    assert re.search(r"paired over test images, about these trained weights: B \+\d+\.\d\d \(\+\d",
                     values["calibration_text"]), values["calibration_text"]
    shift = pd.DataFrame({"model": [robustness.REFERENCE, "B"] * 2, "severity": [0, 0, 5, 5],
                          "accuracy": [0.9, 0.8, 0.5, 0.6], "ECE": [0.02, 0.03, 0.2, 0.1],
                          "ECE scaled": [0.01, 0.02, 0.1, 0.2]})
    values = robustness.shift_values(shift, (1, 5))
    assert values["max_severity"] == 5 and values["best_shift_model"] == "B" and values["n_ece_rises"] == 2
    assert values["best_shift_text"].startswith("There, B is the best calibrated")
    assert "none is named" in robustness.shift_values(shift, (1, 5), {"A": "x", "B": "y"})["best_shift_text"]
    assert values["shift_scaled_better"] == 1


@pytest.mark.parametrize("passes, floor_tests, start", [
    (False, (True, True), "The custom CNN's maps barely change"),
    (True, (True, True), "The custom CNN's maps depend on its learned weights and, by both measures"),
    (True, (True, False), "The custom CNN's maps depend on its learned weights, but they clearly beat"),
    (True, (False, False), "The custom CNN's maps depend on its learned weights, but by neither measure"),
])
def test_saliency_qualifier_branches(passes, floor_tests, start):
    tests = {"ROAD score": {"better": floor_tests[0]}, "deletion AUC": {"better": floor_tests[1]}}
    assert saliency.explain_qualifier(passes, tests).startswith(start)


def test_saliency_randomisation_values():
    verdicts = pd.DataFrame({"passes": [True, False], "top_rho": [0.5, 0.9], "final_rho": [0.1, 0.8],
                             "floor": [0.6, 0.2], "first_below": ["block 2", None]}, index=["Custom CNN", "VGG-16"])
    values = saliency.randomisation_values(verdicts, "Custom CNN")
    assert (values["n_pass"], values["n_models"], values["fail_list"]) == (1, 2, "VGG-16")
    assert values["alike"] == "Custom CNN"
    assert values["custom_verdict_text"].startswith("pass") and values["alike_note"].startswith("For those models")


def test_statistics_texts():
    assert statistics.single_text(["custom_cnn", "vgg16"], get_profile("cpu")) == (
        "VGG-16 is trained once in this profile; their rows show one run and no spread.")
    every = statistics.single_text(["custom_cnn"], get_profile("full"))
    assert every == "Every model has several seeds in this profile."
    assert "is one of these runs" in statistics.headline_text("full", 56, "cpu")
    assert "(seed 57) is one of these runs" in statistics.headline_text("smoke", 57, "cpu")
    run = SimpleNamespace(config=get_profile("smoke").config("custom_cnn"))
    values = statistics.pairs_values(None, None, {"custom_cnn": run}, seed=56)
    assert (values["n_pairs"], values["n_significant"]) == (0, 0)
    assert values["pairs_sentence"] == "with a single model there is no pair to test"
    assert values["budget_text"] == ("The runs compared are the baselines page's runs at one budget, 1 epoch on 2,000 "
                                     "images, seed 56, so the tests compare architectures trained alike, at that budget.")
    assert values["matched_text"].startswith("Only one of these models")


def test_statistics_persistence_and_suspect_values():
    groups = pd.DataFrame({"images": [3, 5, 92], "errors per run": [3.0, 2.5, 0.0], "% of errors": [54.5, 45.5, 0.0]},
                          index=["always wrong", "sometimes wrong", "never wrong"])
    confusions = pd.DataFrame({"label_name": ["Shirt"], "prediction_name": ["T-shirt/top"], "count": [2]})
    showcase = pd.DataFrame({"test_index": pd.array([7, pd.NA], dtype="Int64"), "persistent": [True, False]})
    worst = pd.DataFrame(index=[7, 9, 11])
    suspects = pd.DataFrame({"persistent": [True, False]}, index=[9, 40])
    values = statistics.persistence_values(groups, confusions, showcase, worst, suspects)
    assert values["top_confusion"] == "Shirt taken for T-shirt/top, 2 images"
    assert (values["showcase_found"], values["showcase_persistent"], values["always_flagged"]) == (1, 1, 1)
    assert statistics.persistence_values(groups, confusions.iloc[:0], showcase, worst, suspects)["top_confusion"] \
        == "none: no image is wrong in every run"
    values = statistics.suspect_values(suspects, groups, 100)
    assert values == {"n_suspects_found": 2, "suspects_share": 2.0, "suspects_persistent": 1,
                      "suspects_flagged_always": pytest.approx(100 / 3)}
    gallery, text = statistics.train_audit([], None, get_profile("cpu"), 12)
    assert gallery is None and text.endswith(f"{get_profile('full').audit_folds} folds.")


def test_claims_summary_counts_verdicts_and_fills_the_glance_rows():
    from fmnist_lib.claims.verdicts import VERDICTS, Claim, Evidence
    from fmnist_lib.report.pages import claims as claims_page

    evidence = Evidence(runs="the custom CNN, 15 epochs on 50,000 images, seeds 56-58", method="TOST", seeds=3)
    verdicts = {key: VERDICTS[-1] for key in claims_page.GLANCE}
    verdicts["writeup.errors"] = verdicts["writeup.accuracy.custom_cnn"] = "reproduced"
    one_run = {"writeup.errors", "writeup.accuracy.custom_cnn"}  # one measurement of the write-up's, said twice
    claims = [Claim(key=key, statement=key, verdict=verdict, sentence="", evidence=evidence,
                    ours="662" if key == "writeup.errors" else "", theirs="703" if key == "writeup.errors" else "",
                    measurement="run" if key in one_run else "")
              for key, verdict in verdicts.items()]
    values = claims_page.summary_values(claims)
    assert values["n_claims"] == len(claims_page.GLANCE) and values["n_measurements"] == len(claims_page.GLANCE) - 1
    assert values["n_testable"] == 1 and values["n_reproduced"] == 1 and values["n_contradicted"] == 0
    assert (values["errors_ours"], values["errors_theirs"], values["errors_verdict"]) == (
        "662", "703", "reproduced, 3 seeds")
    assert values["capacity_ours"] == values["capacity_theirs"] == "—"  # an empty cell reads as a dash, never blank
    with pytest.raises(KeyError):  # a ledger without a glance row's claim is a bug, not a blank row
        claims_page.summary_values(claims[1:])


def test_claims_case_figure_titles_each_case_found_with_its_verdict(fmnist):
    """The write-up's cases as a run makes them: here one sneaker taken, confidently, for an ankle boot."""
    import matplotlib.text

    from fmnist_lib.claims.verdicts import Claim, Evidence
    from fmnist_lib.report.pages import claims as claims_page
    from fmnist_lib.training.models import build_model

    labels = torch.tensor([0, 1, 2, 7, 4, 5])
    logits = torch.nn.functional.one_hot(labels, 10).float() * 8
    logits[3] = torch.nn.functional.one_hot(torch.tensor(9), 10).float() * 8  # test image 3: Sneaker -> Ankle boot
    torch.manual_seed(0)
    model = build_model("custom_cnn").eval()
    run = SimpleNamespace(predictions=lambda weights: (logits, labels), load_model=lambda weights, device: model)
    verdict = [Claim("writeup.case.sneaker-ankle_boot", "case", "consistent", "", Evidence(runs="r", method="m",
                                                                                        seeds=1))]
    fig = claims_page.case_figure(verdict, run, fmnist, "final", "cpu")
    texts = [text.get_text() for text in fig.findobj(matplotlib.text.Text)]
    assert any("#3: Sneaker → Ankle boot" in text and "consistent, 1 seed" in text for text in texts), texts


def test_claims_threshold_table_lists_every_threshold_with_its_reason():
    from fmnist_lib.analysis.thresholds import THRESHOLDS
    from fmnist_lib.report.pages import claims as claims_page

    table = claims_page.threshold_frame()
    assert len(table) == len(THRESHOLDS) and table["why this value"].str.len().min() > 20
    margin = table.set_index("threshold").loc["equivalent"]
    assert margin["value"] == "0.5 points" and "equivalence test" in margin["decides"]
    assert "min seeds" in set(table["threshold"]) and "<table" in claims_page.thresholds_html()


def test_prose_tables_align_their_headers_with_their_cells():
    """pandas right-aligns a header row by default, over cells of text that read left-aligned."""
    from fmnist_lib.report.tables import prose_html

    page = prose_html(pd.DataFrame({"claim": ["<a href='x.html'>a link</a>"], "verdict": ["supported"]}), escape=False)
    assert '<tr style="text-align: left;">' in page and "right" not in page and "<a href='x.html'>" in page
    assert "&lt;a" in prose_html(pd.DataFrame({"claim": ["<a>"]}))  # escaped unless told otherwise


def test_robustness_ranking_leaves_out_models_under_the_accuracy_floor(stress):
    """A barely trained model with the lowest errors takes part in no ranking, no leader count, no 'best calibrated'."""
    result, ce, summary = stress
    alike = {name: "15 epochs" for name in summary.index}
    accuracy = {robustness.REFERENCE: 0.9, "Better": 0.2, robustness.AUGMENTED: 0.9}  # "Better" has not converged
    table = robustness.ranked_leaders(ce, accuracy)
    assert "Better" not in set(table["lowest CE"]) | set(table["lowest relative CE"])
    assert "Better" in set(robustness.ranked_leaders(ce)["lowest CE"])  # without the floor it would lead
    ranked = robustness.ranking_values(summary, table, result, alike, {"A": 50}, accuracy)
    assert "Better" not in ranked["ranking_text"] and "Better" not in ranked["leaders_text"]
    assert ranked["best_mce_model"] == robustness.AUGMENTED
    values = robustness.convergence_values(accuracy)
    assert values["not_converged"] == "Better" and values["n_not_converged"] == 1
    assert robustness.with_status(summary, accuracy).loc["Better", "status"] == "not converged"
    none_left = {name: 0.2 for name in accuracy} | {robustness.REFERENCE: 0.9}
    empty = robustness.ranking_values(summary, robustness.ranked_leaders(ce, none_left), result, alike, {"A": 50},
                                      none_left)
    assert empty["ranking_verdict"] == "not testable with this build" and "floor" in empty["ranking_text"]
    assert empty["n_corruptions"] == 3
    shift = pd.DataFrame({"model": [robustness.REFERENCE, "Better"] * 2, "severity": [0, 0, 5, 5],
                          "accuracy": [0.9, 0.2, 0.5, 0.1], "ECE": [0.02, 0.03, 0.2, 0.01],
                          "ECE scaled": [0.01, 0.02, 0.1, 0.2]})
    assert robustness.shift_values(shift, (1, 5))["best_shift_model"] == "Better"
    floored = robustness.shift_values(shift, (1, 5), accuracy=accuracy)
    assert floored["best_shift_model"] == robustness.REFERENCE and "Fewer than two" in floored["best_shift_text"]


def test_saliency_counts_leave_out_blank_maps_and_models_under_the_floor():
    verdicts = pd.DataFrame({"passes": [True, False, True, False], "outcome": ["pass", "blank", "pass", "fail"],
                             "top_rho": [0.5, 0.0, 0.4, 0.9], "final_rho": [0.1, float("nan"), 0.0, 0.8],
                             "floor": [0.2, 0.2, 0.2, 0.2], "first_below": ["block 2", None, "block 1", None]},
                            index=["Custom CNN", "VGG-16", "VGG-19", "ResNet-18"])
    accuracy = {"Custom CNN": 0.9, "VGG-16": 0.85, "VGG-19": 0.2, "ResNet-18": 0.88}
    values = saliency.randomisation_values(verdicts, "Custom CNN", accuracy)
    assert (values["n_pass"], values["n_models"]) == (1, 3)  # VGG-19 passes on paper, but has not converged
    assert values["blank_list"] == "VGG-16" and values["not_counted"] == "VGG-19" and values["fail_list"] == "ResNet-18"
    assert saliency.with_status(verdicts, accuracy).outcome.tolist() == ["pass", "blank", "not converged", "fail"]
    assert saliency.randomisation_values(verdicts, "VGG-16", accuracy)["custom_verdict_text"].startswith("are blank")
    assert saliency.explain_qualifier("blank", {"ROAD score": {"better": True}}).endswith("either way")
    floor = {"ROAD score": {"better": False}, "deletion AUC": {"better": False}}
    assert saliency.floor_sentence("gradcam", floor) == (
        "gradcam's maps do not beat the random-weights floor, by ROAD or by deletion AUC")


def test_curve_values_name_the_models_that_stop_short_of_the_protocol():
    from fmnist_lib.report.pages import baselines

    def run(epochs, images, accuracy):
        history = pd.DataFrame({"epoch": range(1, epochs + 1), "val_acc": np.linspace(0.5, accuracy, epochs)})
        return SimpleNamespace(history=history, config=SimpleNamespace(n_train=images))

    labels = {"custom_cnn": "Custom CNN", "vgg16": "VGG-16", "vgg19": "VGG-19"}
    curves, values = baselines.curve_values({"custom_cnn": run(15, 50_000, 0.92), "vgg16": run(2, 10_000, 0.8),
                                             "vgg19": run(2, 10_000, 0.2)}, labels)
    assert values["n_short"] == 2 and values["protocol_images"] == 750_000
    assert values["curves_text"].startswith("VGG-16 and VGG-19 train for less than the protocol here: their numbers")
    assert list(curves.model.unique()) == ["Custom CNN", "VGG-16", "VGG-19"] and curves.images.max() == 750_000
    _, alike = baselines.curve_values({"custom_cnn": run(15, 50_000, 0.92)}, labels)
    assert alike["n_short"] == 0 and alike["curves_text"].startswith("Every model trains for the whole protocol")
