"""The evidence of the write-up's policy claims, gathered from the claims page's policy runs: the crop + flip +
erasing runs' accuracies, and the corruption benchmark of the custom CNN with and without flip + rotation."""

from __future__ import annotations

from ..analysis.policy_study import headline_corruptions, policy_comparisons, policy_scores, policy_stress, run_name
from ..data.fashion_mnist import FashionMNIST
from ..runs.cache import Run
from . import gather
from .verdicts import Claim
from .writeup_policies import crop_flip_erase_accuracy_claim, robustness_gain_claim


def policy_claims(policies: dict[str, list[Run]], data: FashionMNIST, inputs) -> list[Claim]:
    """The two claims, from {policy: runs, one per seed} at one budget; `inputs` is the ledger's `LedgerInputs`."""
    crop = policies.get("crop_flip_erase")
    return [robustness_evidence(policies, data, inputs),
            crop_flip_erase_accuracy_claim(gather.runset(crop, "augmentation", inputs.weights) if crop else None)]


def robustness_evidence(policies: dict[str, list[Run]], data: FashionMNIST, inputs) -> Claim:
    """§7.2's robustness gain: flip + rotation against none, seed by seed, on the corruptions it never trains on,
    stressed as the augmentation page stresses them (the same stored logits)."""
    pair = {name: policies[name] for name in ("none", "flip_rotate") if policies.get(name)}
    if len(pair) < 2:
        return robustness_gain_claim(None, None, "", [])
    n_images = min(inputs.stress_images or len(data.test_labels), len(data.test_labels))
    result = policy_stress(pair, data, n_images, inputs.stress_severities, inputs.seed, inputs.weights, inputs.device)
    reference = run_name("none", pair["none"][0].config.seed)
    table = policy_comparisons(policy_scores(pair, result, reference, inputs.weights)).set_index("metric")
    return robustness_gain_claim(table.loc["mCE %"].to_dict(), table.loc["relative mCE %"].to_dict(),
                                 gather.runset(pair["none"]).budget, headline_corruptions("flip_rotate",
                                                                                          result.corruptions))
