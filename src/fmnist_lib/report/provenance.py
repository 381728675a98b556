"""How the report was made: package versions, the pinned environment, hardware, the git commit, the data files,
and each page's parameters, time and runs (from the execution record)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

import pandas as pd
import torch

from ..data.fashion_mnist import IDX_FILES
from ..fingerprint import LOCK_FILE, requirements_lock_sha256
from ..runs.cache import run_name
from .sections import get_section

PACKAGES = ("fmnist_lib", "torch", "torchvision", "numpy", "pandas", "grad-cam", "matplotlib", "seaborn",
            "papermill", "jupyter-book", "myst-nb", "sphinx", "tqdm", "safetensors")


def package_versions() -> pd.DataFrame:
    """Installed version of each package the report depends on."""
    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "not installed"

    return pd.DataFrame({"version": [version(name) for name in PACKAGES]}, index=pd.Index(PACKAGES, name="package"))


def environment_text() -> str:
    """The pinned environment this build ran in, in words: the SHA-256 of the checkout's requirements.lock."""
    sha = requirements_lock_sha256()
    if sha is None:
        return f"not pinned: this checkout has no {LOCK_FILE}"
    return f"installed from {LOCK_FILE} with SHA-256 {sha}"


def _run_lock(cache: str | None, name: str) -> str:
    """The first 16 hex digits of the requirements.lock SHA-256 a run recorded ('none' without a lock file, 'not
    recorded' for a run from before runs recorded it or not in the cache)."""
    try:
        sha = json.loads((Path(cache) / name / "config.json").read_text())["requirements_lock_sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        return "not recorded"
    return sha[:16] if sha else "none"


def cpu_model() -> str:
    """The CPU's marketing name (Linux), else what `platform` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe_hardware() -> str:
    """One line naming the device that trained: the GPU, else the CPU and its cores."""
    if torch.cuda.is_available():
        return f"{torch.cuda.get_device_name()} (CUDA)"
    return f"{cpu_model()}, {os.cpu_count()} cores"


def hardware() -> dict[str, str]:
    """The machine the notebooks ran on."""
    gpu = torch.cuda.get_device_name() if torch.cuda.is_available() else "none"
    return {"platform": platform.platform(), "python": platform.python_version(),
            "processor": cpu_model(), "cpu cores": str(os.cpu_count()),
            "torch threads": str(torch.get_num_threads()), "gpu": gpu}


def git_commit(root: Path) -> str:
    """The checkout's commit, marked '+changes' when the working tree differs from it."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                                check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return commit + (" +changes" if dirty else "")


def data_files() -> pd.DataFrame:
    """The four IDX files with their shapes and the SHA-256 of their decompressed content."""
    return pd.DataFrame([{"file": name, "shape": str(shape), "sha256 (decompressed)": sha}
                         for name, (sha, shape) in IDX_FILES.items()]).set_index("file")


def pages_table(record: dict) -> pd.DataFrame:
    """One row per executed page of the record (`execute.read_record`): notebook, seconds and parameters."""
    return pd.DataFrame([{"section": name, "notebook": entry["notebook"], "seconds": entry["seconds"],
                          "parameters": json.dumps(entry["parameters"])} for name, entry in record.items()])


def runs_table(record: dict) -> pd.DataFrame:
    """One row per run the record's pages read: its model and key (the folder is `model-key`), the config values
    that tell runs apart, the pinned environment it was trained in (its requirements.lock SHA-256, read from
    the results cache) and the sections that read it, in reading order."""
    rows: dict[str, dict] = {}
    for name, entry in record.items():
        for config in get_section(name).configs(entry["parameters"]):
            run = run_name(config)
            if run in rows:
                if name not in rows[run]["sections"]:
                    rows[run]["sections"].append(name)
                continue
            resolved = config.resolved()
            rows[run] = {"run": run, "model": config.model, "key": run.rsplit("-", 1)[-1], "epochs": config.epochs,
                         "train images": config.n_train, "augment": config.augment, "seed": config.seed,
                         "split seed": config.split_seed, "device": resolved.device, "precision": resolved.precision,
                         "environment": _run_lock(entry.get("cache"), run), "sections": [name]}
    table = pd.DataFrame(rows.values())
    if not table.empty:
        table["sections"] = table["sections"].map(", ".join)
    return table
