"""What the augmentation page shows of its policy comparison (keys without the `augmentation_` prefix): every
policy's runs stressed and scored, the tables, and the sentences the claims stage writes about them."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ...analysis.policy_study import (confusion_counts, policy_comparisons, policy_scores, policy_stress,
                                      policy_table, run_name)
from ...analysis.seed_runs import training_text
from ...claims.writeup_policies import (CROP_FLIP_ERASE_15, METRIC_WORDS, comparison_sentence, confusion_sentence,
                                        robustness_gain_claim)
from ...data.augmentation import POLICIES, POLICY_NAMES, trained_on
from ...data.corruptions import label
from ...data.fashion_mnist import FashionMNIST
from ...runs.cache import Run
from ...training.config import PROTOCOL
from ..profiles import Profile
from ..text import join_names


@dataclass
class PolicyComparison:
    """The comparison's tables (raw, as the analyses give them) and the values the page's prose reads."""

    scores: pd.DataFrame  # one row per run
    table: pd.DataFrame  # one row per policy
    comparisons: pd.DataFrame  # one row per (policy, metric) against none
    confusions: pd.DataFrame  # mean counts of none's most frequent confusions under every policy
    values: dict


def compare_policies(runs: dict[str, list[Run]], data: FashionMNIST, profile: Profile, model: str, seed: int,
                     device: str = "cpu") -> PolicyComparison:
    """Stress every policy run with the robustness page's corruptions on the profile's images for `model`, score
    them against the `none` policy's first run, compare each policy with none seed by seed, and count confusions."""
    n_images = min(profile.stress_images.get(model, len(data.test_labels)), len(data.test_labels))
    result = policy_stress(runs, data, n_images, profile.stress_severities, seed, device=device)
    scores = policy_scores(runs, result, run_name("none", runs["none"][0].config.seed))
    comparisons = policy_comparisons(scores)
    seeds = min(len(group) for group in runs.values())
    confusions = confusion_counts(runs)
    values = {"policy_names": join_names([POLICIES[name].label for name in runs]), "n_policies": len(runs),
              "policy_seeds": f"{seeds} seed{'s' if seeds > 1 else ''}", "policy_budget": training_text(
                  runs["none"][0].config), "stress_images": n_images,
              "stress_severities": join_names([str(s) for s in profile.stress_severities]),
              "n_comparisons": len(comparisons), "comparison_text": comparison_sentence(comparisons),
              "confusion_text": confusion_sentence(confusions, seeds), "policies_note": policies_note(runs),
              "crop_writeup": CROP_FLIP_ERASE_15, "crop_writeup_epochs": PROTOCOL.epochs,
              **robustness_values(comparisons, result.corruptions, training_text(runs["none"][0].config))}
    return PolicyComparison(scores, policy_table(scores), comparisons, confusions, values)


def robustness_values(comparisons: pd.DataFrame, corruptions, budget: str) -> dict:
    """The write-up's robustness sentence judged here as on the claims page (its claim, on this page's runs)."""
    rows = comparisons[comparisons.policy == "flip_rotate"].set_index("metric")
    if rows.empty:
        claim = robustness_gain_claim(None, None, budget, [])
    else:
        claim = robustness_gain_claim(rows.loc["mCE %"].to_dict(), rows.loc["relative mCE %"].to_dict(), budget,
                                      [c for c in corruptions if c not in trained_on("flip_rotate")])
    return {"robustness_text": claim.sentence, "robustness_verdict": claim.verdict}


def policies_note(runs: dict[str, list[Run]]) -> str:
    """Which policies this build leaves out, and how to add them."""
    missing = [name for name in POLICY_NAMES if name not in runs]
    if not missing:
        return "Every policy is compared."
    listed = ", ".join(repr(name) for name in missing)
    return (f"This build does not train {join_names([POLICIES[name].label for name in missing])}; the parameter "
            f"policies adds them (-p policies=[{listed}]; under the cpu profile with 1 seed each).")


def description_table(names) -> pd.DataFrame:
    """The compared policies: what each does to a training image, and the corruptions it trains on."""
    return pd.DataFrame({"policy": [POLICIES[name].label for name in names],
                         "what it does": [POLICIES[name].description for name in names],
                         "trains on": [join_names([label(c) for c in sorted(trained_on(name))], empty="nothing")
                                       for name in names]}).set_index("policy")


def comparison_display(comparisons: pd.DataFrame) -> pd.DataFrame:
    """`policy_comparisons` as the page shows it: the policy and measure in words, the difference and its interval
    over seeds, Holm's p and the verdict (an interval and p need 2 seeds: NaN, shown as a dash, with 1)."""
    return pd.DataFrame({
        "policy": [POLICIES[name].label for name in comparisons.policy],
        "measure": [METRIC_WORDS[metric] for metric in comparisons.metric],
        "seeds": comparisons.seeds.to_numpy(),
        "minus none": comparisons.difference.to_numpy(),
        "low": comparisons.low.to_numpy(), "high": comparisons.high.to_numpy(),
        "p (Holm)": comparisons["p (Holm)"].to_numpy(), "verdict": comparisons.verdict.to_numpy(),
    }).set_index("policy")


def confusion_display(confusions: pd.DataFrame) -> pd.DataFrame:
    """Confusion counts with the policies' labels as columns and the pair as the index."""
    return confusions.rename(columns={name: POLICIES[name].label for name in confusions.columns}).rename_axis(
        "true → predicted")
