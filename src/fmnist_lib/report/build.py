"""`fmnist report`: train what the sections need, execute their notebooks in reading order, build the site.

Papermill executes, Jupyter Book only renders. Training happens here first, with a
progress bar in the terminal, so the notebooks find every run in the cache and their
outputs hold results rather than progress bars.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

from filelock import FileLock, Timeout

from ..training.config import TrainConfig
from .execute import Paths, check_root, execute_section, is_current, project_root, write_record
from .profiles import get_profile
from .sections import SECTIONS, check_overrides_used, get_section, section_configs, section_parameters
from .site import build_site


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
    root = check_root(Path(root)) if root else project_root()
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
    check_overrides_used(root, overrides, parameters)
    todo = [s for s in sections if force or only or s.name == "reproducibility"
            or not is_current(paths, s, parameters[s.name])]
    _train(section_configs(todo, parameters), progress, echo, workers)
    for section in todo:
        echo(f"Executing {section.notebook} ...")
        seconds = execute_section(paths, section, parameters[section.name])
        write_record(paths, section, parameters[section.name], seconds)
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


def _train(configs: list[TrainConfig], progress: bool, echo: Callable[[str], None], workers: int | None = None) -> None:
    """Every run the sections will read, trained here (with progress bars) or found in the cache.

    With `workers`, the runs not cached train in that many processes at once (`fmnist sweep --workers`).
    """
    from ..data.fashion_mnist import load_fashion_mnist
    from ..runs.cache import default_cache_dir, load_or_train

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

    from ..runs.executors import DaskExecutor, check_cluster_choice
    from ..runs.sweep import plan_sweep, run_sweep

    check_cluster_choice(None, workers)
    if all(planned.cached for planned in plan_sweep(configs, cache_dir)):
        echo(f"All {len(configs)} run(s) are in the cache.")
        return
    logging.getLogger("distributed").setLevel(logging.ERROR)
    gpus = int(any(config.resolved().device == "cuda" for config in configs))
    with DaskExecutor(workers=workers, gpus_per_run=gpus, dashboard_address=None) as executor:
        run_sweep(configs, executor, cache_dir, progress=progress, echo=echo)
