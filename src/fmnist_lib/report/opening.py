"""How every page opens: one call after its parameters cell, the same for every section.

`open_section` validates the parameters by the registry's rules, loads the data, loads (or trains) the
runs the registry says the page reads, and glues the profile box (`<section>_profile`,
`<section>_profile_note`). The page then reads `opened.data`, `opened.runs` and `opened.profile`, and glues
its values under its own prefix with `opened.glue`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from ..data.fashion_mnist import FashionMNIST, load_fashion_mnist
from ..runs.cache import load_or_train
from ..runs.seeds import load_or_train_seeds
from ..training.config import TrainConfig
from .profiles import Profile, get_profile
from .sections import Section, get_section


@dataclass
class Opening:
    """What a page works from: its section, parameters, profile, data and runs (named as `Section.runs` names them)."""

    section: Section
    parameters: dict
    profile: Profile
    runs: dict

    @functools.cached_property
    def data(self) -> FashionMNIST:
        """The dataset, read and verified on first use (pages without runs may never need it), with the test
        images the profile's runs are evaluated on (`test_subset`: the smoke profile's first 2,000)."""
        return load_fashion_mnist().first_test(self.profile.test_subset)

    def glue(self, values: dict) -> None:
        """Glue each value under `<section>_<name>`, for the page's prose to read (`{glue:text}`)."""
        from myst_nb import glue

        for name, value in values.items():
            glue(f"{self.section.glue_prefix}{name}", value, display=False)


def open_section(name: str, **parameters) -> Opening:
    """Validate the page's parameters, load its data and runs, glue its profile box; the page's first call."""
    section = get_section(name)
    section.check(parameters)
    profile = get_profile(parameters["profile"])
    opened = Opening(section, parameters, profile, runs={})
    needed = section.runs(parameters)
    if section.configs(parameters):
        opened.runs = _load(needed, opened.data)
    opened.glue({"profile": parameters["profile"], "profile_note": profile.note, "profile_short": short_note(profile)})
    return opened


def short_note(profile: Profile) -> str:
    """The profile's training budgets in one line ('custom CNN 15 epochs on 50,000 images; VGG-16 and ResNet-18 2
    epochs on 10,000 images'): what later pages show instead of the full note, which the claims page gives once."""
    from ..training.config import PROTOCOL
    from ..training.model_parts import model_label

    groups: dict[str, list[str]] = {}
    for model, epochs in profile.epochs.items():
        images = profile.train_subset.get(model) or PROTOCOL.n_train
        groups.setdefault(f"{epochs} epoch{'s' if epochs != 1 else ''} on {images:,} images", []).append(
            model_label(model))
    return "; ".join(f"{' and '.join(names) if len(names) < 3 else ', '.join(names[:-1]) + ' and ' + names[-1]} "
                     f"{budget}" for budget, names in groups.items())


def _load(needed, data: FashionMNIST):
    """The runs of `needed` (a config, a list of one config per seed, or a dict of those), same shape."""
    if isinstance(needed, TrainConfig):
        return load_or_train(needed, data=data, progress=False)
    if isinstance(needed, dict):
        return {name: _load(value, data) for name, value in needed.items()}
    return load_or_train_seeds(needed, data=data)
