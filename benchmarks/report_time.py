"""End-to-end time of a report profile: cold (empty results cache, every section executed) and warm.

Cold is what a newcomer waits for after `make report`: every run trained, every notebook executed,
the site built. Warm is a re-run with nothing changed: every run a cache hit, every section kept
except the reproducibility page, the site rebuilt. Each is one `fmnist report` process, so start-up
and imports count. The report is built from a copy of the sources in a temporary folder, so the
checkout's own build/ and _build/ are left alone; `--cache-dir` keeps (and reuses) the results cache,
`--keep` the built report (executed notebooks and site) for reading afterwards.

    python benchmarks/report_time.py [--profile cpu|full|smoke] [--cache-dir DIR] [--keep DIR] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fmnist_lib.errors import FmnistError
from fmnist_lib.report.profiles import default_profile, get_profile
from fmnist_lib.report.provenance import describe_hardware

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("_config.yml", "_toc.yml", "book", "notebooks")


def copy_sources(target: Path) -> Path:
    """The report's sources (not build outputs) in `target`, with the vendored MathJax if present."""
    target.mkdir(parents=True, exist_ok=True)
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name)
        else:
            shutil.copy(source, target / name)
    return target


def fmnist_command() -> list[str]:
    script = Path(sys.executable).with_name("fmnist")
    return [str(script)] if script.exists() else [sys.executable, "-m", "fmnist_lib.cli"]


def time_report(root: Path, cache: Path, profile: str, force: bool) -> float:
    """Seconds of one `fmnist report` process; its output goes to the terminal, a failure stops the benchmark."""
    command = fmnist_command() + ["report", "--profile", profile, "--root", str(root), "--quiet"]
    command += ["--force"] if force else []
    environment = dict(os.environ, FMNIST_CACHE_DIR=str(cache))
    started = time.perf_counter()
    result = subprocess.run(command, env=environment)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"`{' '.join(command)}` failed with status {result.returncode}")
    return seconds


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default=default_profile(),
                        help="report profile (default: full with CUDA, cpu without)")
    parser.add_argument("--cache-dir", type=Path,
                        help="results cache to use; it must be empty for a cold time (default: a temporary one)")
    parser.add_argument("--keep", type=Path,
                        help="build the report in this new folder and keep it (default: a temporary one)")
    parser.add_argument("--json", type=Path, help="write the result here")
    args = parser.parse_args(argv)
    if args.keep and args.keep.exists() and any(args.keep.iterdir()):
        parser.error(f"--keep {args.keep} is not empty; name a new or empty folder.")
    try:
        get_profile(args.profile)
    except FmnistError as error:
        parser.error(str(error))

    with tempfile.TemporaryDirectory(prefix="report-time-") as scratch:
        scratch = Path(scratch)
        root = copy_sources(args.keep.resolve() if args.keep else scratch / "sources")
        cache = args.cache_dir or scratch / "cache"
        if args.cache_dir and args.cache_dir.exists() and any(args.cache_dir.iterdir()):
            print(f"note: {args.cache_dir} is not empty, so the first run is not fully cold", flush=True)
        cold = time_report(root, cache, args.profile, force=True)
        warm = time_report(root, cache, args.profile, force=False)
    result = {"profile": args.profile, "hardware": describe_hardware(),
              "cold_s": round(cold, 1), "warm_s": round(warm, 1)}
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
