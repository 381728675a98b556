"""The report's training sweep as an explicit list: what it costs, what is cached, how far it got.

The list comes from the report's own sections (`report.sections.report_configs`), so the sweep and
`fmnist report` can never disagree about which runs exist. Runs go to an executor
(`executors`) that writes them into the results cache; afterwards `fmnist report` finds
every run there and trains nothing. A failed run is reported with its config at the end,
after the others finished; running the sweep again retries exactly what is not cached.
"""

from __future__ import annotations

import functools
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from ..data.fashion_mnist import N_TEST
from ..errors import CacheError, SweepError
from ..training.config import TrainConfig
from .cache import run_name, verify_run, writable_cache_dir
from .executors import Executor, Outcome

# A forward pass per image, as a share of a training step at the same precision, and the fp32 evaluation's forward
# pass as a share of a training step at the run's precision: measured for the custom CNN on this project's 2-core
# CPU (`make_train_step` on batches of 128 against `predict_logits` on batches of 256, in alternating rounds):
# 0.15 to 0.21 in bf16 and 0.19 in fp32; an fp32 forward pass 0.26 to 0.27 of a bf16 training step. They weigh a
# run's validation images against its training images, and stand in for the evaluation until a cached run of the
# same model, device and precision has measured it.
FORWARD_SHARE = 0.2
FP32_FORWARD = {"fp32": 0.2, "bf16": 0.27}
# Seconds per training image when no cached run of the same model, device and precision measures it: base of the
# device and precision x relative cost of the model. Measured on this project's 2-core CPU (README, Performance):
# the custom CNN trains 1,195 images/s in fp32 and 2,143 in bf16; in the cpu profile's runs (bf16) VGG-16 costs 10
# times as much per image, VGG-19 13 times and ResNet-18 6 times. The GPU and MPS bases are guesses, replaced by
# measurements as soon as the cache holds a run.
RELATIVE_COST = {"custom_cnn": 1.0, "vgg16": 10.0, "vgg19": 13.0, "resnet18": 6.0}
ROUGH_SECONDS_PER_IMAGE = {("cpu", "fp32"): 8.4e-4, ("cpu", "bf16"): 4.7e-4, ("cuda", "fp32"): 6e-5,
                           ("cuda", "bf16"): 3e-5, ("mps", "fp32"): 3e-4, ("mps", "bf16"): 3e-4}
# Seconds per training image that a policy drawing each image on its own adds (`data.augmentation`: torchvision's
# transforms, one image at a time on the CPU, whatever the device trains on). Measured on this project's 2-core
# machine with torchvision 0.29, one thread, 512 images: about 0.24, 0.19 and 1.7 ms. The on-device policies (none,
# flip_rotate) cost nothing apart, so only their runs measure a model's rate.
POLICY_SECONDS_PER_IMAGE = {"crop_flip_erase": 2.4e-4, "trivialaugment": 1.9e-4, "augmix": 1.7e-3}
REFRESH_SECONDS = 10  # the progress line is redrawn when a count changes, else this often (log files stay short)


@dataclass(frozen=True)
class Rates:
    """What one run of a model, device and precision costs, per unit (see `estimate_seconds`)."""

    epoch: float  # seconds per epoch image: a training image, or a validated image weighed FORWARD_SHARE
    evaluation: float | None = None  # seconds per image of the fp32 evaluation (None: not measured)
    other: float = 0.0  # seconds per run beyond epochs and evaluation: setup, checkpoints, writing


def validated_images(config: TrainConfig) -> int:
    """The validation images a run predicts after each epoch and once more in fp32 (`val_subset`, else all)."""
    return min(config.val_subset or config.val_size, config.val_size)


def epoch_images(config: TrainConfig) -> float:
    """An epoch's work in training-image equivalents: the training steps, then the validation's forward pass."""
    return config.n_train + FORWARD_SHARE * validated_images(config)


def evaluation_images(config: TrainConfig) -> int:
    """The images the store evaluates in fp32: the test set for both weight sets, and the validated images."""
    return 2 * (config.test_subset or N_TEST) + validated_images(config)  # final and best weights


def estimate_seconds(config: TrainConfig, rates: Rates) -> float:
    """How long training and storing `config` (resolved) takes, in seconds:

        epochs x epoch_images x rates.epoch          the training steps and each epoch's validation
      + evaluation_images x rates.evaluation         the fp32 evaluation of both weight sets and the validation
      + rates.other                                   setup, per-epoch checkpoints, writing the run folder
      + policy_seconds(config)                         a per-image augmentation policy's own time

    `measured_rates` reads the rates from cached runs of the same model, device and precision, so the estimate
    is what such runs took here; without one, `rough_rates`. A run whose best epoch is its last evaluates one
    weight set fewer, so the evaluation term is an upper bound.
    """
    evaluation = rates.evaluation if rates.evaluation is not None else rates.epoch * FP32_FORWARD[config.precision]
    return (config.epochs * epoch_images(config) * rates.epoch + evaluation_images(config) * evaluation + rates.other
            + policy_seconds(config))


@dataclass(frozen=True)
class PlannedRun:
    """One run of the sweep; `config` is resolved the way `fmnist report` on this machine will look it up."""

    config: TrainConfig
    name: str
    cached: bool
    seconds: float  # estimated time to train, evaluate and store it (`estimate_seconds`)
    measured: bool  # the estimate comes from cached runs of the same model, device and precision


def plan_sweep(configs: list[TrainConfig], cache_dir: str | Path) -> list[PlannedRun]:
    """The runs with their cache state and estimated cost. Reads the cache, writes nothing."""
    rates = measured_rates(cache_dir)
    planned = []
    for config in configs:
        config = config.resolved()  # workers must compute the key this machine computes
        name = run_name(config)
        measured = rates.get((config.model, config.device, config.precision))
        seconds = estimate_seconds(config, measured or rough_rates(config))
        planned.append(PlannedRun(config, name, _is_cached(Path(cache_dir) / name), seconds, measured is not None))
    return planned


def rough_rates(config: TrainConfig) -> Rates:
    """Rates without a measurement: the device's base x the model's relative cost, nothing beyond."""
    base = ROUGH_SECONDS_PER_IMAGE.get((config.device, config.precision), ROUGH_SECONDS_PER_IMAGE["cpu", "fp32"])
    return Rates(epoch=base * RELATIVE_COST.get(config.model, 10.0))


def policy_seconds(config: TrainConfig) -> float:
    """The seconds a run's augmentation policy adds to its training (0 for the on-device policies)."""
    return POLICY_SECONDS_PER_IMAGE.get(config.augment, 0.0) * config.epochs * config.n_train


def _is_cached(path: Path) -> bool:
    try:
        verify_run(path)
        return True
    except CacheError:
        return False


def measured_rates(cache_dir: str | Path) -> dict[tuple[str, str, str], Rates]:
    """`Rates` by (model, device, precision): the medians over the cached runs of their seconds per epoch image
    (history.csv), per evaluated image and beyond both (metrics.json; runs from before these were recorded measure
    the epochs only).

    Reads only config.json, history.csv and metrics.json (no checksums): an estimate does not need verified weights.
    """
    samples: dict[tuple, list[tuple[float, float | None, float | None]]] = {}
    for path in Path(cache_dir).glob("*-*/history.csv"):
        if path.parent.name.startswith("."):  # a run being written or thrown away
            continue
        try:
            config = TrainConfig.from_dict(json.loads((path.parent / "config.json").read_text())["config"])
            metrics = json.loads((path.parent / "metrics.json").read_text())
            seconds = pd.read_csv(path)["seconds"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if not len(seconds) or policy_seconds(config):  # a per-image policy's time is not the model's
            continue
        evaluation, whole = metrics.get("evaluation_seconds"), metrics.get("run_seconds")
        other = whole - float(seconds.sum()) - evaluation if evaluation is not None and whole is not None else None
        samples.setdefault((config.model, config.device, config.precision), []).append(
            (float(seconds.mean()) / epoch_images(config),
             evaluation / evaluation_images(config) if evaluation is not None else None, other))
    return {key: Rates(epoch=statistics.median(s[0] for s in runs), evaluation=_median(s[1] for s in runs),
                       other=max(_median(s[2] for s in runs) or 0.0, 0.0))
            for key, runs in samples.items()}


def _median(values) -> float | None:
    present = [value for value in values if value is not None]
    return statistics.median(present) if present else None


def _hours(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds < 3600 else f"{seconds / 3600:.1f} h"


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def describe(config: TrainConfig) -> str:
    """The config values that tell runs of a sweep apart, in one line."""
    fold = f", fold {config.fold} of {config.folds}" if config.folds else ""
    return (f"{config.model}, {_count(config.epochs, 'epoch')} on {_count(config.n_train, 'image')}{fold}, "
            f"seed {config.seed}, {f'augmentation {config.augment}' if config.augmented else 'not augmented'}, "
            f"{config.device} {config.precision}")


def plan_table(planned: list[PlannedRun]) -> str:
    """The dry run's listing: every run, whether it is cached, its estimated cost, and the totals."""
    rows = [{"#": i, "run": p.name, "model": p.config.model, "epochs": p.config.epochs,
             "images": p.config.n_train, "seed": p.config.seed, "augment": p.config.augment,
             "fold": f"{p.config.fold}/{p.config.folds}" if p.config.folds else "-",
             "device": f"{p.config.device} {p.config.precision}",
             "estimate": _hours(p.seconds) + ("" if p.measured else " (rough)"),
             "status": "cached" if p.cached else "to train"} for i, p in enumerate(planned, start=1)]
    todo = [p for p in planned if not p.cached]
    lines = [pd.DataFrame(rows).to_string(index=False) if rows else "(no runs)", "",
             f"{len(planned)} runs: {len(planned) - len(todo)} cached, {len(todo)} to train, "
             f"estimated {_hours(sum(p.seconds for p in todo))} of training in all (divide by the number of "
             "workers for the wall time)."]
    if planned:
        lines.append(policy_costs(planned))
    if any(not p.measured for p in todo):
        lines.append("(rough): no cached run of that model, device and precision to measure from; a default "
                     "guess, good to a factor of a few.")
    return "\n".join(lines)


def policy_costs(planned: list[PlannedRun]) -> str:
    """One line: per augmentation policy, its runs, how many are to train and their estimated time."""
    parts = []
    for policy in dict.fromkeys(p.config.augment for p in planned):
        runs = [p for p in planned if p.config.augment == policy]
        todo = [p for p in runs if not p.cached]
        seconds = sum(p.seconds for p in todo)
        parts.append(f"{policy} {_count(len(runs), 'run')} ({len(todo)} to train, {_hours(seconds)})")
    return "By augmentation policy: " + "; ".join(parts) + "."


@dataclass
class SweepResult:
    """What a sweep did: runs found cached, runs trained, and failures as (run, error)."""

    cached: list[PlannedRun] = field(default_factory=list)
    trained: list[tuple[PlannedRun, dict]] = field(default_factory=list)
    failed: list[tuple[PlannedRun, str]] = field(default_factory=list)

    def failure_report(self) -> str:
        lines = [f"{len(self.failed)} of {len(self.cached) + len(self.trained) + len(self.failed)} runs failed "
                 "(the others finished and are cached):"]
        lines += [f"  {run.name} ({describe(run.config)}): {error}" for run, error in self.failed]
        lines.append("Fix the cause and run the same command again: it trains only the runs not in the cache.")
        return "\n".join(lines)


class SweepFailed(SweepError):
    """Some runs failed; `result` holds them and the runs that finished."""

    def __init__(self, result: SweepResult):
        super().__init__(result.failure_report())
        self.result = result


def run_sweep(configs: list[TrainConfig], executor: Executor, cache_dir: str | Path, *, progress: bool = True,
              echo: Callable[[str], None] = functools.partial(print, flush=True)) -> SweepResult:
    """Train every config not yet cached through `executor`; raises SweepFailed, after all ended, if any failed."""
    cache_dir = writable_cache_dir(Path(cache_dir).resolve())  # workers get an absolute path, never a cwd
    planned = plan_sweep(configs, cache_dir)
    result = SweepResult(cached=[p for p in planned if p.cached])
    todo = sorted((p for p in planned if not p.cached), key=lambda p: -p.seconds)  # longest first: a short one ends it
    echo(f"{len(planned)} runs: {len(result.cached)} cached, {len(todo)} to train; cache {cache_dir}")
    if executor.dashboard_link and todo:
        echo(f"Dask dashboard: {executor.dashboard_link}")
    if not todo:
        return result
    # disable=None: the bar is drawn on a terminal only; in a log each run's line says what happened
    with tqdm(total=len(todo), desc="runs", unit="run", disable=None if progress else True, dynamic_ncols=True) as bar:
        shown, shown_at = None, 0.0
        for outcome in executor.run([p.config for p in todo], cache_dir):
            if outcome is not None:
                _record(result, todo[outcome.index], outcome, None if bar.disable else bar, echo)
            if bar.disable:
                continue
            counts = {"running": executor.running(), "failed": len(result.failed)}
            if counts != shown or time.monotonic() - shown_at > REFRESH_SECONDS:
                bar.set_postfix(counts)
                shown, shown_at = counts, time.monotonic()
    echo(f"{len(result.trained)} trained, {len(result.failed)} failed, {len(result.cached)} were cached.")
    if result.failed:
        raise SweepFailed(result)
    return result


def _record(result: SweepResult, run: PlannedRun, outcome: Outcome, bar: tqdm | None, echo) -> None:
    error = outcome.error
    if error is None and outcome.summary["run"] != run.name:
        error = (f"the worker stored run {outcome.summary['run']} where this machine expects {run.name}: "
                 "its training code (fmnist_lib's code fingerprint), its torch or torchvision version or its data "
                 "differ; install the same on every worker")
    write = bar.write if bar is not None else echo
    if error is None:
        result.trained.append((run, outcome.summary))
        write(f"  done   {run.name}: test accuracy {100 * outcome.summary['accuracy']:.2f}%, "
              f"{outcome.summary['seconds'] / 60:.1f} min on {outcome.summary['host']}")
    else:
        result.failed.append((run, error))
        write(f"  FAILED {run.name} ({describe(run.config)}): {error}")
    if bar is not None:
        bar.update(1)
