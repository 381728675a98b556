"""Batches and augmentation: right shapes and ranges, right geometry, seeded."""

import pytest
import torch
from torchvision.transforms.v2 import functional as TF

from fmnist_lib.data.batches import augment, iterate_batches, rotate, to_unit_float


def asymmetric_image():
    """A bright bar in the top-left corner only: any flip or rotation moves it."""
    image = torch.zeros(1, 1, 28, 28)
    image[0, 0, 2:6, 2:12] = 1.0
    return image


def test_to_unit_float_shape_and_range():
    images = torch.tensor([[[0, 255]]], dtype=torch.uint8).expand(3, 2, 2)
    x = to_unit_float(images)
    assert x.shape == (3, 1, 2, 2) and x.dtype == torch.float32
    assert x.min() == 0.0 and x.max() == 1.0


def test_flip_always_mirrors_the_image():
    image = asymmetric_image()
    flipped = augment(image, torch.Generator().manual_seed(0), flip_p=1.0, max_degrees=0.0)
    assert torch.equal(flipped, image.flip(-1))
    assert flipped[0, 0, 2:6, 16:26].sum() == 40 and flipped[0, 0, :, :14].sum() == 0


def test_no_flip_no_rotation_is_identity():
    image = torch.rand(4, 1, 28, 28)
    assert torch.equal(augment(image, torch.Generator().manual_seed(0), flip_p=0.0, max_degrees=0.0), image)


@pytest.mark.parametrize("degrees", [10.0, -10.0, 90.0])
def test_rotation_matches_torchvision(degrees, fmnist):
    x = to_unit_float(fmnist.train_images[:8])
    ours = rotate(x, torch.full((8,), degrees))
    theirs = TF.rotate(x, degrees, interpolation=TF.InterpolationMode.NEAREST)
    assert (ours == theirs).float().mean() > 0.99


def test_augment_is_per_sample_seeded_and_does_not_mutate(fmnist):
    x = to_unit_float(fmnist.train_images[:256])
    before = x.clone()
    first = augment(x, torch.Generator().manual_seed(1))
    second = augment(x, torch.Generator().manual_seed(1))
    other = augment(x, torch.Generator().manual_seed(2))
    assert torch.equal(x, before)
    assert torch.equal(first, second) and not torch.equal(first, other)
    assert first.shape == x.shape and first.min() >= 0 and first.max() <= 1
    flipped = (first - x.flip(-1)).abs().flatten(1).mean(1) < (first - x).abs().flatten(1).mean(1)
    assert 0.35 < flipped.float().mean() < 0.65  # about half the images are mirrored


def test_batches_cover_every_image_once():
    images = torch.arange(10, dtype=torch.uint8).view(10, 1, 1).expand(10, 2, 2).contiguous()
    labels = torch.arange(10, dtype=torch.uint8)
    batches = list(iterate_batches(images, labels, 4, shuffle=True, generator=torch.Generator().manual_seed(0)))
    assert [len(y) for _, y in batches] == [4, 4, 2]
    seen = torch.cat([y for _, y in batches])
    assert sorted(seen.tolist()) == list(range(10)) and seen.tolist() != list(range(10))
    for x, y in batches:  # each image stays with its label
        assert torch.allclose(x[:, 0, 0, 0] * 255, y.float())
        assert y.dtype == torch.int64


def test_shuffle_needs_a_generator():
    with pytest.raises(ValueError, match="seeded generator"):
        next(iterate_batches(torch.zeros(2, 2, 2, dtype=torch.uint8), torch.zeros(2), 1, shuffle=True))
