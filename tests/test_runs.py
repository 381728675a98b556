"""The results cache: hits without training, intact folders, damage detected and redone, runs of other code stale,
predictions stored in fp32."""

import dataclasses
import json
import logging
import re
import shutil
from importlib.metadata import version

import pytest
import torch

from fmnist_lib.cli import main
from fmnist_lib.errors import CacheError, TrainingDiverged
from fmnist_lib.runs import cache as run_cache
from fmnist_lib.fingerprint import requirements_lock_sha256
from fmnist_lib.runs.cache import StaleRunError, load_or_train, read_run, run_key, run_name
from fmnist_lib.runs.fingerprint import run_software
from fmnist_lib.runs.listing import list_runs, remove_stale
from fmnist_lib.training.forward import predict_logits
from fmnist_lib.training.train import split_for


@pytest.fixture(scope="module")
def cached(tmp_path_factory, fmnist):
    """One tiny run trained into a module-wide cache."""
    from fmnist_lib.training.config import TrainConfig

    config = TrainConfig(model="custom_cnn", epochs=2, train_subset=512, val_size=1_000, test_subset=1_000,
                         device="cpu", seed=3)
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
    assert logits.shape == (1_000, 10) and torch.equal(labels, fmnist.test_labels[:1_000])
    assert run.test_metrics("final")["accuracy"] == pytest.approx((logits.argmax(1) == labels).float().mean().item())
    val_logits, val_labels = run.validation_predictions()
    assert val_logits.shape == (1_000, 10) and torch.equal(val_labels, split_for(config, fmnist).val_labels)
    assert run.metrics["validation"]["final"]["n"] == 1_000
    assert run.metrics["evaluation_precision"] == "fp32"
    record = json.loads((run.path / "config.json").read_text())
    manifest = json.loads((run.path / "manifest.json").read_text())
    assert record["code"] == run_cache.code_fingerprint() == manifest["code"]
    assert record["software"] == manifest["software"] == run_software("cpu")
    assert run_software("cpu") == {"torch": version("torch"), "torchvision": version("torchvision")}
    assert record["requirements_lock_sha256"] == requirements_lock_sha256()  # None in a checkout without the lock
    assert 0 < run.metrics["evaluation_seconds"] < run.metrics["run_seconds"]
    assert run.metrics["run_seconds"] > run.metrics["train_seconds"]
    assert not list(cache.glob(".tmp-*")) and not list((cache / ".partial").glob("*"))


def test_stored_weights_reproduce_stored_predictions(cached, fmnist):
    _, _, run = cached
    for weights in ("final", "best"):
        model = run.load_model(weights)
        assert not model.training
        assert torch.equal(predict_logits(model, fmnist.test_images[:1_000]), run.predictions(weights)[0])  # fp32, exactly


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
    assert run_key(config) != run_key(dataclasses.replace(config, mean=0.2857))


def test_key_depends_on_the_code_that_computes_runs(cached, monkeypatch):
    config, _, _ = cached
    before = run_key(config)
    monkeypatch.setattr(run_cache, "code_fingerprint", lambda: "0123456789abcdef")
    assert run_key(config) != before


def test_the_software_in_the_key_is_torch_and_torchvision_and_on_cuda_cudas_versions():
    assert set(run_software("cpu")) == {"torch", "torchvision"}
    assert set(run_software("cuda")) == {"torch", "torchvision", "cuda", "cudnn"}


def test_runs_made_with_another_torch_are_never_served(cached, fmnist, tmp_path, monkeypatch, counting_train):
    """The GPU machine's torch 2.11 and this machine's differ: a run of either is stale for the other, never read."""
    config, cache, path = _copy_of(cached, tmp_path)
    other = {"torch": "2.11.0", "torchvision": "0.26.0"}
    monkeypatch.setattr(run_cache, "run_software", lambda device: dict(other))
    assert run_key(config) != cached[2].key
    with pytest.raises(StaleRunError, match=rf"made with torch {re.escape(version('torch'))}, torchvision .*, and "
                                            r"this machine has torch 2\.11\.0, torchvision 0\.26\.0"):
        read_run(path)
    assert list_runs(cache).set_index("run").loc[path.name, "status"] == "stale"
    run = load_or_train(config, cache_dir=cache, data=fmnist, progress=False)
    assert len(counting_train) == 1 and run.path != path and path.exists()  # trained anew; the other kept
    assert json.loads((run.path / "manifest.json").read_text())["software"] == other


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


def test_runs_of_other_code_are_stale_never_read_and_removable(cached, tmp_path, capsys):
    """A run of other code sits under another key; read directly, it is refused; listed, it is stale."""
    config, _, path = _copy_of(cached, tmp_path)
    other_code = path.with_name(f"{config.model}-00000000000000aa")
    shutil.copytree(path, other_code)
    manifest = json.loads((other_code / "manifest.json").read_text())
    manifest["code"] = "aaaaaaaaaaaaaaaa"
    (other_code / "manifest.json").write_text(json.dumps(manifest))
    before_fingerprints = path.with_name(f"{config.model}-00000000000000bb")  # made before runs recorded their code
    shutil.copytree(path, before_fingerprints)
    manifest.pop("code")
    (before_fingerprints / "manifest.json").write_text(json.dumps(manifest))
    damaged_other = path.with_name(f"{config.model}-00000000000000cc")  # damaged, and filed under another key
    shutil.copytree(path, damaged_other)
    (damaged_other / "manifest.json").unlink()
    partial = tmp_path / "cache" / ".partial" / f"{config.model}-00000000000000dd"
    partial.mkdir(parents=True)
    (partial / "checkpoint.pt").write_bytes(b"")
    with pytest.raises(StaleRunError, match="made by code with fingerprint aaaaaaaaaaaaaaaa"):
        read_run(other_code)
    with pytest.raises(StaleRunError, match="before runs recorded their code"):
        read_run(before_fingerprints)
    table = list_runs(path.parent).set_index("run")
    assert table.loc[path.name, "status"] == "ok"
    assert (table.loc[[other_code.name, before_fingerprints.name, damaged_other.name], "status"] == "stale").all()
    assert read_run(other_code, allow_stale=True).test_metrics() == cached[2].test_metrics()  # listed with numbers

    assert main(["runs", "--cache-dir", str(path.parent)]) == 0
    assert "3 stale run(s)" in capsys.readouterr().out
    assert main(["runs", "--remove-stale", "--cache-dir", str(path.parent)]) == 0
    out = capsys.readouterr().out
    for name in (other_code.name, before_fingerprints.name, damaged_other.name, f".partial/{partial.name}"):
        assert f"removed {name}\n" in out
    assert "Removed 4 stale run folder(s)" in out
    assert [p.name for p in path.parent.iterdir() if not p.name.startswith(".")] == [path.name]
    assert not partial.exists() and read_run(path).key == run_key(config)
    assert remove_stale(path.parent) == []


def test_a_current_damaged_run_is_not_stale(cached, tmp_path):
    _, _, path = _copy_of(cached, tmp_path)
    (path / "history.csv").unlink()
    assert list_runs(path.parent).status.iloc[0].startswith("unusable")
    assert remove_stale(path.parent) == [] and path.exists()  # trained again when asked for, not removed


def test_a_run_that_diverges_is_not_cached(tmp_path, fmnist, tiny_config):
    config = dataclasses.replace(tiny_config, lr=1e10)
    with pytest.raises(TrainingDiverged, match="diverged at epoch 1"):
        load_or_train(config, cache_dir=tmp_path, data=fmnist, progress=False)
    assert not (tmp_path / run_name(config)).exists() and not list(tmp_path.glob(".tmp-*"))
    assert not (tmp_path / ".partial" / run_name(config)).exists()


def test_bf16_training_stores_exact_fp32_predictions(tmp_path, fmnist, tiny_config):
    """bf16 logits (8 bits of mantissa) tie between the top two classes and round every value to a bf16 number;
    the stored ones are the fp32 forward pass of the fp32 weights."""
    config = dataclasses.replace(tiny_config, precision="bf16")
    run = load_or_train(config, cache_dir=tmp_path, data=fmnist, progress=False)
    assert run.config.precision == "bf16" and run.metrics["evaluation_precision"] == "fp32"
    for weights in ("final", "best"):
        stored = run.predictions(weights)[0]
        again = predict_logits(run.load_model(weights), fmnist.test_images[:1_000], precision="fp32")
        assert torch.equal(stored, again)
        _assert_no_bf16_traces(stored)
    _assert_no_bf16_traces(run.validation_predictions()[0])
    in_bf16 = predict_logits(run.load_model(), fmnist.test_images[:1_000], precision="bf16")
    assert _bf16_representable(in_bf16).all()  # what was stored before: every value rounded


def _bf16_representable(logits: torch.Tensor) -> torch.Tensor:
    return logits.to(torch.bfloat16).float() == logits


def _assert_no_bf16_traces(logits: torch.Tensor) -> None:
    top2 = logits.topk(2, dim=1).values
    assert (top2[:, 0] > top2[:, 1]).all(), "an exact tie between the top two classes"
    assert _bf16_representable(logits).float().mean() < 1e-3, "logits rounded to bfloat16"


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


def test_a_run_is_evaluated_on_its_test_subset_and_never_on_a_cut_dataset(cached, fmnist, tmp_path):
    """`test_subset` keeps the first N test images, in the key; a run keyed on all of them refuses data cut short."""
    config, _, run = cached
    logits, labels = run.predictions()
    assert logits.shape == (1_000, 10) and torch.equal(labels, fmnist.test_labels[:1_000].long())
    everything = dataclasses.replace(config, test_subset=None, epochs=1)
    assert run_name(everything) != run_name(dataclasses.replace(config, epochs=1))
    with pytest.raises(ValueError, match="evaluated on all 10,000 test images, but the data holds 1,000"):
        load_or_train(everything, cache_dir=tmp_path, data=fmnist.first_test(1_000), progress=False)
