"""The dataset: located, verified, parsed and split as documented; damage is named, not hidden."""

import gzip
import shutil

import pytest
import torch

from fmnist_lib.data import fashion_mnist as fdata
from fmnist_lib.data.fashion_mnist import CLASS_NAMES, IDX_FILES, load_fashion_mnist, pixel_stats, split_indices
from fmnist_lib.errors import DataError


def test_shapes_types_and_class_balance(fmnist):
    assert fmnist.train_images.shape == (60_000, 28, 28) and fmnist.train_images.dtype == torch.uint8
    assert fmnist.test_images.shape == (10_000, 28, 28) and fmnist.test_labels.dtype == torch.uint8
    assert torch.bincount(fmnist.train_labels.long()).tolist() == [6_000] * 10
    assert torch.bincount(fmnist.test_labels.long()).tolist() == [1_000] * 10
    assert fmnist.verified
    assert len(CLASS_NAMES) == 10 and CLASS_NAMES[0] == "T-shirt/top" and CLASS_NAMES[9] == "Ankle boot"


def test_known_pixels(fmnist):
    # The first training image is an ankle boot (label 9) in upstream's files.
    assert int(fmnist.train_labels[0]) == 9
    assert int(fmnist.train_images[0].sum()) > 0 and int(fmnist.train_images[0, 0, 0]) == 0


@pytest.fixture
def data_copy(tmp_path, fmnist):
    """The four files copied, decompressed and recompressed, into a temporary folder."""
    folder = tmp_path / "copy"
    folder.mkdir()
    for name in IDX_FILES:
        source = fdata._file_in(fmnist.folder, name)
        shutil.copy(source, folder / source.name)
    return folder


def _rewrite(folder, name, change):
    """Decompress one file, apply `change` to its bytes, write it back uncompressed."""
    path = fdata._file_in(folder, name)
    content = bytearray(gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes())
    path.unlink()
    (folder / name).write_bytes(bytes(change(content)))


def test_explicit_folder_and_uncompressed_files(data_copy):
    _rewrite(data_copy, "t10k-labels-idx1-ubyte", lambda content: content)  # same bytes, no .gz
    loaded = load_fashion_mnist(data_copy)
    assert loaded.folder == data_copy and loaded.test_labels.shape == (10_000,)


def test_environment_variable_and_torchvision_layout(tmp_path, data_copy, monkeypatch):
    raw = tmp_path / "tv" / "FashionMNIST" / "raw"
    shutil.copytree(data_copy, raw)
    monkeypatch.setenv(fdata.DATA_ENV, str(tmp_path / "tv"))
    assert fdata.locate_data() == raw


def test_explicit_argument_beats_environment(tmp_path, data_copy, monkeypatch):
    monkeypatch.setenv(fdata.DATA_ENV, str(tmp_path / "nowhere"))
    assert fdata.locate_data(data_copy) == data_copy


def test_tampered_file_names_file_and_hashes(data_copy):
    def flip_a_pixel(content):
        content[5000] ^= 0xFF
        return content

    _rewrite(data_copy, "train-images-idx3-ubyte", flip_a_pixel)
    with pytest.raises(DataError, match="train-images-idx3-ubyte fails verification") as raised:
        load_fashion_mnist(data_copy)
    assert IDX_FILES["train-images-idx3-ubyte"][0] in str(raised.value)


def test_missing_folder_says_how_to_get_data(tmp_path):
    with pytest.raises(DataError, match="does not exist") as raised:
        load_fashion_mnist(tmp_path / "absent")
    assert "apt-get install dataset-fashion-mnist" in str(raised.value)
    assert "--download" in str(raised.value)


def test_missing_file_is_named(data_copy):
    fdata._file_in(data_copy, "t10k-images-idx3-ubyte").unlink()
    with pytest.raises(DataError, match="lacks t10k-images-idx3-ubyte"):
        load_fashion_mnist(data_copy)


def test_nothing_found_without_download(tmp_path, monkeypatch):
    monkeypatch.delenv(fdata.DATA_ENV, raising=False)
    monkeypatch.setattr(fdata, "DEBIAN_DIR", tmp_path / "no-debian")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "no-cache"))
    with pytest.raises(DataError, match="was not found"):
        fdata.locate_data()


def test_truncated_gzip(data_copy):
    path = fdata._file_in(data_copy, "train-labels-idx1-ubyte")
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(DataError, match="train-labels-idx1-ubyte.gz cannot be read as gzip"):
        load_fashion_mnist(data_copy)


def test_not_gzip(data_copy):
    path = fdata._file_in(data_copy, "train-labels-idx1-ubyte")
    path.write_bytes(b"this is not gzip at all")
    with pytest.raises(DataError, match="cannot be read as gzip"):
        load_fashion_mnist(data_copy)


@pytest.mark.parametrize("change, message", [
    (lambda c: c[:3] + b"\x09" + c[4:], "magic number"),  # 3 -> 9 dimensions claimed
    (lambda c: c[:4] + (59_999).to_bytes(4, "big") + c[8:], "shape"),
    (lambda c: c[:-100], "truncated or padded"),
])
def test_bad_idx_headers(data_copy, change, message):
    _rewrite(data_copy, "train-images-idx3-ubyte", change)
    with pytest.raises(DataError, match=message):
        load_fashion_mnist(data_copy)


def test_label_out_of_range(data_copy):
    def bad_label(content):
        content[8] = 12
        return content

    _rewrite(data_copy, "t10k-labels-idx1-ubyte", bad_label)
    with pytest.raises(DataError, match="label 12"):
        load_fashion_mnist(data_copy)


def test_split_sizes_disjoint_deterministic():
    train, val = split_indices(60_000, 10_000, seed=56)
    assert len(train) == 50_000 and len(val) == 10_000
    assert len(set(train.tolist()) | set(val.tolist())) == 60_000
    again_train, again_val = split_indices(60_000, 10_000, seed=56)
    assert torch.equal(train, again_train) and torch.equal(val, again_val)
    other_train, _ = split_indices(60_000, 10_000, seed=57)
    assert not torch.equal(train, other_train)


def test_split_equals_random_split():
    from torch.utils.data import random_split

    subsets = random_split(range(60_000), [50_000, 10_000], generator=torch.Generator().manual_seed(56))
    train, val = split_indices(60_000, 10_000, seed=56)
    assert subsets[0].indices == train.tolist() and subsets[1].indices == val.tolist()


def test_the_write_ups_normalisation_constants_are_all_training_images_statistics(fmnist):
    """0.2860 and 0.3530 are the statistics of all 60,000 training images, which the models use; the 50,000 of
    the training split give other values (hence constants in the config, not statistics of the split)."""
    from fmnist_lib.training.config import TrainConfig

    mean, std = pixel_stats(fmnist.train_images)
    assert (round(mean, 4), round(std, 4)) == (TrainConfig().mean, TrainConfig().std) == (0.2860, 0.3530)
    protocol = TrainConfig()
    train, _ = split_indices(len(fmnist.train_images), protocol.val_size, protocol.split_seed)
    split_mean, split_std = pixel_stats(fmnist.train_images[train])
    assert (round(split_mean, 4), round(split_std, 4)) == (0.2857, 0.3529)
