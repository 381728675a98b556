"""Papermill execution of one section's notebook, and where a build keeps what it made.

Whether an executed page is still current is the record's question (`record.py`): it keeps what each page read.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ReportError

if TYPE_CHECKING:  # the registry imports this module
    from .sections import Section


def project_root() -> Path:
    """The checkout holding `_config.yml`, `_toc.yml` and `notebooks/` (the report needs the sources)."""
    for candidate in (Path(__file__).resolve().parents[3], Path.cwd()):
        if (candidate / "_config.yml").is_file() and (candidate / "notebooks").is_dir():
            return candidate
    raise ReportError("The report needs the project's source checkout (with _config.yml and notebooks/); "
                      "run it from there.")


def check_root(root: Path) -> Path:
    """`root` resolved, if it holds a copy of the report's sources (`--root`); a ReportError naming what it lacks."""
    missing = [name for name in ("_config.yml", "_toc.yml", "book", "notebooks") if not (root / name).exists()]
    if missing:
        raise ReportError(f"{root} is not a copy of the report's sources: it lacks {', '.join(missing)}. "
                          "Copy _config.yml, _toc.yml, book/ and notebooks/ from the checkout there, or leave "
                          "out --root to build in the checkout.")
    return root.resolve()


@dataclass
class Paths:
    """Where a build under `root` puts executed and failed notebooks, the record and the site."""

    root: Path

    @property
    def executed(self) -> Path:
        return self.root / "build" / "executed"

    @property
    def failed(self) -> Path:
        return self.root / "build" / "failed"

    @property
    def record(self) -> Path:
        return self.executed / "record.json"

    @property
    def site(self) -> Path:
        return self.root / "_build" / "html" / "index.html"


def _kernel_environment() -> None:
    """What the notebook kernels inherit: no progress bars, the inline figure backend."""
    os.environ["TQDM_DISABLE"] = "1"
    os.environ.pop("MPLBACKEND", None)


def _kernel_options() -> dict:
    """Papermill options for the kernel's connection: CurveZMQ encryption where pyzmq and the kernel offer it.

    A kernel reached over plain TCP prints a warning to the terminal on every start ("Kernel is running over TCP
    without encryption"), once per page. It means what it says: any local user could read the traffic. So the
    kernel manager provisions CurveZMQ keys (jupyter_client's `transport_encryption="auto"`: used when the
    kernelspec declares `supported_encryption: curve`, as ipykernel's does), which answers the warning instead of
    hiding it. Without CurveZMQ in pyzmq the setting would be refused, so it is asked for only when available.
    """
    import zmq
    from traitlets.config import Config

    if not zmq.has("curve"):
        return {}
    return {"config": Config({"KernelManager": {"transport_encryption": "auto"}})}


def _remove_parameter_cells(path: Path) -> None:
    """Tag the parameters cell and papermill's injected one `remove-cell`: a page shows neither the code nor a
    toggle for it (the profile box and the reproducibility page say what the parameters were)."""
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        tags = cell.metadata.get("tags", [])
        if ("parameters" in tags or "injected-parameters" in tags) and "remove-cell" not in tags:
            cell.metadata["tags"] = [tag for tag in tags if tag != "hide-input"] + ["remove-cell"]
    nbformat.write(notebook, path)


def execute_section(paths: Paths, section: Section, parameters: dict) -> float:
    """Execute one notebook into build/executed; on failure keep it in build/failed and raise ReportError."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    _kernel_environment()
    paths.executed.mkdir(parents=True, exist_ok=True)
    paths.failed.mkdir(parents=True, exist_ok=True)
    target = paths.executed / section.notebook
    staging = paths.executed / f".running-{section.notebook}"
    started = time.perf_counter()
    try:
        papermill.execute_notebook(str(paths.root / "notebooks" / section.notebook), str(staging),
                                   parameters=parameters, kernel_name="python3", progress_bar=False,
                                   cwd=str(paths.root / "notebooks"), **_kernel_options())
    except PapermillExecutionError as error:
        failed = paths.failed / section.notebook
        os.replace(staging, failed)
        target.unlink(missing_ok=True)  # a stale page must not stand in for the failed one
        raise ReportError(f"Section {section.name} failed in cell {error.exec_count} ({section.notebook}): "
                          f"{error.ename}: {error.evalue}\nThe executed notebook is kept in {failed}.") from None
    _remove_parameter_cells(staging)
    os.replace(staging, target)
    return time.perf_counter() - started
