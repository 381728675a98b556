"""Seeded image corruptions for 28 x 28 grayscale batches, in ImageNet-C's corruption x severity 1-5 design.

Every corruption takes float images (N, 1, 28, 28) in [0, 1], a severity 1..5 and a
`torch.Generator`, and returns a new tensor of the same shape and dtype, clamped to
[0, 1]; severity 0 is the identity. All random draws come from the generator, so a seed
fixes the output. Batches are corrupted at once (JPEG loops over images in Pillow); random
draws are made on the CPU, so tensors on another device are drawn for there and moved.

Where the severity tables come from (Hendrycks & Dietterich 2019; Mu & Gilmer 2019):
- pixel-value corruptions (Gaussian, shot and impulse noise, contrast, brightness, JPEG
  quality) use ImageNet-C's values: they act on intensities, not on extents, so they carry
  over to 28 px unchanged; glass blur takes ImageNet-C's (sigma, shift, rounds) as MNIST-C
  applies them at 28 px;
- the geometric shifts use MNIST-C's: rotation and shear of 0.2-1.0 rad (11-57 degrees)
  in a random direction, shrinking to 90-50 %, translation by 1-5 px along each axis;
- Gaussian and motion blur act on absolute extents, where ImageNet-C's 224 px values would
  vanish at 28 px and MNIST-C uses a single level: their sigmas are our choice, in the
  range of CIFAR-10-C's 32 px set and spaced so that severity grows strictly;
- pixelation uses whole blocks of 2-6 px (ImageNet-C's factors 0.6-0.25 mean blocks of
  1.7-4 px here; blocks that do not divide 28 would make severity 1 coarser than 2).
Brightness is an additive shift (ImageNet-C adds to HSV value, which for gray is the
intensity); torchvision's `adjust_brightness` would scale instead. The horizontal flip
has no strength: every severity flips every image.
"""

from __future__ import annotations

import io
import math
import zlib
from collections.abc import Callable

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
import torchvision.transforms.v2.functional as TF
from PIL import Image

from ..errors import ConfigError
from .augmentation import trained_on

SEVERITIES = (1, 2, 3, 4, 5)
BILINEAR = TF.InterpolationMode.BILINEAR

GAUSSIAN_NOISE = (0.08, 0.12, 0.18, 0.26, 0.38)  # std of the added noise
SHOT_NOISE = (60, 25, 12, 5, 3)  # photons at full intensity (fewer = noisier)
IMPULSE_NOISE = (0.03, 0.06, 0.09, 0.17, 0.27)  # share of pixels set to 0 or 1
GAUSSIAN_BLUR = (0.5, 0.75, 1.0, 1.25, 1.5)  # sigma (px)
GLASS_BLUR = ((0.7, 1, 2), (0.9, 2, 1), (1.0, 2, 3), (1.1, 3, 2), (1.5, 4, 2))  # sigma, max shift, rounds
MOTION_BLUR = (1.0, 1.5, 2.0, 2.5, 3.0)  # sigma (px) of the one-sided trail
CONTRAST = (0.4, 0.3, 0.2, 0.1, 0.05)  # factor towards the image mean
BRIGHTNESS = (0.1, 0.2, 0.3, 0.4, 0.5)  # added intensity
JPEG_QUALITY = (25, 18, 15, 10, 7)
PIXELATE = (2, 3, 4, 5, 6)  # block side (px)
ROTATION = tuple(math.degrees(r) for r in (0.2, 0.4, 0.6, 0.8, 1.0))  # degrees, random sign
SHEAR = ROTATION  # degrees of x-shear, random sign
SCALE = (0.9, 0.8, 0.7, 0.6, 0.5)  # shrink about the centre
TRANSLATE = (1, 2, 3, 4, 5)  # pixels along each axis, random signs


def _check(images: torch.Tensor) -> None:
    if images.dim() != 4 or images.shape[1] != 1 or not images.is_floating_point():
        raise ValueError(f"images must be float (N, 1, H, W) in [0, 1], got {tuple(images.shape)} {images.dtype}.")


def gaussian_noise(images: torch.Tensor, severity: int, generator: torch.Generator) -> torch.Tensor:
    """Additive Gaussian noise. Drawn here, not with torchvision's `gaussian_noise`, which ignores generators."""
    noise = torch.randn(images.shape, generator=generator).to(images.device)  # (N, 1, H, W)
    return (images + GAUSSIAN_NOISE[severity - 1] * noise).clamp(0, 1)


def shot_noise(images: torch.Tensor, severity: int, generator: torch.Generator) -> torch.Tensor:
    """Poisson (photon) noise: fewer photons per pixel at higher severity."""
    photons = SHOT_NOISE[severity - 1]
    counts = torch.poisson((images * photons).cpu(), generator=generator).to(images.device)
    return (counts / photons).clamp(0, 1)


def impulse_noise(images: torch.Tensor, severity: int, generator: torch.Generator) -> torch.Tensor:
    """Salt and pepper: a share of pixels set to white or black, half each."""
    amount = IMPULSE_NOISE[severity - 1]
    draw = torch.rand(images.shape, generator=generator).to(images.device)  # (N, 1, H, W)
    out = images.masked_fill(draw < amount / 2, 1.0)
    return out.masked_fill((draw >= amount / 2) & (draw < amount), 0.0)


def _blur(images: torch.Tensor, sigma: float) -> torch.Tensor:
    size = 2 * math.ceil(3 * sigma) + 1  # odd kernel covering +-3 sigma
    return TF.gaussian_blur(images, [size, size], [sigma, sigma])


def gaussian_blur(images: torch.Tensor, severity: int, generator: torch.Generator) -> torch.Tensor:
    """Isotropic Gaussian blur."""
    return _blur(images, GAUSSIAN_BLUR[severity - 1]).clamp(0, 1)


def glass_blur(images: torch.Tensor, severity: int, generator: torch.Generator) -> torch.Tensor:
    """ImageNet-C's glass blur: blur, jitter pixels locally, blur again.

    ImageNet-C swaps pixels one by one in Python; here each round moves every pixel to a
    random neighbour within the maximal shift at once (a gather), which scatters the
    image the same way without a per-pixel loop.
    """
    sigma, shift, rounds = GLASS_BLUR[severity - 1]
    n, _, height, width = images.shape
    out = _blur(images, sigma)
    rows = torch.arange(height, device=images.device).view(1, height, 1)
    cols = torch.arange(width, device=images.device).view(1, 1, width)
    for _ in range(rounds):
        dy, dx = torch.randint(-shift, shift + 1, (2, n, height, width), generator=generator).to(images.device)
        source = (rows + dy).clamp(0, height - 1) * width + (cols + dx).clamp(0, width - 1)  # (N, H, W)
        out = out.flatten(1).gather(1, source.flatten(1)).view_as(out)
    return _blur(out, sigma).clamp(0, 1)


def _trail_kernels(angles: torch.Tensor, sigma: float) -> torch.Tensor:
    """One motion-blur kernel per angle (N, 1, K, K): Gaussian weights along a one-sided line, splatted bilinearly."""
    length = math.ceil(3 * sigma)
    size = 2 * length + 1
    steps = torch.arange(length + 1, dtype=torch.float32)  # (L,)
    weights = torch.exp(-steps ** 2 / (2 * sigma ** 2))
    weights = weights / weights.sum()
    radians = torch.deg2rad(angles).view(-1, 1)  # (N, 1)
    x, y = length + steps * radians.cos(), length - steps * radians.sin()  # (N, L) positions in the kernel
    kernels = torch.zeros(len(angles), size * size)
    for fx, fy, share_x, share_y in ((x.floor(), y.floor(), 1 - x.frac(), 1 - y.frac()),
                                     (x.floor() + 1, y.floor(), x.frac(), 1 - y.frac()),
                                     (x.floor(), y.floor() + 1, 1 - x.frac(), y.frac()),
                                     (x.floor() + 1, y.floor() + 1, x.frac(), y.frac())):
        inside = (fx < size) & (fy < size)
        index = (fy.clamp(max=size - 1) * size + fx.clamp(max=size - 1)).long()
        kernels.scatter_add_(1, index, weights * share_x * share_y * inside)
    return kernels.view(-1, 1, size, size)


def motion_blur(images: torch.Tensor, severity: int, generator: torch.Generator) -> torch.Tensor:
    """A trail in one direction per image, at a random angle within +-45 degrees (ImageNet-C's range)."""
    n = images.shape[0]
    angles = torch.rand(n, generator=generator) * 90 - 45  # (N,)
    kernels = _trail_kernels(angles, MOTION_BLUR[severity - 1]).to(images)  # (N, 1, K, K)
    pad = kernels.shape[-1] // 2
    out = F.conv2d(images.transpose(0, 1), kernels.flip(-1, -2), padding=pad, groups=n)  # (1, N, H, W)
    return out.transpose(0, 1).clamp(0, 1)


def contrast(images: torch.Tensor, severity: int, generator: torch.Generator) -> torch.Tensor:
    """Pull every pixel towards its image's mean intensity."""
    return TF.adjust_contrast(images, CONTRAST[severity - 1]).clamp(0, 1)


def brightness(images: torch.Tensor, severity: int, generator: torch.Generator) -> torch.Tensor:
    """Add a constant intensity (the background turns gray)."""
    return (images + BRIGHTNESS[severity - 1]).clamp(0, 1)


def jpeg(images: torch.Tensor, severity: int, generator: torch.Generator) -> torch.Tensor:
    """JPEG compression at falling quality, through 8-bit pixels as a real encoder sees them.

    Pillow encodes and decodes each image on the CPU (torchvision's `torchvision.io` path is deprecated since 0.29).
    """
    pixels = (images * 255).round().to(torch.uint8).cpu().numpy()  # (N, 1, 28, 28)
    out = np.empty_like(pixels)
    for index, image in enumerate(pixels):
        buffer = io.BytesIO()
        Image.fromarray(image[0]).save(buffer, format="JPEG", quality=JPEG_QUALITY[severity - 1])
        out[index, 0] = np.asarray(Image.open(buffer).convert("L"))
    return torch.from_numpy(out).to(images.device, images.dtype) / 255


def pixelate(images: torch.Tensor, severity: int, generator: torch.Generator) -> torch.Tensor:
    """Average over square blocks and paint each block with its mean (edge blocks may be partial)."""
    block = PIXELATE[severity - 1]
    height, width = images.shape[-2:]
    means = F.avg_pool2d(images, block, ceil_mode=True)  # (N, 1, ceil(H / block), ceil(W / block))
    return means.repeat_interleave(block, -2).repeat_interleave(block, -1)[..., :height, :width].clamp(0, 1)


def _random_signs(n: int, generator: torch.Generator, k: int = 1) -> torch.Tensor:
    return torch.randint(0, 2, (n, k), generator=generator) * 2 - 1  # (N, k) of -1, +1


def _affine_by_sign(images: torch.Tensor, signs: torch.Tensor, **affine) -> torch.Tensor:
    """Apply `TF.affine` per group of images sharing a sign pattern; each keyword is (sign pattern -> value)."""
    out = torch.empty_like(images)
    for pattern in signs.unique(dim=0):
        chosen = (signs == pattern).all(1).to(images.device)
        values = {name: make(pattern.tolist()) for name, make in affine.items()}
        out[chosen] = TF.affine(images[chosen], interpolation=BILINEAR, **values)
    return out.clamp(0, 1)


def rotation(images: torch.Tensor, severity: int, generator: torch.Generator) -> torch.Tensor:
    """Rotation about the centre, clockwise or counter-clockwise at random."""
    degrees = ROTATION[severity - 1]
    return _affine_by_sign(images, _random_signs(len(images), generator), angle=lambda s: s[0] * degrees,
                           translate=lambda s: [0, 0], scale=lambda s: 1.0, shear=lambda s: [0.0, 0.0])


def shear(images: torch.Tensor, severity: int, generator: torch.Generator) -> torch.Tensor:
    """Horizontal shear about the centre, to either side at random."""
    degrees = SHEAR[severity - 1]
    return _affine_by_sign(images, _random_signs(len(images), generator), angle=lambda s: 0.0,
                           translate=lambda s: [0, 0], scale=lambda s: 1.0, shear=lambda s: [s[0] * degrees, 0.0])


def scale(images: torch.Tensor, severity: int, generator: torch.Generator) -> torch.Tensor:
    """Shrink about the centre (the garment gets smaller, the frame stays 28 px)."""
    factor = SCALE[severity - 1]
    return TF.affine(images, angle=0.0, translate=[0, 0], scale=factor, shear=[0.0, 0.0],
                     interpolation=BILINEAR).clamp(0, 1)


def translation(images: torch.Tensor, severity: int, generator: torch.Generator) -> torch.Tensor:
    """Shift by the same number of pixels along both axes, each in a random direction."""
    pixels = TRANSLATE[severity - 1]
    return _affine_by_sign(images, _random_signs(len(images), generator, k=2), angle=lambda s: 0.0,
                           translate=lambda s: [s[0] * pixels, s[1] * pixels], scale=lambda s: 1.0,
                           shear=lambda s: [0.0, 0.0])


def hflip(images: torch.Tensor, severity: int, generator: torch.Generator) -> torch.Tensor:
    """Mirror left-right. A flip has no strength, so every severity is the same flip."""
    return TF.horizontal_flip(images)


Corruption = Callable[[torch.Tensor, int, torch.Generator], torch.Tensor]
CORRUPTIONS: dict[str, Corruption] = {
    "gaussian_noise": gaussian_noise, "shot_noise": shot_noise, "impulse_noise": impulse_noise,
    "gaussian_blur": gaussian_blur, "glass_blur": glass_blur, "motion_blur": motion_blur,
    "contrast": contrast, "brightness": brightness, "jpeg": jpeg, "pixelate": pixelate,
    "rotation": rotation, "shear": shear, "scale": scale, "translation": translation, "hflip": hflip,
}
FAMILIES = {"noise": ("gaussian_noise", "shot_noise", "impulse_noise"),
            "blur": ("gaussian_blur", "glass_blur", "motion_blur"),
            "digital": ("contrast", "brightness", "jpeg", "pixelate"),
            "geometric": ("rotation", "shear", "scale", "translation", "hflip")}
SEEN_BY_AUGMENTATION = trained_on("flip_rotate")  # the write-up's augmented model trained with flips and rotations
SEVERITY_FREE = frozenset({"hflip"})  # the same at every severity: compute once


PARAMETERS = {  # what each table above holds, for the page's table of corruptions
    "gaussian_noise": ("noise std", GAUSSIAN_NOISE), "shot_noise": ("photons at white", SHOT_NOISE),
    "impulse_noise": ("share of pixels hit", IMPULSE_NOISE), "gaussian_blur": ("sigma (px)", GAUSSIAN_BLUR),
    "glass_blur": ("sigma (px), max shift (px), rounds", GLASS_BLUR), "motion_blur": ("trail sigma (px)", MOTION_BLUR),
    "contrast": ("contrast factor", CONTRAST), "brightness": ("added intensity", BRIGHTNESS),
    "jpeg": ("JPEG quality", JPEG_QUALITY), "pixelate": ("block side (px)", PIXELATE),
    "rotation": ("degrees, random sign", tuple(round(d, 1) for d in ROTATION)),
    "shear": ("shear degrees, random sign", tuple(round(d, 1) for d in SHEAR)),
    "scale": ("size factor", SCALE), "translation": ("pixels per axis, random signs", TRANSLATE),
    "hflip": ("mirrored left-right", ("yes",) * len(SEVERITIES)),
}


def parameter_table() -> pd.DataFrame:
    """One row per corruption: family, what its parameter is, the value at each severity, seen in augmentation."""
    family = {name: fam for fam, names in FAMILIES.items() for name in names}
    rows = [{"corruption": name, "family": family[name], "parameter": PARAMETERS[name][0],
             **{f"severity {s}": str(v) for s, v in zip(SEVERITIES, PARAMETERS[name][1])},
             "seen in augmentation": name in SEEN_BY_AUGMENTATION} for name in CORRUPTIONS]
    return pd.DataFrame(rows).set_index("corruption")


LABELS = {"jpeg": "JPEG compression", "hflip": "horizontal flip", "pixelate": "pixelation"}


def label(name: str) -> str:
    """A corruption's name for prose: 'gaussian_noise' -> 'Gaussian noise'."""
    return LABELS.get(name, name.replace("_", " ").replace("gaussian", "Gaussian"))


def check_corruption(name: str) -> str:
    """`name` if the registry has it; otherwise a ConfigError listing those that exist."""
    if name not in CORRUPTIONS:
        raise ConfigError(f"Unknown corruption {name!r}. Choose one of: {', '.join(CORRUPTIONS)}.")
    return name


def condition_seed(seed: int, name: str, severity: int) -> int:
    """A seed per (corruption, severity), stable across runs and Python versions (CRC-32, not hash())."""
    return (seed * 1_000_003 + zlib.crc32(f"{name}/{severity}".encode())) % 2 ** 63


def corrupt(images: torch.Tensor, name: str, severity: int, seed: int = 0) -> torch.Tensor:
    """`images` (N, 1, 28, 28) float in [0, 1] under corruption `name` at `severity` (0 = unchanged copy).

    The same seed gives the same output; the input is never modified.
    """
    fn = CORRUPTIONS[check_corruption(name)]
    _check(images)
    if severity not in (0, *SEVERITIES):
        raise ConfigError(f"severity must be 0 (none) or one of {SEVERITIES}, got {severity!r}.")
    if severity == 0:
        return images.clone()
    generator = torch.Generator().manual_seed(condition_seed(seed, name, severity))
    with torch.no_grad():
        return fn(images, severity, generator).to(images.dtype)


def corruption_grid(image: torch.Tensor, names=tuple(CORRUPTIONS), severities=SEVERITIES,
                    seed: int = 0) -> torch.Tensor:
    """One image (1, 28, 28) or (28, 28) under every corruption and severity: (C, 1 + S, 28, 28), column 0 clean."""
    image = image.reshape(1, 1, *image.shape[-2:]).float()
    rows = [torch.cat([image] + [corrupt(image, name, s, seed) for s in severities])[:, 0] for name in names]
    return torch.stack(rows)  # (C, 1 + S, H, W)
