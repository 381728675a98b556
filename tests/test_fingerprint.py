"""The code fingerprint in every run's key: it lists every module a run's result depends on, and a change to one
of them, and only to one of them, makes `fmnist train` train a new run. One hash function serves runs, remembered
analyses and executed pages alike."""

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from fmnist_lib.fingerprint import requirements_lock_sha256, source_files, source_fingerprint
from fmnist_lib.runs.fingerprint import PACKAGE, RESULT_SOURCES, code_fingerprint

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
    assert "training/model_parts.py" not in RESULT_SOURCES  # display names, CAM layers: never a retraining


def _copy_package(target: Path) -> Path:
    shutil.copytree(PACKAGE, target / "fmnist_lib", ignore=shutil.ignore_patterns("__pycache__"))
    return target / "fmnist_lib"


def test_fingerprint_follows_the_listed_sources_only(tmp_path):
    package = _copy_package(tmp_path)
    assert source_fingerprint(RESULT_SOURCES, package=package) == code_fingerprint()
    for unlisted in ("report/plots/training.py", "training/model_parts.py"):  # a plot; a model's display name
        with (package / unlisted).open("a") as handle:
            handle.write("\n# an edit that changes no run\n")
        assert source_fingerprint(RESULT_SOURCES, package=package) == code_fingerprint(), unlisted
    with (package / "data" / "batches.py").open("a") as handle:
        handle.write("\n# a comment is enough\n")
    assert source_fingerprint(RESULT_SOURCES, package=package) != code_fingerprint()


def test_a_folder_stands_for_its_files_at_any_depth_in_a_fixed_order(tmp_path):
    package = _copy_package(tmp_path)
    files = source_files(["report"], package, suffixes=(".py", ".js"))
    names = [path.relative_to(package).as_posix() for path in files]
    assert "report/plots/look.py" in names and "report/explorer.js" in names and names == sorted(names)
    assert not any("__pycache__" in name for name in names)
    before = source_fingerprint(["report"], package=package, suffixes=(".py", ".js"))
    assert before == source_fingerprint(["report"], package=package, suffixes=(".py", ".js"))
    (package / "report" / "explorer.js").write_text("// another script\n")
    assert source_fingerprint(["report"], package=package, suffixes=(".py", ".js")) != before
    assert source_fingerprint(["report"], package=package) == source_fingerprint(["report"], package=PACKAGE)


def test_the_pinned_environment_is_named_by_its_lock_file_or_none(tmp_path):
    assert requirements_lock_sha256(tmp_path) is None  # no lock file: recorded as None, nothing fails
    (tmp_path / "requirements.lock").write_text("torch==2.14.1\n")
    assert requirements_lock_sha256(tmp_path) == hashlib.sha256(b"torch==2.14.1\n").hexdigest()


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
