"""Augmentation policies compared at one budget, seed i against seed i: clean accuracy, calibration, corruption
error, and the confusions each leaves.

Every policy's runs are stressed with the robustness page's corruptions on one class-balanced order of the test
images (`robustness.stratified_order`), and their CE divides by the errors of one reference run (the `none`
policy's first seed, the robustness page's custom CNN when the budgets agree), so every mCE is on one scale.
A policy's headline mCE leaves out the corruptions it trains on (`data.augmentation.Policy.trains_on`); it is
compared with the `none` run of the same seed on the same corruptions. Each difference gets a t-interval
over seeds and a p-value, Holm-adjusted over every comparison of the table; one seed gives no verdict.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

from ..data.augmentation import POLICIES, trained_on
from ..data.corruptions import CORRUPTIONS, label
from ..data.fashion_mnist import CLASS_NAMES, FashionMNIST
from ..runs.cache import Run
from .memo import remembered_arrays
from .robustness import StressResult, corruption_errors, run_stress_test, stratified_order
from .seed_runs import run_table
from .thresholds import ALPHA
from .stats import aggregate_runs, mean_interval

METRICS = ("test acc %", "ECE %", "mCE %", "relative mCE %")
ONE_SEED = "1 seed: no verdict"


def run_name(policy: str, seed: int) -> str:
    """The name of one policy run in a stress result: 'augmix, seed 56'."""
    return f"{policy}, seed {seed}"


class _NotStored(Exception):
    pass


def _not_stored() -> dict:
    raise _NotStored


def policy_stress(runs: dict[str, list[Run]], data: FashionMNIST, n_images: int, severities, seed: int,
                  weights: str = "final", device: str = "cpu") -> StressResult:
    """Logits of every policy run under every corruption and severity, on the first `n_images` test images of
    the stratified order drawn with `seed`; runs are named by `run_name`.

    Each run's logits are kept beside it (`memo`), so the claims page and the augmentation page stress a run
    once; the runs not stored yet are stressed together (their corrupted images computed once).
    """
    parameters = {"weights": weights, "n": n_images, "severities": list(severities), "seed": seed,
                  "corruptions": list(CORRUPTIONS)}
    named = {run_name(policy, run.config.seed): run for policy, group in runs.items() for run in group}
    logits = {}
    for name, run in named.items():
        try:
            logits[name] = remembered_arrays(run.path, "policy-stress", parameters, _not_stored, device=device)["logits"]
        except _NotStored:
            pass
    order = stratified_order(data.test_labels.numpy(), seed)
    missing = {name: run for name, run in named.items() if name not in logits}
    if missing:
        models = {name: (run.load_model(weights, device=device), run.config.precision)
                  for name, run in missing.items()}
        fresh = run_stress_test(models, data.test_images[order], data.test_labels.numpy()[order],
                                {name: n_images for name in missing}, list(CORRUPTIONS), severities, seed)
        for name, run in missing.items():
            logits[name] = remembered_arrays(run.path, "policy-stress", parameters,
                                             lambda stressed=fresh.logits[name]: {"logits": stressed},
                                             device=device)["logits"]
    conditions = [("clean", 0)] + [(c, s) for c in CORRUPTIONS for s in severities]
    return StressResult(conditions, data.test_labels.numpy()[order][:n_images], {name: logits[name] for name in named})


def headline_corruptions(policy: str, corruptions) -> list[str]:
    """The corruptions a policy's headline score averages over: all but those it trains on."""
    seen = trained_on(policy)
    return [name for name in corruptions if name not in seen]


def policy_scores(runs: dict[str, list[Run]], result: StressResult, reference: str,
                  weights: str = "final") -> pd.DataFrame:
    """One row per policy run: policy, seed, test acc %, ECE % (test set), and the `corruption_scores` columns."""
    clean = pd.concat([run_table(group, weights)[["seed", "test acc %", "ECE %"]].assign(policy=policy)
                       for policy, group in runs.items()], ignore_index=True)
    seeds = {policy: [run.config.seed for run in group] for policy, group in runs.items()}
    return clean.merge(corruption_scores(result, reference, seeds), on=["policy", "seed"])


def corruption_scores(result: StressResult, reference: str, seeds: dict[str, list[int]]) -> pd.DataFrame:
    """One row per policy run ({policy: seeds}, named by `run_name` in `result`): mCE % and relative mCE % over
    the policy's headline corruptions (all but those it trains on), and the `none` run of the same seed on those
    same corruptions ('none mCE %', 'none relative mCE %'; NaN where `none` has no run of that seed)."""
    ce = corruption_errors(result, reference).set_index(["model", "corruption"])
    rows = []
    for policy, policy_seeds in seeds.items():
        kept = headline_corruptions(policy, result.corruptions)
        for seed in policy_seeds:
            row = {"policy": policy, "seed": seed}
            for prefix, model in (("", run_name(policy, seed)), ("none ", run_name("none", seed))):
                row[prefix + "mCE %"] = _mean_over(ce, model, kept, "CE")
                row[prefix + "relative mCE %"] = _mean_over(ce, model, kept, "relative CE")
            rows.append(row)
    return pd.DataFrame(rows)


def _mean_over(ce: pd.DataFrame, model: str, corruptions: list[str], column: str) -> float:
    if model not in ce.index.get_level_values(0):
        return float("nan")
    values = ce.loc[model].loc[corruptions, column].to_numpy(dtype=float)
    values = values[~np.isnan(values)]  # NaN where the reference makes no errors on a corruption
    return float(values.mean()) if len(values) else float("nan")


def policy_table(scores: pd.DataFrame) -> pd.DataFrame:
    """Per policy: what it does, the corruptions left out of its score, seeds, and each metric as 'mean ± sd'."""
    table = aggregate_runs(scores, by="policy", metrics=METRICS, min_runs=1,
                           digits={"ECE %": 2, "mCE %": 1, "relative mCE %": 1})
    left_out = {name: ", ".join(label(c) for c in sorted(trained_on(name))) or "none" for name in table.index}
    shown = pd.DataFrame({"policy": [POLICIES[name].label for name in table.index],
                          "seeds": table["runs"].to_numpy(),
                          "left out of its score": [left_out[name] for name in table.index],
                          **{metric: table[metric].to_numpy() for metric in METRICS}})
    return shown.set_index("policy")


def policy_comparisons(scores: pd.DataFrame, alpha: float = ALPHA.value) -> pd.DataFrame:
    """Every policy but `none` against `none`, seed by seed, on each metric (mCE and relative mCE over the policy's
    headline corruptions for both). Rows: policy, metric, seeds, difference mean, 95 % t-interval over seeds,
    p (one-sample t-test of the per-seed differences), p Holm-adjusted over all rows, and a verdict: 'lower' or
    'higher' when the adjusted p is below `alpha`, 'no clear difference' otherwise, ONE_SEED with one seed."""
    rows = []
    for policy, group in scores[scores.policy != "none"].groupby("policy", sort=False):
        none = scores[scores.policy == "none"].set_index("seed")
        paired = group[group.seed.isin(none.index)]
        for metric in METRICS:
            against = none.loc[paired.seed, metric] if "mCE" not in metric else paired[f"none {metric}"]
            differences = paired[metric].to_numpy(dtype=float) - np.asarray(against, dtype=float)
            rows.append({"policy": policy, "metric": metric, **_difference(differences)})
    table = pd.DataFrame(rows)
    tested = table["p"].notna()
    table["p (Holm)"] = np.nan
    if tested.any():
        table.loc[tested, "p (Holm)"] = multipletests(table.loc[tested, "p"].tolist(), alpha=alpha, method="holm")[1]
    table["verdict"] = [ONE_SEED if n < 2 else "no clear difference" if not p < alpha else
                        "lower" if mean < 0 else "higher"
                        for n, p, mean in zip(table["seeds"], table["p (Holm)"], table["difference"])]
    return table


def _difference(differences: np.ndarray) -> dict:
    """Mean, 95 % t-interval and t-test p of per-seed differences (NaN interval and p with one seed)."""
    n, mean = len(differences), float(np.mean(differences))
    if n < 2:
        return {"seeds": n, "difference": mean, "low": np.nan, "high": np.nan, "p": np.nan}
    if np.all(differences == differences[0]):  # no spread over seeds: a t-test is undefined, so no verdict
        return {"seeds": n, "difference": mean, "low": mean, "high": mean, "p": np.nan}
    low, high = mean_interval(differences)
    return {"seeds": n, "difference": mean, "low": low, "high": high,
            "p": float(stats.ttest_1samp(differences, 0.0).pvalue)}


def confusion_counts(runs: dict[str, list[Run]], n_pairs: int = 6, weights: str = "final") -> pd.DataFrame:
    """The `none` policy's `n_pairs` most frequent confusions (true -> predicted, mean over its seeds), and their
    mean count under every policy: index 'Shirt → T-shirt/top', one column per policy."""
    means = {policy: np.mean([np.asarray(run.test_metrics(weights)["confusion"]) for run in group], axis=0)
             for policy, group in runs.items()}
    base = means["none"].copy()
    np.fill_diagonal(base, -1)
    flat = np.argsort(-base, axis=None, kind="stable")[:n_pairs]
    pairs = [divmod(int(i), base.shape[1]) for i in flat]
    index = [f"{CLASS_NAMES[a]} → {CLASS_NAMES[b]}" for a, b in pairs]
    return pd.DataFrame({policy: [float(m[a, b]) for a, b in pairs] for policy, m in means.items()}, index=index)
