"""Papermill execution of one section's notebook, and the record that says whether an executed page is current.

A page is current when it was executed from the same notebook source, with the same parameters, by the
same library code (`library_fingerprint`); `fmnist report` keeps current pages and executes the rest.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__
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
                                   cwd=str(paths.root / "notebooks"))
    except PapermillExecutionError as error:
        failed = paths.failed / section.notebook
        os.replace(staging, failed)
        target.unlink(missing_ok=True)  # a stale page must not stand in for the failed one
        raise ReportError(f"Section {section.name} failed in cell {error.exec_count} ({section.notebook}): "
                          f"{error.ename}: {error.evalue}\nThe executed notebook is kept in {failed}.") from None
    _remove_parameter_cells(staging)
    os.replace(staging, target)
    return time.perf_counter() - started


def _source_sha256(root: Path, section: Section) -> str:
    return hashlib.sha256((root / "notebooks" / section.notebook).read_bytes()).hexdigest()


def library_fingerprint() -> str:
    """SHA-256 of the library's source (with the scripts and styles pages inline, the explorer's): a page executed by
    other code is not current, whatever its version says."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(p for p in package.rglob("*") if p.suffix in (".py", ".js", ".css")):
        digest.update(path.relative_to(package).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()


def read_record(path: Path) -> dict:
    """The execution record ({section: notebook, parameters, seconds, fingerprints}); empty if there is none."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return {}


def write_record(paths: Paths, section: Section, parameters: dict, seconds: float) -> None:
    """Add (or replace) the section's entry in the record, atomically."""
    record = read_record(paths.record)
    record[section.name] = {"notebook": section.notebook, "parameters": parameters, "seconds": round(seconds, 1),
                            "source_sha256": _source_sha256(paths.root, section), "library": __version__,
                            "library_sha256": library_fingerprint()}
    temporary = paths.record.with_suffix(".tmp")
    temporary.write_text(json.dumps(record, indent=2))
    os.replace(temporary, paths.record)


def is_current(paths: Paths, section: Section, parameters: dict) -> bool:
    """Executed already, from the same notebook source, parameters and library code: no need to run again."""
    entry = read_record(paths.record).get(section.name, {})
    return ((paths.executed / section.notebook).exists() and entry.get("parameters") == parameters
            and entry.get("source_sha256") == _source_sha256(paths.root, section)
            and entry.get("library_sha256") == library_fingerprint())
