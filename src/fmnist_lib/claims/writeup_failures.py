"""The write-up's claims about its custom CNN's errors (§5, §9): how many, the four cases it showed, and
which classes the errors fall between.

The cases are looked for in every run the write-up's protocol makes (15 epochs on 50,000 images, one per seed): a
case is supported when every run makes the same confusion among its most extreme errors of the same kind.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..analysis.thresholds import EQUIVALENT, SYSTEMATIC_SHARE, TOP_ERRORS
from ..data import writeup
from ..data.classes import FOOTWEAR, UPPER_BODY, names_of
from ..data.fashion_mnist import CLASS_NAMES, N_TEST
from ..data.writeup import CASES, Case
from . import rules
from .evidence import RunSet, not_at_protocol
from .verdicts import CONSISTENT, INCONCLUSIVE, NOT_SUPPORTED, NOT_TESTABLE, SUPPORTED, Claim, Evidence
from .writeup_baselines import CUSTOM_RUN, number_method

ERRORS = writeup.ERRORS.value  # §5: misclassified test images
TOP = TOP_ERRORS.value


def case_key(case: Case) -> str:
    """The claim key of a write-up case, by its classes: 'writeup.case.sneaker-ankle_boot'."""
    slug = [re.sub(r"\W+", "_", CLASS_NAMES[c].lower()) for c in (case.label, case.predicted)]
    return f"writeup.case.{slug[0]}-{slug[1]}"


def errors_claim(runs: RunSet | None) -> Claim:
    """§5: 703 of the 10,000 test images are misclassified: the error rate judged as an accuracy is (the same margin,
    in points), one measurement with §3's accuracy of the same run."""
    statement = f"the custom CNN misclassifies {ERRORS} of the {N_TEST:,} test images"
    if runs is None or not runs.at_protocol:
        return Claim("writeup.errors", statement, NOT_TESTABLE, not_at_protocol(runs, "the custom CNN"),
                     Evidence(runs="none", method="needs the write-up's protocol", page="failures"), theirs=str(ERRORS),
                     source="write-up §5", measurement=CUSTOM_RUN)
    rates = [100 * e / runs.test_images for e in runs.errors]
    verdict, judged, numbers = rules.compare_number(100 * ERRORS / runs.test_images, rates, n_images=runs.test_images,
                                                    what="the error rate")
    count = float(np.mean(runs.errors))
    side = "more" if count > ERRORS else "fewer"
    sentence = (f"Ours: {count:,.0f} errors {rules.seeds_phrase(runs.n)}, {abs(count - ERRORS):,.0f} {side} than the "
                f"write-up's {ERRORS} (a margin of {EQUIVALENT.value} points is "
                f"{EQUIVALENT.value * runs.test_images / 100:.0f} errors). As an error rate: {judged}")
    return Claim("writeup.errors", statement, verdict, sentence,
                 runs.evidence(number_method(runs, f"± {EQUIVALENT.value} points of error rate")),
                 ours=f"{count:,.0f}", theirs=str(ERRORS), source="write-up §5", numbers=numbers,
                 measurement=CUSTOM_RUN)


def _rank(errors: pd.DataFrame, kind: str) -> pd.Series:
    """Each error's rank among the run's errors of a kind: 1 = most confident (or most uncertain)."""
    key = errors["confidence"] if kind == "confident" else errors["entropy"]
    return key.rank(ascending=False, method="first").astype(int)


def case_instance(case: Case, errors: pd.DataFrame) -> int | None:
    """The test index of the run's most extreme instance of the case's confusion (by its kind), None if it has none."""
    same = errors[(errors["label"] == case.label) & (errors["prediction"] == case.predicted)]
    return None if same.empty else int(_rank(errors, case.kind)[same.index].idxmin())


def case_ranks(case: Case, errors: pd.DataFrame) -> tuple[int | None, int | None, int]:
    """(test index, rank, count) of the case's confusion in one run's errors: its most extreme instance, that
    instance's rank among the run's errors of the case's kind (1 = most extreme), and how often the run makes it
    (None, None, 0 when it never does)."""
    same = errors[(errors["label"] == case.label) & (errors["prediction"] == case.predicted)]
    if same.empty:
        return None, None, 0
    best = case_instance(case, errors)
    return best, int(_rank(errors, case.kind)[best]), len(same)


def case_claim(case: Case, errors: Sequence[pd.DataFrame] | pd.DataFrame | None, runs: RunSet | None,
               weights: str = "final") -> Claim:
    """One showcased case looked for in every protocol run's errors (`analysis.failures.error_table`, errors only,
    one table per seed). Supported when the confusion is among the TOP most extreme errors of its kind in every
    one of at least MIN_SEEDS seeds, not supported when in none; a confusion absent from one run is no evidence
    against it, so fewer seeds give 'consistent' or 'inconclusive'."""
    statement = (f"case: {case.case} is a{'n uncertain' if case.kind == 'uncertain' else ' confident'} error "
                 f"({case.writeup_confidence:.2%} confidence, entropy {case.writeup_entropy:.4f})")
    theirs = f"{case.writeup_confidence:.2%}, H = {case.writeup_entropy:.4f}"
    key = case_key(case)
    tables = [errors] if isinstance(errors, pd.DataFrame) else list(errors or [])
    if not tables or runs is None or not runs.at_protocol:
        return Claim(key, statement, NOT_TESTABLE, not_at_protocol(runs, "the custom CNN"),
                     Evidence(runs="none", method="needs the write-up's protocol", page="failures"), theirs=theirs,
                     source="write-up §5")
    order = "most confident" if case.kind == "confident" else "most uncertain"
    by = "confidence" if case.kind == "confident" else "entropy"
    found = [case_ranks(case, table) for table in tables]
    top = [rank is not None and rank <= TOP for _, rank, _ in found]
    n = len(tables)
    if n >= rules.ENOUGH_SEEDS:
        verdict = SUPPORTED if all(top) else NOT_SUPPORTED if not any(top) else INCONCLUSIVE
    else:
        verdict = CONSISTENT if all(top) else INCONCLUSIVE
    ranks = ", ".join("absent" if rank is None else f"{rank}" for _, rank, _ in found)
    sentence = (f"Ranked by {by} among each run's errors, the {order} instance of this confusion ranks {ranks} "
                f"{rules.seeds_phrase(n)} (among the {TOP} {order} in {sum(top)} of {n}).")
    if n < rules.ENOUGH_SEEDS and not all(top):
        sentence += (f" A confusion missing from the extremes of fewer than {rules.ENOUGH_SEEDS} runs is no evidence "
                     "against it.")
    first_index, first_rank, first_count = found[0]
    if first_index is not None:
        row = tables[0].loc[first_index]
        sentence += (f" In seed {runs.seeds[0] if runs.seeds else 'one'}'s run it occurs {rules.times(first_count)}; "
                     f"test image {first_index} has {row['confidence']:.2%} confidence and entropy {row['entropy']:.4f}.")
        ours = f"#{first_index}: {row['confidence']:.2%}, H = {row['entropy']:.4f}" + (f"; ranks {ranks}" if n > 1 else "")
    else:
        ours = f"ranks {ranks}"
    evidence = runs.evidence(f"each run's errors ({weights} weights) ranked by {by}", page="failures")
    return Claim(key, statement, verdict, sentence, evidence, ours=ours, theirs=theirs, source="write-up §5",
                 numbers={"ranks": [rank for _, rank, _ in found], "counts": [count for _, _, count in found],
                          "test_index": first_index, "rank": first_rank, "count": first_count})


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
    verdict = rules.at_seeds(SUPPORTED if min(shares) >= SYSTEMATIC_SHARE.value else NOT_SUPPORTED, len(shares))
    upper, shoes = (rules.join_names(names_of(group)) for group in (UPPER_BODY, FOOTWEAR))
    sentence = (f"{100 * np.mean(shares):.1f} % of the errors are an upper-body garment taken for another ({upper}) "
                f"or a shoe for another shoe ({shoes}) {rules.seeds_phrase(len(shares))}"
                + (f" (lowest run {100 * min(shares):.1f} %)" if len(shares) > 1 else "") + ".")
    return Claim("writeup.confusion_groups", statement, verdict, sentence,
                 runs.evidence("share of errors within the two groups", page="failures"),
                 ours=f"{100 * np.mean(shares):.1f} % of errors", theirs="systematic", source="write-up §9",
                 numbers={"shares": shares})
