"""Prepare what travels with the repository to a bare GPU machine: wheels and the dataset.

The GPU machine this project is lent (one H100 or H200, drawn by chance; Python 3.12 with torch, torchvision
and the scientific stack preinstalled) has no internet and lacks the report's execution and site stack
(papermill, ipykernel, Jupyter Book, grad-cam, cleanlab, Dask) and the dataset. Everything that
travels there, repository included, must stay under 64 MiB, so:

- the wheels of the report's stack (the project and its `report` extra with everything they need, by the
  `# via` annotations of `requirements.lock`), less what the machine has preinstalled (`preinstalled.txt`)
  and a few packages the report never imports (`LEFT_OUT`), at the lock's versions, are fetched for the
  target Python (grad-cam exists only as an sdist: its wheel is built here) and re-compressed with LZMA
  inside the zip (pip reads that like any wheel; file hashes in RECORD are of the uncompressed files, so
  they still match), about 30 MB;
- the four IDX files are stored xz-compressed (about 26 MB); `full_report.py` decompresses them and
  the library verifies their SHA-256 as always.

    python scripts/gpu/bundle.py [--python-version 3.12] [--dest build/gpu-bundle]

Needs the package registry (pip) once; the result is ignored by git and is `carry`-ed to the machine.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import importlib.util
import lzma
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PREINSTALLED = Path(__file__).with_name("preinstalled.txt")
# Needed by the report's packages but not by the report: left behind to stay under 64 MiB.
LEFT_OUT = {
    "bokeh": "the Dask dashboard; the report's local cluster runs without one",
    "xyzservices": "bokeh's map tiles",
    "debugpy": "ipykernel's debugger, imported only when a debugger attaches",
    "jedi": "IPython's tab completion",
    "parso": "jedi's parser",
    "tzdata": "time zones for systems without /usr/share/zoneinfo",
    "playwright": "prints the PDF (fmnist report --pdf), which the GPU build does not make",
    "greenlet": "playwright's",
    "pyee": "playwright's",
    "pypdf": "numbers the PDF's contents sheet, which the GPU build does not make",
}
SDIST_ONLY = ("grad-cam",)  # published without a wheel: built here (pure Python, any target)
PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_26_x86_64", "manylinux_2_24_x86_64",
             "manylinux_2_17_x86_64", "manylinux2014_x86_64", "manylinux1_x86_64")
TRAVEL_LIMIT = 64 * 2 ** 20  # bytes: repository + carried paths, per call of the device tool


def listed(path: Path) -> list[str]:
    lines = [line.split("#")[0].strip() for line in path.read_text().splitlines()]
    return [line for line in lines if line]


@functools.lru_cache(maxsize=1)
def _lockfile():
    """scripts/lockfile.py, the reader of requirements.lock (a script, not part of the library)."""
    spec = importlib.util.spec_from_file_location("lockfile", ROOT / "scripts" / "lockfile.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks itself up there
    spec.loader.exec_module(module)
    return module


def normalize(name: str) -> str:
    return _lockfile().normalize(name)


def _preinstalled() -> set[str]:
    return {normalize(name) for name in listed(PREINSTALLED)}


def report_stack(extras: tuple[str, ...] = ("report",)) -> dict[str, str]:
    """{name: locked version} of every distribution the project and its `extras` need, by requirements.lock.

    Follows requirements through what would travel only: a preinstalled package's own needs are the
    machine's business, and LEFT_OUT packages are not followed either.
    """
    lockfile = _lockfile()
    pins = lockfile.read_lock()
    home = _preinstalled() | set(LEFT_OUT)
    needed = lockfile.closure(pins, lockfile.project_requirements(extras), stop=home)
    return {name: pins[name].version for name in sorted(needed - home)}


def requirements() -> list[str]:
    """The wheels that travel, pinned as in the lock: the report's stack less what the machine has."""
    return [f"{name}=={version}" for name, version in report_stack().items()]


def preinstalled_requirements() -> list[str]:
    """The report's needs that the GPU machine has preinstalled, pinned to the lock's versions.

    Only the direct needs of the project (core and `report` extra) and of the packages that travel: enough
    for a venv that stands in for the machine's Python in a rehearsal (torch brings its own needs).
    """
    lockfile = _lockfile()
    pins = lockfile.read_lock()
    direct = lockfile.project_requirements(("report",))
    travelling = set(report_stack())
    needed = {name: pin.version for name, pin in pins.items() if name in _preinstalled()
              and (pin.needed_by & travelling or (lockfile.PROJECT in pin.needed_by and name in direct))}
    return [f"{name}=={version}" for name, version in sorted(needed.items())]


def fetch_wheels(python_version: str, folder: Path) -> None:
    """Binary wheels for the target Python and x86-64 Linux, without dependencies (the list is complete)."""
    wanted = requirements()
    binary = [r for r in wanted if r.split("==")[0] not in SDIST_ONLY]
    built = [r for r in wanted if r.split("==")[0] in SDIST_ONLY]
    platforms = [arg for platform in PLATFORMS for arg in ("--platform", platform)]
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                    "--python-version", python_version, "--implementation", "cp", *platforms,
                    "--dest", str(folder), *binary], check=True)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(folder),
                    *built], check=True)


def recompress(wheel: Path, dest: Path) -> None:
    """The same wheel, each member compressed with LZMA instead of deflate."""
    with zipfile.ZipFile(wheel) as source, zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_LZMA) as target:
        for info in source.infolist():
            target.writestr(info, source.read(info.filename), compress_type=zipfile.ZIP_LZMA)


def compress_data(dest: Path) -> None:
    """The four IDX files, found and verified by the library, decompressed and stored as .xz."""
    sys.path.insert(0, str(ROOT / "src"))
    from fmnist_lib.data.fashion_mnist import IDX_FILES, load_fashion_mnist

    folder = load_fashion_mnist().folder  # verifies every file's SHA-256
    dest.mkdir(parents=True, exist_ok=True)
    for name in IDX_FILES:
        target = dest / f"{name}.xz"
        if target.exists():
            continue
        plain, packed = folder / name, folder / f"{name}.gz"
        content = plain.read_bytes() if plain.is_file() else gzip.decompress(packed.read_bytes())
        target.write_bytes(lzma.compress(content, preset=9 | lzma.PRESET_EXTREME))


def travel_size(bundle: Path) -> int:
    """Bytes that a device call sends: tracked and untracked-not-ignored files, the bundle, vendored MathJax."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=ROOT,
                            capture_output=True, check=True).stdout.split(b"\0")
    files = [ROOT / name.decode() for name in listed if name]
    carried = [p for folder in (bundle, ROOT / "book" / "_vendor") for p in folder.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files + carried if p.is_file())


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python-version", default="3.12", help="the GPU machine's Python (default %(default)s)")
    parser.add_argument("--dest", type=Path, default=ROOT / "build" / "gpu-bundle")
    parser.add_argument("--print-preinstalled", action="store_true",
                        help="print, as pip requirements, the report's packages that the GPU machine already has "
                             "(what a rehearsal's bare environment installs first), and stop")
    args = parser.parse_args(argv)
    if args.print_preinstalled:
        print("\n".join(preinstalled_requirements()))
        return
    wheels = args.dest / "wheels"
    shutil.rmtree(wheels, ignore_errors=True)
    wheels.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as scratch:
        fetch_wheels(args.python_version, Path(scratch))
        for wheel in sorted(Path(scratch).glob("*.whl")):
            recompress(wheel, wheels / wheel.name)
    if len(list(wheels.glob("*.whl"))) != len(requirements()):
        raise SystemExit(f"expected {len(requirements())} wheels, got {len(list(wheels.glob('*.whl')))}")
    compress_data(args.dest / "data")
    (args.dest / "python-version").write_text(args.python_version + "\n")
    size = travel_size(args.dest)
    print(f"{args.dest}: {len(requirements())} wheels for Python {args.python_version} and the dataset; "
          f"a device call sends {size / 2 ** 20:.1f} MiB of {TRAVEL_LIMIT / 2 ** 20:.0f}")
    if size > TRAVEL_LIMIT:
        raise SystemExit("over the device tool's limit: leave a wheel out or compress harder")


if __name__ == "__main__":
    main()
