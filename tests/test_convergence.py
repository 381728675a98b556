"""The accuracy floor: a model under it takes part in no ranking or count and is named 'not converged'."""

import pytest

from fmnist_lib.analysis.convergence import (NOT_CONVERGED, converged, converged_names, not_converged_names,
                                             status)
from fmnist_lib.analysis.thresholds import CONVERGED_ACCURACY, THRESHOLDS
from fmnist_lib.errors import ConfigError

FLOOR = CONVERGED_ACCURACY.value


def test_floor_is_registered_with_its_reason():
    assert THRESHOLDS["CONVERGED_ACCURACY"] is CONVERGED_ACCURACY
    assert 0.1 < FLOOR < 0.93 and "chance" in CONVERGED_ACCURACY.why


def test_under_the_floor_is_excluded_at_and_above_included():
    accuracy = {"Custom CNN": 0.91, "VGG-19": 0.20, "at floor": FLOOR, "just under": FLOOR - 1e-6}
    assert converged(accuracy) == {"Custom CNN": True, "VGG-19": False, "at floor": True, "just under": False}
    assert converged_names(accuracy) == ["Custom CNN", "at floor"]
    assert not_converged_names(accuracy) == ["VGG-19", "just under"]
    assert status(accuracy)["VGG-19"] == NOT_CONVERGED == "not converged"


def test_percent_instead_of_fraction_is_a_clear_error():
    with pytest.raises(ConfigError, match="fraction"):
        converged({"Custom CNN": 91.0})
