"""What a claim is: a sentence, its numbers, the evidence behind it and a verdict from a fixed vocabulary.

Every sentence of the report that states a result is a `Claim` made by a function of the claims
stage. The verdict vocabulary is small and closed so that a reader (and a test) can tell at a glance
what was shown, and so that "the evidence cannot say" is a verdict like any other rather than a
sentence someone forgot to write.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

# A number of the write-up found again in our runs (or not), a statement borne out (or not) by a test
# or an interval, evidence too thin to decide, or a claim this build cannot test at all.
REPRODUCED = "reproduced"
CONTRADICTED = "contradicted"
SUPPORTED = "supported"
NOT_SUPPORTED = "not supported"
INCONCLUSIVE = "inconclusive"
NOT_TESTABLE = "not testable with this build"
VERDICTS = (REPRODUCED, CONTRADICTED, SUPPORTED, NOT_SUPPORTED, INCONCLUSIVE, NOT_TESTABLE)


@dataclass(frozen=True)
class Evidence:
    """What a verdict rests on, in words a reader can check: runs, seeds, budget, images, the test used."""

    runs: str  # e.g. "the custom CNN, 15 epochs on 50,000 images, 5 seeds"
    method: str  # e.g. "95 % prediction interval of one run over the seeds"
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
    # The second witness (`claims.witnesses`): what the write-up's own notebooks printed, where, and a sentence when
    # it differs from the text (with ours judged against it); "" where the notebooks printed nothing on the claim.
    printed: str = ""
    printed_source: str = ""
    printed_note: str = ""

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"unknown verdict {self.verdict!r}; one of {VERDICTS}")


def claims_table(claims) -> pd.DataFrame:
    """One row per claim, in the order given: what a claims page or a closing note lists."""
    rows = [{"claim": claim.statement, "source": claim.source, "write-up": claim.theirs, "printed": claim.printed,
             "ours": claim.ours, "verdict": claim.verdict, "evidence": claim.evidence.text(), "page": claim.evidence.page,
             "key": claim.key} for claim in claims]
    return pd.DataFrame(rows, columns=["claim", "source", "write-up", "printed", "ours", "verdict", "evidence", "page",
                                       "key"])


def verdict_counts(claims) -> dict[str, int]:
    """How many claims got each verdict (every verdict listed, zeros included), in vocabulary order."""
    counts = {verdict: 0 for verdict in VERDICTS}
    for claim in claims:
        counts[claim.verdict] += 1
    return counts
