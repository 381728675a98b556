"""The numbers computed from a run's logits: accuracy, loss, per class, per image.

The cache calls `summarize` when it stores a run, so evaluation sits here, below the cache; the
logits themselves come from the one forward pass (`forward.predict_logits`).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..data.fashion_mnist import NUM_CLASSES


def loss_and_accuracy(logits: torch.Tensor, labels: torch.Tensor) -> tuple[float, float]:
    """Mean cross-entropy and accuracy (fraction) of logits (N, C) against labels (N,)."""
    logits, labels = logits.cpu(), labels.long().cpu()
    loss = F.cross_entropy(logits.float(), labels).item()
    accuracy = (logits.argmax(1) == labels).float().mean().item()
    return loss, accuracy


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray, num_classes: int = NUM_CLASSES) -> np.ndarray:
    """Counts (true class, predicted class), shape (C, C)."""
    return np.bincount(labels * num_classes + predictions, minlength=num_classes ** 2).reshape(num_classes, num_classes)


def per_image(logits: torch.Tensor, labels: torch.Tensor) -> dict[str, np.ndarray]:
    """Per test image: prediction, correctness, confidence, entropy (nats) and top-1 minus top-2 margin."""
    logits, labels = logits.cpu(), labels.cpu()
    log_probs = F.log_softmax(logits.float(), dim=1)
    probs = log_probs.exp()
    top2 = probs.topk(2, dim=1).values
    return {
        "label": labels.long().numpy(),
        "prediction": probs.argmax(1).numpy(),
        "correct": (probs.argmax(1) == labels.long()).numpy(),
        "confidence": top2[:, 0].numpy(),
        "entropy": -(probs * log_probs).sum(1).numpy(),
        "margin": (top2[:, 0] - top2[:, 1]).numpy(),
    }


def summarize(logits: torch.Tensor, labels: torch.Tensor) -> dict:
    """The headline numbers of a set of predictions, as plain JSON-ready values."""
    logits, labels = logits.cpu(), labels.cpu()
    loss, accuracy = loss_and_accuracy(logits, labels)
    confusion = confusion_matrix(labels.long().numpy(), logits.argmax(1).numpy())
    totals = confusion.sum(1)
    per_class = [float(hit / total) if total else None for hit, total in zip(confusion.diagonal(), totals)]
    return {
        "accuracy": accuracy,
        "loss": loss,
        "errors": int(confusion.sum() - confusion.trace()),
        "n": int(confusion.sum()),
        "per_class_accuracy": per_class,  # None for a class absent from labels
        "confusion": confusion.tolist(),
    }
