"""The opening every page makes: parameters checked first, runs loaded in the registry's shape, the profile box
glued."""

import dataclasses

import pytest

from fmnist_lib.errors import ConfigError
from fmnist_lib.report import opening
from fmnist_lib.report.profiles import get_profile
from fmnist_lib.runs.cache import Run


@pytest.fixture
def glued(monkeypatch):
    import myst_nb

    values = {}
    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display=True: values.__setitem__(name, value))
    return values


def test_a_page_without_runs_glues_its_profile_box_and_reads_no_data(glued):
    opened = opening.open_section("conclusion", profile="smoke")
    assert opened.runs == {} and opened.profile is get_profile("smoke")
    assert glued == {"conclusion_profile": "smoke", "conclusion_profile_note": get_profile("smoke").note,
                     "conclusion_profile_short": opening.short_note(get_profile("smoke"))}
    assert opening.short_note(get_profile("cpu")) == ("Custom CNN 15 epochs on 50,000 images; VGG-16, VGG-19 and ResNet-18 2 "
                                                      "epochs on 10,000 images")
    assert "data" not in vars(opened)  # read only when a page asks for it
    opened.glue({"x": 1})
    assert glued["conclusion_x"] == 1


def test_bad_parameters_stop_the_page_before_any_work(glued, monkeypatch):
    monkeypatch.setattr(opening, "_load", lambda *a: pytest.fail("loaded runs despite bad parameters"))
    with pytest.raises(ConfigError, match="Unknown model 'vgg17'"):
        opening.open_section("failures", profile="smoke", model="vgg17", n_cases=8, n_neighbours=5, seed=56,
                             device="cpu")
    with pytest.raises(ConfigError, match="Section conclusion has no parameter 'model'"):
        opening.open_section("conclusion", profile="smoke", model="vgg16")
    assert glued == {}


def test_runs_are_loaded_in_the_shape_the_registry_names_them(tmp_path, monkeypatch, fmnist, tiny_config):
    monkeypatch.setenv("FMNIST_CACHE_DIR", str(tmp_path))
    one = dataclasses.replace(tiny_config, epochs=1)
    seeds = [dataclasses.replace(one, seed=seed) for seed in (4, 5)]
    runs = opening._load({"run": one, "seeds": seeds, "none": [], "nested": {"again": one}}, fmnist)
    assert isinstance(runs["run"], Run) and runs["run"].config == one.resolved()
    assert [run.config.seed for run in runs["seeds"]] == [4, 5] and runs["none"] == []
    assert runs["nested"]["again"].path == runs["run"].path


def test_pages_get_their_runs_only_from_the_opening_call():
    """The registry's `runs` is the one list of a page's runs: no notebook loads, trains or derives runs itself
    (which `fmnist sweep` would not see)."""
    import nbformat

    from fmnist_lib.report.execute import project_root
    from fmnist_lib.report.sections import SECTIONS

    forbidden = ("load_or_train", "_configs(", ".configs(", "train(", "cross_validated_probs")
    for section in SECTIONS:
        notebook = nbformat.read(project_root() / "notebooks" / section.notebook, as_version=4)
        code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
        assert not [word for word in forbidden if word in code], section.notebook
