"""What the augmentation page glues about its two runs side by side (keys without the `augmentation_` prefix)."""

from __future__ import annotations

import pandas as pd

from ...analysis.stats import accuracy_interval
from ...runs.cache import Run

OVERLAP = ("The two intervals overlap, so this pair of runs alone cannot separate an effect of augmentation from the "
           "luck of one seed")
NO_OVERLAP = ("The two intervals do not overlap, which is evidence of a real difference for this seed; a paired test "
              "over several seeds would make it firm")


def _interval(run: Run) -> tuple[float, float]:
    test = run.test_metrics()
    return accuracy_interval(test["accuracy"], test["n"])


def comparison_values(comparison: pd.DataFrame, runs: dict[str, Run]) -> dict:
    """Accuracies with their intervals, the difference and whether the intervals overlap, the train-validation
    gaps and the first epoch's training accuracy; `comparison` is `tables.comparison_table(runs)`."""
    accuracy = comparison["test acc %"]
    difference = float(accuracy["augmented"] - accuracy["baseline"])
    (low_base, high_base), (low_aug, high_aug) = _interval(runs["baseline"]), _interval(runs["augmented"])
    overlap = low_aug <= high_base and low_base <= high_aug
    gap = comparison["final gap (pts)"]
    return {"base_acc": float(accuracy["baseline"]), "aug_acc": float(accuracy["augmented"]),
            "base_ci": comparison.loc["baseline", "95% CI"], "aug_ci": comparison.loc["augmented", "95% CI"],
            "difference": abs(difference),
            "direction": "higher" if difference > 0 else "lower" if difference < 0 else "no different",
            "base_gap": float(gap["baseline"]), "aug_gap": float(gap["augmented"]),
            "overlap": OVERLAP if overlap else NO_OVERLAP,
            "gap_word": "narrows" if float(gap["augmented"] - gap["baseline"]) < 0 else "widens",
            "base_epoch1": 100 * float(runs["baseline"].history.train_acc.iloc[0]),
            "aug_epoch1": 100 * float(runs["augmented"].history.train_acc.iloc[0])}
