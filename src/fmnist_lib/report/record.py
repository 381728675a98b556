"""The execution record: what each executed page read, so that a page is kept only while all of it is unchanged.

An executed page is the product of its notebook source, its parameters, the library's code (`library_fingerprint`:
the whole package, its script and style included), the cache folder it read runs from, the runs themselves, and
the values it shows from other pages (`{glue:text}` of `NN_page.ipynb::key`). The record keeps each of them per
page; `fmnist report` executes a page again when any differs (`stale_inputs`), and executes a page after the
pages it reads (`dependency_order`), so one build leaves every page current.

A run is recorded by its name (its key: config, data, code and software) and the SHA-256 of its manifest: a run
trained again under the same key (deleted and retrained, or damaged and redone) has new files, so a new manifest,
and the pages that read it are executed again. A page's values from another page are recorded by a hash of exactly
the glued values it reads, so a change elsewhere on that page leaves it alone.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__
from ..fingerprint import source_fingerprint

if TYPE_CHECKING:  # the registry imports execute.py, which this module's users import too
    from .execute import Paths
    from .sections import Section

LIBRARY = (".",)  # a page may call anything in the package
LIBRARY_SUFFIXES = (".py", ".js", ".css")  # the explorer page inlines its script and style
INPUTS = ("source", "parameters", "library", "cache", "runs", "pages")  # what a page read, as the record names it
GLUE_REFERENCE = re.compile(r"(\d\d_\w+\.ipynb)::(\w+)")  # {glue:text}`02_baselines.ipynb::baselines_ranking:s`


def library_fingerprint() -> str:
    """The fingerprint of the whole library (`fingerprint.source_fingerprint`): a page executed by other code is not
    current, whatever its version says."""
    return source_fingerprint(LIBRARY, suffixes=LIBRARY_SUFFIXES)


def read_record(path: Path) -> dict:
    """The execution record ({section: notebook, parameters, seconds, what it read}); empty if there is none."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return {}


def pages_read(root: Path, section: Section) -> dict[str, list[str]]:
    """The other pages whose glued values the section's notebook shows: {notebook: [keys]}, from its source."""
    found: dict[str, set[str]] = {}
    for notebook, key in GLUE_REFERENCE.findall((root / "notebooks" / section.notebook).read_text()):
        found.setdefault(notebook, set()).add(key)
    return {notebook: sorted(keys) for notebook, keys in sorted(found.items())}


def dependency_order(root: Path, sections: list[Section]) -> list[Section]:
    """`sections` in reading order, except that each comes after the pages among them whose values it shows."""
    by_notebook = {section.notebook: section for section in sections}
    ordered: list[Section] = []

    def visit(section: Section, path: tuple[str, ...]) -> None:
        if section in ordered or section.notebook in path:  # done, or a cycle (then reading order decides)
            return
        for notebook in pages_read(root, section):
            if notebook in by_notebook:
                visit(by_notebook[notebook], path + (section.notebook,))
        ordered.append(section)

    for section in sections:
        visit(section, ())
    return ordered


def glued_values(executed: Path, keys: list[str]) -> str | None:
    """16 hex digits of SHA-256 over the glued outputs `keys` of an executed notebook (None if it does not exist)."""
    try:
        cells = json.loads(executed.read_text())["cells"]
    except (OSError, ValueError, KeyError):
        return None
    values = {}
    for cell in cells:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            if name in keys:
                values[name] = output.get("data")
    return hashlib.sha256(json.dumps([keys, values], sort_keys=True).encode()).hexdigest()[:16]


def run_identities(section: Section, parameters: dict, cache_dir: Path) -> dict[str, str | None]:
    """{run name: 16 hex digits of SHA-256 of its manifest (None if not in the cache)} for each run the page reads."""
    from ..runs.cache import run_name
    from ..runs.store import MANIFEST

    identities = {}
    for config in section.configs(parameters):
        name = run_name(config)
        try:
            identities[name] = hashlib.sha256((cache_dir / name / MANIFEST).read_bytes()).hexdigest()[:16]
        except OSError:
            identities[name] = None
    return identities


def page_inputs(paths: Paths, section: Section, parameters: dict) -> dict:
    """What the page reads now, each as the record keeps it (see the module's docstring)."""
    from ..runs.cache import default_cache_dir

    cache_dir = default_cache_dir().resolve()  # where the page's kernel finds runs: it inherits $FMNIST_CACHE_DIR
    runs = run_identities(section, parameters, cache_dir)
    notebook = paths.root / "notebooks" / section.notebook
    return {"source": hashlib.sha256(notebook.read_bytes()).hexdigest(), "parameters": parameters,
            "library": library_fingerprint(), "cache": str(cache_dir) if runs else None, "runs": runs,
            "pages": {name: glued_values(paths.executed / name, keys)
                      for name, keys in pages_read(paths.root, section).items()}}


def write_record(paths: Paths, section: Section, parameters: dict, seconds: float) -> None:
    """Add (or replace) the section's entry in the record, with what it read, atomically; entries in reading order
    (the reproducibility page lists them so), whatever order the pages were executed in."""
    from .sections import SECTION_NAMES

    record = read_record(paths.record)
    record[section.name] = {"notebook": section.notebook, "seconds": round(seconds, 1), "library_version": __version__,
                            **page_inputs(paths, section, parameters)}
    position = {name: index for index, name in enumerate(SECTION_NAMES)}
    record = {name: record[name] for name in sorted(record, key=lambda name: position.get(name, len(position)))}
    temporary = paths.record.with_suffix(".tmp")
    temporary.write_text(json.dumps(record, indent=2))
    os.replace(temporary, paths.record)


def stale_inputs(paths: Paths, section: Section, parameters: dict, checked: tuple[str, ...] = INPUTS) -> list[str]:
    """What the page read that differs now from its record, among `checked` ('not executed' if it never was):
    empty when the executed page is current."""
    entry = read_record(paths.record).get(section.name)
    if entry is None or not (paths.executed / section.notebook).exists():
        return ["not executed"]
    now = page_inputs(paths, section, parameters)
    return [name for name in checked if entry.get(name) != now[name]]
