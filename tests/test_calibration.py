"""Calibration: ECE of constructed cases known by hand, reliability bins, temperature scaling lowers NLL."""

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from fmnist_lib.analysis import calibration
from fmnist_lib.errors import ConfigError
from fmnist_lib.training.train import split_for


def confident(top: float, classes) -> torch.Tensor:
    """Probabilities (N, 10) putting `top` on each given class and the rest evenly on the other nine."""
    probs = torch.full((len(classes), 10), (1 - top) / 9)
    probs[torch.arange(len(classes)), torch.as_tensor(classes)] = top
    return probs


def test_perfectly_calibrated_case_has_zero_ece():
    # 10 predictions at 60 % confidence of which 6 are right, 10 at 90 % of which 9 are right
    probs = torch.cat([confident(0.6, [0] * 10), confident(0.9, [1] * 10)])
    labels = torch.tensor([0] * 6 + [5] * 4 + [1] * 9 + [5])
    assert calibration.expected_calibration_error(probs, labels) == pytest.approx(0.0, abs=1e-6)


def test_miscalibrated_case_has_the_hand_computed_ece():
    # 4 at 90 % with 2 right: gap 0.4; 4 at 40 % with 3 right: gap 0.35; equal weights -> 0.375
    probs = torch.cat([confident(0.9, [2] * 4), confident(0.4, [3] * 4)])
    labels = torch.tensor([2, 2, 0, 0, 3, 3, 3, 0])
    assert calibration.expected_calibration_error(probs, labels) == pytest.approx(0.375, abs=1e-6)
    table = calibration.reliability_table(probs, labels)
    filled = table[table["count"] > 0]
    assert list(filled["count"]) == [4, 4]
    assert filled.accuracy.tolist() == pytest.approx([0.75, 0.5])
    assert filled.confidence.tolist() == pytest.approx([0.4, 0.9])


def test_reliability_table_sums_to_the_ece():
    rng = np.random.default_rng(0)
    logits = torch.from_numpy(rng.normal(size=(500, 10)) * 3).float()
    labels = torch.from_numpy(rng.integers(0, 10, 500))
    probs = calibration.softmax(logits)
    table = calibration.reliability_table(probs, labels)
    assert len(table) == calibration.N_BINS and table["count"].sum() == 500
    filled = table[table["count"] > 0]
    from_table = (filled["count"] / 500 * (filled.accuracy - filled.confidence).abs()).sum()
    assert from_table == pytest.approx(calibration.expected_calibration_error(probs, labels), abs=1e-5)


def test_logits_are_refused_where_probabilities_belong():
    with pytest.raises(ValueError, match="softmax"):
        calibration.expected_calibration_error(torch.randn(5, 10) * 4, torch.zeros(5, dtype=torch.long))


def test_temperature_undoes_over_confidence_and_lowers_nll():
    torch.manual_seed(0)
    honest = torch.randn(4000, 10) * 2  # labels drawn from softmax(honest): these logits are calibrated
    labels = torch.multinomial(torch.softmax(honest, 1), 1).squeeze(1)
    over_confident = 3 * honest
    t = calibration.fit_temperature(over_confident, labels)
    assert t == pytest.approx(3.0, rel=0.1)
    assert calibration.nll(over_confident, labels, t) < calibration.nll(over_confident, labels)
    before = calibration.expected_calibration_error(calibration.softmax(over_confident), labels)
    after = calibration.expected_calibration_error(calibration.softmax(over_confident, t), labels)
    assert after < before
    assert torch.equal(calibration.softmax(over_confident, t).argmax(1), over_confident.argmax(1))


def test_calibration_table_reports_before_and_after():
    torch.manual_seed(1)
    logits = torch.randn(300, 10) * 4
    labels = logits.argmax(1).clone()
    labels[:100] = torch.randint(0, 10, (100,))
    table = calibration.calibration_table({"m": logits}, labels, {"m": 2.0}, {"m": (1.0, 0.8)})
    assert table.loc["m", "accuracy"] == pytest.approx(float((logits.argmax(1) == labels).float().mean()))
    assert table.loc["m", "NLL scaled"] == pytest.approx(calibration.nll(logits, labels, 2.0))
    assert table.loc["m", "val NLL scaled"] == 0.8


def test_validation_logits_are_the_runs_stored_fp32_ones(fmnist, tiny_config):
    stored = torch.randn(1_000, 10), split_for(tiny_config, fmnist).val_labels
    run = SimpleNamespace(config=tiny_config, path=Path("custom_cnn-0"), validation_predictions=lambda: stored)
    logits, labels = calibration.validation_logits(run, 50)
    assert torch.equal(logits, stored[0][:50]) and logits.dtype == torch.float32
    assert torch.equal(labels, split_for(tiny_config, fmnist).val_labels[:50].long())
    assert len(calibration.validation_logits(run)[1]) == 1_000
    with pytest.raises(ConfigError, match="stores validation predictions of 1,000 images, fewer than the 2,000"):
        calibration.validation_logits(run, 2_000)
