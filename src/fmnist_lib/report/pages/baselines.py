"""What the baselines page glues: each model's run as the profile trains it, every model at one budget for
ranking them, which models' validation loss rises, and the protocol and thresholds its prose states (keys
without the `baselines_` prefix)."""

from __future__ import annotations

from itertools import combinations

from ...analysis.thresholds import GAP_POINTS, VAL_LOSS_RISE
from ...analysis.training_curves import overfitting
from ...claims import gather
from ...claims.report_claims import ranking_claim, rising_loss_claim
from ...claims.rules import budgets_sentence, matched, points
from ...runs.cache import Run
from ...training.config import PROTOCOL


def ranking_values(matched_runs: dict[str, Run], weights: str = "final") -> dict:
    """The ranking at one budget: the claim's sentence and verdict, and the budget in words."""
    runsets = {model: gather.runset(run, "baselines", weights) for model, run in matched_runs.items()}
    differences = {(a, b): gather.paired_difference(matched_runs[a], matched_runs[b], weights)
                   for a, b in combinations(matched_runs, 2)}
    claim = ranking_claim(runsets, differences)
    return {"ranking": claim.sentence, "ranking_verdict": claim.verdict,
            "matched_budget": next(iter(runsets.values())).budget}


def budget_values(runs: dict[str, Run]) -> dict:
    """Whether the profile trains every model alike, in words: the reason the page ranks at one budget."""
    named = {runset.label: runset.budget for runset in map(gather.runset, runs.values())}
    if matched(named):
        text = (f"Every model trains for the same budget here ({next(iter(named.values()))}), so the table compares "
                "architectures under one protocol.")
    else:
        text = (f"The models train for different budgets here ({budgets_sentence(named)}), so this table compares "
                "budgets as much as architectures, and its accuracies are not a ranking. The next table trains every "
                "model for the same, shorter budget.")
    return {"budgets_text": text, "budgets_matched": matched(named)}


def rising_values(runs: dict[str, Run]) -> dict:
    """Which models' validation loss rises at the end, where their histories are long enough to say."""
    runsets = {model: gather.runset(run, "baselines") for model, run in runs.items()}
    rising = {model: overfitting(run.history)["val_loss_rising"] for model, run in runs.items()}
    claim = rising_loss_claim(runsets, rising)
    return {"rising": claim.sentence, "rising_verdict": claim.verdict}


def protocol_values() -> dict:
    """The write-up's protocol as the page states it (`TrainConfig`'s defaults), and the lines its overfitting
    measures draw (`analysis.thresholds`)."""
    return {"lr": PROTOCOL.lr, "momentum": PROTOCOL.momentum, "weight_decay": PROTOCOL.weight_decay,
            "t_max": PROTOCOL.cosine_t_max, "batch_size": PROTOCOL.batch_size, "seed": PROTOCOL.seed,
            "gap_points": points(GAP_POINTS.value, 0), "loss_rise_percent": 100 * VAL_LOSS_RISE.value}
