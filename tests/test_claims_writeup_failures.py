"""The write-up's error and case claims on hand-made error tables."""

import pandas as pd
import pytest

from fmnist_lib.claims import writeup_failures as wf
from fmnist_lib.claims.evidence import RunSet
from fmnist_lib.claims.verdicts import (CONSISTENT, CONTRADICTED, INCONCLUSIVE, NOT_SUPPORTED, NOT_TESTABLE,
                                        REPRODUCED, SUPPORTED, verdict_cell)

PROTOCOL = RunSet(label="Custom CNN", epochs=15, train_images=50_000, seeds=(56,), accuracies=(93.1,), errors=(690,))


def errors_table(rows):
    """rows: (test index, label, prediction, confidence, entropy)."""
    frame = pd.DataFrame(rows, columns=["index", "label", "prediction", "confidence", "entropy"]).set_index("index")
    return frame


FILLER = [(1000 + i, 6, 0, 0.6 + 0.003 * i, 0.9 - 0.005 * i) for i in range(40)]  # shirt -> T-shirt, middling


THREE = RunSet(label="Custom CNN", epochs=15, train_images=50_000, seeds=(56, 57, 58), accuracies=(93.1, 93.0, 92.9),
               errors=(690, 700, 710))


def test_error_count_against_the_write_up():
    claim = wf.errors_claim(PROTOCOL)
    assert claim.verdict == CONSISTENT and claim.measurement == "writeup.custom_run"  # one seed: no reproduction
    assert wf.errors_claim(THREE).verdict == REPRODUCED
    far = RunSet(label="Custom CNN", epochs=15, train_images=50_000, seeds=(56,), accuracies=(91.0,), errors=(900,))
    claim = wf.errors_claim(far)
    assert claim.verdict == CONTRADICTED and "197 more than the write-up's 703" in claim.sentence
    assert wf.errors_claim(None).verdict == NOT_TESTABLE


def test_a_case_among_the_extremes_in_one_run_is_only_consistent():
    table = errors_table(FILLER + [(7, 7, 9, 0.999, 0.01)])  # sneaker -> ankle boot, the most confident
    claim = wf.case_claim(wf.CASES[2], [table], PROTOCOL)
    assert claim.verdict == CONSISTENT and claim.numbers["ranks"] == [1] and claim.numbers["test_index"] == 7
    assert "test image 7" in claim.sentence and verdict_cell(claim) == "consistent, 1 seed"


def test_a_case_is_judged_over_every_protocol_seed():
    top = errors_table(FILLER + [(7, 7, 9, 0.999, 0.01)])
    confident_filler = [(2000 + i, 6, 0, 0.995, 0.02) for i in range(20)]
    outside = errors_table(FILLER + confident_filler + [(8, 7, 9, 0.95, 0.2)])  # confident, but ranks 21st
    absent = errors_table(FILLER)
    assert wf.case_claim(wf.CASES[2], [top, top, top], THREE).verdict == SUPPORTED
    mixed = wf.case_claim(wf.CASES[2], [top, outside, absent], THREE)
    assert mixed.verdict == INCONCLUSIVE and mixed.numbers["ranks"] == [1, 21, None] and "1, 21, absent" in mixed.sentence
    assert wf.case_claim(wf.CASES[2], [outside, absent, outside], THREE).verdict == NOT_SUPPORTED


def test_a_confusion_absent_from_one_run_is_no_evidence_against_it():
    table = errors_table(FILLER + [(5, 8, 3, 0.25, 2.0)])  # bag -> dress, the most uncertain
    assert wf.case_claim(wf.CASES[1], [table], PROTOCOL).verdict == CONSISTENT
    claim = wf.case_claim(wf.CASES[0], [table], PROTOCOL)  # no pullover -> trouser at all
    assert claim.verdict == INCONCLUSIVE and "no evidence against it" in claim.sentence
    assert wf.case_claim(wf.CASES[0], None, None).verdict == NOT_TESTABLE
    assert wf.case_claim(wf.CASES[0], [], PROTOCOL).verdict == NOT_TESTABLE


def test_confusion_groups_need_half_the_errors_in_every_run():
    grouped = errors_table([(i, 6, 0, 0.9, 0.3) for i in range(6)] + [(10 + i, 8, 3, 0.9, 0.3) for i in range(4)])
    claim = wf.confusion_groups_claim([grouped], PROTOCOL)
    assert claim.verdict == CONSISTENT and claim.numbers["shares"] == [pytest.approx(0.6)]
    assert wf.confusion_groups_claim([grouped] * 3, THREE).verdict == SUPPORTED
    scattered = errors_table([(i, 6, 0, 0.9, 0.3) for i in range(4)] + [(10 + i, 8, 3, 0.9, 0.3) for i in range(6)])
    assert wf.confusion_groups_claim([grouped, scattered], PROTOCOL).verdict == NOT_SUPPORTED
