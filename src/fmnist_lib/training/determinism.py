"""Run-to-run reproducibility, measured on the device at hand rather than assumed.

On a CPU every run of this library is bit-identical (tests/test_reliability.py). On CUDA some
kernels are not: backward passes that accumulate with atomic additions, and cuDNN convolution
algorithms unless `torch.backends.cudnn.deterministic` is set. Two things are measured here: which
operations PyTorch itself flags as nondeterministic on the device during a training step and an
evaluation, and how far two trainings of one config from scratch actually drift apart.
"""

from __future__ import annotations

import dataclasses
import re
import warnings
from dataclasses import dataclass

import pandas as pd
import torch

from ..data.fashion_mnist import FashionMNIST
from .config import TrainConfig
from .cuda_graphs import graph_replay
from .forward import predict_logits
from .train import train

# PyTorch's warn-only deterministic mode names each offending kernel in one of these two forms.
_NO_DETERMINISTIC_KERNEL = re.compile(r"^(\S+) does not have a deterministic implementation")
_CUBLAS = "this operation is not deterministic because it uses CuBLAS"
CUDNN_CONVOLUTIONS = "cuDNN convolution algorithms (torch.backends.cudnn.deterministic is off)"
CUBLAS_MATMUL = "cuBLAS matrix multiplications (CUBLAS_WORKSPACE_CONFIG is not set)"


def flagged_operation(message: str) -> str | None:
    """The operation a PyTorch determinism warning names, or None for any other warning."""
    found = _NO_DETERMINISTIC_KERNEL.match(message)
    if found:
        return found.group(1)
    return CUBLAS_MATMUL if _CUBLAS in message else None


def nondeterministic_operations(config: TrainConfig, data: FashionMNIST) -> list[str]:
    """Operations PyTorch flags as nondeterministic on `config`'s device, over one epoch of `config`'s training.

    PyTorch's warn-only deterministic mode warns once per kernel that lacks a deterministic
    implementation instead of failing; it is switched on only for this epoch and restored after.
    The mode also pins cuDNN to deterministic algorithms, which ordinary training does not, so on
    CUDA the cuDNN convolutions are listed as well unless `torch.backends.cudnn.deterministic` is on.
    The epoch runs its steps eagerly: a replayed CUDA graph launches the very kernels the eager step
    dispatches, and recording one under the deterministic mode's extra checks is not worth the risk.
    """
    enabled = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.use_deterministic_algorithms(True, warn_only=True)
        try:
            with graph_replay(False):
                train(dataclasses.replace(config, epochs=1), data, progress=False)
        finally:
            torch.use_deterministic_algorithms(enabled, warn_only=warn_only)
    flagged = {flagged_operation(str(warning.message)) for warning in caught} - {None}
    if config.resolved().device == "cuda" and not torch.backends.cudnn.deterministic:
        flagged.add(CUDNN_CONVOLUTIONS)
    return sorted(flagged)


@dataclass(frozen=True)
class RepeatCheck:
    """How two trainings of one config from scratch, in one process, differ."""

    config: TrainConfig  # resolved: the device and precision both runs used
    histories_identical: bool  # every epoch's losses and accuracies equal, bit for bit
    train_loss_max_diff: float  # largest difference of an epoch's training loss
    weights_identical: bool
    weights_max_diff: float  # largest absolute difference of any parameter or buffer
    logits_max_diff: float  # largest absolute difference of a test logit
    predictions_changed: int  # test images whose predicted class differs
    n_test: int
    accuracy_diff: float  # test accuracy of the second run minus the first, in points
    operations: tuple[str, ...]  # what PyTorch flags as nondeterministic on the device

    @property
    def identical(self) -> bool:
        return self.histories_identical and self.weights_identical and self.logits_max_diff == 0


def repeat_training(config: TrainConfig, data: FashionMNIST, n_test: int | None = None) -> RepeatCheck:
    """Train `config` twice from scratch (never from the cache) and measure every difference.

    The test logits come from the final weights on the first `n_test` test images (None: all).
    """
    first, second = (train(config, data, progress=False) for _ in range(2))
    images, labels = data.test_images[:n_test], data.test_labels[:n_test].long()
    logits = [predict_logits(result.model(), images, precision=result.config.precision) for result in (first, second)]
    correct = [(out.argmax(1) == labels).float().mean().item() for out in logits]
    weight_diffs = [(first.final_state[name].double() - second.final_state[name].double()).abs().max().item()
                    for name in first.final_state if first.final_state[name].numel()]
    fields = ("train_loss", "train_acc", "val_loss", "val_acc")
    strip = [[{key: row[key] for key in fields} for row in result.history] for result in (first, second)]
    return RepeatCheck(
        config=first.config,
        histories_identical=strip[0] == strip[1],
        train_loss_max_diff=max(abs(a["train_loss"] - b["train_loss"]) for a, b in zip(*strip)),
        weights_identical=all(torch.equal(first.final_state[name], second.final_state[name])
                              for name in first.final_state),
        weights_max_diff=max(weight_diffs),
        logits_max_diff=(logits[0] - logits[1]).abs().max().item(),
        predictions_changed=int((logits[0].argmax(1) != logits[1].argmax(1)).sum()),
        n_test=len(labels),
        accuracy_diff=100 * (correct[1] - correct[0]),
        operations=tuple(nondeterministic_operations(config, data)),
    )


def verdict_text(check: RepeatCheck) -> str:
    """What the two trainings of `repeat_training` showed, in words, for the reproducibility page."""
    if check.identical:
        return ("the two runs were bit-identical: the same losses and accuracies in every epoch, the same weights "
                "and the same test logits")
    return (f"the two runs differed: weights by up to {check.weights_max_diff:.2g} and test logits by up to "
            f"{check.logits_max_diff:.2g}; {check.predictions_changed:,} of {check.n_test:,} test predictions "
            f"changed and test accuracy moved by {check.accuracy_diff:+.2f} points")


def operations_text(operations) -> str:
    """The flagged operations in words."""
    if not operations:
        return "PyTorch flags none of the operations this training uses as nondeterministic on this device"
    return "PyTorch flags these operations as nondeterministic on this device: " + ", ".join(operations)


def check_table(check: RepeatCheck) -> pd.DataFrame:
    """The measured differences, one row each, for the page's table."""
    return pd.Series({"histories identical": check.histories_identical,
                      "largest difference of an epoch's training loss": check.train_loss_max_diff,
                      "weights identical": check.weights_identical,
                      "largest weight difference": check.weights_max_diff,
                      "largest test-logit difference": check.logits_max_diff,
                      "test predictions changed": f"{check.predictions_changed:,} of {check.n_test:,}",
                      "test accuracy, second minus first (points)": check.accuracy_diff},
                     name="measured").to_frame()
