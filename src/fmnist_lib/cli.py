"""The `fmnist` command: thin wrappers over the library, with messages instead of tracebacks."""

from __future__ import annotations

import argparse
import logging
import os
import shlex
import signal
import sys
from pathlib import Path

import pandas as pd

from .data.augmentation import POLICY_NAMES
from .data.fashion_mnist import IDX_FILES, load_fashion_mnist
from .errors import ConfigError, FmnistError
from .runs.cache import CACHE_ENV, Run, default_cache_dir, load_or_train, run_name
from .runs.listing import list_runs, remove_stale
from .training.config import DEVICES, PRECISIONS, TrainConfig
from .training.models import MODEL_NAMES, build_model, count_parameters
from .training.train import check_trainable

DEFAULTS = TrainConfig()


def whole_number(text: str) -> int:
    """argparse type: any integer (range checks belong to TrainConfig, which names the parameter)."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def folder(text: str) -> str:
    """argparse type: a folder path, never empty (an empty one would silently mean the default)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path; name a folder, or leave the option out for the default")
    return text


def number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None


def cmd_data(args) -> None:
    data = load_fashion_mnist(args.data_dir, download=args.download)
    print(f"Fashion-MNIST found in {data.folder}")
    for name, (sha, shape) in IDX_FILES.items():
        print(f"  {name:<26} {str(shape):<18} sha256 {sha[:16]}... {'verified' if data.verified else 'not checked'}")
    counts = pd.Series(data.train_labels.numpy()).value_counts().sort_index().tolist()
    print(f"  training images per class: {counts}")


def cmd_train(args) -> None:
    config = TrainConfig(model=args.model, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                         seed=args.seed, train_subset=args.train_subset, augment=args.augment,
                         device=args.device, precision=args.precision)
    check_trainable(config)  # before the data is loaded: a batch of one image stops training only later
    cache_dir = args.cache_dir or default_cache_dir()
    data = load_fashion_mnist(args.data_dir)
    print(f"{run_name(config)}: {config.model} ({count_parameters(build_model(config.model)):,} parameters), "
          f"{config.epochs} epochs on {config.n_train:,} images, device {config.resolved().device}"
          f"{f', augmentation {config.augment}' if config.augmented else ''}, cache {cache_dir}", flush=True)
    run = load_or_train(config, cache_dir=cache_dir, data=data, progress=not args.quiet)
    print_summary(run, args.eval_weights)


def print_summary(run: Run, weights: str) -> None:
    history = run.history.assign(lr=run.history.lr.map("{:.5f}".format), seconds=run.history.seconds.round(1))
    print("\n" + history.to_string(index=False, float_format="{:.4f}".format))
    rows = []
    for name in ("final", "best"):
        test = run.test_metrics(name)
        epoch = run.config.epochs if name == "final" else run.metrics["best_epoch"]
        rows.append({"weights": name + (" (reported)" if name == weights else ""), "epoch": epoch,
                     "test_acc_%": round(100 * test["accuracy"], 2), "test_loss": round(test["loss"], 4),
                     "errors": test["errors"]})
    print("\n" + pd.DataFrame(rows).to_string(index=False))
    print(f"\ntraining time {run.metrics['train_seconds'] / 60:.1f} min; run saved in {run.path}")


def existing_cache(named: str | None) -> Path:
    """The cache folder to read; a folder named by --cache-dir or $FMNIST_CACHE_DIR must exist (a typo would
    otherwise read as an empty cache). The default folder may be absent: nothing has been trained yet."""
    cache_dir = Path(named) if named else default_cache_dir()
    if cache_dir.exists() and not cache_dir.is_dir():
        raise ConfigError(f"The results cache {cache_dir} is a file, not a folder; name the cache folder.")
    if not cache_dir.exists() and (named or os.environ.get(CACHE_ENV)):
        where = "--cache-dir" if named else f"${CACHE_ENV}"
        raise ConfigError(f"The results cache {cache_dir} (from {where}) does not exist; check the path, or leave "
                          f"{where} out for the default.")
    return cache_dir


def cmd_runs(args) -> None:
    cache_dir = existing_cache(args.cache_dir)
    if args.remove_stale:
        removed = remove_stale(cache_dir)
        for name in removed:
            print(f"removed {name}")
        print(f"Removed {len(removed)} stale run folder(s) from {cache_dir}." if removed else
              f"No stale runs in {cache_dir}.")
        return
    table = list_runs(cache_dir)
    if table.empty:
        print(f"No runs in {cache_dir}.")
        return
    with pd.option_context("display.width", 200, "display.max_colwidth", 80):
        print(table.to_string(index=False))
    stale = int((table.status == "stale").sum())
    if stale:
        print(f"\n{stale} stale run(s): made by other code than this (another version of the training modules); "
              "they are never used. `fmnist runs --remove-stale` deletes them.")


def cmd_report(args) -> None:
    from .report.build import run_report
    from .report.parameters import parse_assignment
    from .report.profiles import default_profile

    if args.workers is not None:  # before any work
        from .runs.executors import check_cluster_choice

        check_cluster_choice(None, args.workers)
    if args.pdf:  # before any work: the PDF needs the system Chromium and Playwright
        from .report.pdf import build_pdf, check_ready

        check_ready()
    overrides = dict(parse_assignment(text) for text in args.parameter)
    profile = args.profile or default_profile()
    print(f"Report, profile {profile}", flush=True)
    index = run_report(profile, only=args.only, overrides=overrides, force=args.force, progress=not args.quiet,
                       root=args.root, workers=args.workers)
    print(f"Site: {index}")
    if args.pdf:
        print("Printing the PDF ...", flush=True)
        print(f"PDF: {build_pdf(Path(index).parents[2])}")


def _shell_word(text: str) -> str:
    """`text` as one word for a shell, quoted only when it must be (double quotes read best for -p values)."""
    if shlex.quote(text) == text:
        return text
    return f'"{text}"' if not set(text) & set('"$`\\!') else shlex.quote(text)


def cmd_sweep(args) -> None:
    from .report.parameters import parse_assignment
    from .report.profiles import default_profile
    from .report.sections import report_configs
    from .runs.executors import DaskExecutor, LocalExecutor, check_cluster_choice
    from .runs.sweep import plan_sweep, plan_table, run_sweep

    distributed = bool(args.scheduler) or args.workers is not None
    if distributed:  # before any work
        check_cluster_choice(args.scheduler, args.workers, args.gpus_per_run or 0, args.threads_per_run)
    overrides = dict(parse_assignment(text) for text in args.parameter)
    profile = args.profile or default_profile()
    cache_dir = Path(args.cache_dir or default_cache_dir()).resolve()
    configs = report_configs(profile, overrides=overrides)
    report = " ".join(["fmnist report --profile", _shell_word(profile),
                       *(f"-p {_shell_word(text)}" for text in args.parameter)])
    if cache_dir != Path(default_cache_dir()).resolve():
        report = f"FMNIST_CACHE_DIR={_shell_word(str(cache_dir))} {report}"
    if args.dry_run:
        print(f"The runs that `{report}` reads (dry run: nothing is trained or written):")
        print(plan_table(plan_sweep(configs, cache_dir)))
        return
    if not distributed:
        executor = LocalExecutor(progress=not args.quiet)
    else:
        logging.getLogger("distributed").setLevel(logging.ERROR)  # the sweep reports each run; Dask's chatter hides it
        gpus = args.gpus_per_run
        if gpus is None:  # runs on CUDA reserve one GPU each unless told otherwise
            gpus = int(any(config.resolved().device == "cuda" for config in configs))
        executor = DaskExecutor(args.scheduler, args.workers, gpus_per_run=gpus, threads_per_run=args.threads_per_run)
    with executor:
        warning = executor.gpu_warning() if isinstance(executor, DaskExecutor) else None
        if warning:
            print(f"warning: {warning}", file=sys.stderr)
        run_sweep(configs, executor, cache_dir, progress=not args.quiet)
    print(f"Every run of the report is cached; `{report}` trains nothing.")


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad argument gets one line naming it (not the usage block) and where the options are."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}. `{self.prog} --help` lists the options.\n")


def build_parser() -> argparse.ArgumentParser:
    """The `fmnist` command's parser: every command, option and default (the docs' examples are parsed with it)."""
    parser = OneLineParser(prog="fmnist", description="Stress-testing CNNs on Fashion-MNIST.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    data = commands.add_parser("data", help="find and verify the dataset", description="Find and verify the dataset.")
    data.add_argument("--data-dir", type=folder, help="folder with the four IDX files (default: search, see docs)")
    data.add_argument("--download", action="store_true", help="download through torchvision if not found")
    data.set_defaults(func=cmd_data)

    tr = commands.add_parser("train", help="train one model (or reuse its cached run)",
                             description="Train one model under the write-up's protocol, or reuse its cached run.")
    tr.add_argument("--model", default=DEFAULTS.model, help=f"one of {', '.join(MODEL_NAMES)} (default %(default)s)")
    tr.add_argument("--epochs", type=whole_number, default=DEFAULTS.epochs, help="default %(default)s")
    tr.add_argument("--batch-size", type=whole_number, default=DEFAULTS.batch_size, help="default %(default)s")
    tr.add_argument("--lr", type=number, default=DEFAULTS.lr, help="SGD learning rate (default %(default)s)")
    tr.add_argument("--seed", type=whole_number, default=DEFAULTS.seed, help="default %(default)s")
    tr.add_argument("--train-subset", type=whole_number, help="train on the first N images of the split")
    tr.add_argument("--augment", nargs="?", const="flip_rotate", default=DEFAULTS.augment, metavar="POLICY",
                    help=f"augmentation policy of the training images, one of {', '.join(POLICY_NAMES)} (default "
                         "%(default)s; --augment alone: flip_rotate, the write-up's flip + rotation)")
    tr.add_argument("--device", default=DEFAULTS.device, help=f"one of {', '.join(DEVICES)} (default %(default)s)")
    tr.add_argument("--precision", default=DEFAULTS.precision, help=f"one of {', '.join(PRECISIONS)}")
    tr.add_argument("--eval-weights", choices=("final", "best"), default="final",
                    help="which weights the summary reports (both are stored; the write-up used final)")
    tr.add_argument("--cache-dir", type=folder, help="results cache (default $FMNIST_CACHE_DIR or runs/)")
    tr.add_argument("--data-dir", type=folder, help="folder with the four IDX files")
    tr.add_argument("--quiet", action="store_true", help="no progress bar")
    tr.set_defaults(func=cmd_train)

    runs = commands.add_parser("runs", help="list cached runs",
                               description="List the runs in the results cache: ok, stale (made by other code than "
                                           "this, never used) or unusable (damaged; trained again when needed).")
    runs.add_argument("--cache-dir", type=folder, help="results cache (default $FMNIST_CACHE_DIR or runs/)")
    runs.add_argument("--remove-stale", action="store_true",
                      help="delete the stale runs (and checkpoints of interrupted runs of other code); asks nothing, "
                           "prints what it removed")
    runs.set_defaults(func=cmd_runs)
    rep = commands.add_parser("report", help="execute the section notebooks and build the site",
                              description="Train what the sections need (cached runs are reused), execute the "
                                          "notebooks with papermill, build the site with Jupyter Book.")
    rep.add_argument("--profile", help="full, cpu or smoke (default: full with a CUDA GPU, else cpu)")
    rep.add_argument("--only", action="append", metavar="SECTION",
                     help="execute only this section (repeatable); the others reuse their executed notebooks")
    rep.add_argument("-p", "--parameter", action="append", default=[], metavar="NAME=VALUE",
                     help="set a notebook parameter, e.g. -p model=vgg16 -p n_cases=12 (repeatable)")
    rep.add_argument("--force", action="store_true",
                     help="re-execute every section (by default, sections executed with the same notebook and "
                          "parameters are kept, so a stopped run resumes where it stopped)")
    rep.add_argument("--quiet", action="store_true", help="no training progress bars")
    rep.add_argument("--root", type=folder,
                     help="build from a copy of the sources in this folder (with _config.yml, _toc.yml, book/ and "
                          "notebooks/; default: this checkout)")
    rep.add_argument("--workers", type=whole_number, metavar="N",
                     help="train the runs not cached in N processes at once (a local Dask cluster, as `fmnist sweep "
                          "--workers N`); on one GPU this packs several runs onto the card (default: one at a time)")
    rep.add_argument("--pdf", action="store_true",
                     help="also print the whole report to _build/pdf/report.pdf with the system Chromium (offline)")
    rep.set_defaults(func=cmd_report)

    sw = commands.add_parser("sweep", help="train every run the report needs, here or on a Dask cluster",
                             description="Train every run the report reads (the profile and -p decide which) into "
                                         "the results cache: here one after another, on a local Dask cluster "
                                         "(--workers N) or on an existing one (--scheduler ADDRESS). Runs already "
                                         "cached are skipped; afterwards `fmnist report` trains nothing.")
    sw.add_argument("--profile", help="full, cpu or smoke (default: full with a CUDA GPU, else cpu)")
    sw.add_argument("-p", "--parameter", action="append", default=[], metavar="NAME=VALUE",
                    help="set a notebook parameter, as for `fmnist report` (repeatable)")
    sw.add_argument("--dry-run", action="store_true",
                    help="list the runs, their estimated cost and which are cached; train nothing")
    sw.add_argument("--scheduler", metavar="ADDRESS", help="an existing Dask scheduler, e.g. tcp://host:8786")
    sw.add_argument("--workers", type=whole_number, metavar="N",
                    help="start a Dask cluster of N worker processes on this machine")
    sw.add_argument("--gpus-per-run", type=whole_number, metavar="N",
                    help="Dask worker resource GPU each run reserves (default 1 for runs on CUDA, else 0 = none)")
    sw.add_argument("--threads-per-run", type=whole_number, metavar="N",
                    help="torch CPU threads per run on Dask workers (default: the cores shared among --workers; "
                         "on an existing cluster, the workers' own setting)")
    sw.add_argument("--cache-dir", type=folder, help="results cache, the same absolute path on every worker "
                                        "(default $FMNIST_CACHE_DIR or runs/)")
    sw.add_argument("--quiet", action="store_true", help="no progress bars")
    sw.set_defaults(func=cmd_sweep)
    return parser


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="warning: %(message)s")
    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops as cleanly as Ctrl-C
    try:
        args.func(args)
    except FmnistError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted: finished epochs and sections are kept; run the same command to resume.",
              file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
