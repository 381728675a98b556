"""The rules that turn numbers into verdicts: one place, each rule explicit and tested branch by branch.

- A number of the write-up is *reproduced* when it lies where one more run of ours would land: inside the
  95 % prediction interval of a single run over our seeds, or, with one seed, within twice the binomial
  sampling error of the test set (and the sentence then says "at this seed").
- A difference is a difference only when its interval excludes zero; "better" and "worse" follow the
  interval, never the sign of a mean.
- Architectures are ranked only at matched budgets.
- A mean over conditions is reported with its median and its wins, and says when one or two conditions
  carry it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from scipy import stats

from ..analysis.seed_runs import sampling_error as binomial_se
from ..analysis.thresholds import ALPHA, INTERVAL
from .verdicts import CONTRADICTED, INCONCLUSIVE, NOT_SUPPORTED, NOT_TESTABLE, REPRODUCED, SUPPORTED


def seeds_phrase(n: int) -> str:
    """'at this seed' (one run) or 'over 5 seeds': how many runs a number rests on, always said."""
    return "at this seed" if n == 1 else f"over {n} seeds"


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


def prediction_half_width(values: Sequence[float], confidence: float = INTERVAL.value) -> float:
    """Half-width of the prediction interval for one more run, from n >= 2 runs (t with n-1 degrees of freedom)."""
    values = np.asarray(values, dtype=float)
    n = len(values)
    if n < 2:
        raise ValueError("a prediction interval needs at least two runs")
    t = stats.t.ppf(0.5 + confidence / 2, n - 1)
    return float(t * values.std(ddof=1) * math.sqrt(1 + 1 / n))


def compare_number(theirs: float, ours: Sequence[float], *, n_images: int, what: str, unit: str = " %",
                   single_run_error: float | None = None) -> tuple[str, str, dict]:
    """Is the write-up's single value of `what` where one run of ours lands? (verdict, sentence, numbers)

    With several runs: inside the 95 % prediction interval of one run; with one run: within twice its
    standard error, `single_run_error` if given, else the binomial one of an accuracy (a percentage) on
    `n_images` test images. No runs: not testable.
    """
    ours = [float(value) for value in ours]
    if not ours:
        return NOT_TESTABLE, f"This build has no run at the write-up's protocol to measure {what}.", {}
    mean, n = float(np.mean(ours)), len(ours)
    spread = float(np.std(ours, ddof=1)) if n > 1 else 0.0
    if n > 1 and spread > 0:
        tolerance = prediction_half_width(ours)
        basis = f"the {100 * INTERVAL.value:.0f} % prediction interval of one run over our seeds"
    else:
        error = single_run_error if single_run_error is not None else binomial_se(mean, n_images)
        tolerance = 2 * error
        basis = (f"twice the sampling error of an accuracy on {n_images:,} test images" if single_run_error is None
                 else f"twice its sampling error ({error:.2f})")
    difference = mean - theirs
    verdict = REPRODUCED if abs(difference) <= tolerance else CONTRADICTED
    where = "within" if verdict == REPRODUCED else "outside"
    side = "above" if difference > 0 else "below"
    value = f"{mean:.2f}{unit}" + (f" ± {spread:.2f} (sd)" if n > 1 else "")
    sentence = (f"Ours: {value} {seeds_phrase(n)}, {points(difference)} {side} the write-up's {theirs:.2f}{unit}, "
                f"{where} {basis} (± {tolerance:.2f}).")
    if difference == 0:
        sentence = f"Ours: {value} {seeds_phrase(n)}, equal to the write-up's {theirs:.2f}{unit}."
    return verdict, sentence, {"mean": mean, "sd": spread, "runs": n, "difference": difference,
                               "tolerance": tolerance, "values": tuple(ours), "n_images": n_images,
                               "single_run_error": single_run_error}  # the last three: to judge another number alike


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
    model that wins on 6 of 13 is not less robust across the board, whatever its mean. The opposite needs all
    of it the other way; anything else is inconclusive."""
    worse_p, better_p = sign_test(summary)
    if low > reference and summary["median"] > reference and worse_p < alpha and not summary["carried_by"]:
        return SUPPORTED
    if high < reference and summary["median"] < reference and better_p < alpha and not summary["carried_by"]:
        return NOT_SUPPORTED
    return INCONCLUSIVE
