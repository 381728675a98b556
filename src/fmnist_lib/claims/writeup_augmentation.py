"""The write-up's augmentation claims (§7): its 93.24 %, the gain it credited to augmentation, and what it
said augmentation did to confidence, to the persistent confusions, to convergence and to overfitting.

The gain is judged only like for like: both arms at the write-up's 15 epochs on 50,000 images, seed i against
seed i, by the same test over seeds the statistics page uses (`analysis.stats.seed_differences`). The write-up's
own pairing (30 augmented epochs against 15 plain ones) changes two things at once; its 30-epoch figure is a row
of its own. Every comparison of the two arms is a test over seeds; a direction shown the other way round is
contradicted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ..analysis.stats import seed_differences
from ..analysis.thresholds import EARLY_EPOCHS, EQUIVALENT, GAP_SAME, PERSISTS
from ..analysis.training_curves import final_gap
from ..data import writeup
from ..data.fashion_mnist import CLASS_NAMES
from ..training.config import PROTOCOL, PROTOCOL_BUDGET, budget_text
from . import rules
from .evidence import FULL_BUILD, RunSet, not_at_protocol, training_accuracy_words
from .verdicts import INCONCLUSIVE, NOT_SUPPORTED, NOT_TESTABLE, SUPPORTED, Claim, Evidence
from .writeup_baselines import number_method

SOURCE = "write-up §7"
AUGMENTED, BASELINE = writeup.AUGMENTED_ACCURACY.value, writeup.ACCURACY["custom_cnn"].value  # §7.1's pairing
AUGMENTED_EPOCHS = writeup.AUGMENTED_EPOCHS.value
PAIRS = {f"{CLASS_NAMES[a]} ↔ {CLASS_NAMES[b]}": (a, b) for a, b in writeup.PERSISTING_PAIRS}


def augmented_accuracy_claim(runs: RunSet | None) -> Claim:
    """§7: with augmentation, after 30 epochs, the custom CNN reaches 93.24 % (a row of its own: only the full build
    trains it)."""
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
                 runs.evidence(number_method(runs, f"± {EQUIVALENT.value} points"), page="statistics"),
                 ours=f"{numbers['mean']:.2f} %", theirs=f"{AUGMENTED:.2f} %", source=SOURCE, numbers=numbers)


def augmentation_gain_claim(comparison: Mapping | None, budget: str = PROTOCOL_BUDGET) -> Claim:
    """§7: augmentation raised test accuracy (93.24 against 92.97); judged like for like only: the custom CNN with
    and without flip + rotation at the write-up's 15 epochs on 50,000 images, seed i against seed i.

    `comparison`: that pair's row of `analysis.stats.seed_differences` (augmented minus baseline, points), the same
    row the statistics page shows where it trains the pair; None when this build has no such pair.
    """
    statement = f"augmentation raises test accuracy ({AUGMENTED:.2f} % against {BASELINE:.2f} % without it)"
    theirs = f"+{AUGMENTED - BASELINE:.2f} points ({AUGMENTED_EPOCHS} vs {PROTOCOL.epochs} epochs)"
    if comparison is None:
        return Claim("writeup.augmentation_gain", statement, NOT_TESTABLE,
                     f"This build trains no pair of custom CNNs with and without augmentation at {PROTOCOL_BUDGET}; "
                     f"the cpu profile and {FULL_BUILD} do.",
                     Evidence(runs="none", method="needs both arms at the protocol", page="statistics"),
                     theirs=theirs, source=SOURCE)
    n = int(comparison["seeds"])
    verdict = rules.seed_verdict(+1, comparison["direction"])
    sentence = (f"Like for like, at {budget}: " + rules.seed_comparison_words(comparison, "augmented", "baseline")
                + ". The write-up's own pairing also trained twice as long; the statistics page separates the two.")
    return Claim("writeup.augmentation_gain", statement, verdict, sentence,
                 Evidence(runs=f"the custom CNN with and without flip + rotation, {budget}, {n} seeds per arm",
                          method="per-seed differences, t-test over seeds (Holm over the page's family)",
                          page="statistics", seeds=n),
                 ours=f"{comparison['mean']:+.2f} points" + (f" ({comparison['low']:+.2f} to {comparison['high']:+.2f})"
                                                             if n > 1 else ""),
                 theirs=theirs, source=SOURCE, numbers=dict(comparison))


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


def _over_seeds(name: str, values: Sequence[float]) -> dict:
    """One comparison's row of `seed_differences` (a family of one), as a dict."""
    return seed_differences({name: list(values)}).iloc[0].to_dict()


def confidence_claim(baseline: RunSet | None, augmented: RunSet | None,
                     confidences: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray | None]]) -> Claim:
    """§7: with augmentation the confusions are made with lower confidence, against a control.

    `confidences`: per seed i, on the test images baseline seed i gets wrong, (baseline i's confidence, augmented
    i's confidence, the mean confidence of the baseline's other seeds; None without another seed). Any retrained
    model is less confident on images selected as one run's errors (regression to the mean), so the claim holds
    only when the augmented runs are less confident there than the baseline's own other seeds: augmented minus
    control, averaged over the images, once per seed, tested over seeds.
    """
    statement = "with augmentation, ambiguous confusions are made with lower confidence"
    if not _paired_at_protocol(baseline, augmented) or not confidences:
        return _needs_pair("writeup.augmented_confidence", statement, baseline, augmented)
    raw = [100 * float(np.mean(np.asarray(aug, float) - np.asarray(own, float))) for own, aug, _ in confidences]
    controlled = [100 * float(np.mean(np.asarray(aug, float) - np.asarray(control, float)))
                  for _, aug, control in confidences if control is not None]
    n = len(confidences)
    raw_words = (f"On the test images each baseline seed gets wrong, the augmented model of the same seed is "
                 f"{abs(np.mean(raw)):.1f} points {'less' if np.mean(raw) < 0 else 'more'} confident on average")
    evidence = augmented.evidence("augmented against the baseline's other seeds on the same images, t-test over "
                                  "seeds", page="augmentation")
    if not controlled:
        return Claim("writeup.augmented_confidence", statement, INCONCLUSIVE,
                     f"{raw_words} {rules.seeds_phrase(n)}. With one baseline seed there is no control: any retrained "
                     "model is less confident on one run's errors, so this cannot be credited to augmentation.",
                     evidence, ours=f"{np.mean(raw):+.1f} points, no control", theirs="slightly lower", source=SOURCE)
    row = _over_seeds("augmented minus the baseline's other seeds", controlled)
    verdict = rules.seed_verdict(-1, row["direction"])
    sentence = (f"{raw_words} {rules.seeds_phrase(n)}; the baseline's other seeds, retrained without augmentation, "
                "are the control for regression to the mean. "
                + rules.seed_comparison_words(row, "the augmented model", "that control", unit="confidence points",
                                              digits=1) + ".")
    return Claim("writeup.augmented_confidence", statement, verdict, sentence, evidence,
                 ours=f"{row['mean']:+.1f} points against the control", theirs="slightly lower", source=SOURCE,
                 numbers={"raw": raw, "controlled": controlled})


def persisting_confusions_claim(baseline: RunSet | None, augmented: RunSet | None,
                                confusions: Sequence[tuple[np.ndarray, np.ndarray]]) -> Claim:
    """§7: Sneaker vs Ankle boot and Shirt vs Coat confusions persist with augmentation, judged seed by seed.

    `confusions`: per seed, the (baseline, augmented) 10 x 10 test confusion matrices. A pair persists in a seed
    when at least PERSISTS of its count remains; supported when both pairs persist in every seed, not supported when
    one is removed in every seed.
    """
    statement = "sneaker/ankle-boot and shirt/coat confusions persist with augmentation"
    if not _paired_at_protocol(baseline, augmented) or not confusions:
        return _needs_pair("writeup.confusions_persist", statement, baseline, augmented)
    counts = {name: [(m[a, b] + m[b, a], n[a, b] + n[b, a]) for m, n in confusions] for name, (a, b) in PAIRS.items()}
    persists = {name: [after >= PERSISTS.value * before and after > 0 for before, after in pairs]
                for name, pairs in counts.items()}
    removed = [name for name, flags in persists.items() if not any(flags)]
    verdict = SUPPORTED if all(all(flags) for flags in persists.values()) else NOT_SUPPORTED if removed else INCONCLUSIVE
    verdict = rules.at_seeds(verdict, len(confusions))
    sentence = "; ".join(f"{name}: {np.mean([b for b, _ in pairs]):.0f} errors without augmentation, "
                         f"{np.mean([a for _, a in pairs]):.0f} with (persists in {sum(persists[name])} of {len(pairs)})"
                         for name, pairs in counts.items()) + f" ({rules.seeds_phrase(len(confusions))})."
    return Claim("writeup.confusions_persist", statement, verdict, sentence,
                 augmented.evidence("confusion counts of both arms, seed by seed", page="augmentation"),
                 ours="; ".join(f"{np.mean([b for b, _ in p]):.0f} → {np.mean([a for _, a in p]):.0f}"
                                for p in counts.values()), theirs="persist", source=SOURCE)


def slower_convergence_claim(baseline: RunSet | None, augmented: RunSet | None, require_protocol: bool = True) -> Claim:
    """§7: the augmented model converges more slowly in the early epochs: its training accuracy over the first
    EARLY_EPOCHS epochs (clean where measured), minus the baseline's of the same seed, tested over seeds."""
    n_early = EARLY_EPOCHS.value
    statement = f"with augmentation, training accuracy rises more slowly in the first {n_early} epochs"
    if not _paired_at_protocol(baseline, augmented, require_protocol) or not baseline.histories \
            or not augmented.histories:
        return _needs_pair("writeup.slower_convergence", statement, baseline, augmented)
    pairs = list(zip(baseline.clean_histories, augmented.clean_histories))
    early = min(n_early, len(pairs[0][0]))
    differences = [100 * float(np.mean(a["train_acc"].iloc[:early].to_numpy() - b["train_acc"].iloc[:early].to_numpy()))
                   for b, a in pairs]
    row = _over_seeds("augmented minus baseline, early epochs", differences)
    verdict = rules.seed_verdict(-1, row["direction"])
    sentence = (f"Over the first {early} epoch{'s' if early > 1 else ''}, reading "
                f"{training_accuracy_words(baseline.histories + augmented.histories)}: "
                + rules.seed_comparison_words(row, "the augmented model", "the baseline") + ".")
    return Claim("writeup.slower_convergence", statement, verdict, sentence,
                 augmented.evidence("early training accuracy of both arms, t-test over seeds", page="augmentation"),
                 ours=f"{row['mean']:+.2f} points", theirs="slower", source=SOURCE, numbers=row)


def mean_final_gap(runs: RunSet) -> float:
    """Training minus validation accuracy at the last epoch, in points (`final_gap`, clean where measured), averaged
    over the runs."""
    return float(np.mean([final_gap(h) for h in runs.clean_histories]))


def generalisation_claim(baseline: RunSet | None, augmented: RunSet | None, require_protocol: bool = True) -> Claim:
    """§7: augmentation regularises: the gap between training and validation accuracy shrinks. The augmented
    gap minus the baseline's, seed by seed, tested over seeds; a gap shown to widen contradicts the claim."""
    statement = "augmentation reduces overfitting: the training/validation gap shrinks"
    if not _paired_at_protocol(baseline, augmented, require_protocol) or not baseline.histories \
            or not augmented.histories:
        return _needs_pair("writeup.regularises", statement, baseline, augmented)
    before, after = mean_final_gap(baseline), mean_final_gap(augmented)
    differences = [final_gap(a) - final_gap(b) for b, a in zip(baseline.clean_histories, augmented.clean_histories)]
    row = _over_seeds("augmented gap minus baseline gap", differences)
    verdict = rules.seed_verdict(-1, row["direction"])
    words = training_accuracy_words(baseline.histories + augmented.histories)
    sentence = (f"The gap goes from {before:+.2f} to {after:+.2f} points on average, reading {words}: "
                + rules.seed_comparison_words(row, "the augmented gap", "the baseline's") + ".")
    if not words.startswith("training accuracy measured clean"):
        sentence += (" The augmented model's running accuracy is measured on augmented, harder images, so this gap "
                     "does not measure overfitting alone.")
    return Claim("writeup.regularises", statement, verdict, sentence,
                 augmented.evidence("training minus validation accuracy at the last epoch, both arms, t-test over seeds",
                                    page="augmentation"),
                 ours=f"{before:+.2f} → {after:+.2f} points", theirs="shrinks", source=SOURCE,
                 numbers={"before": before, "after": after, "change": rules.gap_change(before, after, GAP_SAME.value),
                          **row})
