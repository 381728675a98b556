"""The write-up's claims about its custom CNN's errors (§5, §9): how many, the four cases it showed, and
which classes the errors fall between.

The cases are looked for in the run the write-up's protocol makes (15 epochs on 50,000 images): a case
is reproduced when our run makes the same confusion among its most extreme errors of the same kind.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..analysis.failures import of_kind
from ..analysis.thresholds import SYSTEMATIC_SHARE, TOP_ERRORS
from ..data import writeup
from ..data.classes import FOOTWEAR, UPPER_BODY, names_of
from ..data.fashion_mnist import CLASS_NAMES, N_TEST
from ..data.writeup import CASES, Case
from . import rules
from .evidence import RunSet, not_at_protocol
from .verdicts import (CONTRADICTED, NOT_SUPPORTED, NOT_TESTABLE, REPRODUCED, SUPPORTED, Claim, Evidence)

ERRORS = writeup.ERRORS.value  # §5: misclassified test images
TOP = TOP_ERRORS.value


def case_key(case: Case) -> str:
    """The claim key of a write-up case, by its classes: 'writeup.case.sneaker-ankle_boot'."""
    slug = [re.sub(r"\W+", "_", CLASS_NAMES[c].lower()) for c in (case.label, case.predicted)]
    return f"writeup.case.{slug[0]}-{slug[1]}"


def errors_claim(runs: RunSet | None) -> Claim:
    """§5: 703 of the 10,000 test images are misclassified."""
    statement = f"the custom CNN misclassifies {ERRORS} of the {N_TEST:,} test images"
    if runs is None or not runs.at_protocol:
        return Claim("writeup.errors", statement, NOT_TESTABLE, not_at_protocol(runs, "the custom CNN"),
                     Evidence(runs="none", method="needs the write-up's protocol", page="failures"), theirs=str(ERRORS),
                     source="write-up §5")
    rates = [100 * e / runs.test_images for e in runs.errors]
    verdict, _, numbers = rules.compare_number(100 * ERRORS / runs.test_images, rates, n_images=runs.test_images,
                                               what="the error count")
    count, tolerance = np.mean(runs.errors), numbers["tolerance"] * runs.test_images / 100
    side = "more" if count > ERRORS else "fewer"
    sentence = (f"Ours: {count:,.0f} errors {rules.seeds_phrase(runs.n)}, {abs(count - ERRORS):,.0f} {side} than the "
                f"write-up's {ERRORS}; {'within' if verdict == REPRODUCED else 'outside'} ± {tolerance:.0f} "
                f"({'the prediction interval over our seeds' if runs.n > 1 else 'twice the sampling error'}).")
    return Claim("writeup.errors", statement, verdict, sentence, runs.evidence("error count against the same interval "
                 "as the accuracy"), ours=f"{count:,.0f}", theirs=str(ERRORS), source="write-up §5", numbers=numbers)


def _rank(errors: pd.DataFrame, kind: str) -> pd.Series:
    """Each error's rank among the run's errors of a kind: 1 = most confident (or most uncertain)."""
    key = errors["confidence"] if kind == "confident" else errors["entropy"]
    return key.rank(ascending=False, method="first").astype(int)


def case_instance(case: Case, errors: pd.DataFrame) -> int | None:
    """The test index of the run's most extreme instance of the case's confusion (by its kind), None if it has none."""
    same = errors[(errors["label"] == case.label) & (errors["prediction"] == case.predicted)]
    return None if same.empty else int(_rank(errors, case.kind)[same.index].idxmin())


def case_claim(case: Case, errors: pd.DataFrame | None, runs: RunSet | None, weights: str = "final") -> Claim:
    """One showcased case looked for in our protocol run's errors (an `analysis.failures.error_table`, errors only)."""
    statement = (f"case: {case.case} is a{'n uncertain' if case.kind == 'uncertain' else ' confident'} error "
                 f"({case.writeup_confidence:.2%} confidence, entropy {case.writeup_entropy:.4f})")
    theirs = f"{case.writeup_confidence:.2%}, H = {case.writeup_entropy:.4f}"
    key = case_key(case)
    if errors is None or runs is None or not runs.at_protocol:
        return Claim(key, statement, NOT_TESTABLE, not_at_protocol(runs, "the custom CNN"),
                     Evidence(runs="none", method="needs the write-up's protocol", page="failures"), theirs=theirs,
                     source="write-up §5")
    ranks = _rank(errors, case.kind)
    same = errors[(errors["label"] == case.label) & (errors["prediction"] == case.predicted)]
    evidence = runs.evidence(f"its errors ({weights} weights) ranked by {'confidence' if case.kind == 'confident' else 'entropy'}",
                             page="failures")
    if same.empty:
        return Claim(key, statement, CONTRADICTED, f"Our run never takes a {case.case.split(' → ')[0]} for a "
                     f"{case.case.split(' → ')[1]} {rules.seeds_phrase(runs.n)}.", evidence, ours="no such error",
                     theirs=theirs, source="write-up §5")
    best = case_instance(case, errors)
    row, rank = same.loc[best], int(ranks[best])
    verdict = REPRODUCED if rank <= TOP else SUPPORTED if of_kind(row, case.kind) else NOT_SUPPORTED
    order = "most confident" if case.kind == "confident" else "most uncertain"
    sentence = (f"Our run makes this confusion {rules.times(len(same))}; its {order} instance, "
                f"test image {best}, has {row['confidence']:.2%} confidence and entropy {row['entropy']:.4f} and ranks "
                f"{rank} among all {len(errors):,} errors by {'confidence' if case.kind == 'confident' else 'entropy'}"
                f" ({'among' if rank <= TOP else 'outside'} the {TOP} {order}).")
    return Claim(key, statement, verdict, sentence, evidence, ours=f"#{best}: {row['confidence']:.2%}, "
                 f"H = {row['entropy']:.4f}", theirs=theirs, source="write-up §5",
                 numbers={"test_index": int(best), "rank": rank, "count": len(same)})


def confusion_groups_claim(errors: list[pd.DataFrame], runs: RunSet | None) -> Claim:
    """§9: the errors are systematic confusions among footwear and among upper-body garments.

    `errors`: one error table per run. Supported when at least half of the errors fall within one of the
    two groups in every run.
    """
    statement = "the errors are mostly confusions among footwear and among upper-body garments"
    if runs is None or not runs.at_protocol or not errors:
        return Claim("writeup.confusion_groups", statement, NOT_TESTABLE, not_at_protocol(runs, "the custom CNN"),
                     Evidence(runs="none", method="needs runs", page="failures"), source="write-up §9")
    shares = []
    for table in errors:
        within = (table["label"].isin(UPPER_BODY) & table["prediction"].isin(UPPER_BODY)) | \
                 (table["label"].isin(FOOTWEAR) & table["prediction"].isin(FOOTWEAR))
        shares.append(float(within.mean()) if len(table) else 0.0)
    verdict = SUPPORTED if min(shares) >= SYSTEMATIC_SHARE.value else NOT_SUPPORTED
    upper, shoes = (rules.join_names(names_of(group)) for group in (UPPER_BODY, FOOTWEAR))
    sentence = (f"{100 * np.mean(shares):.1f} % of the errors are an upper-body garment taken for another ({upper}) "
                f"or a shoe for another shoe ({shoes}) {rules.seeds_phrase(len(shares))}"
                + (f" (lowest run {100 * min(shares):.1f} %)" if len(shares) > 1 else "") + ".")
    return Claim("writeup.confusion_groups", statement, verdict, sentence,
                 runs.evidence("share of errors within the two groups", page="failures"),
                 ours=f"{100 * np.mean(shares):.1f} % of errors", theirs="systematic", source="write-up §9",
                 numbers={"shares": shares})
