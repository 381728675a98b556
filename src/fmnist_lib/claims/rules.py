"""The rules that turn numbers into verdicts: one place, each rule explicit and tested branch by branch.

- A number of the write-up is *reproduced* when an equivalence test over at least `MIN_SEEDS` of our seeds (two
  one-sided t-tests, TOST) shows our mean within a margin fixed in advance (`analysis.thresholds`); *contradicted*
  when a one-sided test shows it beyond the margin; otherwise *inconclusive*. With fewer seeds no test is run: a
  number within the margin is *consistent* (the cell says on how many seeds), one farther than the margin plus
  `FEW_SEEDS_OUTSIDE` sampling errors is contradicted.
- "Reproduced" and "supported" never rest on fewer than `MIN_SEEDS` seeds (`at_seeds` turns them into
  "consistent"; `verdicts.Claim` refuses them).
- Two training recipes (architectures, augmentation, budgets) are compared seed i against seed i at a matched
  budget, by `analysis.stats.seed_differences` (a t-test over seeds, Holm over the family); McNemar and test-image
  bootstraps speak only about the trained weights they were run on.
- A difference is a difference only when its interval (or its Holm-adjusted test) excludes zero; a direction shown
  the other way round is *contradicted*, everywhere.
- Architectures are ranked only at matched budgets.
- A mean over conditions is reported with its median and its wins, and says when one or two conditions
  carry it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from scipy import stats

from ..analysis.seed_runs import sampling_error as binomial_se
from ..analysis.stats import equivalence_test
from ..analysis.thresholds import ALPHA, EQUIVALENT, FEW_SEEDS_OUTSIDE, MIN_SEEDS
from .verdicts import (CONSISTENT, CONTRADICTED, INCONCLUSIVE, NEEDS_SEEDS, NOT_TESTABLE, REPRODUCED,
                       SUPPORTED)

ENOUGH_SEEDS = int(MIN_SEEDS.value)


def seeds_phrase(n: int) -> str:
    """'at this seed' (one run) or 'over 5 seeds': how many runs a number rests on, always said."""
    return "at this seed" if n == 1 else f"over {n} seeds"


def at_seeds(verdict: str, n_seeds: int) -> str:
    """`verdict`, except that 'reproduced' or 'supported' on fewer than MIN_SEEDS seeds reads 'consistent'."""
    return CONSISTENT if verdict in NEEDS_SEEDS and n_seeds < ENOUGH_SEEDS else verdict


def join_names(names, empty: str = "none") -> str:
    """'A', 'A and B', 'A, B and C' for prose; `empty` when there are none."""
    names = list(names)
    if not names:
        return empty
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def times(n: int) -> str:
    """'once', 'twice', '3 times'."""
    return {1: "once", 2: "twice"}.get(n, f"{n:,} times")


def points(value: float, digits: int = 2) -> str:
    """'0.41 points' (never a sign: direction is said in words)."""
    value = abs(value)
    return f"{value:.{digits}f} point{'' if round(value, digits) == 1 else 's'}"


def amount(value: float, unit: str = " %", digits: int = 2) -> str:
    """A distance between two numbers in words, no sign: '0.41 points' for percentages, '0.0120' for a loss."""
    return points(value, digits) if unit.strip() in ("%", "points") else f"{abs(value):.{digits}f}{unit}"


def compare_number(theirs: float, ours: Sequence[float], *, n_images: int, what: str, unit: str = " %",
                   margin: float = EQUIVALENT.value, single_run_error: float | None = None,
                   digits: int = 2) -> tuple[str, str, dict]:
    """Is the write-up's single value of `what` equivalent to ours within `margin`? (verdict, sentence, numbers)

    With MIN_SEEDS seeds or more: an equivalence test (TOST) of our seeds' mean against it decides. With fewer:
    'consistent' within the margin, 'contradicted' beyond the margin plus FEW_SEEDS_OUTSIDE sampling errors of
    one run (`single_run_error` if given, else the binomial one of an accuracy in per cent on `n_images` images),
    'inconclusive' between. No runs: not testable.
    """
    ours = [float(value) for value in ours]
    if not ours:
        return NOT_TESTABLE, f"This build has no run at the write-up's protocol to measure {what}.", {}
    mean, n = float(np.mean(ours)), len(ours)
    spread = float(np.std(ours, ddof=1)) if n > 1 else 0.0
    difference = mean - theirs
    value = f"{mean:.{digits}f}{unit}" + (f" ± {spread:.{digits}f} (sd)" if n > 1 else "")
    side = "above" if difference > 0 else "below"
    where = (f"equal to the write-up's {theirs:.{digits}f}{unit}" if difference == 0 else
             f"{amount(difference, unit, digits)} {side} the write-up's {theirs:.{digits}f}{unit}")
    band = f"± {amount(margin, unit, digits)}"
    numbers = {"mean": mean, "sd": spread, "runs": n, "difference": difference, "margin": margin,
               # how the number was judged, to judge another number alike (`claims.witnesses`, `claims.forensics`)
               "values": tuple(ours), "n_images": n_images, "single_run_error": single_run_error, "unit": unit,
               "digits": digits}
    if n >= ENOUGH_SEEDS:
        test = equivalence_test(ours, theirs, margin)
        verdict = REPRODUCED if test["equivalent"] else CONTRADICTED if test["differs"] else INCONCLUSIVE
        shown = {REPRODUCED: f"shows it within the margin of {band} (p = {test['p']:.2g})",
                 CONTRADICTED: f"shows it beyond the margin of {band} (p = {test['p_beyond']:.2g})",
                 INCONCLUSIVE: f"cannot show it within the margin of {band} (p = {test['p']:.2g}): equivalence "
                               "is not shown"}[verdict]
        sentence = f"Ours: {value} {seeds_phrase(n)}, {where}; an equivalence test over the seeds (TOST) {shown}."
        return verdict, sentence, {**numbers, "p": test["p"], "tolerance": margin}
    error = single_run_error if single_run_error is not None else binomial_se(mean, n_images)
    outside = margin + FEW_SEEDS_OUTSIDE.value * error
    verdict = CONSISTENT if abs(difference) <= margin else CONTRADICTED if abs(difference) > outside else INCONCLUSIVE
    judged = {CONSISTENT: f"within the margin of {band}",
              CONTRADICTED: f"beyond the margin of {band} plus {FEW_SEEDS_OUTSIDE.value:.0f} sampling errors of one "
                            f"run (± {amount(outside, unit, digits)} in all)",
              INCONCLUSIVE: f"beyond the margin of {band} but within {FEW_SEEDS_OUTSIDE.value:.0f} sampling errors of "
                            "it"}[verdict]
    sentence = (f"Ours: {value} {seeds_phrase(n)}, {where}, {judged}; with {n} seed{'s' if n > 1 else ''}, fewer than "
                f"the {ENOUGH_SEEDS} an equivalence test needs, this is not a reproduction.")
    return verdict, sentence, {**numbers, "tolerance": outside}


def seed_verdict(claimed_sign: int, direction: str) -> str:
    """A claimed direction (+1: a above b, -1: below) against `analysis.stats.seed_differences`' direction of a
    minus b: shown the claimed way is supported, shown the other way contradicted, anything else inconclusive."""
    if direction not in ("higher", "lower"):
        return INCONCLUSIVE
    return SUPPORTED if (direction == "higher") == (claimed_sign > 0) else CONTRADICTED


def seed_comparison_words(row, a: str, b: str, unit: str = "points", digits: int = 2) -> str:
    """One row of `seed_differences` in words: the mean difference over seeds, its interval and the Holm p, or why
    no test was run."""
    n = int(row["seeds"])
    if n < ENOUGH_SEEDS:
        return (f"{a} minus {b} is {row['mean']:+.{digits}f} {unit} {seeds_phrase(n)}; a test over seeds needs "
                f"{ENOUGH_SEEDS} seeds per arm, so this says nothing about the recipes")
    interval = f"95 % interval over seeds {row['low']:+.{digits}f} to {row['high']:+.{digits}f}"
    test = f"t-test over seeds p = {row['p']:.2g}, Holm-adjusted {row['p (Holm)']:.2g}"
    if row["direction"] == "no clear difference":
        return f"{a} and {b} do not differ clearly {seeds_phrase(n)}: {a} minus {b} is {row['mean']:+.{digits}f} {unit} " \
               f"({interval}; {test})"
    side = "above" if row["direction"] == "higher" else "below"
    return f"{a} is {abs(row['mean']):.{digits}f} {unit} {side} {b} {seeds_phrase(n)} ({interval}; {test})"


def interval_side(low: float, high: float) -> str:
    """'above zero', 'below zero' or 'includes zero': where an interval of a difference lies."""
    if low > 0:
        return "above zero"
    return "below zero" if high < 0 else "includes zero"


def direction_verdict(claimed_sign: int, low: float, high: float) -> str:
    """A claimed direction (+1: a above b, -1: below) against an interval of a minus b."""
    side = interval_side(low, high)
    if side == "includes zero":
        return INCONCLUSIVE
    return SUPPORTED if (side == "above zero") == (claimed_sign > 0) else CONTRADICTED


def difference_words(a: str, b: str, mean: float, low: float, high: float, unit: str = "points",
                     n_seeds: int | None = None) -> str:
    """'a is 1.05 points below b (95 % interval -1.40 to -0.70)' with the verdict of the interval in words.

    Never 'by -x': the direction is a word, and a difference whose interval includes zero is called none.
    """
    seeds = f" {seeds_phrase(n_seeds)}" if n_seeds else ""
    interval = f"95 % interval {low:+.2f} to {high:+.2f}"
    if interval_side(low, high) == "includes zero":
        return (f"{a} and {b} do not differ clearly{seeds}: {a} minus {b} is {mean:+.2f} {unit} ({interval}, "
                "which includes zero)")
    side = "above" if mean > 0 else "below"
    return f"{a} is {abs(mean):.2f} {unit} {side} {b}{seeds} ({interval})"


def gap_change(before: float, after: float, tolerance: float = 0.0) -> str:
    """How a gap (e.g. training minus validation accuracy) changed: 'narrows', 'widens', 'reverses' or 'unchanged'."""
    if abs(after - before) <= tolerance:
        return "unchanged"
    if before * after < 0:
        return "reverses"
    return "narrows" if abs(after) < abs(before) else "widens"


def matched(budgets: Mapping[str, str]) -> bool:
    """Whether every model trained at the same budget (budgets as comparable strings, e.g. '15 epochs on 50,000')."""
    return len(set(budgets.values())) <= 1


def budgets_sentence(budgets: Mapping[str, str]) -> str:
    """'Custom CNN: 15 epochs on 50,000 images; VGG-16: 2 epochs on 10,000 images', grouped by budget."""
    groups: dict[str, list[str]] = {}
    for model, budget in budgets.items():
        groups.setdefault(budget, []).append(model)
    return "; ".join(f"{', '.join(models)}: {budget}" for budget, models in groups.items())


def signed(value: float, digits: int = 3) -> str:
    """A difference with its sign ('+0.004', '-0.008'), and '0.000' for what rounds to zero, never '-0.000'."""
    text = f"{value:+.{digits}f}"
    return text[1:] if float(text) == 0 else text


def spread_summary(values: Mapping[str, float], reference: float = 100.0) -> dict:
    """A mean over conditions with what it hides: median, wins (below `reference`), and what carries the mean.

    `carried_by` lists the fewest largest-deviation conditions whose removal moves the mean to the other
    side of `reference` (empty when no one or two conditions do).
    """
    names = list(values)
    array = np.array([values[name] for name in names], dtype=float)
    mean, median = float(array.mean()), float(np.median(array))
    wins = [name for name, value in zip(names, array) if value < reference]
    carried_by: list[str] = []
    toward_mean = (array - reference) * np.sign(mean - reference)  # > 0: pulls the mean to its side
    order = np.argsort(-toward_mean, kind="stable")  # the strongest pulls first
    for k in (1, 2):
        rest = np.delete(array, order[:k])
        if len(rest) and (rest.mean() - reference) * (mean - reference) <= 0:
            carried_by = [names[i] for i in order[:k]]
            break
    return {"mean": mean, "median": median, "wins": wins, "n": len(names), "carried_by": carried_by}


def sign_test(summary: dict) -> tuple[float, float]:
    """One-sided sign-test p-values over the conditions of `spread_summary`: (more losses than chance would give,
    more wins than chance would give). Ties at the reference count as losses."""
    n, wins = summary["n"], len(summary["wins"])
    if n == 0:
        return 1.0, 1.0
    return (float(stats.binomtest(n - wins, n, 0.5, alternative="greater").pvalue),
            float(stats.binomtest(wins, n, 0.5, alternative="greater").pvalue))


def robustness_verdict(summary: dict, low: float, high: float, reference: float = 100.0,
                       alpha: float = ALPHA.value) -> str:
    """'Less robust' (claimed: above the reference) needs the interval above it, the median above it, no one or
    two conditions carrying the mean, and losses on significantly more conditions than wins (`sign_test`): a
    model that wins on 6 of 13 is not less robust across the board, whatever its mean. All of it the other way
    round shows the opposite (contradicted); anything else is inconclusive."""
    worse_p, better_p = sign_test(summary)
    if low > reference and summary["median"] > reference and worse_p < alpha and not summary["carried_by"]:
        return SUPPORTED
    if high < reference and summary["median"] < reference and better_p < alpha and not summary["carried_by"]:
        return CONTRADICTED
    return INCONCLUSIVE
