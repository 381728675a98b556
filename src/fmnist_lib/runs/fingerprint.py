"""The fingerprint of the code that determines a run's result: part of every run's cache key.

A cached run is only as good as the code that made it. The key therefore hashes, beside the config and the
data checksum, the source of exactly the modules whose code can change what a run computes and stores
(`RESULT_SOURCES`):

- data: how the IDX files are parsed and split (`data/fashion_mnist.py`), how batches are drawn
  (`data/batches.py`) and how each augmentation policy changes them (`data/augmentation.py`);
- training: the config and its defaults, the models, the training step and loop, checkpoints (a resume must
  continue the same computation), CUDA-graph replay, the forward pass and the evaluation numbers
  (`training/*.py` except `determinism.py`, which only measures two trainings and stores nothing);
- runs: what is evaluated and written into a run folder (`runs/store.py`), but not `runs/cache.py`, which
  only names, finds, verifies and lists runs (a change to the key itself changes every key anyway);
- the package files these import on the way (`__init__.py` files, `errors.py`).

This module itself is not listed: the names of the files are hashed with their bytes, so changing the list
changes every key, and so does changing how the hash is made.

Nothing else is listed: plots, analyses, claims, report pages and notebooks read runs and never change one,
so editing them keeps every cached run valid. tests/test_fingerprint.py imports `training/train.py` and
`runs/store.py` in a fresh interpreter and fails when any fmnist_lib module they load is missing here, so a
new training module cannot be forgotten. The hash covers the raw bytes, comments included: a reworded
comment costs a retraining, a forgotten change of behaviour would cost a wrong number.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]  # src/fmnist_lib
RESULT_SOURCES = (
    "__init__.py",
    "errors.py",
    "data/__init__.py",
    "data/fashion_mnist.py",
    "data/batches.py",
    "data/augmentation.py",
    "training/__init__.py",
    "training/config.py",
    "training/models.py",
    "training/forward.py",
    "training/evaluate.py",
    "training/checkpoint.py",
    "training/cuda_graphs.py",
    "training/train.py",
    "runs/__init__.py",
    "runs/store.py",
)


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """The fingerprint of this process's code (`source_fingerprint` of the installed package).

    Read once per process and kept: the modules a process has imported are the code its runs are made with.
    """
    return source_fingerprint(PACKAGE)


def source_fingerprint(package: Path) -> str:
    """16 hex digits of SHA-256 over the path and bytes of each file of RESULT_SOURCES under `package`, in order."""
    digest = hashlib.sha256()
    for name in RESULT_SOURCES:
        digest.update(name.encode() + b"\0" + (package / name).read_bytes() + b"\0")
    return digest.hexdigest()[:16]
