"""environment.yml (conda) and pyproject.toml (pip) install the same packages."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
    return {_name(r): r.replace(" ", "") for r in requirements}


def _environment() -> dict[str, str]:
    entries = yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
    flat = [e for e in entries if isinstance(e, str)] + [p for e in entries if isinstance(e, dict) for p in e["pip"]]
    flat = [e.replace(" ", "") for e in flat if not e.startswith(("python", "pip", "-e"))]
    return {_name(e): e.replace("=", "==", 1) if re.match(r"^[\w-]+=[^=]", e) else e for e in flat}


def test_same_packages():
    assert sorted(_environment()) == sorted(_pyproject())


def test_same_version_constraints():
    pip, conda = _pyproject(), _environment()
    assert {name: conda[name] for name in pip} == pip


def test_torch_pins():
    assert _pyproject()["torch"] == "torch==2.14.1" and _pyproject()["torchvision"] == "torchvision==0.29.1"
