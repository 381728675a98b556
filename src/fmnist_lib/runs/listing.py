"""What the cache holds, listed and cleared: each run folder's status (ok, stale or unusable) for `fmnist runs`,
and the removal of runs made by other code (`fmnist runs --remove-stale`).

Looking runs up and storing them is `cache.py`'s; this module only reads folders and removes stale ones, never
while another process holds a run's lock.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path

import pandas as pd
from filelock import FileLock, Timeout

from ..errors import CacheError
from .cache import PARTIAL_RECORD, StaleRunError, default_cache_dir, key_of, read_run, verify_run
from .fingerprint import code_fingerprint, run_software

log = logging.getLogger("fmnist_lib")


def run_status(path: Path) -> str:
    """'ok', 'stale' (intact or not, made by other code: this code never looks it up) or 'unusable: why'."""
    try:
        verify_run(path)
        return "ok"
    except StaleRunError:
        return "stale"
    except CacheError as problem:
        try:  # damaged: stale all the same if this code would file its config under another name
            stored = json.loads((path / "config.json").read_text())["config"]
            if f"{stored['model']}-{key_of(stored)}" != path.name:
                return "stale"
        except (OSError, ValueError, KeyError, TypeError):
            pass
        return f"unusable: {problem}"


def list_runs(cache_dir: str | Path | None = None) -> pd.DataFrame:
    """One row per run folder in the cache, with its key numbers and its status (`run_status`)."""
    rows = []
    for path in _run_folders(cache_dir):
        status = run_status(path)
        try:
            run = read_run(path, allow_stale=True)
        except CacheError:  # damaged (stale or not): its status says so
            rows.append({"run": path.name, "status": status})
            continue
        test = run.test_metrics("final")
        rows.append({"run": path.name, "model": run.config.model, "epochs": run.config.epochs,
                     "seed": run.config.seed, "augment": run.config.augment,
                     "train_images": run.config.n_train, "device": run.config.device,
                     "test_acc": round(100 * test["accuracy"], 2), "test_errors": test["errors"],
                     "minutes": round(run.metrics["train_seconds"] / 60, 1), "created": run.metrics["created"],
                     "status": status})
    return pd.DataFrame(rows)


def remove_stale(cache_dir: str | Path | None = None) -> list[str]:
    """Delete the runs made by other code (or software), and checkpoints of interrupted runs of other code; returns
    their names.

    Current runs, damaged current runs (trained again when asked for) and anything whose lock another process
    holds are left alone. Other code sharing this cache (another checkout, an older version) loses its runs:
    that is what stale means here.
    """
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    removed = []
    for path in _run_folders(folder):
        if run_status(path) == "stale" and _remove(path, folder):
            removed.append(path.name)
    partials = folder / ".partial"
    for partial in sorted(partials.iterdir()) if partials.is_dir() else []:
        if partial.name.startswith("."):
            continue
        if not _current_partial(partial) and _remove(partial, folder):
            removed.append(f".partial/{partial.name}")
    return removed


def _current_partial(partial: Path) -> bool:
    """Whether an interrupted run is being trained by this code and software (only then can it be resumed)."""
    try:
        record = json.loads((partial / PARTIAL_RECORD).read_text())
        return (record["code"] == code_fingerprint()
                and record.get("software") == run_software(record["config"]["device"]))
    except (OSError, ValueError, KeyError, TypeError):
        return False  # from before partial runs recorded their code


def _run_folders(cache_dir: str | Path | None) -> list[Path]:
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    if not folder.is_dir():
        return []
    return [path for path in sorted(folder.glob("*-*")) if path.is_dir() and not path.name.startswith(".")]


def _remove(path: Path, cache_dir: Path) -> bool:
    """Remove a run's folder (or its partial folder) unless a process holds the run's lock; moved aside first, so
    no reader ever sees half of it."""
    (cache_dir / ".locks").mkdir(exist_ok=True)
    lock = FileLock(cache_dir / ".locks" / f"{path.name}.lock")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        log.warning("%s is in use by another process; left in place.", path)
        return False
    try:
        trash = path.with_name(f".trash-{path.name}")
        shutil.rmtree(trash, ignore_errors=True)
        os.rename(path, trash)
        shutil.rmtree(trash, ignore_errors=True)
        return True
    finally:
        lock.release()
