"""The write-up's training pipeline, re-implemented faithfully: the baseline our speed is measured against.

What it reproduces (from the write-up's code, see shared/seed and shared/NUMBERS.md):
- `torchvision.datasets.FashionMNIST` with `ToTensor()` + `Normalize((0.2860,), (0.3530,))`, applied
  per image in the DataLoader's workers (plus `RandomHorizontalFlip()` + `RandomRotation(10)` before
  `ToTensor()` when augmenting);
- `random_split` of the 60,000 training images into 50,000 / 10,000 with `manual_seed(56)`;
- `DataLoader(batch_size=128, shuffle=True, num_workers=2, pin_memory=True)`;
- SGD(lr 0.01, momentum 0.9, weight decay 5e-4), cosine annealing with T_max 50 per epoch;
- `loss.item()` read after every step, fp32, NCHW, cudnn deterministic with benchmark off.

The networks are ours (the same architecture and initialisation as `fmnist_lib.training.models`), minus the
normalisation layer, because this pipeline normalises in the transform.

Run as a script it trains one model under this pipeline and prints its test accuracy, which is how
the closing notes compare the accuracy of the two paths:

    python benchmarks/reference_pipeline.py --model custom_cnn --epochs 15 --json build/reference.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, random_split
from torchvision import datasets, transforms

from fmnist_lib.data.fashion_mnist import IDX_FILES, load_fashion_mnist
from fmnist_lib.training.models import build_model

MEAN, STD = 0.2860, 0.3530  # the write-up's constants
SPLIT_SEED = 56
DEFAULT_ROOT = Path(__file__).resolve().parents[1] / "build" / "reference-data"


def prepare_root(root: Path = DEFAULT_ROOT) -> Path:
    """A torchvision `FashionMNIST` root made from our verified files, so the reference needs no download.

    torchvision reads the uncompressed IDX files from `root/FashionMNIST/raw/`; they are written
    from the verified arrays and checked against the same SHA-256 values as the library's.
    """
    import hashlib

    raw = root / "FashionMNIST" / "raw"
    if all((raw / name).is_file() for name in IDX_FILES):
        return root
    data = load_fashion_mnist()
    arrays = {"train-images-idx3-ubyte": data.train_images, "train-labels-idx1-ubyte": data.train_labels,
              "t10k-images-idx3-ubyte": data.test_images, "t10k-labels-idx1-ubyte": data.test_labels}
    raw.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        header = bytes([0, 0, 0x08, array.dim()]) + b"".join(n.to_bytes(4, "big") for n in array.shape)
        content = header + array.numpy().tobytes()
        if hashlib.sha256(content).hexdigest() != IDX_FILES[name][0]:
            raise RuntimeError(f"re-encoded {name} does not match its checksum")
        (raw / name).write_bytes(content)
    return root


def reference_transform(augment: bool = False) -> transforms.Compose:
    steps = [transforms.RandomHorizontalFlip(), transforms.RandomRotation(10)] if augment else []
    return transforms.Compose(steps + [transforms.ToTensor(), transforms.Normalize((MEAN,), (STD,))])


def reference_loaders(root: Path, augment: bool = False, batch_size: int = 128,
                      num_workers: int = 2) -> tuple[DataLoader, DataLoader, DataLoader]:
    """(train, validation, test) loaders exactly as the write-up built them."""
    full = datasets.FashionMNIST(root, train=True, download=False, transform=reference_transform(augment))
    test = datasets.FashionMNIST(root, train=False, download=False, transform=reference_transform(False))
    train_set, val_set = random_split(full, [50_000, 10_000], generator=torch.Generator().manual_seed(SPLIT_SEED))
    pin = torch.cuda.is_available()
    train = DataLoader(train_set, batch_size=batch_size, shuffle=True, num_workers=num_workers, pin_memory=pin)
    val = DataLoader(val_set, batch_size=batch_size, shuffle=False, num_workers=num_workers, pin_memory=pin)
    test_loader = DataLoader(test, batch_size=batch_size, shuffle=False, num_workers=num_workers, pin_memory=pin)
    return train, val, test_loader


def reference_model(name: str, seed: int = 56) -> nn.Module:
    """The same network and initialisation as ours, without the normalisation layer."""
    torch.manual_seed(seed)
    return build_model(name).net


def reference_optimizer(model: nn.Module) -> torch.optim.SGD:
    return torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)


def configure_backends() -> None:
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False


def reference_step(model: nn.Module, optimizer, images: torch.Tensor, labels: torch.Tensor,
                   device: torch.device) -> float:
    """One step of the write-up's loop, including its per-step `loss.item()`."""
    images, labels = images.to(device), labels.to(device)
    optimizer.zero_grad()
    loss = F.cross_entropy(model(images), labels)
    loss.backward()
    optimizer.step()
    return loss.item()


def evaluate(model: nn.Module, loader: DataLoader, device: torch.device) -> float:
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for images, labels in loader:
            predictions = model(images.to(device)).argmax(1).cpu()
            correct += int((predictions == labels).sum())
            total += labels.numel()
    return correct / total


def train_reference(model_name: str, epochs: int, device: torch.device, augment: bool = False,
                    seed: int = 56) -> dict:
    """Train one model under the reference pipeline; returns its accuracies and time."""
    configure_backends()
    train_loader, val_loader, test_loader = reference_loaders(prepare_root(), augment)
    model = reference_model(model_name, seed).to(device)
    optimizer = reference_optimizer(model)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=50)
    started = time.perf_counter()
    for epoch in range(1, epochs + 1):
        model.train()
        running = 0.0
        for images, labels in train_loader:
            running += reference_step(model, optimizer, images, labels, device)
        scheduler.step()
        val_acc = evaluate(model, val_loader, device)
        print(f"epoch {epoch}: loss {running / len(train_loader):.4f}, validation {val_acc:.4f}", flush=True)
    return {"model": model_name, "epochs": epochs, "augment": augment, "seed": seed, "device": device.type,
            "seconds": time.perf_counter() - started, "val_acc": val_acc,
            "test_acc": evaluate(model, test_loader, device)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="custom_cnn")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--augment", action="store_true")
    parser.add_argument("--seed", type=int, default=56)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--json", type=Path, help="write the result here")
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    result = train_reference(args.model, args.epochs, torch.device(args.device), args.augment, args.seed)
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
