"""The report: validate parameters, train what the sections need, execute the notebooks, build the site.

Papermill executes, Jupyter Book only renders. Training happens here first, with a
progress bar in the terminal, so the notebooks find every run in the cache and their
outputs hold results rather than progress bars.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout

from . import __version__
from .config import TrainConfig
from .errors import ConfigError, FmnistError
from .parameters import check_parameters
from .profiles import (STUDY_MODEL, audit_configs, augmentation_configs, baseline_configs, get_profile,
                       headline_seed_configs, persistence_configs, study_configs)


class ReportError(FmnistError):
    """A section failed or the site did not build."""


def project_root() -> Path:
    """The checkout holding `_config.yml`, `_toc.yml` and `notebooks/` (the report needs the sources)."""
    for candidate in (Path(__file__).resolve().parents[2], Path.cwd()):
        if (candidate / "_config.yml").is_file() and (candidate / "notebooks").is_dir():
            return candidate
    raise ReportError("The report needs the project's source checkout (with _config.yml and notebooks/); "
                      "run it from there.")


def _check_root(root: Path) -> Path:
    missing = [name for name in ("_config.yml", "_toc.yml", "book", "notebooks") if not (root / name).exists()]
    if missing:
        raise ReportError(f"{root} is not a copy of the report's sources: it lacks {', '.join(missing)}. "
                          "Copy _config.yml, _toc.yml, book/ and notebooks/ from the checkout there, or leave "
                          "out --root to build in the checkout.")
    return root.resolve()


# ---- sections ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Section:
    name: str
    notebook: str
    configs: Callable[[dict], list[TrainConfig]]  # the training runs it reads, from its parameters


def _baselines(p: dict) -> list[TrainConfig]:
    return list(baseline_configs(p["profile"], p["models"], epochs=p.get("epochs"), train_subset=p.get("train_subset"),
                                 seed=p.get("seed"), device=p.get("device")).values())


def _one_model(p: dict) -> list[TrainConfig]:
    return list(baseline_configs(p["profile"], [p["model"]], seed=p.get("seed"), device=p.get("device")).values())


def _failures(p: dict) -> list[TrainConfig]:
    """The model's headline run and the seed runs that say which of its failures persist."""
    return _one_model(p) + persistence_configs(p["profile"], p["model"], seed=p.get("seed"), device=p.get("device"))


def _statistics(p: dict) -> list[TrainConfig]:
    """The augmentation study, every seed run behind a mean +- sd, the baselines' single runs, the label audit's folds."""
    profile, seed, device = p["profile"], p.get("seed"), p.get("device")
    study = [config for arm in study_configs(profile, seed=seed, device=device).values() for config in arm]
    seeded = [config for model in dict.fromkeys([STUDY_MODEL, *p["models"]])
              if model in get_profile(profile).seed_models
              for config in headline_seed_configs(profile, model, seed=seed, device=device)]
    return study + seeded + _baselines(p) + audit_configs(profile, seed=seed, device=device)


def _augmentation(p: dict) -> list[TrainConfig]:
    return list(augmentation_configs(p["profile"], p["model"], epochs=p.get("epochs"), seed=p.get("seed"),
                                     device=p.get("device")))


def _stress_tests(p: dict) -> list[TrainConfig]:
    """The baselines of `models` and the custom CNN trained with augmentation (the augmentation page's run)."""
    augmented_run = augmentation_configs(p["profile"], "custom_cnn", seed=p.get("seed"), device=p.get("device"))[1]
    return _baselines(p) + [augmented_run]


SECTIONS = (
    Section("baselines", "01_baselines.ipynb", _baselines),
    Section("failures", "02_failures.ipynb", _failures),
    Section("explainability", "03_explainability.ipynb", _one_model),
    Section("augmentation", "04_augmentation.ipynb", _augmentation),
    Section("robustness", "07_robustness.ipynb", _stress_tests),
    Section("saliency", "08_saliency_checks.ipynb", _baselines),
    Section("statistics", "09_statistics.ipynb", _statistics),
    Section("conclusion", "05_conclusion.ipynb", lambda p: []),  # reads the other pages' glued numbers
    Section("reproducibility", "06_reproducibility.ipynb", lambda p: []),
)
SECTION_NAMES = tuple(section.name for section in SECTIONS)


def get_section(name: str) -> Section:
    for section in SECTIONS:
        if section.name == name:
            return section
    raise ConfigError(f"Unknown section {name!r}. Choose one of: {', '.join(SECTION_NAMES)}.")


def notebook_defaults(path: Path) -> dict:
    """The parameters cell of a notebook as {name: default value}."""
    import papermill

    return {name: ast.literal_eval(spec["default"]) for name, spec in papermill.inspect_notebook(str(path)).items()}


def section_parameters(root: Path, section: Section, profile: str, overrides: dict) -> dict:
    """A section's parameters: notebook defaults, then the profile, then the overrides that it has."""
    values = notebook_defaults(root / "notebooks" / section.notebook)
    values["profile"] = profile
    values.update({name: value for name, value in overrides.items() if name in values})
    check_parameters(section.name, **{k: v for k, v in values.items()})
    return values


def section_configs(sections: list[Section], parameters: dict[str, dict]) -> list[TrainConfig]:
    """The runs the sections read, in order, one per run key (configs that resolve to the same run count once)."""
    from .runs import run_key

    unique = {}
    for section in sections:
        for config in section.configs(parameters[section.name]):
            unique.setdefault(run_key(config), config)
    return list(unique.values())


def report_configs(profile: str, root: Path | None = None, overrides: dict | None = None) -> list[TrainConfig]:
    """Every training run the whole report reads under `profile` and `overrides`: the sweep's list.

    Built from the sections themselves, so a new section's runs join the sweep without another list to keep.
    """
    root = Path(root) if root else project_root()
    get_profile(profile)
    overrides = dict(overrides or {})
    parameters = {s.name: section_parameters(root, s, profile, overrides) for s in SECTIONS}
    _check_overrides_used(root, overrides, parameters)
    return section_configs(list(SECTIONS), parameters)


# ---- execution --------------------------------------------------------------------------------

@dataclass
class Paths:
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


def _hide_parameter_cells(path: Path) -> None:
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        tags = cell.metadata.get("tags", [])
        if ("parameters" in tags or "injected-parameters" in tags) and "hide-input" not in tags:
            cell.metadata["tags"] = tags + ["hide-input"]
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
    _hide_parameter_cells(staging)
    os.replace(staging, target)
    return time.perf_counter() - started


def _source_sha256(root: Path, section: Section) -> str:
    return hashlib.sha256((root / "notebooks" / section.notebook).read_bytes()).hexdigest()


def library_fingerprint() -> str:
    """SHA-256 of the library's source: a page executed by other code is not current, whatever its version says."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def _read_record(paths: Paths) -> dict:
    try:
        return json.loads(paths.record.read_text())
    except (OSError, ValueError):
        return {}


def _write_record(paths: Paths, section: Section, parameters: dict, seconds: float) -> None:
    record = _read_record(paths)
    record[section.name] = {"notebook": section.notebook, "parameters": parameters, "seconds": round(seconds, 1),
                            "source_sha256": _source_sha256(paths.root, section), "library": __version__,
                            "library_sha256": library_fingerprint()}
    temporary = paths.record.with_suffix(".tmp")
    temporary.write_text(json.dumps(record, indent=2))
    os.replace(temporary, paths.record)


def is_current(paths: Paths, section: Section, parameters: dict) -> bool:
    """Executed already, from the same notebook source, parameters and library code: no need to run again."""
    entry = _read_record(paths).get(section.name, {})
    return ((paths.executed / section.notebook).exists() and entry.get("parameters") == parameters
            and entry.get("source_sha256") == _source_sha256(paths.root, section)
            and entry.get("library_sha256") == library_fingerprint())


def build_site(root: Path) -> Path:
    """Render the executed notebooks with Jupyter Book, from scratch, warnings as errors."""
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    command = [str(jupyter_book if jupyter_book.exists() else "jupyter-book"), "build", str(root), "--all",
               "-W", "-n", "--keep-going"]
    result = subprocess.run(command, capture_output=True, text=True, cwd=root)
    if result.returncode != 0:
        problems = [line for line in result.stdout.splitlines() + result.stderr.splitlines()
                    if "WARNING" in line or "ERROR" in line] or result.stderr.splitlines()[-20:]
        raise ReportError("The site did not build:\n" + "\n".join(problems[:30]))
    return Paths(root).site


def run_report(profile: str, *, only: list[str] | None = None, overrides: dict | None = None, force: bool = False,
               progress: bool = True, echo: Callable[[str], None] = print, root: Path | None = None,
               workers: int | None = None) -> Path:
    """Train what the sections need, execute them in order, build the site; returns index.html.

    Sections already executed with the same notebook source and parameters are kept, so a run
    that stopped at a failing section resumes there; `only` re-executes the named sections and
    `force` all of them. `root` holds _config.yml, _toc.yml, book/ and notebooks/ (default: the checkout).
    `workers` trains the missing runs in that many processes at once (a local Dask cluster, as `fmnist sweep
    --workers`): on one GPU this packs several small runs onto the card.
    """
    root = _check_root(Path(root)) if root else project_root()
    (root / "build").mkdir(exist_ok=True)
    lock = FileLock(root / "build" / ".report.lock")
    try:
        lock.acquire(timeout=0.5)
    except Timeout:
        echo("Another report is running in this checkout; waiting for it to finish ...")
        lock.acquire()
    try:
        return _run_report(root, profile, only, dict(overrides or {}), force, progress, echo, workers)
    finally:
        lock.release()


def _run_report(root: Path, profile: str, only, overrides: dict, force: bool, progress: bool, echo,
                workers: int | None = None) -> Path:
    get_profile(profile)
    paths = Paths(root)
    if only:
        selected = [get_section(name) for name in only]
        sections = [s for s in SECTIONS if s in selected or not (paths.executed / s.notebook).exists()]
    else:
        sections = list(SECTIONS)
    parameters = {s.name: section_parameters(root, s, profile, overrides) for s in sections}
    if "reproducibility" in parameters:
        parameters["reproducibility"]["record"] = str(paths.record)
    _check_overrides_used(root, overrides, parameters)
    todo = [s for s in sections if force or only or s.name == "reproducibility"
            or not is_current(paths, s, parameters[s.name])]
    _train(section_configs(todo, parameters), progress, echo, workers)
    for section in todo:
        echo(f"Executing {section.notebook} ...")
        seconds = execute_section(paths, section, parameters[section.name])
        _write_record(paths, section, parameters[section.name], seconds)
        echo(f"  {section.name}: {seconds:.1f} s")
    for section in sections:
        if section not in todo:
            echo(f"  {section.name}: up to date, kept")
    echo("Building the site ...")
    started = time.perf_counter()
    index = build_site(root)
    echo(f"  site: {time.perf_counter() - started:.1f} s")
    shutil.rmtree(paths.failed, ignore_errors=True)
    return index


def _check_overrides_used(root: Path, overrides: dict, parameters: dict) -> None:
    unused = set(overrides) - {name for values in parameters.values() for name in values}
    if unused:
        known = "; ".join(f"{s.name}: {', '.join(sorted(notebook_defaults(root / 'notebooks' / s.notebook)))}"
                          for s in SECTIONS)
        raise ConfigError(f"No selected section has parameter(s) {', '.join(sorted(unused))}. "
                          f"Sections and their parameters: {known}.")


def _train(configs: list[TrainConfig], progress: bool, echo: Callable[[str], None], workers: int | None = None) -> None:
    """Every run the sections will read, trained here (with progress bars) or found in the cache.

    With `workers`, the runs not cached train in that many processes at once (`fmnist sweep --workers`).
    """
    from .data import load_fashion_mnist
    from .runs import default_cache_dir, load_or_train

    if not configs:
        return
    if workers is not None:
        _train_packed(configs, workers, progress, echo, default_cache_dir())
        return
    echo(f"Training or finding {len(configs)} run(s) in the cache ...")
    data = load_fashion_mnist()
    for config in configs:
        load_or_train(config, data=data, progress=progress)


def _train_packed(configs: list[TrainConfig], workers: int, progress: bool, echo, cache_dir: Path) -> None:
    """The sweep's local Dask cluster of `workers` processes, each run asking for one unit of GPU on CUDA."""
    import logging

    from .executors import DaskExecutor, check_cluster_choice
    from .sweep import plan_sweep, run_sweep

    check_cluster_choice(None, workers)
    if all(planned.cached for planned in plan_sweep(configs, cache_dir)):
        echo(f"All {len(configs)} run(s) are in the cache.")
        return
    logging.getLogger("distributed").setLevel(logging.ERROR)
    gpus = int(any(config.resolved().device == "cuda" for config in configs))
    with DaskExecutor(workers=workers, gpus_per_run=gpus, dashboard_address=None) as executor:
        run_sweep(configs, executor, cache_dir, progress=progress, echo=echo)
