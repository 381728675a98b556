"""The second witness on hand-made claims: printed values attached, disagreements said, ours judged against both."""

import numpy as np
import pandas as pd
import pytest

from fmnist_lib.claims import witnesses as w
from fmnist_lib.claims import writeup_augmentation as wa
from fmnist_lib.claims import writeup_baselines as wb
from fmnist_lib.claims.evidence import RunSet
from fmnist_lib.claims.verdicts import CONSISTENT, CONTRADICTED, REPRODUCED, claims_table
from fmnist_lib.data import writeup
from fmnist_lib.data.writeup_printed import printed_for


def runset(accuracies=(92.9,), losses=(0.20,), histories=()):
    return RunSet(label="Custom CNN", epochs=15, train_images=50_000, seeds=tuple(range(56, 56 + len(accuracies))),
                  accuracies=tuple(accuracies), losses=tuple(losses), errors=(700,) * len(accuracies),
                  histories=tuple(histories))


def second_accuracy(accuracies):
    return wb.accuracy_claim("custom_cnn", runset(accuracies), writeup.CUSTOM_SECOND_ACCURACY, wb.SOURCE_4,
                             key="writeup.custom_second_accuracy")


def test_agreement_is_the_printed_rounding():
    printed = printed_for("writeup.accuracy.custom_cnn")[0]  # 92.97, two decimals
    assert w.agrees(92.97, printed) and w.agrees(92.974, printed) and w.agrees(92.965, printed)
    assert not w.agrees(92.976, printed) and not w.agrees(writeup.CUSTOM_SECOND_ACCURACY.value, printed)


def test_an_agreeing_row_shows_the_printed_value_and_no_note():
    claim, = w.attach([wb.accuracy_claim("custom_cnn", runset())])
    assert claim.printed == "92.97 %" and claim.printed_note == ""
    assert claim.printed_source == "Experimenting_with_models.ipynb, cell 28"


def test_a_differing_row_says_so_and_judges_ours_against_both():
    near_text, = w.attach([second_accuracy((93.6, 93.55, 93.65))])  # 0.39 from the text's 93.21, 0.63 from 92.97
    assert near_text.verdict == REPRODUCED and "differ" in near_text.printed_note
    assert "the text's 93.21 against 92.97 % printed" in near_text.printed_note
    assert f"ours is {CONTRADICTED}" in near_text.printed_note and "the printed 92.97 %" in near_text.printed_note
    near_printed, = w.attach([second_accuracy((92.9,))])
    assert f"ours is {CONSISTENT}" in near_printed.printed_note  # one seed: never a reproduction


def test_judging_against_the_printed_number_uses_the_seed_spread_with_several_runs():
    claim, = w.attach([second_accuracy((92.9, 93.0, 92.95))])
    assert "TOST" in claim.printed_note and f"ours is {REPRODUCED}" in claim.printed_note


def test_a_row_without_our_runs_still_shows_the_printed_value():
    claim, = w.attach([wb.test_loss_claim(None)])
    assert claim.printed == "0.1913" and "no run of ours" in claim.printed_note
    assert "the text's 0.2390 against 0.1913 printed" in claim.printed_note


def test_the_loss_is_judged_without_points():
    claim, = w.attach([wb.test_loss_claim(runset(losses=(0.19,)), loss_errors=(0.006,))])
    assert claim.verdict == CONTRADICTED and f"ours is {CONSISTENT}" in claim.printed_note
    assert "points" not in claim.printed_note and "0.0200 nats" in claim.printed_note  # the loss's own margin


def test_the_gap_is_judged_against_the_printed_gap():
    curve = pd.DataFrame({"epoch": range(1, 16), "train_acc": np.full(15, 0.945), "val_acc": np.full(15, 0.938),
                          "train_loss": np.linspace(0.5, 0.15, 15), "val_loss": np.linspace(0.3, 0.18, 15)})
    claim, = w.attach([wb.gap_claim(runset(histories=[curve]))])
    assert claim.verdict == CONTRADICTED and claim.printed == "94.46 / 93.78 %"
    assert f"ours is {CONSISTENT}" in claim.printed_note and "the printed 0.68 points" in claim.printed_note


def test_curve_claims_are_measured_on_the_printed_histories():
    opens, stable = w.attach([wb.gap_opens_claim(None), wb.stability_claim(None)])
    assert opens.printed == "epoch never" and "does not bear the text out" in opens.printed_note
    assert stable.printed == "largest fall 0.26 points" and stable.printed_note == ""
    assert "cell 28" in stable.printed_source and stable.printed_source.startswith("history printed in")


def test_the_gain_row_names_the_like_for_like_pair_they_printed():
    claim, = w.attach([wa.augmentation_gain_claim(None)])
    assert claim.printed == "92.43 % against 92.97 % at 15 epochs"
    assert "0.54 points below" in claim.printed_note


def test_two_printed_runs_of_one_cell_are_both_shown():
    claim, = w.attach([wa.augmented_accuracy_claim(None)])
    assert claim.printed == "93.24 % and 93.32 %" and "The other printed number agrees" in claim.printed_note


def test_a_claim_they_printed_nothing_on_is_unchanged_and_the_table_has_the_column():
    capacity = wb.capacity_claim(None, {})
    assert w.attach([capacity]) == [capacity] and w.disagreeing([capacity]) == []
    table = claims_table(w.attach([capacity, second_accuracy((92.9,))]))
    assert list(table["printed"]) == ["", "92.97 %"]
    assert table.columns.get_loc("printed") == table.columns.get_loc("write-up") + 1
    with pytest.raises(KeyError):
        w.text_numbers("writeup.accuracy.lenet")


def test_the_claims_page_shows_the_printed_column_and_its_sources():
    from fmnist_lib.report.pages import claims as page

    claims = w.attach([wb.accuracy_claim("custom_cnn", runset()), second_accuracy((92.9,)), wb.stability_claim(None),
                       wb.capacity_claim(None, {})])
    frame = page.claims_frame(claims)
    assert list(frame.columns[3:5]) == ["write-up", "their notebooks printed"]
    assert frame["their notebooks printed"].tolist() == ["92.97 %", "92.97 % <em>(differs from the text)</em>",
                                                         "largest fall 0.26 points", ""]
    sources = page.printed_sources(claims)
    assert sources["#"].tolist() == [1, 2, 3] and sources.loc[0, "printed"] == "Final Test Accuracy: 92.97%"
    assert sources.loc[2, "notebook and cell"] == "Experimenting_with_models.ipynb, cell 28"
    assert "cell 27" in sources.loc[0, "also printed in"] and "<table" in page.printed_html(claims)
    assert "ours is consistent" in page.details_markdown(claims).splitlines()[1]
    assert page.forensics_markdown(claims[:1], {}).startswith("No row is contradicted")
