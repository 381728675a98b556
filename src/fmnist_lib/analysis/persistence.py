"""Persistent versus chance failures: which test images a model gets wrong under every seed, and which only sometimes.

A failure seen in one run may be luck of the seed; one seen in every run is a property
of the image (or its label) and the architecture. Everything starts from
`persistence_table`: one row per test image, indexed like `failures.error_table`, so the
two join on the test index. The failures page says, per case it shows, how often it recurs
(`case_persistence`) and where that count comes from (`persistence_source`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from ..data.fashion_mnist import CLASS_NAMES, NUM_CLASSES
from ..data.writeup import CASES, Case
from ..errors import ConfigError
from ..runs.seeds import seed_probabilities
from ..training.config import TrainConfig
from .seed_runs import training_text

GROUPS = ("always wrong", "sometimes wrong", "never wrong")


def _per_wrong_run_mean(values: torch.Tensor, wrong: torch.Tensor) -> np.ndarray:
    """Mean over the runs where the image was wrong (NaN where it never was); values, wrong: (R, N)."""
    times = wrong.sum(0)
    total = (values * wrong).sum(0)
    return torch.where(times > 0, total / times.clamp(min=1), torch.nan).numpy()


def persistence_table(predictions: Sequence) -> pd.DataFrame:
    """One row per test image over R runs of one model (e.g. `seeds.seed_predictions(runs)`).

    Columns: label, label_name, runs, times_wrong, group (GROUPS), persistent (wrong in
    every run), wrong_class / wrong_class_name (the most frequent wrong prediction, lowest
    class on ties; -1 / '' if never wrong), wrong_class_share (share of the wrong runs
    that predicted it), confidence_wrong and entropy_wrong (top-1 probability and entropy
    in nats, averaged over the wrong runs; NaN if never wrong) and mean_p_true (the
    true class's probability averaged over all runs).
    """
    probs, labels = seed_probabilities(predictions, min_runs=2)  # (R, N, C), (N,)
    runs = probs.shape[0]
    confidence, predicted = probs.max(2)  # (R, N) each
    wrong = predicted != labels  # (R, N)
    entropy = -(probs * probs.clamp(min=1e-12).log()).sum(2)  # (R, N)
    votes = (F.one_hot(predicted, NUM_CLASSES) * wrong.unsqueeze(2)).sum(0)  # (N, C): wrong predictions per class
    times_wrong = wrong.sum(0).numpy()
    wrong_class = np.where(times_wrong > 0, votes.argmax(1).numpy(), -1)
    names = np.asarray([*CLASS_NAMES, ""], dtype=object)  # index -1 -> ''
    table = pd.DataFrame({
        "label": labels.numpy(),
        "label_name": names[labels.numpy()],
        "runs": runs,
        "times_wrong": times_wrong,
        "group": np.select([times_wrong == runs, times_wrong > 0], GROUPS[:2], GROUPS[2]),
        "persistent": times_wrong == runs,
        "wrong_class": wrong_class,
        "wrong_class_name": names[wrong_class],
        "wrong_class_share": np.where(times_wrong > 0, votes.max(1).values.numpy() / np.maximum(times_wrong, 1), np.nan),
        "confidence_wrong": _per_wrong_run_mean(confidence, wrong),
        "entropy_wrong": _per_wrong_run_mean(entropy, wrong),
        "mean_p_true": probs.gather(2, labels.expand(runs, -1).unsqueeze(2)).squeeze(2).mean(0).numpy(),
    })
    table.index.name = "test_index"
    return table


def failure_groups(table: pd.DataFrame) -> pd.DataFrame:
    """Size of each group: images, share of the test set, errors per run it accounts for and their share."""
    errors_per_run = table.groupby("group")["times_wrong"].sum() / table["runs"].iloc[0]
    summary = pd.DataFrame({"images": table["group"].value_counts(), "errors per run": errors_per_run})
    summary = summary.reindex(list(GROUPS)).fillna(0)
    summary["images"] = summary["images"].astype(int)
    summary["% of test images"] = 100 * summary["images"] / len(table)
    total_errors = summary["errors per run"].sum()
    summary["% of errors"] = 100 * summary["errors per run"] / total_errors if total_errors else 0.0
    return summary.rename_axis("group")[["images", "% of test images", "errors per run", "% of errors"]]


def persistent_confusions(table: pd.DataFrame, n: int = 10, groups: Sequence[str] = ("always wrong",)) -> pd.DataFrame:
    """The n most frequent (true -> most frequent wrong class) pairs among images of `groups`.

    Columns as `failures.confused_pairs`: label_name, prediction_name, count, share_of_class
    (of the true class's test images); sorted by count, then names.
    """
    unknown = sorted(set(groups) - set(GROUPS))
    if unknown:
        raise ConfigError(f"Unknown group(s) {unknown}. Choose from: {', '.join(GROUPS)}.")
    chosen = table[table["group"].isin(groups) & (table["times_wrong"] > 0)]
    pairs = chosen.groupby(["label_name", "wrong_class_name"]).size().rename("count").reset_index()
    pairs = pairs.rename(columns={"wrong_class_name": "prediction_name"})
    pairs["share_of_class"] = pairs["count"] / pairs["label_name"].map(table["label_name"].value_counts())
    pairs = pairs.sort_values(["count", "label_name", "prediction_name"], ascending=[False, True, True])
    return pairs.head(n).reset_index(drop=True)


def persistence_of(table: pd.DataFrame, indices, same_budget: bool = True) -> pd.DataFrame:
    """For chosen test images (e.g. the failure cases a page shows): how often wrong and whether persistent.

    Columns: times_wrong, runs, group, persistent, and `persistence` as text for captions
    ('wrong in 5 of 5 runs (persistent)').
    """
    indices = list(indices)
    missing = [i for i in indices if i not in table.index]
    if missing:
        raise ConfigError(f"Test indices {missing[:5]} are not in the persistence table.")
    rows = table.loc[indices, ["times_wrong", "runs", "group", "persistent"]].copy()
    runs = "runs" if same_budget else "shorter runs"  # other runs than the page's: never called persistent
    rows["persistence"] = [f"wrong in {w} of {r} {runs}" + (" (persistent)" if p and same_budget else "")
                           for w, r, p in zip(rows["times_wrong"], rows["runs"], rows["persistent"])]
    return rows


def locate_showcase_failures(table: pd.DataFrame, n: int = 1,
                             cases: Sequence[Case] = CASES) -> pd.DataFrame:
    """The write-up's failure types found in our runs: up to n example images per case.

    Candidates of a case are images of its true class whose most frequent wrong
    prediction is its predicted class. They are ranked by times wrong (persistent first),
    then by confidence when wrong ("confident" cases) or entropy when wrong ("uncertain"),
    then test index. A case without candidates gets one row with test_index <NA>.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ConfigError(f"n must be a whole number of at least 1, got {n!r}.")
    rows = []
    for case in cases:
        candidates = table[(table["label"] == case.label) & (table["wrong_class"] == case.predicted)]
        rank_by = "confidence_wrong" if case.kind == "confident" else "entropy_wrong"
        order = np.lexsort((candidates.index.to_numpy(), -candidates[rank_by].to_numpy(),
                            -candidates["times_wrong"].to_numpy()))
        chosen = candidates.iloc[order[:n]]
        common = {"case": case.case, "kind": case.kind, "candidates": len(candidates),
                  "persistent candidates": int(candidates["persistent"].sum()),
                  "write-up confidence": case.writeup_confidence, "write-up entropy": case.writeup_entropy}
        for index, row in chosen.iterrows():
            rows.append({**common, "test_index": index, "times_wrong": row["times_wrong"], "runs": row["runs"],
                         "persistent": row["persistent"], "confidence_wrong": row["confidence_wrong"],
                         "entropy_wrong": row["entropy_wrong"]})
        if chosen.empty:
            rows.append({**common, "test_index": pd.NA, "times_wrong": 0, "runs": table["runs"].iloc[0],
                         "persistent": False, "confidence_wrong": np.nan, "entropy_wrong": np.nan})
    located = pd.DataFrame(rows)
    located["test_index"] = located["test_index"].astype("Int64")
    return located


def always_wrong(table: pd.DataFrame, n: int) -> pd.DataFrame:
    """The n 'always wrong' images of a `persistence.persistence_table`, most confidently wrong first (ties by index)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ConfigError(f"n must be a whole number of at least 1, got {n!r}.")
    chosen = table[table["group"] == "always wrong"]
    order = np.lexsort((chosen.index.to_numpy(), -chosen["confidence_wrong"].to_numpy()))
    return chosen.iloc[order[:n]]


def persistence_source(label: str, configs: Sequence[TrainConfig], at_headline_budget: bool) -> str:
    """Where a page's 'wrong in k of n runs' comes from, in a sentence (configs: the seed runs used, maybe none)."""
    if not configs:
        return (f"This profile trains {label} with one seed, so whether its failures recur under other seeds is "
                "not measured here.")
    if at_headline_budget:
        return (f"Whether a failure recurs is read from the model's {len(configs)} seed runs at this same budget, "
                "this page's run among them: 'wrong in k of n runs' in the tables below.")
    return (f"Whether a failure recurs is read from {len(configs)} other runs of the same model, one per seed, at the "
            f"statistics page's shorter budget ({training_text(configs[0])}); this page's run is not among them, so "
            "'wrong in k of n runs' in the tables below says how firmly a failure holds across seeds at that budget, "
            "not a property of this run alone.")


def case_persistence(table: pd.DataFrame | None, indices, same_budget: bool = True) -> tuple[list[str], str]:
    """For the failure cases a page shows: 'wrong in k of n runs' per case, and a sentence counting the persistent.

    `table` is a `persistence.persistence_table` or None where the profile has no seed runs.
    """
    indices = list(indices)
    if table is None:
        return ["not measured"] * len(indices), "Persistence over seeds is not measured in this profile."
    rows = persistence_of(table, indices, same_budget)
    runs = int(table["runs"].iloc[0])
    if not same_budget:
        return list(rows["persistence"]), (f"{int(rows['persistent'].sum())} of these {len(indices)} are wrong in every "
                                           f"one of the {runs} shorter seed runs, which are not this page's run.")
    return list(rows["persistence"]), (f"{int(rows['persistent'].sum())} of these {len(indices)} are wrong in every "
                                       f"one of the {runs} seed runs.")
