"""The training loop: one config in, history and weights out, resumable from its last epoch.

All data sits on the device; the loop keeps its running sums on the device too
and reads them back only to refresh the progress bar, so a GPU is not stalled
by a host synchronisation every step. Each step's loss is also written into a
buffer on the device; when a read-back (or the epoch's end) finds the running sum
non-finite, the buffer names the first bad step, and the run stops with
`TrainingDiverged` instead of training on, and being stored, with ruined weights.

The validation after each epoch runs at the training precision: it is a training
signal (the history, the choice of the best epoch), computed as the loop's own
forward passes are. The predictions a run is judged by are computed in fp32 when
the cache stores it (`runs.store.evaluate`).
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm import tqdm

from ..data.augmentation import policy_transform
from ..data.batches import iterate_batches, num_batches
from ..data.fashion_mnist import IMAGE_SIZE, FashionMNIST, fold_partition, split_indices
from ..errors import ConfigError, TrainingDiverged
from .checkpoint import Checkpoint
from .config import TrainConfig
from .cuda_graphs import GraphedStep, cuda_graphs_enabled
from .evaluate import loss_and_accuracy
from .forward import predict_logits
from .models import Classifier, build_model

# Training images scored after every epoch the way the test set is scored: eval mode (dropout off, batch-norm
# running statistics), no augmentation, the epoch's final weights. The running accuracy averages over an epoch
# whose weights move, on augmented images with dropout on; a train-validation gap read from it measures the
# measurement as much as the model. The first N images of the training split, the same N every epoch.
CLEAN_TRAIN_IMAGES = 10_000
PROGRESS_EVERY = 25  # steps between progress-bar refreshes (each one waits for the device)


@dataclass
class TrainResult:
    """What a finished run produced; `config` is resolved (concrete device and precision)."""

    config: TrainConfig
    history: list[dict]
    final_state: dict[str, torch.Tensor]
    best_state: dict[str, torch.Tensor]
    best_epoch: int
    mean: float
    std: float
    seconds: float = field(default=0.0)  # the epochs' (training steps and validation), as history.csv sums them
    wall_seconds: float = field(default=0.0)  # all of `train` in this process: setup, epochs, checkpoints

    def model(self, weights: str = "final") -> Classifier:
        """The trained network with its final (or best-validation) weights, on the run's device."""
        model = build_model(self.config.model, self.mean, self.std)
        model.load_state_dict(self.final_state if weights == "final" else self.best_state)
        return model.to(self.config.device)


@dataclass
class SplitData:
    """The training and validation images of one config, uint8 on the CPU."""

    train_images: torch.Tensor
    train_labels: torch.Tensor
    val_images: torch.Tensor
    val_labels: torch.Tensor


def split_for(config: TrainConfig, data: FashionMNIST) -> SplitData:
    """Training and validation images of a config; a `train_subset` takes the first N of the shuffled split.

    With `folds`, the (subset of the) training split is cut into folds and fold `fold` is left out.
    """
    train_index, val_index = split_indices(len(data.train_images), config.val_size, config.split_seed)
    if config.train_subset is not None:
        train_index = train_index[: config.train_subset]
    if config.folds is not None:  # cross-validation: train on every fold but the held-out one
        train_index, _ = fold_partition(train_index, config.folds, config.fold)
    return SplitData(data.train_images[train_index], data.train_labels[train_index],
                     data.train_images[val_index], data.train_labels[val_index])


def model_for(config: TrainConfig) -> Classifier:
    """A fresh model normalising with the config's mean and std (the write-up's constants), seeded by the config."""
    torch.manual_seed(config.seed)
    return build_model(config.model, config.mean, config.std)


def _state_on_cpu(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {name: tensor.detach().cpu().clone() for name, tensor in model.state_dict().items()}


def make_train_step(model: Classifier, optimizer: torch.optim.Optimizer, precision: str, *,
                    batch_size: int | None = None):
    """One SGD step on a batch (x, y); returns (summed loss, number correct) as tensors on the device.

    Nothing in it reads a value back to the host, so a GPU can queue the next step
    while this one runs. Channels-last input and bf16 autocast ("bf16") are the
    two speed-ups that leave the maths of the step as it was (the weights stay fp32).
    On CUDA, given the `batch_size` of full batches, the step is recorded once as a CUDA
    graph and replayed (`cuda_graphs.GraphedStep`); elsewhere it runs eagerly.
    """
    device = next(model.parameters()).device
    graphed = device.type == "cuda" and batch_size is not None and cuda_graphs_enabled()

    def step(x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = x.contiguous(memory_format=torch.channels_last)  # (B, 1, 28, 28)
        # A recorded graph must not reuse autocast's cast-weight cache across replays.
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16", cache_enabled=not graphed):
            logits = model(x)
            loss = F.cross_entropy(logits.float(), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return loss.detach() * y.shape[0], (logits.argmax(1) == y).sum()

    if graphed:
        return GraphedStep(step, optimizer, batch_size, (1, IMAGE_SIZE, IMAGE_SIZE), device)
    return step


def train_epoch(model, step, images, labels, config: TrainConfig, generator, bar, epoch: int = 1
                ) -> tuple[float, float]:
    """One pass over the training images with `step` (from `make_train_step`); returns (mean loss, accuracy).

    Raises TrainingDiverged, naming `epoch` and the first bad step, as soon as a progress read-back or the
    epoch's end finds the loss non-finite.
    """
    model.train()
    loss_sum = torch.zeros((), device=images.device)
    correct = torch.zeros((), device=images.device, dtype=torch.long)
    step_losses = torch.zeros(num_batches(images.shape[0], config.batch_size), device=images.device)  # (steps,)
    transform = policy_transform(config.augment, generator, fill=config.mean)  # training images only
    for index, (x, y) in enumerate(iterate_batches(images, labels, config.batch_size, shuffle=True,
                                                   generator=generator, transform=transform), start=1):
        batch_loss, batch_correct = step(x, y)
        loss_sum += batch_loss
        correct += batch_correct
        step_losses[index - 1] = batch_loss  # stays on the device; read only if the sum turns out non-finite
        bar.update(1)
        if index % PROGRESS_EVERY == 0:
            seen = min(index * config.batch_size, images.shape[0])
            running_loss = loss_sum.item()
            _check_finite(running_loss, step_losses[:index], config, epoch)
            bar.set_postfix(loss=f"{running_loss / seen:.4f}", acc=f"{correct.item() / seen:.4f}")
    n = images.shape[0]
    total_loss = loss_sum.item()
    _check_finite(total_loss, step_losses, config, epoch)
    return total_loss / n, correct.item() / n


def _check_finite(loss_sum: float, step_losses: torch.Tensor, config: TrainConfig, epoch: int) -> None:
    """TrainingDiverged naming the first step whose loss was not finite, if the running sum is not finite."""
    if math.isfinite(loss_sum):
        return
    bad = (~torch.isfinite(step_losses)).nonzero().flatten()
    if len(bad):
        step, what = int(bad[0]) + 1, f"became {float(step_losses[bad[0]])}"
    else:  # every step finite, their sum too large for float32
        step, what = int((~torch.isfinite(step_losses.cumsum(0))).nonzero()[0]) + 1, "overflowed"
    raise TrainingDiverged(_diverged(config, epoch, step, f"the training loss {what}"))


def _diverged(config: TrainConfig, epoch: int, step: int, what: str) -> str:
    steps = num_batches(config.n_train, config.batch_size)
    return (f"Training {config.model} diverged at epoch {epoch}, step {step} of {steps}: {what}. The run stopped "
            f"and nothing of it is cached. Lower the learning rate (it is {config.lr:g}) or check the config.")


def smallest_batch(config: TrainConfig) -> int:
    """The images in an epoch's smallest batch: the last one, unless the training images fill every batch."""
    return config.n_train % config.batch_size or config.batch_size


def check_last_batch(config: TrainConfig, model: torch.nn.Module) -> None:
    """A ConfigError, before any work, when batch normalisation would meet a batch of one image: every batch
    with batch_size 1, or the last one when the training images leave one over.

    BatchNorm cannot compute batch statistics from a single value per channel and stops the
    epoch with a RuntimeError; models without BatchNorm train on such a batch fine.
    """
    if smallest_batch(config) != 1:
        return
    if not any(isinstance(module, torch.nn.modules.batchnorm._BatchNorm) for module in model.modules()):
        return
    cannot = f"{config.model}'s batch normalisation cannot train on a single image"
    if config.batch_size == 1:
        raise ConfigError(f"With batch_size 1 every batch holds one image, and {cannot}. Use batch_size 2 or more "
                          f"(the write-up's is {TrainConfig.batch_size}).")
    example = f", e.g. train_subset={config.n_train + 1}" if config.folds is None else ""
    images = f"{config.n_train:,} training image{'s' if config.n_train > 1 else ''}"
    raise ConfigError(
        f"With {images} and batch_size {config.batch_size}, the last batch holds one image, and {cannot}. "
        f"Change train_subset (or batch_size) so that the last batch holds at least two images{example}."
    )


def check_trainable(config: TrainConfig) -> None:
    """The checks `train` makes before any work, without training: for a sweep or a report to make on every
    run before it trains the first (a ConfigError naming the fix)."""
    if smallest_batch(config) == 1:  # only then is a model needed to know
        check_last_batch(config, build_model(config.model))


def epoch_line(config: TrainConfig, row: dict) -> str:
    """One finished epoch in one plain line, for a log: what the progress bar shows on a terminal."""
    return (f"{config.model} epoch {row['epoch']}/{config.epochs}: loss {row['train_loss']:.4f}, "
            f"acc {row['train_acc']:.4f}, val_loss {row['val_loss']:.4f}, val_acc {row['val_acc']:.4f}, "
            f"{row['seconds']:.1f} s")


def train(config: TrainConfig, data: FashionMNIST, *, progress: bool = True,
          checkpoint: Path | None = None) -> TrainResult:
    """Train one model under `config`; keeps the final and the best-validation weights.

    With `checkpoint`, the state is saved after every epoch and an existing
    checkpoint is resumed from, so an interrupted run loses at most one epoch. `progress` shows a
    progress bar on a terminal, and one line per epoch on standard error otherwise (a log file).
    A loss (or a validation loss) that turns non-finite raises TrainingDiverged
    naming the epoch and step, and removes the checkpoint.
    """
    started_run = time.perf_counter()
    config = config.resolved()
    device = torch.device(config.device)
    split = split_for(config, data)
    model = model_for(config)
    check_last_batch(config, model)
    model = model.to(device, memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum,
                                weight_decay=config.weight_decay)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.cosine_t_max)
    generator = torch.Generator().manual_seed(config.seed)
    saver = Checkpoint(checkpoint, config)
    history, best_state, best_epoch = saver.load(model, optimizer, scheduler, generator)

    train_x, train_y = split.train_images.to(device), split.train_labels.to(device)
    steps = num_batches(len(train_x), config.batch_size)
    step = make_train_step(model, optimizer, config.precision, batch_size=config.batch_size)
    for epoch in range(len(history) + 1, config.epochs + 1):
        started = time.perf_counter()
        lr = optimizer.param_groups[0]["lr"]
        # disable=None: tqdm draws only on a terminal, where it redraws one line in place; written to a file (a
        # log), every redraw would be another line, so there the run reports each epoch in one line instead
        with tqdm(total=steps, desc=f"{config.model} epoch {epoch}/{config.epochs}", disable=None if progress else True,
                  unit="batch", dynamic_ncols=True) as bar:
            plain_line = progress and bar.disable  # read now: tqdm's close() sets disable on every bar
            try:
                train_loss, train_acc = train_epoch(model, step, train_x, train_y, config, generator, bar, epoch)
            except TrainingDiverged:
                saver.discard()  # its last epoch is fine, but resuming it would only diverge again
                raise
            val_images, val_labels = split.val_images[:config.val_subset], split.val_labels[:config.val_subset]
            val_loss, val_acc = loss_and_accuracy(predict_logits(model, val_images, precision=config.precision),
                                                  val_labels)
            clean_loss, clean_acc = loss_and_accuracy(
                predict_logits(model, split.train_images[:CLEAN_TRAIN_IMAGES], precision=config.precision),
                split.train_labels[:CLEAN_TRAIN_IMAGES])
            if not math.isfinite(val_loss):  # the last step's update ruined the weights
                saver.discard()
                raise TrainingDiverged(_diverged(config, epoch, steps, f"the weights after it give a validation "
                                                                       f"loss of {val_loss}"))
            bar.set_postfix(loss=f"{train_loss:.4f}", acc=f"{train_acc:.4f}",
                            val_loss=f"{val_loss:.4f}", val_acc=f"{val_acc:.4f}")
        scheduler.step()
        history.append({"epoch": epoch, "lr": lr, "train_loss": train_loss, "train_acc": train_acc,
                        "clean_train_loss": clean_loss, "clean_train_acc": clean_acc,
                        "val_loss": val_loss, "val_acc": val_acc, "seconds": time.perf_counter() - started})
        if plain_line:
            print(epoch_line(config, history[-1]), file=sys.stderr, flush=True)
        if best_state is None or val_acc > max(row["val_acc"] for row in history[:-1]):
            best_state, best_epoch = _state_on_cpu(model), epoch
        saver.save(model, optimizer, scheduler, generator, history, best_state, best_epoch)

    return TrainResult(config=config, history=history, final_state=_state_on_cpu(model),
                       best_state=best_state, best_epoch=best_epoch,
                       mean=float(model.normalize.mean), std=float(model.normalize.std),
                       seconds=sum(row["seconds"] for row in history),
                       wall_seconds=time.perf_counter() - started_run)
