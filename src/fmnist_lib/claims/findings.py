"""The findings a build supports most strongly: the landing page's first table, chosen from the ledger.

A finding is a claim this build could test, stated in one sentence made from the claim's own fields (its
statement, source, verdict, our measurement and how many seeds it rests on), with the page that shows the
evidence. Claims are ranked by strength of evidence: a decisive verdict (reproduced, contradicted, supported, not
supported) before an inconclusive one, verdicts read over seeds or intervals before those from a single run, more
seeds before fewer, and the ledger's order among equals. Claims this build cannot test are never findings; the
landing page counts them below the table. Verdict strings outside the vocabulary (a finer cell text such as
"consistent, 1 seed") rank after the decisive verdicts and before "inconclusive"; any starting "not testable" is
treated as untestable.
"""

from __future__ import annotations

from dataclasses import dataclass

from .verdicts import CONTRADICTED, INCONCLUSIVE, NOT_SUPPORTED, NOT_TESTABLE, REPRODUCED, SUPPORTED, Claim

MOST, FEWEST = 7, 5  # the landing page shows up to MOST findings, filling up to FEWEST with weaker ones
DECISIVE = (REPRODUCED, CONTRADICTED, SUPPORTED, NOT_SUPPORTED)


@dataclass(frozen=True)
class Finding:
    """One finding: its rank (1 = strongest), the claim's number in the ledger (1-based, as the claims page numbers
    it), a one-sentence statement, the verdict, the measurement, the seeds it rests on and the page to link."""

    rank: int
    number: int
    key: str
    sentence: str
    verdict: str
    ours: str
    seeds: int
    page: str


def testable(claim: Claim) -> bool:
    """Whether this build gave the claim a verdict (anything but 'not testable ...')."""
    return not (claim.verdict == NOT_TESTABLE or claim.verdict.startswith("not testable"))


def strength(claim: Claim) -> tuple[int, int, int]:
    """Sort key, smaller is stronger: the verdict's class, then several seeds before one run, then more seeds."""
    if claim.verdict in DECISIVE:
        tier = 0
    elif claim.verdict == INCONCLUSIVE:
        tier = 2
    else:  # CONSISTENT (too few seeds for an equivalence test), or a verdict text outside the vocabulary
        tier = 1
    seeds = claim.evidence.seeds
    return tier, 0 if seeds > 1 else 1, -seeds


def seeds_phrase(seeds: int) -> str:
    """'over 3 seeds', 'in one run', or '' when the claim does not say."""
    return f"over {seeds} seeds" if seeds > 1 else "in one run" if seeds == 1 else ""


def finding_sentence(claim: Claim) -> str:
    """One sentence from the claim's fields: where it comes from, what it says, its verdict and what we measured."""
    source = claim.source[:1].upper() + claim.source[1:] if claim.source else "The claim"
    sentence = f"{source}: “{claim.statement}” is {claim.verdict}"
    measured = ", ".join(part for part in (claim.ours, seeds_phrase(claim.evidence.seeds)) if part)
    if claim.ours:
        sentence += f"; this build measures {measured}"
    elif measured:
        sentence += f", {measured}"
    return sentence + "."


def select_findings(claims: list[Claim], most: int = MOST, fewest: int = FEWEST) -> list[Finding]:
    """The strongest testable claims as findings, strongest first: every decisive one up to `most`, filled with
    weaker ones up to `fewest`; fewer when fewer are testable, none when none is."""
    numbered = [(number, claim) for number, claim in enumerate(claims, start=1) if testable(claim)]
    ranked = sorted(numbered, key=lambda pair: (strength(pair[1]), pair[0]))
    decisive = [pair for pair in ranked if strength(pair[1])[0] < 2]
    chosen = decisive[:most]
    if len(chosen) < fewest:
        chosen += [pair for pair in ranked if pair not in chosen][: fewest - len(chosen)]
    chosen.sort(key=lambda pair: (strength(pair[1]), pair[0]))
    return [Finding(rank, number, claim.key, finding_sentence(claim), claim.verdict, claim.ours,
                    claim.evidence.seeds, claim.evidence.page)
            for rank, (number, claim) in enumerate(chosen, start=1)]


def untestable(claims: list[Claim]) -> list[tuple[int, Claim]]:
    """The claims this build cannot test, with their ledger numbers: the rows listed below the findings."""
    return [(number, claim) for number, claim in enumerate(claims, start=1) if not testable(claim)]


def summary_sentence(claims: list[Claim], findings: list[Finding]) -> str:
    """What the findings table is, in one sentence, counting what it leaves out; says so when nothing is testable."""
    n_testable = sum(testable(claim) for claim in claims)
    n_untestable = len(claims) - n_testable
    if not findings:
        return (f"This build can test none of the {len(claims)} claims: every one is about runs it does not train, "
                "so it reports no finding.")
    shown = ("it" if n_testable == 1 else "all of them" if len(findings) == n_testable
             else f"the {len(findings)} resting on the strongest evidence")
    return (f"This build tests {n_testable} of the {len(claims)} claims; the table shows {shown}, decisive verdicts "
            f"first, those over several seeds before those from one run. {_untestable_count(n_untestable)}")


def _untestable_count(n: int) -> str:
    if n == 0:
        return "Every claim can be tested with this build."
    return f"{n} claim{'s' if n > 1 else ''} cannot be tested with this build."
