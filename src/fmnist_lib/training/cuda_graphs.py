"""The training step replayed as a CUDA graph: the same kernels as the eager step, launched as one.

Why: on a GPU the small networks of this report are launch-bound. A step of the custom CNN is some
sixty small kernels, each cheaper to run than to launch from Python, so the card idles most of the
time. Recording the whole step (forward, backward, SGD update) once and replaying it launches every
kernel at once, as PyTorch's CUDA-graph notes describe for whole-network capture.

The maths is the eager step's. What changes is only how kernels are launched, with three rules:
- the first WARMUP_STEPS steps run eagerly on a side stream, so that lazily created state (momentum
  buffers, cuBLAS and cuDNN handles) exists before recording;
- SGD bakes the learning rate into the recorded kernels, so the step is recorded again whenever the
  rate changes (once per epoch under the cosine schedule);
- a batch of another size (the last, partial batch of an epoch) runs eagerly.
`FMNIST_CUDA_GRAPHS=0` turns replay off (the eager step everywhere), e.g. to compare the two.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import contextmanager

import torch

CUDA_GRAPHS_ENV = "FMNIST_CUDA_GRAPHS"
Step = Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


def cuda_graphs_enabled() -> bool:
    """Replay is on unless $FMNIST_CUDA_GRAPHS is "0" (read at each call, so a test or script can flip it)."""
    return os.environ.get(CUDA_GRAPHS_ENV, "1") != "0"


@contextmanager
def graph_replay(enabled: bool):
    """Training steps made inside this block replay CUDA graphs (on CUDA) or not; the setting is restored after."""
    before = os.environ.get(CUDA_GRAPHS_ENV)
    os.environ[CUDA_GRAPHS_ENV] = "1" if enabled else "0"
    try:
        yield
    finally:
        if before is None:
            del os.environ[CUDA_GRAPHS_ENV]
        else:
            os.environ[CUDA_GRAPHS_ENV] = before


class GraphedStep:
    """Call like the eager step: `step(x, y)` -> (summed loss, number correct), tensors on the device.

    The returned tensors of a replayed step are the graph's own outputs, overwritten by the next
    replay: add them to a running sum (as the training loop does) before calling the step again.
    """

    WARMUP_STEPS = 3

    def __init__(self, eager_step: Step, optimizer: torch.optim.Optimizer, batch_size: int,
                 image_shape: tuple[int, ...], device: torch.device):
        self.eager_step, self.optimizer, self.batch_size = eager_step, optimizer, batch_size
        self.static_x = torch.zeros((batch_size, *image_shape), device=device).contiguous(
            memory_format=torch.channels_last)  # (B, 1, 28, 28)
        self.static_y = torch.zeros(batch_size, dtype=torch.long, device=device)
        self.graph: torch.cuda.CUDAGraph | None = None
        self.recorded_lr: float | None = None
        self.warmed_up = 0
        self.recordings = 0  # how often the step was recorded (once per learning rate)
        self.replays = 0

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if x.shape[0] != self.batch_size:
            return self.eager_step(x, y)
        if self.warmed_up < self.WARMUP_STEPS:
            self.warmed_up += 1
            return self._on_side_stream(x, y)
        lr = self.optimizer.param_groups[0]["lr"]
        if self.graph is None or lr != self.recorded_lr:
            self._record()
            self.recorded_lr = lr
        self.static_x.copy_(x)
        self.static_y.copy_(y)
        self.graph.replay()
        self.replays += 1
        return self.static_loss, self.static_correct

    def _on_side_stream(self, x, y):
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            loss, correct = self.eager_step(x, y)
        torch.cuda.current_stream().wait_stream(side)
        return loss, correct

    def _record(self) -> None:
        self.graph = None  # release the previous recording's memory pool first
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            self.static_loss, self.static_correct = self.eager_step(self.static_x, self.static_y)
        self.graph = graph
        self.recordings += 1
