"""The report's own verdicts: what the baselines, augmentation, robustness, calibration and statistics pages
conclude, each refusing to say more than its evidence carries.

Inputs are plain numbers gathered by the pages (`claims.gather`); every function returns a Claim whose
sentence the page prints as it stands.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..analysis.convergence import not_converged_names
from ..analysis.thresholds import CONVERGED_ACCURACY
from ..training.config import PROTOCOL, PROTOCOL_BUDGET
from . import rules
from .evidence import RunSet
from .verdicts import CONTRADICTED, INCONCLUSIVE, NOT_SUPPORTED, NOT_TESTABLE, SUPPORTED, Claim, Evidence

SOURCE = "this report"
TREND_EPOCHS = PROTOCOL.epochs  # the write-up's budget: a trend over it cannot be read from fewer epochs


def ranking_claim(runsets: Mapping[str, RunSet], differences: Mapping[tuple[str, str], tuple[float, float, float]],
                  page: str = "baselines") -> Claim:
    """Which architecture is most accurate, only among runs at one budget, and only among models at or above
    the accuracy floor (`CONVERGED_ACCURACY`): the others are listed, named as not converged, and not ranked.

    `differences[(a, b)]`: a minus b in points, (mean, low, high), paired on the same test images. The
    best model is called best only when every interval against it lies above zero.
    """
    budgets = {r.label: r.budget for r in runsets.values()}
    statement = "which architecture is most accurate"
    if not rules.matched(budgets):
        return Claim("report.ranking", statement, NOT_TESTABLE,
                     f"The runs have different budgets ({rules.budgets_sentence(budgets)}): their accuracies compare "
                     "budgets, not architectures, and are not ranked.",
                     Evidence(runs="unmatched budgets", method="a ranking needs matched budgets", page=page),
                     source=SOURCE)
    everyone = sorted(runsets, key=lambda m: -float(np.mean(runsets[m].accuracies)))
    listing = ", ".join(f"{runsets[m].label} {np.mean(runsets[m].accuracies):.2f} %" for m in everyone)
    under = not_converged_names({m: float(np.mean(runsets[m].accuracies)) / 100 for m in everyone})
    order = [m for m in everyone if m not in under]
    n = min(r.n for r in runsets.values())
    budget = next(iter(budgets.values()))
    sentence = f"At one budget, {budget}, {rules.seeds_phrase(n)}: {listing}. "
    if under:
        sentence += (f"{rules.join_names([runsets[m].label for m in under])} {'is' if len(under) == 1 else 'are'} "
                     f"under the {100 * CONVERGED_ACCURACY.value:.0f} % accuracy floor (not converged) and "
                     f"{'takes' if len(under) == 1 else 'take'} no part in the ranking. ")
    if len(order) < 2:
        return Claim("report.ranking", statement, NOT_TESTABLE,
                     sentence + "Fewer than two models reach the floor, so no architecture is ranked.",
                     Evidence(runs=f"{len(everyone)} models at {budget}", method="a ranking needs converged models",
                              page=page, seeds=n), ours=listing, source=SOURCE)
    best = order[0]
    clear = [b for b in order[1:] if _difference(differences, best, b)[1] > 0]
    if len(clear) == len(order) - 1:
        verdict = rules.at_seeds(SUPPORTED, n)
        others = "every other model" if not under else "every other converged model"
        sentence += f"{runsets[best].label} is clearly ahead of {others} (paired intervals above zero)."
        if verdict != SUPPORTED:
            sentence += (" With fewer than 3 seeds per model the intervals are over test images: they speak about these "
                         "trained weights, not the architectures.")
    else:
        verdict = INCONCLUSIVE
        close = [runsets[b].label for b in order[1:] if b not in clear]
        sentence += (f"{runsets[best].label} is not clearly ahead of {', '.join(close)} (the paired interval includes "
                     "zero), so no single best model can be named.")
    if not all(r.at_protocol for r in runsets.values()):
        sentence += (" This ranks the architectures after short training; it says nothing about where they end up "
                     f"at the write-up's {PROTOCOL_BUDGET}.")
    return Claim("report.ranking", statement, verdict, sentence,
                 Evidence(runs=f"{len(order)} models at {budget}", method="paired intervals on the same test images",
                          page=page, seeds=n), ours=listing, source=SOURCE)


def _difference(differences, a: str, b: str) -> tuple[float, float, float]:
    if (a, b) in differences:
        return differences[(a, b)]
    mean, low, high = differences[(b, a)]
    return -mean, -high, -low


def rising_loss_claim(runsets: Mapping[str, RunSet], rising: Mapping[str, bool], page: str = "baselines") -> Claim:
    """Which models' validation loss rises by the end of training (a sign of overfitting), where the
    histories are long enough to show a trend over the write-up's budget."""
    statement = "which models overfit (validation loss rising at the end of training)"
    short = [r.label for r in runsets.values() if r.epochs < TREND_EPOCHS]
    long = {m: r for m, r in runsets.items() if r.epochs >= TREND_EPOCHS}
    parts = []
    if long:
        rising_labels = [long[m].label for m in long if rising.get(m)]
        steady_labels = [long[m].label for m in long if not rising.get(m)]
        if len(long) == 1:
            parts.append(f"{(rising_labels or steady_labels)[0]}'s validation loss "
                         f"{'rises' if rising_labels else 'does not rise'} by the end of training.")
        elif not rising_labels or not steady_labels:
            verb, which = ("rises", "all") if rising_labels else ("does not rise", "any")
            parts.append(f"Validation loss {verb} by the end of training for {which} of "
                         f"{rules.join_names(rising_labels or steady_labels)}.")
        else:
            parts.append(f"Validation loss rises by the end of training for {rules.join_names(rising_labels)}, "
                         f"not for {rules.join_names(steady_labels)}.")
    if short:
        parts.append(f"{rules.join_names(short)} trained for fewer than {TREND_EPOCHS} epochs here; their histories cannot "
                     "show whether they overfit over the write-up's budget.")
    n = min((r.n for r in long.values()), default=0)
    verdict = NOT_TESTABLE if not long else SUPPORTED if any(rising.get(m) for m in long) else NOT_SUPPORTED
    return Claim("report.rising_loss", statement, rules.at_seeds(verdict, n), " ".join(parts),
                 Evidence(runs=", ".join(f"{r.label}: {r.budget}" for r in runsets.values()),
                          method="validation loss at the end against its minimum", page=page, seeds=n), source=SOURCE)


def persistence_scope_claim(seed_runs: RunSet | None, headline: RunSet, n_always: int, page: str = "statistics") -> Claim:
    """'n test images are wrong in every seed run': which runs say so, and whether they are the page's model."""
    statement = f"which of {headline.label}'s failures persist across seeds"
    if seed_runs is None or seed_runs.n < 2:
        return Claim("report.persistence", statement, NOT_TESTABLE,
                     f"This build trains {headline.label} with one seed, so whether its failures recur is not measured.",
                     Evidence(runs=headline.describe(), method="needs several seeds", page=page), source=SOURCE)
    accuracy = float(np.mean(seed_runs.accuracies))
    sentence = (f"{n_always:,} test images are wrong in every one of {seed_runs.n} runs of {seed_runs.label} at "
                f"{seed_runs.budget} ({accuracy:.2f} % accuracy on average).")
    if seed_runs.budget == headline.budget:
        verdict = rules.at_seeds(SUPPORTED, seed_runs.n)
        sentence += " These are the page's own runs, its headline run among them."
    else:
        verdict = NOT_TESTABLE
        sentence += (f" Those runs are not the headline run ({headline.budget}, {np.mean(headline.accuracies):.2f} %): a "
                     "weaker model fails more images, so this count does not describe the headline model's failures; the "
                     "full profile measures persistence at the headline budget.")
    return Claim("report.persistence", statement, verdict, sentence, seed_runs.evidence("wrong in every seed run",
                 page=page), ours=f"{n_always:,} images", source=SOURCE)


def arm_difference_claim(a: RunSet, b: RunSet, mean: float, low: float, high: float, page: str = "augmentation") -> Claim:
    """a minus b test accuracy: a difference only when its interval excludes zero; one seed per arm cannot
    separate the arms from seed-to-seed variation, whatever the test images say."""
    statement = f"test accuracy of {a.label if not a.augment else 'the augmented model'} against the baseline"
    n = min(a.n, b.n)
    words = rules.difference_words("the augmented model" if a.augment else a.label, "the baseline", mean, low, high,
                                   n_seeds=n)
    if n < rules.ENOUGH_SEEDS:
        verdict = INCONCLUSIVE
        sentence = (f"{words[0].upper() + words[1:]}; with {n} seed{'s' if n > 1 else ''} per arm, fewer than the "
                    f"{rules.ENOUGH_SEEDS} a test over seeds needs, a difference of this size cannot be told apart from "
                    "seed-to-seed variation" + (" (the interval is over test images, for these two runs only)." if n == 1
                                                 else "."))
    else:
        verdict = SUPPORTED if low > 0 or high < 0 else INCONCLUSIVE
        sentence = words[0].upper() + words[1:] + "."
    return Claim("report.arm_difference", statement, verdict, sentence,
                 Evidence(runs=f"{a.describe()}; {b.describe()}", method="95 % interval of the difference", page=page,
                          seeds=n), ours=f"{mean:+.2f} points", source=SOURCE)


def robustness_claim(ce: Mapping[str, float], low: float, high: float, model: str, reference: str,
                     n_images: int, page: str = "robustness", seeds: int = 1) -> Claim:
    """Is `model` less robust than `reference` to the corruptions it did not train on? (CE per corruption, %.)"""
    summary = rules.spread_summary(ce)
    verdict = rules.robustness_verdict(summary, low, high)
    losses = summary["n"] - len(summary["wins"])
    sentence = (f"Its mean corruption error relative to {reference} is {summary['mean']:.1f} % (95 % interval "
                f"{low:.1f} to {high:.1f}), its median {summary['median']:.1f} %; it does better on "
                f"{len(summary['wins'])} of {summary['n']} corruptions and worse on {losses}")
    if summary["carried_by"]:
        sentence += f"; without {' and '.join(summary['carried_by'])} the mean would fall on the other side of 100 %"
    worse_p, better_p = rules.sign_test(summary)
    sign = f"a sign test over the {summary['n']} corruptions gives p = {min(worse_p, better_p):.2g}"
    sentence += {SUPPORTED: f" ({sign}): these trained weights are less robust across the board.",
                 CONTRADICTED: f" ({sign}): these trained weights are more robust across the board.",
                 INCONCLUSIVE: f" ({sign}): no overall verdict either way."}[verdict]
    return Claim("report.unseen_robustness", f"{model} is less robust than {reference} to unseen corruptions",
                 rules.at_seeds(verdict, seeds), sentence,
                 Evidence(runs=f"{model} and {reference}", method="CE per corruption, bootstrap interval of the mean over "
                          "test images (these trained weights)", page=page, images=n_images, seeds=seeds),
                 ours=f"{summary['mean']:.1f} %", source=SOURCE, numbers=summary)


def calibration_claim(ece: Mapping[str, tuple[float, float]], budgets: Mapping[str, str], n_images: Mapping[str, int],
                      page: str = "robustness", differences: Mapping[str, tuple[float, float, float]] | None = None,
                      seeds: int = 1) -> Claim:
    """Which model is best calibrated: before and after temperature scaling, only among matched budgets.

    `ece[model]` = (ECE before, after scaling) in per cent; `n_images[model]` test images it was measured on.
    'Best calibrated' is a claim only with `differences`: per other model at the best one's budget, (mean, low, high)
    of its ECE minus the best one's in points, paired (seed-paired over `seeds` seeds, or a paired bootstrap over test
    images, which speaks about these trained weights and so gives at most 'consistent'). Without them, inconclusive.
    """
    groups: dict[str, list[str]] = {}
    for model, budget in budgets.items():
        groups.setdefault(budget, []).append(model)
    parts = []
    for budget, models in groups.items():
        before = min(models, key=lambda m: ece[m][0])
        after = min(models, key=lambda m: ece[m][1])
        counts = ", ".join(f"{m} {n_images[m]:,}" for m in models)
        if len(models) == 1:
            parts.append(f"{models[0]} ({budget}) alone at its budget: ECE {ece[models[0]][0]:.2f} %, "
                         f"{ece[models[0]][1]:.2f} % after temperature scaling")
            continue
        same = "the same model" if before == after else f"{after}"
        parts.append(f"among the models at {budget} (test images: {counts}), the lowest ECE before temperature "
                     f"scaling is {ece[before][0]:.2f} %, by {before}, and after it {ece[after][1]:.2f} %, by {same}")
    sentence = "; ".join(parts)[0].upper() + "; ".join(parts)[1:] + "."
    matched = max(len(models) for models in groups.values()) > 1
    if not matched:
        verdict = NOT_TESTABLE
    elif not differences:
        verdict = INCONCLUSIVE
        sentence += " Without a paired interval on the ECE differences, no model is called best calibrated."
    else:
        clear = all(low > 0 for _, low, _ in differences.values())
        verdict = rules.at_seeds(SUPPORTED if clear else INCONCLUSIVE, seeds)
        basis = f"over {seeds} seeds" if seeds >= rules.ENOUGH_SEEDS else "over test images, about these trained weights"
        sentence += (" ECE of each other model minus the lowest, paired " + basis + ": "
                     + "; ".join(f"{m} {mean:+.2f} ({low:+.2f} to {high:+.2f})"
                                 for m, (mean, low, high) in differences.items()) + ".")
    return Claim("report.calibration", "which model is best calibrated", verdict, sentence,
                 Evidence(runs="; ".join(f"{m}: {b}" for m, b in budgets.items()), page=page, seeds=seeds,
                          method="15-bin ECE before and after a temperature fitted on validation images"),
                 source=SOURCE)


def detector_claim(differences: Mapping[str, tuple[float, float, float]], page: str = "statistics",
                   seeds: int = 1) -> Claim:
    """Is entropy a better error detector than confidence? `differences[model]`: AUROC of entropy minus that of
    confidence, (mean, low, high), from a paired bootstrap over test images."""
    better = [m for m, (_, low, _) in differences.items() if low > 0]
    worse = [m for m, (_, _, high) in differences.items() if high < 0]
    same = [m for m in differences if m not in better and m not in worse]
    parts = [f"{m}: {rules.signed(mean)} ({rules.signed(low)} to {rules.signed(high)})"
             for m, (mean, low, high) in differences.items()]
    verdict = SUPPORTED if len(better) == len(differences) else CONTRADICTED if worse and not better else INCONCLUSIVE
    verdict = rules.at_seeds(verdict, seeds)
    summary = (f"entropy is better for {', '.join(better) or 'no model'}, worse for {', '.join(worse) or 'no model'}, "
               f"and indistinguishable (interval includes zero) for {', '.join(same) or 'no model'}")
    return Claim("report.detector", "entropy flags errors better than confidence", verdict,
                 f"the AUROC of entropy minus that of confidence is {'; '.join(parts)} (95 % intervals over test images, "
                 f"so about these trained weights): {summary}.",
                 Evidence(runs=", ".join(differences), method="paired bootstrap over test images", page=page,
                          seeds=seeds),
                 source=SOURCE)


def faithfulness_sentence(method: str, rank: int, n_methods: int, random_rank: int) -> str:
    """Where the CAM method and the random-weights baseline rank by ROAD, in words."""
    ordinal = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}
    text = (f"ranked by how much removing their top pixels hurts the prediction (ROAD), {method} maps come "
            f"{ordinal.get(rank, f'{rank}th')} of {n_methods} methods and a map with random channel weights "
            f"{ordinal.get(random_rank, f'{random_rank}th')}")
    if random_rank < rank:
        return text + ", so ROAD does not separate these maps from noise"
    return text


def robustness_ranking_claim(mce: Mapping[str, tuple[float, float, float]], budgets: Mapping[str, str],
                             reference: str, page: str = "robustness", seeds: int = 1) -> Claim:
    """Which model is most robust to corruptions, by mCE against `reference`, only among models trained alike.

    `mce[model]` = (mCE, low, high) in per cent of the reference's errors; `budgets` names each compared
    model's budget (the reference included).
    """
    statement = "which architecture is most robust to corruptions"
    others = {model: values for model, values in mce.items() if model != reference}
    if not rules.matched({model: budgets[model] for model in others}):
        return Claim("report.robustness_ranking", statement, NOT_TESTABLE,
                     f"The models were trained for different budgets here ({rules.budgets_sentence(budgets)}), so their "
                     "corruption errors compare budgets as much as architectures, and none is called more robust.",
                     Evidence(runs="unmatched budgets", method="a ranking needs matched budgets", page=page),
                     source=SOURCE)
    best = min(others, key=lambda model: others[model][0])
    below = [model for model, (_, _, high) in others.items() if high < 100]
    above = [model for model, (_, low, _) in others.items() if low > 100]
    mean, low, high = others[best]
    sentence = (f"{best} has the lowest mCE, {mean:.0f} % of {reference}'s errors (95 % interval {low:.0f} to "
                f"{high:.0f} %); clearly below {reference}'s 100 %: {rules.join_names(below)}; clearly above: {rules.join_names(above)}.")
    return Claim("report.robustness_ranking", statement, rules.at_seeds(SUPPORTED if best in below else INCONCLUSIVE,
                                                                          seeds), sentence,
                 Evidence(runs=", ".join(others), method="mCE with paired bootstrap intervals over test images (these "
                          "trained weights)", page=page, seeds=seeds),
                 ours=f"{best} {mean:.0f} %", source=SOURCE)

