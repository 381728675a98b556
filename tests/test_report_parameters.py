"""Report parameters and profiles: typos and impossible values stop the run before any work."""

import pytest

from fmnist_lib.cli import main
from fmnist_lib.errors import ConfigError
from fmnist_lib.report.execute import project_root
from fmnist_lib.report.parameters import notebook_defaults, parse_assignment
from fmnist_lib.report.profiles import PROFILES, get_profile
from fmnist_lib.report.run_plans import augmentation_configs, baseline_configs
from fmnist_lib.report.sections import SECTIONS, check_parameters, get_section
from fmnist_lib.training.models import MODEL_NAMES


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
    ("saliency", {"seed": 2 ** 32}, "seed must be a whole number from 0 to 4,294,967,295 \\(the pages seed NumPy's"),
    ("explainability", {"cam_method": "gradcam3"}, "Unknown CAM method 'gradcam3'"),
    ("failures", {"n_casse": 3}, "Section failures has no parameter 'n_casse'"),
    ("failures", {"models": ["vgg16"]}, "Section failures has no parameter 'models'"),  # the registry's list decides
    ("failures", {"weights": "last"}, "weights must be 'final'"),
    ("robustness", {"models": ["vgg16"]}, "Section robustness: the robustness page compares every model with the "
                                          "custom CNN: keep custom_cnn in models \\(got models=\\['vgg16'\\]\\)"),
    ("saliency", {"models": ["resnet18"]}, "Section saliency: the saliency page checks the maps the explainability "
                                           "page reads, the custom CNN's: keep custom_cnn in models"),
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
    assert (base.augment, augmented.augment) == ("none", "flip_rotate") and base.epochs == augmented.epochs
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


RULE = "Section robustness: the robustness page compares every model with the custom CNN: keep custom_cnn in models"


@pytest.fixture
def no_training(monkeypatch):
    from fmnist_lib.runs import cache as run_cache

    monkeypatch.setattr(run_cache, "train", lambda *a, **k: pytest.fail("trained despite a broken rule"))


def test_a_pages_rule_stops_the_report_and_the_sweep_before_any_training(report_sources, tmp_path, monkeypatch,
                                                                         capsys, no_training):
    """`fmnist report -p models='["vgg16"]'`: the robustness page's rule, checked by the registry before training."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("FMNIST_CACHE_DIR", str(cache))
    assert main(["report", "--profile", "smoke", "--root", str(report_sources), "-p", 'models=["vgg16"]']) == 2
    err = capsys.readouterr().err
    assert RULE in err and "Traceback" not in err
    assert main(["sweep", "--profile", "smoke", "-p", 'models=["vgg16"]', "--cache-dir", str(cache)]) == 2
    assert RULE in capsys.readouterr().err
    assert not cache.exists() or not [p for p in cache.iterdir() if not p.name.startswith(".")]  # no run folder
    assert not (report_sources / "build" / "executed").exists()  # no page executed either


def test_the_pages_own_checks_are_the_registrys_rules(monkeypatch):
    """The opening call applies the same rule before loading any run; the pages' helpers defer to it."""
    from fmnist_lib.report import opening
    from fmnist_lib.report.pages import robustness, saliency

    monkeypatch.setattr(opening, "_load", lambda *a: pytest.fail("loaded runs despite a broken rule"))
    with pytest.raises(ConfigError, match=RULE):
        opening.open_section("robustness", profile="smoke", models=["vgg16"], n_images=None, seed=56, device="cpu")
    with pytest.raises(ConfigError, match=RULE):
        robustness.require_reference(["vgg16"])
    with pytest.raises(ConfigError, match="Section saliency: "):
        saliency.require_explained_model(["vgg16"])
    robustness.require_reference(["custom_cnn", "vgg16"])


def test_a_run_that_cannot_train_stops_the_report_before_the_first_run_trains(report_sources, tmp_path, monkeypatch,
                                                                               capsys, no_training):
    monkeypatch.setenv("FMNIST_CACHE_DIR", str(tmp_path / "cache"))
    args = ["report", "--profile", "smoke", "--root", str(report_sources), "--only", "baselines", "-p", "train_subset=257"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "the last batch holds one image" in err and "Traceback" not in err


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_each_profile_stores_the_validation_images_its_calibration_fits_on(name):
    """A temperature is fitted on a run's stored validation logits: a profile must never ask for more than a run
    validates on (its val_subset, else its validation split), or the robustness page would stop."""
    profile = PROFILES[name]
    for model in MODEL_NAMES:
        config = profile.config(model, device="cpu")
        stored = config.val_subset or config.val_size
        assert profile.calibration_images.get(model, stored) <= stored, (name, model)
    if name == "cpu":
        assert profile.config("vgg19", device="cpu").val_subset == 2_000
        assert profile.config("custom_cnn", device="cpu").val_subset is None  # the protocol run validates on all


def test_matched_configs_put_every_model_on_the_shortest_budget():
    from fmnist_lib.report.run_plans import matched_configs

    cpu = matched_configs("cpu", list(MODEL_NAMES), device="cpu")
    budgets = {(c.epochs, c.n_train, c.val_subset) for c in cpu.values()}
    assert budgets == {(2, 10_000, 2_000)}  # the large models' budget, the custom CNN trained again at it
    assert cpu["custom_cnn"] != baseline_configs("cpu", ["custom_cnn"], device="cpu")["custom_cnn"]
    assert cpu["vgg16"] == baseline_configs("cpu", ["vgg16"], device="cpu")["vgg16"]  # the same cached run
    full = matched_configs("full", list(MODEL_NAMES), device="cpu")
    assert full == baseline_configs("full", list(MODEL_NAMES), device="cpu")  # alike already: no extra run
    assert matched_configs("cpu", ["custom_cnn"], device="cpu") == baseline_configs("cpu", ["custom_cnn"], device="cpu")
