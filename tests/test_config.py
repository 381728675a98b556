"""TrainConfig: the write-up's defaults, and a clear error for every impossible value."""

import numpy as np
import pytest
import torch

from fmnist_lib.errors import ConfigError
from fmnist_lib.training.config import MAX_SEEDS, TrainConfig, resolve_device


def test_defaults_are_the_write_up_protocol():
    config = TrainConfig()
    assert (config.epochs, config.batch_size, config.lr, config.momentum, config.weight_decay) == (15, 128, 0.01, 0.9, 5e-4)
    assert (config.cosine_t_max, config.seed, config.split_seed, config.n_train) == (50, 56, 56, 50_000)
    assert (config.mean, config.std) == (0.2860, 0.3530)  # the write-up's normalisation constants


@pytest.mark.parametrize("changes, message", [
    ({"epochs": 0}, "epochs must be a whole number >= 1, got 0"),
    ({"epochs": -3}, "epochs must be a whole number >= 1"),
    ({"epochs": "15"}, "epochs must be a whole number"),
    ({"epochs": 2.5}, "epochs must be a whole number"),
    ({"batch_size": 0}, "batch_size must be a whole number >= 1"),
    ({"train_subset": 0}, "train_subset must be a whole number >= 1"),
    ({"train_subset": 50_001}, "exceeds the 50,000 training images"),
    ({"test_subset": 0}, "test_subset must be a whole number >= 1"),
    ({"test_subset": 10_001}, "test_subset 10,001 exceeds the 10,000 test images"),
    ({"lr": 0}, "lr must be a positive finite number"),
    ({"lr": float("nan")}, "lr must be a positive finite number, got nan"),
    ({"lr": float("inf")}, "lr must be a positive finite number, got inf"),
    ({"momentum": float("nan")}, "momentum must be a non-negative finite number"),
    ({"weight_decay": float("inf")}, "weight_decay must be a non-negative finite number"),
    ({"mean": float("nan")}, "mean must be a finite number"),
    ({"std": -0.3}, "std must be a positive finite number"),
    ({"seed": -1}, "seed must be a whole number from 0 to 4,294,967,295"),
    ({"seed": 2 ** 32}, r"seed must be a whole number from 0 to 4,294,967,295 \(the pages seed NumPy's legacy"),
    ({"split_seed": 2 ** 64}, r"split_seed must be a whole number from 0 to 18,446,744,073,709,551,615 \(torch's"),
    ({"epochs": 1_001}, "epochs must be at most 1,000, got 1,001: the write-up trains 15, and past cosine_t_max"),
    ({"batch_size": 50_001}, "batch_size must be at most the 50,000 images of the training split, got 50,001"),
    ({"batch_size": 55_001, "val_size": 5_000}, "batch_size must be at most the 55,000 images"),
    ({"model": "vgg17"}, "Choose one of: custom_cnn"),
    ({"device": "tpu"}, "Unknown device 'tpu'"),
    ({"precision": "fp8"}, "Unknown precision"),
    ({"augment": "yes"}, "Unknown augmentation policy 'yes'. Choose one of: none, flip_rotate"),
])
def test_invalid_values(changes, message):
    with pytest.raises(ConfigError, match=message):
        TrainConfig(**changes)


def test_the_bounds_themselves_are_accepted():
    config = TrainConfig(seed=2 ** 32 - 1, split_seed=2 ** 64 - 1, epochs=1_000, batch_size=50_000, test_subset=10_000)
    assert (config.seed, config.epochs, config.batch_size) == (2 ** 32 - 1, 1_000, 50_000)


def test_the_seed_bounds_are_the_generators_own():
    """`seed` reaches NumPy's legacy seeding (analysis.explain's RandomCAM baseline), `split_seed` only torch's."""
    seed_max, split_seed_max = MAX_SEEDS["seed"][0], MAX_SEEDS["split_seed"][0]
    np.random.RandomState(seed_max)
    with pytest.raises(ValueError):
        np.random.RandomState(seed_max + 1)
    torch.Generator().manual_seed(split_seed_max)
    with pytest.raises(ValueError):
        torch.Generator().manual_seed(split_seed_max + 1)


def test_from_dict_rejects_unknown_names():
    with pytest.raises(ConfigError, match="Unknown training parameter\\(s\\) epoch\\b"):
        TrainConfig.from_dict({"epoch": 3})
    assert TrainConfig.from_dict({"epochs": 3}).epochs == 3


def test_resolved_is_concrete():
    resolved = TrainConfig(device="cpu").resolved()
    assert (resolved.device, resolved.precision) == ("cpu", "fp32")


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_requested_without_gpu():
    with pytest.raises(ConfigError, match="no CUDA GPU is available"):
        resolve_device("cuda")
