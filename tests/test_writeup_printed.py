"""The write-up's printed output as data: every number quoted with its line, cell and claim, consistent with itself."""

import re

import pytest

from fmnist_lib.claims import writeup_baselines as wb
from fmnist_lib.claims import writeup_failures as wf
from fmnist_lib.data import writeup
from fmnist_lib.data import writeup_printed as wp


def ledger_keys() -> set[str]:
    """Claim keys the ledger makes, from the claim functions themselves (their not-testable branch)."""
    keys = {wb.accuracy_claim(model, None).key for model in writeup.ACCURACY}
    keys |= {wf.case_key(case) for case in writeup.CASES}
    return keys | {"writeup.custom_second_accuracy", "writeup.custom_test_loss", "writeup.custom_gap", "writeup.errors",
                   "writeup.augmented_accuracy", "writeup.augmentation_gain", "writeup.crop_flip_erase_accuracy"}


def test_every_printed_number_is_in_its_quoted_line():
    for printed in wp.PRINTED:
        shown = 100 * printed.value if "Confidence" in printed.line else printed.value
        digits = 2 if "Confidence" in printed.line else printed.digits
        assert f"{shown:.{digits}f}" in printed.line, printed
        assert printed.notebook in (wp.MODELS, wp.FAILURES, wp.AUGMENTED) and printed.cell >= 0
        assert printed.output in ("stream", "figure") and printed.quantity


def test_printed_numbers_witness_claims_the_ledger_makes():
    assert {printed.claim for printed in wp.PRINTED} <= ledger_keys()
    assert wb.gap_claim(None).key == "writeup.custom_gap" and wf.errors_claim(None).key == "writeup.errors"


def test_where_names_notebook_cell_and_execution_count():
    loss = wp.printed_for("writeup.custom_test_loss")[0]
    assert loss.where == "Experimenting_with_models.ipynb, cell 28" and loss.value == pytest.approx(0.1913)
    second_run = wp.printed_for("writeup.augmented_accuracy")[1]
    assert second_run.where == f"{wp.AUGMENTED}, cell 35 (execution 41)"
    assert all(re.fullmatch(r".+\.ipynb, cell \d+( \(execution \d+\))?", place) for p in wp.PRINTED for place in p.also)
    assert re.fullmatch(r"[0-9a-f]{40}", wp.COMMIT) and wp.REPOSITORY.count("/") == 1


def test_printed_for_keeps_order_and_knows_claims_without_output():
    gap = wp.printed_for("writeup.custom_gap")
    assert [p.value for p in gap] == [94.46, 93.78] and "Train Acc" in gap[0].line and "Val Acc" in gap[1].line
    assert [p.value for p in wp.printed_for("writeup.augmented_accuracy")] == [93.24, 93.32]
    assert wp.printed_for("writeup.capacity") == () and wp.printed_for("no such claim") == ()


def test_the_texts_section_4_numbers_are_not_what_the_notebooks_printed():
    printed = {(p.claim, p.value) for p in wp.PRINTED}
    assert ("writeup.custom_second_accuracy", writeup.CUSTOM_SECOND_ACCURACY.value) not in printed
    assert ("writeup.custom_test_loss", writeup.CUSTOM_TEST_LOSS.value) not in printed
    assert ("writeup.custom_gap", writeup.TRAIN_ACC_END.value) not in printed


def test_histories_read_like_a_runs_history_and_match_the_printed_last_epoch():
    for history in wp.HISTORIES.values():
        frame = history.frame()
        assert list(frame.columns) == ["epoch", "train_loss", "train_acc", "val_loss", "val_acc"]
        assert list(frame.epoch) == list(range(1, 16)) and frame[["train_acc", "val_acc"]].le(1).all().all()
    last = wp.HISTORIES["custom_cnn"].frame().iloc[-1]
    train, val = wp.printed_for("writeup.custom_gap")
    assert 100 * last.train_acc == pytest.approx(train.value) and 100 * last.val_acc == pytest.approx(val.value)
    assert wp.HISTORIES["custom_cnn_flip_rotate"].augment and not wp.HISTORIES["resnet18"].augment
    assert wp.HISTORIES["custom_cnn"].frame() is not wp.HISTORIES["custom_cnn"].frame()  # a fresh table each time
