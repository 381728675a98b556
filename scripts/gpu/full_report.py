"""Build the `full` report on a bare GPU machine and bring back what it measured, in one unattended run.

The machine: one GPU, a Python with torch, torchvision and the scientific stack preinstalled, no
internet, none of the report's own stack. What it needs travels beside the repository in
`build/gpu-bundle/` (`scripts/gpu/bundle.py`: wheels and the dataset). Phases, each timed, each
logged, each allowed to fail without losing the others' results:

1. install   the bundle's wheels into WORK/site (`pip --target`, never touching torch); the library
             runs from the checkout's src/ on PYTHONPATH
2. data      the dataset decompressed into WORK/data (the library verifies its SHA-256)
3. graphs    `benchmarks/cuda_graphs_check.py`: replay against eager; on disagreement replay is off
4. throughput`benchmarks/train_throughput.py`: ours against the write-up's pipeline
5. packing   `benchmarks/packing.py`: how many runs at once fill the card (chooses --workers)
6. report    `fmnist report --profile PROFILE --workers N` from an empty cache in WORK/runs
7. collect   timings.json (phases, per run, per page), runs.csv, the site as site.tar.xz, log.txt

Everything lands in OUT (at most 8 files, each under 16 MiB). A phase still running at the deadline
is stopped, so the results of the phases before it always come back.

    python3 scripts/gpu/full_report.py --out OUT [--profile full] [--workers auto] [--deadline-min 11]
    python3 scripts/gpu/full_report.py --out OUT --profile smoke --device cpu --no-install   # CPU rehearsal
"""

from __future__ import annotations

import argparse
import json
import lzma
import os
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "build" / "gpu-bundle"
SITE_LIMIT = 16 * 2 ** 20  # bytes: the largest file the device tool brings back


class Driver:
    """Runs the phases against one deadline and keeps OUT/timings.json current after each."""

    def __init__(self, args: argparse.Namespace):
        self.args, self.out, self.work = args, args.out.resolve(), args.work.resolve()
        self.out.mkdir(parents=True, exist_ok=True)
        self.work.mkdir(parents=True, exist_ok=True)
        self.deadline = time.monotonic() + 60 * args.deadline_min
        self.log = (self.out / "log.txt").open("a", buffering=1)
        self.timings: dict = {"profile": args.profile, "device": args.device, "phases": {}}
        self.env = dict(os.environ, PYTHONUNBUFFERED="1", FMNIST_CACHE_DIR=str(self.work / "runs"))
        # This checkout's library comes first, whatever else is installed; then the bundle's packages.
        site = self.work / "site"
        paths = [str(ROOT / "src"), *([] if args.no_install else [str(site)]), self.env.get("PYTHONPATH", "")]
        self.env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
        if not args.no_install:
            self.env["PATH"] = os.pathsep.join([str(site / "bin"), self.env.get("PATH", "")])

    def say(self, text: str) -> None:
        line = f"[{time.strftime('%H:%M:%S')}] {text}"
        print(line, flush=True)
        self.log.write(line + "\n")

    def save(self) -> None:
        (self.out / "timings.json").write_text(json.dumps(self.timings, indent=2))

    def phase(self, name: str, command: list[str], **extra) -> bool:
        """Run one phase as a process group, output to the log; stopped at the deadline. True if it succeeded."""
        left = self.deadline - time.monotonic()
        if left < 5:
            self.timings["phases"][name] = {"status": "skipped: deadline reached"}
            self.save()
            return False
        shown = " ".join(command)
        self.say(f"{name}: {shown if len(shown) < 300 else shown[:300] + ' ...'}")
        started = time.monotonic()
        process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        try:
            status = "ok" if process.wait(timeout=left) == 0 else f"failed (exit {process.returncode})"
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            status = "stopped at the deadline"
        seconds = round(time.monotonic() - started, 1)
        self.timings["phases"][name] = {"status": status, "seconds": seconds, **extra}
        self.save()
        self.say(f"{name}: {status} after {seconds} s")
        return status == "ok"

    def python(self, *arguments: str) -> list[str]:
        return [sys.executable, *arguments]


def install(driver: Driver, bundle: Path) -> bool:
    wheels = sorted(str(p) for p in (bundle / "wheels").glob("*.whl"))
    if not wheels:
        driver.say(f"no wheels in {bundle / 'wheels'}: run scripts/gpu/bundle.py first")
        return False
    return driver.phase("install", driver.python("-m", "pip", "install", "--quiet", "--no-index", "--no-deps",
                                                 "--no-compile", "--no-cache-dir", "--target",
                                                 str(driver.work / "site"), *wheels), wheels=len(wheels))


def unpack_data(driver: Driver, bundle: Path) -> None:
    """The bundle's .xz IDX files into WORK/data, for $FMNIST_DATA_DIR; skipped where the data is found anyway."""
    packed = sorted((bundle / "data").glob("*.xz"))
    if not packed:
        driver.say("no dataset in the bundle: the library looks for it as usual")
        return
    started, folder = time.monotonic(), driver.work / "data"
    folder.mkdir(exist_ok=True)
    for path in packed:
        target = folder / path.stem
        if not target.exists():
            target.write_bytes(lzma.decompress(path.read_bytes()))
    driver.env["FMNIST_DATA_DIR"] = str(folder)
    driver.timings["phases"]["data"] = {"status": "ok", "seconds": round(time.monotonic() - started, 1)}
    driver.save()


def choose_workers(driver: Driver) -> int:
    """--workers, or for `auto` the packing benchmark's best process count (1 if it did not run)."""
    if driver.args.workers != "auto":
        return int(driver.args.workers)
    try:
        return int(json.loads((driver.out / "packing.json").read_text())["best_processes"])
    except (OSError, ValueError, KeyError):
        return 1


def run(args: argparse.Namespace) -> int:
    driver = Driver(args)
    driver.say(f"profile {args.profile}, device {args.device}, deadline in {args.deadline_min} min, out {driver.out}")
    if not args.no_install and not install(driver, args.bundle):
        driver.say("install failed: nothing else can run")
        return finish(driver)
    unpack_data(driver, args.bundle)
    bench = ["--device", args.device, *(["--models", args.bench_models] if args.bench_models else [])]
    if not driver.phase("graphs", driver.python("benchmarks/cuda_graphs_check.py", "--device", args.device,
                                                "--epochs", str(args.check_epochs), "--train-subset",
                                                str(args.check_subset), "--json", str(driver.out / "graphs.json"))):
        driver.env["FMNIST_CUDA_GRAPHS"] = "0"
        driver.say("CUDA-graph replay disagreed with eager training (or the check failed): training eagerly")
    driver.timings["cuda_graphs"] = driver.env.get("FMNIST_CUDA_GRAPHS", "1") != "0"
    driver.phase("throughput", driver.python("benchmarks/train_throughput.py", *bench, "--steps",
                                             str(args.bench_steps), "--json", str(driver.out / "throughput.json")))
    if args.workers == "auto":
        driver.phase("packing", driver.python("benchmarks/packing.py", *bench, "--processes", args.packing,
                                              "--steps", str(4 * args.bench_steps),
                                              "--json", str(driver.out / "packing.json")))
    workers = choose_workers(driver)
    # Every page is executed afresh, unless a rehearsal names a few (--only): then the others are kept from the
    # build already in the checkout.
    pages = [flag for name in args.only for flag in ("--only", name)] or ["--force"]
    driver.phase("report", driver.python("-m", "fmnist_lib.cli", "report", "--profile", args.profile, "--quiet",
                                         *pages, "--workers", str(workers)), workers=workers)
    return finish(driver)


def finish(driver: Driver) -> int:
    """Collect with the library (in the environment the phases used), then mark the run done."""
    collect = driver.python(str(Path(__file__).resolve()), "collect", "--out", str(driver.out))
    subprocess.run(collect, cwd=ROOT, env=driver.env, stdout=driver.log, stderr=subprocess.STDOUT, timeout=300)
    driver.say("done")
    (driver.out / "DONE").write_text("")
    return 0


def collect(args: argparse.Namespace) -> int:
    """runs.csv, per-run and per-page seconds and the headline numbers into timings.json, the site archive."""
    import pandas as pd

    from fmnist_lib.runs.cache import default_cache_dir
    from fmnist_lib.runs.listing import list_runs

    out = args.out.resolve()
    timings_path = out / "timings.json"
    timings = json.loads(timings_path.read_text()) if timings_path.exists() else {}
    runs = list_runs(default_cache_dir())
    if not runs.empty:
        runs.to_csv(out / "runs.csv", index=False)
        seconds = {path.parent.name: json.loads(path.read_text())["train_seconds"]
                   for path in default_cache_dir().glob("*/metrics.json")}
        timings["runs"] = {name: round(value, 1) for name, value in sorted(seconds.items())}
        timings["training_seconds_summed"] = round(sum(seconds.values()), 1)
        ok = runs[runs.status == "ok"]
        headline = ok.groupby(["model", "augment", "epochs", "train_images"]).test_acc.agg(["mean", "std", "count"])
        headline = headline.round(2).reset_index().astype(object)
        timings["headline"] = headline.where(headline.notna(), None).to_dict(orient="records")  # sd of 1 run: null
    record = ROOT / "build" / "executed" / "record.json"
    if record.exists():
        timings["pages"] = {name: entry["seconds"] for name, entry in json.loads(record.read_text()).items()}
    site = ROOT / "_build" / "html"
    if site.is_dir():
        archive = out / "site.tar.xz"
        with tarfile.open(archive, "w:xz", preset=6) as tar:
            tar.add(site, arcname="html")
        timings["site_archive_bytes"] = archive.stat().st_size
        if archive.stat().st_size > SITE_LIMIT:
            archive.unlink()
            timings["site_archive_bytes"] = f"over {SITE_LIMIT} bytes: not kept"
    timings_path.write_text(json.dumps(timings, indent=2, default=str))
    pd.set_option("display.width", 250)
    print(runs.drop(columns=["created"], errors="ignore").to_string(index=False) if not runs.empty else "no runs")
    return 0


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", choices=("run", "collect"), default="run")
    parser.add_argument("--out", type=Path, required=True, help="where results go (the device tool's $OUT)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/fmnist-gpu"), help="installs, data and runs cache")
    parser.add_argument("--bundle", type=Path, default=BUNDLE)
    parser.add_argument("--profile", default="full")
    parser.add_argument("--device", choices=("cuda", "cpu"), default="cuda")
    parser.add_argument("--workers", default="auto", help="processes training at once, or auto (default)")
    parser.add_argument("--packing", default="1,2,4,8", help="process counts the packing benchmark tries")
    parser.add_argument("--bench-steps", type=int, default=50, help="steps per timed benchmark round")
    parser.add_argument("--bench-models", help="models the benchmarks time, comma-separated (default: each "
                        "benchmark's own list; a rehearsal times the custom CNN alone)")
    parser.add_argument("--check-epochs", type=int, default=3, help="epochs of the replay-against-eager check")
    parser.add_argument("--check-subset", type=int, default=10_000, help="training images of that check")
    parser.add_argument("--deadline-min", type=float, default=11.0)
    parser.add_argument("--only", action="append", default=[], metavar="SECTION",
                        help="execute only this page (repeatable), keeping the others from the checkout's last "
                             "build (a rehearsal); by default every page is executed")
    parser.add_argument("--no-install", action="store_true",
                        help="use this interpreter's packages as they are (a rehearsal where the stack is installed)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    return collect(args) if args.command == "collect" else run(args)


if __name__ == "__main__":
    sys.exit(main())
