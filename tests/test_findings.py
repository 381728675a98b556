"""The landing page's findings: chosen from hand-made claims by strength of evidence, never an untestable one."""

from fmnist_lib.claims.findings import (FEWEST, MOST, finding_sentence, select_findings, summary_sentence,
                                        untestable)
from fmnist_lib.claims.verdicts import (CONSISTENT, CONTRADICTED, INCONCLUSIVE, NOT_SUPPORTED, NOT_TESTABLE, REPRODUCED, SUPPORTED,
                                        Claim, Evidence)


def claim(key: str, verdict: str, seeds: int = 1, ours: str = "1.00 %", page: str = "baselines") -> Claim:
    return Claim(key, f"statement {key}", verdict, f"sentence {key}.", Evidence("runs", "method", page=page, seeds=seeds),
                 ours=ours, theirs="2.00 %", source="write-up §3")


def test_ranking_puts_decisive_verdicts_over_seeds_first_and_keeps_ledger_order_among_equals():
    claims = [claim("a", INCONCLUSIVE, seeds=5), claim("b", CONSISTENT, seeds=1), claim("c", CONTRADICTED, seeds=3),
              claim("d", NOT_TESTABLE), claim("e", SUPPORTED, seeds=5), claim("f", NOT_SUPPORTED, seeds=3),
              claim("g", CONSISTENT, seeds=1)]
    found = select_findings(claims)
    assert [f.key for f in found] == ["e", "c", "f", "b", "g"]  # five decided: the inconclusive one is not needed
    assert [f.number for f in found] == [5, 3, 6, 2, 7]
    assert [f.rank for f in found] == list(range(1, len(found) + 1))
    assert "d" not in [f.key for f in found]
    assert found[0].seeds == 5 and found[0].page == "baselines" and found[0].verdict == SUPPORTED


def test_at_most_seven_and_weaker_ones_only_to_reach_five():
    many = [claim(f"r{i}", REPRODUCED, seeds=3) for i in range(9)] + [claim("i", INCONCLUSIVE, seeds=9)]
    found = select_findings(many)
    assert len(found) == MOST and all(f.verdict == REPRODUCED for f in found)
    few = [claim("r", REPRODUCED, seeds=3), claim("i1", INCONCLUSIVE), claim("i2", INCONCLUSIVE, seeds=3),
           claim("i3", INCONCLUSIVE), claim("i4", INCONCLUSIVE), claim("i5", INCONCLUSIVE)]
    found = select_findings(few)
    assert len(found) == FEWEST and [f.key for f in found][:2] == ["r", "i2"]


def test_fewer_than_five_testable_claims_gives_them_all():
    claims = [claim("a", NOT_TESTABLE), claim("b", INCONCLUSIVE), claim("c", CONSISTENT, seeds=2), claim("d", NOT_TESTABLE)]
    found = select_findings(claims)
    assert [f.key for f in found] == ["c", "b"]
    assert [n for n, _ in untestable(claims)] == [1, 4]
    assert "tests 2 of the 4 claims" in summary_sentence(claims, found)
    assert "2 claims cannot be tested" in summary_sentence(claims, found)


def test_all_untestable_says_so():
    claims = [claim("a", NOT_TESTABLE), claim("b", NOT_TESTABLE)]
    assert select_findings(claims) == []
    assert "can test none of the 2 claims" in summary_sentence(claims, [])
    one = [claim("a", NOT_TESTABLE), claim("b", SUPPORTED, seeds=3)]
    assert "tests 1 of the 2 claims; the table shows it," in summary_sentence(one, select_findings(one))


def test_sentence_is_made_of_the_claims_fields():
    text = finding_sentence(claim("x", CONTRADICTED, seeds=3, ours="-0.42 points"))
    assert text == "Write-up §3: “statement x” is contradicted; this build measures -0.42 points, over 3 seeds."
    assert finding_sentence(claim("y", CONSISTENT, seeds=1, ours="")).endswith("is consistent, in one run.")


def test_unknown_verdict_texts_rank_between_decisive_and_inconclusive():
    odd = claim("odd", INCONCLUSIVE)
    object.__setattr__(odd, "verdict", "borne out, 1 seed")  # a verdict text outside the vocabulary
    untested = claim("nt", INCONCLUSIVE)
    object.__setattr__(untested, "verdict", "not testable here")
    found = select_findings([claim("i", INCONCLUSIVE, seeds=5), odd, claim("s", SUPPORTED, seeds=3), untested])
    assert [f.key for f in found] == ["s", "odd", "i"]


def test_the_conclusion_counts_claims_where_it_says_claims():
    """Testable claims and untestable claims add up to the claims (the totals elsewhere count measurements)."""
    from fmnist_lib.report.pages.findings import findings_values

    claims = [claim("a", NOT_TESTABLE), claim("b", REPRODUCED, seeds=3), claim("c", CONTRADICTED, seeds=3)]
    values = findings_values(claims)
    assert values["n_testable_claims"] == 2 and values["n_untestable"] == 1
