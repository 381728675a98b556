"""Report profiles: how long each model trains, in one place for the CLI, the notebooks and the tests.

`full` is the write-up's protocol for every model (meant for a GPU). `cpu` keeps the
custom CNN, the write-up's main subject, at the full protocol and shortens the large
models to fit a 2-core machine. `smoke` exists for tests: every section runs, in minutes.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import torch

from .config import TrainConfig
from .errors import ConfigError
from .models import MODEL_NAMES, check_model_name

LARGE_MODELS = ("vgg16", "vgg19", "resnet18")


@dataclass(frozen=True)
class Profile:
    """Training budget per model; `note` says how it departs from the write-up's protocol."""

    name: str
    note: str
    epochs: dict[str, int]
    train_subset: dict[str, int | None] = field(default_factory=dict)
    explain_images: int | None = None  # test images used for whole-test-set CAM statistics (None = all)
    val_size: int | None = None  # None: the write-up's 10,000 validation images
    precision: str | None = None  # None: TrainConfig's auto; "fast": bf16 where the hardware runs it fast

    def config(self, model: str, **changes) -> TrainConfig:
        """The TrainConfig of `model` under this profile; `changes` (epochs, seed, ...) win when not None."""
        check_model_name(model)
        values = {"model": model, "epochs": self.epochs[model], "train_subset": self.train_subset.get(model),
                  "val_size": self.val_size, "precision": _precision(self.precision)}
        values.update({name: value for name, value in changes.items() if value is not None})
        return TrainConfig.from_dict({name: value for name, value in values.items() if value is not None})


PROFILES = {
    "full": Profile(
        name="full",
        note="the write-up's protocol for every model: 15 epochs on all 50,000 training images",
        epochs={name: 15 for name in MODEL_NAMES},
    ),
    "cpu": Profile(
        name="cpu",
        note=("the custom CNN at the write-up's protocol (15 epochs on 50,000 images); VGG-16, VGG-19 and "
              "ResNet-18 for 2 epochs on 10,000 images, so their numbers show where short training gets them, "
              "not converged accuracy; on a CPU with bfloat16 instructions every model trains with bfloat16 "
              "autocast, which roughly halves the custom CNN's time (the runs table of the reproducibility page "
              "shows the precision used)"),
        epochs={"custom_cnn": 15, **{name: 2 for name in LARGE_MODELS}},
        train_subset={name: 10_000 for name in LARGE_MODELS},
        precision="fast",
    ),
    "smoke": Profile(
        name="smoke",
        note=("a test run: every model 1 epoch on 1,000 images (the custom CNN on 2,000), validated on 1,000; "
              "the numbers only show that every section runs"),
        epochs={name: 1 for name in MODEL_NAMES},
        train_subset={"custom_cnn": 2_000, **{name: 1_000 for name in LARGE_MODELS}},
        explain_images=500,
        val_size=1_000,
    ),
}


def _precision(choice: str | None) -> str | None:
    """'fast' -> 'bf16' on CUDA or on a CPU with native bfloat16 support, else 'fp32'; others unchanged."""
    if choice != "fast":
        return choice
    fast = torch.cuda.is_available() or torch.ops.mkldnn._is_mkldnn_bf16_supported()
    return "bf16" if fast else "fp32"


def get_profile(name: str) -> Profile:
    """The named profile, or a ConfigError listing those that exist."""
    if name not in PROFILES:
        raise ConfigError(f"Unknown profile {name!r}. Choose one of: {', '.join(PROFILES)}.")
    return PROFILES[name]


def default_profile() -> str:
    """`full` where a CUDA GPU is present, `cpu` elsewhere."""
    return "full" if torch.cuda.is_available() else "cpu"


def augmented(config: TrainConfig) -> TrainConfig:
    """The same run with the write-up's flip + rotation augmentation."""
    return dataclasses.replace(config, augment=True)


def baseline_configs(profile: str, models: list[str], *, epochs: int | None = None, train_subset: int | None = None,
                     seed: int | None = None, device: str | None = None) -> dict[str, TrainConfig]:
    """The baseline run of each model under a profile (the baselines section and everything built on it)."""
    chosen = get_profile(profile)
    return {model: chosen.config(model, epochs=epochs, train_subset=train_subset, seed=seed, device=device)
            for model in models}


def augmentation_configs(profile: str, model: str, *, epochs: int | None = None, seed: int | None = None,
                         device: str | None = None) -> tuple[TrainConfig, TrainConfig]:
    """(baseline, augmented): the same model, protocol and budget, with and without flip + rotation."""
    baseline = get_profile(profile).config(model, epochs=epochs, seed=seed, device=device)
    return baseline, augmented(baseline)
