"""Interrupted and concurrent work: killed processes lose nothing, results repeat across processes,
and bad input never harms a finished run."""

import json
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

from fmnist_lib.cli import main
from fmnist_lib.data import fashion_mnist as fdata
from fmnist_lib.runs.cache import load_or_train, read_run
from fmnist_lib.training import train as train_module
from fmnist_lib.training.config import TrainConfig

CONFIG = dict(model="custom_cnn", epochs=3, train_subset=512, val_size=1_000, device="cpu", seed=3)

CHILD = textwrap.dedent("""
    import os, signal, sys
    from fmnist_lib.runs import cache as runs, store
    from fmnist_lib.training import train
    from fmnist_lib.training.config import TrainConfig

    def kill_on_call(module, name, n):
        real, calls = getattr(module, name), []
        def wrapper(*args, **kwargs):
            calls.append(1)
            if len(calls) == n:
                os.kill(os.getpid(), signal.SIGKILL)
            return real(*args, **kwargs)
        setattr(module, name, wrapper)

    if sys.argv[2] != "none":
        module, name, n = sys.argv[2].split(":")
        kill_on_call({"train": train, "runs": runs, "store": store}[module], name, int(n))
    run = runs.load_or_train(TrainConfig(**{config}), cache_dir=sys.argv[1], progress=False)
    print(run.path, run.metrics["created"])
""").replace("{config}", repr(CONFIG))


def child(cache, kill="none"):
    """Run load_or_train in a fresh Python process; `kill` = 'module:function:n' SIGKILLs it at the n-th call."""
    return subprocess.run([sys.executable, "-c", CHILD, str(cache), kill], capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def reference(tmp_path_factory, fmnist):
    """The same config trained without interruption, in this process."""
    return load_or_train(TrainConfig(**CONFIG), cache_dir=tmp_path_factory.mktemp("reference"), data=fmnist,
                         progress=False)


def same_results(run, other):
    strip = lambda history: history.drop(columns="seconds")  # noqa: E731
    assert strip(run.history).equals(strip(other.history))
    assert torch.equal(run.predictions()[0], other.predictions()[0])
    assert run.test_metrics() == other.test_metrics()


def test_results_are_bit_identical_across_processes(tmp_path, reference):
    result = child(tmp_path)
    assert result.returncode == 0, result.stderr
    same_results(read_run(tmp_path / reference.path.name), reference)
    mine = (reference.path / "weights_final.safetensors").read_bytes()
    assert (tmp_path / reference.path.name / "weights_final.safetensors").read_bytes() == mine


def test_killed_during_an_epoch_resumes_and_matches(tmp_path, reference, fmnist, monkeypatch):
    result = child(tmp_path, kill="train:train_epoch:2")  # SIGKILL as epoch 2 starts
    assert result.returncode == -9
    checkpoint = tmp_path / ".partial" / reference.path.name / "checkpoint.pt"
    assert len(torch.load(checkpoint, weights_only=True)["history"]) == 1  # epoch 1 survived
    assert not (tmp_path / reference.path.name).exists()
    ran, real = [], train_module.train_epoch
    monkeypatch.setattr(train_module, "train_epoch", lambda *args: ran.append(args[-1]) or real(*args))
    resumed = load_or_train(TrainConfig(**CONFIG), cache_dir=tmp_path, data=fmnist, progress=False)
    assert ran == [2, 3]  # only the epochs the killed process had not finished
    same_results(resumed, reference)
    assert not checkpoint.exists()


def test_killed_during_the_cache_write_leaves_no_half_run(tmp_path, reference, fmnist):
    result = child(tmp_path, kill="store:save_file:2")  # SIGKILL between the two weight files
    assert result.returncode == -9
    assert not (tmp_path / reference.path.name).exists()  # nothing that looks complete
    assert list(tmp_path.glob(f".tmp-{reference.path.name}-*"))
    recovered = load_or_train(TrainConfig(**CONFIG), cache_dir=tmp_path, data=fmnist, progress=False)
    same_results(recovered, reference)
    assert not list(tmp_path.glob(".tmp-*"))  # the dead writer's leftovers are cleared


def test_two_processes_asking_for_the_same_run_share_it(tmp_path, reference):
    command = [sys.executable, "-c", CHILD, str(tmp_path), "none"]
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    second = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    outputs = [process.communicate(timeout=600) for process in (first, second)]
    assert first.returncode == 0 and second.returncode == 0, outputs
    assert outputs[0][0] == outputs[1][0]  # same folder, same creation time: trained once
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")] == [reference.path.name]
    same_results(read_run(tmp_path / reference.path.name), reference)


@pytest.fixture
def damaged_copy(tmp_path, fmnist):
    folder = tmp_path / "data"
    folder.mkdir()
    for name in fdata.IDX_FILES:
        shutil.copy(fdata._file_in(fmnist.folder, name), folder)
    return folder


def _truncate(folder):
    path = fdata._file_in(folder, "train-images-idx3-ubyte")
    path.write_bytes(path.read_bytes()[:5000])


def _remove(folder):
    fdata._file_in(folder, "t10k-labels-idx1-ubyte").unlink()


def _tamper(folder):
    import gzip

    path = fdata._file_in(folder, "t10k-labels-idx1-ubyte")
    content = bytearray(gzip.decompress(path.read_bytes()))
    content[100] = (content[100] + 1) % 10
    path.write_bytes(gzip.compress(bytes(content)))


@pytest.mark.parametrize("damage, message", [
    (_truncate, "truncated or damaged"),
    (_remove, "lacks t10k-labels-idx1-ubyte"),
    (_tamper, "t10k-labels-idx1-ubyte.gz fails verification"),
])
def test_bad_data_from_the_cli_harms_no_finished_run(damaged_copy, damage, message, reference, capsys):
    before = {p.name: p.read_bytes() for p in reference.path.iterdir()}
    damage(damaged_copy)
    code = main(["train", "--epochs", "3", "--train-subset", "512", "--seed", "3", "--device", "cpu",
                 "--data-dir", str(damaged_copy), "--cache-dir", str(reference.path.parent)])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err
    assert {p.name: p.read_bytes() for p in reference.path.iterdir()} == before


def test_cuda_requested_without_a_gpu(capsys):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    assert main(["train", "--device", "cuda", "--epochs", "1"]) == 2
    assert "no CUDA GPU is available" in capsys.readouterr().err


def test_unwritable_cache_from_the_cli(tmp_path, capsys):
    (tmp_path / "file").write_text("")
    assert main(["train", "--epochs", "1", "--train-subset", "64", "--cache-dir", str(tmp_path / "file" / "c")]) == 2
    err = capsys.readouterr().err
    assert "cannot be written" in err and "Traceback" not in err


def test_checkpoints_and_weights_load_without_pickle(reference):
    header = json.loads((reference.path / "manifest.json").read_text())
    assert set(header["files"]) >= {"weights_final.safetensors", "weights_best.safetensors"}
    assert not any(p.suffix in (".pt", ".pkl", ".pickle") for p in reference.path.iterdir())
    with np.load(reference.path / "predictions.npz", allow_pickle=False) as stored:
        assert stored["logits_final"].dtype == np.float32
