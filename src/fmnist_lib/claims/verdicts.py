"""What a claim is: a sentence, its numbers, the evidence behind it and a verdict from a fixed vocabulary.

Every sentence of the report that states a result is a `Claim` made by a function of the claims
stage. The verdict vocabulary is small and closed so that a reader (and a test) can tell at a glance
what was shown, and so that "the evidence cannot say" is a verdict like any other rather than a
sentence someone forgot to write.

"Reproduced" and "supported" need at least `MIN_SEEDS` seeds: a claim with fewer cannot carry them (the
constructor refuses), and reads "consistent" instead. Every verdict cell says how many seeds it rests on
(`verdict_cell`), and claims that re-state one measurement of the write-up (its custom CNN's 92.97 %, 93.21 % and
703 errors are one run) share a `measurement`, so totals count that measurement once (`measurement_counts`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..analysis.thresholds import MIN_SEEDS

# A number of the write-up shown equivalent to ours over seeds (or shown to differ, or a statement shown the
# other way round), a statement borne out (or not) by a test over seeds, a number or statement that fewer seeds
# than a test needs agree with, evidence too thin to decide, or a claim this build cannot test at all.
REPRODUCED = "reproduced"
CONTRADICTED = "contradicted"
SUPPORTED = "supported"
CONSISTENT = "consistent"
NOT_SUPPORTED = "not supported"
INCONCLUSIVE = "inconclusive"
NOT_TESTABLE = "not testable with this build"
VERDICTS = (REPRODUCED, CONTRADICTED, SUPPORTED, CONSISTENT, NOT_SUPPORTED, INCONCLUSIVE, NOT_TESTABLE)
NEEDS_SEEDS = (REPRODUCED, SUPPORTED)  # verdicts no claim may carry on fewer than MIN_SEEDS seeds


@dataclass(frozen=True)
class Evidence:
    """What a verdict rests on, in words a reader can check: runs, seeds, budget, images, the test used."""

    runs: str  # e.g. "the custom CNN, 15 epochs on 50,000 images, 5 seeds"
    method: str  # e.g. "equivalence test (TOST) over the seeds, margin ± 0.5 points"
    page: str = ""  # the section whose page shows the evidence ("" when none does)
    seeds: int = 0
    images: int = 0  # test (or other) images the numbers were measured on

    def text(self) -> str:
        return f"{self.runs}; {self.method}"


@dataclass(frozen=True)
class Claim:
    """One claim and its verdict. `sentence` is what a page prints; `ours` and `theirs` are display strings."""

    key: str
    statement: str  # the claim itself, neutral (e.g. "VGG-16 reaches 92.03 % test accuracy")
    verdict: str
    sentence: str
    evidence: Evidence
    ours: str = ""
    theirs: str = ""
    source: str = ""  # where the claim comes from, e.g. "write-up §3" or "this report"
    numbers: dict = field(default_factory=dict)  # the values behind the sentence, for glue and tests
    measurement: str = ""  # claims re-stating one measurement share this (totals count it once); "" = its key
    # The second witness (`claims.witnesses`): what the write-up's own notebooks printed, where, and a sentence when
    # it differs from the text (with ours judged against it); "" where the notebooks printed nothing on the claim.
    printed: str = ""
    printed_source: str = ""
    printed_note: str = ""

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"unknown verdict {self.verdict!r}; one of {VERDICTS}")
        if self.verdict in NEEDS_SEEDS and self.evidence.seeds < MIN_SEEDS.value:
            raise ValueError(f"claim {self.key!r} is {self.verdict!r} on {self.evidence.seeds} seed(s); that needs at "
                             f"least {MIN_SEEDS.value:.0f} (use rules.at_seeds, which says 'consistent')")


def seeds_text(n: int) -> str:
    """'1 seed', '3 seeds'."""
    return f"{n} seed{'' if n == 1 else 's'}"


def verdict_cell(claim: Claim) -> str:
    """The verdict as a table cell shows it, with the seeds it rests on: 'reproduced, 3 seeds', 'consistent, 1 seed'
    ('not testable with this build' alone, and a claim whose evidence counts no seeds, alone too)."""
    if claim.verdict == NOT_TESTABLE or claim.evidence.seeds <= 0:
        return claim.verdict
    return f"{claim.verdict}, {seeds_text(claim.evidence.seeds)}"


def claims_table(claims) -> pd.DataFrame:
    """One row per claim, in the order given: what a claims page or a closing note lists."""
    rows = [{"claim": claim.statement, "source": claim.source, "write-up": claim.theirs, "printed": claim.printed,
             "ours": claim.ours, "verdict": claim.verdict, "seeds": claim.evidence.seeds,
             "verdict cell": verdict_cell(claim), "evidence": claim.evidence.text(), "page": claim.evidence.page,
             "key": claim.key, "measurement": claim.measurement or claim.key} for claim in claims]
    return pd.DataFrame(rows, columns=["claim", "source", "write-up", "printed", "ours", "verdict", "seeds",
                                       "verdict cell", "evidence", "page", "key", "measurement"])


def verdict_counts(claims) -> dict[str, int]:
    """How many claims got each verdict (every verdict listed, zeros included), in vocabulary order."""
    counts = {verdict: 0 for verdict in VERDICTS}
    for claim in claims:
        counts[claim.verdict] += 1
    return counts


def measurement_verdicts(claims) -> dict[str, str]:
    """One verdict per measurement, in order of first appearance: its claims' common verdict, or 'inconclusive' when
    the numbers of one measurement get different verdicts (the write-up then disagrees with itself)."""
    found: dict[str, set[str]] = {}
    for claim in claims:
        found.setdefault(claim.measurement or claim.key, set()).add(claim.verdict)
    return {name: verdicts.pop() if len(verdicts) == 1 else INCONCLUSIVE for name, verdicts in found.items()}


def measurement_counts(claims) -> dict[str, int]:
    """How many measurements got each verdict (`measurement_verdicts`), every verdict listed, in vocabulary order."""
    counts = {verdict: 0 for verdict in VERDICTS}
    for verdict in measurement_verdicts(claims).values():
        counts[verdict] += 1
    return counts
