"""The augmentation study, like for like: both arms at two matched budgets, seed i against seed i.

The write-up paired a 15-epoch baseline with a 30-epoch augmented model. Here each comparison changes one
thing (or, for the write-up's pairing, says it changes two), and its verdict follows the one rule for comparing
training recipes (`stats.seed_differences`, which the claims ledger reads too): a t-test of the per-seed
differences, Holm-adjusted over the study's comparisons, with at least `MIN_SEEDS` seeds. McNemar's exact test per
seed stays beside it, as a statement about those trained weights only. The sentences that state the study's
conclusions are computed here from the comparisons (and tested), so the prose cannot claim more than the tests
support.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..runs.cache import Run
from ..runs.seeds import seed_correct
from ..training.config import epochs_text
from .seed_runs import run_table
from .stats import seed_differences, seed_matched_comparisons
from .thresholds import ALPHA, MIN_SEEDS

VERDICTS = ("better", "worse", "no clear difference", "too few seeds")
DIRECTION_VERDICT = {"higher": "better", "lower": "worse", "no clear difference": "no clear difference",
                     "too few seeds": "too few seeds"}


def arm_name(augment: bool, epochs: int) -> str:
    """'baseline, 5 epochs' or 'augmented, 5 epochs': one arm of the augmentation study."""
    return f"{'augmented' if augment else 'baseline'}, {epochs_text(epochs)}"


def verdict_text(row) -> str:
    """A comparison row's verdict in words, over seeds, with McNemar's per-seed count beside it."""
    mcnemar = (f"McNemar's test on these trained weights is significant in {row['seeds significant']} of "
               f"{row['seeds']} seeds")
    if row["verdict"] == "too few seeds":
        return f"{row['seeds']} seeds, fewer than the {MIN_SEEDS.value:.0f} a test over seeds needs; {mcnemar}"
    p = row.get("p (Holm)", np.nan)
    test = f"Holm-adjusted p = {p:.2g}" if pd.notna(p) else "every seed gives the same difference"
    words = {"better": "better over seeds", "worse": "worse over seeds",
             "no clear difference": "no clear difference over seeds"}[row["verdict"]]
    return f"{words} ({test}); {mcnemar}"


def _matched_row(name: str, differs: str, a: str, b: str, correct_a: np.ndarray, correct_b: np.ndarray,
                 alpha: float) -> dict:
    row = seed_matched_comparisons({a: correct_a, b: correct_b}, alpha=alpha).iloc[0].to_dict()
    row.update({"comparison": name, "what differs": differs,
                "per seed": 100 * (correct_a.mean(1) - correct_b.mean(1))})
    return row


def augmentation_comparisons(correct: dict[tuple[bool, int], np.ndarray], epochs: tuple[int, int],
                             alpha: float = ALPHA.value) -> pd.DataFrame:
    """The study's comparisons, seed i against seed i, one Holm family over the comparisons.

    `correct` maps (augment, epochs) to boolean (n_seeds, n_images). Rows: augmented minus
    baseline at each matched budget; the write-up's pairing (augmented at the longer budget
    minus the baseline at the shorter); the baseline trained longer minus shorter. The
    pairing's mean difference is exactly the sum of the last two kinds. Differences in points,
    with a t-interval over seeds (`interval low/high`), the t-test's p Holm-adjusted over the four
    comparisons (`p (Holm)`) and a verdict (VERDICTS) from `stats.seed_differences`; McNemar's
    per-seed results (`seeds significant`, Holm over the seeds) speak only about the trained weights.
    """
    short, long = epochs
    missing = [key for key in [(a, e) for a in (False, True) for e in epochs] if key not in correct]
    if missing:
        raise ConfigError(f"The study lacks arm(s) {missing}; it needs both arms at {short} and {long} epochs.")
    matrices = {key: np.asarray(values, dtype=bool) for key, values in correct.items()}
    plan = [(f"augmentation at {epochs_text(short)}", "augmentation", (True, short), (False, short)),
            (f"augmentation at {epochs_text(long)}", "augmentation", (True, long), (False, long)),
            ("the write-up's pairing", "augmentation and epochs", (True, long), (False, short)),
            (f"{long} instead of {epochs_text(short)}", "epochs", (False, long), (False, short))]
    rows = [_matched_row(name, differs, arm_name(*a), arm_name(*b), matrices[a], matrices[b], alpha)
            for name, differs, a, b in plan]
    over = seed_differences({row["comparison"]: row.pop("per seed") for row in rows}, alpha=alpha).set_index(
        "comparison")
    for row in rows:
        tested = over.loc[row["comparison"]]
        row.update({"interval low (pts)": tested["low"], "interval high (pts)": tested["high"],
                    "p over seeds": tested["p"], "p (Holm)": tested["p (Holm)"],
                    "verdict": DIRECTION_VERDICT[tested["direction"]]})
    columns = ["comparison", "what differs", "model a", "model b", "seeds", "difference mean (pts)",
               "difference sd (pts)", "interval low (pts)", "interval high (pts)", "p over seeds", "p (Holm)", "seeds a better",
               "seeds significant", "verdict"]
    return pd.DataFrame(rows)[columns].rename(columns={"model a": "a", "model b": "b"})


def comparison_display(comparisons: pd.DataFrame) -> pd.DataFrame:
    """`augmentation_comparisons` as the page shows it: 'mean ± sd' and 'low to high' in points, seeds as 'k of n'."""
    rows = comparisons
    return pd.DataFrame({
        "comparison": rows["comparison"], "a": rows["a"], "b": rows["b"],
        "a minus b (pts)": [f"{m:+.2f} ± {s:.2f}" for m, s in zip(rows["difference mean (pts)"],
                                                                   rows["difference sd (pts)"])],
        "95 % interval over seeds": [f"{lo:+.2f} to {hi:+.2f}" for lo, hi in zip(rows["interval low (pts)"],
                                                                                   rows["interval high (pts)"])],
        "p over seeds (Holm)": ["—" if pd.isna(p) else f"{p:.2g}" for p in rows["p (Holm)"]],
        "a ahead": [f"{k} of {n}" for k, n in zip(rows["seeds a better"], rows["seeds"])],
        "McNemar significant (these weights)": [f"{k} of {n}" for k, n in zip(rows["seeds significant"],
                                                                             rows["seeds"])],
        "verdict over seeds": rows["verdict"],
    }).set_index("comparison")


def _augmentation_phrase(row) -> str:
    """What augmentation does in one equal-budget row, by the test over seeds (the row's verdict) alone."""
    if row["verdict"] == "too few seeds":
        return (f"augmentation's effect ({row['difference mean (pts)']:+.2f} points on average) rests on too few seeds "
                "to be told from seed-to-seed variation")
    if row["verdict"] == "no clear difference":
        return "augmentation makes no difference that a test over seeds can show"
    return (f"augmentation {'raises' if row['verdict'] == 'better' else 'lowers'} test accuracy over seeds (95 % "
            f"interval {row['interval low (pts)']:+.2f} to {row['interval high (pts)']:+.2f} points)")


def like_for_like_sentence(comparisons: pd.DataFrame) -> str:
    """Whether augmentation helps at equal budget, from the equal-budget rows of `augmentation_comparisons`."""
    rows = comparisons[comparisons["what differs"] == "augmentation"]
    budgets = [name.removeprefix("augmentation at ") for name in rows["comparison"]]
    phrases = [_augmentation_phrase(row) for _, row in rows.iterrows()]
    if len(set(phrases)) == 1:
        return f"at both matched budgets ({' and '.join(budgets)}) {phrases[0]}"
    return "; ".join(f"at {budget} {phrase}" for budget, phrase in zip(budgets, phrases))


def pairing_sentence(comparisons: pd.DataFrame) -> str:
    """The write-up's pairing split into its two parts: augmentation at the longer budget, and the extra epochs."""
    by_name = comparisons.set_index("what differs")
    pairing = by_name.loc["augmentation and epochs"]
    longer = by_name.loc["epochs"]
    augmentation = comparisons[comparisons["what differs"] == "augmentation"].iloc[-1]
    return (f"of the pairing's {pairing['difference mean (pts)']:+.2f} points, "
            f"{augmentation['difference mean (pts)']:+.2f} come from augmentation at the same budget and "
            f"{longer['difference mean (pts)']:+.2f} from training the baseline longer "
            f"({verdict_text(longer)})")


def study_frame(study_runs: dict[tuple[bool, int], list[Run]]) -> pd.DataFrame:
    """`run_table` of every run of the study, with its arm ('baseline, 5 epochs') in column `arm`."""
    return pd.concat([run_table(runs).assign(arm=arm_name(*key)) for key, runs in study_runs.items()],
                     ignore_index=True)


def compare_arms(study_runs: dict[tuple[bool, int], list[Run]], epochs: tuple[int, int],
                 alpha: float = ALPHA.value) -> pd.DataFrame:
    """`augmentation_comparisons` of the study's runs, each arm's per-image correctness seed by seed."""
    return augmentation_comparisons({key: seed_correct(runs) for key, runs in study_runs.items()}, epochs, alpha)

