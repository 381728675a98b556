"""CUDA-graph replay against the eager step: the same short training both ways, compared and timed.

Replay launches the same kernels as the eager step (`fmnist_lib.training.cuda_graphs`), so the two trainings
should differ only as two CUDA trainings of one config do (atomic additions, cuDNN's algorithms,
dropout masks drawn at other offsets). The check fails (exit status 1) when the per-epoch training
loss differs by more than `--loss-tolerance` (relative) or test accuracy by more than
`--accuracy-tolerance` points: then replay is broken and `FMNIST_CUDA_GRAPHS=0` trains eagerly.
On a CPU both trainings are eager, so they agree exactly.

    python benchmarks/cuda_graphs_check.py [--model custom_cnn] [--epochs 3] [--train-subset 10000] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

from fmnist_lib.data.fashion_mnist import load_fashion_mnist
from fmnist_lib.training.config import TrainConfig
from fmnist_lib.training.cuda_graphs import graph_replay
from fmnist_lib.training.evaluate import loss_and_accuracy
from fmnist_lib.training.forward import predict_logits
from fmnist_lib.training.train import train


def train_with_graphs(config: TrainConfig, data, graphs: bool) -> dict:
    """One training from scratch with replay on or off: seconds, per-epoch training loss, test accuracy."""
    with graph_replay(graphs):
        started = time.perf_counter()
        result = train(config, data, progress=False)
        seconds = time.perf_counter() - started
    logits = predict_logits(result.model(), data.test_images)
    _, accuracy = loss_and_accuracy(logits, data.test_labels)
    return {"graphs": graphs, "seconds": round(seconds, 2), "train_loss": [row["train_loss"] for row in result.history],
            "test_accuracy": round(100 * accuracy, 2), "images_per_s": round(config.n_train * config.epochs / seconds)}


def compare(config: TrainConfig, data, loss_tolerance: float, accuracy_tolerance: float) -> dict:
    """Both trainings and the verdict: `agree` is False when replay changed what training computes."""
    eager, graphed = (train_with_graphs(config, data, graphs) for graphs in (False, True))
    loss_diff = max(abs(a - b) / abs(a) for a, b in zip(eager["train_loss"], graphed["train_loss"]))
    accuracy_diff = abs(eager["test_accuracy"] - graphed["test_accuracy"])
    return {"config": config.resolved().to_dict(), "eager": eager, "graphed": graphed,
            "train_loss_max_relative_diff": loss_diff, "test_accuracy_diff_points": accuracy_diff,
            "speedup": round(eager["seconds"] / graphed["seconds"], 2),
            "agree": loss_diff <= loss_tolerance and accuracy_diff <= accuracy_tolerance}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="custom_cnn")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--train-subset", type=int, default=10_000)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--loss-tolerance", type=float, default=0.05, help="relative (default %(default)s)")
    parser.add_argument("--accuracy-tolerance", type=float, default=2.0, help="points (default %(default)s)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    config = TrainConfig(model=args.model, epochs=args.epochs, train_subset=args.train_subset, val_subset=1_000,
                         device=args.device)
    result = compare(config, load_fashion_mnist(), args.loss_tolerance, args.accuracy_tolerance)
    result["cuda"] = torch.cuda.is_available()
    for name in ("eager", "graphed"):
        run = result[name]
        print(f"{name:<8} {run['seconds']:>7.2f} s  {run['images_per_s']:>9,} img/s  test accuracy {run['test_accuracy']:.2f} %")
    print(f"largest relative difference of an epoch's training loss {result['train_loss_max_relative_diff']:.4f}; "
          f"{'agree' if result['agree'] else 'DISAGREE'}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))
    return 0 if result["agree"] else 1


if __name__ == "__main__":
    sys.exit(main())
