"""Seed summaries and paired tests against values computed by hand."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from fmnist_lib.errors import ConfigError
from fmnist_lib.analysis.stats import (
    aggregate_runs, mcnemar_test, paired_bootstrap, pairwise_comparisons, seed_matched_comparisons,
    seed_summary,
)


def paired_outcomes(both_right: int, only_a: int, only_b: int, both_wrong: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-image correctness of two models with the given 2 x 2 table."""
    a = np.array([True] * both_right + [True] * only_a + [False] * only_b + [False] * both_wrong)
    b = np.array([True] * both_right + [False] * only_a + [True] * only_b + [False] * both_wrong)
    return a, b


def test_seed_summary_known_values():
    summary = seed_summary([1.0, 2.0, 3.0, 4.0])
    assert summary == pytest.approx({"mean": 2.5, "std": np.sqrt(5 / 3), "n": 4, "min": 1.0, "max": 4.0})


@pytest.mark.parametrize("values, message", [([93.1], "at least 2"), ([1.0, np.nan], "finite")])
def test_seed_summary_rejects(values, message):
    with pytest.raises(ConfigError, match=message):
        seed_summary(values)


def test_aggregate_runs_mean_sd_and_text():
    runs = pd.DataFrame({"model": ["a", "a", "a", "b", "b"], "test acc %": [93.0, 93.2, 93.4, 92.0, 92.5],
                         "errors": [700, 680, 660, 800, 750]})
    table = aggregate_runs(runs, by="model", metrics=["test acc %", "errors"])
    assert table.index.tolist() == ["a", "b"] and table["runs"].tolist() == [3, 2]
    assert table.loc["a", "test acc % mean"] == pytest.approx(93.2)
    assert table.loc["a", "test acc % sd"] == pytest.approx(0.2)
    assert table.loc["a", "test acc %"] == "93.20 ± 0.20"
    assert table.loc["b", "errors"] == "775.0 ± 35.4"
    with pytest.raises(ConfigError, match="fewer than 3 runs"):
        aggregate_runs(runs, metrics=["errors"], min_runs=3)
    single = aggregate_runs(runs.iloc[:4], metrics=["errors"], min_runs=1)
    assert single.loc["b", "errors"] == "800.0 (1 run)" and np.isnan(single.loc["b", "errors sd"])
    with pytest.raises(ConfigError, match="not in the per-run table"):
        aggregate_runs(runs, metrics=["test loss"])


def test_mcnemar_hand_computed_table():
    a, b = paired_outcomes(both_right=80, only_a=10, only_b=2, both_wrong=8)
    result = mcnemar_test(a, b)
    assert (result["both_right"], result["b"], result["c"], result["both_wrong"], result["n"]) == (80, 10, 2, 8, 100)
    # exact two-sided binomial: 2 * P(X <= 2 | n=12, p=1/2) = 2 * (1 + 12 + 66) / 4096
    assert result["p_value"] == pytest.approx(2 * 79 / 4096) and result["p_value"] == pytest.approx(0.0386, abs=1e-4)
    assert result["statistic"] == 2
    assert mcnemar_test(b, a)["p_value"] == pytest.approx(result["p_value"])  # symmetric


def test_mcnemar_without_disagreements_and_bad_inputs():
    a, _ = paired_outcomes(5, 0, 0, 5)
    assert mcnemar_test(a, a)["p_value"] == 1.0
    with pytest.raises(ConfigError, match="boolean"):
        mcnemar_test(a.astype(int), a)
    with pytest.raises(ConfigError, match="same test images"):
        mcnemar_test(a, a[:-1])


def test_bootstrap_contains_the_difference_and_shrinks_with_n():
    a, b = paired_outcomes(both_right=800, only_a=90, only_b=40, both_wrong=70)  # difference 0.05
    small = paired_bootstrap(a, b, n_resamples=2000)
    large = paired_bootstrap(np.tile(a, 16), np.tile(b, 16), n_resamples=2000)
    assert small["difference"] == pytest.approx(0.05) and large["difference"] == pytest.approx(0.05)
    assert small["low"] < 0.05 < small["high"] and large["low"] < 0.05 < large["high"]
    # standard error of the mean difference: sd of per-image differences / sqrt(n)
    sd = np.std(a.astype(int) - b.astype(int))
    assert small["high"] - small["low"] == pytest.approx(2 * 1.96 * sd / np.sqrt(1000), rel=0.1)
    assert (large["high"] - large["low"]) == pytest.approx((small["high"] - small["low"]) / 4, rel=0.15)
    assert small["method"] == "percentile"


def test_bootstrap_equals_scipy_paired_resampling():
    a, b = paired_outcomes(300, 30, 15, 20)
    ours = paired_bootstrap(a, b, n_resamples=999, seed=7)
    theirs = scipy_stats.bootstrap((a, b), lambda x, y, axis: x.mean(axis) - y.mean(axis), paired=True,
                                   vectorized=True, n_resamples=999, method="percentile",
                                   rng=np.random.default_rng(7)).confidence_interval
    assert (ours["low"], ours["high"]) == pytest.approx((theirs.low, theirs.high))


def test_bootstrap_degenerate_and_bca():
    a, _ = paired_outcomes(50, 0, 0, 10)
    assert paired_bootstrap(a, a) == {"difference": 0.0, "low": 0.0, "high": 0.0, "method": "constant"}
    a, b = paired_outcomes(300, 30, 15, 20)
    bca = paired_bootstrap(a, b, n_resamples=999, method="BCa")
    assert bca["method"] == "BCa" and bca["low"] < bca["difference"] < bca["high"]
    with pytest.raises(ConfigError, match="method"):
        paired_bootstrap(a, b, method="basic")


def test_pairwise_comparisons_and_matrix():
    a, b = paired_outcomes(80, 10, 2, 8)
    c = a.copy()
    c[:30] = False  # much worse than both
    table = pairwise_comparisons({"A": a, "B": b, "C": c}, n_resamples=500)
    assert table[["model a", "model b"]].values.tolist() == [["A", "B"], ["A", "C"], ["B", "C"]]
    first = table.iloc[0]
    assert first["acc a %"] == pytest.approx(90) and first["acc b %"] == pytest.approx(82)
    assert first["difference (pts)"] == pytest.approx(8) and first["CI low (pts)"] < 8 < first["CI high (pts)"]
    assert (first["only a right"], first["only b right"]) == (10, 2)
    assert first["p (McNemar)"] == pytest.approx(2 * 79 / 4096)
    assert (table["p (Holm)"] >= table["p (McNemar)"]).all() and table["significant"].dtype == bool
    assert table.loc[1, "significant"]  # 30 images A gets right and C does not
    with pytest.raises(ConfigError, match="at least 2 models"):
        pairwise_comparisons({"A": a})


def test_seed_matched_comparisons():
    a, b = paired_outcomes(80, 10, 2, 8)
    seeds_a = np.stack([a, a, b])  # seed-matched: a beats b twice, loses once
    seeds_b = np.stack([b, b, a])
    table = seed_matched_comparisons({"A": seeds_a, "B": seeds_b})
    row = table.iloc[0]
    assert (row["model a"], row["model b"], row["seeds"], row["seeds a better"]) == ("A", "B", 3, 2)
    assert row["difference mean (pts)"] == pytest.approx(8 / 3)
    assert row["difference sd (pts)"] == pytest.approx(np.std([8, 8, -8], ddof=1))
    with pytest.raises(ConfigError, match="n_seeds, n_images"):
        seed_matched_comparisons({"A": seeds_a, "B": seeds_b[:2]})


def test_bca_that_cannot_be_computed_falls_back_to_percentile(monkeypatch):
    from fmnist_lib.analysis import stats

    real = stats._bootstrap_interval

    def bca_fails(differences, n_resamples, confidence, seed, method):
        return np.array([np.nan, np.nan]) if method == "BCa" else real(differences, n_resamples, confidence, seed, method)

    monkeypatch.setattr(stats, "_bootstrap_interval", bca_fails)
    a, b = paired_outcomes(300, 30, 15, 20)
    result = paired_bootstrap(a, b, n_resamples=999, method="BCa")
    assert result["method"] == "percentile" and result["low"] < result["difference"] < result["high"]


def test_mean_interval_is_the_student_t_interval():
    from fmnist_lib.analysis.stats import mean_interval

    values = [0.2, 0.5, 0.35]
    low, high = mean_interval(values)
    expected = scipy_stats.t.interval(0.95, 2, loc=np.mean(values), scale=scipy_stats.sem(values))
    assert (low, high) == pytest.approx(expected)
    assert mean_interval([1.0, 1.0]) == (1.0, 1.0)
    with pytest.raises(ConfigError, match="at least 2"):
        mean_interval([1.0])


def test_equivalence_test_two_one_sided_tests():
    from fmnist_lib.analysis.stats import equivalence_test

    shown = equivalence_test([93.2, 93.3, 93.1], 92.97, 0.5)
    assert shown["equivalent"] and not shown["differs"] and shown["difference"] == pytest.approx(0.23)
    spread = equivalence_test([92.5, 93.9, 92.6], 93.0, 0.5)
    assert not spread["equivalent"] and not spread["differs"]  # close on average, too spread to show it
    beyond = equivalence_test([93.2, 93.3, 93.1], 91.97, 0.5)
    assert beyond["differs"] and not beyond["equivalent"] and beyond["p_beyond"] < 0.05
    assert equivalence_test([93.0, 93.0, 93.0], 92.9, 0.5)["equivalent"]  # no spread: the distance decides
    with pytest.raises(ConfigError, match="at least 2"):
        equivalence_test([93.0], 93.0, 0.5)
    with pytest.raises(ConfigError, match="margin must be positive"):
        equivalence_test([93.0, 93.1], 93.0, 0.0)


def test_seed_differences_one_rule_with_holm_over_the_family():
    from fmnist_lib.analysis.stats import seed_differences

    table = seed_differences({"clear": [0.30, 0.25, 0.35, 0.28], "noise": [0.4, -0.5, 0.1, -0.1], "one": [0.5],
                              "other way": [-0.3, -0.25, -0.35, -0.28]}).set_index("comparison")
    assert list(table["direction"]) == ["higher", "no clear difference", "too few seeds", "lower"]
    p = table.loc[["clear", "noise", "other way"], "p"]
    assert table.loc["clear", "p (Holm)"] == pytest.approx(min(1.0, 3 * min(p)))  # Holm: the smallest p times 3
    assert np.isnan(table.loc["one", "p"]) and table.loc["clear", "low"] < 0.3 < table.loc["clear", "high"]
    within = seed_differences({"custom minus vgg": [0.1, -0.1, 0.05, 0.0]}, margin=0.5)
    assert within.loc[0, "p non-inferior (Holm)"] < 0.05 and within.loc[0, "direction"] == "no clear difference"
