"""What the robustness page glues: its runs by display name, the images each model sees, and the values its
prose reads about corruption errors, the augmented model and calibration (keys without the `robustness_` prefix)."""

from __future__ import annotations

import pandas as pd

from ...analysis.calibration import Calibrated
from ...analysis.convergence import NOT_CONVERGED, converged_names, not_converged_names, status
from ...analysis.robustness import StressResult, against_reference, leaders, mce_interval
from ...analysis.thresholds import CONVERGED_ACCURACY
from ...data.corruptions import SEEN_BY_AUGMENTATION, label
from ...runs.cache import Run
from ...training.model_parts import model_label
from ..profiles import Profile
from ...claims.gather import runset
from ...claims.report_claims import calibration_claim, robustness_claim, robustness_ranking_claim
from ...claims.verdicts import NOT_TESTABLE
from ..text import join_names

REFERENCE = model_label("custom_cnn")  # every CE divides by this model's errors
AUGMENTED = f"{REFERENCE} (augmented)"


def require_reference(models) -> None:
    """The registry's rules of this page on `models` (`sections.SECTIONS`), which the page's opening call
    already applies; kept so that existing notebooks calling it keep working."""
    from ..sections import get_section

    get_section("robustness").check({"models": models})


def labelled_runs(runs: dict) -> dict[str, Run]:
    """The page's runs by display name: each baseline, then the augmented custom CNN."""
    labelled = {model_label(model): run for model, run in runs["baselines"].items()}
    labelled[AUGMENTED] = runs["augmented"]
    return labelled


def images_per_model(runs: dict[str, Run], n_images: int | None, profile: Profile, n_total: int) -> dict[str, int]:
    """Test images each model is stressed on: the parameter, else the profile's number for the model, at most all."""
    return {name: min(n_images or profile.stress_images.get(run.config.model, n_total), n_total)
            for name, run in runs.items()}


def setup_values(n_test: dict[str, int], profile: Profile) -> dict:
    """The profile box's images per model and severities, and whether the models saw the same images."""
    return {"budget": join_names([f"{name} {n:,}" for name, n in n_test.items()]),
            "severities": join_names([str(s) for s in profile.stress_severities]),
            "subset_note": "Every model sees the same images." if len(set(n_test.values())) == 1 else
            "Models that are slow to evaluate see fewer images; their errors per condition then rest on few images, "
            "and the intervals below show how much that matters"}


def budgets(runs: dict[str, Run]) -> dict[str, str]:
    """Each labelled run's training budget in words ('15 epochs on 50,000 images'), for the page's claims."""
    return {name: runset(run).budget.removesuffix(", augmented") for name, run in runs.items()}


def _converged(names, accuracy: dict[str, float] | None) -> list[str]:
    """The names whose model reaches the accuracy floor (all of them when no accuracies are given)."""
    return list(names) if accuracy is None else converged_names({name: accuracy[name] for name in names})


def convergence_values(accuracy: dict[str, float]) -> dict:
    """The floor the page states, and which models fall under it (shown, but in no ranking or count)."""
    under = not_converged_names(accuracy)
    note = (f"{join_names(under)} {'is' if len(under) == 1 else 'are'} under it, shown as {NOT_CONVERGED} and left "
            "out of every ranking, count and 'most robust' below" if under else
            "Every model reaches it, so every model takes part in the rankings below")
    return {"floor": 100 * CONVERGED_ACCURACY.value, "not_converged": join_names(under, empty="none"),
            "n_not_converged": len(under), "convergence_note": note}


def with_status(summary: pd.DataFrame, accuracy: dict[str, float]) -> pd.DataFrame:
    """The mCE table with each model's clean test accuracy and whether it reaches the floor."""
    table = summary.copy()
    table.insert(0, "status", [status(accuracy)[name] for name in table.index])
    table.insert(1, "clean test accuracy %", [100 * accuracy[name] for name in table.index])
    return table


def ranked_leaders(ce: pd.DataFrame, accuracy: dict[str, float] | None = None) -> pd.DataFrame:
    """Per corruption, the converged model with the lowest CE and relative CE (`robustness.leaders`)."""
    kept = _converged(list(dict.fromkeys(ce.model)), accuracy)
    return leaders(ce[ce.model.isin(kept)])


def ranking_values(summary: pd.DataFrame, leaders: pd.DataFrame, result: StressResult, trained: dict[str, str],
                   n_test: dict[str, int], accuracy: dict[str, float] | None = None) -> dict:
    """Which model is most robust (a claim: only among converged models trained alike), and who leads per
    corruption (`leaders` should come from `ranked_leaders`, so that it too leaves out models under the floor)."""
    kept = _converged(summary.index, accuracy)
    others = [name for name in kept if name != REFERENCE]
    if not others or leaders.empty:
        text = ("No model compared with the custom CNN reaches the accuracy floor, so none is ranked by robustness."
                if not others else "No converged model has a corruption error to compare, so none is ranked.")
        return {"ranking_text": text, "ranking_verdict": NOT_TESTABLE, "n_corruptions": len(result.corruptions),
                "leaders_text": "The table is empty for the same reason: it lists converged models only."}
    ranked = summary.loc[[name for name in summary.index if name in kept or name == REFERENCE]]
    mce = {name: (float(ranked.loc[name, "mCE"]), float(ranked.loc[name, "mCE low"]), float(ranked.loc[name, "mCE high"]))
           for name in ranked.index}
    claim = robustness_ranking_claim(mce, trained, REFERENCE)
    values = mce_values(ranked, leaders, result)
    if claim.verdict == NOT_TESTABLE:
        leaders_text = ("The table lists, for each corruption, the model with the lowest CE and the one with the lowest "
                        "relative CE; with the models trained for different budgets, it names the better-funded runs more "
                        "than the more robust architectures")
    else:
        leaders_text = (f"By CE, {values['top_model']} is the most robust model on {values['top_count']} of the "
                        f"{values['n_corruptions']} corruptions ({values['top_list']}). By relative CE, which discounts "
                        f"clean accuracy, {values['top_rel_model']} leads on {values['top_rel_count']} "
                        f"({values['top_rel_list']})")
    leaders_text += (f". With as few as {min(n_test.values()):,} images per model, the winner of a single corruption "
                     "can change with the draw of images; the mCE intervals are the firmer guide.")
    return {**values, "ranking_text": claim.sentence, "ranking_verdict": claim.verdict, "leaders_text": leaders_text}


def mce_values(summary: pd.DataFrame, leaders: pd.DataFrame, result: StressResult) -> dict:
    """The lowest mCE and relative mCE, the models below the reference, and who leads on most corruptions."""
    others = summary.drop(index=REFERENCE)
    best_mce, best_rel = others["mCE"].idxmin(), summary["relative mCE"].idxmin()
    below = [name for name in others.index
             if against_reference(others.loc[name, "mCE low"], others.loc[name, "mCE high"]) == "below"]
    values = {"best_mce_model": best_mce, "best_mce": float(others.loc[best_mce, "mCE"]),
              "best_mce_low": float(others.loc[best_mce, "mCE low"]),
              "best_mce_high": float(others.loc[best_mce, "mCE high"]),
              "mce_below": join_names(below, empty="none"), "best_rel_model": best_rel,
              "best_rel": float(summary.loc[best_rel, "relative mCE"])}
    for key, column in (("top", "lowest CE"), ("top_rel", "lowest relative CE")):
        counts = leaders[column].value_counts()
        winners = leaders.index[leaders[column] == counts.index[0]]
        values |= {f"{key}_model": counts.index[0], f"{key}_count": int(counts.iloc[0]),
                   f"{key}_list": join_names([label(c) for c in winners])}
    values["n_corruptions"] = len(result.corruptions)
    return values


def augmentation_values(result: StressResult, ce: pd.DataFrame, summary: pd.DataFrame, seed: int) -> dict:
    """The augmented custom CNN against the plain one: on its own shifts, and on the corruptions it never saw."""
    unseen = [c for c in result.corruptions if c not in SEEN_BY_AUGMENTATION]
    aug_ce = ce[ce.model == AUGMENTED].set_index("corruption")
    low, high = mce_interval(result, AUGMENTED, REFERENCE, unseen, seed=seed)
    better = [c for c in unseen if aug_ce.loc[c, "CE"] < 100]
    word = against_reference(low, high)
    claim = robustness_claim({label(c): float(aug_ce.loc[c, "CE"]) for c in unseen}, low, high, "the augmented model",
                             REFERENCE, result.n_images(AUGMENTED))
    return {"aug_flip_ce": float(aug_ce.loc["hflip", "CE"]), "aug_rotation_ce": float(aug_ce.loc["rotation", "CE"]),
            "n_unseen": len(unseen), "aug_unseen": float(summary.loc[AUGMENTED, "mCE unseen"]),
            "aug_unseen_low": low, "aug_unseen_high": high, "aug_word": word, "aug_better": len(better),
            "aug_better_list": join_names([label(c) for c in better]),
            "aug_rel_unseen": float(summary.loc[AUGMENTED, "relative mCE unseen"]),
            "aug_verdict": claim.sentence, "aug_claim_verdict": claim.verdict}


def calibration_values(calibrated: Calibrated, n_test: int, trained: dict[str, str] | None = None,
                       accuracy: dict[str, float] | None = None) -> dict:
    """Validation images per model, who is best calibrated among converged models trained alike (before and after
    temperature scaling: a claim), and what scaling changed."""
    every = calibrated.table
    table = every.loc[_converged(every.index, accuracy)]
    if table.empty:
        return {"val_budget": join_names([f"{name} {n:,}" for name, n in calibrated.val_images.items()]),
                "n_test": n_test, "calibration_text": "No model reaches the accuracy floor, so none is named the best "
                "calibrated.", "calibration_claim_verdict": NOT_TESTABLE, "n_models": len(every),
                "nll_lowered": int((every["val NLL scaled"] < every["val NLL"]).sum()),
                "ece_lowered": int((every["ECE scaled"] < every["ECE"]).sum())}
    trained = {name: value for name, value in (trained or {name: "" for name in table.index}).items()
               if name in table.index}
    groups = [[name for name in trained if trained[name] == budget] for budget in dict.fromkeys(trained.values())]
    differences = {name: gap for group in groups if len(group) > 1 and calibrated.test_logits
                   for name, gap in calibrated.ece_differences(group).items()}
    claim = calibration_claim({name: (100 * float(table.loc[name, "ECE"]), 100 * float(table.loc[name, "ECE scaled"]))
                               for name in table.index}, trained, {name: n_test for name in table.index},
                              differences=differences or None)
    most_accurate, best_ece = table.accuracy.idxmax(), table.ECE.idxmin()
    best_scaled = table["ECE scaled"].idxmin()
    return {"val_budget": join_names([f"{name} {n:,}" for name, n in calibrated.val_images.items()]),
            "n_test": n_test, "most_accurate": most_accurate,
            "most_accurate_acc": 100 * float(table.loc[most_accurate, "accuracy"]),
            "most_accurate_ece": 100 * float(table.loc[most_accurate, "ECE"]),
            "calibration_verdict": "is also the best calibrated" if most_accurate == best_ece
            else "is not the best calibrated",
            "best_ece_model": best_ece, "best_ece": 100 * float(table.loc[best_ece, "ECE"]),
            "best_scaled_model": best_scaled, "best_scaled_ece": 100 * float(table.loc[best_scaled, "ECE scaled"]),
            "calibration_text": claim.sentence, "calibration_claim_verdict": claim.verdict,
            "n_models": len(every), "nll_lowered": int((every["val NLL scaled"] < every["val NLL"]).sum()),
            "ece_lowered": int((every["ECE scaled"] < every["ECE"]).sum())}


def shift_values(shift: pd.DataFrame, severities, trained: dict[str, str] | None = None,
                 accuracy: dict[str, float] | None = None) -> dict:
    """Calibration at the strongest severity against clean images (`robustness.calibration_under_corruption`);
    the best calibrated there is named only among converged models, and only when every one was trained alike."""
    worst = max(severities)
    at_worst = shift[shift.severity == worst].set_index("model")
    clean = shift[shift.severity == 0].set_index("model")
    kept = _converged(at_worst.index, accuracy)
    contenders = at_worst.loc[kept]
    excluded = set(at_worst.index) - set(kept)
    alike = trained is None or len({budget for name, budget in trained.items() if name not in excluded}) <= 1
    best = contenders.ECE.idxmin() if len(contenders) else "no model"
    if len(contenders) < 2:
        best_text = "Fewer than two models reach the accuracy floor, so none is named the best calibrated there."
    elif alike:
        best_text = f"There, {best} is the best calibrated ({100 * float(contenders.ECE.min()):.1f} %)."
    else:
        best_text = "The models were trained for different budgets, so none is named the best calibrated there."
    return {"best_shift_text": best_text, "max_severity": worst, "ref_ece_clean": 100 * float(clean.loc[REFERENCE, "ECE"]),
            "ref_ece_worst": 100 * float(at_worst.loc[REFERENCE, "ECE"]),
            "ref_acc_worst": 100 * float(at_worst.loc[REFERENCE, "accuracy"]),
            "n_ece_rises": int((at_worst.ECE > clean.ECE).sum()), "best_shift_model": best,
            "shift_scaled_better": int((at_worst["ECE scaled"] < at_worst.ECE).sum())}
