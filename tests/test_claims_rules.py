"""The claims stage's rules, branch by branch, including the branches where the evidence is too thin."""

import pytest

from fmnist_lib.claims import rules
from fmnist_lib.claims.verdicts import (CONSISTENT, CONTRADICTED, INCONCLUSIVE, NOT_SUPPORTED, NOT_TESTABLE,
                                        REPRODUCED, SUPPORTED, Claim, Evidence, claims_table, measurement_counts,
                                        measurement_verdicts, verdict_cell, verdict_counts)


def test_binomial_se_of_93_percent_on_10000_images():
    assert rules.binomial_se(93.0, 10_000) == pytest.approx(0.2551, abs=1e-4)


def test_equivalence_shown_over_seeds_is_reproduced():
    verdict, sentence, numbers = rules.compare_number(92.97, [93.2, 93.3, 93.1, 93.4, 93.0], n_images=10_000,
                                                      what="test accuracy")
    assert verdict == REPRODUCED and "over 5 seeds" in sentence and "TOST" in sentence and "within the margin" in sentence
    assert numbers["difference"] == pytest.approx(0.23) and numbers["p"] < 0.05 and numbers["margin"] == 0.5


def test_equivalence_not_shown_is_inconclusive_and_a_number_shown_beyond_the_margin_is_contradicted():
    spread, _, numbers = rules.compare_number(93.0, [92.5, 93.9, 92.6], n_images=10_000, what="test accuracy")
    assert spread == INCONCLUSIVE and numbers["p"] > 0.05  # the mean is close, the seeds too spread to show it
    far, sentence, _ = rules.compare_number(90.38, [93.2, 93.3, 93.1, 93.4, 93.0], n_images=10_000,
                                            what="test accuracy")
    assert far == CONTRADICTED and "beyond the margin" in sentence and "above the write-up's 90.38 %" in sentence


def test_fewer_than_three_seeds_is_never_reproduced():
    verdict, sentence, numbers = rules.compare_number(92.97, [93.38], n_images=10_000, what="test accuracy")
    assert verdict == CONSISTENT and "at this seed" in sentence and "not a reproduction" in sentence
    assert numbers["tolerance"] == pytest.approx(0.5 + 2 * rules.binomial_se(93.38, 10_000))
    assert rules.compare_number(92.97, [93.38, 93.1], n_images=10_000, what="x")[0] == CONSISTENT
    assert rules.compare_number(92.0, [93.38], n_images=10_000, what="x")[0] == CONTRADICTED  # 1.38 > 0.5 + 0.50
    assert rules.compare_number(92.6, [93.38], n_images=10_000, what="x")[0] == INCONCLUSIVE  # between the two


def test_no_run_is_not_testable():
    verdict, sentence, numbers = rules.compare_number(92.03, [], n_images=10_000, what="VGG-16's accuracy")
    assert verdict == NOT_TESTABLE and "VGG-16's accuracy" in sentence and numbers == {}


def test_a_loss_is_compared_in_its_own_units_and_margin():
    verdict, sentence, _ = rules.compare_number(0.2390, [0.245, 0.240, 0.250], n_images=10_000, what="the test loss",
                                                unit=" nats", digits=4, margin=0.02)
    assert verdict == REPRODUCED and "0.2450 nats" in sentence and "points" not in sentence


@pytest.mark.parametrize("verdict, seeds, expected", [
    (REPRODUCED, 1, CONSISTENT), (SUPPORTED, 2, CONSISTENT), (SUPPORTED, 3, SUPPORTED), (REPRODUCED, 5, REPRODUCED),
    (CONTRADICTED, 1, CONTRADICTED), (NOT_SUPPORTED, 1, NOT_SUPPORTED), (INCONCLUSIVE, 1, INCONCLUSIVE),
])
def test_at_seeds_never_lets_one_seed_read_reproduced_or_supported(verdict, seeds, expected):
    assert rules.at_seeds(verdict, seeds) == expected


@pytest.mark.parametrize("claimed, direction, expected", [
    (+1, "higher", SUPPORTED), (+1, "lower", CONTRADICTED), (-1, "lower", SUPPORTED), (-1, "higher", CONTRADICTED),
    (+1, "no clear difference", INCONCLUSIVE), (-1, "too few seeds", INCONCLUSIVE),
])
def test_seed_verdict_contradicts_a_direction_shown_the_other_way(claimed, direction, expected):
    assert rules.seed_verdict(claimed, direction) == expected


def test_seed_comparison_words_say_the_test_or_why_there_is_none():
    row = {"seeds": 3, "mean": -0.4, "low": -0.7, "high": -0.1, "p": 0.02, "p (Holm)": 0.04, "direction": "lower"}
    words = rules.seed_comparison_words(row, "augmented", "baseline")
    assert words.startswith("augmented is 0.40 points below baseline over 3 seeds") and "Holm-adjusted 0.04" in words
    unclear = rules.seed_comparison_words({**row, "direction": "no clear difference"}, "augmented", "baseline")
    assert "do not differ clearly" in unclear
    one = rules.seed_comparison_words({"seeds": 1, "mean": 0.3, "direction": "too few seeds"}, "a", "b")
    assert "at this seed" in one and "needs 3 seeds per arm" in one


@pytest.mark.parametrize("low, high, claimed, expected", [
    (0.1, 0.5, +1, SUPPORTED), (-0.5, -0.1, +1, CONTRADICTED), (-0.1, 0.5, +1, INCONCLUSIVE),
    (-0.5, -0.1, -1, SUPPORTED), (0.1, 0.5, -1, CONTRADICTED), (-0.5, 0.0, -1, INCONCLUSIVE),
])
def test_direction_follows_the_interval_not_the_mean(low, high, claimed, expected):
    assert rules.direction_verdict(claimed, low, high) == expected


def test_difference_words_never_print_a_negative_by_and_call_a_zero_spanning_interval_no_difference():
    clear = rules.difference_words("augmented", "baseline", -1.05, -1.40, -0.70, n_seeds=3)
    assert clear.startswith("augmented is 1.05 points below baseline over 3 seeds") and "by -" not in clear
    unclear = rules.difference_words("augmented", "baseline", -0.6, -1.9, 0.7)
    assert "do not differ clearly" in unclear and "includes zero" in unclear and "worse" not in unclear


@pytest.mark.parametrize("before, after, word", [
    (3.6, 1.0, "narrows"), (1.0, 3.6, "widens"), (0.65, -1.44, "reverses"), (1.0, 1.0, "unchanged"),
])
def test_gap_change(before, after, word):
    assert rules.gap_change(before, after) == word


def test_budgets_must_match_to_rank():
    budgets = {"Custom CNN": "15 epochs on 50,000 images", "VGG-16": "2 epochs on 10,000 images",
               "VGG-19": "2 epochs on 10,000 images"}
    assert not rules.matched(budgets)
    assert rules.budgets_sentence(budgets) == ("Custom CNN: 15 epochs on 50,000 images; "
                                               "VGG-16, VGG-19: 2 epochs on 10,000 images")
    assert rules.matched({"a": "x", "b": "x"}) and rules.matched({})


def test_a_mean_carried_by_two_conditions_says_so():
    ce = {"brightness": 190.0, "contrast": 170.0, **{f"c{i}": value for i, value in
                                                      enumerate([95, 98, 99, 101, 102, 97, 103, 99, 100.5, 96, 104])}}
    summary = rules.spread_summary(ce)
    assert summary["mean"] > 100 and summary["median"] < 101
    assert summary["carried_by"] == ["brightness", "contrast"]
    assert len(summary["wins"]) == 6 and summary["n"] == 13
    assert rules.robustness_verdict(summary, 105.0, 120.0) == INCONCLUSIVE


def test_robustness_verdict_branches():
    worse = rules.spread_summary({f"c{i}": 110.0 + i for i in range(10)})
    assert worse["carried_by"] == [] and rules.robustness_verdict(worse, 108, 120) == SUPPORTED
    better = rules.spread_summary({f"c{i}": 90.0 - i for i in range(10)})
    assert rules.robustness_verdict(better, 80, 95) == CONTRADICTED  # more robust: the claim the other way round
    assert rules.robustness_verdict(worse, 95, 120) == INCONCLUSIVE  # the interval reaches the reference
    assert rules.sign_test(worse) == pytest.approx((1 / 1024, 1.0))


def test_a_worse_mean_with_wins_on_half_the_corruptions_is_not_less_robust_across_the_board():
    """The cpu build's case: the mean's interval and the median above 100 %, but 6 wins against 7 losses."""
    split = rules.spread_summary({**{f"w{i}": 94.0 + i for i in range(6)}, **{f"l{i}": 104.0 + 3 * i for i in range(7)}})
    assert split["median"] > 100 and split["carried_by"] == [] and len(split["wins"]) == 6
    assert rules.sign_test(split)[0] == pytest.approx(0.5)  # P(7 or more losses of 13 by chance)
    assert rules.robustness_verdict(split, 101.0, 112.0) == INCONCLUSIVE
    mostly = rules.spread_summary({**{f"w{i}": 99.0 for i in range(2)}, **{f"l{i}": 110.0 + i for i in range(11)}})
    assert rules.sign_test(mostly)[0] < 0.05 and rules.robustness_verdict(mostly, 104.0, 115.0) == SUPPORTED


def test_claims_refuse_an_unknown_verdict_and_table_lists_them_in_order():
    evidence = Evidence(runs="custom CNN, 3 seeds", method="TOST", seeds=3)
    with pytest.raises(ValueError):
        Claim("k", "s", "probably", "sentence", evidence)
    claims = [Claim("a", "A", REPRODUCED, "x", evidence, ours="93.38 %", theirs="92.97 %"),
              Claim("b", "B", NOT_TESTABLE, "y", Evidence(runs="none", method="none"))]
    table = claims_table(claims)
    assert list(table["key"]) == ["a", "b"] and table.loc[0, "write-up"] == "92.97 %"
    assert list(table["verdict cell"]) == ["reproduced, 3 seeds", "not testable with this build"]
    counts = verdict_counts(claims)
    assert counts[REPRODUCED] == 1 and counts[NOT_TESTABLE] == 1 and counts[SUPPORTED] == 0


@pytest.mark.parametrize("verdict", [REPRODUCED, SUPPORTED])
def test_a_claim_cannot_be_reproduced_or_supported_on_fewer_than_three_seeds(verdict):
    with pytest.raises(ValueError, match="needs at least 3"):
        Claim("k", "s", verdict, "x", Evidence(runs="one run", method="m", seeds=1))
    with pytest.raises(ValueError):
        Claim("k", "s", verdict, "x", Evidence(runs="unknown", method="m"))  # seeds not said: refused too
    one = Claim("k", "s", CONSISTENT, "x", Evidence(runs="one run", method="m", seeds=1))
    assert verdict_cell(one) == "consistent, 1 seed"


def test_totals_count_one_measurement_once():
    three = Evidence(runs="r", method="m", seeds=3)
    claims = [Claim("acc3", "a", REPRODUCED, "", three, measurement="run"),
              Claim("acc4", "b", REPRODUCED, "", three, measurement="run"),
              Claim("errors", "c", REPRODUCED, "", three, measurement="run"),
              Claim("loss", "d", CONTRADICTED, "", three)]
    counts = measurement_counts(claims)
    assert counts[REPRODUCED] == 1 and counts[CONTRADICTED] == 1 and sum(counts.values()) == 2
    split = claims[:2] + [Claim("errors", "c", CONTRADICTED, "", three, measurement="run")]
    assert measurement_verdicts(split) == {"run": INCONCLUSIVE}  # the write-up's numbers disagree with each other


def test_signed_never_writes_a_negative_zero():
    assert (rules.signed(-0.0002), rules.signed(0.0041), rules.signed(-0.0081)) == ("0.000", "+0.004", "-0.008")
    assert rules.signed(-1.25, 1) == "-1.2" and rules.signed(0.04, 1) == "0.0"
