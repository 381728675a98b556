"""The statistics page's tables and sentences, from synthetic outcomes with known answers and from tiny runs."""


import numpy as np
import pandas as pd
import pytest
import torch

from fmnist_lib.analysis import augmentation_study, error_detection, persistence, seed_runs, stats
from fmnist_lib.analysis.calibration import expected_calibration_error
from fmnist_lib.analysis.persistence import persistence_table
from fmnist_lib.errors import ConfigError
from fmnist_lib.report import text
from fmnist_lib.report.run_plans import seed_configs
from fmnist_lib.runs.seeds import load_or_train_seeds
from fmnist_lib.training.config import TrainConfig

N_IMAGES = 2_000
RNG = np.random.default_rng(0)


def outcomes(accuracy: float, seeds: int = 3, base=None, flips: int = 0) -> np.ndarray:
    """Boolean (seeds, N_IMAGES): `base` with the first `flips` wrong images made right, else random at `accuracy`."""
    if base is None:
        return RNG.random((seeds, N_IMAGES)) < accuracy
    better = base.copy()
    for row in better:
        row[np.flatnonzero(~row)[:flips]] = True
    return better


@pytest.fixture(scope="module")
def study_outcomes():
    """Baseline at 5 and 10 epochs; augmentation adds 120 right images at 10 epochs and nothing at 5."""
    base_short = outcomes(0.85)
    base_long = outcomes(0.85, base=base_short, flips=40)
    return {(False, 5): base_short, (True, 5): base_short.copy(), (False, 10): base_long,
            (True, 10): outcomes(0, base=base_long, flips=120)}


def test_augmentation_comparisons_rows_and_verdicts(study_outcomes):
    table = augmentation_study.augmentation_comparisons(study_outcomes, (5, 10))
    assert list(table["comparison"]) == ["augmentation at 5 epochs", "augmentation at 10 epochs",
                                         "the write-up's pairing", "10 instead of 5 epochs"]
    assert list(table["what differs"]) == ["augmentation", "augmentation", "augmentation and epochs", "epochs"]
    assert list(table["a"]) == ["augmented, 5 epochs", "augmented, 10 epochs", "augmented, 10 epochs",
                                "baseline, 10 epochs"]
    by_name = table.set_index("comparison")
    assert by_name.loc["augmentation at 10 epochs", "difference mean (pts)"] == pytest.approx(100 * 120 / N_IMAGES)
    assert by_name.loc["augmentation at 10 epochs", "verdict"] == "better"
    assert by_name.loc["augmentation at 5 epochs", "difference mean (pts)"] == 0
    assert by_name.loc["augmentation at 5 epochs", "verdict"] == "no clear difference"
    # the pairing is exactly augmentation at the longer budget plus the longer training
    assert by_name.loc["the write-up's pairing", "difference mean (pts)"] == pytest.approx(
        by_name.loc["augmentation at 10 epochs", "difference mean (pts)"]
        + by_name.loc["10 instead of 5 epochs", "difference mean (pts)"])
    row = by_name.loc["augmentation at 10 epochs"]
    assert row["interval low (pts)"] <= row["difference mean (pts)"] <= row["interval high (pts)"]


def test_the_study_verdict_is_the_test_over_seeds_not_mcnemar(study_outcomes):
    """McNemar is significant in every seed, yet the differences over seeds are spread around zero: no verdict."""
    base = study_outcomes[(False, 5)]
    swings = [outcomes(0, base=base[i:i + 1], flips=flips)[0] for i, flips in enumerate((150, 0, 0))]
    lower = base.copy()
    lower[1, np.flatnonzero(base[1])[:150]] = False
    lower[2, np.flatnonzero(base[2])[:140]] = False
    mixed = study_outcomes | {(True, 5): np.stack([swings[0], lower[1], lower[2]])}
    row = augmentation_study.augmentation_comparisons(mixed, (5, 10)).set_index("comparison").loc[
        "augmentation at 5 epochs"]
    assert row["seeds significant"] == 3 and row["verdict"] == "no clear difference"
    assert stats.seed_differences({"x": [7.5, -7.5, -7.0]}).loc[0, "direction"] == "no clear difference"
    two = {key: value[:2] for key, value in study_outcomes.items()}
    assert set(augmentation_study.augmentation_comparisons(two, (5, 10))["verdict"]) == {"too few seeds"}


def test_comparison_display(study_outcomes):
    shown = augmentation_study.comparison_display(augmentation_study.augmentation_comparisons(study_outcomes, (5, 10)))
    row = shown.loc["augmentation at 10 epochs"]
    assert row["a minus b (pts)"] == "+6.00 ± 0.00" and row["95 % interval over seeds"] == "+6.00 to +6.00"
    assert (row["a ahead"], row["McNemar significant (these weights)"], row["verdict over seeds"]) == (
        "3 of 3", "3 of 3", "better")


def test_augmentation_comparisons_need_every_arm(study_outcomes):
    partial = {key: value for key, value in study_outcomes.items() if key != (True, 10)}
    with pytest.raises(ConfigError, match=r"lacks arm\(s\) \[\(True, 10\)\]"):
        augmentation_study.augmentation_comparisons(partial, (5, 10))


def test_like_for_like_and_pairing_sentences(study_outcomes):
    table = augmentation_study.augmentation_comparisons(study_outcomes, (5, 10))
    sentence = augmentation_study.like_for_like_sentence(table)
    assert sentence == ("at 5 epochs augmentation makes no difference that a test over seeds can show; "
                        "at 10 epochs augmentation raises test accuracy over seeds (95 % interval +6.00 to +6.00 points)")
    same = study_outcomes | {(True, 5): outcomes(0, base=study_outcomes[(False, 5)], flips=120)}
    assert augmentation_study.like_for_like_sentence(augmentation_study.augmentation_comparisons(same, (5, 10))) == (
        "at both matched budgets (5 epochs and 10 epochs) augmentation raises test accuracy over seeds (95 % interval "
        "+6.00 to +6.00 points)")
    few = table.assign(verdict="too few seeds")
    assert "rests on too few seeds" in augmentation_study.like_for_like_sentence(few)
    parts = augmentation_study.pairing_sentence(table)
    assert parts.startswith("of the pairing's +8.00 points, +6.00 come from augmentation at the same budget and "
                            "+2.00 from training the baseline longer")


@pytest.mark.parametrize("verdict, words", [
    ("better", "better over seeds (Holm-adjusted p = 0.01)"), ("worse", "worse over seeds"),
    ("no clear difference", "no clear difference over seeds"), ("too few seeds", "fewer than the 3"),
])
def test_verdict_text_says_the_test_over_seeds_and_mcnemar_on_the_weights(verdict, words):
    row = {"verdict": verdict, "seeds": 3 if verdict != "too few seeds" else 2, "seeds significant": 1,
           "p (Holm)": 0.01}
    text = augmentation_study.verdict_text(row)
    assert words in text and "McNemar's test on these trained weights is significant in 1 of" in text


def test_significant_pairs_sentence():
    pairs = pd.DataFrame({"model a": ["A", "A", "B"], "model b": ["B", "C", "C"], "difference (pts)": [0.5, -1.2, 0.1],
                          "CI low (pts)": [0.2, -1.6, -0.2], "CI high (pts)": [0.8, -0.8, 0.4],
                          "significant": [True, True, False]})
    assert stats.significant_pairs_sentence(pairs) == (
        "2 of the 3 pairs differ significantly after Holm adjustment: A above B by 0.50 points (95 % interval "
        "+0.20 to +0.80); A below C by 1.20 points (95 % interval -1.60 to -0.80); the other pairs (B and C) do not")
    none = pairs.assign(significant=False)
    assert stats.significant_pairs_sentence(none) == "none of the 3 pairs differs significantly after Holm adjustment"


def test_signal_sentence():
    tied = pd.DataFrame({"AUROC (confidence)": [0.90, 0.91], "AUROC (entropy)": [0.903, 0.905]}, index=["a", "b"])
    assert "1 of 2 models" in error_detection.signal_sentence(tied) and "almost alike" in error_detection.signal_sentence(tied)
    apart = tied.assign(**{"AUROC (entropy)": [0.95, 0.93]})
    assert error_detection.signal_sentence(apart).endswith("entropy is better than confidence as an error detector here")
    mixed = tied.assign(**{"AUROC (entropy)": [0.95, 0.88]})
    assert error_detection.signal_sentence(mixed).endswith("better for some models and worse for others, not a better signal overall")


@pytest.mark.parametrize("low, words", [(0.85, "far better than chance"), (0.7, "clearly better"),
                                         (0.55, "the weakest only a little"),
                                         (0.5, "no better than chance")])
def test_auroc_range_sentence(low, words):
    table = pd.DataFrame({"AUROC (confidence)": [low, 0.9], "AUROC (entropy)": [0.9, 0.95]})
    sentence = error_detection.auroc_range_sentence(table)
    assert sentence.startswith(f"the AUROCs lie between {low:.3f} and 0.950: ") and words in sentence


def test_sampling_error_and_size_word():
    assert seed_runs.sampling_error(93.0, 10_000) == pytest.approx(100 * np.sqrt(0.93 * 0.07 / 10_000))
    assert seed_runs.size_word(0.6, 0.25) == "larger than"
    assert seed_runs.size_word(0.3, 0.25) == "about the size of"
    assert seed_runs.size_word(0.1, 0.25) == "smaller than"


def persistence_from(wrong: np.ndarray, labels: np.ndarray, confidence: float = 0.9) -> pd.DataFrame:
    """A persistence table from per-run wrongness (R, N): wrong runs put `confidence` on the next class."""
    predictions = []
    for run in wrong:
        logits = torch.full((len(labels), 10), -10.0)
        target = np.where(run, (labels + 1) % 10, labels)
        logits[torch.arange(len(labels)), torch.as_tensor(target)] = float(np.log(confidence / (1 - confidence) * 9))
        logits[torch.arange(len(labels)), torch.as_tensor(target)] += torch.linspace(0, 1, len(labels))
        predictions.append((logits, torch.as_tensor(labels)))
    return persistence_table(predictions)


def test_always_wrong_most_confident_first_and_titles():
    labels = np.arange(6) % 10
    wrong = np.array([[True, True, False, True, True, False], [True, True, True, False, True, False]])
    table = persistence_from(wrong, labels)
    chosen = persistence.always_wrong(table, 2)
    assert list(chosen.index) == [4, 1]  # images 0, 1 and 4 are always wrong; larger logit boost = more confident
    assert (chosen["group"] == "always wrong").all()
    titles, captions = text.persistent_titles(chosen)
    assert titles[0] == "Coat →\nSandal" and captions[0].startswith("wrong 2/2\n")
    with pytest.raises(ConfigError, match="whole number"):
        persistence.always_wrong(table, 0)


def test_suspect_titles():
    rows = pd.DataFrame({"given_name": ["Shirt"], "predicted_name": ["Coat"], "confidence": [0.934],
                         "times_wrong": [3], "persistent": [True]})
    assert text.suspect_titles(rows, runs=3) == (["given Shirt\nmodel: Coat"], ["93% conf.\nwrong 3/3"])
    assert text.suspect_titles(rows.drop(columns=["times_wrong", "persistent"])) == (
        ["given Shirt\nmodel: Coat"], ["93% conf."])


def test_run_table_adds_calibration_and_training(fmnist, tmp_path):
    config = TrainConfig(model="custom_cnn", epochs=1, train_subset=256, val_size=200, test_subset=300, device="cpu")
    runs = load_or_train_seeds(seed_configs(config, [3, 4]), cache_dir=tmp_path, data=fmnist)
    assert len(runs[0].predictions()[1]) == 300  # evaluated on the first 300 test images only
    table = seed_runs.run_table(runs)
    assert list(table["seed"]) == [3, 4] and (table["model"] == "Custom CNN").all()
    assert (table["training"] == "1 epoch on 256 images").all()
    logits, labels = runs[1].predictions()
    assert table["ECE %"].iloc[1] == pytest.approx(100 * expected_calibration_error(torch.softmax(logits, 1), labels))
    assert table["ECE %"].between(0, 100).all()
    assert augmentation_study.arm_name(True, 5) == "augmented, 5 epochs"


def test_persistence_on_the_failures_page():
    config = TrainConfig(model="custom_cnn", epochs=5, train_subset=5_000)
    assert "one seed" in persistence.persistence_source("VGG-16", [], False)
    assert "3 seed runs at this same budget" in persistence.persistence_source("Custom CNN", [config] * 3, True)
    assert "(5 epochs on 5,000 images); this page's run is not among them" in \
        persistence.persistence_source("Custom CNN", [config] * 3, False)
    labels = np.arange(4) % 10
    table = persistence_from(np.array([[True, True, False, False], [True, False, False, True]]), labels)
    texts, sentence = persistence.case_persistence(table, [0, 1])
    assert texts == ["wrong in 2 of 2 runs (persistent)", "wrong in 1 of 2 runs"]
    assert sentence == "1 of these 2 are wrong in every one of the 2 seed runs."
    texts, sentence = persistence.case_persistence(table, [0, 1], same_budget=False)
    assert texts == ["wrong in 2 of 2 shorter runs", "wrong in 1 of 2 shorter runs"]  # never "(persistent)"
    assert sentence.endswith("shorter seed runs, which are not this page's run.")
    assert persistence.case_persistence(None, [0, 1]) == (["not measured"] * 2,
                                                    "Persistence over seeds is not measured in this profile.")
