"""Analysis results remembered beside their run: computed once, recomputed when the code or damage says so."""

import math

from fmnist_lib.analysis import memo


def test_a_result_is_computed_once_and_read_back_equal(tmp_path):
    run = tmp_path / "custom_cnn-abc"
    run.mkdir()
    calls = []

    def compute():
        calls.append(1)
        return {"n": 12, "p_value": float("nan"), "pairs": {"Shirt -> Coat": 3}, "first_below": None}

    first = memo.remembered(run, "patterns", {"n": 10}, compute)
    second = memo.remembered(run, "patterns", {"n": 10}, compute)
    assert len(calls) == 1 and second["n"] == 12 and math.isnan(second["p_value"]) and second["first_below"] is None
    assert second["pairs"] == first["pairs"]
    memo.remembered(run, "patterns", {"n": 20}, compute)  # other parameters: computed afresh
    assert len(calls) == 2


def test_a_damaged_result_or_changed_code_is_computed_again(tmp_path, monkeypatch):
    run = tmp_path / "custom_cnn-abc"
    run.mkdir()
    calls = []
    memo.remembered(run, "x", {}, lambda: calls.append(1) or {"a": 1})
    stored = next((tmp_path / ".analyses").iterdir())
    stored.write_text("{trunc")
    assert memo.remembered(run, "x", {}, lambda: calls.append(1) or {"a": 2}) == {"a": 2} and len(calls) == 2
    monkeypatch.setattr(memo, "code_fingerprint", lambda: "other code")
    memo.remembered(run, "x", {}, lambda: calls.append(1) or {"a": 3})
    assert len(calls) == 3


def test_arrays_are_stored_once_without_pickle_and_a_damaged_file_is_recomputed(tmp_path):
    import numpy as np

    run = tmp_path / "custom_cnn-abc"
    run.mkdir()
    calls = []

    def compute():
        calls.append(1)
        return {"features": np.arange(12, dtype=np.float32).reshape(3, 4), "index": np.array([5, 1, 9])}

    first = memo.remembered_arrays(run, "features", {"weights": "final"}, compute)
    second = memo.remembered_arrays(run, "features", {"weights": "final"}, compute)
    assert len(calls) == 1 and second["features"].dtype == np.float32 and second["features"].shape == (3, 4)
    assert np.array_equal(second["index"], first["index"])
    memo.remembered_arrays(run, "features", {"weights": "best"}, compute)  # other weights: computed afresh
    assert len(calls) == 2
    stored = sorted((tmp_path / ".analyses").glob("*.npz"))[0]
    stored.write_bytes(stored.read_bytes()[:40])  # truncated
    memo.remembered_arrays(run, "features", {"weights": "final"}, compute)
    memo.remembered_arrays(run, "features", {"weights": "best"}, compute)
    assert len(calls) == 3  # only the damaged one again
    assert not list((tmp_path / ".analyses").glob("*.tmp*"))
