"""Predictions and the numbers computed from them: accuracy, loss, per class, per image."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .batches import to_unit_float
from .data import NUM_CLASSES


@torch.inference_mode()
def predict_logits(model: nn.Module, images: torch.Tensor, batch_size: int = 256,
                   precision: str = "fp32") -> torch.Tensor:
    """Logits (N, 10) float32 on the CPU for uint8 images (N, 28, 28), in eval mode, in batches.

    Channels-last batches of 256 measured fastest on a 2-core CPU (bf16: 1.6x faster than NCHW batches
    of 1,000), and still fill a GPU for these small networks.
    """
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    chunks = []
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16"):
        for start in range(0, images.shape[0], batch_size):
            x = to_unit_float(images[start: start + batch_size].to(device))  # (B, 1, 28, 28)
            x = x.contiguous(memory_format=torch.channels_last)
            chunks.append(model(x).float().cpu())
    model.train(was_training)
    return torch.cat(chunks)


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
