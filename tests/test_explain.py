"""CAMs and region statistics: shapes, ranges, modes, determinism, and answers known by construction."""

import numpy as np
import pytest
import torch
from torch import nn

import pytorch_grad_cam  # noqa: F401  (the report extra: installed from the lock)

from fmnist_lib.errors import ConfigError  # noqa: E402
from fmnist_lib.analysis.explain import (  # noqa: E402
    CAM_METHODS, cam_mass_fractions, cam_spread, compute_cams, diffuse_claim, footwear_claim, object_mask, overlay,
    silhouette_claim,
)
from fmnist_lib.training.models import MODEL_NAMES, build_model  # noqa: E402


@pytest.fixture(scope="module")
def cnn():
    torch.manual_seed(0)
    return build_model("custom_cnn")


def pass_through_cnn(target: int) -> nn.Module:
    """A custom CNN whose Grad-CAM layer holds the max-pooled image in channel 0 and whose `target` logit sums it.

    Every conv copies channel 0 (centre tap 1), BatchNorm is the identity at
    init, and the dense layers add channel 0's 7 x 7 map into `target`: so
    Grad-CAM for `target` is the 14 x 14 pooled image, upsampled.
    """
    model = build_model("custom_cnn")
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                module.weight.zero_()
                module.bias.zero_()
            if isinstance(module, nn.Conv2d):
                module.weight[0, 0, 1, 1] = 1
        model.net.classifier[1].weight[0, :49] = 1  # channel 0 (first 49 of 64 x 7 x 7) -> hidden unit 0
        model.net.classifier[-1].weight[target, 0] = 1  # hidden unit 0 -> class `target`
    return model.eval()


def rectangles(n: int, rows: slice, cols: slice) -> np.ndarray:
    """uint8 (n, 28, 28) images holding a filled rectangle."""
    images = np.zeros((n, 28, 28), np.uint8)
    images[:, rows, cols] = 200
    return images


@pytest.mark.parametrize("method", sorted(CAM_METHODS))
def test_cams_shape_range_mode_and_inputs_untouched(fmnist, cnn, method):
    images = fmnist.test_images[:3]
    floats = images.unsqueeze(1).float() / 255
    copies = images.clone(), floats.clone()
    cnn.train()
    cams = compute_cams(cnn, images, [0, 1, 2], method=method, batch_size=2)
    assert cams.shape == (3, 28, 28) and cams.dtype == np.float32
    assert cams.min() >= 0 and cams.max() <= 1 and np.isfinite(cams).all()
    assert not cnn.training and all(p.grad is None for p in cnn.parameters())
    assert np.allclose(compute_cams(cnn, floats, [0, 1, 2], method=method), cams, atol=1e-5)
    assert torch.equal(images, copies[0]) and torch.equal(floats, copies[1])


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_cams_for_every_registry_model(fmnist, name):
    torch.manual_seed(1)
    cams = compute_cams(build_model(name), fmnist.test_images[:2], None)
    assert cams.shape == (2, 28, 28) and 0 <= cams.min() and cams.max() <= 1


def test_cams_deterministic_and_independent_of_batching(fmnist, cnn):
    images = fmnist.test_images[10:16]
    first = compute_cams(cnn, images, None, batch_size=6)
    assert np.array_equal(first, compute_cams(cnn, images, None, batch_size=6))
    assert np.allclose(first, compute_cams(cnn, images, None, batch_size=1), atol=1e-5)
    state = np.random.get_state()[1].copy()
    random_maps = compute_cams(cnn, images, None, method="random", seed=3)
    assert np.array_equal(random_maps, compute_cams(cnn, images, None, method="random", seed=3))
    assert np.array_equal(state, np.random.get_state()[1])  # the global NumPy generator is left as it was


def test_cams_work_inside_inference_mode(fmnist, cnn):
    with torch.inference_mode():
        images = fmnist.test_images[:2].clone()  # an inference tensor
        cams = compute_cams(cnn, images, [3, 3])
        floats = compute_cams(cnn, images.unsqueeze(1) / 255, [3, 3])
    assert cams.shape == (2, 28, 28) and np.allclose(cams, floats, atol=1e-5)
    assert np.allclose(cams, compute_cams(cnn, fmnist.test_images[:2], [3, 3]))


@pytest.mark.parametrize("method", ["gradcam", "gradcam++"])
def test_gradcam_finds_the_object_by_construction(method):
    images = rectangles(2, slice(20, 28), slice(6, 22))  # object only in the bottom third of the image
    images[1, 22:25, 10:14] = 255
    cams = compute_cams(pass_through_cnn(target=3), images, [3, 3], method=method)
    bottom_share = cams[:, 18:].sum((1, 2)) / cams.sum((1, 2))
    assert bottom_share == pytest.approx([1.0, 1.0], abs=0.02)
    assert cam_mass_fractions(cams, images)["on_object"].min() > 0.8
    assert cams[0, 23, 13] == pytest.approx(1.0, abs=1e-3) and cams[0, 2, 2] == 0


def test_cams_reject_bad_arguments(cnn, fmnist):
    with pytest.raises(ConfigError, match="gradcam.*eigencam"):
        compute_cams(cnn, fmnist.test_images[:1], None, method="scorecam-typo")
    with pytest.raises(ConfigError, match="one class"):
        compute_cams(cnn, fmnist.test_images[:2], [1])
    with pytest.raises(ConfigError, match="one class"):
        compute_cams(cnn, fmnist.test_images[:1], [10])


def test_overlay_is_an_rgb_float_image(fmnist):
    cam = np.zeros((28, 28), np.float32)
    cam[5:10, 5:10] = 1
    for image in (fmnist.test_images[0], fmnist.test_images[0].float() / 255):
        picture = overlay(image, cam)
        assert picture.shape == (28, 28, 3) and picture.dtype == np.float32
        assert picture.min() >= 0 and picture.max() == pytest.approx(1.0)
    assert not np.allclose(overlay(fmnist.test_images[0], cam), overlay(fmnist.test_images[0], cam * 0))


def test_object_mask_threshold():
    images = np.zeros((1, 28, 28), np.uint8)
    images[0, 3, 4], images[0, 5, 6] = 10, 200
    mask = object_mask(images, threshold=0.05)
    assert mask.shape == (1, 28, 28) and mask.sum() == 1 and mask[0, 5, 6]


def test_mass_fractions_known_values():
    image = rectangles(1, slice(4, 25), slice(7, 22))  # box rows 4..24 -> thirds [4,11) [11,18) [18,25); cols 7|12|17|22
    cams = np.zeros((5, 28, 28))
    cams[0, 18:25, 7:22] = 1  # bottom third of the box
    cams[1, 4:25, 12:17] = 1  # central column band
    cams[2] = 1  # everywhere
    cams[3, 0:2, 0:2] = 1  # off the object and outside its box
    fractions = cam_mass_fractions(cams, np.repeat(image, 5, axis=0))
    assert fractions.loc[0, ["top", "middle", "bottom", "on_object", "in_box"]].tolist() == pytest.approx([0, 0, 1, 1, 1])
    assert fractions.loc[0, ["left", "center", "right"]].tolist() == pytest.approx([1 / 3] * 3)
    assert fractions.loc[1, ["left", "center", "right"]].tolist() == pytest.approx([0, 1, 0])
    area = 21 * 15 / 784
    assert fractions.loc[2, ["on_object", "in_box", "object_area"]].tolist() == pytest.approx([area] * 3)
    assert fractions.loc[3, ["on_object", "in_box"]].tolist() == [0, 0] and np.isnan(fractions.loc[3, "center"])
    assert fractions.loc[4].drop(["object_area"]).filter(regex="^(?!object_)").isna().all()  # all-zero CAM
    assert fractions.loc[0, ["object_top", "object_center"]].tolist() == pytest.approx([1 / 3, 1 / 3])


def test_object_band_shares_follow_the_silhouette():
    image = np.zeros((1, 28, 28), np.uint8)
    image[0, 4:10, 4:25] = 255  # shoulders and sleeves: 6 x 21
    image[0, 10:25, 11:18] = 255  # torso: 15 x 7, all in the central column band [11, 18)
    fractions = cam_mass_fractions(np.ones((1, 28, 28)), image)
    total = 6 * 21 + 15 * 7
    assert fractions.loc[0, "object_center"] == pytest.approx((6 * 7 + 15 * 7) / total)
    assert fractions.loc[0, "object_left"] == pytest.approx(6 * 7 / total)


def test_cam_spread_known_values():
    cams = np.zeros((4, 28, 28))
    cams[0, 3, 3] = 1
    cams[1] = 1
    cams[2, 0, 0], cams[2, 0, 1] = 3, 1
    assert cam_spread(cams)[:3].tolist() == pytest.approx([1 / 784, 0.5, 1 / 784])
    assert cam_spread(cams, mass=0.9)[2] == pytest.approx(2 / 784)
    assert np.isnan(cam_spread(cams)[3])


def garment_cases(n_errors: int, cam_cols: slice, seed: int = 0):
    """Pullover -> Trouser errors on T-shaped garments with CAMs on `cam_cols`, plus 5 correct ones and 3 bag errors."""
    rng = np.random.default_rng(seed)
    n = n_errors + 8
    images = np.zeros((n, 28, 28), np.uint8)
    images[:, 4:10, 4:25] = 200  # shoulders and sleeves
    images[:, 10:25, 11:18] = 200  # torso
    cams = rng.uniform(0, 0.05, (n, 28, 28))
    cams[:, 4:25, cam_cols] += rng.uniform(0.5, 1, (n, 1, 1))
    labels = np.array([2] * n_errors + [2] * 5 + [8] * 3)
    predictions = np.array([1] * n_errors + [2] * 5 + [3] * 3)
    return cams, images, labels, predictions


def test_silhouette_claim_rule():
    central = silhouette_claim(*garment_cases(12, slice(12, 17)))
    assert central["supported"] and central["n_errors"] == 12 and central["n_correct"] == 5
    assert central["pairs"] == {"Pullover -> Trouser": 12}  # the Bag -> Dress errors are not garment pairs
    assert central["median_excess_errors"] > 0.2 and central["p_value"] < 0.01
    sleeves = silhouette_claim(*garment_cases(12, slice(4, 8)))
    assert not sleeves["supported"] and sleeves["median_excess_errors"] < 0
    few = silhouette_claim(*garment_cases(4, slice(12, 17)))
    assert not few["supported"] and np.isnan(few["p_value"])


def footwear_cases(cam_rows: slice, seed: int = 0):
    """Sneaker <-> Ankle boot errors on boot-shaped images with CAMs on `cam_rows`."""
    rng = np.random.default_rng(seed)
    images = np.zeros((14, 28, 28), np.uint8)
    images[:, 4:22, 14:22] = 180  # shaft
    images[:, 16:22, 4:22] = 180  # foot and sole
    cams = rng.uniform(0, 0.05, (14, 28, 28))
    cams[:, cam_rows, 4:22] += rng.uniform(0.5, 1, (14, 1, 1))
    labels = np.array([7] * 8 + [9] * 4 + [7, 9])
    predictions = np.array([9] * 8 + [7] * 4 + [7, 9])
    return cams, images, labels, predictions


def test_footwear_claim_rule():
    sole = footwear_claim(*footwear_cases(slice(16, 22)))
    assert sole["supported"] and sole["n_errors"] == 12 and sole["median_top_errors"] < 0.06
    assert sole["pairs"] == {"Sneaker -> Ankle boot": 8, "Ankle boot -> Sneaker": 4}
    ankle = footwear_claim(*footwear_cases(slice(4, 10)))
    assert not ankle["supported"] and ankle["median_excess_errors"] > 0


def test_diffuse_claim_rule():
    cams = np.zeros((20, 28, 28))
    for i in range(20):
        cams[i, : i + 1] = 1  # the i-th CAM covers i + 1 rows
    entropies = np.linspace(0.01, 2.0, 20)
    broad = diffuse_claim(cams, entropies, images=rectangles(20, slice(2, 26), slice(8, 20)))
    assert broad["supported"] and broad["rho"] == pytest.approx(1.0) and broad["n"] == 20
    assert broad["median_spread_high_entropy"] > broad["median_spread_low_entropy"]
    assert "rho_entropy_object_area" in broad
    assert not diffuse_claim(cams, entropies[::-1])["supported"]
    cams[0] = 0
    assert diffuse_claim(cams, entropies)["n_all_zero_cams"] == 1


def test_claim_verdict_words():
    from fmnist_lib.analysis.explain import claim_verdict

    assert claim_verdict({"n_errors": 40, "supported": True}) == "supported by these data"
    assert claim_verdict({"n": 40, "supported": False}) == "not supported by these data"
    assert claim_verdict({"n_errors": 9, "supported": False}).startswith("not testable here (only 9")
