"""`fmnist report`: train what the sections need, execute their notebooks, build the site.

Papermill executes, Jupyter Book only renders. Training happens here first, with a
progress bar in the terminal, so the notebooks find every run in the cache and their
outputs hold results rather than progress bars. Before it starts, the build says what it
will train and about how long that takes; at the end, how long each stage took.

A page is executed again only when something it read changed (`record.stale_inputs`: its
notebook, parameters, the library, the results cache, its runs, or values it shows from
other pages), and after the pages whose values it shows (`record.dependency_order`).
"""

from __future__ import annotations

import functools
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout

from ..training.config import TrainConfig
from .execute import Paths, check_root, execute_section, project_root
from .profiles import get_profile
from .record import INPUTS, dependency_order, read_record, stale_inputs, write_record
from .sections import SECTIONS, Section, check_overrides_used, get_section, section_configs, section_parameters
from .site import build_site

SAY = functools.partial(print, flush=True)  # each line as it happens, in a log file too (beside stderr's lines)
REASONS = {"not executed": "not executed yet", "source": "its notebook changed", "parameters": "new parameters",
           "library": "the library changed", "cache": "another results cache", "runs": "its runs changed",
           "pages": "values it shows from other pages changed"}


def run_report(profile: str, *, only: list[str] | None = None, overrides: dict | None = None, force: bool = False,
               progress: bool = True, echo: Callable[[str], None] = SAY, root: Path | None = None,
               workers: int | None = None) -> Path:
    """Train what the sections need, execute them, build the site; returns index.html.

    Sections whose executed page is current (everything it read unchanged) are kept, so a run that
    stopped at a failing section resumes there. `only` re-executes the named sections and keeps the
    others, with the parameters they were executed with, unless values they show from a re-executed
    page changed; `force` re-executes all. The reproducibility page lists every page's record, so it
    is executed on every build. `root` holds _config.yml, _toc.yml, book/ and notebooks/ (default:
    the checkout). `workers` trains the missing runs in that many processes at once (a local Dask
    cluster, as `fmnist sweep --workers`): on one GPU this packs several small runs onto the card.
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


@dataclass
class PagePlan:
    """Each page's parameters, why it must execute regardless (`forced`), and which of what it read decide
    otherwise (`checked`: everything, or only the values it shows from other pages for a page kept by --only)."""

    parameters: dict[str, dict]
    forced: dict[str, str]
    checked: dict[str, tuple[str, ...]]


def plan_pages(paths: Paths, profile: str, only: list[str] | None, overrides: dict, force: bool) -> PagePlan:
    """What each page is executed with, and what decides whether it is: see `run_report`."""
    selected = {get_section(name).name for name in only or []}
    record = read_record(paths.record)
    plan, computed = PagePlan({}, {}, {}), {}
    for section in SECTIONS:
        kept = bool(only) and section.name not in selected and section.name in record \
            and (paths.executed / section.notebook).exists()
        if kept:
            plan.parameters[section.name] = record[section.name]["parameters"]
            plan.checked[section.name] = ("pages",)
        else:
            plan.parameters[section.name] = computed[section.name] = section_parameters(paths.root, section, profile,
                                                                                         overrides)
            plan.checked[section.name] = INPUTS
        if force or section.name in selected:
            plan.forced[section.name] = "forced" if force else "selected"
        elif section.name == "reproducibility":
            plan.forced[section.name] = "it lists every page's record"
    plan.parameters["reproducibility"]["record"] = str(paths.record)
    check_overrides_used(paths.root, overrides, computed)
    return plan


def _why(paths: Paths, plan: PagePlan, section: Section, checked: tuple[str, ...] | None = None) -> str:
    """Why the page must be executed now, in words; empty when its executed page is current."""
    if section.name in plan.forced:
        return plan.forced[section.name]
    changed = stale_inputs(paths, section, plan.parameters[section.name], checked or plan.checked[section.name])
    return ", ".join(REASONS.get(name, name) for name in changed)


def _run_report(root: Path, profile: str, only, overrides: dict, force: bool, progress: bool, echo,
                workers: int | None = None) -> Path:
    get_profile(profile)
    paths = Paths(root)
    plan = plan_pages(paths, profile, only, overrides, force)
    # Pages stale for their own reasons; a page may also turn stale when a page it reads is executed (below)
    upfront = [s for s in SECTIONS if _why(paths, plan, s, tuple(i for i in plan.checked[s.name] if i != "pages"))]
    configs = section_configs(upfront, plan.parameters)
    echo_training_plan(configs, len(upfront), echo)
    times: dict[str, float] = {}
    started = time.perf_counter()
    _train(configs, progress, echo, workers)
    times["training"] = time.perf_counter() - started
    for section in dependency_order(root, list(SECTIONS)):
        why = _why(paths, plan, section)
        if not why:
            echo(f"  {section.name}: up to date, kept")
            continue
        echo(f"Executing {section.notebook} ({why}) ...")
        times[section.name] = execute_section(paths, section, plan.parameters[section.name])
        write_record(paths, section, plan.parameters[section.name], times[section.name])
        echo(f"  {section.name}: {times[section.name]:.1f} s")
    echo("Building the site ...")
    started = time.perf_counter()
    index = build_site(root)
    times["site"] = time.perf_counter() - started
    shutil.rmtree(paths.failed, ignore_errors=True)
    echo(stage_times(times))
    return index


def _duration(seconds: float) -> str:
    if seconds < 10:
        return f"{seconds:.1f} s"
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"


def echo_training_plan(configs: list[TrainConfig], n_pages: int, echo: Callable[[str], None]) -> None:
    """One line saying what will be trained and about how long it takes (the sweep's estimate), then one line per
    run to train; the pages are counted, not listed (the build names each as it executes it)."""
    from ..runs.cache import default_cache_dir
    from ..runs.sweep import describe, plan_sweep

    planned = plan_sweep(configs, default_cache_dir()) if configs else []
    todo = [run for run in planned if not run.cached]
    pages = f"execute {n_pages} of {len(SECTIONS)} pages, and any page whose values from another page change"
    if not todo:
        cached = f" (the {len(planned)} runs these pages read are in the cache)" if planned else ""
        echo(f"Plan: nothing to train{cached}; {pages}.")
        return
    rough = ", rough: no cached run to measure from" if any(not run.measured for run in todo) else ""
    cached = f"; the other {len(planned) - len(todo)} are in the cache" if len(todo) < len(planned) else ""
    echo(f"Plan: train {len(todo)} of the {len(planned)} runs these pages read (about "
         f"{_duration(sum(run.seconds for run in todo))}{rough}{cached}); {pages}.")
    for run in todo:
        echo(f"  to train: {describe(run.config)}, about {_duration(run.seconds)}")


def stage_times(times: dict[str, float]) -> str:
    """The time each stage took, in one line: training, each page executed, the site, and the total."""
    pages = {name: seconds for name, seconds in times.items() if name not in ("training", "site")}
    listed = ", ".join(f"{name} {_duration(seconds)}" for name, seconds in pages.items())
    return (f"Time: training {_duration(times.get('training', 0.0))}; pages {_duration(sum(pages.values()))}"
            f"{f' ({listed})' if listed else ''}; site {_duration(times.get('site', 0.0))}; "
            f"in all {_duration(sum(times.values()))}.")


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
