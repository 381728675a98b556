"""One fingerprint for the code and the software behind a stored result, used by every stage that keeps one.

Three things are kept between commands, and each is reused only while what made it is unchanged:

- a training run (`runs/cache.py`): its key hashes the modules `runs/fingerprint.py` lists, and the versions of
  torch and torchvision (and CUDA's, on CUDA) that trained it;
- an analysis remembered beside its run (`analysis/memo.py`): the stages it calls and the numerical packages;
- an executed page (`report/record.py`): the whole library.

All three hash their code with `source_fingerprint` over their own list of modules and folders, and name package
versions with `package_versions`, so "unchanged" means one thing everywhere. The hash covers raw bytes, comments
included: a reworded comment costs a recomputation, a forgotten change of behaviour would cost a wrong number.

`requirements_lock_sha256` names the pinned environment of the checkout (its `requirements.lock`); runs record it
(not in their key: a lock file lists far more than computes a run) and the reproducibility page shows it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent  # src/fmnist_lib
CHECKOUT = PACKAGE.parents[1]  # the source checkout, when the package is used from one
LOCK_FILE = "requirements.lock"


def source_files(sources: Iterable[str], package: Path | None = None, suffixes: tuple[str, ...] = (".py",)
                 ) -> list[Path]:
    """The files `sources` names under `package` (default: this package), in order: a file as itself, a folder
    ("." for the whole package) as its files ending in `suffixes`, at any depth, sorted; compiled caches left out."""
    package = package or PACKAGE
    files = []
    for source in sources:
        path = package / source
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.suffix in suffixes and "__pycache__" not in p.parts)
        else:
            files.append(path)
    return files


def source_fingerprint(sources: Iterable[str], *, package: Path | None = None,
                       suffixes: tuple[str, ...] = (".py",)) -> str:
    """16 hex digits of SHA-256 over the path (relative to `package`) and bytes of each file of `sources`, in order.

    A missing file raises FileNotFoundError: a fingerprint that skipped one would call changed code unchanged.
    """
    package = package or PACKAGE
    digest = hashlib.sha256()
    for path in source_files(sources, package, suffixes):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def package_versions(names: Iterable[str]) -> dict[str, str | None]:
    """The installed version of each distribution (None where it is not installed)."""
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def cuda_versions() -> dict[str, str | None]:
    """The CUDA toolkit and cuDNN versions torch was built with (None on a build without them): what computes on a
    GPU beside torch itself."""
    import torch

    cudnn = torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None
    return {"cuda": torch.version.cuda, "cudnn": str(cudnn) if cudnn is not None else None}


def requirements_lock_sha256(checkout: Path = CHECKOUT) -> str | None:
    """SHA-256 of the checkout's `requirements.lock` (the pinned environment), or None when there is none (the
    package installed without its checkout, or a checkout without the file)."""
    try:
        return hashlib.sha256((Path(checkout) / LOCK_FILE).read_bytes()).hexdigest()
    except OSError:
        return None
