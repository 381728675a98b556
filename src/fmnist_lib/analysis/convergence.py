"""Which models are converged enough to be compared: every ranking, pass count and 'most robust' reads this.

A model that has barely trained (VGG-19 after 2 epochs on 10,000 images can sit near chance) has errors of
another kind than a converged model's: it "wins" relative corruption error by having little left to lose, and its
blank Grad-CAM maps "pass" a randomisation test by changing from nothing to nothing. Such a model is still shown on
the stress-test pages, labelled "not converged", but it takes no part in any comparison. The floor is
`thresholds.CONVERGED_ACCURACY`, stated on the pages that apply it.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import ConfigError
from .thresholds import CONVERGED_ACCURACY

NOT_CONVERGED = "not converged"


def converged(accuracy: Mapping[str, float], floor: float = CONVERGED_ACCURACY.value) -> dict[str, bool]:
    """Per model, whether its clean test accuracy (a fraction in [0, 1]) is at least `floor`."""
    for name, value in accuracy.items():
        if not 0.0 <= float(value) <= 1.0:
            raise ConfigError(f"Accuracy of {name} is {value!r}; give clean test accuracy as a fraction in [0, 1] "
                              "(e.g. 0.91, not 91).")
    return {name: float(value) >= floor for name, value in accuracy.items()}


def converged_names(accuracy: Mapping[str, float], floor: float = CONVERGED_ACCURACY.value) -> list[str]:
    """The models at or above the floor, in the order given: the ones a ranking or a count may read."""
    return [name for name, ok in converged(accuracy, floor).items() if ok]


def not_converged_names(accuracy: Mapping[str, float], floor: float = CONVERGED_ACCURACY.value) -> list[str]:
    """The models under the floor, in the order given: the ones shown as 'not converged'."""
    return [name for name, ok in converged(accuracy, floor).items() if not ok]


def status(accuracy: Mapping[str, float], floor: float = CONVERGED_ACCURACY.value) -> dict[str, str]:
    """Per model, 'converged' or 'not converged', for a table's column."""
    return {name: "converged" if ok else NOT_CONVERGED for name, ok in converged(accuracy, floor).items()}


def run_accuracies(runs: Mapping, weights: str = "final") -> dict[str, float]:
    """Clean test accuracy (fraction) of each named run (`runs.cache.Run`), as the floor reads it."""
    return {name: float(run.test_metrics(weights)["accuracy"]) for name, run in runs.items()}
