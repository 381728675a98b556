"""What the baselines page glues: each model's run as the profile trains it, every model at one budget for
ranking them, which models' validation loss rises, and the protocol and thresholds its prose states (keys
without the `baselines_` prefix)."""

from __future__ import annotations

from itertools import combinations

from ...analysis.thresholds import GAP_POINTS, VAL_LOSS_RISE
from ...analysis.training_curves import learning_curves, overfitting
from ...claims import gather
from ...claims.report_claims import ranking_claim, rising_loss_claim
from ...claims.rules import budgets_sentence, join_names, matched, points
from ...runs.cache import Run
from ...training.config import PROTOCOL, PROTOCOL_BUDGET


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


def curve_values(runs: dict[str, Run], labels: dict[str, str]) -> tuple:
    """(learning curves, values for the prose): every model's validation accuracy against training images seen, and
    which models train for fewer images than the write-up's protocol, whose numbers are points on rising curves."""
    protocol_images = PROTOCOL.epochs * PROTOCOL.n_train
    curves = learning_curves({labels[name]: run.history for name, run in runs.items()},
                             {labels[name]: run.config.n_train for name, run in runs.items()}, protocol_images)
    short = list(dict.fromkeys(curves.loc[curves.short, "model"]))
    if short:
        text = (f"{join_names(short)} {'trains' if len(short) == 1 else 'train'} for less than the protocol here: "
                f"{'its number is' if len(short) == 1 else 'their numbers are'} the last point of a curve that stops "
                "well short of the dotted line, not an accuracy the architecture converges to.")
    else:
        text = "Every model trains for the whole protocol here, so every curve reaches the dotted line."
    return curves, {"curves_text": text, "n_short": len(short), "protocol_images": protocol_images,
                    "protocol_budget": PROTOCOL_BUDGET}


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
