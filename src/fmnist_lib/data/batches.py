"""Mini-batches from in-memory tensors, with the write-up's flip + rotation done on the device.

The whole training set is 47 MB of uint8, so it lives on the device and a batch
is one index operation: no DataLoader workers, no per-image Python. Images come
out as float in [0, 1] with a channel axis; normalisation is the model's first
layer (see `training.models.Normalize`), so every consumer works in pixel space.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import torch
import torch.nn.functional as F


def to_unit_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 (N, H, W) -> float (N, 1, H, W) in [0, 1]."""
    return images.unsqueeze(1).float().div_(255)


def rotate(images: torch.Tensor, degrees: torch.Tensor) -> torch.Tensor:
    """Rotate each image of (N, C, H, W) counter-clockwise by its own angle, nearest pixel, zero fill.

    Matches torchvision's `RandomRotation` defaults (nearest interpolation,
    fill 0, about the image centre) but works on a whole batch at once.
    """
    radians = degrees.to(images.device, images.dtype) * (math.pi / 180)
    cos, sin = radians.cos(), radians.sin()
    # affine_grid maps output coordinates to input ones: the inverse rotation.
    theta = torch.stack([
        torch.stack([cos, -sin, torch.zeros_like(cos)], dim=1),
        torch.stack([sin, cos, torch.zeros_like(cos)], dim=1),
    ], dim=1)  # (N, 2, 3)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="nearest", padding_mode="zeros", align_corners=False)


def augment(images: torch.Tensor, generator: torch.Generator, flip_p: float = 0.5, max_degrees: float = 10.0) -> torch.Tensor:
    """Horizontal flip with probability `flip_p`, then rotation uniform in +-`max_degrees`, per image.

    Random draws come from `generator` (on the CPU), so a seed fixes them on any device.
    """
    n = images.shape[0]
    flip = (torch.rand(n, generator=generator) < flip_p).to(images.device)
    degrees = (torch.rand(n, generator=generator) * 2 - 1) * max_degrees
    images = torch.where(flip.view(n, 1, 1, 1), images.flip(-1), images)
    return rotate(images, degrees)


def iterate_batches(
    images: torch.Tensor,
    labels: torch.Tensor,
    batch_size: int,
    *,
    shuffle: bool,
    generator: torch.Generator | None = None,
    transform: Callable[[torch.Tensor], torch.Tensor] = to_unit_float,
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Yield (x, y): x float (B, 1, H, W) in [0, 1], y int64 (B,), on the device of `images`.

    `images` are uint8 (N, H, W); `transform` turns each batch of them into x (an augmentation policy's,
    `augmentation.policy_transform`, which draws from the same generator). Shuffling draws from `generator`,
    which must be given when it is on.
    """
    if shuffle and generator is None:
        raise ValueError("shuffling needs a seeded generator")
    n = images.shape[0]
    order = torch.randperm(n, generator=generator) if shuffle else torch.arange(n)
    order = order.to(images.device)
    for start in range(0, n, batch_size):
        index = order[start: start + batch_size]
        yield transform(images[index]), labels[index].long()  # (B, 1, 28, 28), (B,)


def num_batches(n: int, batch_size: int) -> int:
    return -(-n // batch_size)
