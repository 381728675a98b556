"""Training throughput: the write-up's pipeline against ours, same model, optimiser and batch size, one process.

Both pipelines are built once and warmed up, then timed in alternating rounds of `--steps` steps, so
that anything else the machine does slows both alike; the medians of the rounds and their ratio
(ours / reference) are reported. "Ours" is the library's training step (`train.make_train_step`
over `batches.iterate_batches`, the code `fmnist train` runs) at the precision the report's
profiles choose for the device; the reference is `reference_pipeline.py`.

    python benchmarks/train_throughput.py [--models custom_cnn,vgg16,resnet18] [--steps N] [--device cpu|cuda] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import reference_pipeline as reference  # noqa: E402

from fmnist_lib.data.augmentation import policy_transform  # noqa: E402
from fmnist_lib.data.batches import iterate_batches  # noqa: E402
from fmnist_lib.data.fashion_mnist import load_fashion_mnist  # noqa: E402
from fmnist_lib.report.provenance import describe_hardware  # noqa: E402
from fmnist_lib.training.config import TrainConfig, fast_precision  # noqa: E402
from fmnist_lib.training.models import MODEL_NAMES  # noqa: E402
from fmnist_lib.training.train import make_train_step, model_for, split_for  # noqa: E402

DEFAULT_MODELS = ("custom_cnn", "vgg16", "resnet18")


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class Reference:
    """The write-up's loop: DataLoader workers, per-image transforms, `loss.item()` every step."""

    def __init__(self, model: str, device: torch.device, augment: bool):
        reference.configure_backends()
        self.loader, _, _ = reference.reference_loaders(reference.prepare_root(), augment)
        self.model = reference.reference_model(model).to(device).train()
        self.optimizer = reference.reference_optimizer(self.model)
        self.device = device
        self.batches = iter(self.loader)

    def run(self, steps: int) -> float:
        """Seconds for `steps` steps (a new epoch starts, with new workers, whenever the loader runs out)."""
        started = time.perf_counter()
        for _ in range(steps):
            try:
                images, labels = next(self.batches)
            except StopIteration:
                self.batches = iter(self.loader)
                images, labels = next(self.batches)
            reference.reference_step(self.model, self.optimizer, images, labels, self.device)
        return time.perf_counter() - started


class Ours:
    """The library's path: the split on the device, on-device batches and augmentation, one sync per round."""

    def __init__(self, model: str, device: torch.device, augment: bool, precision: str, data):
        self.config = TrainConfig(model=model, device=device.type, precision=precision,
                                  augment="flip_rotate" if augment else "none").resolved()
        split = split_for(self.config, data)
        self.model = model_for(self.config).to(device, memory_format=torch.channels_last).train()
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=self.config.lr, momentum=self.config.momentum,
                                         weight_decay=self.config.weight_decay)
        self.step = make_train_step(self.model, self.optimizer, self.config.precision,
                                    batch_size=self.config.batch_size)
        self.images, self.labels = split.train_images.to(device), split.train_labels.to(device)
        self.generator = torch.Generator().manual_seed(self.config.seed)
        self.device = device
        self.batches = self._epoch()

    def _epoch(self):
        return iterate_batches(self.images, self.labels, self.config.batch_size, shuffle=True, generator=self.generator,
                               transform=policy_transform(self.config.augment, self.generator, self.config.mean))

    def run(self, steps: int) -> float:
        started = time.perf_counter()
        total = torch.zeros((), device=self.device)
        for _ in range(steps):
            try:
                x, y = next(self.batches)
            except StopIteration:
                self.batches = self._epoch()
                x, y = next(self.batches)
            loss, _ = self.step(x, y)
            total += loss
        total.item()  # one read-back per round, as the training loop does every 25 steps
        _synchronize(self.device)
        return time.perf_counter() - started


def measure(model: str, device: torch.device, steps: int, rounds: int, warmup: int, augment: bool,
            precision: str, data) -> dict:
    """Median images per second of each pipeline over alternating rounds, and their ratio."""
    pipelines = {"reference": Reference(model, device, augment), "ours": Ours(model, device, augment, precision, data)}
    for pipeline in pipelines.values():
        pipeline.run(warmup)
    rates = {name: [] for name in pipelines}
    for _ in range(rounds):
        for name, pipeline in pipelines.items():
            rates[name].append(steps * 128 / pipeline.run(steps))
    ours, ref = statistics.median(rates["ours"]), statistics.median(rates["reference"])
    return {"model": model, "device": device.type, "reference_img_per_s": round(ref, 1),
            "ours_img_per_s": round(ours, 1), "ratio": round(ours / ref, 3),
            "ours_precision": pipelines["ours"].config.precision, "augment": augment, "steps": steps,
            "rounds": rounds, "hardware": describe_hardware()}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(DEFAULT_MODELS),
                        help=f"comma-separated, from {', '.join(MODEL_NAMES)} (default %(default)s)")
    parser.add_argument("--steps", type=int, default=20, help="training steps per timed round (default %(default)s)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds; medians are reported (default %(default)s)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps first (default %(default)s)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--precision", choices=("fast", "fp32", "bf16"), default="fast",
                        help="our precision; fast = what the report's profiles use on this device (default)")
    parser.add_argument("--augment", action="store_true", help="time the flip + rotation pipelines instead")
    parser.add_argument("--json", type=Path, help="write the results here as a JSON list")
    args = parser.parse_args(argv)
    args.models = [name.strip() for name in args.models.split(",") if name.strip()]
    unknown = [name for name in args.models if name not in MODEL_NAMES]
    if unknown:
        parser.error(f"unknown model(s) {', '.join(unknown)}; choose from {', '.join(MODEL_NAMES)}")
    if min(args.steps, args.rounds) < 1 or args.warmup < 0:
        parser.error("--steps and --rounds must be at least 1, --warmup at least 0")
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda was asked for, but no CUDA GPU is available here; use --device cpu")
    return args


def main(argv=None) -> list[dict]:
    args = parse_args(argv)
    device = torch.device(args.device)
    precision = fast_precision(device.type) if args.precision == "fast" else args.precision
    data = load_fashion_mnist()
    results = []
    print(f"{'model':<12}{'device':<8}{'ours prec.':<12}{'reference img/s':>17}{'ours img/s':>12}{'ratio':>8}")
    for model in args.models:
        result = measure(model, device, args.steps, args.rounds, args.warmup, args.augment, precision, data)
        results.append(result)
        print(f"{model:<12}{result['device']:<8}{result['ours_precision']:<12}{result['reference_img_per_s']:>17.1f}"
              f"{result['ours_img_per_s']:>12.1f}{result['ratio']:>7.2f}x", flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
