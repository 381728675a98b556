"""Where the sweep's runs train: here, one after another, or on a Dask cluster the lab already runs.

Both executors run the same task, `train_task`: one config in, the run written to the shared
results cache, a small summary out (never weights). The cache's atomic, locked writes make
workers safe to race, and any finished run is a cache hit for everyone, so the executor owns
no state worth keeping: a lost worker costs its task a retry, a re-run sweep skips what exists.
"""

from __future__ import annotations

import functools
import logging
import os
import socket
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from distributed.diagnostics.plugin import WorkerPlugin

from ..errors import ConfigError, SweepError
from ..training.config import TrainConfig

POLL_SECONDS = 0.5  # how often the Dask executor looks for finished runs (and the progress view refreshes)
CONNECT_SECONDS = 5  # an unreachable scheduler is reported after this long, not the default 30 s


@dataclass(frozen=True)
class Outcome:
    """One run's end: `summary` from `train_task`, or `error` as 'Type: message'."""

    index: int  # position in the submitted list
    summary: dict | None = None
    error: str | None = None


@functools.lru_cache(maxsize=1)
def _dataset():
    """The dataset, loaded and verified once per worker process rather than once per run."""
    from ..data.fashion_mnist import load_fashion_mnist

    return load_fashion_mnist()


def _pin_gpu(config: TrainConfig) -> None:
    """Workers of a local cluster (named 0, 1, ...) on a multi-GPU machine each take their own GPU.

    Workers started by hand see one GPU each through CUDA_VISIBLE_DEVICES, and are left alone.
    """
    import torch

    if config.device != "cuda" or torch.cuda.device_count() < 2:
        return
    try:
        from distributed import get_worker

        name = get_worker().name
    except (ImportError, ValueError):
        return
    if isinstance(name, int):
        torch.cuda.set_device(name % torch.cuda.device_count())


def train_task(config: dict, cache_dir: str, threads: int | None = None, progress: bool = False) -> dict:
    """One sweep task: train `config` into the cache at the absolute path `cache_dir` (or find it there).

    Returns what the progress view and the check on run names need: a few numbers, never weights.
    `threads` sets torch's CPU threads (None keeps the process's setting).
    """
    import torch

    from .cache import load_or_train

    if threads:
        torch.set_num_threads(threads)
    config = TrainConfig.from_dict(config)
    _pin_gpu(config)
    started = time.perf_counter()
    run = load_or_train(config, cache_dir=cache_dir, data=_dataset(), progress=progress)
    return {"run": run.path.name, "accuracy": run.test_metrics()["accuracy"],
            "train_seconds": run.metrics["train_seconds"], "seconds": time.perf_counter() - started,
            "host": socket.gethostname(), "pid": os.getpid()}


def describe_error(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


class Executor(ABC):
    """Runs `train_task` for a list of configs and reports each outcome as it arrives."""

    dashboard_link: str | None = None

    @abstractmethod
    def run(self, configs: list[TrainConfig], cache_dir: Path) -> Iterator[Outcome | None]:
        """Yield an Outcome per config in finishing order; None now and then means 'no news, refresh the view'."""

    @abstractmethod
    def running(self) -> int:
        """How many runs are training right now."""

    def close(self) -> None:
        """Release what the executor started."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class LocalExecutor(Executor):
    """In this process, one run after another: what `fmnist report` and `fmnist train` have always done."""

    def __init__(self, progress: bool = False):
        self.progress = progress  # per-epoch bars of the run in progress
        self._running = 0

    def run(self, configs, cache_dir):
        for index, config in enumerate(configs):
            self._running = 1
            try:
                yield Outcome(index, summary=train_task(config.to_dict(), str(cache_dir), progress=self.progress))
            except Exception as error:  # noqa: BLE001 - one failed run must not stop the others
                yield Outcome(index, error=describe_error(error))
            finally:
                self._running = 0

    def running(self) -> int:
        return self._running


class DaskExecutor(Executor):
    """One Dask task per run, on an existing cluster (`scheduler`) or a local one of `workers` processes.

    With `gpus_per_run`, tasks ask for that many units of the worker resource "GPU", so a worker
    started with `--resources GPU=1` trains one run at a time. `retries` re-runs a task that raised;
    a task whose worker died is rescheduled by Dask itself (up to `distributed.scheduler.allowed-failures`).
    """

    def __init__(self, scheduler: str | None = None, workers: int | None = None, *, gpus_per_run: int = 0,
                 threads_per_run: int | None = None, retries: int = 1, dashboard_address: str | None = ":8787"):
        from distributed import Client, LocalCluster

        check_cluster_choice(scheduler, workers, gpus_per_run, threads_per_run)
        self.gpus_per_run, self.retries, self.cluster = gpus_per_run, retries, None
        self.threads = threads_per_run
        if scheduler:
            try:
                self.client = Client(scheduler, timeout=f"{CONNECT_SECONDS}s")
            except (OSError, TimeoutError, ValueError) as error:
                raise SweepError(
                    f"Cannot reach a Dask scheduler at {scheduler} ({error}). Check the address (tcp://HOST:8786 "
                    "as printed by `dask scheduler`), that the scheduler is running and that this machine can "
                    "reach its port; or use --workers N for a cluster on this machine.") from None
        else:
            resources = {"GPU": gpus_per_run} if gpus_per_run else None
            self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                        dashboard_address=dashboard_address, resources=resources)
            self.client = Client(self.cluster)
            self.client.register_plugin(QuietWorkerLogs())
            self.threads = threads_per_run or max(1, (os.cpu_count() or 1) // workers)  # share the cores
        self.dashboard_link = self.client.dashboard_link if dashboard_address or scheduler else None
        self._keys: set[str] = set()

    def gpu_warning(self) -> str | None:
        """A note when runs ask for GPUs that no worker of the cluster offers (they would wait for one)."""
        if not self.gpus_per_run:
            return None
        workers = self.client.scheduler_info(n_workers=-1)["workers"].values()
        if any(w.get("resources", {}).get("GPU", 0) >= self.gpus_per_run for w in workers):
            return None
        return (f"No worker offers the resource GPU={self.gpus_per_run}; the runs wait until one joins. "
                "Start one per GPU with `CUDA_VISIBLE_DEVICES=i dask worker ADDRESS --nworkers 1 --nthreads 1 "
                "--resources GPU=1`, or pass --gpus-per-run 0.")

    def run(self, configs, cache_dir):
        from .cache import run_name

        resources = {"GPU": self.gpus_per_run} if self.gpus_per_run else None
        pending = {}
        for index, config in enumerate(configs):
            key = f"fmnist-train-{run_name(config)}-{uuid.uuid4().hex[:8]}"  # the run's name on the dashboard
            future = self.client.submit(train_task, config.to_dict(), str(cache_dir), self.threads, key=key,
                                        resources=resources, retries=self.retries)
            pending[future] = index
            self._keys.add(key)
        try:
            while pending:
                finished = [future for future in pending if future.done()]
                if not finished:
                    time.sleep(POLL_SECONDS)
                    yield None
                for future in finished:
                    yield self._outcome(pending.pop(future), future)
        finally:
            for future in pending:  # interrupted: stop what has not finished (checkpoints are kept)
                future.cancel()

    def _outcome(self, index: int, future) -> Outcome:
        self._keys.discard(future.key)
        if future.status == "finished":
            return Outcome(index, summary=future.result())
        error = future.exception() if future.status == "error" else RuntimeError(
            f"the Dask scheduler reports the task {future.status} (was the cluster restarted?)")
        return Outcome(index, error=describe_error(error))

    def running(self) -> int:
        """Our tasks that a worker is executing (a worker also holds a queued one, which is not counted)."""
        processing = self.client.processing()
        workers = self.client.scheduler_info(n_workers=-1)["workers"]
        return sum(min(len(self._keys.intersection(keys)),
                       workers.get(address, {}).get("metrics", {}).get("task_counts", {}).get("executing", 0))
                   for address, keys in processing.items())

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


class QuietWorkerLogs(WorkerPlugin):
    """A worker plugin for the clusters the sweep starts: a failing run is reported once, by the sweep, with its
    config, rather than also as the worker's traceback in the middle of the progress view."""

    name = "fmnist-quiet-worker-logs"

    def setup(self, worker) -> None:
        logging.getLogger("distributed.worker").setLevel(logging.CRITICAL)


def check_cluster_choice(scheduler: str | None, workers: int | None, gpus_per_run: int = 0,
                         threads_per_run: int | None = None) -> None:
    """Refuse impossible combinations before anything starts."""
    if scheduler and workers is not None:
        raise ConfigError("--scheduler and --workers exclude each other: --scheduler ADDRESS sends the runs to an "
                          "existing Dask cluster, --workers N starts N worker processes on this machine. Give one.")
    if not scheduler and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ConfigError(f"--workers must be a whole number >= 1 (worker processes on this machine), got {workers!r}; "
                          "leave it out to train here one run after another.")
    cores = os.cpu_count() or 1
    if not scheduler and workers > cores:
        raise ConfigError(f"--workers must be at most {cores}, the CPU cores of this machine, got {workers:,}: each "
                          "worker process trains on at least one core, so more workers only take turns while each "
                          "holds its own data and model in memory.")
    if isinstance(gpus_per_run, bool) or not isinstance(gpus_per_run, int) or gpus_per_run < 0:
        raise ConfigError(f"--gpus-per-run must be a whole number >= 0 (0: no GPU reservation), got {gpus_per_run!r}.")
    if threads_per_run is not None and (not isinstance(threads_per_run, int) or threads_per_run < 1):
        raise ConfigError(f"--threads-per-run must be a whole number >= 1, got {threads_per_run!r}.")
