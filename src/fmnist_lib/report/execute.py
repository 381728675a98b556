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
    def logs(self) -> Path:
        """The kernels' own logs, one per page (`kernel.py`)."""
        return self.root / "build" / "logs"

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

    from .kernel import kernel_options

    _kernel_environment()
    for folder in (paths.executed, paths.failed, paths.logs):
        folder.mkdir(parents=True, exist_ok=True)
    target = paths.executed / section.notebook
    staging = paths.executed / f".running-{section.notebook}"
    started = time.perf_counter()
    try:
        with (paths.logs / section.notebook.replace(".ipynb", ".kernel.log")).open("wb") as log:
            papermill.execute_notebook(str(paths.root / "notebooks" / section.notebook), str(staging),
                                       parameters=parameters, kernel_name="python3", progress_bar=False,
                                       cwd=str(paths.root / "notebooks"), **kernel_options(log))
    except PapermillExecutionError as error:
        failed = paths.failed / section.notebook
        os.replace(staging, failed)
        target.unlink(missing_ok=True)  # a stale page must not stand in for the failed one
        raise ReportError(f"Section {section.name} failed in cell {error.exec_count} ({section.notebook}): "
                          f"{error.ename}: {error.evalue}\nThe executed notebook is kept in {failed}.") from None
    _remove_parameter_cells(staging)
    os.replace(staging, target)
    return time.perf_counter() - started
