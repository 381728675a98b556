"""Saliency checks: the randomisation cascade, rank correlations, ROAD's percentile convention, deletion curves."""

import numpy as np
import pandas as pd
import pytest
import torch

import pytorch_grad_cam  # noqa: F401  (the report extra: installed from the lock)

from pytorch_grad_cam.metrics.perturbation_confidence import (  # noqa: E402
    RemoveLeastRelevantFirst, RemoveMostRelevantFirst,
)

from fmnist_lib.analysis import saliency_faithfulness as faithfulness  # noqa: E402
from fmnist_lib.analysis import saliency_randomisation as randomisation  # noqa: E402
from fmnist_lib.training.config import TrainConfig  # noqa: E402
from fmnist_lib.training.model_parts import randomisation_stages  # noqa: E402
from fmnist_lib.training.models import MODEL_NAMES, build_model  # noqa: E402
from fmnist_lib.training.train import train  # noqa: E402


@pytest.fixture(scope="module")
def trained(fmnist):
    """A custom CNN trained for a few seconds (512 images, 2 epochs): its maps follow what it learned."""
    config = TrainConfig(model="custom_cnn", epochs=2, train_subset=512, val_size=200, test_subset=1_000, device="cpu",
                         seed=3)
    result = train(config, fmnist, progress=False)
    model = build_model("custom_cnn", result.mean, result.std)
    model.load_state_dict(result.final_state)
    return model.eval()


@pytest.fixture(scope="module")
def pixels(fmnist):
    return fmnist.test_images[:12].unsqueeze(1).float() / 255


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_stages_cover_every_parameter_once_top_first(name):
    model = build_model(name)
    stages = randomisation_stages(model)
    assert stages[0][0] == "output layer"
    covered = [id(p) for _, modules in stages for module in modules for p in module.parameters()]
    assert len(covered) == len(set(covered))
    assert set(covered) == {id(p) for p in model.parameters()}


def test_reinitialise_is_seeded_and_leaves_the_global_generator_alone():
    a, b = build_model("custom_cnn"), build_model("custom_cnn")
    b.load_state_dict(a.state_dict())
    state = torch.random.get_rng_state()
    randomisation.reinitialise([a.net.classifier[-1]], seed=5)
    randomisation.reinitialise([b.net.classifier[-1]], seed=5)
    assert torch.equal(state, torch.random.get_rng_state())
    assert torch.equal(a.net.classifier[-1].weight, b.net.classifier[-1].weight)
    randomisation.reinitialise([b.net.classifier[-1]], seed=6)
    assert not torch.equal(a.net.classifier[-1].weight, b.net.classifier[-1].weight)


def test_rank_correlations_known_values():
    rng = np.random.default_rng(0)
    maps = rng.random((3, 28, 28))
    assert randomisation.rank_correlations(maps, maps) == pytest.approx([1, 1, 1])
    assert randomisation.rank_correlations(maps, 1 - maps) == pytest.approx([-1, -1, -1])
    blank = np.zeros((1, 28, 28))
    assert np.isnan(randomisation.rank_correlations(maps[:1], blank)[0])  # blank: no ranking, never a "change"
    assert np.isnan(randomisation.rank_correlations(maps[:1], blank + 1e-5 * maps[:1])[0])  # nearly blank too
    assert np.isnan(randomisation.rank_correlations(blank, maps[:1])[0])


def test_untouched_model_correlates_one_and_randomised_last_layers_do_not(trained, pixels):
    before = {k: v.clone() for k, v in trained.state_dict().items()}
    with torch.no_grad():
        targets = trained(pixels).argmax(1).numpy()
    result = randomisation.cascading_randomisation(trained, pixels, targets, "gradcam", seed=0, n_examples=3)
    table = result.table.set_index("randomised")
    assert table.loc["none", ["median rho", "q25", "q75"]].tolist() == [1, 1, 1]  # a fresh copy, recomputed
    assert table.loc["output layer", "median rho"] < 0.5  # the last layer re-drawn
    assert table.loc["block 2, conv 2", "median rho"] < 0.5  # output, hidden and the CAM layer re-drawn
    assert result.examples.shape == (len(table), 3, 28, 28)
    assert all(torch.equal(before[k], v) for k, v in trained.state_dict().items())  # the model itself untouched


def test_sanity_verdict_reads_the_midpoint_rule():
    table = pd.DataFrame({"step": [0, 1, 2], "randomised": ["none", "output layer", "block 1"],
                          "median rho": [1.0, 0.8, 0.3]})
    passed = randomisation.sanity_verdict(randomisation.RandomisationResult(table, np.zeros((3, 1, 28, 28)), floor=0.2))
    assert passed["passes"] and passed["midpoint"] == pytest.approx(0.6) and passed["first_below"] == "block 1"
    failed = randomisation.sanity_verdict(randomisation.RandomisationResult(table, np.zeros((3, 1, 28, 28)), floor=-0.5))
    assert not failed["passes"] and failed["midpoint"] == pytest.approx(0.25) and failed["first_below"] is None
    assert (passed["outcome"], failed["outcome"]) == ("pass", "fail")


def test_blank_maps_are_reported_as_blank_not_as_a_pass():
    """A model whose re-drawn (or original) maps are mostly blank neither passes nor fails: it is 'blank'."""
    table = pd.DataFrame({"step": [0, 1, 2], "randomised": ["none", "output layer", "block 1"],
                          "median rho": [1.0, 0.8, 0.0], "blank maps": [0.0, 0.0, 0.9]})
    verdict = randomisation.sanity_verdict(randomisation.RandomisationResult(table, np.zeros((3, 1, 28, 28)), 0.2))
    assert verdict["outcome"] == "blank" and not verdict["passes"]
    dead = table.assign(**{"blank maps": [1.0, 1.0, 1.0]})
    assert randomisation.sanity_verdict(randomisation.RandomisationResult(dead, np.zeros((3, 1, 28, 28)), 0.2))[
        "outcome"] == "blank"
    maps = np.zeros((3, 28, 28))
    maps[1, 3, 3] = 1.0
    maps[2] = 0.5 + 1e-6 * np.random.default_rng(0).random((28, 28))  # constant up to noise
    assert randomisation.blank(maps).tolist() == [True, False, True]


def test_untie_gives_distinct_ranks_in_the_maps_order():
    cams = np.zeros((2, 28, 28), np.float32)
    cams[:, 0, :5] = [0.1, 0.5, 0.5, 0.9, 1.0]
    ranked = faithfulness.untie(cams, seed=0)
    assert all(len(np.unique(r)) == 784 for r in ranked) and ranked.max() == 1
    assert ranked[0, 0, 4] == 1 and ranked[0, 0, 3] > ranked[0, 0, 2] > ranked[0, 0, 0]
    assert np.array_equal(ranked, faithfulness.untie(cams, seed=0))


@pytest.mark.parametrize("fraction", faithfulness.FRACTIONS_REMOVED)
def test_road_percentile_removes_the_intended_share(fraction):
    ranked = torch.from_numpy(faithfulness.untie(np.random.default_rng(1).random((1, 28, 28)))[0])
    percentile = round(100 * (1 - fraction))  # what road_changes passes: p keeps p %, removes 100 - p %
    keep_mask = lambda image, mask: mask  # noqa: E731  (an "imputer" that returns the kept-pixel mask)
    most = RemoveMostRelevantFirst(percentile, keep_mask)(torch.zeros(1, 28, 28), ranked)
    least = RemoveLeastRelevantFirst(percentile, keep_mask)(torch.zeros(1, 28, 28), ranked)
    assert (most == 0).float().mean().item() == pytest.approx(fraction, abs=2 / 784)
    assert (least == 0).float().mean().item() == pytest.approx(fraction, abs=2 / 784)
    assert ranked[most == 0].min() > ranked[most == 1].max()  # the most relevant pixels went first
    assert ranked[least == 0].max() < ranked[least == 1].min()


def test_road_and_deletion_shapes_and_anchors(trained, pixels):
    targets = np.arange(len(pixels)) % 10
    cams = np.random.default_rng(0).random((len(pixels), 28, 28)).astype(np.float32)
    road = faithfulness.road_changes(trained, pixels, cams, targets, fractions=(0.5,), seed=0)
    assert len(road) == 2 * len(pixels) and set(road.order) == set(faithfulness.ROAD_ORDERS)
    curve = faithfulness.deletion_curve(trained, pixels, cams, targets, fractions=(0.0, 1.0))
    with torch.no_grad():
        probs = torch.softmax(trained(pixels), 1)[torch.arange(len(pixels)), torch.as_tensor(targets)].numpy()
        black = torch.softmax(trained(torch.zeros_like(pixels)), 1)[torch.arange(len(pixels)), torch.as_tensor(targets)]
    assert curve.shape == (2, len(pixels))
    assert curve[0] == pytest.approx(probs, abs=1e-5) and curve[1] == pytest.approx(black.numpy(), abs=1e-5)


def test_rank_methods_orders_by_road_score_and_deletion_area():
    road = pd.DataFrame({"method": ["a", "a", "b", "b"], "order": ["most relevant first", "least relevant first"] * 2,
                         "fraction removed": 0.5, "image": 0, "change": [-0.6, -0.1, -0.2, -0.3]})
    deletion = pd.DataFrame({"method": ["a", "a", "b", "b"], "fraction": [0, 1] * 2, "probability": [1, 0, 1, 0.5]})
    ranking = faithfulness.rank_methods(road, deletion)
    assert list(ranking.index) == ["a", "b"]
    assert ranking["ROAD score"].tolist() == pytest.approx([0.25, -0.05])
    assert ranking["deletion AUC"].tolist() == pytest.approx([0.5, 0.75])
    assert ranking["rank (deletion)"].tolist() == [1, 2]


def test_faithfulness_ranks_every_method(trained, pixels):
    targets, threads = np.zeros(4, dtype=int), torch.get_num_threads()
    result = faithfulness.faithfulness(trained, pixels[:4], targets, ["gradcam", "random"], seed=0,
                                   fractions=(0.5,), deletion_fractions=(0.0, 0.5, 1.0))
    assert torch.get_num_threads() == threads  # the one-thread section gives the setting back
    assert set(result.ranking.index) == {"gradcam", "random"}
    assert len(result.deletion) == 6 and len(result.road) == 2 * 2 * 4
    means = result.per_image.groupby("method")[["ROAD score", "deletion AUC"]].mean()
    assert means.loc["gradcam", "ROAD score"] == pytest.approx(result.ranking.loc["gradcam", "ROAD score"])
    assert means.loc["random", "deletion AUC"] == pytest.approx(result.ranking.loc["random", "deletion AUC"])


def test_beats_floor_needs_a_clear_paired_difference():
    images = np.arange(12)
    per_image = pd.DataFrame({"method": ["a"] * 12 + ["random"] * 12, "image": np.r_[images, images],
                              "ROAD score": np.r_[np.linspace(0.2, 0.3, 12), np.linspace(0.0, 0.1, 12)],
                              "deletion AUC": np.r_[np.full(12, 0.5), np.full(12, 0.5)]})
    result = faithfulness.Faithfulness(pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), per_image)
    verdict = faithfulness.beats_floor(result, "a")
    assert verdict["ROAD score"]["better"] and verdict["ROAD score"]["p"] < 0.01
    assert not verdict["deletion AUC"]["better"] and verdict["deletion AUC"]["p"] == 1.0
