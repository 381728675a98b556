"""The section registry: every page of the report, in reading order, in one place.

A section is a page: its name (also its glue prefix, `<name>_`), its notebook, its title, its reading
position (its place in SECTIONS, the number its notebook file starts with), the parameters its notebook
takes (each checked by its rule in `parameters.PARAMETER_CHECKS`), the rules it states about several of them
together (`rules`), and the training runs it reads (`runs`: the one place that says which runs a page needs,
used by `fmnist report`, `fmnist sweep` and the page's own opening call alike). `_toc.yml`
and the reading list of `book/intro.md` follow SECTIONS; tests/test_sections.py fails when they disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError
from ..training.config import TrainConfig
from ..training.models import MODEL_NAMES
from .execute import project_root
from .parameters import PARAMETER_CHECKS, Rule, models_include, notebook_defaults
from .profiles import get_profile
from .run_plans import (STUDY_MODEL, audit_configs, augmentation_configs, augmented_seed_configs, baseline_configs,
                        forensic_configs, headline_seed_configs, matched_configs, persistence_configs, policy_configs,
                        seeds_at_headline_budget, study_configs)


@dataclass(frozen=True)
class Section:
    """One page. `runs` maps its parameters to the runs it reads, named: {name: config, [configs] or {...}}."""

    name: str
    notebook: str
    title: str
    parameters: tuple[str, ...]  # the names of its parameters cell, in order
    runs: Callable[[dict], dict]
    rules: tuple[Rule, ...] = field(default=())  # what the page requires of several values together

    @property
    def position(self) -> int:
        """1 for the first page read, 2 for the next, ..."""
        return SECTIONS.index(self) + 1

    @property
    def glue_prefix(self) -> str:
        return f"{self.name}_"

    def configs(self, parameters: dict) -> list[TrainConfig]:
        """Every run the page reads, in the order of `runs`, flattened."""
        return _flatten(self.runs(parameters))

    def check(self, values: dict) -> dict:
        """Validate the page's parameter values, each and then by the page's rules, before any work; returns
        them unchanged."""
        for name, value in values.items():
            if name not in self.parameters:
                raise ConfigError(f"Section {self.name} has no parameter {name!r}.")
            PARAMETER_CHECKS[name](name, value)
        for rule in self.rules:
            rule.check(self.name, values)
        return values


def _flatten(runs) -> list[TrainConfig]:
    if isinstance(runs, TrainConfig):
        return [runs]
    values = runs.values() if isinstance(runs, dict) else runs
    return [config for value in values for config in _flatten(value)]


def _baselines(p: dict) -> dict[str, TrainConfig]:
    """Each model's baseline run: {model: config}."""
    return baseline_configs(p["profile"], p["models"], epochs=p.get("epochs"), train_subset=p.get("train_subset"),
                            seed=p.get("seed"), device=p.get("device"))


def _baselines_page(p: dict) -> dict:
    """Each model's baseline run, and every model at one (the shortest) budget for ranking them."""
    matched = matched_configs(p["profile"], p["models"], epochs=p.get("epochs"), train_subset=p.get("train_subset"),
                              seed=p.get("seed"), device=p.get("device"))
    return {"headline": _baselines(p), "matched": matched}


def _claims(p: dict) -> dict:
    """What the write-up's claims are checked on: every model's headline run, the seed runs at the headline
    budget, the custom CNN trained with augmentation (one run per seed, paired with its seed runs), the
    augmentation study, and the custom CNN under each compared augmentation policy (the augmentation page's
    policy runs)."""
    profile, seed, device = p["profile"], p.get("seed"), p.get("device")
    seeds = {model: headline_seed_configs(profile, model, seed=seed, device=device)
             for model in get_profile(profile).seed_models if seeds_at_headline_budget(profile, model, device=device)}
    return {"headline": baseline_configs(profile, list(MODEL_NAMES), seed=seed, device=device), "seeds": seeds,
            "augmented": augmentation_configs(profile, STUDY_MODEL, seed=seed, device=device)[1],
            "augmented_seeds": augmented_seed_configs(profile, STUDY_MODEL, seed=seed, device=device),
            "forensics": forensic_configs(profile, STUDY_MODEL, seed=seed, device=device),
            "study": study_configs(profile, seed=seed, device=device),
            "policies": policy_configs(profile, STUDY_MODEL, p.get("policies"), seed=seed, device=device)}


def _one_model(p: dict) -> dict:
    return {"run": baseline_configs(p["profile"], [p["model"]], seed=p.get("seed"), device=p.get("device"))[p["model"]]}


def _failures(p: dict) -> dict:
    """The model's headline run and the seed runs that say which of its failures persist."""
    return {**_one_model(p), "seeds": persistence_configs(p["profile"], p["model"], seed=p.get("seed"),
                                                          device=p.get("device"))}


def _augmentation(p: dict) -> dict:
    """The model with and without flip + rotation, and under every compared policy, one run per seed each."""
    baseline, augmented = augmentation_configs(p["profile"], p["model"], epochs=p.get("epochs"), seed=p.get("seed"),
                                               device=p.get("device"))
    policies = policy_configs(p["profile"], p["model"], p.get("policies"), epochs=p.get("epochs"), seed=p.get("seed"),
                              device=p.get("device"))
    return {"baseline": baseline, "augmented": augmented, "policies": policies}


def _robustness(p: dict) -> dict:
    """The baselines of `models` and the custom CNN trained with augmentation (the augmentation page's run)."""
    augmented = augmentation_configs(p["profile"], "custom_cnn", seed=p.get("seed"), device=p.get("device"))[1]
    return {"baselines": _baselines(p), "augmented": augmented}


def _statistics(p: dict) -> dict:
    """The augmentation study, every seed run behind a mean +- sd, the baselines' single runs, the audit's folds."""
    profile, seed, device = p["profile"], p.get("seed"), p.get("device")
    seeded = [model for model in dict.fromkeys([STUDY_MODEL, *p["models"]])
              if model in get_profile(profile).seed_models]
    return {"study": study_configs(profile, seed=seed, device=device),
            "seeds": {model: headline_seed_configs(profile, model, seed=seed, device=device) for model in seeded},
            "single": _baselines(p), "audit": audit_configs(profile, seed=seed, device=device),
            "matched": matched_configs(profile, p["models"], seed=seed, device=device),
            "headline": baseline_configs(profile, [STUDY_MODEL], seed=seed, device=device)[STUDY_MODEL]}


def _explorer(p: dict) -> dict:
    """The failures page's runs (the model's headline run, its seed runs), the model trained with augmentation, and
    the statistics page's audit of the test labels (the custom CNN's seed runs)."""
    profile, seed, device = p["profile"], p.get("seed"), p.get("device")
    return {**_failures(p), "augmented": augmentation_configs(profile, p["model"], seed=seed, device=device)[1],
            "audit": headline_seed_configs(profile, STUDY_MODEL, seed=seed, device=device)}


def _none(p: dict) -> dict:
    return {}


SECTIONS = (
    Section("claims", "01_claims.ipynb", "The write-up, claim by claim",
            ("profile", "seed", "weights", "device", "policies"), _claims),
    Section("baselines", "02_baselines.ipynb", "Baselines: four networks",
            ("profile", "models", "epochs", "train_subset", "seed", "device"), _baselines_page),
    Section("failures", "03_failures.ipynb", "Failure cases",
            ("profile", "model", "n_cases", "n_neighbours", "weights", "seed", "device"), _failures),
    Section("explainability", "04_explainability.ipynb", "Explainability: what Grad-CAM shows, and whether it holds up",
            ("profile", "model", "n_cases", "cam_method", "weights", "seed", "device"), _one_model),
    Section("augmentation", "05_augmentation.ipynb", "Augmentation: flips, rotations and other policies",
            ("profile", "model", "epochs", "n_cases", "seed", "device", "policies"), _augmentation),
    Section("robustness", "06_robustness.ipynb", "Stress tests: corrupted images and calibration",
            ("profile", "models", "n_images", "seed", "device"), _robustness,
            rules=(models_include("custom_cnn", "the robustness page compares every model with the custom CNN"),)),
    Section("saliency", "07_saliency_checks.ipynb", "Saliency checks: can the heatmaps be trusted?",
            ("profile", "models", "n_images", "cam_method", "seed", "device"), _baselines,
            rules=(models_include("custom_cnn", "the saliency page checks the maps the explainability page reads, "
                                                "the custom CNN's"),)),
    Section("statistics", "08_statistics.ipynb", "Statistics: how sure each number is",
            ("profile", "models", "seed", "n_cases", "n_suspects", "device"), _statistics),
    Section("explorer", "09_explorer.ipynb", "Explore the errors",
            ("profile", "model", "weights", "n_neighbours", "seed", "device"), _explorer),
    Section("conclusion", "10_conclusion.ipynb", "Conclusion", ("profile",), _none),  # reads the other pages' glue
    Section("reproducibility", "11_reproducibility.ipynb", "Reproducibility", ("profile", "record"), _none),
)
SECTION_NAMES = tuple(section.name for section in SECTIONS)


def get_section(name: str) -> Section:
    for section in SECTIONS:
        if section.name == name:
            return section
    raise ConfigError(f"Unknown section {name!r}. Choose one of: {', '.join(SECTION_NAMES)}.")


def check_parameters(section: str, **values) -> dict:
    """Validate a section's parameter values (its notebook's first call); returns them unchanged."""
    return get_section(section).check(values)


def section_parameters(root: Path, section: Section, profile: str, overrides: dict) -> dict:
    """A section's parameters: notebook defaults, then the profile, then the overrides that it has."""
    values = notebook_defaults(root / "notebooks" / section.notebook)
    values["profile"] = profile
    values.update({name: value for name, value in overrides.items() if name in values})
    section.check(values)
    return values


def check_overrides_used(root: Path, overrides: dict, parameters: dict) -> None:
    """A ConfigError when an override names a parameter no selected section has."""
    unused = set(overrides) - {name for values in parameters.values() for name in values}
    if unused:
        known = "; ".join(f"{s.name}: {', '.join(sorted(notebook_defaults(root / 'notebooks' / s.notebook)))}"
                          for s in SECTIONS)
        raise ConfigError(f"No selected section has parameter(s) {', '.join(sorted(unused))}. "
                          f"Sections and their parameters: {known}.")


def section_configs(sections: list[Section], parameters: dict[str, dict]) -> list[TrainConfig]:
    """The runs the sections read, in order, one per run key (configs that resolve to the same run count once).

    Each is checked as `train` would check it before starting (`check_trainable`), so a run that cannot train
    stops the report or the sweep before the first run trains, not after the others.
    """
    from ..runs.cache import run_key
    from ..training.train import check_trainable

    unique = {}
    for section in sections:
        for config in section.configs(parameters[section.name]):
            unique.setdefault(run_key(config), config)
    for config in unique.values():
        check_trainable(config)
    return list(unique.values())


def report_configs(profile: str, root: Path | None = None, overrides: dict | None = None) -> list[TrainConfig]:
    """Every training run the whole report reads under `profile` and `overrides`: the sweep's list.

    Built from the sections themselves, so a new section's runs join the sweep without another list to keep.
    """
    root = Path(root) if root else project_root()
    get_profile(profile)
    overrides = dict(overrides or {})
    parameters = {s.name: section_parameters(root, s, profile, overrides) for s in SECTIONS}
    check_overrides_used(root, overrides, parameters)
    return section_configs(list(SECTIONS), parameters)
