"""How many runs to pack onto one device: aggregate training throughput of P processes training at once.

Each process builds the library's training pipeline (`train_throughput.Ours`: data on the device, the
training step of `fmnist train`, CUDA-graph replay on a GPU), warms up, waits at a barrier, then trains
`--steps` steps. The aggregate rate is P x steps x batch / the slowest process's time. On one GPU the
small networks leave the card idle between launches, so the rate grows with P until the card (or the
host's cores) is saturated; `fmnist report --workers N` and `fmnist sweep --workers N` then use the best P.

    python benchmarks/packing.py [--models custom_cnn,resnet18] [--processes 1,2,4,8] [--steps 200] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import statistics
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

BATCH = 128


def _worker(model: str, device: str, steps: int, warmup: int, threads: int, barrier, results) -> None:
    """One packed process: build, warm up, wait for the others, time `steps` steps."""
    import train_throughput  # noqa: PLC0415 - imported in the spawned process

    from fmnist_lib.data.fashion_mnist import load_fashion_mnist
    from fmnist_lib.training.config import fast_precision

    torch.set_num_threads(threads)
    pipeline = train_throughput.Ours(model, torch.device(device), False, fast_precision(device),
                                     load_fashion_mnist())
    pipeline.run(warmup)
    barrier.wait()
    results.put(pipeline.run(steps))


def measure(model: str, device: str, processes: int, steps: int, warmup: int) -> dict:
    """Aggregate images per second of `processes` processes training `model` at once."""
    context = mp.get_context("spawn")  # CUDA cannot be used in forked children
    barrier, results = context.Barrier(processes), context.Queue()
    threads = max(1, (mp.cpu_count() or 1) // processes)
    workers = [context.Process(target=_worker, args=(model, device, steps, warmup, threads, barrier, results))
               for _ in range(processes)]
    for worker in workers:
        worker.start()
    seconds = [results.get(timeout=600) for _ in workers]
    for worker in workers:
        worker.join()
    return {"model": model, "device": device, "processes": processes, "steps": steps,
            "aggregate_img_per_s": round(processes * steps * BATCH / max(seconds)),
            "per_process_img_per_s": round(statistics.median(steps * BATCH / s for s in seconds))}


def best_processes(results: list[dict]) -> int:
    """The process count with the highest aggregate rate, relative to one process, averaged over models."""
    gains: dict[int, list[float]] = {}
    for model in {row["model"] for row in results}:
        rows = [row for row in results if row["model"] == model]
        single = min(rows, key=lambda row: row["processes"])["aggregate_img_per_s"]
        for row in rows:
            gains.setdefault(row["processes"], []).append(row["aggregate_img_per_s"] / single)
    return max(gains, key=lambda p: (statistics.mean(gains[p]), -p))


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="custom_cnn,resnet18")
    parser.add_argument("--processes", default="1,2,4,8", help="process counts to try (default %(default)s)")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    counts = sorted({int(p) for p in args.processes.split(",")})
    if not counts or counts[0] < 1:
        parser.error("--processes takes whole numbers >= 1, e.g. 1,2,4")
    results = []
    for model in [m.strip() for m in args.models.split(",") if m.strip()]:
        for processes in counts:
            row = measure(model, args.device, processes, args.steps, args.warmup)
            results.append(row)
            print(f"{model:<12}{processes:>3} processes {row['aggregate_img_per_s']:>10,} img/s in all, "
                  f"{row['per_process_img_per_s']:>9,} each", flush=True)
    summary = {"results": results, "best_processes": best_processes(results)}
    print(f"best: {summary['best_processes']} processes")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(summary, indent=2))
    return summary


if __name__ == "__main__":
    main()
