"""The write-up's augmentation claims (§7): its 93.24 %, the gain it credited to augmentation, and what it
said augmentation did to confidence, to the persistent confusions, to convergence and to overfitting.

The gain is judged only like for like: both arms at the same budget, over seeds, its interval deciding.
The write-up's own pairing (30 augmented epochs against 15 plain ones) changes two things at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from ..analysis.thresholds import ALPHA, EARLY_EPOCHS, GAP_SAME, PERSISTS
from ..analysis.training_curves import final_gap
from ..data import writeup
from ..data.fashion_mnist import CLASS_NAMES
from ..training.config import PROTOCOL, budget_text
from . import rules
from .evidence import FULL_BUILD, RunSet, not_at_protocol
from .verdicts import (CONTRADICTED, INCONCLUSIVE, NOT_SUPPORTED, NOT_TESTABLE, SUPPORTED, Claim, Evidence)

SOURCE = "write-up §7"
AUGMENTED, BASELINE = writeup.AUGMENTED_ACCURACY.value, writeup.ACCURACY["custom_cnn"].value  # §7.1's pairing
AUGMENTED_EPOCHS = writeup.AUGMENTED_EPOCHS.value
PAIRS = {f"{CLASS_NAMES[a]} ↔ {CLASS_NAMES[b]}": (a, b) for a, b in writeup.PERSISTING_PAIRS}


@dataclass(frozen=True)
class ArmComparison:
    """Augmented minus baseline at one budget, over seeds: mean and 95 % interval in points."""

    budget: str  # e.g. "15 epochs on 50,000 images"
    mean: float
    low: float
    high: float
    seeds: int


def augmented_accuracy_claim(runs: RunSet | None) -> Claim:
    """§7: with augmentation, after 30 epochs, the custom CNN reaches 93.24 %."""
    statement = f"with flip and rotation, after {AUGMENTED_EPOCHS} epochs, the custom CNN reaches {AUGMENTED:.2f} %"
    budget = budget_text(AUGMENTED_EPOCHS, PROTOCOL.n_train)
    if runs is None or (runs.epochs, runs.train_images, runs.augment) != (AUGMENTED_EPOCHS, PROTOCOL.n_train, True):
        return Claim("writeup.augmented_accuracy", statement, NOT_TESTABLE,
                     f"This build trains no augmented custom CNN for {budget}; {FULL_BUILD} does.",
                     Evidence(runs=runs.describe() if runs else "none",
                              method=f"needs the {AUGMENTED_EPOCHS}-epoch augmented run", page="statistics"),
                     theirs=f"{AUGMENTED:.2f} %", source=SOURCE)
    verdict, sentence, numbers = rules.compare_number(AUGMENTED, runs.accuracies, n_images=runs.test_images,
                                                      what="the augmented model's accuracy")
    return Claim("writeup.augmented_accuracy", statement, verdict, sentence,
                 runs.evidence("prediction interval of one run over the seeds", page="statistics"),
                 ours=f"{numbers['mean']:.2f} %", theirs=f"{AUGMENTED:.2f} %", source=SOURCE, numbers=numbers)


def augmentation_gain_claim(rows: Sequence[ArmComparison], at_protocol: bool) -> Claim:
    """§7: augmentation raised test accuracy (93.24 against 92.97); judged at matched budgets only.

    `rows`: the study's equal-budget comparisons; `at_protocol`: whether they are at the write-up's budgets
    (15 and 30 epochs on 50,000 images). Elsewhere the claim is not testable; the sentence still says what
    the shortened study found.
    """
    statement = f"augmentation raises test accuracy ({AUGMENTED:.2f} % against {BASELINE:.2f} % without it)"
    found = "; ".join(f"at {row.budget}, " + rules.difference_words("augmented", "baseline", row.mean, row.low,
                                                                     row.high, n_seeds=row.seeds) for row in rows)
    evidence = Evidence(runs="the augmentation study, both arms at each budget", page="statistics",
                        method="mean difference over seeds with its 95 % interval", seeds=rows[0].seeds if rows else 0)
    if not rows:
        return Claim("writeup.augmentation_gain", statement, NOT_TESTABLE, "This build runs no augmentation study.",
                     evidence, theirs=f"+{AUGMENTED - BASELINE:.2f} points", source=SOURCE)
    verdicts = {rules.direction_verdict(+1, row.low, row.high) for row in rows}
    verdict = verdicts.pop() if len(verdicts) == 1 else INCONCLUSIVE
    verdict = NOT_SUPPORTED if verdict == CONTRADICTED else verdict
    if not at_protocol:
        sentence = (f"This build does not train the write-up's budgets; {FULL_BUILD} does. Its shortened study "
                    f"finds: {found}.")
        verdict = NOT_TESTABLE
    else:
        sentence = f"Like for like: {found}."
    ours = "; ".join(f"{row.mean:+.2f} ({row.low:+.2f} to {row.high:+.2f}) at {row.budget}" for row in rows)
    return Claim("writeup.augmentation_gain", statement, verdict, sentence, evidence, ours=ours,
                 theirs=f"+{AUGMENTED - BASELINE:.2f} points ({AUGMENTED_EPOCHS} vs {PROTOCOL.epochs} epochs)",
                 source=SOURCE)


def _paired_at_protocol(baseline: RunSet | None, augmented: RunSet | None, require_protocol: bool = True) -> bool:
    """Both arms trained alike (at the write-up's protocol unless `require_protocol` is off: the report's own pages
    compare the arms at whatever budget the profile gives them)."""
    if baseline is None or augmented is None or baseline.n == 0 or augmented.n == 0:
        return False
    if require_protocol:
        return baseline.at_protocol and augmented.at_protocol
    return (baseline.epochs, baseline.train_images) == (augmented.epochs, augmented.train_images)


def _needs_pair(key: str, statement: str, baseline: RunSet | None, augmented: RunSet | None) -> Claim:
    return Claim(key, statement, NOT_TESTABLE, not_at_protocol(augmented or baseline, "the augmented custom CNN")
                 + " The claim needs both arms at that budget.",
                 Evidence(runs="none", method="needs both arms", page="augmentation"),
                 source=SOURCE)


def confidence_claim(baseline: RunSet | None, augmented: RunSet | None,
                     confidences: Sequence[tuple[np.ndarray, np.ndarray]]) -> Claim:
    """§7: with augmentation the confusions are made with lower confidence.

    `confidences`: per seed, (baseline, augmented) confidence in their own answers on the test images the
    baseline gets wrong. A paired Wilcoxon test per seed; a direction counts only if every seed shows it.
    """
    statement = "with augmentation, ambiguous confusions are made with lower confidence"
    if not _paired_at_protocol(baseline, augmented) or not confidences:
        return _needs_pair("writeup.augmented_confidence", statement, baseline, augmented)
    changes, results = [], []
    for base, aug in confidences:
        change = np.asarray(aug, float) - np.asarray(base, float)
        changes.append(float(np.median(change)))
        p = float(stats.wilcoxon(change).pvalue) if np.any(change != 0) else 1.0
        significant = p < ALPHA.value
        results.append("lower" if significant and changes[-1] < 0 else "higher" if significant and changes[-1] > 0
                       else "no")
    verdict = (SUPPORTED if set(results) == {"lower"} else NOT_SUPPORTED if set(results) == {"higher"}
               else INCONCLUSIVE)
    sentence = (f"On the test images the baseline gets wrong, the augmented model's confidence changes by a median of "
                f"{100 * np.mean(changes):+.1f} points {rules.seeds_phrase(len(confidences))}; lower with p < "
                f"{ALPHA.value} in {results.count('lower')} of {len(results)}, higher in {results.count('higher')}.")
    return Claim("writeup.augmented_confidence", statement, verdict, sentence,
                 augmented.evidence("paired Wilcoxon signed-rank test per seed", page="augmentation"),
                 ours=f"{100 * np.mean(changes):+.1f} points", theirs="slightly lower", source=SOURCE)


def persisting_confusions_claim(baseline: RunSet | None, augmented: RunSet | None,
                                confusions: Sequence[tuple[np.ndarray, np.ndarray]]) -> Claim:
    """§7: Sneaker vs Ankle boot and Shirt vs Coat confusions persist with augmentation.

    `confusions`: per seed, the (baseline, augmented) 10 x 10 test confusion matrices.
    """
    statement = "sneaker/ankle-boot and shirt/coat confusions persist with augmentation"
    if not _paired_at_protocol(baseline, augmented) or not confusions:
        return _needs_pair("writeup.confusions_persist", statement, baseline, augmented)
    kept = {}
    for name, (a, b) in PAIRS.items():
        before = np.mean([m[a, b] + m[b, a] for m, _ in confusions])
        after = np.mean([m[a, b] + m[b, a] for _, m in confusions])
        kept[name] = (before, after)
    verdict = SUPPORTED if all(after >= PERSISTS.value * before and after > 0 for before, after in kept.values()) \
        else NOT_SUPPORTED
    sentence = "; ".join(f"{name}: {before:.0f} errors without augmentation, {after:.0f} with"
                         for name, (before, after) in kept.items()) + f" ({rules.seeds_phrase(len(confusions))})."
    return Claim("writeup.confusions_persist", statement, verdict, sentence,
                 augmented.evidence("confusion counts of both arms", page="augmentation"),
                 ours="; ".join(f"{b:.0f} → {a:.0f}" for b, a in kept.values()), theirs="persist", source=SOURCE)


def slower_convergence_claim(baseline: RunSet | None, augmented: RunSet | None, require_protocol: bool = True) -> Claim:
    """§7: the augmented model converges more slowly in the early epochs (lower training accuracy)."""
    n_early = EARLY_EPOCHS.value
    statement = f"with augmentation, training accuracy rises more slowly in the first {n_early} epochs"
    if not _paired_at_protocol(baseline, augmented, require_protocol) or not baseline.histories \
            or not augmented.histories:
        return _needs_pair("writeup.slower_convergence", statement, baseline, augmented)
    lower = [bool((a["train_acc"].iloc[:n_early].to_numpy() < b["train_acc"].iloc[:n_early].to_numpy()).all())
             for b, a in zip(baseline.histories, augmented.histories)]
    higher = [bool((a["train_acc"].iloc[:n_early].to_numpy() >= b["train_acc"].iloc[:n_early].to_numpy()).all())
              for b, a in zip(baseline.histories, augmented.histories)]
    verdict = SUPPORTED if all(lower) else NOT_SUPPORTED if all(higher) else INCONCLUSIVE
    first = [100 * (a["train_acc"].iloc[0] - b["train_acc"].iloc[0]) for b, a in zip(baseline.histories, augmented.histories)]
    early = min(n_early, len(baseline.histories[0]))
    sentence = (f"Training accuracy of the augmented model is below the baseline's in each of the first {early} "
                f"epoch{'s' if early > 1 else ''} in {sum(lower)} of {len(lower)} seed pairs; after epoch 1 it is {abs(np.mean(first)):.2f} points "
                f"{'below' if np.mean(first) < 0 else 'above'} ({rules.seeds_phrase(len(lower))}).")
    return Claim("writeup.slower_convergence", statement, verdict, sentence,
                 augmented.evidence("training accuracy per epoch of both arms", page="augmentation"),
                 ours=f"slower in {sum(lower)} of {len(lower)} seed pair{'s' if len(lower) > 1 else ''}",
                 theirs="slower", source=SOURCE)


def mean_final_gap(runs: RunSet) -> float:
    """Training minus validation accuracy at the last epoch, in points (`final_gap`), averaged over the runs."""
    return float(np.mean([final_gap(h) for h in runs.histories]))


def generalisation_claim(baseline: RunSet | None, augmented: RunSet | None, require_protocol: bool = True) -> Claim:
    """§7: augmentation regularises: the gap between training and validation accuracy shrinks."""
    statement = "augmentation reduces overfitting: the training/validation gap shrinks"
    if not _paired_at_protocol(baseline, augmented, require_protocol) or not baseline.histories \
            or not augmented.histories:
        return _needs_pair("writeup.regularises", statement, baseline, augmented)
    before, after = mean_final_gap(baseline), mean_final_gap(augmented)
    change = rules.gap_change(before, after, GAP_SAME.value)
    verdict = {"narrows": SUPPORTED, "widens": NOT_SUPPORTED, "unchanged": NOT_SUPPORTED,
               "reverses": INCONCLUSIVE}[change]
    sentence = f"The gap goes from {before:+.2f} to {after:+.2f} points ({rules.seeds_phrase(augmented.n)}): it {change}"
    if change == "reverses":
        sentence += (", because the augmented model's training accuracy is measured on harder, augmented images; "
                     "the gap then no longer measures overfitting alone")
    return Claim("writeup.regularises", statement, verdict, sentence + ".",
                 augmented.evidence("training minus validation accuracy at the last epoch, both arms",
                                    page="augmentation"),
                 ours=f"{before:+.2f} → {after:+.2f} points", theirs="shrinks", source=SOURCE,
                 numbers={"before": before, "after": after, "change": change})
