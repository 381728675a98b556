"""Run-to-run differences, measured: on the CPU two trainings agree bit for bit, and PyTorch's own
list of nondeterministic kernels is read correctly and left switched off afterwards."""

import dataclasses

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from fmnist_lib.report.profiles import PROFILES, get_profile
from fmnist_lib.training import determinism, train
from fmnist_lib.training.models import Classifier


class Unpooling(nn.Module):
    """A tiny classifier through max-unpooling, a kernel PyTorch flags as nondeterministic even on a CPU."""

    def __init__(self):
        super().__init__()
        self.head = nn.Linear(28 * 28, 10)

    def forward(self, x):
        pooled, index = F.max_pool2d(x, 2, return_indices=True)
        return self.head(F.max_unpool2d(pooled, index, 2).flatten(1))


def test_two_trainings_on_the_cpu_are_bit_identical(fmnist, tiny_config):
    check = determinism.repeat_training(dataclasses.replace(tiny_config, epochs=1), fmnist, n_test=500)
    assert check.identical and check.histories_identical and check.weights_identical
    assert check.weights_max_diff == 0 and check.logits_max_diff == 0 and check.train_loss_max_diff == 0
    assert check.predictions_changed == 0 and check.accuracy_diff == 0 and check.n_test == 500
    assert check.config.device == "cpu" and check.operations == ()  # nothing in the custom CNN is flagged


def test_flagged_kernels_are_named_and_the_mode_is_restored(fmnist, tiny_config, monkeypatch):
    monkeypatch.setattr(train, "model_for", lambda config: Classifier("custom_cnn", Unpooling(), 0.0, 1.0))
    assert not torch.are_deterministic_algorithms_enabled()
    operations = determinism.nondeterministic_operations(tiny_config, fmnist)
    assert operations == ["max_unpooling2d_forward_out"]
    assert not torch.are_deterministic_algorithms_enabled()  # ordinary training is left as it was


@pytest.mark.parametrize("message, operation", [
    ("scatter_add_cuda_kernel does not have a deterministic implementation, but you set "
     "'torch.use_deterministic_algorithms(True, warn_only=True)'.", "scatter_add_cuda_kernel"),
    ("Deterministic behavior was enabled with either `torch.use_deterministic_algorithms(True)` or "
     "`at::Context::setDeterministicAlgorithms(true)`, but this operation is not deterministic because it uses "
     "CuBLAS and you have CUDA >= 10.2.", determinism.CUBLAS_MATMUL),
    ("TypedStorage is deprecated", None),
])
def test_flagged_operation_reads_pytorchs_warnings(message, operation):
    assert determinism.flagged_operation(message) == operation


@pytest.mark.parametrize("profile", PROFILES)
def test_every_profile_repeats_a_valid_short_training(profile):
    config = get_profile(profile).repeat_config(device="cpu")
    assert config.model == "custom_cnn" and config.epochs <= 2 and config.device == "cpu"


def test_the_verdict_gives_the_sizes_of_a_difference():
    base = dict(config=get_profile("smoke").repeat_config(device="cpu"), histories_identical=True,
                train_loss_max_diff=0.0, weights_identical=True, weights_max_diff=0.0, logits_max_diff=0.0,
                predictions_changed=0, n_test=2_000, accuracy_diff=0.0, operations=())
    assert determinism.verdict_text(determinism.RepeatCheck(**base)).startswith("the two runs were bit-identical")
    drifted = determinism.RepeatCheck(**{**base, "histories_identical": False, "weights_identical": False,
                                         "weights_max_diff": 3.1e-5, "logits_max_diff": 0.02,
                                         "predictions_changed": 3, "accuracy_diff": -0.05})
    assert not drifted.identical
    assert determinism.verdict_text(drifted) == (
        "the two runs differed: weights by up to 3.1e-05 and test logits by up to 0.02; 3 of 2,000 test "
        "predictions changed and test accuracy moved by -0.05 points")
    assert determinism.operations_text(()).startswith("PyTorch flags none")
    assert determinism.operations_text(("a", "b")).endswith("this device: a, b")
    assert determinism.check_table(drifted).loc["test predictions changed", "measured"] == "3 of 2,000"
