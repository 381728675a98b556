"""The augmentation study, like for like: both arms at two matched budgets, seed i against seed i.

The write-up paired a 15-epoch baseline with a 30-epoch augmented model. Here each comparison changes one
thing (or, for the write-up's pairing, says it changes two), and its verdict follows one rule: McNemar's
exact test on the same test images, Holm-adjusted over the seeds, significant at `alpha` in every seed
and in the same direction. The sentences that state the study's conclusions are computed here from the
comparisons (and tested), so the prose cannot claim more than the tests support.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..runs.cache import Run
from ..runs.seeds import seed_correct
from ..training.config import epochs_text
from .seed_runs import run_table
from .stats import mean_interval, seed_matched_comparisons
from .thresholds import ALPHA

VERDICTS = ("better", "worse", "not clear over seeds", "mixed", "not significant")


def arm_name(augment: bool, epochs: int) -> str:
    """'baseline, 5 epochs' or 'augmented, 5 epochs': one arm of the augmentation study."""
    return f"{'augmented' if augment else 'baseline'}, {epochs_text(epochs)}"


def verdict(seeds: int, seeds_better: int, seeds_significant: int, low: float | None = None,
            high: float | None = None) -> str:
    """One of VERDICTS for a seed-matched comparison of a against b.

    'better' / 'worse': significant in every seed, a ahead (behind) in every seed, and the interval over
    seeds (`low`, `high`, when given) excludes zero; 'not clear over seeds': significant in every seed in
    one direction, but that interval includes zero; 'not significant': in no seed; 'mixed': anything between.
    """
    if seeds_significant == seeds and seeds_better in (0, seeds):
        if low is not None and high is not None and low <= 0 <= high:
            return "not clear over seeds"
        return "better" if seeds_better == seeds else "worse"
    return "not significant" if seeds_significant == 0 else "mixed"


def verdict_text(row) -> str:
    """A comparison row's verdict in words, e.g. 'significant in 2 of 3 seeds only'."""
    if row["verdict"] == "mixed" and row["seeds significant"] == row["seeds"]:
        return "significant in every seed, but not in the same direction"
    return {"better": "significantly better in every seed", "worse": "significantly worse in every seed",
            "not clear over seeds": "significant in every seed, but the 95 % interval over seeds includes zero",
            "not significant": "significant in no seed",
            "mixed": f"significant in {row['seeds significant']} of {row['seeds']} seeds only"}[row["verdict"]]


def _matched_row(name: str, differs: str, a: str, b: str, correct_a: np.ndarray, correct_b: np.ndarray,
                 alpha: float) -> dict:
    row = seed_matched_comparisons({a: correct_a, b: correct_b}, alpha=alpha).iloc[0].to_dict()
    low, high = mean_interval(100 * (correct_a.mean(1) - correct_b.mean(1)))
    row.update({"comparison": name, "what differs": differs, "interval low (pts)": low, "interval high (pts)": high})
    row["verdict"] = verdict(row["seeds"], row["seeds a better"], row["seeds significant"], low, high)
    return row


def augmentation_comparisons(correct: dict[tuple[bool, int], np.ndarray], epochs: tuple[int, int],
                             alpha: float = ALPHA.value) -> pd.DataFrame:
    """The study's comparisons, seed i against seed i, each its own Holm family over the seeds.

    `correct` maps (augment, epochs) to boolean (n_seeds, n_images). Rows: augmented minus
    baseline at each matched budget; the write-up's pairing (augmented at the longer budget
    minus the baseline at the shorter); the baseline trained longer minus shorter. The
    pairing's mean difference is exactly the sum of the last two kinds. Differences in points,
    with a t-interval over seeds (`interval low/high`) and a verdict (VERDICTS).
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
    columns = ["comparison", "what differs", "model a", "model b", "seeds", "difference mean (pts)",
               "difference sd (pts)", "interval low (pts)", "interval high (pts)", "seeds a better",
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
        "a ahead": [f"{k} of {n}" for k, n in zip(rows["seeds a better"], rows["seeds"])],
        "significant": [f"{k} of {n}" for k, n in zip(rows["seeds significant"], rows["seeds"])],
        "verdict": rows["verdict"],
    }).set_index("comparison")


def _augmentation_phrase(row) -> str:
    """What augmentation does in one equal-budget row: a direction only when McNemar's test agrees in every seed
    and the interval over seeds excludes zero (the interval is read here, whatever the row's verdict says)."""
    spans_zero = row["interval low (pts)"] <= 0 <= row["interval high (pts)"]
    if row["verdict"] in ("better", "worse", "not clear over seeds") and spans_zero:
        return (f"augmentation's effect ({row['difference mean (pts)']:+.2f} points on average) is significant on the "
                "test images of every seed, but the 95 % interval over seeds includes zero, so its direction is not "
                "established")
    if row["verdict"] not in ("better", "worse"):
        return "augmentation makes no difference that holds in every seed"
    return (f"augmentation {'raises' if row['verdict'] == 'better' else 'lowers'} test accuracy, significantly in every "
            "seed and with a 95 % interval over seeds that excludes zero")


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

