"""Robustness: CE, relative CE and mCE on constructed predictions with answers known by hand; sweep bookkeeping."""

import numpy as np
import pandas as pd
import pytest
import torch

from fmnist_lib.analysis import robustness
from fmnist_lib.errors import ConfigError
from fmnist_lib.training.models import build_model

CONDITIONS = [("clean", 0), ("noise", 1), ("noise", 2), ("flip", 1), ("flip", 2)]


def logits_with_errors(wrong_counts, labels) -> np.ndarray:
    """Logits (K, N, 10) whose first `wrong_counts[k]` images are misclassified under condition k."""
    n = len(labels)
    out = np.zeros((len(wrong_counts), n, 10), np.float32)
    for k, wrong in enumerate(wrong_counts):
        predicted = np.where(np.arange(n) < wrong, (labels + 1) % 10, labels)
        out[k, np.arange(n), predicted] = 5.0
    return out


@pytest.fixture
def result():
    """Ten images. Errors of the reference: clean 1, noise 2 and 4, flip 3 and 3;
    of the model: clean 2, noise 3 and 5, flip 1 and 1."""
    labels = np.arange(10) % 10
    return robustness.StressResult(CONDITIONS, labels, {
        "ref": logits_with_errors([1, 2, 4, 3, 3], labels), "model": logits_with_errors([2, 3, 5, 1, 1], labels)})


def test_ce_and_relative_ce_by_hand(result):
    ce = robustness.corruption_errors(result, "ref").set_index(["model", "corruption"])
    assert ce.loc[("model", "noise"), "CE"] == pytest.approx(100 * (3 + 5) / (2 + 4))
    assert ce.loc[("model", "noise"), "relative CE"] == pytest.approx(100 * ((3 - 2) + (5 - 2)) / ((2 - 1) + (4 - 1)))
    assert ce.loc[("model", "flip"), "CE"] == pytest.approx(100 * 2 / 6)
    assert ce.loc[("model", "flip"), "relative CE"] == pytest.approx(100 * (-2) / 4)
    assert (ce.loc["ref", "CE"] == 100).all()


def test_mce_over_all_and_unseen(result):
    table = robustness.mce_table(result, "ref", seen={"flip"}, n_boot=50)
    assert table.loc["model", "mCE"] == pytest.approx((800 / 6 + 200 / 6) / 2)
    assert table.loc["model", "mCE unseen"] == pytest.approx(800 / 6)
    assert table.loc["model", "clean error %"] == pytest.approx(20)
    assert table.loc["ref", ["mCE low", "mCE high", "mCE unseen low", "mCE unseen high"]].tolist() == [100] * 4
    low, high = robustness.mce_interval(result, "model", "ref", ["noise"], n_boot=200)
    assert low <= 800 / 6 <= high


def test_error_table_and_leaders(result):
    errors = robustness.error_table(result)
    assert len(errors) == 2 * len(CONDITIONS)
    assert errors.set_index(["model", "corruption", "severity"]).loc[("ref", "noise", 2), "error"] == pytest.approx(0.4)
    leaders = robustness.most_robust(robustness.corruption_errors(result, "ref"))
    assert leaders.loc["flip", "model"] == "model" and leaders.loc["noise", "model"] == "ref"


def test_reference_must_see_at_least_as_many_images(result):
    small = robustness.StressResult(CONDITIONS, result.labels, {"ref": result.logits["ref"][:, :5],
                                                                "model": result.logits["model"]})
    with pytest.raises(ConfigError, match="at least as many"):
        robustness.corruption_errors(small, "ref")
    with pytest.raises(ConfigError, match="not tested"):
        robustness.corruption_errors(result, "vgg16")


def test_against_reference_words():
    assert robustness.against_reference(80, 95) == "below"
    assert robustness.against_reference(101, 130) == "above"
    assert robustness.against_reference(90, 110) == "indistinguishable from"


def test_stratified_order_balances_every_prefix_of_ten(fmnist):
    labels = fmnist.test_labels.numpy()
    order = robustness.stratified_order(labels, seed=56)
    assert sorted(order) == list(range(len(labels)))
    for start in (0, 10, 990):
        assert sorted(labels[order[start: start + 10]]) == list(range(10))
    assert np.array_equal(order, robustness.stratified_order(labels, seed=56))


def test_run_stress_test_bookkeeping(fmnist):
    torch.manual_seed(0)
    models = {"a": (build_model("custom_cnn").eval(), "fp32"), "b": (build_model("custom_cnn").eval(), "fp32")}
    images, labels = fmnist.test_images[:30], fmnist.test_labels[:30].numpy()
    result = robustness.run_stress_test(models, images, labels, {"a": 30, "b": 12}, ["contrast", "hflip"], (1, 3),
                                        seed=0)
    assert result.conditions == [("clean", 0), ("contrast", 1), ("contrast", 3), ("hflip", 1), ("hflip", 3)]
    assert result.logits["a"].shape == (5, 30, 10) and result.logits["b"].shape == (5, 12, 10)
    assert np.array_equal(result.logits["a"][3], result.logits["a"][4])  # the flip has no severity
    pixels = images.unsqueeze(1).float() / 255
    assert np.allclose(result.logits["a"][0], robustness.predict(models["a"][0], pixels).numpy(), atol=1e-5)
    assert np.allclose(result.logits["b"][0], robustness.predict(models["b"][0], pixels[:12]).numpy(), atol=1e-5)
    shift = robustness.calibration_under_corruption(result, {"a": 1.0, "b": 2.0})
    assert list(shift.columns) == ["model", "severity", "accuracy", "ECE", "ECE scaled"] and len(shift) == 2 * 3
    with pytest.raises(ConfigError, match="asked for"):
        robustness.run_stress_test(models, images, labels, {"a": 31, "b": 1}, ["contrast"], (1,))
    assert isinstance(robustness.error_table(result), pd.DataFrame)
