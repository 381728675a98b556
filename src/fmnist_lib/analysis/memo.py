"""Analysis results kept beside the run they were computed from, so that two pages compute them once.

Grad-CAM statistics over the whole test set and the randomisation check take the better part of a
minute on a CPU, and both the claims page and the explainability (or saliency) page need them. A
result is stored as JSON under the results cache's `.analyses/`, keyed by the run, the analysis, its
parameters and a fingerprint of the analysis code: a change to that code, or another run, computes
it afresh, and a damaged file is computed again rather than trusted.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

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


def remembered(run_path: Path, name: str, parameters: dict, compute: Callable[[], dict]) -> dict:
    """`compute()` for this run, analysis and parameters, read from `.analyses/` when it was stored before."""
    key = hashlib.sha256(json.dumps({"name": name, "parameters": parameters, "code": code_fingerprint()},
                                    sort_keys=True, default=str).encode()).hexdigest()[:16]
    path = Path(run_path).parent / ".analyses" / f"{Path(run_path).name}-{name}-{key}.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        pass
    result = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(_plain(result)))
    os.replace(temporary, path)
    return result
