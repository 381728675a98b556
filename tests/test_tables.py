"""Report tables: overfitting read from histories, intervals, the custom CNN's stages."""

import math

import pandas as pd
import pytest

from fmnist_lib.analysis.stats import accuracy_interval
from fmnist_lib.analysis.training_curves import final_gap, overfitting
from fmnist_lib.report.tables import stage_table
from fmnist_lib.report.text import join_names
from fmnist_lib.training.model_parts import model_label
from fmnist_lib.training.models import build_model


def history(train_acc, val_acc, val_loss):
    return pd.DataFrame({"epoch": range(1, len(train_acc) + 1), "train_acc": train_acc, "val_acc": val_acc,
                         "val_loss": val_loss})


def test_gap_opens_where_it_stays_above_threshold():
    fit = overfitting(history([0.80, 0.90, 0.92, 0.95, 0.97], [0.80, 0.895, 0.915, 0.92, 0.93],
                              [0.50, 0.40, 0.35, 0.36, 0.45]))
    assert fit["gap_opens_epoch"] == 4  # epoch 2 and 3 gaps (0.5 points) are below the threshold
    assert fit["final_gap"] == pytest.approx(4.0) == final_gap(history([0.9, 0.97], [0.9, 0.93], [0.5, 0.4]))
    assert fit["val_loss_min_epoch"] == 3
    assert fit["val_loss_rise"] == pytest.approx(0.45 / 0.35 - 1) and fit["val_loss_rising"]


def test_no_gap_and_falling_loss():
    fit = overfitting(history([0.80, 0.85], [0.81, 0.86], [0.5, 0.4]))
    assert fit["gap_opens_epoch"] is None and not fit["val_loss_rising"]


def test_gap_that_closes_again_does_not_count():
    fit = overfitting(history([0.90, 0.95, 0.95], [0.85, 0.90, 0.949], [0.5, 0.4, 0.3]))
    assert fit["gap_opens_epoch"] is None and fit["max_gap"] == pytest.approx(5.0)


def test_gap_open_from_the_first_epoch():
    assert overfitting(history([0.9, 0.95], [0.8, 0.85], [0.5, 0.4]))["gap_opens_epoch"] == 1


def test_wilson_interval_known_value():
    low, high = accuracy_interval(0.93, 10_000)
    assert low < 0.93 < high
    assert (high - low) / 2 == pytest.approx(1.96 * math.sqrt(0.93 * 0.07 / 10_000), rel=0.01)


def test_join_names_and_labels():
    assert join_names([]) == "none" and join_names(["A"]) == "A" and join_names(["A", "B", "C"]) == "A, B and C"
    assert model_label("vgg16") == "VGG-16" and model_label("custom_cnn") == "Custom CNN"


def test_custom_cnn_stages_match_the_write_up():
    net = build_model("custom_cnn").net
    table = stage_table(net, {"block 1": net.features[0], "block 2": net.features[1], "classifier": net.classifier})
    assert list(table["output shape"]) == ["(32, 14, 14)", "(64, 7, 7)", "(10,)"]
    assert table.parameters.sum() == 871_530
    assert net.training  # mode restored


# ---- the report's table style (report/style.py) and prose helpers (report/text.py) ------------------------

import numpy as np  # noqa: E402

from fmnist_lib.report import style  # noqa: E402
from fmnist_lib.report.tables import pattern_display, pages_display  # noqa: E402
from fmnist_lib.report.text import possessive, signed_amount, signed_range, subset_phrase  # noqa: E402


@pytest.mark.parametrize("p, text", [(0.0, "< 0.001"), (0.00099, "< 0.001"), (0.001, "0.0010"), (0.0123, "0.012"),
                                     (0.04999, "0.050"), (0.5, "0.50"), (0.99999, "1.0"), (1.0, "1.0")])
def test_p_values_read_as_a_reader_expects(p, text):
    assert style.p_value(p) == text


def test_numbers_get_their_kind():
    assert style.format_value(60.1349, "percent") == "60.13" and style.format_value(0.6013, "fraction") == "60.13"
    assert style.format_value(-11.75, "points") == "−11.75" and style.format_value(2.5, "points") == "+2.50"
    assert style.format_value(-0.0001, "points") == "0.00"  # no signed zero
    assert style.format_value(3987, "count") == "3,987" and style.format_value(2024, "id") == "2024"
    assert [style.format_value(v, "number") for v in (1.634, 14.85, 0.012345, 1234.5, 7.0)] == [
        "1.63", "14.8", "0.0123", "1,234", "7"]
    assert style.format_value(True, "number") == "yes" and style.format_value(np.bool_(False), "text") == "no"
    assert style.format_value(float("nan"), "number") is None and style.format_value(None, "text") is None


def test_a_table_has_display_names_no_default_index_and_explained_dashes():
    frame = pd.DataFrame({"final_gap": [-11.75, 0.3], "gap_opens_epoch": [None, 3], "val_loss_rising": [False, True],
                          "p (Holm)": [0.0, 0.2], "method": ["gradcam", "random"]})
    shown = style.table(frame, missing={"gap_opens_epoch": "the gap never opens"})
    assert list(shown.cells.columns) == ["Final gap (points)", "Gap opens (epoch)", "Validation loss rising",
                                         "p (Holm)", "Method"]
    assert shown.cells.iloc[0].tolist() == ["−11.75", "—", "no", "< 0.001", "Grad-CAM"]
    assert shown.notes == ["— the gap never opens"]
    html = shown._repr_html_()
    assert 'class="fmnist-table"' in html and "<th" in html and "NaN" not in html and "None" not in html
    assert '<td class="num">' in html and "fmnist-table-note" in html


def test_a_meaningful_index_becomes_the_first_column():
    frame = pd.DataFrame({"count": [716, 561]}, index=pd.Index(["custom_cnn", "vgg16"], name="model"))
    shown = style.table(frame)
    assert list(shown.cells.columns) == ["Model", "Images"] and shown.cells["Model"].tolist() == ["Custom CNN", "VGG-16"]
    assert list(style.table(pd.DataFrame({"a": [1, 2]}, index=[4, 9])).cells.columns) == ["A"]  # positions: dropped
    series = style.table(pd.Series({"python": "3.11"}, name="value"), index="Property")
    assert list(series.cells.columns) == ["Property", "Value"]


def test_ranges_and_repeats():
    frame = pd.DataFrame({"model": ["A", "A", "B"], "CI low (pts)": [-1.0, 0.5, 2.0], "CI high (pts)": [1.0, 1.5, 3.0]})
    shown = style.table(frame, ranges={"95 % interval (points)": ("CI low (pts)", "CI high (pts)")}, repeats=("Model",))
    assert shown.cells["95 % interval (points)"].tolist() == ["−1.00 to +1.00", "+0.50 to +1.50", "+2.00 to +3.00"]
    assert shown.cells["Model"].tolist() == ["A", "", "B"]


def test_every_raw_column_of_the_pages_has_words_not_snake_case():
    assert all("_" not in name for name, _ in style.DISPLAY_NAMES.values())
    assert style.column_name("some_new_column") == "Some new column"


def test_the_pattern_table_shows_each_measure_once_with_dashes_where_it_does_not_apply():
    claims = {"silhouette": {"n_errors": 132, "median_excess_errors": -0.094, "p_value": 1.0, "supported": False},
              "diffuse": {"n": 200, "rho": -0.44, "p_value": 0.0004, "supported": True}}
    shown = pattern_display(claims)
    rows = shown.cells.set_index("Measure")
    assert rows.loc["Errors tested"].tolist() == ["132", "200"]
    assert rows.loc["Heatmap minus object share, errors (median, points)"].tolist() == ["−9.40", "—"]
    assert rows.loc["p, one-sided test"].tolist() == ["1.0", "< 0.001"] and rows.loc["Supported (the stated rule)"].tolist() == ["no", "yes"]
    assert shown.notes == ["— does not apply to this pattern"]


def test_the_pages_record_is_listed_without_the_machine_path():
    record = {"baselines": {"notebook": "02.ipynb", "seconds": 12.6,
                            "parameters": {"profile": "cpu", "models": ["vgg16"], "epochs": None}},
              "reproducibility": {"notebook": "11.ipynb", "seconds": 1.0,
                                  "parameters": {"profile": "cpu", "record": "/work/x/build/executed/record.json"}}}
    shown = pages_display(record)
    assert shown.cells["Parameters"].tolist() == ["profile=cpu models=['vgg16'] epochs=None", "profile=cpu"]
    assert "/work/" not in shown._repr_html_() and shown.kinds["Parameters"] == "code"
    assert record["reproducibility"]["parameters"]["record"]  # the record itself is untouched


def test_prose_helpers():
    assert possessive("VGG-16") == "VGG-16’s" and possessive("Custom CNN (augmented)") == "the augmented Custom CNN’s"
    assert possessive("Dress") == "Dress’s"
    assert signed_amount(-9.44, "points") == "9.4 points below" and signed_amount(10, "points") == "10.0 points above"
    assert signed_amount(0.01, "points") == "the same as"
    assert signed_range(-0.051, -0.018) == "0.018 to 0.051 lower" and "lower to" in signed_range(-0.01, 0.02)
    assert subset_phrase(10_000, 10_000) == "all 10,000 test images"
    assert subset_phrase(2_000, 10_000) == "the first 2,000 of the 10,000 test images"
