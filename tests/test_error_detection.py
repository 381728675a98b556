"""Error detection: AUROC of perfect, random and inverted detectors; risk-coverage by hand."""

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.metrics import roc_auc_score

from fmnist_lib.analysis.error_detection import (
    auroc, aurc, error_detection_table, oracle_aurc, risk_coverage, risk_coverage_curves,
)
from fmnist_lib.analysis.failures import error_table
from fmnist_lib.errors import ConfigError


def test_auroc_perfect_random_inverted_and_ties():
    is_error = np.array([False] * 8 + [True] * 2)
    scores = np.arange(10.0)  # errors score highest
    assert auroc(scores, is_error) == 1.0
    assert auroc(-scores, is_error) == 0.0
    assert auroc(np.ones(10), is_error) == 0.5
    rng = np.random.default_rng(0)
    random_errors = rng.random(20_000) < 0.1
    assert auroc(rng.random(20_000), random_errors) == pytest.approx(0.5, abs=0.02)


def test_auroc_equals_scikit_learn_with_ties():
    rng = np.random.default_rng(1)
    scores = rng.integers(0, 5, 300).astype(float)  # many ties
    is_error = rng.random(300) < 0.3
    assert auroc(scores, is_error) == pytest.approx(roc_auc_score(is_error, scores))


def test_auroc_rejects():
    with pytest.raises(ConfigError, match="both errors and correct"):
        auroc([0.1, 0.2], np.array([False, False]))
    with pytest.raises(ConfigError, match="boolean"):
        auroc([0.1, 0.2], np.array([0, 1]))
    with pytest.raises(ConfigError, match="one entry per image"):
        auroc([0.1], np.array([False, True]))


def test_risk_coverage_by_hand():
    curve = risk_coverage([0.9, 0.8, 0.7, 0.6], np.array([True, False, True, False]))
    assert curve["coverage"].tolist() == [0.25, 0.5, 0.75, 1.0]
    assert curve["risk"].tolist() == pytest.approx([0, 1 / 2, 1 / 3, 1 / 2])
    assert aurc(curve) == pytest.approx((0 + 1 / 2 + 1 / 3 + 1 / 2) / 4)


def test_risk_coverage_endpoints_and_ties():
    correct = np.array([True] * 7 + [False] * 3)
    perfect = risk_coverage(correct.astype(float), correct)  # right answers trusted most
    assert perfect["coverage"].tolist() == [0.7, 1.0] and perfect["risk"].tolist() == pytest.approx([0, 0.3])
    curve = risk_coverage(np.random.default_rng(0).random(10), correct)
    assert curve["coverage"].iloc[-1] == 1.0 and curve["risk"].iloc[-1] == pytest.approx(0.3)
    assert curve["coverage"].is_monotonic_increasing
    assert aurc(perfect) == pytest.approx(0.3 * 0.3)  # ties kept together: one step to full coverage
    assert oracle_aurc(correct) == pytest.approx(np.mean([0] * 7 + [1 / 8, 2 / 9, 3 / 10]))  # no ties


def test_error_detection_table_on_error_tables():
    labels = torch.tensor([0, 1, 2, 3])
    logits = torch.tensor([[5.0, 0, 0, 0], [0, 4.0, 0, 0], [0, 0, 0, 1.0], [0, 0, 0.5, 0]])
    logits = torch.cat([logits, torch.zeros(4, 6)], dim=1)  # (4, 10): images 0, 1 right and sure, 2, 3 wrong
    tables = {"m": error_table(logits, labels)}
    table = error_detection_table(tables)
    assert table.index.tolist() == ["m"] and table.loc["m", "error rate %"] == pytest.approx(50)
    assert table.loc["m", "AUROC (confidence)"] == 1.0 and table.loc["m", "AUROC (entropy)"] == 1.0
    assert table.loc["m", "AURC (confidence)"] == pytest.approx(table.loc["m", "AURC (oracle)"])  # (0+0+1/3+1/2)/4
    curves = risk_coverage_curves(tables)
    assert list(curves.columns) == ["model", "signal", "coverage", "risk"]
    assert set(curves["signal"]) == {"confidence", "entropy"}
    assert isinstance(curves, pd.DataFrame)


def test_auroc_difference_is_paired_and_brackets_the_observed_difference():
    import numpy as np
    import pandas as pd

    from fmnist_lib.analysis.error_detection import auroc, auroc_difference

    rng = np.random.default_rng(0)
    correct = rng.random(2000) < 0.9
    confidence = np.where(correct, rng.uniform(0.5, 1.0, 2000), rng.uniform(0.3, 0.9, 2000))
    table = pd.DataFrame({"correct": correct, "confidence": confidence, "entropy": 1 - confidence})  # the same ranking
    mean, low, high = auroc_difference(table, n_resamples=200)
    assert mean == low == high == 0.0  # identical rankings: every resample gives zero
    noisy = table.assign(entropy=1 - confidence + rng.normal(0, 0.3, 2000))
    mean, low, high = auroc_difference(noisy, n_resamples=200)
    assert low < mean < high < 0  # noise only hurts: entropy clearly worse here
    assert mean == auroc(noisy.entropy, ~correct) - auroc(-noisy.confidence, ~correct)
