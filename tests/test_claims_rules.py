"""The claims stage's rules, branch by branch, including the branches where the evidence is too thin."""

import math

import pytest

from fmnist_lib.claims import rules
from fmnist_lib.claims.verdicts import (CONTRADICTED, INCONCLUSIVE, NOT_SUPPORTED, NOT_TESTABLE, REPRODUCED,
                                        SUPPORTED, Claim, Evidence, claims_table, verdict_counts)


def test_binomial_se_of_93_percent_on_10000_images():
    assert rules.binomial_se(93.0, 10_000) == pytest.approx(0.2551, abs=1e-4)


def test_prediction_half_width_known_value():
    # n = 5, sd = 0.1: t(0.975, 4) = 2.7764, times sqrt(1.2)
    assert rules.prediction_half_width([1.0, 1.1, 1.2, 1.3, 1.4]) == pytest.approx(
        2.7764 * math.sqrt(0.025) * math.sqrt(1.2), rel=1e-3)
    with pytest.raises(ValueError):
        rules.prediction_half_width([1.0])


def test_number_inside_the_prediction_interval_is_reproduced():
    verdict, sentence, numbers = rules.compare_number(92.97, [93.2, 93.3, 93.1, 93.4, 93.0], n_images=10_000,
                                                      what="test accuracy")
    assert verdict == REPRODUCED and "over 5 seeds" in sentence and "prediction interval" in sentence
    assert numbers["difference"] == pytest.approx(0.23)


def test_number_outside_the_prediction_interval_is_contradicted():
    verdict, sentence, _ = rules.compare_number(90.38, [93.2, 93.3, 93.1, 93.4, 93.0], n_images=10_000,
                                                what="test accuracy")
    assert verdict == CONTRADICTED and "outside" in sentence and "above the write-up's 90.38 %" in sentence


def test_one_run_says_at_this_seed_and_uses_the_sampling_error():
    verdict, sentence, numbers = rules.compare_number(92.97, [93.38], n_images=10_000, what="test accuracy")
    assert verdict == REPRODUCED and "at this seed" in sentence
    assert numbers["tolerance"] == pytest.approx(2 * rules.binomial_se(93.38, 10_000))
    assert rules.compare_number(92.0, [93.38], n_images=10_000, what="x")[0] == CONTRADICTED


def test_no_run_is_not_testable():
    verdict, sentence, numbers = rules.compare_number(92.03, [], n_images=10_000, what="VGG-16's accuracy")
    assert verdict == NOT_TESTABLE and "VGG-16's accuracy" in sentence and numbers == {}


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
    assert rules.robustness_verdict(better, 80, 95) == NOT_SUPPORTED
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
    evidence = Evidence(runs="custom CNN, 1 seed", method="binomial")
    with pytest.raises(ValueError):
        Claim("k", "s", "probably", "sentence", evidence)
    claims = [Claim("a", "A", REPRODUCED, "x", evidence, ours="93.38 %", theirs="92.97 %"),
              Claim("b", "B", NOT_TESTABLE, "y", evidence)]
    table = claims_table(claims)
    assert list(table["key"]) == ["a", "b"] and table.loc[0, "write-up"] == "92.97 %"
    counts = verdict_counts(claims)
    assert counts[REPRODUCED] == 1 and counts[NOT_TESTABLE] == 1 and counts[SUPPORTED] == 0


def test_signed_never_writes_a_negative_zero():
    assert (rules.signed(-0.0002), rules.signed(0.0041), rules.signed(-0.0081)) == ("0.000", "+0.004", "-0.008")
    assert rules.signed(-1.25, 1) == "-1.2" and rules.signed(0.04, 1) == "0.0"
