"""Numbers you can trust: spread over seeds, tests over seeds, and paired tests of two models on the same test images.

Two kinds of statement, kept apart. Over seeds (`seed_differences`, `equivalence_test`): one value per seed, so
the test carries seed-to-seed variation and speaks about the training recipe; it needs `MIN_SEEDS` seeds. On
test images (`mcnemar_test`, `paired_bootstrap`): one pair of trained weights, so it speaks only about those
weights, however small its p-value.

Two models scored on the same 10,000 images are paired data: an image one model gets
right is likely right for the other too. Paired tests use that (McNemar's exact test on
the images where the models disagree; a bootstrap over images for the accuracy
difference) and are far sharper than comparing two separate intervals. Differences
are "a minus b"; accuracies and differences in the tables are in percentage points.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.weightstats import DescrStatsW

from ..errors import ConfigError
from .thresholds import ALPHA, INTERVAL, MIN_SEEDS

BOOTSTRAP_METHODS = ("percentile", "BCa")


def _finite_values(values, name: str = "values") -> np.ndarray:
    array = np.asarray(values, dtype=float).ravel()
    if not np.isfinite(array).all():
        raise ConfigError(f"{name} must be finite numbers, got {array.tolist()[:5]}...")
    return array


def seed_summary(values) -> dict:
    """Mean, sample standard deviation (ddof=1), n, min and max of one metric over runs with different seeds."""
    array = _finite_values(values)
    if len(array) < 2:
        raise ConfigError(f"A standard deviation over seeds needs at least 2 runs, got {len(array)}.")
    return {"mean": float(array.mean()), "std": float(array.std(ddof=1)), "n": len(array),
            "min": float(array.min()), "max": float(array.max())}


def format_mean_sd(mean: float, sd: float, digits: int = 2) -> str:
    """'93.10 ± 0.15' ('93.10 (1 run)' when sd is NaN)."""
    return f"{mean:.{digits}f} (1 run)" if np.isnan(sd) else f"{mean:.{digits}f} ± {sd:.{digits}f}"


def aggregate_runs(frame: pd.DataFrame, by: str | list[str] = "model",
                   metrics: Sequence[str] = ("test acc %", "test loss", "errors"),
                   digits: dict[str, int] | None = None, min_runs: int = 2) -> pd.DataFrame:
    """Per group (model, arm, ...): the number of runs, then `<metric> mean`, `<metric> sd` and `<metric>` ('mean ± sd').

    `frame` has one row per run (e.g. `seeds.seed_metrics`). A group with fewer than
    `min_runs` runs is an error; with min_runs=1 its sd is NaN and its text says '(1 run)'.
    """
    digits = {"test loss": 4, "errors": 1, **(digits or {})}
    missing = [name for name in [*([by] if isinstance(by, str) else by), *metrics] if name not in frame]
    if missing:
        raise ConfigError(f"Column(s) {missing} are not in the per-run table (columns: {list(frame.columns)}).")
    groups = frame.groupby(by, sort=False)
    small = groups.size()[lambda sizes: sizes < min_runs]
    if len(small):
        raise ConfigError(f"Group(s) {list(small.index)} have fewer than {min_runs} runs: a spread over seeds needs "
                          "several seeds (or pass min_runs=1 to show single runs without one).")
    table = pd.DataFrame({"runs": groups.size()})
    for metric in metrics:
        mean, sd = groups[metric].mean(), groups[metric].std(ddof=1)
        table[f"{metric} mean"], table[f"{metric} sd"] = mean, sd
        table[metric] = [format_mean_sd(m, s, digits.get(metric, 2)) for m, s in zip(mean, sd)]
    return table


def _correct_pair(correct_a, correct_b) -> tuple[np.ndarray, np.ndarray]:
    """Two boolean arrays of per-image correctness for the same test images, checked."""
    arrays = []
    for name, values in (("correct_a", correct_a), ("correct_b", correct_b)):
        array = np.asarray(values)
        if array.dtype != bool or array.ndim != 1:
            raise ConfigError(f"{name} must be a 1-D boolean array (True = right), got {array.dtype} of shape "
                              f"{array.shape}.")
        arrays.append(array)
    if len(arrays[0]) != len(arrays[1]) or len(arrays[0]) == 0:
        raise ConfigError(f"correct_a and correct_b must cover the same test images: lengths {len(arrays[0])} and "
                          f"{len(arrays[1])}.")
    return arrays[0], arrays[1]


def mcnemar_test(correct_a, correct_b) -> dict:
    """McNemar's exact test: do two models err on the same images at different rates?

    Only discordant images count: b = a right and b wrong, c = a wrong and b right;
    the two-sided p-value is the binomial test of b against Binomial(b + c, 1/2).
    """
    a, b = _correct_pair(correct_a, correct_b)
    table = [[int(np.sum(a & b)), int(np.sum(a & ~b))], [int(np.sum(~a & b)), int(np.sum(~a & ~b))]]
    result = mcnemar(table, exact=True)
    return {"n": len(a), "both_right": table[0][0], "b": table[0][1], "c": table[1][0], "both_wrong": table[1][1],
            "statistic": float(result.statistic), "p_value": float(result.pvalue)}


def paired_bootstrap(correct_a, correct_b, n_resamples: int = 10_000, confidence: float = 0.95, seed: int = 0,
                     method: str = "percentile") -> dict:
    """Bootstrap interval for accuracy(a) - accuracy(b) (fractions), resampling test images as pairs.

    Resampling pairs is resampling the per-image differences a - b, so scipy bootstraps
    those (same interval as `paired=True`, half the work). Percentile by default: the
    statistic is a mean of ~10,000 values, nearly symmetric, where BCa gains little yet
    costs a jackknife over every image and is undefined when all differences are equal.
    BCa on data where it cannot be computed falls back to percentile (`method` says which).
    """
    a, b = _correct_pair(correct_a, correct_b)
    if method not in BOOTSTRAP_METHODS:
        raise ConfigError(f"Unknown bootstrap method {method!r}. Choose one of: {', '.join(BOOTSTRAP_METHODS)}.")
    if not 0 < confidence < 1:
        raise ConfigError(f"confidence must lie between 0 and 1, got {confidence!r}.")
    differences = a.astype(np.int8) - b.astype(np.int8)  # +1: only a right, -1: only b right
    observed = float(differences.mean())
    if np.all(differences == differences[0]):  # every resample gives the same value: the interval is a point
        return {"difference": observed, "low": observed, "high": observed, "method": "constant"}
    interval = _bootstrap_interval(differences, n_resamples, confidence, seed, method)
    if method == "BCa" and not np.isfinite(interval).all():
        interval, method = _bootstrap_interval(differences, n_resamples, confidence, seed, "percentile"), "percentile"
    return {"difference": observed, "low": float(interval[0]), "high": float(interval[1]), "method": method}


def _bootstrap_interval(differences: np.ndarray, n_resamples: int, confidence: float, seed: int,
                        method: str) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", stats.DegenerateDataWarning)  # handled by the caller's fallback
        result = stats.bootstrap((differences,), lambda x, axis: x.mean(axis=axis), n_resamples=n_resamples,
                                 confidence_level=confidence, method=method, vectorized=True,
                                 batch=500,  # 500 resamples at a time: ~40 MB of indices for 10,000 images
                                 rng=np.random.default_rng(seed))
    return np.array([result.confidence_interval.low, result.confidence_interval.high])


def _checked_models(correct: dict) -> dict[str, np.ndarray]:
    if len(correct) < 2:
        raise ConfigError(f"Comparisons need at least 2 models, got {list(correct)}.")
    first = next(iter(correct))
    return {name: _correct_pair(correct[first], values)[1] for name, values in correct.items()}


def _holm(p_values: list[float], alpha: float) -> tuple[np.ndarray, np.ndarray]:
    reject, adjusted, _, _ = multipletests(p_values, alpha=alpha, method="holm")
    return adjusted, reject


def pairwise_comparisons(correct: dict, *, confidence: float = 0.95, alpha: float = 0.05,
                         n_resamples: int = 10_000, seed: int = 0) -> pd.DataFrame:
    """Every pair of models on the same test images: accuracies, difference with its bootstrap CI, McNemar p.

    `correct` maps a model's name to its boolean per-image correctness (one run each).
    p-values are Holm-adjusted over all pairs; `significant` = adjusted p < alpha.
    Differences and intervals are a minus b, in percentage points.
    """
    correct = _checked_models(correct)
    rows = []
    for name_a, name_b in itertools.combinations(correct, 2):
        a, b = correct[name_a], correct[name_b]
        test = mcnemar_test(a, b)
        interval = paired_bootstrap(a, b, n_resamples=n_resamples, confidence=confidence, seed=seed)
        rows.append({"model a": name_a, "model b": name_b, "acc a %": 100 * a.mean(), "acc b %": 100 * b.mean(),
                     "difference (pts)": 100 * interval["difference"], "CI low (pts)": 100 * interval["low"],
                     "CI high (pts)": 100 * interval["high"], "only a right": test["b"], "only b right": test["c"],
                     "p (McNemar)": test["p_value"]})
    table = pd.DataFrame(rows)
    table["p (Holm)"], table["significant"] = _holm(table["p (McNemar)"].tolist(), alpha)
    return table


def seed_matched_comparisons(correct: dict, *, alpha: float = 0.05) -> pd.DataFrame:
    """Every pair of models run with several seeds, seed i of a against seed i of b.

    `correct` maps a name to a boolean array (n_seeds, n_images) (e.g. `seeds.seed_correct`).
    One row per pair: seeds, mean and sd of the accuracy difference (points, a minus b), the verdict over
    seeds (`seed_differences`: t-interval, t-test Holm-adjusted over the pairs, a direction), seeds where a
    was better, and seeds whose McNemar test is significant after Holm adjustment over every (pair, seed)
    test (a statement about those trained weights only).
    """
    matrices = {name: np.asarray(values) for name, values in correct.items()}
    shapes = {name: m.shape for name, m in matrices.items()}
    if len(set(shapes.values())) != 1 or any(len(s) != 2 for s in shapes.values()):
        raise ConfigError(f"Each model needs a boolean array (n_seeds, n_images), all of one shape; got {shapes}.")
    tests = []
    for name_a, name_b in itertools.combinations(_checked_models({k: m[0] for k, m in matrices.items()}), 2):
        for a, b in zip(matrices[name_a], matrices[name_b]):
            tests.append((name_a, name_b, 100 * (a.mean() - b.mean()), mcnemar_test(a, b)["p_value"]))
    detail = pd.DataFrame(tests, columns=["model a", "model b", "difference (pts)", "p"])
    _, detail["significant"] = _holm(detail["p"].tolist(), alpha)
    groups = detail.groupby(["model a", "model b"], sort=False)
    over = seed_differences({pair: group["difference (pts)"].to_numpy() for pair, group in groups}, alpha=alpha)
    return pd.DataFrame({
        "seeds": groups.size(),
        "difference mean (pts)": groups["difference (pts)"].mean(),
        "difference sd (pts)": groups["difference (pts)"].std(ddof=1),
        "interval low (pts)": over["low"].to_numpy(), "interval high (pts)": over["high"].to_numpy(),
        "p over seeds (Holm)": over["p (Holm)"].to_numpy(), "direction over seeds": over["direction"].to_numpy(),
        "seeds a better": groups["difference (pts)"].apply(lambda d: int((d > 0).sum())),
        "seeds significant": groups["significant"].sum().astype(int),
    }).reset_index()


def mean_interval(values, confidence: float = 0.95) -> tuple[float, float]:
    """Student-t interval for the mean of a few values, e.g. a difference measured once per seed.

    It covers the variation from seed to seed (initialisation, data order), which a test on
    one pair of runs cannot see; with 3 seeds it is wide (t = 4.30 for 95 %), as it should be.
    """
    array = _finite_values(values)
    if len(array) < 2:
        raise ConfigError(f"An interval over seeds needs at least 2 values, got {len(array)}.")
    if not 0 < confidence < 1:
        raise ConfigError(f"confidence must lie between 0 and 1, got {confidence!r}.")
    half = stats.t.ppf((1 + confidence) / 2, len(array) - 1) * array.std(ddof=1) / np.sqrt(len(array))
    return float(array.mean() - half), float(array.mean() + half)


def accuracy_interval(accuracy: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of an accuracy measured on n independent images (95 % by default)."""
    centre = (accuracy + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(accuracy * (1 - accuracy) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def significant_pairs_sentence(comparisons: pd.DataFrame) -> str:
    """Which model pairs of `stats.pairwise_comparisons` differ after Holm adjustment, and which do not."""
    real = comparisons[comparisons["significant"]]
    if real.empty:
        return f"none of the {len(comparisons)} pairs differs significantly after Holm adjustment"
    parts = [f"{row['model a']} {'above' if row['difference (pts)'] > 0 else 'below'} {row['model b']} by "
             f"{abs(row['difference (pts)']):.2f} points (95 % interval {row['CI low (pts)']:+.2f} to "
             f"{row['CI high (pts)']:+.2f})" for _, row in real.iterrows()]
    text = f"{len(real)} of the {len(comparisons)} pairs differ significantly after Holm adjustment: " + "; ".join(parts)
    others = comparisons[~comparisons["significant"]]
    if len(others):
        text += "; the other pairs (" + ", ".join(f"{a} and {b}" for a, b in zip(others["model a"], others["model b"]))
        text += ") do not"
    return text


def equivalence_test(values, target: float, margin: float, alpha: float = ALPHA.value) -> dict:
    """Two one-sided tests (TOST) that the mean of `values` (one per seed) lies within `margin` of `target`.

    Equivalent when both one-sided p-values are below `alpha` (statsmodels' `ttost_mean`), that is when the
    (1 - 2 alpha) t-interval of the mean lies inside target ± margin. `differs` says the opposite was shown: the
    mean lies beyond the margin on one side with a one-sided p below `alpha`. Needs 2 values (MIN_SEEDS is the
    claims' rule, not this test's).
    """
    array = _finite_values(values)
    if len(array) < 2:
        raise ConfigError(f"An equivalence test over seeds needs at least 2 values, got {len(array)}.")
    if margin <= 0:
        raise ConfigError(f"The equivalence margin must be positive, got {margin!r}.")
    difference = float(array.mean() - target)
    if _constant(array):  # every seed equal: the tests are degenerate, the answer is not
        beyond = abs(difference) >= margin
        return {"difference": difference, "p": 0.0 if not beyond else 1.0, "equivalent": not beyond,
                "differs": beyond, "p_beyond": 0.0 if beyond else 1.0, "n": len(array)}
    p, _, _ = DescrStatsW(array).ttost_mean(target - margin, target + margin)
    bound, alternative = (target + margin, "greater") if difference > 0 else (target - margin, "less")
    p_beyond = float(stats.ttest_1samp(array, bound, alternative=alternative).pvalue)
    return {"difference": difference, "p": float(p), "equivalent": bool(p < alpha), "differs": bool(p_beyond < alpha),
            "p_beyond": p_beyond, "n": len(array)}


SEED_DIRECTIONS = ("higher", "lower", "no clear difference", "too few seeds")


def _constant(array: np.ndarray) -> bool:
    """Every value the same, up to float rounding (a t-test is then undefined: there is no spread to test against)."""
    return bool(np.allclose(array, array[0], rtol=0, atol=1e-9))


def seed_differences(differences: dict, *, alpha: float = ALPHA.value, confidence: float = INTERVAL.value,
                     min_seeds: int = int(MIN_SEEDS.value), margin: float | None = None) -> pd.DataFrame:
    """The one rule for comparing two training recipes (architectures, augmentation, budgets) over seeds.

    `differences` maps a comparison's name to its per-seed differences a minus b (seed i of a against seed i of
    b, at a matched budget). Per comparison: seeds, mean, sd, a Student-t interval over seeds, the two-sided
    one-sample t-test's p, that p Holm-adjusted over the family (every comparison given with enough seeds), and a
    direction (SEED_DIRECTIONS): 'higher' or 'lower' when the adjusted p is below `alpha`, 'too few seeds' under
    `min_seeds`. With a `margin`, 'p non-inferior (Holm)' tests that a is no more than `margin` below b (one-sided
    t-test of the mean against -margin, Holm over the family). The ledger's verdicts and the statistics page's
    tables both read this table.
    """
    rows = []
    for name, values in differences.items():
        array = _finite_values(values, name)
        n = len(array)
        low, high = mean_interval(array, confidence) if n >= 2 else (math.nan, math.nan)
        enough = n >= min_seeds and not _constant(array)
        p = float(stats.ttest_1samp(array, 0.0).pvalue) if enough else math.nan
        p_within = (float(stats.ttest_1samp(array, -margin, alternative="greater").pvalue)
                    if enough and margin is not None else math.nan)
        rows.append({"comparison": name, "seeds": n, "mean": float(array.mean()) if n else math.nan,
                     "sd": (0.0 if _constant(array) else float(array.std(ddof=1))) if n >= 2 else math.nan,
                     "low": low, "high": high, "p": p,
                     "p non-inferior": p_within})
    table = pd.DataFrame(rows, columns=["comparison", "seeds", "mean", "sd", "low", "high", "p", "p non-inferior"])
    for column in ("p", "p non-inferior"):
        tested = table[column].notna()
        table[f"{column} (Holm)"] = math.nan
        if tested.any():
            table.loc[tested, f"{column} (Holm)"] = _holm(table.loc[tested, column].tolist(), alpha)[0]
    if margin is None:
        table = table.drop(columns=["p non-inferior", "p non-inferior (Holm)"])
    table["direction"] = [_seed_direction(row, alpha, min_seeds) for _, row in table.iterrows()]
    return table


def _seed_direction(row, alpha: float, min_seeds: int) -> str:
    if row["seeds"] < min_seeds:
        return "too few seeds"
    if row["sd"] == 0:  # every seed gives the same difference: no variation to test against
        return "no clear difference" if row["mean"] == 0 else ("higher" if row["mean"] > 0 else "lower")
    if row["p (Holm)"] < alpha:
        return "higher" if row["mean"] > 0 else "lower"
    return "no clear difference"
