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
- the package files these import on the way (`__init__.py` files, `errors.py`, and `fingerprint.py`, the one
  hash function every stage uses, which `runs/store.py` imports to record the pinned environment).

This module itself is not listed: the names of the files are hashed with their bytes, so changing the list
changes every key, and so does changing how the hash is made. Beside the code, the key holds the software that
runs it (`run_software`): torch and torchvision, and on CUDA the CUDA and cuDNN versions, so a machine with
another torch never serves or overwrites this machine's runs.

Nothing else is listed: plots, analyses, claims, report pages and notebooks read runs and never change one,
so editing them keeps every cached run valid; so does what the report knows about an architecture beyond
building it (display names, Grad-CAM layers, randomisation stages: `training/model_parts.py`).
tests/test_fingerprint.py imports `training/train.py` and `runs/store.py` in a fresh interpreter and fails
when any fmnist_lib module they load is missing here, so a new training module cannot be forgotten. The hash
covers the raw bytes, comments included: a reworded comment costs a retraining, a forgotten change of behaviour
would cost a wrong number.
"""

from __future__ import annotations

import functools

from ..fingerprint import PACKAGE, cuda_versions, package_versions, source_fingerprint

RESULT_SOURCES = (
    "__init__.py",
    "errors.py",
    "fingerprint.py",
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
RESULT_PACKAGES = ("torch", "torchvision")  # the packages whose kernels and layers compute a run


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """The fingerprint of this process's code: `fingerprint.source_fingerprint` of RESULT_SOURCES.

    Read once per process and kept: the modules a process has imported are the code its runs are made with.
    """
    return source_fingerprint(RESULT_SOURCES, package=PACKAGE)


def run_software(device: str) -> dict[str, str | None]:
    """The software that computes a run on `device` (a resolved device type): torch and torchvision, and on CUDA
    the CUDA and cuDNN versions torch was built with. Part of the run's key: two versions of torch need not
    round alike, so their runs are different runs."""
    return dict(_software(device))


@functools.lru_cache(maxsize=None)
def _software(device: str) -> tuple[tuple[str, str | None], ...]:
    """Read once per process, as the code is: a process computes with the packages it imported."""
    software = package_versions(RESULT_PACKAGES)
    return tuple({**software, **cuda_versions()}.items() if device == "cuda" else software.items())
