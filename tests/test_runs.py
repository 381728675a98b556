"""The results cache: hits without training, intact folders, damage detected and redone."""

import dataclasses
import json
import logging
import shutil

import pytest
import torch

from fmnist_lib.errors import CacheError
from fmnist_lib.runs import cache as run_cache
from fmnist_lib.runs.cache import list_runs, load_or_train, read_run, run_key, run_name
from fmnist_lib.training.forward import predict_logits


@pytest.fixture(scope="module")
def cached(tmp_path_factory, fmnist):
    """One tiny run trained into a module-wide cache."""
    from fmnist_lib.training.config import TrainConfig

    config = TrainConfig(model="custom_cnn", epochs=2, train_subset=512, val_size=1_000, device="cpu", seed=3)
    cache = tmp_path_factory.mktemp("cache")
    return config, cache, load_or_train(config, cache_dir=cache, data=fmnist, progress=False)


@pytest.fixture
def no_training(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("trained although the run was cached")

    monkeypatch.setattr(run_cache, "train", refuse)


@pytest.fixture
def counting_train(monkeypatch):
    calls = []
    real_train = run_cache.train

    def spy(*args, **kwargs):
        calls.append(args[0])
        return real_train(*args, **kwargs)

    monkeypatch.setattr(run_cache, "train", spy)
    return calls


def test_run_folder_contents(cached, fmnist):
    config, cache, run = cached
    assert run.path == cache / run_name(config)
    names = {p.name for p in run.path.iterdir()}
    assert names == {"config.json", "history.csv", "metrics.json", "predictions.npz", "manifest.json",
                     "weights_final.safetensors", "weights_best.safetensors"}
    assert list(run.history.epoch) == [1, 2] and run.metrics["best_epoch"] in (1, 2)
    logits, labels = run.predictions("final")
    assert logits.shape == (10_000, 10) and torch.equal(labels, fmnist.test_labels)
    assert run.test_metrics("final")["accuracy"] == pytest.approx((logits.argmax(1) == labels).float().mean().item())
    assert not list(cache.glob(".tmp-*")) and not list((cache / ".partial").glob("*"))


def test_stored_weights_reproduce_stored_predictions(cached, fmnist):
    _, _, run = cached
    for weights in ("final", "best"):
        model = run.load_model(weights)
        assert not model.training
        assert torch.allclose(predict_logits(model, fmnist.test_images), run.predictions(weights)[0], atol=1e-4)


def test_second_call_is_a_cache_hit(cached, fmnist, no_training):
    config, cache, run = cached
    again = load_or_train(config, cache_dir=cache, data=fmnist, progress=False)
    assert again.path == run.path and again.metrics == run.metrics


def test_key_depends_on_what_determines_the_run(cached):
    config, _, _ = cached
    assert run_key(config) == run_key(dataclasses.replace(config))
    assert run_key(config) == run_key(dataclasses.replace(config, device="auto" if not torch.cuda.is_available() else "cpu"))
    assert run_key(config) != run_key(dataclasses.replace(config, seed=4))
    assert run_key(config) != run_key(dataclasses.replace(config, augment=True))


def _copy_of(cached, tmp_path):
    config, cache, run = cached
    shutil.copytree(cache, tmp_path / "cache", ignore=shutil.ignore_patterns(".locks"))
    return config, tmp_path / "cache", tmp_path / "cache" / run.path.name


@pytest.mark.parametrize("damage, message", [
    (lambda path: (path / "weights_final.safetensors").write_bytes(
        (path / "weights_final.safetensors").read_bytes()[:1000]), "weights_final.safetensors does not match"),
    (lambda path: (path / "metrics.json").write_text("{not json"), "metrics.json does not match"),
    (lambda path: (path / "manifest.json").unlink(), "no valid manifest"),
    (lambda path: (path / "history.csv").unlink(), "lacks history.csv"),
])
def test_damaged_run_is_detected_and_redone(cached, fmnist, tmp_path, damage, message, counting_train, caplog):
    config, cache, path = _copy_of(cached, tmp_path)
    damage(path)
    with pytest.raises(CacheError, match=message):
        read_run(path)
    with caplog.at_level(logging.WARNING, logger="fmnist_lib"):
        redone = load_or_train(config, cache_dir=cache, data=fmnist, progress=False)
    assert len(counting_train) == 1 and message in caplog.text and "Training it again" in caplog.text
    assert redone.path == path and read_run(path).metrics["test"] == cached[2].metrics["test"]


def test_run_from_another_library_version_is_refused(cached, tmp_path):
    _, _, path = _copy_of(cached, tmp_path)
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["library"] = "0.0.1"
    (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CacheError, match="made by fmnist_lib 0.0.1"):
        read_run(path)
    table = list_runs(path.parent)
    assert table.status.iloc[0].startswith("unusable")


def test_list_runs(cached):
    _, cache, run = cached
    table = list_runs(cache)
    assert list(table.run) == [run.path.name] and table.status.iloc[0] == "ok"
    assert table.test_acc.iloc[0] == round(100 * run.test_metrics()["accuracy"], 2)


def test_unwritable_cache_folder(tmp_path, tiny_config):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(CacheError, match="cannot be written.*--cache-dir"):
        load_or_train(tiny_config, cache_dir=blocker / "cache")


def test_unknown_weights_name(cached):
    with pytest.raises(CacheError, match="'final' or 'best'"):
        cached[2].predictions("last")
