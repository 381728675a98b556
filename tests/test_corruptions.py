"""Corruptions: shape, dtype and range kept, severity 0 is the identity, severity grows the change, seeds fix draws."""

import pytest
import torch

from fmnist_lib.data import corruptions
from fmnist_lib.data.corruptions import CORRUPTIONS, SEVERITIES, SEVERITY_FREE, corrupt
from fmnist_lib.errors import ConfigError


@pytest.fixture(scope="module")
def batch(fmnist):
    """48 real test images as float (48, 1, 28, 28) in [0, 1]."""
    return fmnist.test_images[:48].unsqueeze(1).float() / 255


def distance(a: torch.Tensor, b: torch.Tensor) -> float:
    return (a - b).pow(2).mean().sqrt().item()


@pytest.mark.parametrize("name", CORRUPTIONS)
def test_shape_dtype_range_kept_and_input_untouched(batch, name):
    before = batch.clone()
    for severity in SEVERITIES:
        out = corrupt(batch, name, severity, seed=1)
        assert out.shape == batch.shape and out.dtype == batch.dtype
        assert out.min() >= 0 and out.max() <= 1 and torch.isfinite(out).all()
    assert torch.equal(batch, before)


@pytest.mark.parametrize("name", CORRUPTIONS)
def test_severity_zero_is_the_identity(batch, name):
    out = corrupt(batch, name, 0, seed=1)
    assert torch.equal(out, batch) and out is not batch


@pytest.mark.parametrize("name", CORRUPTIONS)
def test_higher_severity_changes_the_image_more(batch, name):
    distances = [distance(corrupt(batch, name, s, seed=2), batch) for s in SEVERITIES]
    assert distances[0] > 0
    if name in SEVERITY_FREE:
        assert distances == pytest.approx([distances[0]] * len(SEVERITIES))
    else:
        assert all(a < b for a, b in zip(distances, distances[1:])), distances


@pytest.mark.parametrize("name", CORRUPTIONS)
def test_same_seed_same_output(batch, name):
    assert torch.equal(corrupt(batch, name, 3, seed=7), corrupt(batch, name, 3, seed=7))


@pytest.mark.parametrize("name", ["gaussian_noise", "shot_noise", "impulse_noise", "glass_blur", "motion_blur",
                                  "rotation", "shear", "translation"])
def test_random_corruptions_depend_on_the_seed(batch, name):
    assert not torch.equal(corrupt(batch, name, 3, seed=7), corrupt(batch, name, 3, seed=8))


def test_known_values():
    black = torch.zeros(2, 1, 28, 28)
    assert torch.allclose(corrupt(black, "brightness", 3), torch.full_like(black, corruptions.BRIGHTNESS[2]))
    gray = torch.full((2, 1, 28, 28), 0.4)
    assert torch.allclose(corrupt(gray, "contrast", 5), gray, atol=1e-6)  # a flat image has no contrast to lose
    dot = torch.zeros(1, 1, 28, 28)
    dot[0, 0, 10, 12] = 1.0
    assert torch.equal(corrupt(corrupt(dot, "hflip", 1), "hflip", 4), dot)
    moved = corrupt(dot, "translation", 2, seed=0)  # 2 px along each axis, in random directions
    row, col = divmod(int(moved.flatten().argmax()), 28)
    assert abs(row - 10) == 2 and abs(col - 12) == 2
    hit = (corrupt(torch.full((50, 1, 28, 28), 0.4), "impulse_noise", 5, seed=0) != 0.4).float().mean().item()
    assert hit == pytest.approx(corruptions.IMPULSE_NOISE[4], abs=0.02)


def test_motion_blur_keeps_total_intensity_of_a_centred_dot():
    dot = torch.zeros(4, 1, 28, 28)
    dot[:, 0, 14, 14] = 1.0
    out = corruptions.motion_blur(dot, 2, torch.Generator().manual_seed(0))
    assert out.sum((1, 2, 3)) == pytest.approx(torch.ones(4), abs=1e-4)
    assert (out > 0).sum() > 4 * 2  # spread into a trail


def test_bad_input_is_refused(batch):
    with pytest.raises(ConfigError, match="Unknown corruption"):
        corrupt(batch, "fog", 1)
    with pytest.raises(ConfigError, match="severity"):
        corrupt(batch, "contrast", 6)
    with pytest.raises(ValueError, match="float"):
        corrupt((batch * 255).to(torch.uint8), "contrast", 1)


def test_grid_and_parameter_table(batch):
    grid = corruptions.corruption_grid(batch[0], ["contrast", "hflip"], (1, 5), seed=0)
    assert grid.shape == (2, 3, 28, 28) and torch.equal(grid[:, 0], batch[0, 0].expand(2, 28, 28))
    table = corruptions.parameter_table()
    assert list(table.index) == list(CORRUPTIONS)
    assert set(table.index[table["seen in augmentation"]]) == set(corruptions.SEEN_BY_AUGMENTATION)
    assert corruptions.label("gaussian_noise") == "Gaussian noise"
