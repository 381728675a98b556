"""Shared fixtures: the real dataset (never downloaded), tiny training configs, and the smoke report built once
for the browser tests (test_site.py) and the PDF (test_pdf.py)."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from fmnist_lib.data.fashion_mnist import load_fashion_mnist
from fmnist_lib.training.config import TrainConfig


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI (CI=true) a skipped test fails: a missing dependency there is a broken setup, not a reason to
    test less. Locally a skip stays a skip, with its reason in the summary (-ra)."""
    return _no_skips_in_ci((yield))


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    """The same for a whole module skipped while it is collected (a module-level `importorskip`)."""
    return _no_skips_in_ci((yield))


def _no_skips_in_ci(report):
    if report.skipped and os.environ.get("CI") == "true" and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, where nothing may be skipped: {reason}"
    return report


@pytest.fixture(scope="session")
def fmnist():
    """The real Fashion-MNIST, found where `fmnist data` finds it (setup installs it)."""
    return load_fashion_mnist()


@pytest.fixture
def tiny_config():
    """A config that trains in a few seconds on the CPU: 512 images, 2 epochs, 1,000 for validation, tested on the
    first 1,000 test images (the whole test set's forward pass would take most of its time)."""
    return TrainConfig(model="custom_cnn", epochs=2, train_subset=512, val_size=1_000, test_subset=1_000, device="cpu",
                       seed=3)


@pytest.fixture
def report_sources(tmp_path):
    """A copy of the checkout (what git tracks or would track, plus the vendored MathJax), for scripts that
    build the report where they live."""
    root = Path(__file__).resolve().parents[1]
    target = tmp_path / "sources"
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=root,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        if (root / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / name, target / name)
    shutil.copytree(root / "book" / "_vendor", target / "book" / "_vendor")
    return target


def copy_report_sources(target: Path) -> Path:
    """What `fmnist report --root` needs from the checkout: the configuration, the hand-written pages (with the
    vendored MathJax and the stylesheet) and the notebooks."""
    root = Path(__file__).resolve().parents[1]
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy(root / name, target / name)
    shutil.copytree(root / "notebooks", target / "notebooks")
    shutil.copytree(root / "book", target / "book")
    return target


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The smoke report built once per session in a copy of the sources, with its own results cache:
    (root, cache, index.html). Tests that change it (re-running a section, breaking a notebook) restore it."""
    from fmnist_lib.report.build import run_report

    root = copy_report_sources(tmp_path_factory.mktemp("report"))
    cache = tmp_path_factory.mktemp("cache")
    previous = os.environ.get("FMNIST_CACHE_DIR")
    os.environ["FMNIST_CACHE_DIR"] = str(cache)
    try:
        index = run_report("smoke", root=root, progress=False, echo=lambda line: None)
        yield root, cache, index
    finally:
        if previous is None:
            os.environ.pop("FMNIST_CACHE_DIR", None)
        else:
            os.environ["FMNIST_CACHE_DIR"] = previous
