"""Shared fixtures: the real dataset (never downloaded) and tiny training configs."""

import pytest

from fmnist_lib.config import TrainConfig
from fmnist_lib.data import load_fashion_mnist


@pytest.fixture(scope="session")
def fmnist():
    """The real Fashion-MNIST, found where `fmnist data` finds it (setup installs it)."""
    return load_fashion_mnist()


@pytest.fixture
def tiny_config():
    """A config that trains in a few seconds on the CPU: 512 images, 2 epochs, 1,000 for validation."""
    return TrainConfig(model="custom_cnn", epochs=2, train_subset=512, val_size=1_000, device="cpu", seed=3)
