"""What each augmentation policy adds to a training step: seconds per training image of its batch transform.

The policies that draw each image on its own (`crop_flip_erase`, `trivialaugment`, `augmix`) run torchvision's
transforms one image at a time on the CPU, whatever device trains; this measures that cost on real training
images, batch 128, as the training loop calls it (`data.augmentation.policy_transform`). `runs/sweep.py`'s
`POLICY_SECONDS_PER_IMAGE` holds what it measured on this project's machine, for `fmnist sweep --dry-run`.

    .venv/bin/python benchmarks/policy_cost.py --json build/policy_cost.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch

from fmnist_lib.data.augmentation import POLICY_NAMES, policy_transform
from fmnist_lib.data.fashion_mnist import load_fashion_mnist
from fmnist_lib.training.config import WRITEUP_MEAN

BATCH = 128


def measure(name: str, images: torch.Tensor, batches: int) -> dict:
    """Median seconds per image of policy `name` over `batches` batches of `BATCH` images (after one untimed)."""
    transform = policy_transform(name, torch.Generator().manual_seed(0), WRITEUP_MEAN)
    transform(images[:BATCH])
    seconds = []
    for index in range(batches):
        batch = images[index * BATCH: (index + 1) * BATCH]
        started = time.perf_counter()
        transform(batch)
        seconds.append((time.perf_counter() - started) / len(batch))
    return {"policy": name, "seconds_per_image": statistics.median(seconds), "batches": batches,
            "threads": torch.get_num_threads()}


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policies", default=",".join(POLICY_NAMES), help="comma-separated (default: all)")
    parser.add_argument("--batches", type=int, default=20, help="timed batches of 128 images (default %(default)s)")
    parser.add_argument("--json", type=Path, help="write the results here as a JSON list")
    args = parser.parse_args(argv)
    names = [name.strip() for name in args.policies.split(",") if name.strip()]
    unknown = [name for name in names if name not in POLICY_NAMES]
    if unknown or args.batches < 1:
        parser.error(f"unknown policies {unknown}; choose from {', '.join(POLICY_NAMES)}" if unknown
                     else "--batches must be at least 1")
    images = load_fashion_mnist().train_images[: BATCH * args.batches]
    results = [measure(name, images, args.batches) for name in names]
    for result in results:
        print(f"{result['policy']:<16}{1e3 * result['seconds_per_image']:>8.3f} ms per image", flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
