"""Augmentation policies: named, seeded, applied to training images only, identical run to run, and scored on
the corruptions they never trained on; the policy comparison's statistics and the two write-up claims."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
import torch

from fmnist_lib.analysis import policy_study
from fmnist_lib.analysis.robustness import StressResult
from fmnist_lib.claims import writeup_policies as wp
from fmnist_lib.claims.evidence import RunSet
from fmnist_lib.claims.verdicts import (CONSISTENT, CONTRADICTED, INCONCLUSIVE, NOT_TESTABLE,
                                        REPRODUCED, SUPPORTED)
from fmnist_lib.cli import main
from fmnist_lib.data import augmentation, corruptions
from fmnist_lib.data.batches import to_unit_float
from fmnist_lib.errors import ConfigError
from fmnist_lib.report import run_plans
from fmnist_lib.report.sections import check_parameters
from fmnist_lib.runs.sweep import PlannedRun, plan_table, policy_seconds
from fmnist_lib.training import train as training
from fmnist_lib.training.config import TrainConfig

POLICIES = augmentation.POLICY_NAMES
AUGMENTING = [name for name in POLICIES if name != "none"]


def test_registry_names_the_write_ups_policies_and_the_corruptions_they_train_on():
    assert POLICIES == ("none", "flip_rotate", "crop_flip_erase", "trivialaugment", "augmix")
    for policy in augmentation.POLICIES.values():
        assert policy.trains_on <= set(corruptions.CORRUPTIONS), policy.name
    assert corruptions.SEEN_BY_AUGMENTATION == {"hflip", "rotation"} == augmentation.trained_on("flip_rotate")
    assert augmentation.trained_on("crop_flip_erase") == {"translation", "hflip"}
    assert augmentation.trained_on("none") == frozenset()


def test_unknown_policy_is_a_clean_error_listing_the_policies(capsys):
    with pytest.raises(ConfigError, match="Choose one of: none, flip_rotate, crop_flip_erase, trivialaugment, augmix"):
        TrainConfig(augment="nonsense")
    assert main(["train", "--augment", "nonsense"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Unknown augmentation policy 'nonsense'" in err and "augmix" in err


def test_old_yes_no_switch_keeps_its_meaning():
    assert TrainConfig.from_dict({"augment": True}).augment == "flip_rotate"
    assert TrainConfig.from_dict({"augment": False}).augment == "none"
    assert TrainConfig(augment=True) == TrainConfig(augment="flip_rotate")
    assert TrainConfig(augment="augmix").augmented and not TrainConfig().augmented


@pytest.fixture(scope="module")
def images(fmnist):
    return fmnist.train_images[:6].clone()  # uint8 (6, 28, 28)


@pytest.mark.parametrize("name", POLICIES)
def test_transform_shape_range_seed_and_input_untouched(images, name):
    before, state = images.clone(), torch.get_rng_state()
    first = augmentation.policy_transform(name, torch.Generator().manual_seed(1), 0.286)(images)
    again = augmentation.policy_transform(name, torch.Generator().manual_seed(1), 0.286)(images)
    assert first.shape == (6, 1, 28, 28) and first.dtype == torch.float32
    assert 0 <= float(first.min()) and float(first.max()) <= 1
    assert torch.equal(first, again) and torch.equal(images, before)
    assert torch.equal(torch.get_rng_state(), state)  # the global generator is left as it was
    if name == "none":
        assert torch.equal(first, to_unit_float(images))
    else:
        other = augmentation.policy_transform(name, torch.Generator().manual_seed(2), 0.286)(images)
        assert not torch.equal(first, other)


@pytest.mark.parametrize("name", AUGMENTING)
def test_each_image_draws_its_own_parameters(images, name):
    copies = images[:1].expand(16, 28, 28).contiguous()  # one image 16 times
    out = augmentation.policy_transform(name, torch.Generator().manual_seed(0), 0.286)(copies)
    assert len({tuple(image.flatten().tolist()) for image in out}) > 2


def test_erasing_fills_the_mean_pixel():
    white = torch.full((64, 28, 28), 255, dtype=torch.uint8)
    out = augmentation.policy_transform("crop_flip_erase", torch.Generator().manual_seed(0), 0.25)(white)
    values = set(out.unique().tolist())
    assert values == {0.0, 0.25, 1.0}  # padding shifted in (black), erased patches (the fill), the garment


@pytest.mark.parametrize("name", POLICIES)
def test_only_training_images_pass_through_the_policy(fmnist, monkeypatch, name):
    """Every image the policy sees is a training image of the split, each once per epoch; validation never."""
    seen = []

    def recording(name, generator, fill=0.0):
        transform = augmentation.policy_transform(name, generator, fill)
        return lambda batch: seen.append(batch.clone()) or transform(batch)

    monkeypatch.setattr(training, "policy_transform", recording)
    config = TrainConfig(model="custom_cnn", epochs=1, train_subset=200, val_size=1_000, val_subset=100, device="cpu",
                         precision="fp32", augment=name)
    training.train(config, fmnist, progress=False)
    split = training.split_for(config, fmnist)
    passed = torch.cat(seen)
    assert len(passed) == 200
    key = lambda batch: sorted(tuple(image.flatten().tolist()) for image in batch)  # noqa: E731
    assert key(passed) == key(split.train_images)


def test_two_runs_of_a_policy_with_one_seed_are_identical(fmnist):
    """AugMix, the policy with the most random draws per image, trained twice from scratch (the seeds' effect on
    the draws is tested on the transforms above)."""
    config = TrainConfig(model="custom_cnn", epochs=1, train_subset=200, val_size=1_000, val_subset=100, device="cpu",
                         precision="fp32", augment="augmix", seed=5)
    first, second = (training.train(config, fmnist, progress=False) for _ in range(2))
    assert all(torch.equal(first.final_state[k], second.final_state[k]) for k in first.final_state)
    assert first.history[0]["train_loss"] == second.history[0]["train_loss"]


# ---- the comparison ---------------------------------------------------------------------------------------

def test_policy_stress_scores_each_run_once_and_keeps_its_logits(fmnist, tmp_path, monkeypatch):
    """Two tiny cached runs stressed on 10 images: the logits have one row per condition, and a second call reads
    them back from beside each run instead of corrupting the images again."""
    from fmnist_lib.runs.cache import load_or_train

    runs = {policy: [load_or_train(TrainConfig(epochs=1, train_subset=256, val_size=1_000, val_subset=100,
                                               test_subset=1_000, device="cpu", precision="fp32", augment=policy),
                                   data=fmnist, cache_dir=tmp_path, progress=False)]
            for policy in ("none", "crop_flip_erase")}
    first = policy_study.policy_stress(runs, fmnist, n_images=10, severities=(1,), seed=0)
    assert set(first.logits) == {policy_study.run_name("none", 56), policy_study.run_name("crop_flip_erase", 56)}
    assert all(logits.shape == (1 + len(corruptions.CORRUPTIONS), 10, 10) for logits in first.logits.values())
    monkeypatch.setattr(policy_study, "run_stress_test", lambda *a, **k: pytest.fail("stressed a stored run again"))
    again = policy_study.policy_stress(runs, fmnist, n_images=10, severities=(1,), seed=0)
    assert all(np.array_equal(again.logits[name], first.logits[name]) for name in first.logits)



def stress_result(errors: dict[str, list[int]], conditions, n: int = 20) -> StressResult:
    """Runs named by `run_name` with the first errors[name][k] of n images wrong under condition k."""
    labels = np.arange(n) % 10
    logits = {}
    for name, counts in errors.items():
        out = np.zeros((len(conditions), n, 10), np.float32)
        for k, wrong in enumerate(counts):
            out[k, np.arange(n), np.where(np.arange(n) < wrong, (labels + 1) % 10, labels)] = 5.0
        logits[name] = out
    return StressResult(conditions, labels, logits)


def test_the_corruptions_a_policy_trains_on_are_left_out_of_its_headline_score():
    conditions = [("clean", 0), ("gaussian_noise", 1), ("contrast", 1), ("rotation", 1), ("hflip", 1)]
    none, flip = policy_study.run_name("none", 1), policy_study.run_name("flip_rotate", 1)
    # the flip + rotation run matches the plain one on noise and contrast, and fails every image it trained on
    result = stress_result({none: [2, 4, 5, 6, 6], flip: [2, 4, 5, 20, 20]}, conditions)
    scores = policy_study.corruption_scores(result, none, {"none": [1], "flip_rotate": [1]}).set_index("policy")
    assert scores.loc["flip_rotate", "mCE %"] == pytest.approx(100)  # noise and contrast only
    assert scores.loc["flip_rotate", "none mCE %"] == pytest.approx(100)
    assert scores.loc["none", "mCE %"] == pytest.approx(100)
    assert policy_study.headline_corruptions("flip_rotate", result.corruptions) == ["gaussian_noise", "contrast"]
    assert policy_study.headline_corruptions("none", result.corruptions) == result.corruptions


def scores_frame(policy_mce: list[float], none_mce: list[float], accuracy=(90.0, 90.1, 90.2)) -> pd.DataFrame:
    seeds = list(range(len(policy_mce)))
    none = pd.DataFrame({"policy": "none", "seed": seeds, "test acc %": list(accuracy[:len(seeds)]),
                         "ECE %": 2.0, "mCE %": none_mce, "relative mCE %": none_mce,
                         "none mCE %": none_mce, "none relative mCE %": none_mce})
    policy = none.assign(policy="augmix", **{"mCE %": policy_mce, "relative mCE %": policy_mce})
    return pd.concat([none, policy], ignore_index=True)


def test_comparisons_over_seeds_with_holm_and_one_seed_without_a_verdict():
    clear = policy_study.policy_comparisons(scores_frame([80.0, 81.0, 79.5], [100.0, 99.0, 101.0]))
    mce = clear.set_index("metric").loc["mCE %"]
    assert mce["verdict"] == "lower" and mce["difference"] == pytest.approx(-59.5 / 3) and mce["high"] < 0
    assert (clear["p (Holm)"].dropna() >= clear["p"].dropna()).all()
    assert clear.set_index("metric").loc["test acc %", "verdict"] == "no clear difference"  # no spread: no test
    single = policy_study.policy_comparisons(scores_frame([80.0], [100.0]))
    assert (single["verdict"] == policy_study.ONE_SEED).all() and single["p (Holm)"].isna().all()
    assert "1 seed" in wp.comparison_sentence(single)
    assert "mCE" in wp.comparison_sentence(clear) and "Holm-adjusted" in wp.comparison_sentence(clear)


def test_policy_table_says_what_is_left_out_and_the_runs():
    table = policy_study.policy_table(scores_frame([80.0], [100.0]))
    assert table.loc["AugMix", "left out of its score"] == "rotation, shear, translation"
    assert table.loc["no augmentation", "left out of its score"] == "none"
    assert table.loc["AugMix", "seeds"] == 1 and table.loc["AugMix", "mCE %"] == "80.0 (1 run)"


def test_confusion_sentence_names_removed_and_persisting_confusions():
    counts = pd.DataFrame({"none": [40.0, 30.0], "augmix": [10.0, 25.0], "flip_rotate": [35.0, 28.0]},
                          index=["Shirt → T-shirt/top", "Coat → Pullover"])
    text = wp.confusion_sentence(counts, 1)
    assert "AugMix removes Shirt → T-shirt/top" in text and "flip + rotation removes none" in text
    assert "Under every policy Coat → Pullover persists" in text and "at 1 seed" in text


# ---- the write-up's claims ---------------------------------------------------------------------------------

def test_robustness_gain_claim_every_branch():
    def row(mean, low, high, seeds=5):
        return {"seeds": seeds, "difference": mean, "low": low, "high": high}

    assert wp.robustness_gain_claim(None, None, "", []).verdict == NOT_TESTABLE
    one = wp.robustness_gain_claim(row(-3.0, np.nan, np.nan, 1), row(-1.0, np.nan, np.nan, 1), "1 epoch", ["a"])
    assert one.verdict == INCONCLUSIVE and "1 seed" in one.sentence
    assert wp.robustness_gain_claim(row(-3.0, -5.0, -1.0), None, "b", ["a"]).verdict == SUPPORTED
    assert wp.robustness_gain_claim(row(3.0, 1.0, 5.0), None, "b", ["a"]).verdict == CONTRADICTED  # the other way
    two = wp.robustness_gain_claim(row(-3.0, -5.0, -1.0, 2), None, "b", ["a"])
    assert two.verdict == INCONCLUSIVE and "fewer than the 3" in two.sentence
    unclear = wp.robustness_gain_claim(row(-1.0, -3.0, 1.0), row(0.5, -1.0, 2.0), "b", ["a", "c"])
    assert unclear.verdict == INCONCLUSIVE and "includes zero" in unclear.sentence
    assert "over 5 seeds" in unclear.sentence


def test_crop_flip_erase_accuracy_claim():
    def runs(accuracies, epochs=15, images=50_000):
        return RunSet(label="Custom CNN (crop + flip + erasing)", epochs=epochs, train_images=images, augment=True,
                      seeds=tuple(range(len(accuracies))), accuracies=tuple(accuracies))

    assert wp.crop_flip_erase_accuracy_claim(None).verdict == NOT_TESTABLE
    shorter = wp.crop_flip_erase_accuracy_claim(runs([80.0], epochs=1, images=2_000))
    assert shorter.verdict == NOT_TESTABLE and "policies" in shorter.sentence
    assert wp.crop_flip_erase_accuracy_claim(runs([92.1])).verdict == CONSISTENT  # one seed: never reproduced
    assert wp.crop_flip_erase_accuracy_claim(runs([92.1, 92.0, 92.2])).verdict == REPRODUCED
    assert wp.crop_flip_erase_accuracy_claim(runs([93.0])).verdict == CONTRADICTED
    assert "at this seed" in wp.crop_flip_erase_accuracy_claim(runs([92.1])).sentence


# ---- budgets ------------------------------------------------------------------------------------------------

def test_profiles_train_the_policies_they_promise():
    cpu = run_plans.policy_configs("cpu", "custom_cnn")
    base, aug = run_plans.augmentation_configs("cpu", "custom_cnn")
    assert list(cpu) == ["none", "flip_rotate"] and cpu["none"][0] == base and cpu["flip_rotate"][0] == aug
    assert cpu["none"] == run_plans.headline_seed_configs("cpu", "custom_cnn")  # the seed runs, trained anyway
    assert cpu["flip_rotate"] == run_plans.augmented_seed_configs("cpu") and len(cpu["none"]) == 3
    asked = run_plans.policy_configs("cpu", "custom_cnn", ["augmix"])
    assert list(asked) == ["none", "flip_rotate", "augmix"] and len(asked["augmix"]) == 1
    full = run_plans.policy_configs("full", "custom_cnn")
    assert list(full) == list(POLICIES) and all(len(group) == 5 for group in full.values())
    assert all(c.epochs == 15 and c.n_train == 50_000 for group in full.values() for c in group)
    study = run_plans.study_configs("full")
    assert full["none"] == study[(False, 15)] and full["flip_rotate"] == study[(True, 15)]
    smoke = run_plans.policy_configs("smoke", "custom_cnn")
    assert list(smoke) == list(POLICIES) and all(len(group) == 2 for group in smoke.values())


def test_policies_parameter_is_checked():
    check_parameters("augmentation", policies=["augmix", "trivialaugment"])
    with pytest.raises(ConfigError, match="Unknown augmentation policy 'cutmix'"):
        check_parameters("augmentation", policies=["cutmix"])
    with pytest.raises(ConfigError, match="list of augmentation policies"):
        check_parameters("claims", policies="augmix")


def test_dry_run_shows_what_each_policy_costs():
    configs = [dataclasses.replace(TrainConfig(device="cpu"), augment=name) for name in ("none", "augmix")]
    assert policy_seconds(configs[0]) == 0 and policy_seconds(configs[1]) > 0
    planned = [PlannedRun(c, f"run{i}", False, 10.0 + policy_seconds(c), True) for i, c in enumerate(configs)]
    text = plan_table(planned)
    assert "By augmentation policy: none 1 run (1 to train" in text and "augmix 1 run (1 to train" in text
