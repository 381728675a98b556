"""The forensic rules branch by branch with known values, and the page's forensics read from hand-made runs."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch

from fmnist_lib.claims import forensics as fx
from fmnist_lib.claims import forensics_runs as fr
from fmnist_lib.claims import writeup_baselines as wb
from fmnist_lib.claims.verdicts import CONTRADICTED, NOT_TESTABLE, REPRODUCED, Claim, Evidence
from fmnist_lib.data import writeup
from fmnist_lib.training.config import WRITEUP_MEAN, WRITEUP_STD

TEXT = writeup.CUSTOM_SECOND_ACCURACY.value  # 93.21
# One run at 92.50 % is 0.71 points below; twice its binomial error on 10,000 images is 0.53: contradicted.
ROW = fx.Quantity(TEXT, (92.5,), "the test accuracy", 10_000)


def test_a_candidate_whose_runs_land_on_the_text_is_favoured():
    found = fx.longer_baseline(ROW, [93.1])  # 0.11 from the text, within 2 x 0.25
    assert found.verdict == fx.FAVOURED and found.candidate == fx.LONGER
    assert "30 epochs: 93.10 %" in found.shows and "within" in found.shows and "92.50 %" in found.shows


def test_a_candidate_that_misses_is_not_favoured_and_says_which_way_it_moves():
    away = fx.longer_baseline(ROW, [92.4])
    towards = fx.longer_baseline(ROW, [92.6])  # 0.61 from the text, outside 2 x 0.26
    assert away.verdict == towards.verdict == fx.NOT_FAVOURED
    assert "away from" in away.shows and "towards" in towards.shows and "outside" in towards.shows


def test_nothing_to_explain_when_ours_already_land_on_the_text():
    found = fx.weigh("x", "y", fx.Quantity(TEXT, (93.2,), "the test accuracy", 10_000), [93.0], "twin")
    assert found.verdict == fx.NOT_FAVOURED and found.shows.endswith("already on it")


def test_without_runs_a_candidate_is_not_tested_and_names_the_full_build():
    found = fx.longer_baseline(ROW, None)
    assert found.verdict == fx.NOT_TESTED and found.shows == fx.FULL_BUILD_TESTS and "full build" in found.shows
    assert fx.longer_baseline(ROW, []).verdict == fx.NOT_TESTED


def test_several_seeds_are_judged_by_their_prediction_interval():
    row = fx.Quantity(TEXT, (92.4, 92.5, 92.45), "the test accuracy", 10_000)
    assert fx.longer_baseline(row, [93.1, 93.3, 93.2]).verdict == fx.FAVOURED
    assert "mean of 3 runs" in fx.longer_baseline(row, [93.1, 93.3, 93.2]).shows
    assert fx.longer_baseline(row, [92.6, 92.61, 92.62]).verdict == fx.NOT_FAVOURED  # a tight spread misses


def test_the_checkpoint_cannot_apply_when_the_best_epoch_is_the_last():
    same = fx.checkpoint_choice(ROW, [92.5], [15], 15)
    assert same.verdict == fx.NOT_FAVOURED and "the same" in same.shows
    assert fx.checkpoint_choice(ROW, [93.0], [12], 15).verdict == fx.FAVOURED
    assert fx.checkpoint_choice(ROW, [92.3], [12], 15).verdict == fx.NOT_FAVOURED
    assert fx.checkpoint_choice(ROW, None, [], 15).verdict == fx.NOT_TESTED


def test_the_accuracy_measure_needs_clean_training_accuracy():
    running = fx.Quantity(writeup.TRAIN_ACC_END.value, (94.5,), "the training accuracy", 50_000)
    missing = fx.accuracy_measure(running, None)
    assert missing.verdict == fx.NOT_TESTED and "clean training accuracy" in missing.shows
    assert fx.accuracy_measure(running, [97.4]).verdict == fx.FAVOURED  # 0.04 from 97.44, within 2 x 0.07
    assert fx.accuracy_measure(running, [96.0]).verdict == fx.NOT_FAVOURED


def test_precision_is_ruled_out_when_ours_already_train_in_fp32():
    assert fx.precision_twin(ROW, ["fp32"], None).verdict == fx.NOT_FAVOURED
    untested = fx.precision_twin(ROW, ["bf16"], None)
    assert untested.verdict == fx.NOT_TESTED and untested.shows == fx.FULL_BUILD_TESTS
    assert fx.precision_twin(ROW, ["bf16"], [93.0]).verdict == fx.FAVOURED
    assert fx.precision_twin(ROW, ["fp32", "bf16"], None).verdict == fx.NOT_TESTED


def test_normalisation_needs_a_twin_with_other_constants():
    code = (WRITEUP_MEAN, WRITEUP_STD)
    assert fx.normalisation(ROW, code, code, None).verdict == fx.NOT_TESTED
    other = fx.normalisation(ROW, code, code, [92.4], (0.5, 0.5))
    assert other.verdict == fx.NOT_FAVOURED and "mean 0.5, std 0.5" in other.shows
    assert "not the code's" in fx.normalisation(ROW, (0.5, 0.5), code, None).shows


def test_the_summary_line_names_each_verdict():
    found = [fx.longer_baseline(ROW, [93.1]), fx.checkpoint_choice(ROW, [92.5], [15], 15),
             fx.precision_twin(ROW, ["bf16"], None)]
    assert fx.summary(found) == (f"the evidence favours {fx.LONGER}; not favoured: {fx.CHECKPOINT}; "
                                 f"not tested here: {fx.PRECISION}.")
    assert fx.summary(found[1:2]).startswith("no candidate tested here explains it")
    assert fx.summary(found[2:]) == f"no candidate could be tested in this build; not tested here: {fx.PRECISION}."


class FakeRun:
    """What the forensics read of a run: config, history, best epoch, test metrics per weight set, predictions."""

    def __init__(self, final, best, best_epoch=12, epochs=15, precision="bf16", clean=None, train=0.945):
        self.config = SimpleNamespace(epochs=epochs, n_train=50_000, precision=precision, mean=WRITEUP_MEAN,
                                      std=WRITEUP_STD)
        columns = {"epoch": range(1, epochs + 1), "train_acc": np.full(epochs, train)}
        if clean is not None:
            columns["clean_train_acc"] = np.full(epochs, clean)
        self.history = pd.DataFrame(columns)
        self.metrics = {"best_epoch": best_epoch}
        self._tests = {"final": final, "best": best}

    def test_metrics(self, weights="final"):
        accuracy, loss = self._tests[weights]
        return {"accuracy": accuracy / 100, "loss": loss, "errors": round(10_000 * (1 - accuracy / 100)), "n": 10_000}

    def predictions(self, weights="final"):
        logits = torch.zeros(4, 10)
        logits[:, 0] = torch.tensor([5.0, 5.1, 4.9, 5.0])  # confident: the loss's standard error is about 0.003
        return logits, torch.zeros(4, dtype=torch.long)


def claim(key, verdict=CONTRADICTED, note=""):
    return Claim(key, "s", verdict, "x", Evidence("r", "m", seeds=3), printed_note=note)


def test_rows_are_read_from_the_page_runs():
    run = FakeRun(final=(92.5, 0.21), best=(93.1, 0.20), clean=0.974)
    runs = {"headline": {"custom_cnn": run}, "seeds": {}, "study": {}, "policies": {}}
    found = fr.explain([claim("writeup.accuracy.vgg16", REPRODUCED), claim("writeup.custom_second_accuracy"),
                        claim("writeup.custom_gap", REPRODUCED, note="differ")], runs)
    assert [f.number for f in found] == [2, 3]
    accuracy = {e.candidate: e.verdict for e in found[0].explanations}
    assert accuracy == {fx.CHECKPOINT: fx.FAVOURED, fx.LONGER: fx.NOT_TESTED, fx.PRECISION: fx.NOT_TESTED,
                        fx.NORMALISATION: fx.NOT_TESTED}
    gap = {e.candidate: e.verdict for e in found[1].explanations}
    assert gap == {fx.MEASURE: fx.FAVOURED, fx.LONGER: fx.NOT_TESTED, fx.PRECISION: fx.NOT_TESTED}
    assert found[0].line.startswith(f"the evidence favours {fx.CHECKPOINT}")


def test_the_full_builds_runs_are_used_when_present():
    run = FakeRun(final=(92.5, 0.30), best=(92.5, 0.30), best_epoch=15, clean=None)
    longer, twin = FakeRun(final=(93.2, 0.24), best=(93.2, 0.24), epochs=30), FakeRun((92.4, 0.31), (92.4, 0.31))
    runs = {"headline": {"custom_cnn": run}, "seeds": {}, "policies": {}, "study": {(False, 30): [longer]},
            "forensics": {"fp32": [twin]}}
    loss, gap = fr.explain([claim("writeup.custom_test_loss"), claim("writeup.custom_gap")], runs)
    verdicts = {e.candidate: e.verdict for e in loss.explanations}
    assert verdicts[fx.CHECKPOINT] == fx.NOT_FAVOURED and verdicts[fx.PRECISION] == fx.NOT_FAVOURED
    assert verdicts[fx.LONGER] == fx.FAVOURED  # 0.24 against the text's 0.2390, within twice the loss's error
    assert {e.candidate: e.verdict for e in gap.explanations}[fx.MEASURE] == fx.NOT_TESTED


def test_rows_the_candidates_do_not_concern_or_cannot_be_tested_say_so():
    runs = {"headline": {"custom_cnn": FakeRun((92.5, 0.2), (92.5, 0.2))}, "seeds": {}, "study": {}, "policies": {}}
    opens, untestable = fr.explain([claim("writeup.gap_opens"), claim("writeup.augmented_accuracy", NOT_TESTABLE,
                                                                      note="differ")], runs)
    assert opens.explanations == () and "None of the candidate" in opens.line
    assert untestable.explanations == () and "full build" in untestable.line
    assert fr.row_spec("writeup.errors").text == pytest.approx(7.03) and fr.row_spec("writeup.capacity") is None
    assert wb.gap_opens_claim(None).key == "writeup.gap_opens"


def test_the_claims_page_prints_one_line_per_row_and_one_per_candidate():
    from fmnist_lib.report.pages import claims as page

    runs = {"headline": {"custom_cnn": FakeRun((92.5, 0.2), (93.1, 0.2))}, "seeds": {}, "study": {}, "policies": {}}
    lines = page.forensics_markdown([claim("writeup.custom_second_accuracy")], runs).splitlines()
    assert lines[0].startswith("- Row 1, “s” (*contradicted*): the evidence favours the best-validation checkpoint")
    assert lines[1].startswith(f"  - {fx.CHECKPOINT} (*{fx.FAVOURED}*): predicts that the best-validation weights")
    assert len(lines) == 5 and all(line.endswith(".") for line in lines)
