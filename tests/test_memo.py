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
