"""The statistics page's runs in every profile: matched budgets, distinct seeds, shared runs, the label audit."""

import dataclasses

import pytest

from fmnist_lib.analysis.label_audit import fold_configs
from fmnist_lib.errors import ConfigError
from fmnist_lib.report.profiles import PROFILES, get_profile
from fmnist_lib.report.run_plans import (
    STUDY_MODEL, TEXT_NORMALISATION, audit_configs, augmentation_configs, augmented_seed_configs, baseline_configs,
    forensic_configs, headline_seed_configs, matched_configs, persistence_configs, profile_seeds, seeds_at_headline_budget,
    study_configs,
)
from fmnist_lib.report.sections import get_section
from fmnist_lib.runs.cache import run_key


@pytest.mark.parametrize("profile", PROFILES)
def test_study_arms_have_matched_budgets(profile):
    chosen = get_profile(profile)
    arms = study_configs(profile)
    assert list(arms) == [(False, e) for e in chosen.study_epochs] + [(True, e) for e in chosen.study_epochs]
    for (augment, epochs), configs in arms.items():
        assert [c.seed for c in configs] == list(chosen.seeds)
        assert all(c.epochs == epochs and c.augment == ("flip_rotate" if augment else "none") for c in configs)
        assert len({dataclasses.replace(c, seed=0) for c in configs}) == 1  # only the seed varies within an arm
        partner = arms[(not augment, epochs)]
        assert [dataclasses.replace(c, augment="none") for c in configs] == \
               [dataclasses.replace(c, augment="none") for c in partner]  # the arms differ by augmentation alone
    short, long = chosen.study_epochs
    assert short < long
    assert {c.n_train for configs in arms.values() for c in configs} == {arms[(False, short)][0].n_train}


@pytest.mark.parametrize("profile", PROFILES)
def test_distinct_seeds_and_arms_give_distinct_runs(profile):
    configs = [c for arm in study_configs(profile).values() for c in arm]
    assert len({run_key(c) for c in configs}) == len(configs)


@pytest.mark.parametrize("profile, epochs", [("full", 15), ("smoke", 1)])
def test_the_study_shares_its_shorter_arms_with_the_headline_seed_runs(profile, epochs):
    """Where the study trains at the headline budget (full: 15 epochs; smoke: 1), its shorter arms are the headline
    seed runs and their augmented twins: trained once, read by every page."""
    arms = study_configs(profile)
    headline = headline_seed_configs(profile, STUDY_MODEL)
    assert [run_key(c) for c in headline] == [run_key(c) for c in arms[(False, epochs)]]
    assert [run_key(c) for c in augmented_seed_configs(profile)] == [run_key(c) for c in arms[(True, epochs)]]
    assert run_key(headline[0]) == run_key(baseline_configs(profile, [STUDY_MODEL])[STUDY_MODEL])
    assert run_key(arms[(True, epochs)][0]) == run_key(augmentation_configs(profile, STUDY_MODEL)[1])


def test_full_profile_trains_every_model_over_its_seeds():
    assert seeds_at_headline_budget("full", STUDY_MODEL)
    assert all(seeds_at_headline_budget("full", model) for model in ("vgg16", "vgg19", "resnet18"))
    assert [c.seed for c in headline_seed_configs("full", "vgg16")] == [56, 57, 58, 59, 60]


@pytest.mark.parametrize("profile", PROFILES)
def test_seed_runs_train_as_the_headline_run_does(profile):
    """Seed spreads, persistence and the label checks read runs at the headline budget, never a shorter
    stand-in: only the seed differs, and the augmented seed runs differ from them only in the policy."""
    chosen = get_profile(profile)
    headline = headline_seed_configs(profile, STUDY_MODEL)
    assert seeds_at_headline_budget(profile, STUDY_MODEL) and [c.seed for c in headline] == list(chosen.seeds)
    assert headline[0] == baseline_configs(profile, [STUDY_MODEL])[STUDY_MODEL]
    twins = augmented_seed_configs(profile)
    assert [dataclasses.replace(c, augment="none") for c in twins] == headline
    assert {c.augment for c in twins} == {"flip_rotate"} and twins[0] == augmentation_configs(profile, STUDY_MODEL)[1]
    assert persistence_configs(profile, STUDY_MODEL) == headline


@pytest.mark.parametrize("profile", ["cpu", "smoke"])
def test_shortened_profiles_seed_only_the_custom_cnn(profile):
    assert get_profile(profile).seed_models == (STUDY_MODEL,)
    with pytest.raises(ConfigError, match="one seed only"):
        headline_seed_configs(profile, "vgg16")
    assert persistence_configs(profile, "vgg16") == []


def test_cpu_profile_trains_three_seeds_per_arm_at_the_protocol():
    protocol = [c for c in [*headline_seed_configs("cpu", STUDY_MODEL), *augmented_seed_configs("cpu")]
                if c.epochs == 15 and c.n_train == 50_000]
    assert sum(c.augment == "none" for c in protocol) >= 3 and sum(c.augment == "flip_rotate" for c in protocol) >= 3


def test_cpu_profile_budget():
    cpu = get_profile("cpu")
    assert len(cpu.seeds) >= 3 and cpu.study_epochs == (5, 10) and cpu.study_subset == 5_000
    assert cpu.audit_folds is None and audit_configs("cpu") == []


@pytest.mark.parametrize("profile", PROFILES)
def test_study_note_states_the_study(profile):
    chosen = get_profile(profile)
    for number in chosen.study_epochs:
        assert f"{number} " in chosen.study_note
    if chosen.study_subset:
        assert f"{chosen.study_subset:,}" in chosen.study_note
    if chosen.study_val_subset:  # a shortened per-epoch validation is stated and reaches every study run
        assert f"{chosen.study_val_subset:,} of the" in chosen.study_note
    assert {c.val_subset for arm in study_configs(profile).values() for c in arm} == {chosen.study_val_subset}
    assert (chosen.audit_folds is None) == ("skipped" in chosen.study_note)


def test_seeds_follow_the_base_seed():
    assert profile_seeds("cpu") == (56, 57, 58)
    assert profile_seeds("cpu", 100) == (100, 101, 102)
    assert [c.seed for c in study_configs("smoke", seed=7)[(True, 2)]] == [7, 8]


@pytest.mark.parametrize("profile", ["full", "smoke"])
def test_audit_folds_are_the_label_audits(profile):
    chosen = get_profile(profile)
    folds = audit_configs(profile)
    assert folds == fold_configs(chosen.config(STUDY_MODEL), chosen.audit_folds)
    assert sum(c.n_train for c in folds) == (chosen.audit_folds - 1) * chosen.config(STUDY_MODEL).n_train


@pytest.mark.parametrize("profile", PROFILES)
def test_statistics_section_lists_every_run_it_reads(profile):
    models = ["custom_cnn", "vgg16", "vgg19", "resnet18"]
    listed = {run_key(c) for c in get_section("statistics").configs(
        {"profile": profile, "models": models, "seed": 56, "device": "auto"})}
    read = [c for arm in study_configs(profile).values() for c in arm]
    read += [c for m in models if m in get_profile(profile).seed_models for c in headline_seed_configs(profile, m)]
    read += list(baseline_configs(profile, models).values()) + audit_configs(profile)
    read += list(matched_configs(profile, models).values())  # the model pairs are tested at one budget
    assert listed == {run_key(c) for c in read}
    failures = {run_key(c) for c in get_section("failures").configs(
        {"profile": profile, "model": STUDY_MODEL, "seed": 56, "device": "auto"})}
    assert {run_key(c) for c in headline_seed_configs(profile, STUDY_MODEL)} <= failures


def test_only_the_full_profile_trains_the_forensic_twins():
    twins = forensic_configs("full")
    headline = headline_seed_configs("full", STUDY_MODEL)
    assert [dataclasses.replace(c, precision=h.precision) for c, h in zip(twins["fp32"], headline)] == headline
    assert {c.precision for c in twins["fp32"]} == {"fp32"}
    assert [(c.mean, c.std) for c in twins["normalisation"]] == [TEXT_NORMALISATION] * len(headline)
    assert forensic_configs("cpu") == forensic_configs("smoke") == {}
    claims = get_section("claims").runs({"profile": "full", "policies": None})
    assert claims["forensics"] == twins
