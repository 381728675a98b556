"""The GPU run's script and its wheel list (scripts/gpu/), rehearsed on the CPU.

The run on a GPU machine happens once, unattended, on a machine without internet: whatever it lacks
or gets wrong costs the whole run. So the wheel list is worked out from requirements.lock alone, and the
script is rehearsed end to end on the smoke profile here.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _bundle_module():
    spec = importlib.util.spec_from_file_location("gpu_bundle", ROOT / "scripts" / "gpu" / "bundle.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_wheel_list_is_the_locked_report_stack_less_what_the_gpu_machine_has():
    """The wheels that travel are the lock's versions of the report's stack, less preinstalled and left-out packages."""
    bundle = _bundle_module()
    wheels = dict(requirement.split("==") for requirement in bundle.requirements())
    pins = bundle._lockfile().read_lock()
    assert wheels == {name: pins[name].version for name in wheels}, "every wheel at the lock's version"
    assert {"papermill", "jupyter-book", "grad-cam", "cleanlab", "distributed", "ipykernel", "myst-nb"} <= set(wheels)
    assert not {"torch", "torchvision", "numpy", "pandas"} & set(wheels)  # preinstalled there
    assert not set(bundle.LEFT_OUT) & set(wheels)
    assert not {"pytest", "pypdf", "iniconfig"} & set(wheels)  # the test extra stays at home


def test_left_out_packages_are_not_followed():
    """bokeh is left out, so what only bokeh needs (xyzservices) does not travel either."""
    bundle = _bundle_module()
    pins = bundle._lockfile().read_lock()
    assert pins["xyzservices"].needed_by <= {"bokeh"}
    assert "xyzservices" not in bundle.report_stack()


def test_preinstalled_requirements_pin_the_lock():
    bundle = _bundle_module()
    requirements = bundle.preinstalled_requirements()
    names = [line.split("==")[0] for line in requirements]
    assert "torch" in names and "papermill" not in names and "pytest" not in names
    assert len(names) == len(set(names))  # one line per package, however its metadata spells it
    pins = bundle._lockfile().read_lock()
    assert all(pins[name].version == version for name, version in (line.split("==") for line in requirements))


@pytest.mark.slow
def test_rehearsal_on_cpu_runs_every_phase_and_brings_back_the_site(tmp_path, report_sources, site):
    """The script's smoke rehearsal (its own stack already installed): every phase ok, the files the GPU run returns.

    Its results cache and its executed pages start as copies of the session's smoke build, so the report phase
    trains nothing, executes the pages named (--only) and builds the site (every page's execution is covered by
    the session's build)."""
    out, work = tmp_path / "out", tmp_path / "work"
    shutil.copytree(site[1], work / "runs")
    shutil.copytree(site[0] / "build" / "executed", report_sources / "build" / "executed")
    command = [sys.executable, str(report_sources / "scripts" / "gpu" / "full_report.py"), "--out", str(out),
               "--work", str(work), "--profile", "smoke", "--device", "cpu", "--no-install", "--packing", "1,2",
               "--bench-steps", "1", "--bench-models", "custom_cnn", "--check-epochs", "1", "--check-subset", "1000", "--deadline-min", "30",
               "--only", "conclusion"]
    finished = subprocess.run(command, cwd=report_sources, capture_output=True, text=True, timeout=2400)
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    timings = json.loads((out / "timings.json").read_text())
    assert {name: phase["status"] for name, phase in timings["phases"].items()} == {
        name: "ok" for name in ("graphs", "throughput", "packing", "report")}
    assert timings["phases"]["report"]["workers"] in (1, 2)
    assert set(timings["pages"]) >= {"conclusion", "reproducibility"}  # the page named, and the one always run
    assert timings["runs"] and all(seconds > 0 for seconds in timings["runs"].values())
    assert any(row["model"] == "custom_cnn" and row["count"] >= 2 for row in timings["headline"])
    assert json.loads((out / "graphs.json").read_text())["agree"] is True  # both eager on a CPU: identical
    assert (out / "runs.csv").read_text().count("\n") == len(timings["runs"]) + 1
    with tarfile.open(out / "site.tar.xz") as archive:
        assert "html/index.html" in archive.getnames()
    assert (out / "DONE").exists() and len(list(out.iterdir())) <= 8  # the device tool brings back 8 files
