"""What the augmentation page glues about its two runs side by side (keys without the `augmentation_` prefix):
their accuracies, the difference and what it can carry, the gap and the convergence, each a claim."""

from __future__ import annotations

import pandas as pd

from ...claims import gather
from ...claims.report_claims import arm_difference_claim
from ...claims.writeup_augmentation import generalisation_claim, slower_convergence_claim
from ...runs.cache import Run


def comparison_values(comparison: pd.DataFrame, runs: dict[str, Run], weights: str = "final") -> dict:
    """Accuracies with their intervals, and the page's three claims: the difference (with what it can carry at
    the number of seeds trained), the train-validation gap, and early convergence; `comparison` is
    `tables.comparison_table(runs)`."""
    base, aug = (gather.runset(runs[name], "augmentation", weights) for name in ("baseline", "augmented"))
    difference = arm_difference_claim(aug, base, *gather.paired_difference(runs["augmented"], runs["baseline"], weights))
    gap = generalisation_claim(base, aug, require_protocol=False)
    convergence = slower_convergence_claim(base, aug, require_protocol=False)
    accuracy = comparison["test acc %"]
    return {"base_acc": float(accuracy["baseline"]), "aug_acc": float(accuracy["augmented"]),
            "base_ci": comparison.loc["baseline", "95% CI"], "aug_ci": comparison.loc["augmented", "95% CI"],
            "difference_text": difference.sentence, "difference_verdict": difference.verdict,
            "gap_text": gap.sentence, "gap_verdict": gap.verdict,
            "convergence_text": convergence.sentence, "convergence_verdict": convergence.verdict}
