"""Failure analysis against hand-made logits whose answers are known, and features of real models."""

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
import torch

from fmnist_lib.errors import ConfigError
from fmnist_lib.training.forward import predict_logits
from fmnist_lib.analysis.failures import (
    compare_cases, confused_pairs, error_table, feature_embeddings, kind_shares, nearest_training_images,
    nearest_training_positions, of_kind, select_errors, training_features,
)
from fmnist_lib.training.config import TrainConfig
from fmnist_lib.training.models import MODEL_NAMES, build_model
from fmnist_lib.training.train import split_for


def logits_for(probabilities: list[dict[int, float]]) -> torch.Tensor:
    """Logits (N, 10) whose softmax is the given {class: probability} per row (other classes share the rest)."""
    rows = []
    for row in probabilities:
        rest = (1 - sum(row.values())) / (10 - len(row))
        rows.append([math.log(row.get(c, rest)) for c in range(10)])
    return torch.tensor(rows, dtype=torch.float64).float()


@pytest.fixture
def table():
    """Six test images: 0 right, 1-4 wrong with known entropies (2 and 3 identical), 5 right."""
    logits = logits_for([
        {0: 0.9},
        {1: 0.6, 2: 0.3},  # Pullover -> Trouser, fairly sure
        {4: 0.99},  # Coat... label 2: Pullover -> Coat, very sure
        {4: 0.99},  # same logits as row 2: same entropy
        {3: 0.2, 8: 0.19},  # Bag -> Dress, nearly a guess
        {9: 0.95},
    ])
    return error_table(logits, torch.tensor([0, 2, 2, 2, 8, 9]))


def test_error_table_known_values(table):
    assert list(table.index) == list(range(6)) and table.index.name == "test_index"
    assert table["prediction"].tolist() == [0, 1, 4, 4, 3, 9]
    assert table["correct"].tolist() == [True, False, False, False, False, True]
    assert table.loc[1, "label_name"] == "Pullover" and table.loc[1, "prediction_name"] == "Trouser"
    assert table.loc[1, "confidence"] == pytest.approx(0.6, abs=1e-6)
    assert table.loc[1, "p_true"] == pytest.approx(0.3, abs=1e-6)
    assert table.loc[1, "margin"] == pytest.approx(0.3, abs=1e-6)
    assert table.loc[1, "top2_name"] == "Pullover" and table.loc[1, "top2_p"] == pytest.approx(0.3, abs=1e-6)
    assert table.loc[1, "top3"].startswith("Trouser 60.0%, Pullover 30.0%, ")
    assert table.loc[4, "top3"].startswith("Dress 20.0%, Bag 19.0%, ")
    probs = table[[f"prob_{c}" for c in range(10)]].to_numpy()
    assert np.allclose(probs.sum(1), 1, atol=1e-5) and probs[1, 1] == pytest.approx(0.6, abs=1e-6)
    expected_entropy = -(0.9 * math.log(0.9) + 0.1 * math.log(0.1 / 9))
    assert table.loc[0, "entropy"] == pytest.approx(expected_entropy, rel=1e-4)
    assert table["label"].dtype.kind == "i" and table["correct"].dtype == bool


def test_select_errors_order_and_ties(table):
    assert select_errors(table, "uncertain", 10).index.tolist() == [4, 1, 2, 3]
    assert select_errors(table, "confident", 10).index.tolist() == [2, 3, 1, 4]  # 2 and 3 tie: index order
    assert select_errors(table, "confident", 1).index.tolist() == [2]
    assert select_errors(table, "uncertain", 2).index.tolist() == [4, 1]
    assert not select_errors(table, "uncertain", 10)["correct"].any()


def test_confident_and_uncertain_errors_have_one_definition(table):
    """Confident: confidence >= 0.9; uncertain: entropy >= 1 nat (`analysis.thresholds`), for a table or one row."""
    errors = table[~table["correct"]]  # rows 1 (0.6), 2 and 3 (0.99), 4 (a near guess)
    assert of_kind(errors, "confident").tolist() == [False, True, True, False]
    assert of_kind(errors, "uncertain").tolist() == [True, False, False, True]  # row 1: 1.11 nats
    assert of_kind(errors.loc[2], "confident") and not of_kind(errors.loc[2], "uncertain")
    edge = pd.DataFrame({"confidence": [0.9, 0.8999], "entropy": [1.0, 0.9999]})
    assert of_kind(edge, "confident").tolist() == [True, False] and of_kind(edge, "uncertain").tolist() == [True, False]
    assert kind_shares(table) == {"uncertain": pytest.approx(50.0), "confident": pytest.approx(50.0)}
    assert kind_shares(table[table["correct"]]) == {"uncertain": 0.0, "confident": 0.0}
    with pytest.raises(ConfigError, match="Unknown kind of error 'sure'"):
        of_kind(errors, "sure")


@pytest.mark.parametrize("kind, n", [("surprising", 3), ("uncertain", 0), ("confident", -2), ("uncertain", 1.5)])
def test_select_errors_rejects_bad_arguments(table, kind, n):
    with pytest.raises(ConfigError, match="kind|n must"):
        select_errors(table, kind, n)


def test_confused_pairs_counts_and_order():
    labels = torch.tensor([2, 2, 2, 2, 4, 4, 7, 7, 7, 9])
    predictions = torch.tensor([4, 4, 6, 2, 2, 2, 9, 9, 7, 9])
    pairs = confused_pairs(error_table(torch.nn.functional.one_hot(predictions, 10).float() * 5, labels), n=3)
    assert list(pairs.columns) == ["label_name", "prediction_name", "count", "share_of_class"]
    assert pairs[["label_name", "prediction_name"]].values.tolist() == [
        ["Coat", "Pullover"], ["Pullover", "Coat"], ["Sneaker", "Ankle boot"]]  # count 2 each, then by name
    assert pairs["count"].tolist() == [2, 2, 2]
    assert pairs["share_of_class"].tolist() == pytest.approx([1.0, 0.5, 2 / 3])
    assert len(confused_pairs(error_table(torch.nn.functional.one_hot(predictions, 10).float() * 5, labels))) == 4


def test_compare_cases_outcomes_and_confidence_change():
    labels = torch.tensor([1, 2, 3, 4, 5])
    before = error_table(logits_for([{0: 0.7}, {0: 0.6}, {0: 0.8}, {4: 0.9}, {5: 0.5}]), labels)
    after = error_table(logits_for([{1: 0.8}, {0: 0.5}, {7: 0.6, 0: 0.3}, {6: 0.55}, {5: 0.95}]), labels)
    cases = compare_cases(before, after, [0, 1, 2, 3, 4])
    assert cases["outcome"].tolist() == [
        "fixed", "still wrong (same class)", "still wrong (other class)", "newly wrong", "still right"]
    assert cases.loc[2, "prediction_before"] == "T-shirt/top" and cases.loc[2, "prediction_after"] == "Sneaker"
    assert cases.loc[2, "confidence_after"] == pytest.approx(0.6, abs=1e-6)
    # change in the probability of the class the *before* model predicted
    assert cases["confidence_change"].tolist() == pytest.approx([0.2 / 9 - 0.7, -0.1, 0.3 - 0.8, -0.9 + 0.45 / 9, 0.45],
                                                                abs=1e-5)
    assert cases.loc[0, "p_true_after"] == pytest.approx(0.8, abs=1e-6)
    assert (cases["confidence_change_of"] == "before prediction").all()
    assert compare_cases(before, after, [3]).index.tolist() == [3]


def test_compare_cases_without_probabilities_and_bad_indices():
    labels = torch.tensor([1, 2])
    before = error_table(logits_for([{0: 0.7}, {2: 0.6}]), labels)
    after = error_table(logits_for([{1: 0.8}, {2: 0.9}]), labels)
    slim = [c for c in before.columns if not c.startswith("prob_")]
    cases = compare_cases(before[slim], after[slim], [0, 1])
    assert cases["confidence_change"].tolist() == pytest.approx([0.1, 0.3], abs=1e-5)
    assert (cases["confidence_change_of"] == "top class").all()
    with pytest.raises(ConfigError, match="not in both"):
        compare_cases(before, after, [0, 7])
    with pytest.raises(ConfigError, match="labels"):
        compare_cases(before, error_table(logits_for([{1: 0.8}, {2: 0.9}]), torch.tensor([1, 3])), [0, 1])


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_feature_embeddings_feed_the_last_layer(fmnist, name):
    torch.manual_seed(0)
    model = build_model(name).train()
    images = fmnist.test_images[:4]
    copy = images.clone()
    features = feature_embeddings(model, images, batch_size=3)
    last = [m for m in model.modules() if isinstance(m, torch.nn.Linear)][-1]
    assert features.shape == (4, last.in_features) and features.dtype == torch.float32
    assert model.training and torch.equal(images, copy)
    with torch.inference_mode():
        assert torch.allclose(last(features), predict_logits(model, images), atol=1e-4)


def test_nearest_training_images_find_the_query_itself(fmnist):
    torch.manual_seed(0)
    model = build_model("custom_cnn")
    train_images, train_labels = fmnist.train_images[:300], fmnist.train_labels[:300]
    train_features = feature_embeddings(model, train_images)
    queries = [5, 42, 250]
    indices, similarities = nearest_training_images(
        train_features[queries], train_features, train_labels, train_labels[queries], k=4)
    assert indices.shape == similarities.shape == (3, 4)
    assert indices[:, 0].tolist() == queries
    assert similarities[:, 0].tolist() == pytest.approx([1.0] * 3, abs=1e-5)
    assert (similarities[:, :-1] >= similarities[:, 1:]).all()
    assert (train_labels[indices] == train_labels[queries].view(-1, 1)).all()


def test_nearest_training_images_search_the_given_class():
    train = torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 1.0], [1.0, 0.2]])
    labels = torch.tensor([0, 0, 1, 1, 1])
    indices, similarities = nearest_training_images(torch.tensor([[2.0, 0.0], [2.0, 0.0]]), train, labels, [0, 1], k=2)
    assert indices.tolist() == [[0, 1], [4, 3]]
    assert similarities[1, 0] == pytest.approx(1 / math.sqrt(1.04), abs=1e-6)
    with pytest.raises(ConfigError, match="fewer than k"):
        nearest_training_images(train[:1], train, labels, [0], k=3)
    with pytest.raises(ConfigError, match="one entry per query"):
        nearest_training_images(train[:2], train, labels, [0], k=1)


def test_training_features_are_the_trainers_images(fmnist):
    """The images a run trained on (as `split_for` gives them), their positions in the official set, and the
    nearest of them found by position: the failures page's and the explorer's one search."""
    torch.manual_seed(0)
    model = build_model("custom_cnn")
    config = TrainConfig(model="custom_cnn", epochs=1, train_subset=400, val_size=1_000, test_subset=1_000, device="cpu")
    training = training_features(model, config, fmnist)
    split = split_for(config, fmnist)
    assert torch.equal(fmnist.train_images[training.index], split.train_images)
    assert torch.equal(training.labels, split.train_labels) and training.features.shape[0] == 400
    assert torch.allclose(training.features, feature_embeddings(model, split.train_images), atol=1e-5)
    queries = torch.as_tensor(training.index[[3, 9]])
    positions, similarity = nearest_training_positions(model, training, fmnist.train_images[queries],
                                                       fmnist.train_labels[queries].tolist(), k=3)
    assert positions.shape == similarity.shape == (2, 3) and positions[:, 0].tolist() == queries.tolist()
    assert np.isin(positions, training.index).all() and similarity[:, 0] == pytest.approx([1, 1], abs=1e-5)
    with pytest.raises(ConfigError, match="folds"):
        training_features(model, dataclasses.replace(config, folds=5, fold=0), fmnist)


def test_error_table_is_a_dataframe_for_real_predictions(fmnist):
    model = build_model("custom_cnn")
    table = error_table(predict_logits(model, fmnist.test_images[:50]), fmnist.test_labels[:50])
    assert isinstance(table, pd.DataFrame) and len(table) == 50
    assert table[["confidence", "p_true", "margin"]].apply(lambda c: c.between(0, 1).all()).all()


def test_remembered_training_features_are_computed_once_per_run_and_weights(fmnist, tiny_config, tmp_path,
                                                                             monkeypatch):
    """The failures page and the explorer read one stored copy of a run's training features, equal to a fresh
    computation; other weights are another entry."""
    from fmnist_lib.analysis import failures
    from fmnist_lib.runs.cache import load_or_train

    run = load_or_train(tiny_config, cache_dir=tmp_path, data=fmnist, progress=False)
    fresh = training_features(run.load_model("final"), run.config, fmnist)
    calls = []
    original = failures.training_features
    monkeypatch.setattr(failures, "training_features", lambda *a: calls.append(1) or original(*a))
    first = failures.remembered_training_features(run, "final", fmnist)
    again = failures.remembered_training_features(run, "final", fmnist)
    assert len(calls) == 1 and np.array_equal(again.index, fresh.index) and torch.equal(again.labels, fresh.labels)
    assert torch.equal(again.features, fresh.features) and torch.equal(first.features, again.features)
    failures.remembered_training_features(run, "best", fmnist)
    assert len(calls) == 2
