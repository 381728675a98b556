"""The benchmark harness cannot rot, and the fast training path computes what the write-up's loop computes.

Speed targets live in benchmarks/ (see book/docs/performance.md), never in timed tests.
"""

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torchvision import datasets

from fmnist_lib.data.batches import iterate_batches
from fmnist_lib.data.fashion_mnist import split_indices
from fmnist_lib.training.config import TrainConfig
from fmnist_lib.training.models import CustomCNN, build_model
from fmnist_lib.training.train import make_train_step, split_for

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
import reference_pipeline as reference  # noqa: E402

RESULT_KEYS = {"model", "device", "reference_img_per_s", "ours_img_per_s", "ratio"}


def test_throughput_benchmark_runs_and_writes_its_json(tmp_path):
    out = tmp_path / "throughput.json"
    done = subprocess.run([sys.executable, str(BENCHMARKS / "train_throughput.py"), "--models", "custom_cnn",
                           "--steps", "2", "--rounds", "2", "--warmup", "1", "--device", "cpu", "--json", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    results = json.loads(out.read_text())
    assert [r["model"] for r in results] == ["custom_cnn"]
    result = results[0]
    assert RESULT_KEYS <= set(result) and result["device"] == "cpu"
    assert result["reference_img_per_s"] > 0 and result["ours_img_per_s"] > 0
    assert result["ratio"] == pytest.approx(result["ours_img_per_s"] / result["reference_img_per_s"], rel=1e-2)
    assert "custom_cnn" in done.stdout and "ratio" in done.stdout


def test_throughput_benchmark_rejects_an_unknown_model():
    done = subprocess.run([sys.executable, str(BENCHMARKS / "train_throughput.py"), "--models", "alexnet"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "unknown model(s) alexnet" in done.stderr and "Traceback" not in done.stderr


def test_report_time_rejects_an_unknown_profile():
    done = subprocess.run([sys.executable, str(BENCHMARKS / "report_time.py"), "--profile", "huge"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "Unknown profile 'huge'" in done.stderr and "Traceback" not in done.stderr


def test_report_time_will_not_build_over_a_folder_in_use(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    done = subprocess.run([sys.executable, str(BENCHMARKS / "report_time.py"), "--keep", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "is not empty; name a new or empty folder" in done.stderr
    assert (tmp_path / "notes.txt").read_text() == "mine" and len(list(tmp_path.iterdir())) == 1


def test_reference_data_is_the_verified_dataset(fmnist, tmp_path):
    root = reference.prepare_root(tmp_path)
    train = datasets.FashionMNIST(root, train=True, download=False)
    test = datasets.FashionMNIST(root, train=False, download=False)
    assert torch.equal(train.data, fmnist.train_images) and torch.equal(test.targets, fmnist.test_labels.long())


def _fp32_losses_both_ways(fmnist, tmp_path, steps: int):
    """Per-step losses of our step and of the write-up's loop, from the same initial weights and images.

    The images reach the reference loop through its own torchvision dataset and per-image transforms
    (ToTensor + Normalize with the write-up's constants); ours come from `iterate_batches` and are
    normalised inside the model with the same constants. Both models use channels-last memory, since
    that layout decides which units a seeded dropout mask drops (see the next test).
    """
    config = TrainConfig(model="custom_cnn", train_subset=256, val_size=1_000, batch_size=32, device="cpu",
                         precision="fp32", seed=5)
    split = split_for(config, fmnist)
    torch.manual_seed(config.seed)
    ours = build_model("custom_cnn", reference.MEAN, reference.STD).to(memory_format=torch.channels_last)
    plain = copy.deepcopy(ours.net)  # the same initial weights, without the normalisation layer

    generator = torch.Generator().manual_seed(config.seed)
    order = torch.randperm(len(split.train_images), generator=torch.Generator().manual_seed(config.seed))
    batches = list(iterate_batches(split.train_images[order], split.train_labels[order], config.batch_size,
                                   shuffle=False, generator=generator))[:steps]

    train_set = datasets.FashionMNIST(reference.prepare_root(tmp_path), train=True, download=False,
                                      transform=reference.reference_transform())
    train_index, _ = split_indices(len(fmnist.train_images), config.val_size, config.split_seed)
    wanted = [int(i) for i in train_index[: config.train_subset][order]]  # dataset indices of our batches

    def optimizer(model):
        return torch.optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum,
                               weight_decay=config.weight_decay)

    torch.manual_seed(0)
    step = make_train_step(ours.train(), optimizer(ours), "fp32")
    our_losses = [float(step(x, y)[0]) / len(y) for x, y in batches]

    torch.manual_seed(0)
    plain.train()
    plain_optimizer = optimizer(plain)
    plain_losses = []
    for index in range(steps):
        items = [train_set[i] for i in wanted[index * config.batch_size:(index + 1) * config.batch_size]]
        images = torch.stack([image for image, _ in items]).contiguous(memory_format=torch.channels_last)
        labels = torch.tensor([label for _, label in items])
        plain_losses.append(reference.reference_step(plain, plain_optimizer, images, labels, torch.device("cpu")))
    return our_losses, plain_losses


def test_fast_path_follows_the_reference_loss_trajectory_in_fp32(fmnist, tmp_path):
    ours, plain = _fp32_losses_both_ways(fmnist, tmp_path, steps=6)
    assert ours == pytest.approx(plain, rel=1e-4, abs=1e-5)
    assert ours[0] != pytest.approx(ours[-1], rel=1e-3)  # it did learn, so the comparison covers updates


def test_channels_last_changes_no_arithmetic():
    """Without dropout (whose seeded masks follow memory order), channels-last gives NCHW's losses up to
    float summation order."""
    torch.manual_seed(0)
    net = CustomCNN(conv_dropout=0.0, dense_dropout=0.0)
    twin = copy.deepcopy(net).to(memory_format=torch.channels_last)
    x, y = torch.rand(32, 1, 28, 28), torch.randint(0, 10, (32,))
    losses = {}
    for name, model, images in (("nchw", net, x), ("channels_last", twin, x.contiguous(memory_format=torch.channels_last))):
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
        losses[name] = []
        for _ in range(4):
            loss = F.cross_entropy(model(images), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses[name].append(loss.item())
    assert losses["channels_last"] == pytest.approx(losses["nchw"], rel=1e-3)
    assert losses["nchw"][-1] < 0.5 * losses["nchw"][0]  # the steps moved the weights


def test_policy_cost_benchmark_runs_and_writes_its_json(tmp_path):
    out = tmp_path / "policy_cost.json"
    done = subprocess.run([sys.executable, str(BENCHMARKS / "policy_cost.py"), "--policies", "none,crop_flip_erase",
                           "--batches", "1", "--json", str(out)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    results = json.loads(out.read_text())
    assert [r["policy"] for r in results] == ["none", "crop_flip_erase"]
    assert all(r["seconds_per_image"] > 0 for r in results) and "ms per image" in done.stdout
    rejected = subprocess.run([sys.executable, str(BENCHMARKS / "policy_cost.py"), "--policies", "cutmix"],
                              capture_output=True, text=True, timeout=300)
    assert rejected.returncode == 2 and "unknown policies ['cutmix']" in rejected.stderr
