"""Augmentation policies by name: what each does to a training batch, where it comes from, and which of the
corruption benchmark's shifts it trains on.

A run names one policy (`TrainConfig.augment`); only its training batches pass through it, never the
validation or test images. Two policies are the write-up's own (its published code trained both), two are
built for robustness:

- `none`: the images as they are;
- `flip_rotate`: the write-up's reported policy, a horizontal flip with probability 0.5, then a rotation
  uniform within +-10 degrees. It keeps its fast path: the whole batch on the device (`batches.augment`);
- `crop_flip_erase`: the write-up's code's second policy (README: 91.97 % at 15 epochs), from
  `basecnn_with_augumented_model_plus_faliure_analysis.ipynb`, cell 32 (In [39]) of
  github.com/Vidushi-Mittal/Stress-Testing-of-Convolutional-Neural-Networks_A1_DL at commit b87eebb:
  `RandomCrop(28, padding=2)`, `RandomHorizontalFlip(p=0.5)`, `ToTensor()`, `Normalize((0.2860,), (0.3530,))`,
  then `RandomErasing(p=0.2, scale=(0.02, 0.1), ratio=(0.3, 3.3))`. Its erasing comes after normalisation and
  writes 0 there, which is the mean pixel; here images stay in pixel space (the model normalises), so the
  erased patch takes the normalisation mean (`fill`) instead, the same pixels;
- `trivialaugment`: TrivialAugment (Mueller & Hutter 2021), torchvision's `TrivialAugmentWide` as it is;
- `augmix`: AugMix (Hendrycks et al. 2020), torchvision's `AugMix` with the paper's operations
  (`all_ops=False`: the paper left out brightness, contrast, colour and sharpness because they overlap its
  corruption benchmark). The paper's Jensen-Shannon consistency loss changes the training loss, not the
  images, and is not part of this policy.

The last three run torchvision's transforms (v2) on each uint8 image in turn: those transforms draw one set
of random parameters per call, so a call on a whole batch would crop, erase or mix every image alike. Their
draws come from torch's global generator; each batch seeds it, inside `torch.random.fork_rng`, from the
run's own generator, so a run's seed fixes every draw and the global generator is left as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torchvision.transforms.v2 as v2

from ..errors import ConfigError
from .batches import augment as flip_rotate_batch
from .batches import to_unit_float

BatchTransform = Callable[[torch.Tensor], torch.Tensor]  # uint8 (B, H, W) -> float (B, 1, H, W) in [0, 1]


@dataclass(frozen=True)
class Policy:
    """One augmentation policy: its name (the run key's), a label for prose, what it does, and the corruptions of
    `data.corruptions` it trains on (kept out of its headline robustness score)."""

    name: str
    label: str
    description: str
    trains_on: frozenset[str]
    per_image: Callable[[float], v2.Transform] | None = None  # builds the transform of one uint8 image (1, H, W)

    @property
    def augments(self) -> bool:
        return self.name != "none"


def _crop_flip_erase(fill: float) -> v2.Transform:
    """The write-up's code's second policy (see the module docstring for its source), in its order."""
    return v2.Compose([v2.RandomCrop(28, padding=2), v2.RandomHorizontalFlip(p=0.5),
                       v2.ToDtype(torch.float32, scale=True),
                       v2.RandomErasing(p=0.2, scale=(0.02, 0.1), ratio=(0.3, 3.3), value=fill)])


def _trivialaugment(fill: float) -> v2.Transform:
    return v2.Compose([v2.TrivialAugmentWide(), v2.ToDtype(torch.float32, scale=True)])


def _augmix(fill: float) -> v2.Transform:
    return v2.Compose([v2.AugMix(all_ops=False), v2.ToDtype(torch.float32, scale=True)])


POLICIES: dict[str, Policy] = {policy.name: policy for policy in (
    Policy("none", "no augmentation", "the training images as they are", frozenset()),
    Policy("flip_rotate", "flip + rotation",
           "a horizontal flip with probability 0.5, then a rotation within ±10 degrees (the write-up's reported "
           "policy)",
           frozenset({"hflip", "rotation"})),
    Policy("crop_flip_erase", "crop + flip + erasing",
           "a random 28-pixel crop of the image padded by 2 pixels, a horizontal flip with probability 0.5, and with "
           "probability 0.2 a rectangle of 2 to 10 % of the image erased to the mean pixel (the write-up's code's "
           "second policy)",
           frozenset({"translation", "hflip"}), _crop_flip_erase),  # the crop shifts by up to 2 pixels
    Policy("trivialaugment", "TrivialAugment",
           "one operation per image, drawn with its strength from TrivialAugment's wide space (shear, translation, "
           "rotation, brightness, contrast, sharpness, posterisation, solarisation, autocontrast, equalisation)",
           # sharpness below 1 blends towards a smoothed image: a blur
           frozenset({"shear", "translation", "rotation", "brightness", "contrast", "gaussian_blur"}),
           _trivialaugment),
    Policy("augmix", "AugMix",
           "three chains of one to three operations (shear, translation, rotation, posterisation, solarisation, "
           "autocontrast, equalisation) mixed with the original image by random weights",
           frozenset({"shear", "translation", "rotation"}), _augmix),
)}
POLICY_NAMES = tuple(POLICIES)


def check_policy(name) -> str:
    """`name` if it is a policy; otherwise a ConfigError that lists the policies."""
    if not isinstance(name, str) or name not in POLICIES:
        raise ConfigError(f"Unknown augmentation policy {name!r}. Choose one of: {', '.join(POLICY_NAMES)}.")
    return name


def policy_name(value) -> str:
    """A policy name from a config value: a name as it is, and the old yes/no switch read as the policy it meant
    (`True`: the write-up's flip + rotation, `False`: none), so configs written before policies had names load."""
    if value is True:
        return "flip_rotate"
    if value is False:
        return "none"
    return check_policy(value)


def training_phrase(name: str) -> str:
    """What a run's training says about its policy: '' (none), ', augmented' (the write-up's flip + rotation,
    the report's "augmented model") or ', augmented with crop + flip + erasing'."""
    if name in ("none", "flip_rotate"):
        return ", augmented" if name == "flip_rotate" else ""
    return f", augmented with {POLICIES[check_policy(name)].label}"


def run_label(model_label: str, name: str) -> str:
    """A run's display name: 'Custom CNN', 'Custom CNN (augmented)' (flip + rotation), 'Custom CNN (AugMix)'."""
    if name == "none":
        return model_label
    return f"{model_label} ({'augmented' if name == 'flip_rotate' else POLICIES[check_policy(name)].label})"


def trained_on(name: str) -> frozenset[str]:
    """The corruptions policy `name` draws during training (kept out of its headline score)."""
    return POLICIES[check_policy(name)].trains_on


def per_image(transform: v2.Transform, images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """`transform` applied to each uint8 image of (B, H, W) on the CPU, seeded from `generator`: float (B, 1, H, W).

    One seed is drawn from `generator` per batch and set on torch's global generator inside `fork_rng`, so the
    same generator state gives the same images and the caller's global random state is untouched.
    """
    seed = int(torch.randint(2 ** 62, (), generator=generator))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        out = torch.stack([transform(image) for image in images.cpu().unsqueeze(1)])  # (B, 1, H, W)
    return out.to(images.device)


def policy_transform(name: str, generator: torch.Generator | None, fill: float = 0.0) -> BatchTransform:
    """The batch transform of policy `name`: uint8 (B, H, W) -> float (B, 1, H, W) in [0, 1], on the same device.

    `generator` (a seeded CPU generator, the run's) draws every random choice; `fill` is the pixel an erased
    patch takes (the model's normalisation mean, where the write-up's code erased to zero after normalising).
    """
    policy = POLICIES[check_policy(name)]
    if policy.augments and generator is None:
        raise ValueError("augmentation needs a seeded generator")
    if policy.name == "none":
        return to_unit_float
    if policy.name == "flip_rotate":  # the fast path: the whole batch at once, on the device
        return lambda images: flip_rotate_batch(to_unit_float(images), generator)
    transform = policy.per_image(fill)
    return lambda images: per_image(transform, images, generator)
