"""Report tables: overfitting read from histories, intervals, the custom CNN's stages."""

import math

import pandas as pd
import pytest

from fmnist_lib.analysis.stats import accuracy_interval
from fmnist_lib.analysis.training_curves import overfitting
from fmnist_lib.report.tables import stage_table
from fmnist_lib.report.text import join_names
from fmnist_lib.training.models import build_model, model_label


def history(train_acc, val_acc, val_loss):
    return pd.DataFrame({"epoch": range(1, len(train_acc) + 1), "train_acc": train_acc, "val_acc": val_acc,
                         "val_loss": val_loss})


def test_gap_opens_where_it_stays_above_threshold():
    fit = overfitting(history([0.80, 0.90, 0.92, 0.95, 0.97], [0.80, 0.895, 0.915, 0.92, 0.93],
                              [0.50, 0.40, 0.35, 0.36, 0.45]))
    assert fit["gap_opens_epoch"] == 4  # epoch 2 and 3 gaps (0.5 points) are below the threshold
    assert fit["final_gap"] == pytest.approx(4.0)
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
