"""The code fingerprint in every run's key: it lists every module a run's result depends on, and a change to one
of them, and only to one of them, makes `fmnist train` train a new run."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from fmnist_lib.runs.fingerprint import PACKAGE, RESULT_SOURCES, code_fingerprint, source_fingerprint

# What computes a run (the training loop) and what evaluates and stores it (the cache's store).
ENTRY_POINTS = ("fmnist_lib.training.train", "fmnist_lib.runs.store")
TRAIN = ["train", "--model", "custom_cnn", "--epochs", "1", "--train-subset", "256", "--seed", "3",
         "--device", "cpu", "--quiet"]


def test_every_module_a_run_depends_on_is_fingerprinted():
    """Import the training loop and the store in a fresh interpreter: each fmnist_lib module it loads is listed
    (so a new one cannot be forgotten), and nothing else is (so a plot or a page never invalidates a run)."""
    code = ("import json, sys\n" + "".join(f"import {name}\n" for name in ENTRY_POINTS) +
            "print(json.dumps(sorted(m.__file__ for n, m in sys.modules.items() if n.split('.')[0] == 'fmnist_lib')))")
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                       check=True).stdout)
    imported = {Path(path).resolve().relative_to(PACKAGE).as_posix() for path in loaded}
    assert imported == set(RESULT_SOURCES)
    assert "training/determinism.py" not in RESULT_SOURCES and "runs/cache.py" not in RESULT_SOURCES


def _copy_package(target: Path) -> Path:
    shutil.copytree(PACKAGE, target / "fmnist_lib", ignore=shutil.ignore_patterns("__pycache__"))
    return target / "fmnist_lib"


def test_fingerprint_follows_the_listed_sources_only(tmp_path):
    package = _copy_package(tmp_path)
    assert source_fingerprint(package) == code_fingerprint()
    with (package / "report" / "plots" / "training.py").open("a") as handle:
        handle.write("\n# a plotting change\n")
    assert source_fingerprint(package) == code_fingerprint()
    with (package / "data" / "batches.py").open("a") as handle:
        handle.write("\n# a comment is enough\n")
    assert source_fingerprint(package) != code_fingerprint()


def _fmnist(package: Path, *args: str) -> subprocess.CompletedProcess:
    """The `fmnist` command run from the copy of the package in `package` (its source, not the checkout's)."""
    environment = {**os.environ, "PYTHONPATH": str(package.parent)}
    return subprocess.run([sys.executable, "-m", "fmnist_lib.cli", *args], capture_output=True, text=True,
                          env=environment, timeout=900)


def test_editing_a_training_module_trains_a_new_run_and_editing_a_plot_does_not(tmp_path):
    package = _copy_package(tmp_path / "src")
    cache = tmp_path / "cache"
    where = subprocess.run([sys.executable, "-c", "import fmnist_lib; print(fmnist_lib.__file__)"], text=True,
                           capture_output=True, env={**os.environ, "PYTHONPATH": str(package.parent)}, check=True)
    assert Path(where.stdout.strip()) == package / "__init__.py"  # the copy is what runs

    first = _fmnist(package, *TRAIN, "--cache-dir", str(cache))
    assert first.returncode == 0, first.stderr
    runs = sorted(p.name for p in cache.iterdir() if not p.name.startswith("."))
    assert len(runs) == 1

    with (package / "report" / "plots" / "training.py").open("a") as handle:
        handle.write("\n# a plotting module edited\n")
    second = _fmnist(package, *TRAIN, "--cache-dir", str(cache))
    assert second.returncode == 0, second.stderr
    assert sorted(p.name for p in cache.iterdir() if not p.name.startswith(".")) == runs  # a cache hit

    with (package / "training" / "train.py").open("a") as handle:
        handle.write("\n# a training module edited: a comment is enough\n")
    third = _fmnist(package, *TRAIN, "--cache-dir", str(cache))
    assert third.returncode == 0, third.stderr
    now = sorted(p.name for p in cache.iterdir() if not p.name.startswith("."))
    assert len(now) == 2 and runs[0] in now  # a new run, trained by the edited code

    listing = _fmnist(package, "runs", "--cache-dir", str(cache))
    rows = {line.split()[0]: line for line in listing.stdout.splitlines() if line.startswith("custom_cnn-")}
    assert rows[runs[0]].rstrip().endswith("stale") and rows[next(n for n in now if n != runs[0])].rstrip().endswith("ok")
    removed = _fmnist(package, "runs", "--remove-stale", "--cache-dir", str(cache))
    assert removed.returncode == 0 and f"removed {runs[0]}" in removed.stdout
    assert sorted(p.name for p in cache.iterdir() if not p.name.startswith(".")) == [n for n in now if n != runs[0]]
