"""The write-up's claims about augmentation policies beyond accuracy: that augmentation "provides incremental
robustness gains" (§7.2), judged on the corruption benchmark at one budget, and its code's 91.97 % for the
crop + flip + erasing policy at 15 epochs (the README of its published code); and the augmentation page's
sentences on the policy comparison (which confusions each policy removes, which persist).

A robustness gain is a lower mCE than the model trained without augmentation, seed i against seed i, on the
corruptions the augmented model never trained on; a difference counts only when its 95 % interval over seeds
excludes zero (the other way round, it is contradicted), and fewer than MIN_SEEDS seeds give no verdict. It is one pre-stated claim, so its interval is not adjusted for
the augmentation page's other comparisons (that page's table is, with Holm's method).
"""

from __future__ import annotations

import pandas as pd

from ..data.augmentation import POLICIES
from . import rules
from ..data import writeup
from ..training.config import PROTOCOL
from .evidence import FULL_BUILD, RunSet
from .verdicts import CONTRADICTED, INCONCLUSIVE, NOT_TESTABLE, Claim, Evidence
from .writeup_baselines import number_method
from ..analysis.thresholds import ALPHA, EQUIVALENT, PERSISTS

SOURCE_ROBUSTNESS = "write-up §7.2"
SOURCE_CODE = "write-up's code"
CROP_FLIP_ERASE_15 = writeup.CROP_FLIP_ERASE_ACCURACY.value
METRIC_WORDS = {"test acc %": "clean accuracy", "ECE %": "calibration error", "mCE %": "mCE",
                "relative mCE %": "relative mCE"}


def crop_flip_erase_accuracy_claim(runs: RunSet | None) -> Claim:
    """The write-up's code: with crop + flip + erasing, after 15 epochs on 50,000 images, the custom CNN reaches
    91.97 %. Testable only on runs at that protocol."""
    statement = (f"with crop, flip and erasing, after {PROTOCOL.epochs} epochs, the custom CNN reaches "
                 f"{CROP_FLIP_ERASE_15:.2f} %")
    theirs = f"{CROP_FLIP_ERASE_15:.2f} %"
    if runs is None or runs.epochs != PROTOCOL.epochs or runs.train_images != PROTOCOL.n_train:
        trained = f"trains it for {runs.budget}" if runs is not None else "does not train it"
        return Claim("writeup.crop_flip_erase_accuracy", statement, NOT_TESTABLE,
                     f"This build {trained}, not {PROTOCOL.epochs} epochs on {PROTOCOL.n_train:,} images; the cpu "
                     f"profile with `-p policies=[\"crop_flip_erase\"]` (one seed) or {FULL_BUILD} does.",
                     Evidence(runs=runs.describe() if runs else "none", method="needs the policy at the protocol",
                              page="augmentation"), theirs=theirs, source=SOURCE_CODE)
    verdict, sentence, numbers = rules.compare_number(CROP_FLIP_ERASE_15, runs.accuracies, n_images=runs.test_images,
                                                      what="the crop + flip + erasing model's accuracy")
    return Claim("writeup.crop_flip_erase_accuracy", statement, verdict, sentence,
                 runs.evidence(number_method(runs, f"± {EQUIVALENT.value} points"), page="augmentation"),
                 ours=f"{numbers['mean']:.2f} %", theirs=theirs, source=SOURCE_CODE, numbers=numbers)


def robustness_gain_claim(mce: dict | None, relative: dict | None, budget: str, corruptions: list[str]) -> Claim:
    """§7.2: "augmentation provides incremental robustness gains", for the write-up's flip + rotation.

    `mce` and `relative`: the augmented minus the plain model's mCE and relative mCE (%, over `corruptions`, the
    ones flip + rotation never trains on), per seed pair: {'seeds', 'difference', 'low', 'high'} as
    `analysis.policy_study.policy_comparisons` gives them; None when this build lacks one of the two models.
    """
    statement = "augmentation provides incremental robustness gains"
    evidence = Evidence(runs=f"the custom CNN with and without flip + rotation, {budget}", page="augmentation",
                        method="mCE over the corruptions it never trained on, seed i against seed i, 95 % interval "
                               "over seeds", seeds=mce["seeds"] if mce else 0)
    if mce is None:
        return Claim("writeup.robustness_gain", statement, NOT_TESTABLE, "This build stresses no pair of custom CNNs "
                     "trained with and without augmentation at one budget.", evidence, theirs="gains",
                     source=SOURCE_ROBUSTNESS)
    found = (f"on the {len(corruptions)} corruptions flip + rotation never trains on, at {budget}, the augmented "
             f"model's mCE minus the plain model's is {mce['difference']:+.1f} points")
    rel = f"; relative mCE, which discounts clean accuracy, {relative['difference']:+.1f}" if relative else ""
    ours = f"{mce['difference']:+.1f} mCE points"
    if mce["seeds"] < rules.ENOUGH_SEEDS:
        n = int(mce["seeds"])
        return Claim("writeup.robustness_gain", statement, INCONCLUSIVE,
                     f"With {n} seed{'s' if n > 1 else ''} per arm, {found}{rel}: fewer than the {rules.ENOUGH_SEEDS} "
                     "seeds a test over seeds needs, so no gain can be told from seed-to-seed variation.", evidence,
                     ours=ours + f" ({n} seed{'s' if n > 1 else ''})", theirs="gains", source=SOURCE_ROBUSTNESS)
    verdict = rules.direction_verdict(-1, mce["low"], mce["high"])
    words = {INCONCLUSIVE: "the interval includes zero, so no gain is shown",
             CONTRADICTED: "the augmented model is less robust, the opposite of the claim",
             }.get(verdict, "the augmented model is more robust")
    sentence = (f"{found[0].upper()}{found[1:]} {rules.seeds_phrase(mce['seeds'])} (95 % interval "
                f"{mce['low']:+.1f} to {mce['high']:+.1f}){rel}: {words}.")
    return Claim("writeup.robustness_gain", statement, verdict, sentence, evidence,
                 ours=f"{ours} ({mce['low']:+.1f} to {mce['high']:+.1f})", theirs="gains", source=SOURCE_ROBUSTNESS)


def confusion_sentence(counts: pd.DataFrame, seeds: int) -> str:
    """Which of the plain model's most frequent confusions each policy removes (keeps fewer than half of, on
    average over its seeds) and which persist under every policy; `counts` is `policy_study.confusion_counts`."""
    base = counts["none"]
    removed = {policy: [pair for pair in counts.index if counts.loc[pair, policy] < PERSISTS.value * base[pair]]
               for policy in counts.columns if policy != "none"}
    parts = [f"{POLICIES[policy].label} removes {rules.join_names(pairs)}"
             for policy, pairs in removed.items() if pairs]
    persist = [pair for pair in counts.index if not any(pair in pairs for pairs in removed.values())]
    none_removed = [POLICIES[policy].label for policy, pairs in removed.items() if not pairs]
    text = "; ".join(parts) if parts else "no policy removes any of them"
    if parts and none_removed:
        text += f"; {rules.join_names(none_removed)} remove{'s' if len(none_removed) == 1 else ''} none"
    scope = "at 1 seed" if seeds == 1 else f"on average over {seeds} seeds"
    return (f"Of the plain model's {len(counts.index)} most frequent confusions ({scope}; a confusion counts as "
            f"removed when fewer than half of its errors remain), {text}. Under every policy "
            f"{rules.join_names(persist, empty='none of them')} persist{'s' if len(persist) == 1 else ''}.")


def comparison_sentence(comparisons: pd.DataFrame) -> str:
    """What the policy comparison shows against no augmentation: each difference whose Holm-adjusted p is below
    0.05 (`analysis.policy_study.policy_comparisons`' verdicts), or that none is, or that one seed decides nothing."""
    if comparisons.empty:
        return "No policy besides none was trained, so there is nothing to compare."
    if (comparisons["seeds"] < 2).all():
        return ("Each policy has 1 seed here, so no difference is judged: one pair of runs cannot tell a policy's "
                "effect from seed-to-seed variation (the full profile trains 5 seeds).")
    clear = comparisons[comparisons["verdict"].isin(("lower", "higher"))]
    n = int(comparisons["p (Holm)"].notna().sum())
    if clear.empty:
        return (f"No difference from no augmentation is clear: none of the {n} comparisons has a Holm-adjusted "
                f"p below {ALPHA.value}.")
    parts = [f"{POLICIES[row.policy].label} has {row.verdict} {METRIC_WORDS[row.metric]} "
             f"({row.difference:+.2f}, 95 % interval {row.low:+.2f} to {row.high:+.2f})"
             for row in clear.itertuples()]
    return (f"Against no augmentation, {len(clear)} of the {n} comparisons have a Holm-adjusted p below {ALPHA.value}: "
            f"{'; '.join(parts)}. The others show no clear difference.")
