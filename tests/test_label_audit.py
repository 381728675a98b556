"""Suspect labels on a constructed case; k-fold cross-validation folds; run keys that must not move."""

import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from fmnist_lib.data.fashion_mnist import split_indices
from fmnist_lib.errors import ConfigError
from fmnist_lib.training.config import TrainConfig
from fmnist_lib.analysis.label_audit import (
    audit_suspects, cross_validated_probs, fold_configs, held_out_indices, suspect_labels,
)
from fmnist_lib.analysis.persistence import persistence_table
from fmnist_lib.runs.cache import run_key
from fmnist_lib.runs.seeds import average_probs
from fmnist_lib.training.train import split_for

FLIPPED = [3, 77, 150, 301, 420]


@pytest.fixture
def noisy():
    """500 images, 50 per class, a confident model that is right about the true class; 5 labels flipped."""
    truth = np.repeat(np.arange(10), 50)
    confidence = np.where(np.isin(np.arange(500), FLIPPED), 0.95, 0.9)  # sure of the true class, more so when flipped
    probs = np.zeros((500, 10))
    probs[np.arange(500), truth] = confidence
    probs += ((1 - confidence) / 9)[:, None] * (probs == 0)
    labels = truth.copy()
    labels[FLIPPED] = (truth[FLIPPED] + 1) % 10
    return labels, probs, truth


def test_suspects_are_the_flipped_labels(noisy):
    labels, probs, truth = noisy
    suspects = suspect_labels(labels, probs, n=None)
    assert sorted(suspects.index) == FLIPPED and suspects.index.name == "test_index"
    assert suspects["rank"].tolist() == [1, 2, 3, 4, 5]
    assert suspects["self_confidence"].is_monotonic_increasing
    assert (suspects["predicted_label"].to_numpy() == truth[suspects.index]).all()
    assert (suspects["given_label"].to_numpy() == labels[suspects.index]).all()
    row = suspects.loc[3]
    assert row["given_name"] == "Trouser" and row["predicted_name"] == "T-shirt/top"
    assert row["confidence"] == pytest.approx(probs[3, 0]) and row["self_confidence"] == pytest.approx(probs[3, 1])
    assert len(suspect_labels(labels, probs, n=2)) == 2


def test_suspects_marked_persistent(noisy):
    labels, probs, _ = noisy
    logits = torch.from_numpy(np.log(probs)).float()
    table = persistence_table([(logits, torch.from_numpy(labels))] * 2)
    suspects = suspect_labels(labels, probs, persistence=table)
    assert suspects["persistent"].all() and (suspects["times_wrong"] == 2).all()
    assert average_probs([(logits, labels)] * 3) == pytest.approx(probs, abs=1e-6)


def test_audit_suspects_average_the_runs(noisy):
    """The statistics page's and the explorer's one call: cleanlab on the runs' softmax averaged, every flag."""
    labels, probs, _ = noisy
    logits = torch.from_numpy(np.log(probs)).float()
    noise = [torch.randn(logits.shape, generator=torch.Generator().manual_seed(s)) * 0.1 for s in range(3)]
    runs = [SimpleNamespace(predictions=lambda weights="final", x=logits + n: (x, torch.from_numpy(labels)))
            for n in noise]
    table = persistence_table([run.predictions() for run in runs])
    found = audit_suspects(runs, persistence=table)
    expected = suspect_labels(labels, average_probs([run.predictions() for run in runs]), n=None, persistence=table)
    assert found.equals(expected) and sorted(found.index) == FLIPPED
    with pytest.raises(ConfigError):
        audit_suspects([])


def test_suspect_labels_rejects_logits(noisy):
    labels, probs, _ = noisy
    with pytest.raises(ConfigError, match="softmax, not logits"):
        suspect_labels(labels, np.log(probs))
    with pytest.raises(ConfigError, match="N, C"):
        suspect_labels(labels[:-1], probs)


def test_each_fold_is_its_own_run():
    """A fold's run is cached apart from the same config trained on the whole split, and from the other folds."""
    tiny = TrainConfig(model="custom_cnn", epochs=2, train_subset=512, val_size=1_000, device="cpu", seed=3)
    assert run_key(tiny) == run_key(dataclasses.replace(tiny))
    assert run_key(dataclasses.replace(tiny, folds=2, fold=0)) != run_key(tiny)
    assert run_key(dataclasses.replace(tiny, folds=2, fold=0)) != run_key(dataclasses.replace(tiny, folds=2, fold=1))


@pytest.mark.parametrize("changes, message", [
    ({"folds": 3}, "go together"), ({"fold": 0}, "go together"), ({"folds": 1, "fold": 0}, "folds must"),
    ({"folds": 3, "fold": 3}, "fold must"), ({"folds": 600, "fold": 0, "train_subset": 512}, "folds must"),
])
def test_fold_fields_are_validated(changes, message):
    with pytest.raises(ConfigError, match=message):
        TrainConfig(**{"train_subset": 512, **changes})


def test_folds_partition_the_training_split(fmnist):
    config = TrainConfig(model="custom_cnn", epochs=1, train_subset=1003, val_size=1_000, device="cpu")
    pool = split_indices(60_000, 1_000, config.split_seed)[0][:1003]
    held_out = [held_out_indices(c) for c in fold_configs(config, folds=3)]
    assert sorted(len(h) for h in held_out) == [334, 334, 335]
    assert torch.equal(torch.cat(held_out), pool)  # disjoint and together the whole pool
    for fold_config, held in zip(fold_configs(config, folds=3), held_out):
        split = split_for(fold_config, fmnist)
        kept = pool[~torch.isin(pool, held)]
        assert torch.equal(split.train_images, fmnist.train_images[kept])  # trains on the other folds
        assert len(split.train_images) == fold_config.n_train == 1003 - len(held)
        assert len(split.val_images) == 1_000  # validation untouched
    with pytest.raises(ConfigError, match="folds and fold"):
        held_out_indices(config)


def test_cross_validated_probs_are_out_of_sample(fmnist, tmp_path):
    config = TrainConfig(model="custom_cnn", epochs=1, train_subset=256, val_size=200, test_subset=200, device="cpu",
                         seed=3)
    out = cross_validated_probs(config, fmnist, folds=2, cache_dir=tmp_path)  # 200 test images: runs store fast
    pool = split_indices(60_000, 200, config.split_seed)[0][:256].numpy()
    assert np.array_equal(out.index, pool)
    assert np.array_equal(out.labels, fmnist.train_labels[pool].numpy())
    assert out.pred_probs.shape == (256, 10) and np.allclose(out.pred_probs.sum(1), 1, atol=1e-5)
    assert len(list(tmp_path.glob("custom_cnn-*"))) == 2  # one cached run per fold
