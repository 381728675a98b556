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


def _noisy_model(seed: int, scale: float, n: int = 4_000):
    """Probabilities that are right about 70 % of the time, over-confident as `scale` grows."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 10, (n,), generator=g)
    logits = torch.randn(n, 10, generator=g)
    logits[torch.arange(n), labels] += 1.5
    return torch.softmax(scale * logits, 1), labels


def test_binned_ece_bins_as_torchmetrics_does_including_a_confidence_of_one():
    probs, labels = _noisy_model(0, 2.0)
    probs[0] = 0
    probs[0, 3] = 1.0  # its own bin in torchmetrics
    probs[1] = torch.full((10,), 0.0)
    probs[1, :3] = torch.tensor([2 / 15, 2 / 15, 11 / 15])  # a confidence on a bin's edge
    expected = calibration.expected_calibration_error(probs, labels)
    got = calibration.binned_ece(probs.max(1).values.numpy(), (probs.argmax(1) == labels).numpy())
    assert got == pytest.approx(expected, abs=1e-6)
    resampled = np.stack([probs.max(1).values.numpy()] * 3)  # vectorised over a leading axis: each row alike
    assert calibration.binned_ece(resampled, np.stack([(probs.argmax(1) == labels).numpy()] * 3)) == \
        pytest.approx([expected] * 3, abs=1e-6)


def test_ece_difference_is_paired_over_test_images():
    probs, labels = _noisy_model(1, 1.0)
    assert calibration.ece_difference(probs, probs, labels) == (0.0, 0.0, 0.0)  # the same model: no difference
    over, _ = _noisy_model(1, 4.0)  # the same predictions, far more confident
    mean, low, high = calibration.ece_difference(over, probs, labels)
    truth = 100 * (calibration.expected_calibration_error(over, labels)
                   - calibration.expected_calibration_error(probs, labels))
    assert mean == pytest.approx(truth, abs=1e-4) and 0 < low < mean < high
    assert calibration.ece_difference(over, probs, labels, seed=3) != (mean, low, high)  # the seed draws resamples
    assert calibration.ece_difference(over, probs, labels) == (mean, low, high)  # and fixes them
    with pytest.raises(ValueError, match="same images"):
        calibration.ece_difference(over[:100], probs, labels)


def test_calibrated_names_the_ece_differences_against_the_lowest():
    probs, labels = _noisy_model(2, 1.0)
    over, _ = _noisy_model(2, 4.0)
    logits = {"plain": probs.log(), "over": over.log()}
    table = calibration.calibration_table(logits, labels, {"plain": 1.0, "over": 1.0})
    calibrated = calibration.Calibrated({}, table, {}, {}, logits, labels)
    gaps = calibrated.ece_differences(["plain", "over"])
    assert list(gaps) == ["over"] and gaps["over"][1] > 0
    with pytest.raises(ValueError, match="two models or more"):
        calibrated.ece_differences(["plain"])
