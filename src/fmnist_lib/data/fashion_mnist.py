"""Fashion-MNIST from its four IDX files: find them, verify them, parse them, split them.

The files are verified by the SHA-256 of their *decompressed* bytes: Debian's
package recompresses the upstream `.gz` files, so hashes of the archives differ
while the content is identical.
"""

from __future__ import annotations

import dataclasses

import gzip
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import torch

from ..errors import DataError

CLASS_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
NUM_CLASSES = len(CLASS_NAMES)
IMAGE_SIZE = 28

# name -> (SHA-256 of the decompressed file, shape of its array)
IDX_FILES = {
    "train-images-idx3-ubyte": ("c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888", (60_000, 28, 28)),
    "train-labels-idx1-ubyte": ("bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9", (60_000,)),
    "t10k-images-idx3-ubyte": ("5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b", (10_000, 28, 28)),
    "t10k-labels-idx1-ubyte": ("0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34", (10_000,)),
}
N_TEST = IDX_FILES["t10k-labels-idx1-ubyte"][1][0]  # the official test images
# One checksum for the whole dataset, part of every run's cache key.
DATA_CHECKSUM = hashlib.sha256("".join(sha for sha, _ in IDX_FILES.values()).encode()).hexdigest()

DATA_ENV = "FMNIST_DATA_DIR"
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
IDX_UBYTE = 0x08  # IDX type code for unsigned bytes

HOW_TO_GET_DATA = f"""How to get the data, any one of:
  - Debian/Ubuntu as root: apt-get install dataset-fashion-mnist   (files land in {DEBIAN_DIR})
  - point ${DATA_ENV} (or --data-dir) at a folder holding the four files, .gz or not:
      {', '.join(IDX_FILES)}
  - let torchvision download them: fmnist data --download   (needs internet)"""


def torchvision_root() -> Path:
    """The folder torchvision's `FashionMNIST(root, download=True)` fills (files under FashionMNIST/raw)."""
    cache_home = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return cache_home / "fmnist_lib"


@dataclass(frozen=True)
class FashionMNIST:
    """The official split as uint8 tensors, with where it came from."""

    train_images: torch.Tensor  # (60000, 28, 28) uint8
    train_labels: torch.Tensor  # (60000,) uint8
    test_images: torch.Tensor  # (10000, 28, 28) uint8
    test_labels: torch.Tensor  # (10000,) uint8
    folder: Path
    verified: bool

    def first_test(self, n: int | None) -> "FashionMNIST":
        """The same data with only the first `n` test images (None: all of them), as a run with `test_subset`
        is evaluated and as the pages of a profile with one read it. Training images are untouched."""
        if n is None or n == len(self.test_labels):
            return self
        if not 0 < n <= len(self.test_labels):
            raise ValueError(f"Cannot keep the first {n:,} test images of {len(self.test_labels):,}.")
        return dataclasses.replace(self, test_images=self.test_images[:n], test_labels=self.test_labels[:n])


def _file_in(folder: Path, name: str) -> Path | None:
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _missing_files(folder: Path) -> list[str]:
    return [name for name in IDX_FILES if _file_in(folder, name) is None]


def _as_data_folder(folder: Path) -> Path:
    """Accept the folder of the files itself or a torchvision root (files in FashionMNIST/raw)."""
    raw = folder / "FashionMNIST" / "raw"
    if _missing_files(folder) and not _missing_files(raw):
        return raw
    return folder


def _check_given_folder(folder: Path, origin: str) -> Path:
    """A folder the user named must hold the data: never silently fall back elsewhere."""
    if not folder.is_dir():
        raise DataError(f"The data folder {folder} (from {origin}) does not exist.\n{HOW_TO_GET_DATA}")
    folder = _as_data_folder(folder)
    missing = _missing_files(folder)
    if missing:
        raise DataError(
            f"The data folder {folder} (from {origin}) lacks {', '.join(missing)} (with or without .gz).\n"
            f"{HOW_TO_GET_DATA}"
        )
    return folder


def locate_data(folder: str | Path | None = None, *, download: bool = False) -> Path:
    """Find the folder with the four IDX files.

    Order: the explicit `folder`, `$FMNIST_DATA_DIR`, Debian's package folder,
    torchvision's cache layout under `torchvision_root()`; then, only if
    `download` is true, a download through torchvision into that cache.
    """
    if folder is not None:
        return _check_given_folder(Path(folder), "the data-dir argument")
    if os.environ.get(DATA_ENV):
        return _check_given_folder(Path(os.environ[DATA_ENV]), f"${DATA_ENV}")
    for candidate in (DEBIAN_DIR, torchvision_root() / "FashionMNIST" / "raw"):
        if candidate.is_dir() and not _missing_files(candidate):
            return candidate
    if download:
        return _download(torchvision_root())
    raise DataError(
        f"Fashion-MNIST was not found (looked in ${DATA_ENV}, {DEBIAN_DIR} and "
        f"{torchvision_root() / 'FashionMNIST' / 'raw'}).\n{HOW_TO_GET_DATA}"
    )


def _download(root: Path) -> Path:
    from torchvision.datasets import FashionMNIST as TorchvisionFashionMNIST

    try:
        TorchvisionFashionMNIST(str(root), train=True, download=True)
        TorchvisionFashionMNIST(str(root), train=False, download=True)
    except Exception as error:  # network errors come in many types
        raise DataError(f"Downloading Fashion-MNIST into {root} failed: {error}\n{HOW_TO_GET_DATA}") from error
    return root / "FashionMNIST" / "raw"


def _read_bytes(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            raw = handle.read()
        return gzip.decompress(raw) if path.suffix == ".gz" else raw
    except (gzip.BadGzipFile, EOFError, OSError) as error:
        raise DataError(
            f"{path} cannot be read as {'gzip' if path.suffix == '.gz' else 'a file'} ({error}): it is "
            "truncated or damaged. Replace it with a fresh copy (see `fmnist data`)."
        ) from error


def parse_idx(content: bytes, expected_shape: tuple[int, ...], path: Path) -> torch.Tensor:
    """Parse an IDX file of unsigned bytes, checking its magic number and dimensions."""
    if len(content) < 4 or content[:2] != b"\x00\x00" or content[2] != IDX_UBYTE or content[3] != len(expected_shape):
        raise DataError(
            f"{path} is not an IDX file of {len(expected_shape)}-dimensional unsigned bytes: its magic number is "
            f"{content[:4].hex() or 'missing'}, expected 000008{len(expected_shape):02x}. Replace the file."
        )
    header_size = 4 + 4 * len(expected_shape)
    shape = tuple(int.from_bytes(content[4 + 4 * i: 8 + 4 * i], "big") for i in range(len(expected_shape)))
    if shape != expected_shape:
        raise DataError(f"{path} holds an array of shape {shape}, expected {expected_shape}. Replace the file.")
    if len(content) != header_size + torch.Size(shape).numel():
        raise DataError(
            f"{path} has {len(content) - header_size} data bytes, but its header announces "
            f"{torch.Size(shape).numel()}: the file is truncated or padded. Replace it."
        )
    return torch.frombuffer(bytearray(content[header_size:]), dtype=torch.uint8).reshape(shape)


def read_idx_file(folder: Path, name: str, *, verify: bool = True) -> torch.Tensor:
    """Read, parse and (optionally) verify one of the four files."""
    expected_sha, shape = IDX_FILES[name]
    path = _file_in(folder, name)
    if path is None:
        raise DataError(f"{folder} lacks {name} (with or without .gz).\n{HOW_TO_GET_DATA}")
    content = _read_bytes(path)
    array = parse_idx(content, shape, path)
    if "labels" in name and int(array.max()) >= NUM_CLASSES:
        raise DataError(f"{path} holds label {int(array.max())}; labels must be 0..{NUM_CLASSES - 1}. Replace the file.")
    if verify:
        actual_sha = hashlib.sha256(content).hexdigest()
        if actual_sha != expected_sha:
            raise DataError(
                f"{path} fails verification: SHA-256 of its decompressed content is {actual_sha}, "
                f"expected {expected_sha}. The file was altered or is another dataset; replace it."
            )
    return array


def load_fashion_mnist(folder: str | Path | None = None, *, download: bool = False, verify: bool = True) -> FashionMNIST:
    """Locate, read and verify the dataset (about 1 s; the arrays take 55 MB)."""
    found = locate_data(folder, download=download)
    arrays = {name: read_idx_file(found, name, verify=verify) for name in IDX_FILES}
    return FashionMNIST(
        train_images=arrays["train-images-idx3-ubyte"],
        train_labels=arrays["train-labels-idx1-ubyte"],
        test_images=arrays["t10k-images-idx3-ubyte"],
        test_labels=arrays["t10k-labels-idx1-ubyte"],
        folder=found,
        verified=verify,
    )


def split_indices(n_total: int, n_val: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The write-up's train/validation split of the official training set (its sizes and seed: `TrainConfig`).

    Same as `torch.utils.data.random_split(range(n_total), [n_total - n_val, n_val],
    generator=torch.Generator().manual_seed(seed))`: one seeded permutation, the
    first part for training, the rest for validation.
    """
    order = torch.randperm(n_total, generator=torch.Generator().manual_seed(seed))
    return order[: n_total - n_val], order[n_total - n_val:]


def fold_partition(index: torch.Tensor, folds: int, fold: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(kept, held out): `index` cut into `folds` consecutive parts, part `fold` held out.

    Consecutive parts of the already shuffled training split are random folds;
    their sizes differ by at most one (torch.tensor_split).
    """
    parts = torch.tensor_split(index, folds)
    kept = torch.cat([part for number, part in enumerate(parts) if number != fold])
    return kept, parts[fold]


def pixel_stats(images: torch.Tensor) -> tuple[float, float]:
    """Mean and standard deviation of the pixels scaled to [0, 1] (one channel)."""
    pixels = images.to(torch.float64).div(255)
    return float(pixels.mean()), float(pixels.std())
