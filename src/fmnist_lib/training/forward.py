"""The one forward pass: images in, outputs on the CPU, in batches, in eval mode, the caller's mode restored.

Evaluation after each epoch, the cache's test logits, the stress tests, the saliency checks, feature
look-ups and the stage table all run a model through `forward`, so batching, precision (bf16 autocast
or fp32), the memory layout and the model's mode are decided here once. Callers pass the batch size
and layout they have always used: on a CPU both choose the kernels, and so the last bits of a result.
"""

from __future__ import annotations

import contextlib

import torch
from torch import nn

from ..data.batches import to_unit_float
from ..data.fashion_mnist import NUM_CLASSES


def model_device(model: nn.Module) -> torch.device:
    """Where the model's parameters live (the CPU for a model without any)."""
    return next((p.device for p in model.parameters()), torch.device("cpu"))


@contextlib.contextmanager
def eval_mode(model: nn.Module):
    """The model in eval mode inside the block; its previous mode (training or not) restored after."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


def as_pixels(images: torch.Tensor) -> torch.Tensor:
    """uint8 (N, 28, 28) -> float (N, 1, 28, 28) in [0, 1]; float images (N, 1, 28, 28) pass as float."""
    return to_unit_float(images) if images.dtype == torch.uint8 else images.float()


@contextlib.contextmanager
def strict_fp32(device: torch.device, enabled: bool = True):
    """fp32 that is fp32: on CUDA, TensorFloat-32 (10-bit mantissa) is off for convolutions and matrix products
    inside the block (PyTorch allows it for cuDNN convolutions by default); the settings are restored after."""
    if not enabled or device.type != "cuda":
        yield
        return
    before = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = before


@torch.inference_mode()
def forward(model: nn.Module, images: torch.Tensor, *, batch_size: int | None = 256, precision: str = "fp32",
            channels_last: bool = True) -> torch.Tensor:
    """The model's outputs (N, 10) float32 on the CPU for uint8 (N, 28, 28) or float (N, 1, 28, 28) images.

    Batches of `batch_size` images (None: all at once) are moved to the model's device, scaled to [0, 1]
    if uint8, made channels-last if asked, and run under bf16 autocast when `precision` is "bf16"; "fp32" is
    strict fp32 (no TensorFloat-32 on CUDA, `strict_fp32`).
    Channels-last batches of 256 measured fastest on a 2-core CPU (bf16: 1.6x faster than NCHW batches
    of 1,000), and still fill a GPU for these small networks.
    """
    device = model_device(model)
    step = batch_size or max(len(images), 1)
    chunks = []
    with eval_mode(model), torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16"), \
            strict_fp32(device, enabled=precision == "fp32"):
        for start in range(0, len(images), step):
            x = as_pixels(images[start: start + step].to(device))  # (B, 1, 28, 28)
            if channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            chunks.append(model(x).float().cpu())
    return torch.cat(chunks) if chunks else torch.zeros(0, NUM_CLASSES)


def predict_logits(model: nn.Module, images: torch.Tensor, batch_size: int = 256,
                   precision: str = "fp32") -> torch.Tensor:
    """Logits (N, 10) float32 on the CPU for uint8 images (N, 28, 28): channels-last batches of 256."""
    return forward(model, images, batch_size=batch_size, precision=precision)


def layer_inputs(model: nn.Module, images: torch.Tensor, layer: nn.Module, *, batch_size: int = 1000,
                 channels_last: bool = False) -> torch.Tensor:
    """What `layer` receives (N, D) float32 on the CPU when the model runs on `images` (fp32)."""
    captured: list[torch.Tensor] = []
    handle = layer.register_forward_hook(
        lambda module, inputs, output: captured.append(inputs[0].detach().float().cpu().clone()))
    try:
        forward(model, images, batch_size=batch_size, channels_last=channels_last)
    finally:
        handle.remove()
    return torch.cat(captured)  # (N, D)
