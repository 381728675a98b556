"""The package tree reads as the flow of data: each stage imports only from the stages before it."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "fmnist_lib"
FLOW = ["data", "training", "runs", "analysis", "claims", "report", "cli"]  # errors, fingerprint, __init__ serve all


def stage(parts: tuple[str, ...]) -> int | None:
    head = parts[0].removesuffix(".py") if parts else ""
    return FLOW.index(head) if head in FLOW else None


def imported_stages(source: str, own: tuple[str, ...]) -> set[str]:
    """The stages a module's source imports from, relative imports resolved against its package `own`."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = own[:len(own) - node.level + 1]
                target = base + tuple((node.module or "").split(".")) if node.module else base
            elif (node.module or "").startswith("fmnist_lib."):
                target = tuple(node.module.split(".")[1:])
            else:
                continue
            if not node.module and node.level:  # `from . import x`: x are modules of the package itself
                target = base + (node.names[0].name,)
            if target and target[0] in FLOW:
                found.add(target[0])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("fmnist_lib."):
                    found.add(alias.name.split(".")[1])
    return found & set(FLOW)


def test_imports_point_down_the_flow():
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        here = stage(path.relative_to(PACKAGE).parts)
        if here is None:
            continue
        for other in imported_stages(path.read_text(), path.relative_to(PACKAGE).parts[:-1]):
            if FLOW.index(other) > here:
                wrong.append(f"{path.relative_to(PACKAGE)} imports from {other}")
    assert not wrong, "\n".join(wrong)


def test_the_check_sees_imports_inside_functions_and_relative_ones():
    source = "from ..training.forward import predict_logits\n\ndef f():\n    from ..report import style\n"
    assert imported_stages(source, ("analysis",)) == {"training", "report"}
    assert imported_stages("from .rules import x\nimport fmnist_lib.runs.cache\n", ("claims",)) == {"claims", "runs"}
    assert imported_stages("from . import pages\n", ("report",)) == {"report"}


def test_every_module_of_the_library_imports():
    """A module whose imports break fails here in a second, not in a page's kernel half-way through a build."""
    import importlib
    import pkgutil

    import fmnist_lib

    for module in pkgutil.walk_packages(fmnist_lib.__path__, "fmnist_lib."):
        importlib.import_module(module.name)
