"""The report's notebook parameters: what each name accepts, checked before any work is done.

Papermill only warns about a parameter a notebook lacks and passes any value through;
these checks turn a typo or an impossible value into a message naming the fix. Which section
takes which parameters is the section registry's (`sections.Section.parameters`), and so are the
rules a page states about several of its values together (`Rule`, `sections.Section.rules`).
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError
from ..training.config import DEVICES, MAX_SEEDS
from ..training.models import check_model_name
from .profiles import get_profile


def _positive_int(name: str, value, *, optional: bool = False, limit: int | None = None):
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1 or (limit and value > limit):
        bound = f" and at most {limit}" if limit else ""
        raise ConfigError(f"Parameter {name} must be a whole number >= 1{bound}"
                          f"{' or None' if optional else ''}, got {value!r}.")


def _models(name: str, value):
    if not isinstance(value, (list, tuple)) or not value:
        raise ConfigError(f"Parameter {name} must be a non-empty list of model names, got {value!r}.")
    for model in value:
        check_model_name(model)


def _cam_method(name: str, value):
    from ..analysis.explain import CAM_METHODS

    if value not in CAM_METHODS:
        raise ConfigError(f"Unknown CAM method {value!r}. Choose one of: {', '.join(CAM_METHODS)}.")


def _device(name: str, value):
    if value not in DEVICES:
        raise ConfigError(f"Unknown device {value!r}. Choose one of: {', '.join(DEVICES)}.")


def _seed(name: str, value):
    largest, why = MAX_SEEDS["seed"]  # a page's seed is its runs' seed and its analyses'
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= largest):
        raise ConfigError(f"Parameter {name} must be a whole number from 0 to {largest:,} ({why}), got {value!r}.")


def _policies(name: str, value):
    from ..data.augmentation import POLICY_NAMES, check_policy

    if value is None:
        return
    if not isinstance(value, (list, tuple)):
        raise ConfigError(f"Parameter {name} must be None (the profile's) or a list of augmentation policies, e.g. "
                          f"[\"crop_flip_erase\"], from {', '.join(POLICY_NAMES)}; got {value!r}.")
    for policy in value:
        check_policy(policy)


def _weights(name: str, value):
    from ..runs.cache import WEIGHTS

    if value not in WEIGHTS:
        raise ConfigError(f"Parameter {name} must be 'final' (the weights after the last epoch, which the write-up "
                          f"reported) or 'best' (those of the best validation epoch), got {value!r}.")


PARAMETER_CHECKS: dict[str, Callable] = {
    "profile": lambda name, value: get_profile(value),
    "model": lambda name, value: check_model_name(value),
    "models": _models,
    "epochs": lambda name, value: _positive_int(name, value, optional=True),
    "train_subset": lambda name, value: _positive_int(name, value, optional=True),
    "seed": _seed,
    "device": _device,
    "n_cases": lambda name, value: _positive_int(name, value, limit=64),
    "n_neighbours": lambda name, value: _positive_int(name, value, limit=20),
    "n_suspects": lambda name, value: _positive_int(name, value, limit=64),
    "cam_method": _cam_method,
    "n_images": lambda name, value: _positive_int(name, value, optional=True, limit=10_000),
    "record": lambda name, value: None,
    "weights": _weights,
    "policies": _policies,
}


@dataclass(frozen=True)
class Rule:
    """A page's rule on its parameter values, beyond each value's own check: `holds(values)` must be true.

    `says` is the rule in the page's words; the section registry lists each page's rules, and `Section.check`
    (the check `fmnist report`, `fmnist sweep` and every page's opening call make) applies them.
    """

    says: str
    holds: Callable[[dict], bool]
    names: tuple[str, ...]  # the parameters it reads: checked only when the values hold all of them

    def check(self, section: str, values: dict) -> None:
        if all(name in values for name in self.names) and not self.holds(values):
            given = ", ".join(f"{name}={values[name]!r}" for name in self.names)
            raise ConfigError(f"Section {section}: {self.says} (got {given}).")


def models_include(model: str, because: str) -> Rule:
    """The rule that `models` holds `model`, for the reason given (the page's words)."""
    return Rule(f"{because}: keep {model} in models", lambda values: model in values["models"], ("models",))


def parse_assignment(text: str) -> tuple[str, object]:
    """'name=value' from the command line; the value is read as a Python literal (data, never code), else a string."""
    name, sep, raw = text.partition("=")
    if not sep or not name.strip().isidentifier():
        raise ConfigError(f"-p expects name=value (for example -p n_cases=12), got {text!r}.")
    try:
        value = ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        value = raw
    return name.strip(), value


def notebook_defaults(path: Path) -> dict:
    """The parameters cell of a notebook as {name: default value}."""
    import papermill

    return {name: ast.literal_eval(spec["default"]) for name, spec in papermill.inspect_notebook(str(path)).items()}

