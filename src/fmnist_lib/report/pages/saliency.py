"""What the saliency page glues: the images each model is checked on, and the values its prose reads about the
randomisation test, the faithfulness ranking and what both mean for the explainability page (keys without the
`saliency_` prefix)."""

from __future__ import annotations

import pandas as pd
import torch

from ...analysis.convergence import NOT_CONVERGED, converged_names, not_converged_names
from ...analysis.robustness import stratified_order
from ...analysis.thresholds import CONVERGED_ACCURACY
from ...analysis.saliency_faithfulness import FRACTIONS_REMOVED, Faithfulness, beats_floor
from ...data.batches import to_unit_float
from ...data.fashion_mnist import FashionMNIST
from ...runs.cache import Run
from ..profiles import Profile
from ...claims.report_claims import faithfulness_sentence
from ..text import cam_method_name, join_names

DEFAULT_IMAGES = 200  # a model the profile does not name is checked on this many test images


def require_explained_model(models) -> None:
    """The registry's rules of this page on `models` (`sections.SECTIONS`), which the page's opening call
    already applies; kept so that existing notebooks calling it keep working."""
    from ..sections import get_section

    get_section("saliency").check({"models": models})


def check_images(data: FashionMNIST, runs: dict[str, Run], seed: int, n_images: int | None,
                 profile: Profile) -> dict[str, torch.Tensor]:
    """Per model, float images (N, 1, 28, 28): the first of one seeded class-balanced order of the test set."""
    order = stratified_order(data.test_labels.numpy(), seed)
    return {name: to_unit_float(data.test_images[order[: n_images or profile.saliency_images.get(run.config.model,
                                                                                                  DEFAULT_IMAGES)]])
            for name, run in runs.items()}


def setup_values(images: dict[str, torch.Tensor], cam_method: str) -> dict:
    """The profile box: images per model, the method under test (by name: 'Grad-CAM'), the fewest images any model
    got."""
    return {"budget": join_names([f"{name} {len(x):,}" for name, x in images.items()]),
            "method": cam_method_name(cam_method),
            "min_images": min(len(x) for x in images.values())}


VERDICT_TEXTS = {
    "pass": "pass the randomisation test: they change with the learned weights",
    "fail": "fail the randomisation test: they barely change when the learned weights are destroyed",
    "blank": "are blank, most of them, so the randomisation test cannot read them: a blank map ranks no pixel, and "
             "it is counted neither as a pass nor as a fail",
    NOT_CONVERGED: "are those of a model under the accuracy floor, so the test is not counted for it",
}


def _outcome(row) -> str:
    return row["outcome"] if "outcome" in row else "pass" if row["passes"] else "fail"


def counted_models(names, accuracy: dict[str, float] | None) -> list[str]:
    """The models whose results enter the page's counts: those at or above the accuracy floor."""
    return list(names) if accuracy is None else converged_names({name: accuracy[name] for name in names})


def convergence_values(accuracy: dict[str, float]) -> dict:
    """The floor the page states and the models under it (shown, not counted)."""
    under = not_converged_names(accuracy)
    return {"floor": 100 * CONVERGED_ACCURACY.value, "not_converged": join_names(under, empty="none"),
            "convergence_note": (f"{join_names(under)} {'is' if len(under) == 1 else 'are'} under it: "
                                 f"{'its' if len(under) == 1 else 'their'} results are shown as {NOT_CONVERGED} and "
                                 "counted nowhere") if under else "Every model reaches it"}


def with_status(verdicts: pd.DataFrame, accuracy: dict[str, float]) -> pd.DataFrame:
    """The verdict table with each model's outcome: pass, fail, blank, or not converged (whatever its numbers)."""
    table = verdicts.copy()
    kept = set(counted_models(table.index, accuracy))
    outcome = [_outcome(table.loc[name]) if name in kept else NOT_CONVERGED for name in table.index]
    table = table.drop(columns=[c for c in ("passes", "outcome") if c in table])
    table.insert(0, "outcome", outcome)
    return table


def randomisation_values(verdicts: pd.DataFrame, explained: str, accuracy: dict[str, float] | None = None) -> dict:
    """The explained model's cascade, how many converged models pass (blank maps are no pass), and whether maps of
    different images look alike."""
    mine = verdicts.loc[explained]
    counted = counted_models(verdicts.index, accuracy)
    outcomes = {name: _outcome(verdicts.loc[name]) for name in counted}
    passing = [name for name, outcome in outcomes.items() if outcome == "pass"]
    failing = [name for name, outcome in outcomes.items() if outcome == "fail"]
    blank = [name for name, outcome in outcomes.items() if outcome == "blank"]
    alike = [name for name in counted if verdicts.loc[name, "floor"] >= 0.5]
    own = outcomes.get(explained, NOT_CONVERGED)
    return {"custom_top_rho": float(mine.top_rho), "custom_final_rho": float(mine.final_rho),
            "custom_floor": float(mine.floor), "custom_passes": own == "pass", "custom_outcome": own,
            "custom_verdict_text": VERDICT_TEXTS[own],
            "custom_first_below": mine.first_below or "no stage", "n_pass": len(passing),
            "n_models": len(counted), "fail_list": join_names(failing, empty="none"),
            "blank_list": join_names(blank, empty="none"),
            "not_counted": join_names([name for name in verdicts.index if name not in counted], empty="none"),
            "alike": join_names(alike, empty="no model"),
            "alike_note": "For those models even a passed test says little about single images: their maps change "
            "with the weights, but they hardly tell one image from another" if alike else
            "Every model's maps differ from image to image, so the pass mark sits well below 1"}


def floor_tests(faithful: dict[str, Faithfulness], cam_method: str) -> dict[str, dict]:
    """Per model, whether `cam_method` ranks pixels better than the random floor (`beats_floor`)."""
    return {name: beats_floor(f, cam_method) for name, f in faithful.items()}


def floor_sentence(method: str, against_floor: dict) -> str:
    """Whether `method`'s maps of the explained model beat the random-weights floor, by ROAD and by deletion AUC."""
    beaten = [name for name, key in (("ROAD", "ROAD score"), ("deletion AUC", "deletion AUC"))
              if against_floor[key]["better"]]
    if len(beaten) == 2:
        return f"{method}'s maps beat the random-weights floor by both ROAD and deletion AUC"
    if beaten:
        return f"{method}'s maps beat the random-weights floor by {beaten[0]} only, not by the other measure"
    return f"{method}'s maps do not beat the random-weights floor, by ROAD or by deletion AUC"


def faithfulness_values(faithful: dict[str, Faithfulness], against_floor: dict[str, dict], cam_method: str,
                        explained: str, methods: list[str], accuracy: dict[str, float] | None = None) -> dict:
    """The best method by ROAD per converged model, and the method under test against the random floor (counted
    over converged models) and the others."""
    counted = counted_models(faithful, accuracy)
    best_road = {name: faithful[name].ranking["ROAD score"].idxmax() for name in counted}
    mine = faithful[explained].ranking
    return {"fractions": join_names([f"{f:.0%}" for f in FRACTIONS_REMOVED]),
            "best_road": join_names([f"{method} for {name}" for name, method in best_road.items()], empty="not named: "
                                    "no model reaches the accuracy floor"),
            "floor_text": floor_sentence(cam_method, against_floor[explained]),
            "beats_random": sum(against_floor[name]["ROAD score"]["better"] for name in counted),
            "beats_random_deletion": sum(against_floor[name]["deletion AUC"]["better"] for name in counted),
            "custom_road_p": against_floor[explained]["ROAD score"]["p"],
            "custom_auc_p": against_floor[explained]["deletion AUC"]["p"],
            "faithfulness_text": faithfulness_sentence(cam_method, int(mine.loc[cam_method, "rank (ROAD)"]), len(methods),
                                                       int(mine.loc["random", "rank (ROAD)"])),
            "custom_rank": int(mine.loc[cam_method, "rank (ROAD)"]),
            "custom_rank_deletion": int(mine.loc[cam_method, "rank (deletion)"]),
            "random_rank": int(mine.loc["random", "rank (ROAD)"]), "n_methods": len(methods),
            "custom_road": float(mine.loc[cam_method, "ROAD score"]),
            "random_road": float(mine.loc["random", "ROAD score"]),
            "custom_auc": float(mine.loc[cam_method, "deletion AUC"]),
            "random_auc": float(mine.loc["random", "deletion AUC"])}


def explain_qualifier(passes: bool | str, against_floor: dict) -> str:
    """What the two checks mean for the explainability page's patterns, from the explained model's results
    (`passes`: the randomisation test's pass, or its outcome: "pass", "fail", "blank" or "not converged")."""
    beat_floor = [test["better"] for test in against_floor.values()]  # by ROAD score, by deletion AUC
    if passes in ("blank", NOT_CONVERGED):
        return ("The custom CNN's maps are " + ("mostly blank" if passes == "blank" else "those of a model under the "
                "accuracy floor") + ", so they are no evidence for the explainability page's patterns either way")
    passes = passes in (True, "pass")
    if not passes:
        return ("The custom CNN's maps barely change when its weights are destroyed, so they are no evidence for the "
                "explainability page's patterns: those patterns describe the images, not the model")
    if all(beat_floor):
        return ("The custom CNN's maps depend on its learned weights and, by both measures, rank pixels better than "
                "the random floor, so the explainability page's patterns describe the model rather than the images "
                "alone; they remain descriptions of where the maps put their mass, not proof of why an error happened")
    if any(beat_floor):
        return ("The custom CNN's maps depend on its learned weights, but they clearly beat the random floor by only "
                "one of the two faithfulness measures, so the explainability page's patterns show where the maps put "
                "their mass more than which pixels the prediction needs")
    return ("The custom CNN's maps depend on its learned weights, but by neither measure do they rank pixels "
            "clearly better than the random floor, so the explainability page's patterns show what the maps look "
            "like, not which pixels the prediction needs")
