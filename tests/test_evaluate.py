"""Evaluation numbers against values computed by hand."""

import math

import numpy as np
import pytest
import torch

from fmnist_lib.training.evaluate import confusion_matrix, per_image, summarize
from fmnist_lib.training.forward import predict_logits
from fmnist_lib.training.models import build_model


def test_per_image_known_values():
    logits = torch.tensor([[0.0] * 10, [10.0, 0.0] + [-1e4] * 8])
    stats = per_image(logits, torch.tensor([3, 1]))
    assert stats["entropy"][0] == pytest.approx(math.log(10), rel=1e-6)
    assert stats["confidence"][0] == pytest.approx(0.1) and stats["margin"][0] == pytest.approx(0.0, abs=1e-7)
    p = 1 / (1 + math.exp(-10))
    assert stats["confidence"][1] == pytest.approx(p, rel=1e-6)
    assert stats["margin"][1] == pytest.approx(2 * p - 1, rel=1e-6)
    assert stats["entropy"][1] == pytest.approx(-(p * math.log(p) + (1 - p) * math.log(1 - p)), rel=1e-4)
    assert stats["prediction"].tolist() == [0, 0] and stats["correct"].tolist() == [False, False]


def test_confusion_and_summary():
    labels = torch.tensor([0, 0, 1, 2])
    logits = torch.nn.functional.one_hot(torch.tensor([0, 1, 1, 2]), 10).float() * 5
    summary = summarize(logits, labels)
    assert summary["accuracy"] == 0.75 and summary["errors"] == 1 and summary["n"] == 4
    assert summary["confusion"][0][1] == 1 and summary["per_class_accuracy"][:4] == [0.5, 1.0, 1.0, None]
    assert np.array_equal(confusion_matrix(np.array([2]), np.array([3]))[2], np.eye(10, dtype=int)[3])


def test_predict_logits_batches_agree_and_mode_restored(fmnist):
    model = build_model("custom_cnn").train()
    images = fmnist.test_images[:50]
    whole = predict_logits(model, images, batch_size=50)
    pieces = predict_logits(model, images, batch_size=7)
    assert whole.shape == (50, 10) and torch.allclose(whole, pieces, atol=1e-5)
    assert model.training
