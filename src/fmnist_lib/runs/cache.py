"""The results cache: one folder per training run, keyed by everything that determines it.

A run folder holds config.json, history.csv, metrics.json, predictions.npz and two
safetensors weight files (final and best-validation), plus manifest.json with the
SHA-256 of each, written last. The folder is assembled under a temporary name and
renamed into place, so a run either exists whole or not at all; a run whose files
do not match its manifest is never used. Nothing in the cache is ever unpickled.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from filelock import FileLock, Timeout
from safetensors.torch import load_file, save_file

from .. import __version__
from ..data.fashion_mnist import DATA_CHECKSUM, FashionMNIST, load_fashion_mnist
from ..errors import CacheError
from ..training.config import TrainConfig
from ..training.evaluate import summarize
from ..training.forward import predict_logits
from ..training.models import Classifier, build_model, count_parameters
from ..training.train import TrainResult, train

log = logging.getLogger("fmnist_lib")

CACHE_ENV = "FMNIST_CACHE_DIR"
MANIFEST = "manifest.json"
WEIGHTS = ("final", "best")


def default_cache_dir() -> Path:
    """$FMNIST_CACHE_DIR, else `runs/` in the source checkout, else ~/.cache/fmnist_lib/runs."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    checkout = Path(__file__).resolve().parents[3]  # src/fmnist_lib/runs/cache.py -> the checkout
    if (checkout / "pyproject.toml").is_file():
        return checkout / "runs"
    return Path.home() / ".cache" / "fmnist_lib" / "runs"


def writable_cache_dir(cache_dir: str | Path | None = None) -> Path:
    """The cache folder, created if needed; a clear error if it cannot be written."""
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    probe = folder / f".probe-{os.getpid()}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise CacheError(
            f"The results cache {folder} cannot be written ({error.strerror or error}). "
            f"Point --cache-dir or ${CACHE_ENV} at a folder you can write."
        ) from error
    return folder


def run_key(config: TrainConfig) -> str:
    """16 hex digits of SHA-256 over the resolved config, the data checksum and the library version."""
    payload = {"config": config.resolved().to_dict(), "data": DATA_CHECKSUM, "library": __version__}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def run_name(config: TrainConfig) -> str:
    return f"{config.model}-{run_key(config)}"


@dataclass(frozen=True)
class Run:
    """A finished, verified run read back from the cache."""

    path: Path
    config: TrainConfig
    history: pd.DataFrame
    metrics: dict

    @property
    def key(self) -> str:
        return self.path.name.rsplit("-", 1)[-1]

    def test_metrics(self, weights: str = "final") -> dict:
        """Accuracy, loss, errors, per class and confusion on the test set, for the final or best weights."""
        return self.metrics["test"][_check_weights(weights)]

    def predictions(self, weights: str = "final") -> tuple[torch.Tensor, torch.Tensor]:
        """Test-set (logits (10000, 10), labels (10000,)) of the final or best weights."""
        with np.load(self.path / "predictions.npz", allow_pickle=False) as stored:
            return torch.from_numpy(stored[f"logits_{_check_weights(weights)}"]), torch.from_numpy(stored["labels"])

    def load_model(self, weights: str = "final", device: str | torch.device = "cpu") -> Classifier:
        """The trained model in eval mode, its weights read from safetensors (no pickle)."""
        normalization = self.metrics["normalization"]
        model = build_model(self.config.model, normalization["mean"], normalization["std"])
        model.load_state_dict(load_file(self.path / f"weights_{_check_weights(weights)}.safetensors"))
        return model.to(device).eval()


def _check_weights(weights: str) -> str:
    if weights not in WEIGHTS:
        raise CacheError(f"weights must be 'final' or 'best', got {weights!r}.")
    return weights


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_run(path: Path) -> dict:
    """Check a run folder against its manifest; returns the manifest or raises CacheError saying what is wrong."""
    try:
        manifest = json.loads((path / MANIFEST).read_text())
        files = manifest["files"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise CacheError(f"Run {path} has no valid manifest ({error}); it was never completed or was edited.") from error
    if manifest.get("library") != __version__:
        raise CacheError(f"Run {path} was made by fmnist_lib {manifest.get('library')}, this is {__version__}.")
    for name, expected in files.items():
        if not (path / name).is_file():
            raise CacheError(f"Run {path} lacks {name}.")
        if _sha256(path / name) != expected:
            raise CacheError(f"Run {path}: {name} does not match its checksum in the manifest (truncated or edited).")
    return manifest


def read_run(path: Path) -> Run:
    """Read a verified run; CacheError if the folder is incomplete, damaged or from another library version."""
    verify_run(path)
    try:
        config = TrainConfig.from_dict(json.loads((path / "config.json").read_text())["config"])
        metrics = json.loads((path / "metrics.json").read_text())
        history = pd.read_csv(path / "history.csv")
    except (ValueError, KeyError, TypeError) as error:
        raise CacheError(f"Run {path} cannot be read ({error}).") from error
    return Run(path=path, config=config, history=history, metrics=metrics)


def _environment() -> dict:
    import torchvision

    device = torch.cuda.get_device_name() if torch.cuda.is_available() else platform.processor() or platform.machine()
    return {"library": __version__, "torch": torch.__version__, "torchvision": torchvision.__version__,
            "python": platform.python_version(), "platform": platform.platform(), "device_name": device,
            "threads": torch.get_num_threads()}


def _test_metrics(result: TrainResult, data: FashionMNIST) -> tuple[dict, dict]:
    """Evaluate the final and best weights on the test set: (metrics, arrays for predictions.npz)."""
    metrics, arrays = {}, {"labels": data.test_labels.numpy()}
    for weights in WEIGHTS:
        if weights == "best" and result.best_epoch == len(result.history):  # the same weights: reuse
            metrics["best"], arrays["logits_best"] = metrics["final"], arrays["logits_final"]
            continue
        logits = predict_logits(result.model(weights), data.test_images, precision=result.config.precision)
        metrics[weights], arrays[f"logits_{weights}"] = summarize(logits, data.test_labels), logits.numpy()
    return metrics, arrays


def write_run(result: TrainResult, data: FashionMNIST, path: Path) -> None:
    """Assemble the run under a temporary name, manifest last, then rename it into place.

    The caller holds the run's lock, so leftovers of a writer that was killed can be removed.
    """
    for leftover in path.parent.glob(f".tmp-{path.name}-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    temporary = path.with_name(f".tmp-{path.name}-{os.getpid()}")
    temporary.mkdir(parents=True)
    test, arrays = _test_metrics(result, data)
    config_record = {"config": result.config.to_dict(), "key": path.name.rsplit("-", 1)[-1],
                     "data_checksum": DATA_CHECKSUM, "library": __version__}
    metrics = {"test": test, "best_epoch": result.best_epoch, "train_seconds": result.seconds,
               "n_parameters": count_parameters(build_model(result.config.model)),
               "normalization": {"mean": result.mean, "std": result.std},
               "data_folder": str(data.folder), "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "environment": _environment()}
    (temporary / "config.json").write_text(json.dumps(config_record, indent=2))
    (temporary / "metrics.json").write_text(json.dumps(metrics, indent=2))
    pd.DataFrame(result.history).to_csv(temporary / "history.csv", index=False)
    np.savez(temporary / "predictions.npz", **arrays)
    for weights, state in (("final", result.final_state), ("best", result.best_state)):
        save_file({k: v.contiguous() for k, v in state.items()}, temporary / f"weights_{weights}.safetensors")
    files = {p.name: _sha256(p) for p in sorted(temporary.iterdir())}
    manifest = {"files": files, "library": __version__, "key": config_record["key"]}
    (temporary / MANIFEST).write_text(json.dumps(manifest, indent=2))
    if path.exists():  # a damaged earlier copy: move it out of the way, then swap
        shutil.rmtree(path.with_name(f".trash-{path.name}"), ignore_errors=True)
        os.rename(path, path.with_name(f".trash-{path.name}"))
    os.rename(temporary, path)
    shutil.rmtree(path.with_name(f".trash-{path.name}"), ignore_errors=True)


def _lock(cache_dir: Path, name: str) -> FileLock:
    lock = FileLock(cache_dir / ".locks" / f"{name}.lock")
    (cache_dir / ".locks").mkdir(exist_ok=True)
    try:
        lock.acquire(timeout=0.5)
    except Timeout:
        log.warning("Another process is producing run %s; waiting for it.", name)
        lock.acquire()
    return lock


def load_or_train(config: TrainConfig, *, cache_dir: str | Path | None = None, data: FashionMNIST | None = None,
                  progress: bool = True) -> Run:
    """The cached run of `config` if it is complete and intact; otherwise train it (resuming a checkpoint) and store it."""
    cache_dir = writable_cache_dir(cache_dir)
    name = run_name(config)
    path = cache_dir / name
    lock = _lock(cache_dir, name)
    try:
        if path.exists():
            try:
                return read_run(path)
            except CacheError as problem:
                log.warning("%s Training it again.", problem)
        data = data if data is not None else load_fashion_mnist()
        checkpoint = cache_dir / ".partial" / name / "checkpoint.pt"
        result = train(config, data, progress=progress, checkpoint=checkpoint)
        write_run(result, data, path)
        shutil.rmtree(checkpoint.parent, ignore_errors=True)
        return read_run(path)
    finally:
        lock.release()


def list_runs(cache_dir: str | Path | None = None) -> pd.DataFrame:
    """One row per run folder in the cache, with its key numbers and whether it is intact."""
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    rows = []
    for path in sorted(folder.glob("*-*")) if folder.is_dir() else []:
        if not path.is_dir() or path.name.startswith("."):
            continue
        try:
            run = read_run(path)
        except CacheError as problem:
            rows.append({"run": path.name, "status": f"unusable: {problem}"})
            continue
        test = run.test_metrics("final")
        rows.append({"run": path.name, "model": run.config.model, "epochs": run.config.epochs,
                     "seed": run.config.seed, "augment": run.config.augment,
                     "train_images": run.config.n_train, "device": run.config.device,
                     "test_acc": round(100 * test["accuracy"], 2), "test_errors": test["errors"],
                     "minutes": round(run.metrics["train_seconds"] / 60, 1), "created": run.metrics["created"],
                     "status": "ok"})
    return pd.DataFrame(rows)
