"""The write-up's own evaluation code, given our final weights, reproduces our stored test predictions exactly.

Its pipeline is `benchmarks/reference_pipeline.py`: torchvision's FashionMNIST with `ToTensor()` and
`Normalize((0.2860,), (0.3530,))`, a DataLoader of batches of 128, the network without our normalisation layer,
fp32 and NCHW. Ours: uint8 images on the device, normalisation as the model's first layer with the config's
constants, channels-last batches of 256. Same constants, same arithmetic: the logits agree bit for bit.
"""

import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from fmnist_lib.runs.cache import load_or_train
from fmnist_lib.training.config import TrainConfig

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import reference_pipeline as reference  # noqa: E402


@pytest.fixture(scope="module")
def run(tmp_path_factory, fmnist):
    """A tiny training run, bf16 where the CPU trains in it (the stored logits are fp32 either way)."""
    from fmnist_lib.training.config import fast_precision

    config = TrainConfig(model="custom_cnn", epochs=1, train_subset=1_024, val_size=1_000, device="cpu", seed=3,
                         precision=fast_precision("cpu"))
    return load_or_train(config, cache_dir=tmp_path_factory.mktemp("cache"), data=fmnist, progress=False)


@torch.no_grad()
def writeup_logits(run, root: Path) -> torch.Tensor:
    """The write-up's evaluation: its network (no normalisation layer) with our final weights, its test loader."""
    net = reference.reference_model(run.config.model)
    weights = load_file(run.path / "weights_final.safetensors")
    net.load_state_dict({name.removeprefix("net."): value for name, value in weights.items() if name.startswith("net.")})
    net.eval()
    _, _, test_loader = reference.reference_loaders(reference.prepare_root(root), num_workers=0)
    return torch.cat([net(images) for images, _ in test_loader])  # (10000, 10)


def test_writeup_evaluation_reproduces_our_stored_predictions(run, tmp_path):
    assert (reference.MEAN, reference.STD) == (run.config.mean, run.config.std)  # one normalisation, both sides
    ours, labels = run.predictions("final")
    theirs = writeup_logits(run, tmp_path)
    assert torch.equal(theirs.argmax(1), ours.argmax(1))  # every prediction
    assert torch.equal(theirs, ours)  # and every logit, bit for bit
