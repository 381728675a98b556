"""The results cache: one folder per training run, keyed by everything that determines it.

A run's key hashes its resolved config, the data checksum, the fingerprint of the code that computes and
stores a run (`fingerprint.code_fingerprint`) and the software that runs that code (`fingerprint.run_software`:
torch and torchvision, and CUDA's versions on CUDA). A run folder (written by `store.write_run`) holds config.json,
history.csv, metrics.json, predictions.npz and two safetensors weight files (final and best-validation), plus
manifest.json with the SHA-256 of each, written last. The folder is assembled under a temporary name and
renamed into place, so a run either exists whole or not at all; a run whose files do not match its manifest
is never used, and neither is a run made by other code or other versions of torch (`stale`: it has another
key, and `fmnist runs` lists it as such). Nothing in the cache is ever unpickled.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from filelock import FileLock, Timeout
from safetensors.torch import load_file

from ..data.fashion_mnist import DATA_CHECKSUM, FashionMNIST, load_fashion_mnist
from ..errors import CacheError, TrainingDiverged
from ..training.config import TrainConfig
from ..training.models import Classifier, build_model
from ..training.train import train
from .fingerprint import code_fingerprint, run_software
from .store import MANIFEST, WEIGHTS, sha256_file, test_data, write_run

log = logging.getLogger("fmnist_lib")

CACHE_ENV = "FMNIST_CACHE_DIR"
PARTIAL_RECORD = "run.json"  # beside a partial run's checkpoint: the code, software and config it is trained with


class StaleRunError(CacheError):
    """The run is intact but was made by other code than this: it is never used as current."""


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
    """16 hex digits of SHA-256 over the resolved config, the data checksum, the code fingerprint and the software
    versions that compute it (`run_software`)."""
    return key_of(config.resolved().to_dict())


def key_of(resolved_config: dict) -> str:
    """The key of a resolved config (`TrainConfig.resolved().to_dict()`), as stored in a run's config.json."""
    payload = {"config": resolved_config, "data": DATA_CHECKSUM, "code": code_fingerprint(),
               "software": run_software(resolved_config["device"])}
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

    def validation_predictions(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Validation-split (logits (N, 10), labels (N,)) of the final weights, fp32, on the images the run
        validated on after each epoch (the first `val_subset`, else all of its validation split)."""
        with np.load(self.path / "predictions.npz", allow_pickle=False) as stored:
            return torch.from_numpy(stored["val_logits_final"]), torch.from_numpy(stored["val_labels"])

    def describe_weights(self, weights: str = "final") -> str:
        """Which weights, in words, for a page to say what it analysed."""
        if _check_weights(weights) == "final":
            return f"the final weights, after epoch {self.config.epochs} (the last), as the write-up reported"
        return (f"the best-validation weights, from epoch {self.metrics['best_epoch']} of {self.config.epochs}, as "
                "the write-up's failure analysis used")

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


def verify_run(path: Path) -> dict:
    """Check a run folder against its manifest; returns the manifest or raises CacheError saying what is wrong.

    A run made by other code, or by other versions of torch and torchvision (or CUDA's), raises StaleRunError
    (a CacheError): it is intact but never used as current.
    """
    try:
        manifest = json.loads((path / MANIFEST).read_text())
        files = manifest["files"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise CacheError(f"Run {path} has no valid manifest ({error}); it was never completed or was edited.") from error
    for name, expected in files.items():
        if not (path / name).is_file():
            raise CacheError(f"Run {path} lacks {name}.")
        if sha256_file(path / name) != expected:
            raise CacheError(f"Run {path}: {name} does not match its checksum in the manifest (truncated or edited).")
    if manifest.get("code") != code_fingerprint():
        made_by = (f"code with fingerprint {manifest['code']}" if manifest.get("code")
                   else f"fmnist_lib {manifest.get('library', '?')}, before runs recorded their code")
        raise StaleRunError(f"Run {path.name} is stale: it was made by {made_by}, and this code's fingerprint is "
                            f"{code_fingerprint()}. `fmnist runs --remove-stale` deletes such runs.")
    software = run_software(_stored_device(path))
    if manifest.get("software") != software:
        raise StaleRunError(f"Run {path.name} is stale: it was made with {_versions(manifest.get('software'))}, "
                            f"and this machine has {_versions(software)}. `fmnist runs --remove-stale` deletes such "
                            "runs.")
    return manifest


def _stored_device(path: Path) -> str:
    """The resolved device a run folder says it trained on ('cpu' if its config cannot be read: then its checksums
    have already failed)."""
    try:
        return json.loads((path / "config.json").read_text())["config"]["device"]
    except (OSError, ValueError, KeyError, TypeError):
        return "cpu"


def _versions(software: dict | None) -> str:
    if not software:
        return "software it did not record"
    return ", ".join(f"{name} {version}" for name, version in software.items())


def read_run(path: Path, *, allow_stale: bool = False) -> Run:
    """Read a verified run; CacheError if the folder is incomplete or damaged, StaleRunError if other code made it.

    `allow_stale` reads an intact run of other code (for listing it, never for using it as current).
    """
    try:
        verify_run(path)
    except StaleRunError:
        if not allow_stale:
            raise
    try:
        config = TrainConfig.from_dict(json.loads((path / "config.json").read_text())["config"])
        metrics = json.loads((path / "metrics.json").read_text())
        history = pd.read_csv(path / "history.csv")
    except (ValueError, KeyError, TypeError) as error:
        raise CacheError(f"Run {path} cannot be read ({error}).") from error
    return Run(path=path, config=config, history=history, metrics=metrics)


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
    """The cached run of `config` if it is complete and intact; otherwise train it (resuming a checkpoint) and store it.

    A run that diverges (`errors.TrainingDiverged`) is not stored, and its checkpoints are removed.
    """
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
        test_data(config, data)  # refused before training, not after
        partial = cache_dir / ".partial" / name
        partial.mkdir(parents=True, exist_ok=True)
        resolved = config.resolved().to_dict()
        (partial / PARTIAL_RECORD).write_text(json.dumps({"code": code_fingerprint(), "config": resolved,
                                                          "software": run_software(resolved["device"])}, indent=2))
        try:
            result = train(config, data, progress=progress, checkpoint=partial / "checkpoint.pt")
        except TrainingDiverged:
            shutil.rmtree(partial, ignore_errors=True)
            raise
        write_run(result, data, path, code_fingerprint(), run_software(resolved["device"]))
        shutil.rmtree(partial, ignore_errors=True)
        return read_run(path)
    finally:
        lock.release()
