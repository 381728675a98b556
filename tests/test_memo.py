"""Analysis results remembered beside their run: computed once, recomputed when the code it calls, the device, the
packages that compute it, or damage says so."""

import math
import shutil

import numpy as np
import pytest
import torch

from fmnist_lib import fingerprint
from fmnist_lib.analysis import memo
from fmnist_lib.claims.ledger import LEDGER_CODE


def test_a_result_is_computed_once_and_read_back_equal(tmp_path):
    run = tmp_path / "custom_cnn-abc"
    run.mkdir()
    calls = []

    def compute():
        calls.append(1)
        return {"n": 12, "p_value": float("nan"), "pairs": {"Shirt -> Coat": 3}, "first_below": None}

    first = memo.remembered(run, "patterns", {"n": 10}, compute, device="cpu")
    second = memo.remembered(run, "patterns", {"n": 10}, compute, device="cpu")
    assert len(calls) == 1 and second["n"] == 12 and math.isnan(second["p_value"]) and second["first_below"] is None
    assert second["pairs"] == first["pairs"]
    memo.remembered(run, "patterns", {"n": 20}, compute, device="cpu")  # other parameters: computed afresh
    assert len(calls) == 2


def test_a_damaged_result_or_changed_code_is_computed_again(tmp_path, monkeypatch):
    run = tmp_path / "custom_cnn-abc"
    run.mkdir()
    calls = []
    memo.remembered(run, "x", {}, lambda: calls.append(1) or {"a": 1}, device="cpu")
    stored = next((tmp_path / ".analyses").iterdir())
    stored.write_text("{trunc")
    assert memo.remembered(run, "x", {}, lambda: calls.append(1) or {"a": 2}, device="cpu") == {"a": 2}
    assert len(calls) == 2
    monkeypatch.setattr(memo, "code_fingerprint", lambda code: "other code")
    memo.remembered(run, "x", {}, lambda: calls.append(1) or {"a": 3}, device="cpu")
    assert len(calls) == 3


def test_a_result_is_recomputed_on_another_device_or_with_other_packages(tmp_path, monkeypatch):
    run = tmp_path / "custom_cnn-abc"
    run.mkdir()
    calls = []

    def remember(device="cpu"):
        return memo.remembered(run, "x", {}, lambda: calls.append(1) or {"a": 1}, device=device)

    remember(), remember()
    assert len(calls) == 1
    remember("cuda")  # where the models ran
    assert len(calls) == 2
    real = memo.package_versions
    monkeypatch.setattr(memo, "package_versions", lambda names: {**real(names), "grad-cam": "1.5.8"})
    remember()  # another grad-cam computes other maps
    assert len(calls) == 3


def test_the_ledgers_results_follow_the_claims_code_and_the_others_do_not(tmp_path, monkeypatch):
    """The claims ledger's remembered statistics are computed by claims/ledger.py: editing claims/ recomputes them,
    while an analysis that calls no claims code is kept."""
    package = tmp_path / "fmnist_lib"
    shutil.copytree(fingerprint.PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(fingerprint, "PACKAGE", package)
    run = tmp_path / "runs" / "custom_cnn-abc"
    run.mkdir(parents=True)
    calls = []

    def ledger():
        return memo.remembered(run, "patterns", {}, lambda: calls.append("ledger") or {}, device="cpu",
                               code=LEDGER_CODE)

    def features():
        return memo.remembered(run, "features", {}, lambda: calls.append("features") or {}, device="cpu")

    ledger(), features(), ledger(), features()
    assert calls == ["ledger", "features"]
    with (package / "claims" / "ledger.py").open("a") as handle:
        handle.write("\n# the ledger's code edited\n")
    ledger(), features()
    assert calls == ["ledger", "features", "ledger"]
    with (package / "analysis" / "explain.py").open("a") as handle:
        handle.write("\n# the analysis code edited\n")
    ledger(), features()
    assert calls == ["ledger", "features", "ledger", "ledger", "features"]


def test_arrays_are_stored_once_without_pickle_and_a_damaged_file_is_recomputed(tmp_path):
    import numpy as np

    run = tmp_path / "custom_cnn-abc"
    run.mkdir()
    calls = []

    def compute():
        calls.append(1)
        return {"features": np.arange(12, dtype=np.float32).reshape(3, 4), "index": np.array([5, 1, 9])}

    first = memo.remembered_arrays(run, "features", {"weights": "final"}, compute, device="cpu")
    second = memo.remembered_arrays(run, "features", {"weights": "final"}, compute, device="cpu")
    assert len(calls) == 1 and second["features"].dtype == np.float32 and second["features"].shape == (3, 4)
    assert np.array_equal(second["index"], first["index"])
    memo.remembered_arrays(run, "features", {"weights": "best"}, compute, device="cpu")  # other weights: afresh
    assert len(calls) == 2
    stored = sorted((tmp_path / ".analyses").glob("*.npz"))[0]
    stored.write_bytes(stored.read_bytes()[:40])  # truncated
    memo.remembered_arrays(run, "features", {"weights": "final"}, compute, device="cpu")
    memo.remembered_arrays(run, "features", {"weights": "best"}, compute, device="cpu")
    assert len(calls) == 3  # only the damaged one again
    assert not list((tmp_path / ".analyses").glob("*.tmp*"))


def test_a_device_given_as_torch_device_is_the_same_key_as_its_name(tmp_path):
    run = tmp_path / "custom_cnn-0000000000000000"
    run.mkdir()
    stored = memo.remembered_arrays(run, "demo", {"n": 1}, lambda: {"x": np.arange(3)}, device=torch.device("cpu"))
    again = memo.remembered_arrays(run, "demo", {"n": 1}, lambda: pytest.fail("computed twice"), device="cpu")
    assert np.array_equal(stored["x"], again["x"])
