"""Report parameters and profiles: typos and impossible values stop the run before any work."""

import pytest

from fmnist_lib.cli import main
from fmnist_lib.errors import ConfigError
from fmnist_lib.report.execute import project_root
from fmnist_lib.report.parameters import notebook_defaults, parse_assignment
from fmnist_lib.report.profiles import PROFILES, augmentation_configs, baseline_configs, get_profile
from fmnist_lib.report.sections import SECTIONS, check_parameters, get_section


@pytest.mark.parametrize("text, expected", [
    ("n_cases=12", ("n_cases", 12)),
    ("model=vgg16", ("model", "vgg16")),
    ("models=['vgg16', 'resnet18']", ("models", ["vgg16", "resnet18"])),
    ("epochs=None", ("epochs", None)),
    ("model=__import__('os').system('true')", ("model", "__import__('os').system('true')")),  # data, never code
])
def test_parse_assignment(text, expected):
    assert parse_assignment(text) == expected


def test_parse_assignment_needs_a_name():
    with pytest.raises(ConfigError, match="name=value"):
        parse_assignment("12")


@pytest.mark.parametrize("section, values, message", [
    ("failures", {"profile": "fast"}, "Unknown profile 'fast'. Choose one of: full, cpu, smoke"),
    ("failures", {"model": "vgg17"}, "Unknown model 'vgg17'"),
    ("baselines", {"models": []}, "non-empty list"),
    ("baselines", {"models": ["custom_cnn", "alexnet"]}, "Unknown model 'alexnet'"),
    ("failures", {"n_cases": 0}, "n_cases must be a whole number >= 1 and at most 64"),
    ("failures", {"n_cases": "eight"}, "n_cases must be a whole number"),
    ("baselines", {"epochs": -1}, "epochs must be a whole number >= 1 or None"),
    ("failures", {"device": "gpu"}, "Unknown device 'gpu'"),
    ("explainability", {"cam_method": "gradcam3"}, "Unknown CAM method 'gradcam3'"),
    ("failures", {"n_casse": 3}, "Section failures has no parameter 'n_casse'"),
    ("failures", {"models": ["vgg16"]}, "Section failures has no parameter 'models'"),  # the registry's list decides
])
def test_bad_parameter_values(section, values, message):
    with pytest.raises(ConfigError, match=message):
        check_parameters(section, **values)


def test_every_notebook_parameter_is_checked():
    root = project_root()
    for section in SECTIONS:
        defaults = notebook_defaults(root / "notebooks" / section.notebook)
        assert "profile" in defaults, section.notebook
        check_parameters(section.name, **defaults)  # the defaults themselves are valid


def test_unknown_section():
    with pytest.raises(ConfigError, match="Unknown section 'failure'. Choose one of: claims, baselines, failures"):
        get_section("failure")


def test_profiles_give_the_documented_budgets():
    full = baseline_configs("full", ["custom_cnn", "vgg16"])
    assert full["vgg16"].epochs == 15 and full["vgg16"].n_train == 50_000
    cpu = baseline_configs("cpu", ["custom_cnn", "resnet18"])
    assert (cpu["custom_cnn"].epochs, cpu["custom_cnn"].n_train) == (15, 50_000)
    assert cpu["resnet18"].n_train < 50_000
    overridden = baseline_configs("cpu", ["vgg16"], epochs=3, train_subset=100, seed=7)["vgg16"]
    assert (overridden.epochs, overridden.n_train, overridden.seed) == (3, 100, 7)
    base, augmented = augmentation_configs("smoke", "custom_cnn")
    assert not base.augment and augmented.augment and base.epochs == augmented.epochs
    assert set(PROFILES) == {"full", "cpu", "smoke"}
    with pytest.raises(ConfigError, match="Unknown profile"):
        get_profile("gpu")


@pytest.mark.parametrize("args, message", [
    (["-p", "n_casse=3"], "No selected section has parameter(s) n_casse"),
    (["--profile", "fast"], "Unknown profile 'fast'"),
    (["--only", "failure"], "Unknown section 'failure'"),
    (["--only", "failures", "-p", "model=vgg17"], "Unknown model 'vgg17'"),
    (["-p", "12"], "-p expects name=value"),
])
def test_report_command_refuses_bad_input_before_any_work(capsys, args, message, monkeypatch):
    from fmnist_lib.runs import cache as run_cache

    monkeypatch.setattr(run_cache, "train", lambda *a, **k: pytest.fail("trained despite bad input"))
    assert main(["report", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
