"""What determines a training run: one frozen dataclass, validated on creation, and the device and
precision it runs with (`resolve_device`, `fast_precision`).

Defaults are the write-up's protocol (see shared NUMBERS.md): SGD 0.01 with
momentum 0.9 and weight decay 5e-4, cosine annealing with T_max 50 stepped per
epoch, batch 128, 15 epochs, seed 56, a 50,000 / 10,000 split of the training set,
and normalisation with the write-up's constants, mean 0.2860 and std 0.3530.
They are the protocol's one definition: everything else reads `PROTOCOL` (a
default TrainConfig) and `PROTOCOL_BUDGET`, its budget in words.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, fields

import torch

from ..data.fashion_mnist import IDX_FILES, N_TEST
from ..data.augmentation import policy_name, training_phrase
from ..errors import ConfigError
from .models import check_model_name

DEVICES = ("auto", "cpu", "cuda", "mps")
PRECISIONS = ("auto", "fp32", "bf16")
N_TRAIN_TOTAL = IDX_FILES["train-labels-idx1-ubyte"][1][0]  # the official training images
# The write-up's normalisation: the pixel mean and standard deviation of all 60,000 official training images
# (scaled to [0, 1]), rounded to 4 digits. A reproduction uses its constants as they are rather than
# recomputing them from the 50,000-image training split (0.28571, 0.35286), which moves a few test predictions.
WRITEUP_MEAN, WRITEUP_STD = 0.2860, 0.3530
# Upper bounds that catch a typo (an extra zero) before it runs for hours or until memory runs out.
MAX_EPOCHS = 1_000  # far past the write-up's protocol and the cosine schedule's T_max
# The largest value of each seed, set by the generators it reaches: a run's `seed` also seeds its pages' analyses,
# among them NumPy's legacy global generator (grad-cam's RandomCAM baseline, `analysis.explain`), which needs a
# seed below 2**32; `split_seed` reaches only torch's generators, which take seeds below 2**64.
MAX_SEEDS = {"seed": (2 ** 32 - 1, "the pages seed NumPy's legacy generator with it, which takes no larger seed"),
             "split_seed": (2 ** 64 - 1, "torch's generators take no larger seed")}


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides what a run computes. Device and precision are resolved before hashing."""

    model: str = "custom_cnn"
    epochs: int = 15
    batch_size: int = 128
    lr: float = 0.01
    momentum: float = 0.9
    weight_decay: float = 5e-4
    cosine_t_max: int = 50  # the write-up's T_max: over 15 epochs the rate falls only part of the way
    seed: int = 56  # initialisation, data order, augmentation
    split_seed: int = 56  # the train/validation split (the write-up's unless changed)
    val_size: int = 10_000
    val_subset: int | None = None  # validate after each epoch on only the first N validation images (None: all)
    train_subset: int | None = None  # use only the first N images of the shuffled training split
    test_subset: int | None = None  # evaluate on only the first N test images (None: all; the smoke profile, tests)
    augment: str = "none"  # the augmentation policy of the training images (data.augmentation.POLICY_NAMES)
    folds: int | None = None  # k-fold cross-validation: the training split (after train_subset) cut into k parts
    fold: int | None = None  # with folds: the part held out (0..folds-1); the model trains on the others
    mean: float = WRITEUP_MEAN  # the model's first layer computes (x - mean) / std on pixels in [0, 1]
    std: float = WRITEUP_STD
    device: str = "auto"  # auto = CUDA, then MPS, then CPU
    precision: str = "auto"  # auto = bf16 autocast on CUDA, fp32 elsewhere

    def __post_init__(self):
        check_model_name(self.model)
        for name in ("epochs", "batch_size", "cosine_t_max", "val_size"):
            _check_positive_int(name, getattr(self, name))
        for name, (largest, why) in MAX_SEEDS.items():
            value = getattr(self, name)
            if not _is_int(value) or not 0 <= value <= largest:
                raise ConfigError(f"{name} must be a whole number from 0 to {largest:,} ({why}), got {value!r}.")
        if self.epochs > MAX_EPOCHS:
            raise ConfigError(f"epochs must be at most {MAX_EPOCHS:,}, got {self.epochs:,}: the write-up trains "
                              f"{TrainConfig.epochs}, and past cosine_t_max ({self.cosine_t_max}) epochs the cosine "
                              "schedule raises the learning rate again. Check for a typo (an extra zero).")
        if self.val_size >= N_TRAIN_TOTAL:
            raise ConfigError(f"val_size must be below {N_TRAIN_TOTAL:,}, got {self.val_size!r}.")
        if self.batch_size > self.n_train_available:
            raise ConfigError(f"batch_size must be at most the {self.n_train_available:,} images of the training "
                              f"split, got {self.batch_size:,}: one batch of all of them is already full-batch "
                              f"training (the write-up's batch is {TrainConfig.batch_size}).")
        if self.train_subset is not None:
            _check_positive_int("train_subset", self.train_subset)
            if self.train_subset > self.n_train_available:
                raise ConfigError(
                    f"train_subset {self.train_subset:,} exceeds the {self.n_train_available:,} training images "
                    "of the split; use a smaller number or leave it out for all of them."
                )
        if self.test_subset is not None:
            _check_positive_int("test_subset", self.test_subset)
            if self.test_subset > N_TEST:
                raise ConfigError(f"test_subset {self.test_subset:,} exceeds the {N_TEST:,} test images; use a smaller "
                                  "number or leave it out for all of them.")
        if self.val_subset is not None:
            _check_positive_int("val_subset", self.val_subset)
            if self.val_subset > self.val_size:
                raise ConfigError(f"val_subset {self.val_subset:,} exceeds the {self.val_size:,} validation images; "
                                  "use a smaller number or leave it out for all of them.")
        self._check_folds()
        for name in ("lr", "momentum", "weight_decay", "std"):
            value = getattr(self, name)
            positive = name in ("lr", "std")
            if not _is_finite(value) or value < 0 or (positive and value == 0):
                raise ConfigError(f"{name} must be a {'positive' if positive else 'non-negative'} finite number, "
                                  f"got {value!r}.")
        if not _is_finite(self.mean):
            raise ConfigError(f"mean must be a finite number, got {self.mean!r}.")
        # The old yes/no switch (`augment: true` in configs written before policies had names) reads as the policy
        # it meant; such runs were keyed by the switch, so they are trained again under the name, never reused.
        object.__setattr__(self, "augment", policy_name(self.augment))
        if self.device not in DEVICES:
            raise ConfigError(f"Unknown device {self.device!r}. Choose one of: {', '.join(DEVICES)}.")
        if self.precision not in PRECISIONS:
            raise ConfigError(f"Unknown precision {self.precision!r}. Choose one of: {', '.join(PRECISIONS)}.")

    def _check_folds(self) -> None:
        if (self.folds is None) != (self.fold is None):
            raise ConfigError("folds and fold go together: give both (cross-validation) or neither.")
        if self.folds is None:
            return
        pool = self.train_subset or self.n_train_available
        if not _is_int(self.folds) or not 2 <= self.folds <= pool:
            raise ConfigError(f"folds must be a whole number from 2 to {pool:,} (the training images), got {self.folds!r}.")
        if not _is_int(self.fold) or not 0 <= self.fold < self.folds:
            raise ConfigError(f"fold must be a whole number from 0 to {self.folds - 1}, got {self.fold!r}.")

    @property
    def augmented(self) -> bool:
        """Whether the training images are augmented (any policy but `none`)."""
        return self.augment != "none"

    @property
    def n_train_available(self) -> int:
        return N_TRAIN_TOTAL - self.val_size

    @property
    def n_train(self) -> int:
        """Images the model trains on: the split (or its subset) less a held-out fold, if any."""
        pool = self.train_subset or self.n_train_available
        if self.folds is None:
            return pool
        held_out = pool // self.folds + (self.fold < pool % self.folds)  # torch.tensor_split's part sizes
        return pool - held_out

    @classmethod
    def from_dict(cls, values: dict) -> "TrainConfig":
        """Build from plain values (a notebook's parameters, JSON); unknown names are an error. An old
        `augment: true/false` reads as `flip_rotate`/`none` (see `__post_init__`)."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"Unknown training parameter(s) {', '.join(unknown)}. Valid: {', '.join(sorted(known))}.")
        return cls(**values)

    def to_dict(self) -> dict:
        """Every field as a plain value (what the cache key hashes, after `resolved`)."""
        return dataclasses.asdict(self)

    def resolved(self) -> "TrainConfig":
        """The same config with device and precision made concrete (what the cache key hashes)."""
        device = resolve_device(self.device)
        precision = self.precision
        if precision == "auto":
            precision = "bf16" if device.type == "cuda" else "fp32"
        return dataclasses.replace(self, device=device.type, precision=precision)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_finite(value) -> bool:
    """A real number that is neither NaN nor infinite (an SGD step with either ruins every weight)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check_positive_int(name: str, value) -> None:
    if not _is_int(value) or value <= 0:
        raise ConfigError(f"{name} must be a whole number >= 1, got {value!r}.")


PROTOCOL = TrainConfig()  # the write-up's protocol: every default above


def epochs_text(epochs: int) -> str:
    """'5 epochs', '1 epoch'."""
    return f"{epochs} epoch{'' if epochs == 1 else 's'}"


def budget_text(epochs: int, images: int, augment: str | bool = "none") -> str:
    """A training budget in words: '15 epochs on 50,000 images' (', augmented' for flip + rotation, or the
    policy: ', augmented with AugMix')."""
    return f"{epochs_text(epochs)} on {images:,} images" + training_phrase(policy_name(augment))


PROTOCOL_BUDGET = budget_text(PROTOCOL.epochs, PROTOCOL.n_train)  # '15 epochs on 50,000 images'


def resolve_device(name: str = "auto") -> torch.device:
    """'auto' picks CUDA, then MPS, then CPU; asking for a device that is absent is an error."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device 'cuda' was requested but no CUDA GPU is available here; use --device cpu or auto.")
    if name == "mps" and not torch.backends.mps.is_available():
        raise ConfigError("device 'mps' was requested but Apple's MPS is not available here; use --device cpu or auto.")
    if name not in DEVICES:
        raise ConfigError(f"Unknown device {name!r}. Choose one of: {', '.join(DEVICES)}.")
    return torch.device(name)


def fast_precision(device_type: str | None = None) -> str:
    """The precision that trains fastest at no cost in accuracy: bf16 autocast on CUDA and on a CPU with
    native bfloat16 instructions, fp32 elsewhere.

    Measured with benchmarks/train_throughput.py on a 2-core AMD EPYC with AVX512-BF16: bf16 speeds up
    the custom CNN, VGG-16 and ResNet-18 alike (book/docs/performance.md); on a CPU that emulates bf16 it
    would slow every model down, hence the hardware check.
    """
    device_type = device_type or ("cuda" if torch.cuda.is_available() else "cpu")
    if device_type == "cuda":
        return "bf16"
    return "bf16" if device_type == "cpu" and torch.ops.mkldnn._is_mkldnn_bf16_supported() else "fp32"
