"""Analysis results kept beside the run they were computed from, so that two pages compute them once.

Grad-CAM statistics over the whole test set take the better part of a minute on a CPU, and both the claims
page and the explainability page need them; the features of 50,000 training images take half a minute, and
both the failures page and the explorer search them. A result is stored under the results cache's
`.analyses/` (numbers as JSON, arrays as an .npz read without pickle), keyed by the run, the analysis, its
parameters, the device it computes on, the source of the code it calls (`fingerprint.source_fingerprint` over the
stages in `code`: by default data, training, runs and analysis; the claims ledger adds `claims`) and the versions
of the numerical packages that compute it (torch, torchvision, grad-cam, ...; CUDA's on CUDA). A change to any of
them, or another run, computes it afresh, and a damaged file is computed again rather than trusted.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..fingerprint import cuda_versions, package_versions, source_fingerprint

# The code an analysis calls: the package's shared modules and every stage up to this one (a run is read through
# runs/, its model built by training/). A caller higher in the flow adds its own stage (`code=`).
ANALYSIS_CODE = ("__init__.py", "errors.py", "fingerprint.py", "data", "training", "runs", "analysis")
# The packages whose numbers an analysis is made of (grad-cam resizes its maps with OpenCV).
ANALYSIS_PACKAGES = ("torch", "torchvision", "numpy", "scipy", "pandas", "grad-cam", "opencv-python-headless")


def code_fingerprint(code: tuple[str, ...] = ANALYSIS_CODE) -> str:
    """The fingerprint of the source an analysis result depends on (`code`: modules and stage folders)."""
    return source_fingerprint(code)


def software(device: str) -> dict[str, str | None]:
    """The versions of the packages that compute an analysis on `device` ('cpu', 'cuda', ...), CUDA's on CUDA."""
    versions = package_versions(ANALYSIS_PACKAGES)
    return {**versions, **cuda_versions()} if device.startswith("cuda") else versions


def _plain(value):
    """JSON-ready: numpy scalars to Python numbers (NaN stays NaN: Python's json writes and reads it)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value.item() if hasattr(value, "item") else value


def _path(run_path: Path, name: str, parameters: dict, device, code: tuple[str, ...], suffix: str) -> Path:
    device = str(device)  # 'cuda:0' and torch.device('cuda:0') are one key
    key = hashlib.sha256(json.dumps({"name": name, "parameters": parameters, "device": device,
                                     "code": code_fingerprint(code), "software": software(device)},
                                    sort_keys=True, default=str).encode()).hexdigest()[:16]
    return Path(run_path).parent / ".analyses" / f"{Path(run_path).name}-{name}-{key}{suffix}"


def _store(path: Path, write: Callable[[Path], None]) -> None:
    """Write through a temporary file and rename: a reader sees the whole result or none."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")
    write(temporary)
    os.replace(temporary, path)


def remembered(run_path: Path, name: str, parameters: dict, compute: Callable[[], dict], *, device: str,
               code: tuple[str, ...] = ANALYSIS_CODE) -> dict:
    """`compute()` for this run, analysis and parameters, read from `.analyses/` when it was stored before by the
    same `code` and software on the same `device` (where `compute` runs its models)."""
    path = _path(run_path, name, parameters, device, code, ".json")
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        pass
    result = compute()
    _store(path, lambda target: target.write_text(json.dumps(_plain(result))))
    return result


def remembered_arrays(run_path: Path, name: str, parameters: dict, compute: Callable[[], dict[str, np.ndarray]], *,
                      device: str, code: tuple[str, ...] = ANALYSIS_CODE) -> dict[str, np.ndarray]:
    """`remembered` for a dict of numpy arrays, stored as one .npz (never unpickled)."""
    path = _path(run_path, name, parameters, device, code, ".npz")
    try:
        with np.load(path, allow_pickle=False) as stored:
            return {key: stored[key] for key in stored.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile):
        pass
    result = {key: np.asarray(value) for key, value in compute().items()}
    _store(path, lambda target: np.savez(target, **result))
    return result
