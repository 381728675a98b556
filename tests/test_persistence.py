"""Persistent versus chance failures on hand-made predictions of three runs."""

import math

import numpy as np
import pytest
import torch

from fmnist_lib.errors import ConfigError
from fmnist_lib.analysis.persistence import (
    GROUPS, failure_groups, locate_showcase_failures, persistence_of, persistence_table, persistent_confusions,
)

PULLOVER, TROUSER, COAT, SNEAKER, BAG, DRESS, BOOT = 2, 1, 4, 7, 8, 3, 9


def logits_for(rows: list[dict[int, float]]) -> torch.Tensor:
    """Logits (N, 10) whose softmax is the given {class: probability} per row (other classes share the rest)."""
    out = []
    for row in rows:
        rest = (1 - sum(row.values())) / (10 - len(row))
        out.append([math.log(row.get(c, rest)) for c in range(10)])
    return torch.tensor(out, dtype=torch.float64).float()


LABELS = torch.tensor([PULLOVER, PULLOVER, BAG, SNEAKER, COAT, 0])
RUNS = [  # three seeds on six images
    logits_for([{TROUSER: 0.99}, {TROUSER: 0.9}, {DRESS: 0.2, BAG: 0.19}, {BOOT: 0.6}, {COAT: 0.9}, {0: 0.9}]),
    logits_for([{TROUSER: 0.97}, {PULLOVER: 0.9}, {DRESS: 0.3, BAG: 0.2}, {BOOT: 0.8}, {PULLOVER: 0.9}, {0: 0.9}]),
    logits_for([{TROUSER: 0.95}, {TROUSER: 0.7}, {BAG: 0.5}, {SNEAKER: 0.9}, {PULLOVER: 0.8}, {0: 0.9}]),
]


@pytest.fixture
def table():
    return persistence_table([(logits, LABELS) for logits in RUNS])


def test_persistence_table_counts(table):
    assert table.index.name == "test_index" and len(table) == 6
    assert table["times_wrong"].tolist() == [3, 2, 2, 2, 2, 0]
    assert table["group"].tolist() == ["always wrong"] + ["sometimes wrong"] * 4 + ["never wrong"]
    assert table["persistent"].tolist() == [True, False, False, False, False, False]
    assert table["wrong_class_name"].tolist() == ["Trouser", "Trouser", "Dress", "Ankle boot", "Pullover", ""]
    assert table.loc[5, "wrong_class"] == -1 and np.isnan(table.loc[5, "confidence_wrong"])
    assert table.loc[0, "confidence_wrong"] == pytest.approx((0.99 + 0.97 + 0.95) / 3, abs=1e-6)
    assert table.loc[1, "confidence_wrong"] == pytest.approx(0.8, abs=1e-6)
    assert table.loc[0, "wrong_class_share"] == 1.0 and table.loc[2, "wrong_class_share"] == 1.0
    assert table.loc[2, "entropy_wrong"] > 2 > table.loc[0, "entropy_wrong"]
    assert table.loc[1, "mean_p_true"] == pytest.approx((0.1 / 9 + 0.9 + 0.3 / 9) / 3, abs=1e-6)


def test_groups_and_confusions(table):
    groups = failure_groups(table)
    assert groups.index.tolist() == list(GROUPS) and groups["images"].tolist() == [1, 4, 1]
    assert groups["% of test images"].sum() == pytest.approx(100)
    assert groups.loc["always wrong", "errors per run"] == 1 and groups.loc["sometimes wrong", "errors per run"] == 8 / 3
    assert groups["% of errors"].sum() == pytest.approx(100)
    pairs = persistent_confusions(table)
    assert pairs[["label_name", "prediction_name", "count"]].values.tolist() == [["Pullover", "Trouser", 1]]
    assert pairs.loc[0, "share_of_class"] == 0.5
    both = persistent_confusions(table, groups=GROUPS[:2])
    assert both.loc[0, ["label_name", "prediction_name", "count"]].tolist() == ["Pullover", "Trouser", 2]
    with pytest.raises(ConfigError, match="Unknown group"):
        persistent_confusions(table, groups=["rarely wrong"])


def test_persistence_of_chosen_images(table):
    marks = persistence_of(table, [1, 0])
    assert marks.index.tolist() == [1, 0] and marks["persistent"].tolist() == [False, True]
    assert marks.loc[0, "persistence"] == "wrong in 3 of 3 runs (persistent)"
    assert marks.loc[1, "persistence"] == "wrong in 2 of 3 runs"
    with pytest.raises(ConfigError, match="not in the persistence table"):
        persistence_of(table, [99])


def test_locate_showcase_failures(table):
    located = locate_showcase_failures(table, n=2)
    assert located["case"].tolist() == ["Pullover → Trouser"] * 2 + ["Bag → Dress", "Sneaker → Ankle boot",
                                                                       "Coat → Pullover"]
    assert located["test_index"].tolist() == [0, 1, 2, 3, 4]  # persistent image 0 ranks first
    assert located["persistent"].tolist() == [True, False, False, False, False]
    assert located.loc[0, "candidates"] == 2 and located.loc[0, "persistent candidates"] == 1
    assert located.loc[0, "write-up confidence"] == 0.99
    missing = locate_showcase_failures(table.drop(index=[3]))
    assert missing.loc[missing["case"] == "Sneaker → Ankle boot", "test_index"].isna().all()
    with pytest.raises(ConfigError, match="n must"):
        locate_showcase_failures(table, n=0)


def test_uncertain_case_ranks_by_entropy():
    labels = torch.tensor([BAG, BAG])
    runs = [logits_for([{DRESS: 0.9}, {DRESS: 0.2, BAG: 0.19}])] * 2
    located = locate_showcase_failures(persistence_table([(r, labels) for r in runs]))
    assert located.loc[located["case"] == "Bag → Dress", "test_index"].tolist() == [1]  # the unsure one


def test_persistence_rejects_bad_input():
    with pytest.raises(ConfigError, match="at least 2 runs"):
        persistence_table([(RUNS[0], LABELS)])
    with pytest.raises(ConfigError, match="other labels"):
        persistence_table([(RUNS[0], LABELS), (RUNS[1], LABELS.flip(0))])
    with pytest.raises(ConfigError, match="shape"):
        persistence_table([(RUNS[0], LABELS), (RUNS[1][:, :5], LABELS)])
