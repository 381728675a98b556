"""The sweep: the report's runs as one list, trained here or on a Dask cluster into one shared cache.

A LocalCluster of 2 worker processes stands in for a lab's cluster; configs are tiny so the
whole file runs in a few minutes on 2 cores.
"""

import dataclasses
import json
import os
import shutil
import signal
import threading
import time

import pytest
import torch

from fmnist_lib.cli import main
from fmnist_lib.report.execute import project_root
from fmnist_lib.report.opening import open_section
from fmnist_lib.report.sections import SECTIONS, report_configs, section_parameters
from fmnist_lib.runs import cache as run_cache
from fmnist_lib.runs.cache import read_run, run_name, verify_run
from fmnist_lib.runs.executors import DaskExecutor, LocalExecutor
from fmnist_lib.runs.sweep import FORWARD_SHARE, SweepFailed, SweepResult, plan_sweep, run_sweep
from fmnist_lib.training.config import TrainConfig

TINY = TrainConfig(model="custom_cnn", epochs=1, train_subset=512, val_size=1_000, test_subset=1_000, device="cpu",
                   seed=3)
CONFIGS = [TINY, dataclasses.replace(TINY, seed=4)]
BROKEN = dataclasses.replace(TINY, train_subset=1)  # a last batch of 1 image: train() refuses it, inside the worker


def quiet(_):
    pass


@pytest.fixture(scope="module")
def cluster():
    executor = DaskExecutor(workers=2, dashboard_address=":0")
    yield executor
    executor.close()


@pytest.fixture(scope="module")
def swept(cluster, tmp_path_factory):
    """CONFIGS and BROKEN sent to the cluster together: (cache folder, result, what run_sweep printed)."""
    cache, lines = tmp_path_factory.mktemp("swept"), []
    with pytest.raises(SweepFailed) as failed:
        run_sweep([CONFIGS[0], BROKEN, CONFIGS[1]], cluster, cache, progress=False, echo=lines.append)
    return cache, failed.value.result, lines, str(failed.value)


@pytest.fixture(scope="module")
def alone(cluster, tmp_path_factory):
    """CONFIGS trained in this process, one after the other, at the thread count of each cluster worker (CPU sums
    are bit-identical only at the same thread count): what the cluster's and the packed runs must equal."""
    cache, threads = tmp_path_factory.mktemp("alone"), torch.get_num_threads()
    torch.set_num_threads(cluster.threads)
    try:
        run_sweep(CONFIGS, LocalExecutor(), cache, progress=False, echo=quiet)
    finally:
        torch.set_num_threads(threads)
    return cache


@pytest.fixture
def no_training(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("trained although the run was cached")

    monkeypatch.setattr(run_cache, "train", refuse)


def test_dry_run_lists_the_reports_runs(tmp_path, capsys):
    configs = report_configs("smoke")
    every_section = {run_name(config) for section in SECTIONS
                     for config in section.configs(section_parameters(project_root(), section, "smoke", {}))}
    names = [run_name(config) for config in configs]
    assert len(names) == len(set(names)) and set(names) == every_section
    assert main(["sweep", "--profile", "smoke", "--dry-run", "--cache-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"{len(configs)} runs: 0 cached, {len(configs)} to train, estimated" in out
    assert all(name in out for name in names) and "(rough)" in out
    assert not list(tmp_path.iterdir())  # a dry run writes nothing


def test_cluster_runs_equal_local_runs(swept, alone):
    cache, result, lines, _ = swept
    assert sorted(p.name for p, _ in result.trained) == sorted(run_name(c) for c in CONFIGS)
    assert any(line.startswith("Dask dashboard: http") for line in lines)
    for config in CONFIGS:
        mine, theirs = read_run(alone / run_name(config)), read_run(cache / run_name(config))
        assert theirs.test_metrics() == mine.test_metrics() and theirs.test_metrics("best") == mine.test_metrics("best")
        assert theirs.history.drop(columns="seconds").equals(mine.history.drop(columns="seconds"))
        assert torch.equal(theirs.predictions()[0], mine.predictions()[0])
        assert (theirs.path / "weights_final.safetensors").read_bytes() == \
               (mine.path / "weights_final.safetensors").read_bytes()


def test_a_failed_run_is_reported_while_the_others_finish(swept):
    _, result, lines, message = swept
    assert [p.name for p, _ in result.failed] == [run_name(BROKEN)] and len(result.trained) == 2
    assert run_name(BROKEN) in message and "custom_cnn, 1 epoch on 1 image, seed 3" in message
    assert "ConfigError: With 1 training image and batch_size 128, the last batch holds one image" in message
    assert "run the same command again" in message
    assert any(line.startswith(f"  FAILED {run_name(BROKEN)}") for line in lines)


def test_a_second_sweep_retries_only_what_failed(swept, cluster):
    cache, _, _, _ = swept
    with pytest.raises(SweepFailed) as again:
        run_sweep([*CONFIGS, BROKEN], cluster, cache, progress=False, echo=quiet)
    result = again.value.result
    assert [p.name for p in result.cached] == [run_name(c) for c in CONFIGS] and not result.trained
    assert [p.name for p, _ in result.failed] == [run_name(BROKEN)]
    assert all(p.cached and p.measured for p in plan_sweep(CONFIGS, cache))  # estimates from the cached runs


def test_the_estimate_is_the_epochs_validation_and_fp32_evaluation_a_cached_run_took(tmp_path):
    """A cached run measures the seconds per epoch image (history.csv: training images, and validated images weighed
    FORWARD_SHARE), per image of its fp32 evaluation and beyond both (metrics.json); the protocol run of the same
    model, device and precision is estimated from them, with all 10,000 validation images each epoch and in fp32."""
    measured = TrainConfig(model="custom_cnn", epochs=2, train_subset=1_000, val_subset=500, device="cpu",
                           precision="fp32").resolved()
    folder = tmp_path / f"custom_cnn-{'0' * 16}"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"config": measured.to_dict()}))
    epoch = (1_000 + FORWARD_SHARE * 500) * 2e-3  # 2 ms per epoch image
    (folder / "history.csv").write_text(f"epoch,seconds\n1,{epoch}\n2,{epoch}\n")
    evaluation = (2 * 10_000 + 500) * 1e-4  # 0.1 ms per evaluated image: both weight sets, then the validated images
    (folder / "metrics.json").write_text(json.dumps({"evaluation_seconds": evaluation,
                                                     "run_seconds": 2 * epoch + evaluation + 1.5}))
    protocol = TrainConfig(model="custom_cnn", epochs=15, device="cpu", precision="fp32")  # 50,000 images
    [planned] = plan_sweep([protocol], tmp_path)
    assert planned.measured and not planned.cached
    assert planned.seconds == pytest.approx(15 * (50_000 + FORWARD_SHARE * 10_000) * 2e-3 + 30_000 * 1e-4 + 1.5)


@pytest.mark.parametrize("arguments, message", [
    (["--workers", "0"], "--workers must be a whole number >= 1"),
    (["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "exclude each other"),
    (["--scheduler", "tcp://127.0.0.1:1"], "Cannot reach a Dask scheduler at tcp://127.0.0.1:1"),
])
def test_bad_cluster_choices(tmp_path, capsys, arguments, message):
    started = time.monotonic()
    assert main(["sweep", "--profile", "smoke", "--cache-dir", str(tmp_path), *arguments]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "Traceback" not in err
    assert time.monotonic() - started < 30


def test_a_killed_worker_costs_a_retry_not_the_run(cluster, tmp_path):
    config = dataclasses.replace(TINY, epochs=2, seed=7)  # long enough to be caught mid-run
    name, outcome = run_name(config), {}

    def sweep_in_background():
        try:
            outcome["result"] = run_sweep([config], cluster, tmp_path, progress=False, echo=quiet)
        except Exception as error:  # noqa: BLE001 - shown by the assertion below
            outcome["result"] = error

    sweep = threading.Thread(target=sweep_in_background)
    sweep.start()
    checkpoint, deadline = tmp_path / ".partial" / name / "checkpoint.pt", time.monotonic() + 120
    while not checkpoint.exists():  # the first epoch is done: it is training now
        assert time.monotonic() < deadline and sweep.is_alive(), "training never started"
        time.sleep(0.05)
    [address] = [a for a, keys in cluster.client.processing().items()
                 if any(key.startswith(f"fmnist-train-{name}-") for key in keys)]
    killed = cluster.client.run(os.getpid, workers=[address])[address]
    os.kill(killed, signal.SIGKILL)
    sweep.join(timeout=300)
    assert isinstance(outcome.get("result"), SweepResult), outcome
    [(_, summary)] = outcome["result"].trained
    assert summary["pid"] != killed  # finished by another worker process
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")] == [name]
    verify_run(tmp_path / name)
    assert not list(tmp_path.glob(".tmp-*")) and not checkpoint.exists()



def test_report_with_workers_packs_its_runs_and_they_equal_runs_trained_alone(alone, cluster, tmp_path, monkeypatch):
    """`fmnist report --workers 2` trains the missing runs two at a time (on one GPU: packed onto the card)."""
    from fmnist_lib.report.build import _train

    assert cluster.threads == max(1, (os.cpu_count() or 1) // 2)  # what each of the report's 2 workers uses too
    monkeypatch.setenv("FMNIST_CACHE_DIR", str(tmp_path / "packed"))
    lines = []
    _train(CONFIGS, False, lines.append, workers=2)
    assert any(line.startswith("2 trained, 0 failed") for line in lines)
    _train(CONFIGS, False, lines.append, workers=2)  # a second time: everything is cached, no cluster starts
    assert lines[-1] == "All 2 run(s) are in the cache."
    for config in CONFIGS:
        packed, mine = read_run(tmp_path / "packed" / run_name(config)), read_run(alone / run_name(config))
        assert (packed.path / "weights_final.safetensors").read_bytes() == \
               (mine.path / "weights_final.safetensors").read_bytes()
        assert torch.equal(packed.predictions()[0], mine.predictions()[0])


def test_report_refuses_a_bad_worker_count_before_any_work(capsys):
    assert main(["report", "--profile", "smoke", "--workers", "0"]) == 2
    err = capsys.readouterr().err
    assert "--workers must be a whole number >= 1" in err and "Traceback" not in err


def _cache_state(cache) -> dict:
    """Every run folder's manifest (its files' checksums), and any checkpoint of a run in training."""
    state = {path.name: (path / "manifest.json").read_text() for path in cache.iterdir()
             if not path.name.startswith(".")}
    partial = cache / ".partial"
    return {"runs": state, "partial": sorted(p.name for p in partial.iterdir()) if partial.is_dir() else []}


@pytest.mark.slow
def test_a_distributed_sweep_with_overrides_leaves_every_page_nothing_to_train(cluster, report_sources, site,
                                                                               tmp_path, monkeypatch, capsys,
                                                                               no_training):
    """`fmnist sweep --scheduler ADDRESS` with a profile and -p overrides, then every page opened as `fmnist report`
    opens it with the same: each finds all its runs cached, and the report's own plan has nothing left to train.

    The cache starts as a copy of the session's smoke runs, and the overrides change a few of the runs the pages
    read (three epochs for the pages that take `epochs`, no extra policies), so the cluster must train exactly those.
    Training is forbidden here after the sweep (`no_training`: it raises). Each page is then opened in this process
    with the parameters the report would execute it with (`open_section`, the first call of every notebook), so a
    page reading a run the sweep did not train fails here. (Executing the notebooks is the session site's test.)
    """
    overrides = {"models": ["custom_cnn"], "epochs": 3, "policies": []}
    flags = ["-p", "models=['custom_cnn']", "-p", "epochs=3", "-p", "policies=[]"]
    cache = tmp_path / "cache"
    shutil.copytree(site[1], cache, ignore=shutil.ignore_patterns(".locks", ".partial"))
    before = _cache_state(cache)
    monkeypatch.setenv("FMNIST_CACHE_DIR", str(cache))
    address = cluster.client.scheduler.address
    assert main(["sweep", "--profile", "smoke", *flags, "--scheduler", address, "--cache-dir", str(cache)]) == 0
    out = capsys.readouterr().out
    assert "Dask dashboard: http" in out and "trains nothing" in out
    swept = _cache_state(cache)
    expected = {run_name(config) for config in report_configs("smoke", report_sources, overrides)}
    new = set(swept["runs"]) - set(before["runs"])
    assert new and new == expected - set(before["runs"]) and not swept["partial"]  # exactly what was missing
    assert all(config.epochs == 3 for config in report_configs("smoke", report_sources, overrides)
               if run_name(config) in new)
    for section in SECTIONS:
        open_section(section.name, **section_parameters(report_sources, section, "smoke", overrides))
    assert _cache_state(cache) == swept  # nothing trained, nothing rewritten
    capsys.readouterr()
    assert main(["sweep", "--profile", "smoke", *flags, "--cache-dir", str(cache), "--dry-run"]) == 0
    assert f"{len(expected)} runs: {len(expected)} cached, 0 to train" in capsys.readouterr().out
