"""The write-up's error and case claims on hand-made error tables."""

import pandas as pd
import pytest

from fmnist_lib.claims import writeup_failures as wf
from fmnist_lib.claims.evidence import RunSet
from fmnist_lib.claims.verdicts import CONTRADICTED, NOT_SUPPORTED, NOT_TESTABLE, REPRODUCED, SUPPORTED

PROTOCOL = RunSet(label="Custom CNN", epochs=15, train_images=50_000, seeds=(56,), accuracies=(93.1,), errors=(690,))


def errors_table(rows):
    """rows: (test index, label, prediction, confidence, entropy)."""
    frame = pd.DataFrame(rows, columns=["index", "label", "prediction", "confidence", "entropy"]).set_index("index")
    return frame


FILLER = [(1000 + i, 6, 0, 0.6 + 0.003 * i, 0.9 - 0.005 * i) for i in range(40)]  # shirt -> T-shirt, middling


def test_error_count_against_the_write_up():
    assert wf.errors_claim(PROTOCOL).verdict == REPRODUCED
    far = RunSet(label="Custom CNN", epochs=15, train_images=50_000, seeds=(56,), accuracies=(91.0,), errors=(900,))
    claim = wf.errors_claim(far)
    assert claim.verdict == CONTRADICTED and "197 more than the write-up's 703" in claim.sentence
    assert wf.errors_claim(None).verdict == NOT_TESTABLE


def test_a_case_among_the_extremes_is_reproduced():
    table = errors_table(FILLER + [(7, 7, 9, 0.999, 0.01)])  # sneaker -> ankle boot, the most confident
    claim = wf.case_claim(wf.CASES[2], table, PROTOCOL)
    assert claim.verdict == REPRODUCED and claim.numbers == {"test_index": 7, "rank": 1, "count": 1}
    assert "test image 7" in claim.sentence and "at this seed" not in claim.sentence  # count sentence, no seed words


def test_a_confident_case_outside_the_extremes_is_supported_a_middling_one_not():
    confident_filler = [(2000 + i, 6, 0, 0.995, 0.02) for i in range(20)]
    table = errors_table(FILLER + confident_filler + [(8, 7, 9, 0.95, 0.2)])
    assert wf.case_claim(wf.CASES[2], table, PROTOCOL).verdict == SUPPORTED
    table = errors_table(FILLER + confident_filler + [(9, 7, 9, 0.55, 0.9)])
    assert wf.case_claim(wf.CASES[2], table, PROTOCOL).verdict == NOT_SUPPORTED


def test_an_uncertain_case_ranks_by_entropy_and_a_missing_confusion_is_contradicted():
    table = errors_table(FILLER + [(5, 8, 3, 0.25, 2.0)])  # bag -> dress, the most uncertain
    assert wf.case_claim(wf.CASES[1], table, PROTOCOL).verdict == REPRODUCED
    claim = wf.case_claim(wf.CASES[0], table, PROTOCOL)  # no pullover -> trouser at all
    assert claim.verdict == CONTRADICTED and "never takes a Pullover for a Trouser" in claim.sentence
    assert wf.case_claim(wf.CASES[0], None, None).verdict == NOT_TESTABLE


def test_confusion_groups_need_half_the_errors_in_every_run():
    grouped = errors_table([(i, 6, 0, 0.9, 0.3) for i in range(6)] + [(10 + i, 8, 3, 0.9, 0.3) for i in range(4)])
    claim = wf.confusion_groups_claim([grouped], PROTOCOL)
    assert claim.verdict == SUPPORTED and claim.numbers["shares"] == [pytest.approx(0.6)]
    scattered = errors_table([(i, 6, 0, 0.9, 0.3) for i in range(4)] + [(10 + i, 8, 3, 0.9, 0.3) for i in range(6)])
    assert wf.confusion_groups_claim([grouped, scattered], PROTOCOL).verdict == NOT_SUPPORTED
