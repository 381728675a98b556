"""Multi-seed runs through the cache: distinct seeds give distinct runs, a repeated seed the same one."""

import dataclasses

import numpy as np
import pytest
import torch

from fmnist_lib.analysis.persistence import persistence_table
from fmnist_lib.analysis.stats import aggregate_runs
from fmnist_lib.errors import ConfigError
from fmnist_lib.report.profiles import PROFILES, get_profile
from fmnist_lib.report.run_plans import seed_configs
from fmnist_lib.runs import cache as run_cache
from fmnist_lib.runs.seeds import load_or_train_seeds, seed_correct, seed_metrics, seed_predictions
from fmnist_lib.training.config import TrainConfig

# Tested on the first 300 test images, so that storing a run's test predictions takes no time.
TINY = TrainConfig(model="custom_cnn", epochs=1, train_subset=256, val_size=200, test_subset=300, device="cpu")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory, fmnist):
    cache = tmp_path_factory.mktemp("seeds")
    return cache, load_or_train_seeds(seed_configs(TINY, [3, 4]), cache_dir=cache, data=fmnist)


def test_distinct_seeds_give_distinct_runs(seeded):
    _, (first, second) = seeded
    assert (first.config.seed, second.config.seed) == (3, 4)
    assert first.key != second.key and first.path != second.path
    assert not torch.equal(first.predictions()[0], second.predictions()[0])
    assert torch.equal(first.predictions()[1], second.predictions()[1])  # same test images
    assert first.config.split_seed == second.config.split_seed == 56  # the split stays the write-up's


def test_same_seed_is_the_same_cached_run(seeded, fmnist, monkeypatch):
    cache, (first, second) = seeded

    def refuse(*args, **kwargs):
        raise AssertionError("trained although the run was cached")

    monkeypatch.setattr(run_cache, "train", refuse)
    again = load_or_train_seeds(seed_configs(TINY, [4, 3]), cache_dir=cache)  # no data: cached runs need none
    assert [run.path for run in again] == [second.path, first.path]
    assert again[1].metrics["test"] == first.metrics["test"]
    assert torch.equal(again[1].predictions()[0], first.predictions()[0])


def test_repeated_seeds_are_refused():
    with pytest.raises(ConfigError, match="more than once"):
        seed_configs(TINY, [3, 4, 3])
    with pytest.raises(ConfigError, match="empty"):
        seed_configs(TINY, [])
    with pytest.raises(ConfigError, match="more than once"):
        load_or_train_seeds([TINY, dataclasses.replace(TINY)])


def test_seed_tables(seeded):
    _, seeded_runs = seeded
    frame = seed_metrics(seeded_runs)
    assert frame["seed"].tolist() == [3, 4] and frame["run"].tolist() == [run.key for run in seeded_runs]
    assert frame["test acc %"].between(0, 100).all()
    summary = aggregate_runs(frame, by="model")
    assert summary.loc["custom_cnn", "runs"] == 2 and "±" in summary.loc["custom_cnn", "test acc %"]
    correct = seed_correct(seeded_runs)
    assert correct.shape == (2, 300) and correct.dtype == bool
    assert np.allclose(100 * correct.mean(1), frame["test acc %"])
    table = persistence_table(seed_predictions(seeded_runs))
    assert table["times_wrong"].tolist() == (~correct).sum(0).tolist()


def test_profiles_have_seeds():
    assert PROFILES["full"].seeds == (56, 57, 58, 59, 60)
    assert len(PROFILES["cpu"].seeds) >= 3 and len(PROFILES["smoke"].seeds) >= 2
    assert all(profile.seeds[0] == 56 for profile in PROFILES.values())  # the write-up's seed first
    configs = seed_configs(get_profile("smoke").config("custom_cnn"), get_profile("smoke").seeds)
    assert [c.seed for c in configs] == [56, 57] and len({run_cache.run_key(c) for c in configs}) == 2
