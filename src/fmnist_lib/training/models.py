"""The four classifiers of the write-up, built from scratch: the registry that builds them by name.

What the report knows about each architecture beyond building it (its display name, the layer Grad-CAM reads,
the layer groups a saliency check re-initialises) lives in `model_parts.py`: this module is part of every run's
key (`runs/fingerprint.py`), and a new display name must not retrain every run.

Every model takes float images (B, 1, 28, 28) in [0, 1] and returns logits (B, 10):
normalisation is its first layer, so Grad-CAM, corruptions and plots all work in
pixel space and a stored model carries the statistics it was trained with.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from torchvision import models as tv_models

from ..data.fashion_mnist import IMAGE_SIZE, NUM_CLASSES
from ..errors import ConfigError


class Normalize(nn.Module):
    """(x - mean) / std with the training split's statistics, stored as buffers."""

    def __init__(self, mean: float, std: float):
        super().__init__()
        self.register_buffer("mean", torch.tensor(float(mean)))
        self.register_buffer("std", torch.tensor(float(std)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std


class Classifier(nn.Module):
    """A network behind its normalisation layer; `name` says which registry entry built it."""

    def __init__(self, name: str, net: nn.Module, mean: float, std: float):
        super().__init__()
        self.name = name
        self.normalize = Normalize(mean, std)
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(self.normalize(x))


def _conv_block(in_channels: int, out_channels: int, dropout: float) -> nn.Sequential:
    """2 x (3x3 conv, BatchNorm, ReLU), 2x2 max-pool, channel dropout: halves the map."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=1),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
        nn.Conv2d(out_channels, out_channels, 3, padding=1),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
        nn.Dropout2d(dropout),
    )


class CustomCNN(nn.Module):
    """The write-up's baseline: blocks of 32 and 64 filters, then dense 256 and dense 10 (871,530 parameters)."""

    def __init__(self, widths: tuple[int, int] = (32, 64), hidden: int = 256, num_classes: int = NUM_CLASSES,
                 conv_dropout: float = 0.25, dense_dropout: float = 0.5):
        super().__init__()
        self.features = nn.Sequential(
            _conv_block(1, widths[0], conv_dropout),
            _conv_block(widths[0], widths[1], conv_dropout),
        )
        side = IMAGE_SIZE // 2 ** len(self.features)  # 28 -> 14 -> 7
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(widths[1] * side * side, hidden),  # 3,136 -> 256
            nn.BatchNorm1d(hidden),
            nn.ReLU(inplace=True),
            nn.Dropout(dense_dropout),
            nn.Linear(hidden, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


def _vgg(builder: Callable[..., tv_models.VGG]) -> tv_models.VGG:
    """torchvision's VGG adapted as the write-up did for 1 x 28 x 28 input.

    Changes: the first conv takes 1 channel; the last two of five max-pools become
    identities (28 -> 14 -> 7 -> 3 instead of shrinking to nothing); global average
    pooling to 1 x 1; a small 512-256-10 head instead of 4096-wide layers, which
    would hold most of the parameters for a 10-class problem.
    """
    model = builder(weights=None)
    first = model.features[0]
    model.features[0] = nn.Conv2d(1, first.out_channels, first.kernel_size, first.stride, first.padding)
    pools = [i for i, layer in enumerate(model.features) if isinstance(layer, nn.MaxPool2d)]
    for i in pools[3:]:
        model.features[i] = nn.Identity()
    model.avgpool = nn.AdaptiveAvgPool2d(1)
    model.classifier = nn.Sequential(
        nn.Linear(512, 256), nn.ReLU(inplace=True), nn.Dropout(0.5), nn.Linear(256, NUM_CLASSES),
    )
    return model


def _resnet18() -> tv_models.ResNet:
    """torchvision's ResNet-18 with a 1-channel stem and no max-pool (as in the write-up).

    The 7x7 stride-2 stem is kept, so stages run at 14, 7, 4 and 2 pixels;
    dropping the max-pool keeps the map from shrinking to 1 x 1.
    """
    model = tv_models.resnet18(weights=None, num_classes=NUM_CLASSES)
    model.conv1 = nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3, bias=False)
    model.maxpool = nn.Identity()
    return model


MODEL_BUILDERS: dict[str, Callable[[], nn.Module]] = {
    "custom_cnn": CustomCNN,
    "vgg16": lambda: _vgg(tv_models.vgg16),
    "vgg19": lambda: _vgg(tv_models.vgg19),
    "resnet18": _resnet18,
}
MODEL_NAMES = tuple(MODEL_BUILDERS)


def check_model_name(name: str) -> str:
    """Return `name` if the registry knows it; otherwise a ConfigError listing the names that exist."""
    if name not in MODEL_BUILDERS:
        raise ConfigError(f"Unknown model {name!r}. Choose one of: {', '.join(MODEL_NAMES)}.")
    return name


def build_model(name: str, mean: float = 0.0, std: float = 1.0) -> Classifier:
    """A freshly initialised model from the registry (from scratch: no pretrained weights).

    `mean` and `std` are the training pixels' statistics the model normalises with.
    """
    return Classifier(check_model_name(name), MODEL_BUILDERS[name](), mean, std)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
