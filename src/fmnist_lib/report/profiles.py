"""Report profiles: how long each model trains, in one place for the CLI, the notebooks and the tests
(`run_plans.py` turns a profile into the runs each page reads).

`full` is the write-up's protocol for every model (meant for a GPU). `cpu` keeps the
custom CNN, the write-up's main subject, at the full protocol and shortens the large
models to fit a 2-core machine. `smoke` exists for tests: every section runs, in minutes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from ..data import writeup
from ..data.augmentation import POLICY_NAMES
from ..errors import ConfigError
from ..training.config import PROTOCOL, PROTOCOL_BUDGET, TrainConfig, fast_precision
from ..training.models import MODEL_NAMES, check_model_name

LARGE_MODELS = ("vgg16", "vgg19", "resnet18")
# The write-up's budgets: its protocol's epochs and images (`TrainConfig`), and its augmented model's epochs.
EPOCHS, IMAGES, VAL_IMAGES = PROTOCOL.epochs, PROTOCOL.n_train, PROTOCOL.val_size
WRITEUP_STUDY_EPOCHS = (EPOCHS, writeup.AUGMENTED_EPOCHS.value)


def seed_range(n: int) -> tuple[int, ...]:
    """n consecutive seeds, the write-up's first (56, 57, ...)."""
    return tuple(range(PROTOCOL.seed, PROTOCOL.seed + n))


@dataclass(frozen=True)
class Profile:
    """Training budget per model; `note` says how it departs from the write-up's protocol."""

    name: str
    note: str
    epochs: dict[str, int]
    train_subset: dict[str, int | None] = field(default_factory=dict)
    explain_images: int | None = None  # test images used for whole-test-set CAM statistics (None = all)
    # Stress-test pages, per model (a model not named uses every image): corrupted test images, the
    # severities swept, validation images for fitting a temperature, test images for saliency checks.
    stress_images: dict[str, int] = field(default_factory=dict)
    stress_severities: tuple[int, ...] = (1, 2, 3, 4, 5)
    calibration_images: dict[str, int] = field(default_factory=dict)
    saliency_images: dict[str, int] = field(default_factory=lambda: {name: 200 for name in MODEL_NAMES})
    val_size: int | None = None  # None: the write-up's 10,000 validation images
    val_subset: dict[str, int] = field(default_factory=dict)  # validation images checked after each epoch, per model
    test_subset: int | None = None  # test images every run is evaluated on and every page reads (None: all)
    precision: str | None = None  # None: TrainConfig's auto; "fast": bf16 where the hardware runs it fast
    seeds: tuple[int, ...] = seed_range(1)  # seeds of multi-seed results (mean +- sd); the first is the write-up's
    # Statistics page. Models whose headline numbers are given over every seed; the augmentation study's two
    # matched budgets (epochs) and its training images (None: the model's own in this profile); the folds of
    # the training-set label audit (None: skipped); and, in words, how the study departs from the write-up.
    seed_models: tuple[str, ...] = ("custom_cnn",)
    study_epochs: tuple[int, int] = WRITEUP_STUDY_EPOCHS
    study_subset: int | None = None
    study_val_subset: int | None = None  # validation images checked after each study epoch (None: all)
    audit_folds: int | None = None
    # Reproducibility page: the training repeated from scratch, every time the page runs, to measure
    # run-to-run differences on the device at hand (TrainConfig fields; "model" names the model).
    repeat_check: dict = field(default_factory=lambda: {"model": "custom_cnn", "epochs": 1, "train_subset": 2_000,
                                                        "val_subset": 1_000})
    repeat_test_images: int | None = 2_000  # test images whose logits the two trainings compare (None: all)
    study_note: str = ("the augmentation study trains the custom CNN with and without augmentation for "
                       f"{EPOCHS} and {WRITEUP_STUDY_EPOCHS[1]} epochs on all {IMAGES:,} training images, once per "
                       "seed")
    # Augmentation page: the policies it compares when the page's `policies` parameter is None (none and
    # flip_rotate always: they are the page's own two runs), and how many of the profile's seeds each trains.
    policies: tuple[str, ...] = POLICY_NAMES
    policy_seeds: int = 5
    # Claims page: whether the profile trains the forensic twins of the custom CNN's headline seed runs (an fp32
    # twin, a twin with other normalisation constants) that test two explanations of a discrepancy.
    forensics: bool = False

    def repeat_config(self, device: str | None = None) -> TrainConfig:
        """The config the reproducibility page trains twice (`repeat_check`), on `device` (None: auto)."""
        changes = {name: value for name, value in self.repeat_check.items() if name != "model"}
        return self.config(self.repeat_check["model"], device=device, **changes)

    def config(self, model: str, **changes) -> TrainConfig:
        """The TrainConfig of `model` under this profile; `changes` (epochs, seed, ...) win when not None."""
        check_model_name(model)
        values = {"model": model, "epochs": self.epochs[model], "train_subset": self.train_subset.get(model),
                  "val_size": self.val_size, "val_subset": self.val_subset.get(model), "test_subset": self.test_subset,
                  "precision": _precision(self.precision)}
        values.update({name: value for name, value in changes.items() if value is not None})
        return TrainConfig.from_dict({name: value for name, value in values.items() if value is not None})


PROFILES = {
    "full": Profile(
        name="full",
        note=f"the write-up's protocol for every model: {PROTOCOL_BUDGET}",
        epochs={name: EPOCHS for name in MODEL_NAMES},
        seeds=seed_range(5),
        seed_models=MODEL_NAMES,
        audit_folds=5,
        policy_seeds=5,
        forensics=True,
        repeat_check={"model": "custom_cnn", "epochs": 2},
        repeat_test_images=None,
        study_note=("the augmentation study trains the custom CNN with and without augmentation for "
                    f"{EPOCHS} and {WRITEUP_STUDY_EPOCHS[1]} epochs on all {IMAGES:,} training images, 5 seeds per "
                    f"arm; its {EPOCHS}-epoch baseline arm is the custom CNN's headline runs; every model's headline "
                    "numbers are given over the 5 seeds, and the training-set label audit uses 5-fold "
                    "cross-validation"),
    ),
    "cpu": Profile(
        name="cpu",
        note=(f"the custom CNN at the write-up's protocol ({PROTOCOL_BUDGET}), 3 seeds with and 3 without "
              "augmentation; VGG-16, VGG-19 and "
              "ResNet-18 for 2 epochs on 10,000 images, each checked after every epoch on 2,000 of the "
              f"{VAL_IMAGES:,} validation images, so their numbers show where short training gets them, not converged accuracy; "
              "on a CPU with bfloat16 instructions every model trains with bfloat16 "
              "autocast, which roughly halves the custom CNN's time (the runs table of the reproducibility page "
              "shows the precision used)"),
        epochs={"custom_cnn": EPOCHS, **{name: 2 for name in LARGE_MODELS}},
        train_subset={name: 10_000 for name in LARGE_MODELS},
        val_subset={name: 2_000 for name in LARGE_MODELS},  # enough for their curves and a temperature (500 used)
        precision="fast",
        stress_images={"custom_cnn": 600, **{name: 50 for name in LARGE_MODELS}},
        calibration_images={"custom_cnn": 2_000, **{name: 500 for name in LARGE_MODELS}},
        saliency_images={"custom_cnn": 64, **{name: 16 for name in LARGE_MODELS}},
        seeds=seed_range(3),
        study_epochs=(5, 10),
        study_subset=5_000,
        study_val_subset=1_000,
        policies=("none", "flip_rotate"),  # the others only when asked (-p policies=[...]), one seed each
        policy_seeds=1,
        study_note=("the custom CNN is trained at the write-up's protocol with and without augmentation, 3 seeds "
                    "per arm, and every seed spread, persistence count and label check reads those runs; the "
                    "augmentation study's two budgets are shortened to a third of the write-up's epochs, 5 and 10 "
                    f"instead of {EPOCHS} and {WRITEUP_STUDY_EPOCHS[1]}, on 5,000 of the {IMAGES:,} training images, "
                    f"3 seeds per arm, each run checked after every epoch on 1,000 of the {VAL_IMAGES:,} validation "
                    "images (this page reads only test numbers): it asks only whether more epochs change what "
                    "augmentation costs; the other models have one run each; the training-set label audit (k-fold "
                    "cross-validation, k more trainings) is skipped"),
    ),
    "smoke": Profile(
        name="smoke",
        note=("a test run: every model 1 epoch on 1,000 images (the custom CNN on 2,000), validated on 1,000 and "
              "tested on the first 2,000 test images; the numbers only show that every section runs"),
        epochs={name: 1 for name in MODEL_NAMES},
        train_subset={"custom_cnn": 2_000, **{name: 1_000 for name in LARGE_MODELS}},
        explain_images=500,
        val_size=1_000,
        test_subset=2_000,
        stress_images={"custom_cnn": 50, **{name: 8 for name in LARGE_MODELS}},
        stress_severities=(1, 5),
        calibration_images={name: 300 for name in MODEL_NAMES},
        saliency_images={"custom_cnn": 12, **{name: 4 for name in LARGE_MODELS}},
        seeds=seed_range(2),
        study_epochs=(1, 2),  # on the custom CNN's 2,000 images: its 1-epoch arms are the seed runs themselves
        audit_folds=2,
        policy_seeds=2,
        study_note=("the augmentation study trains 1 and 2 epochs on the custom CNN's 2,000 images, 2 seeds per "
                    "arm (its 1-epoch arms are the headline seed runs), and the training-set label audit uses 2 "
                    "folds: enough to run every step, too little to mean anything"),
    ),
}


def _precision(choice: str | None) -> str | None:
    """'fast' -> `fast_precision()`; other choices unchanged."""
    return fast_precision() if choice == "fast" else choice


def get_profile(name: str) -> Profile:
    """The named profile, or a ConfigError listing those that exist."""
    if name not in PROFILES:
        raise ConfigError(f"Unknown profile {name!r}. Choose one of: {', '.join(PROFILES)}.")
    return PROFILES[name]


def default_profile() -> str:
    """`full` where a CUDA GPU is present, `cpu` elsewhere."""
    return "full" if torch.cuda.is_available() else "cpu"
