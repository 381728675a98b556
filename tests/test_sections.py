"""The section registry is the one source of the reading order: the TOC, the intro's reading list, the notebook
files, their titles, parameters and glue prefixes must all agree with it."""

import ast
import re

import nbformat
import pytest
import yaml

from fmnist_lib.errors import ConfigError
from fmnist_lib.report.execute import project_root
from fmnist_lib.report.parameters import PARAMETER_CHECKS, notebook_defaults
from fmnist_lib.report.sections import SECTIONS, get_section

ROOT = project_root()
GLUE_CALL = re.compile(r"""\bglue\(\s*f?["']([A-Za-z0-9_{}]+)["']""")
GLUE_REF = re.compile(r"\{glue:(?:text|figure|any|md)\}`(?:(\d\d_\w+)\.ipynb::)?([A-Za-z0-9_]+)")
GLUE_FIGURE = re.compile(r"```\{glue:figure\}\s+(?:(\d\d_\w+)\.ipynb::)?([A-Za-z0-9_]+)")
DOC_REF = re.compile(r"\{doc\}`(?:[^`<]*<)?(?:\.\./build/executed/)?(\d\d_\w+)>?`")


def stems() -> list[str]:
    return [section.notebook.removesuffix(".ipynb") for section in SECTIONS]


def notebook(section):
    return nbformat.read(ROOT / "notebooks" / section.notebook, as_version=4)


def test_notebook_files_are_the_registry_numbered_in_reading_order():
    assert sorted(path.name for path in (ROOT / "notebooks").glob("*.ipynb")) == [s.notebook for s in SECTIONS]
    for section in SECTIONS:
        assert section.notebook.startswith(f"{section.position:02d}_"), section.notebook
        assert get_section(section.name) is section
    assert len({s.name for s in SECTIONS}) == len(SECTIONS)


def toc_parts() -> dict[str, list[str]]:
    """The files of each part of `_toc.yml`, by caption."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return {part["caption"]: [chapter["file"] for chapter in part["chapters"]] for part in toc["parts"]}


def test_toc_lists_the_registry_in_order_then_the_documentation():
    parts = toc_parts()
    assert list(parts) == ["The report", "Documentation"]  # the report first, its documentation after it
    report = parts["The report"]
    assert report == [f"build/executed/{stem}" for stem in stems()] + ["book/references"]


def test_the_documentation_part_lists_every_page_of_book_docs():
    listed = toc_parts()["Documentation"]
    assert listed and all(name.startswith("book/docs/") for name in listed)
    assert all((ROOT / f"{name}.md").is_file() for name in listed), listed
    assert sorted(listed) == sorted(f"book/docs/{path.stem}" for path in (ROOT / "book" / "docs").glob("*.md"))


def test_intro_reading_list_follows_the_registry():
    intro = (ROOT / "book" / "intro.md").read_text()
    items = re.findall(r"^(\d+)\. \{doc\}`\.\./build/executed/(\w+)`", intro, flags=re.MULTILINE)
    assert [stem for _, stem in items] == stems()
    assert [int(number) for number, _ in items] == [section.position for section in SECTIONS]


def test_titles_are_the_notebooks_headings():
    for section in SECTIONS:
        first = notebook(section).cells[0]
        assert first.cell_type == "markdown" and first.source.splitlines()[0] == f"# {section.title}", section.name


def test_parameters_are_the_notebooks_with_a_rule_each():
    for section in SECTIONS:
        assert tuple(notebook_defaults(ROOT / "notebooks" / section.notebook)) == section.parameters, section.name
        assert all(name in PARAMETER_CHECKS for name in section.parameters), section.name


def test_every_page_opens_with_its_section_after_the_parameters():
    for section in SECTIONS:
        cells = notebook(section).cells
        index = next(i for i, cell in enumerate(cells) if "parameters" in cell.metadata.get("tags", []))
        opening = cells[index + 1]
        assert opening.cell_type == "code" and f'open_section("{section.name}"' in opening.source, section.name


def test_glue_keys_use_the_section_prefix():
    """Every key a page glues, and every key its prose reads from itself, starts with `<section>_`."""
    for section in SECTIONS:
        cells = notebook(section).cells
        code = "\n".join(cell.source for cell in cells if cell.cell_type == "code")
        prose = "\n".join(cell.source for cell in cells if cell.cell_type == "markdown")
        glued = GLUE_CALL.findall(code)
        own = [key for page, key in GLUE_REF.findall(prose) + GLUE_FIGURE.findall(prose) if not page]
        for key in glued + own:
            assert key.startswith(section.glue_prefix), (section.notebook, key)


def test_cross_page_references_point_at_registered_pages_and_their_prefixes():
    by_stem = dict(zip(stems(), SECTIONS))
    for section in SECTIONS:
        prose = "\n".join(cell.source for cell in notebook(section).cells if cell.cell_type == "markdown")
        for page, key in GLUE_REF.findall(prose):
            if page:
                assert page in by_stem and key.startswith(by_stem[page].glue_prefix), (section.notebook, page, key)
        for page in DOC_REF.findall(prose):
            assert page in by_stem, (section.notebook, page)


def test_runs_flatten_in_order_and_parameters_are_checked():
    parameters = {"profile": "smoke", "models": ["custom_cnn", "vgg16"], "n_images": None, "seed": 56, "device": "cpu"}
    runs = get_section("robustness").runs(parameters)
    assert list(runs) == ["baselines", "augmented"] and list(runs["baselines"]) == ["custom_cnn", "vgg16"]
    assert get_section("robustness").configs(parameters) == [*runs["baselines"].values(), runs["augmented"]]
    assert get_section("conclusion").configs({"profile": "smoke"}) == []
    with pytest.raises(ConfigError, match="Section conclusion has no parameter 'models'"):
        get_section("conclusion").check({"profile": "smoke", "models": ["vgg16"]})


def branches(source: str) -> list[str]:
    """The choices a code cell makes: `if` statements, `match`, and conditional expressions other than
    "this value, or None when there is nothing to show". Verdicts and sentences are chosen in the library."""
    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
    found = []
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, (ast.If, ast.Match)):
            found.append(ast.unparse(node).splitlines()[0])
        elif isinstance(node, ast.IfExp) and not (isinstance(node.orelse, ast.Constant) and node.orelse.value is None):
            found.append(ast.unparse(node))
    return found


def test_the_branch_finder_sees_a_verdict_chosen_in_a_cell():
    assert branches('if p < 0.05:\n    text = "supported"\nelse:\n    text = "not supported"') == ["if p < 0.05:"]
    assert branches('word = "worse" if delta < 0 else "better"') == ["'worse' if delta < 0 else 'better'"]
    assert branches("%matplotlib inline\ntable = style.table(pairs) if pairs is not None else None") == []


def test_notebooks_choose_no_verdict_or_sentence():
    for section in SECTIONS:
        for index, cell in enumerate(notebook(section).cells):
            if cell.cell_type == "code":
                assert branches(cell.source) == [], (section.notebook, index)
