"""The README and the documentation pages say only what is true of the code: every `fmnist` command they show
parses with the real parser, every make target they name exists, every option of the command is documented,
and the README stays short enough to read in two minutes."""

import argparse
import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest

from fmnist_lib.cli import build_parser
from fmnist_lib.report.sections import SECTIONS

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "book" / "docs").glob("*.md"))
PAGES = [README, ROOT / "book" / "intro.md", *DOCS]
README_LIMIT = 6_656  # bytes: what a newcomer reads in two minutes
FENCE = re.compile(r"^(`{3,}|~{3,})\s*(\S*)")  # an opening fence and its info: a language or a {directive}
SHELLS = {"", "sh", "bash", "shell", "console"}
SHELL_OPERATORS = {"&&", "||", "|", ";", ">", ">>", "<"}


def code_blocks(text: str) -> list[str]:
    """The shell code blocks of a markdown text (a MyST directive such as {container} is not one)."""
    blocks, fence, info, lines = [], None, "", []
    for line in text.splitlines():
        if fence is None:
            if match := FENCE.match(line):
                fence, info, lines = match.group(1), match.group(2), []
        elif line.strip().startswith(fence) and not line.strip().strip(fence[0]):
            if info in SHELLS:
                blocks.append("\n".join(lines) + "\n")
            fence = None
        else:
            lines.append(line)
    return blocks


def command_lines(text: str) -> list[list[str]]:
    """The arguments of every `fmnist` command in the text's code blocks: `fmnist ...`, `.venv/bin/fmnist ...` or
    `python -m fmnist_lib.cli ...`, after any `NAME=value` assignments, up to a comment or a shell operator."""
    commands = []
    for block in code_blocks(text):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            for index, word in enumerate(words):
                if word == "fmnist" or word.endswith("/fmnist"):
                    start = index + 1
                elif word == "fmnist_lib.cli" and words[index - 1:index] == ["-m"]:
                    start = index + 1
                else:
                    continue
                rest = words[start:]
                cut = next((i for i, token in enumerate(rest) if token in SHELL_OPERATORS), len(rest))
                commands.append(rest[:cut])
                break
    return commands


def parse_error(arguments: list[str]) -> str | None:
    """None if the real parser accepts `fmnist ARGUMENTS`; else its message."""
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
        try:
            build_parser().parse_args(arguments)
        except SystemExit:
            return stderr.getvalue().strip() or "exited"
    return None


def test_the_readme_reads_in_two_minutes():
    size = len(README.read_bytes())
    assert size <= README_LIMIT, f"README.md is {size:,} bytes; at most {README_LIMIT:,}: move detail to book/docs/"


@pytest.mark.parametrize("page", PAGES, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_command_shown_parses(page):
    failures = [(" ".join(arguments), error) for arguments in command_lines(page.read_text())
                if (error := parse_error(arguments))]
    assert not failures, failures


def test_the_pages_show_commands_and_the_check_catches_a_wrong_one():
    found = [arguments for page in PAGES for arguments in command_lines(page.read_text())]
    assert len(found) >= 15 and {arguments[0] for arguments in found} >= {"data", "train", "runs", "report", "sweep"}
    example = "```sh\nFMNIST_CACHE_DIR=/x .venv/bin/fmnist train --momentum 0.5   # no such option\n```\n"
    assert command_lines(example) == [["train", "--momentum", "0.5"]]
    assert "unrecognized arguments: --momentum 0.5" in parse_error(["train", "--momentum", "0.5"])
    assert "invalid choice: 'plot'" in parse_error(["plot"])


def subcommands() -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_the_command_line_page_documents_every_command_and_option():
    page = (ROOT / "book" / "docs" / "cli.md").read_text()
    missing = []
    for name, parser in subcommands().items():
        if f"## `fmnist {name}`" not in page:
            missing.append(f"a section for fmnist {name}")
        for action in parser._actions:
            missing += [f"fmnist {name} {option}" for option in action.option_strings
                        if option not in ("-h", "--help") and f"`{option}" not in page]
    assert not missing, missing


def test_the_command_line_page_names_every_section():
    page = (ROOT / "book" / "docs" / "cli.md").read_text()
    order = [page.find(f"`{section.name}`") for section in SECTIONS]
    assert all(position >= 0 for position in order) and order == sorted(order), dict(zip(SECTIONS, order))


def make_targets() -> set[str]:
    return set(re.findall(r"^([A-Za-z0-9_.-]+)\s*:(?!=)", (ROOT / "Makefile").read_text(), flags=re.MULTILINE))


def test_every_make_target_named_exists():
    named = set()
    for page in PAGES:
        text = page.read_text()
        named |= set(re.findall(r"`make ([\w-]+)", text))
        named |= {m for block in code_blocks(text) for m in re.findall(r"^make ([\w-]+)", block, re.MULTILINE)}
    assert {"report", "test", "pdf"} <= named
    assert named <= make_targets(), sorted(named - make_targets())


def test_the_readme_links_to_every_documentation_page():
    linked = re.findall(r"\]\((book/docs/[\w-]+\.md)\)", README.read_text())
    assert set(linked) == {str(path.relative_to(ROOT)) for path in DOCS}
    assert all((ROOT / path).is_file() for path in re.findall(r"\]\(([\w/.-]+\.md)[#)]", README.read_text()))


def test_the_paths_the_documentation_names_exist():
    missing = []
    for page in PAGES:
        for path in re.findall(r"`((?:src|tests|benchmarks|scripts|notebooks|book)/[^`\s]*)`", page.read_text()):
            if not list(ROOT.glob(path.rstrip("/"))):
                missing.append(f"{page.name}: {path}")
    assert not missing, missing
