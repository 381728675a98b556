"""The execution record: `fmnist report` keeps an executed page only while everything it read is unchanged (its
notebook, parameters, the library, the results cache, its runs, the values it shows from other pages) and executes
a page after the pages whose values it shows.

Papermill, the trainer and Jupyter Book are replaced by stand-ins that write what a page writes (its glued values)
and what a run leaves (its manifest), so each rule is checked in seconds; tests/test_site.py builds the real report.
"""

import json
import re
import shutil

import nbformat
import pytest

from conftest import copy_report_sources
from fmnist_lib.report import build, provenance
from fmnist_lib.report.execute import Paths
from fmnist_lib.report.record import dependency_order, pages_read, read_record
from fmnist_lib.report.sections import SECTIONS, get_section
from fmnist_lib.runs.cache import default_cache_dir, run_name

PROFILE = "smoke"


class StandIns:
    """What papermill, training and the site build would leave, and a log of what was executed and trained."""

    def __init__(self, root):
        self.root = root
        self.values: dict[str, object] = {}  # glue key -> the value the page that glues it shows (default 1)
        self.executed: list[str] = []
        self.trained: list[str] = []
        self.lines: list[str] = []

    def execute(self, paths, section, parameters) -> float:
        """An executed notebook holding the values other pages read from this one, as myst-nb's glue stores them."""
        keys = sorted({key for reader in SECTIONS for notebook, keys in pages_read(self.root, reader).items()
                       if notebook == section.notebook for key in keys})
        cell = nbformat.v4.new_code_cell("glue(...)")
        cell.outputs = [nbformat.v4.new_output("display_data", data={"text/plain": repr(self.values.get(key, 1))},
                                               metadata={"scrapbook": {"name": key, "mime_prefix": ""}})
                        for key in keys]
        paths.executed.mkdir(parents=True, exist_ok=True)
        nbformat.write(nbformat.v4.new_notebook(cells=[cell]), paths.executed / section.notebook)
        self.executed.append(section.name)
        return 0.5

    def train(self, configs, progress, echo, workers=None) -> None:
        """Each run not in the cache gets a folder with a manifest (all a page's record reads of a run)."""
        for config in configs:
            folder = default_cache_dir() / run_name(config)
            if not folder.exists():
                retrain(folder)
                self.trained.append(folder.name)

    def report(self, **options) -> list[str]:
        """One `fmnist report` on the smoke profile; returns the sections executed, in order."""
        self.executed, self.lines = [], []
        build.run_report(PROFILE, root=self.root, progress=False, echo=self.lines.append, **options)
        return self.executed


LOCK = "ab" * 32  # the SHA-256 of the requirements.lock the stand-in runs record


def retrain(folder) -> None:
    """The run trained (again): a new manifest, as a run trained anew has new files (its creation time at least)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps({"requirements_lock_sha256": LOCK}))
    manifest = folder / "manifest.json"
    count = json.loads(manifest.read_text())["trained"] + 1 if manifest.exists() else 1
    manifest.write_text(json.dumps({"trained": count}))


@pytest.fixture
def report(tmp_path, monkeypatch):
    (tmp_path / "sources").mkdir()
    root = copy_report_sources(tmp_path / "sources")
    stand_ins = StandIns(root)
    monkeypatch.setenv("FMNIST_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(build, "execute_section", stand_ins.execute)
    monkeypatch.setattr(build, "_train", stand_ins.train)
    monkeypatch.setattr(build, "build_site", lambda where: Paths(where).site)
    assert stand_ins.report() == [section.name for section in dependency_order(root, list(SECTIONS))]
    stand_ins.cold_lines = stand_ins.lines
    return stand_ins


def _readers(report, run: str) -> list[str]:
    """The sections whose record lists `run` among the runs they read, in reading order."""
    record = read_record(Paths(report.root).record)
    return [section.name for section in SECTIONS if run in record[section.name]["runs"]]


def test_a_cold_build_executes_each_page_once_after_the_pages_it_shows_and_a_warm_one_keeps_them(report):
    order = [section.name for section in dependency_order(report.root, list(SECTIONS))]
    assert len(order) == len(SECTIONS) == len(set(order))
    for section in SECTIONS:  # every page after the pages whose values it shows
        for notebook in pages_read(report.root, section):
            shown = next(s.name for s in SECTIONS if s.notebook == notebook)
            assert order.index(shown) < order.index(section.name), (section.name, shown)
    assert order.index("statistics") < order.index("baselines") and order[-1] == "reproducibility"
    record = read_record(Paths(report.root).record)
    assert list(record) == [section.name for section in SECTIONS]  # in reading order, as the page lists them
    assert all(record[section.name]["notebook"] == section.notebook for section in SECTIONS)
    assert all(len(record[section.name]["source"]) == 64 for section in SECTIONS)
    trained = list(report.trained)
    assert report.report() == ["reproducibility"]  # it lists every page's record: always executed
    assert "  baselines: up to date, kept" in report.lines and report.trained == trained


def test_the_plan_is_printed_first_and_the_time_of_each_stage_last(report):
    lines, n_runs = report.cold_lines, len(report.trained)
    assert n_runs > 10 and lines[0].startswith(f"Plan: train {n_runs} of the {n_runs} runs these pages read (about ")
    assert f"execute {len(SECTIONS)} of {len(SECTIONS)} pages" in lines[0]
    assert sum(line.startswith("  to train: custom_cnn, ") for line in lines) >= 1
    assert sum(line.startswith("  to train: ") for line in lines) == n_runs
    seconds = r"\d+(\.\d)? s"
    assert re.fullmatch(rf"Time: training {seconds}; pages {seconds} \(claims {seconds}, .*, reproducibility "
                        rf"{seconds}\); site {seconds}; in all {seconds}\.", lines[-1])
    report.report()
    assert report.lines[0] == (f"Plan: nothing to train; execute 1 of {len(SECTIONS)} pages, and any page whose "
                               "values from another page change.")


def test_a_page_is_executed_again_when_a_run_it_read_is_trained_again(report):
    record = read_record(Paths(report.root).record)
    runs = {run for entry in record.values() for run in entry["runs"]}
    run = min(sorted(runs), key=lambda name: len(_readers(report, name)))  # the run the fewest pages read
    readers = _readers(report, run)
    assert 0 < len(readers) < len(SECTIONS) - 2
    retrain(default_cache_dir() / run)  # the same key, trained anew
    executed = report.report()
    assert executed == [name for name in [s.name for s in dependency_order(report.root, list(SECTIONS))]
                        if name in readers] + ["reproducibility"]
    assert any(line.startswith(f"Executing {get_section(readers[0]).notebook} (its runs changed)")
               for line in report.lines)
    assert report.report() == ["reproducibility"]


def test_pages_are_executed_again_when_their_runs_come_from_another_cache(report, tmp_path, monkeypatch):
    shutil.copytree(default_cache_dir(), tmp_path / "other-cache")
    monkeypatch.setenv("FMNIST_CACHE_DIR", str(tmp_path / "other-cache"))
    executed = report.report()
    with_runs = [s.name for s in SECTIONS if s.configs(read_record(Paths(report.root).record)[s.name]["parameters"])]
    assert sorted(executed) == sorted(with_runs + ["reproducibility"]) and "conclusion" not in executed
    assert any("another results cache" in line for line in report.lines)


def _key_read_only_by(report, reader: str, shown: str) -> str:
    """A glue key of `shown` that `reader` shows and no other page does."""
    others = {key for section in SECTIONS if section.name != reader
              for key in pages_read(report.root, section).get(get_section(shown).notebook, [])}
    return next(key for key in pages_read(report.root, get_section(reader))[get_section(shown).notebook]
                if key not in others)


def test_a_page_is_executed_again_after_a_page_it_shows_changes_in_the_same_build(report):
    key = _key_read_only_by(report, "augmentation", "statistics")
    report.values[key] = "another value"
    notebook = report.root / "notebooks" / "08_statistics.ipynb"
    statistics = nbformat.read(notebook, as_version=4)
    statistics.cells.append(nbformat.v4.new_markdown_cell("One more sentence."))
    nbformat.write(statistics, notebook)
    assert report.report() == ["statistics", "augmentation", "reproducibility"]
    assert any(line.startswith("Executing 05_augmentation.ipynb (values it shows from other pages changed)")
               for line in report.lines)
    assert "Executing 08_statistics.ipynb (its notebook changed) ..." in report.lines


def test_only_one_page_re_executes_the_pages_that_show_its_changed_values_with_their_own_parameters(report):
    before = read_record(Paths(report.root).record)["conclusion"]["parameters"]
    report.values["failures_n_errors"] = 1234  # the conclusion shows it
    executed = report.report(only=["failures"], overrides={"n_cases": 3})
    assert executed == ["failures", "conclusion", "reproducibility"]
    record = read_record(Paths(report.root).record)
    assert record["failures"]["parameters"]["n_cases"] == 3 and record["conclusion"]["parameters"] == before
    assert report.report(only=["failures"], overrides={"n_cases": 3}) == ["failures", "reproducibility"]


def test_the_reproducibility_page_names_the_pinned_environment_of_the_build_and_of_each_run(report, monkeypatch):
    table = provenance.runs_table(read_record(Paths(report.root).record))
    assert len(table) > 10 and set(table["environment"]) == {LOCK[:16]}
    assert table["run"].is_unique  # one row per run, with every section that reads it
    assert (table["model"] + "-" + table["key"] == table["run"]).all()
    shared = table.set_index("run")["sections"].str.split(", ")
    assert shared.map(len).max() > 1 and shared.map(lambda names: len(set(names)) == len(names)).all()
    first, second = table["run"].iloc[0], table["run"].iloc[1]
    (default_cache_dir() / first / "config.json").write_text(json.dumps({"requirements_lock_sha256": None}))
    (default_cache_dir() / second / "config.json").unlink()
    shown = provenance.runs_table(read_record(Paths(report.root).record)).set_index("run")["environment"]
    assert shown[first] == "none" and shown[second] == "not recorded"
    monkeypatch.setattr(provenance, "requirements_lock_sha256", lambda: None)
    assert provenance.environment_text() == "not pinned: this checkout has no requirements.lock"
    monkeypatch.setattr(provenance, "requirements_lock_sha256", lambda: LOCK)
    assert provenance.environment_text() == f"installed from requirements.lock with SHA-256 {LOCK}"
