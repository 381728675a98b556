"""Groups of Fashion-MNIST's classes, defined once, by name: footwear, upper-body garments, garments.

The write-up and the analyses speak of kinds of classes ("confusions among footwear and among upper-body
garments", "garment confusions"); every module reads the groups from here, as class indices in ascending
order, so that no two places can disagree on who belongs. `tests/test_facts.py` fails when another module
defines a group's members again.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import ConfigError
from .fashion_mnist import CLASS_NAMES


def class_index(name: str) -> int:
    """The index of a class by its name ('Sneaker' -> 7)."""
    if name not in CLASS_NAMES:
        raise ConfigError(f"Unknown class {name!r}. Choose one of: {', '.join(CLASS_NAMES)}.")
    return CLASS_NAMES.index(name)


def indices(*names: str) -> tuple[int, ...]:
    """The classes named, as sorted indices."""
    return tuple(sorted(class_index(name) for name in names))


def names_of(classes: Iterable[int]) -> tuple[str, ...]:
    """The names of classes given by index, in index order."""
    return tuple(CLASS_NAMES[c] for c in sorted(classes))


FOOTWEAR = indices("Sandal", "Sneaker", "Ankle boot")  # every shoe class
UPPER_BODY = indices("T-shirt/top", "Pullover", "Coat", "Shirt")  # worn on the torso, with or without sleeves
BAGS = indices("Bag")
GARMENTS = tuple(c for c in range(len(CLASS_NAMES)) if c not in FOOTWEAR + BAGS)  # clothing: neither shoe nor bag

GROUPS = {"footwear": FOOTWEAR, "upper-body garments": UPPER_BODY, "bags": BAGS, "garments": GARMENTS}
