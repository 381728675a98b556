"""Analysis results kept beside the run they were computed from, so that two pages compute them once.

Grad-CAM statistics over the whole test set take the better part of a minute on a CPU, and both the claims
page and the explainability page need them; the features of 50,000 training images take half a minute, and
both the failures page and the explorer search them. A result is stored under the results cache's
`.analyses/` (numbers as JSON, arrays as an .npz read without pickle), keyed by the run, the analysis, its
parameters and a fingerprint of the analysis code: a change to that code, or another run, computes it afresh,
and a damaged file is computed again rather than trusted.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

ANALYSIS_FOLDERS = ("analysis", "training", "data")  # the code whose change makes a stored result stale


def code_fingerprint() -> str:
    """SHA-256 of the source of the stages an analysis result depends on."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for folder in ANALYSIS_FOLDERS:
        for path in sorted((root / folder).glob("*.py")):
            digest.update(f"{folder}/{path.name}".encode() + path.read_bytes())
    return digest.hexdigest()


def _plain(value):
    """JSON-ready: numpy scalars to Python numbers (NaN stays NaN: Python's json writes and reads it)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value.item() if hasattr(value, "item") else value


def _path(run_path: Path, name: str, parameters: dict, suffix: str) -> Path:
    key = hashlib.sha256(json.dumps({"name": name, "parameters": parameters, "code": code_fingerprint()},
                                    sort_keys=True, default=str).encode()).hexdigest()[:16]
    return Path(run_path).parent / ".analyses" / f"{Path(run_path).name}-{name}-{key}{suffix}"


def _store(path: Path, write: Callable[[Path], None]) -> None:
    """Write through a temporary file and rename: a reader sees the whole result or none."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")
    write(temporary)
    os.replace(temporary, path)


def remembered(run_path: Path, name: str, parameters: dict, compute: Callable[[], dict]) -> dict:
    """`compute()` for this run, analysis and parameters, read from `.analyses/` when it was stored before."""
    path = _path(run_path, name, parameters, ".json")
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        pass
    result = compute()
    _store(path, lambda target: target.write_text(json.dumps(_plain(result))))
    return result


def remembered_arrays(run_path: Path, name: str, parameters: dict,
                      compute: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """`remembered` for a dict of numpy arrays, stored as one .npz (never unpickled)."""
    path = _path(run_path, name, parameters, ".npz")
    try:
        with np.load(path, allow_pickle=False) as stored:
            return {key: stored[key] for key in stored.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile):
        pass
    result = {key: np.asarray(value) for key, value in compute().items()}
    _store(path, lambda target: np.savez(target, **result))
    return result
