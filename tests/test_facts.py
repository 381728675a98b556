"""Every fact defined once: the write-up's numbers in `data/writeup.py`, the class groups in `data/classes.py`, the
protocol in `TrainConfig`'s defaults, the thresholds in `analysis/thresholds.py`; no other module defines them again."""

import ast
import re
from pathlib import Path

import pytest

from fmnist_lib.analysis.thresholds import THRESHOLDS, Threshold
from fmnist_lib.data import classes, writeup
from fmnist_lib.data.fashion_mnist import CLASS_NAMES
from fmnist_lib.errors import ConfigError
from fmnist_lib.training.config import PROTOCOL, PROTOCOL_BUDGET, budget_text

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "fmnist_lib"
# The class names live in data/fashion_mnist.py. data/writeup_printed.py is a home of another source: what the
# write-up's notebooks printed, quoted line by line; where a printed number equals the text's, both are facts.
HOMES = {"data/writeup.py", "data/classes.py", "data/fashion_mnist.py", "data/writeup_printed.py"}
SMALL = 100  # whole numbers below this (epochs, counts) recur innocently; the scan looks only at larger or fractional


def writeup_numbers() -> set[float]:
    """Every number the write-up reports, as `data/writeup.py` holds them (cases' confidences and entropies too)."""
    found = {value.value for value in vars(writeup).values() if isinstance(value, writeup.Reported)}
    found |= {reported.value for reported in writeup.ACCURACY.values()}
    found |= {number for case in writeup.CASES for number in (case.writeup_confidence, case.writeup_entropy)}
    return {number for number in found if number >= SMALL or number != int(number)}


def class_groups() -> set[frozenset]:
    """Every group of classes with two or more members: the groups of `data/classes.py`, the write-up's pairs."""
    groups = [*classes.GROUPS.values(), *writeup.PERSISTING_PAIRS, writeup.SNEAKER_VS_ANKLE_BOOT]
    return {frozenset(group) for group in groups if len(group) > 1}


def definitions(source: str):
    """The values a module assigns at its top level or in its classes' bodies (constants, dataclass defaults)."""
    tree = ast.parse(source)
    bodies = [tree.body] + [node.body for node in tree.body if isinstance(node, ast.ClassDef)]
    for body in bodies:
        for node in body:
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                yield node.value


def repeated_facts(source: str) -> list[str]:
    """Write-up numbers and class groups that a module's definitions spell out again, as literals."""
    numbers, groups = writeup_numbers(), class_groups()
    found = []
    for value in definitions(source):
        for node in ast.walk(value):
            if isinstance(node, ast.Constant) and type(node.value) in (int, float) and node.value in numbers:
                found.append(f"write-up number {node.value}")
            elif isinstance(node, (ast.Tuple, ast.List, ast.Set)):
                members = [e.value for e in node.elts if isinstance(e, ast.Constant)]
                indices = {m for m in members if type(m) is int and 0 <= m < len(CLASS_NAMES)}
                names = {CLASS_NAMES.index(m) for m in members if m in CLASS_NAMES}
                for group in (indices, names):
                    if len(members) == len(node.elts) == len(group) and frozenset(group) in groups:
                        found.append(f"class group {sorted(group)}")
    return found


def test_no_module_defines_a_write_up_number_or_a_class_group_again():
    repeated = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        if name not in HOMES and (found := repeated_facts(path.read_text())):
            repeated[name] = found
    assert not repeated, f"defined again outside data/writeup.py and data/classes.py: {repeated}"


def test_the_scan_sees_a_number_and_a_group_defined_again():
    source = ("BASELINE = 92.97\nFOOTWEAR = (5, 7, 9)\nSHOES = ('Sneaker', 'Ankle boot')\n"
              "class Table:\n    confidence: float = 0.9986\n")
    assert repeated_facts(source) == ["write-up number 92.97", "class group [5, 7, 9]", "class group [7, 9]",
                                      "write-up number 0.9986"]
    assert repeated_facts("EPOCHS = 15\nSEVERITIES = (1, 2, 3, 4, 5)\nPAIR = (7, 9, 11)\n") == []


def test_class_groups_by_name():
    assert classes.names_of(classes.FOOTWEAR) == ("Sandal", "Sneaker", "Ankle boot")
    assert classes.names_of(classes.UPPER_BODY) == ("T-shirt/top", "Pullover", "Coat", "Shirt")
    assert set(classes.GARMENTS) | set(classes.FOOTWEAR) | set(classes.BAGS) == set(range(len(CLASS_NAMES)))
    assert not set(classes.GARMENTS) & set(classes.FOOTWEAR) and set(classes.UPPER_BODY) < set(classes.GARMENTS)
    assert set(writeup.SNEAKER_VS_ANKLE_BOOT) < set(classes.FOOTWEAR)  # the §6 pair is footwear, not all of it
    with pytest.raises(ConfigError, match="Unknown class 'Boot'"):
        classes.class_index("Boot")


def test_write_up_numbers_say_where_they_stand():
    reported = [value for value in vars(writeup).values() if isinstance(value, writeup.Reported)]
    reported += list(writeup.ACCURACY.values())
    assert all(value.where.startswith(("§", "code: ")) for value in reported)  # the text, or its code's README
    assert [case.case for case in writeup.CASES] == ["Pullover → Trouser", "Bag → Dress", "Sneaker → Ankle boot",
                                                    "Coat → Pullover"]


def test_every_threshold_says_what_it_decides_and_why():
    assert len(THRESHOLDS) >= 15 and all(isinstance(t, Threshold) for t in THRESHOLDS.values())
    for name, threshold in THRESHOLDS.items():
        assert threshold.decides and threshold.why and threshold.unit, name


def test_the_protocol_phrase_is_built_from_the_config():
    assert (PROTOCOL.epochs, PROTOCOL.n_train, PROTOCOL.batch_size) == (15, 50_000, 128)
    assert PROTOCOL_BUDGET == "15 epochs on 50,000 images"
    assert budget_text(1, 2_000, augment=True) == "1 epoch on 2,000 images, augmented"


def test_claim_keys_are_names_not_numbers():
    from fmnist_lib.claims import writeup_baselines as wb
    from fmnist_lib.claims import writeup_failures as wf

    keys = [wb.accuracy_claim(model, None).key for model in writeup.ACCURACY]
    keys += [wf.case_claim(case, None, None).key for case in writeup.CASES]
    assert keys[0] == "writeup.accuracy.vgg16" and "writeup.case.sneaker-ankle_boot" in keys
    literals = [node.value for path in PACKAGE.rglob("*.py") for node in ast.walk(ast.parse(path.read_text()))
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("writeup.")]
    assert literals and not [key for key in keys + literals if re.search(r"\.\d", key)]  # no 'custom_cnn.92.97'
    assert re.search(r"\.\d", "writeup.accuracy.custom_cnn.92.97") and re.search(r"\.\d", "writeup.case.7-9")
