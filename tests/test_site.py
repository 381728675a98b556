"""The report end to end on the smoke profile: notebooks execute, the site builds with -W, a real
browser finds every page, figure, link and equation, every page passes the page checks (no raw tables, code,
paths or mis-sized figures: page_checks.py), and glued numbers equal the runs they came from."""

import re
import shutil
from html import escape
from pathlib import Path

import nbformat
import pytest

from fmnist_lib.data.augmentation import POLICIES
from fmnist_lib.data.corruptions import CORRUPTIONS
from fmnist_lib.errors import FmnistError
from fmnist_lib.report.build import run_report
from fmnist_lib.report.execute import project_root
from fmnist_lib.report.profiles import get_profile
from fmnist_lib.report.run_plans import augmentation_configs, baseline_configs, headline_seed_configs, matched_configs
from fmnist_lib.report.sections import SECTIONS
from fmnist_lib.runs.cache import run_name
from fmnist_lib.runs.listing import list_runs
from fmnist_lib.training.model_parts import model_label
from page_checks import glued, page_problems

ROOT = project_root()
ARTIFACTS = ROOT / "build" / "test-artifacts"  # screenshots of every page, kept for inspection
CHROMIUM = shutil.which("chromium")


# `site` (conftest.py): the smoke report, built once per session in a copy of the sources, with its own cache.


def test_committed_notebooks_are_clean():
    for section in SECTIONS:
        notebook = nbformat.read(ROOT / "notebooks" / section.notebook, as_version=4)
        assert notebook.cells[1 if notebook.cells[0].cell_type == "markdown" else 0].metadata.get("tags") == ["parameters"]
        for cell in notebook.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, section.notebook


def test_every_section_executed_and_site_built(site):
    root, _, index = site
    assert index.exists()
    for section in SECTIONS:
        executed = root / "build" / "executed" / section.notebook
        assert executed.exists(), section.notebook
        assert not nbformat.read(executed, as_version=4).metadata["papermill"]["exception"]
        assert (root / "_build" / "html" / "build" / "executed" / section.notebook.replace(".ipynb", ".html")).exists()
    texts = "".join(shown_text(output) for s in SECTIONS
                    for c in nbformat.read(root / "build" / "executed" / s.notebook, as_version=4).cells
                    for output in c.get("outputs", []))
    assert "it/s" not in texts and "batch/s" not in texts  # no progress bars in the pages


def shown_text(output) -> str:
    """What an output shows as text (streams and plain text, where a progress bar lands), leaving out images and
    HTML with images inlined, whose base64 may spell "it/s"."""
    return output.get("text", "") + output.get("data", {}).get("text/plain", "")


def test_glued_numbers_equal_the_runs(site):
    root, cache, _ = site
    runs = list_runs(cache).set_index("run")
    executed = root / "build" / "executed"
    ranking = glued(executed / "02_baselines.ipynb")["baselines_ranking"]
    for model, config in matched_configs("smoke", ["custom_cnn", "vgg16", "vgg19", "resnet18"]).items():
        stated = re.search(rf"{re.escape(model_label(model))} (\d+\.\d\d) %", ranking)
        assert stated and float(stated.group(1)) == pytest.approx(runs.loc[run_name(config)].test_acc, abs=0.006)
    failures = glued(executed / "03_failures.ipynb")
    custom = runs.loc[run_name(baseline_configs("smoke", ["custom_cnn"])["custom_cnn"])]
    assert int(failures["failures_n_errors"]) == int(custom.test_errors)
    augmentation = glued(executed / "05_augmentation.ipynb")
    augmented = runs.loc[run_name(augmentation_configs("smoke", "custom_cnn")[1])]
    assert float(augmentation["augmentation_aug_acc"]) == pytest.approx(augmented.test_acc, abs=0.006)
    html = (root / "_build" / "html" / "build" / "executed" / "03_failures.html").read_text()
    assert f"{int(failures['failures_n_errors']):,}" in html


def test_statistics_glue_equals_the_seed_runs(site):
    root, cache, _ = site
    runs = list_runs(cache).set_index("run")
    statistics = glued(root / "build" / "executed" / "08_statistics.ipynb")
    seed_runs = runs.loc[[run_name(config) for config in headline_seed_configs("smoke", "custom_cnn")]]
    assert int(statistics["statistics_custom_runs"]) == len(seed_runs) == 2
    assert float(statistics["statistics_custom_mean"]) == pytest.approx(seed_runs.test_acc.mean(), abs=0.006)
    assert float(statistics["statistics_custom_sd"]) == pytest.approx(seed_runs.test_acc.std(ddof=1), abs=0.01)
    assert int(statistics["statistics_n_pairs"]) == 6 and 0 <= int(statistics["statistics_n_significant"]) <= 6
    failures = glued(root / "build" / "executed" / "03_failures.ipynb")
    assert "every one of the 2 seed runs." in failures["failures_uncertain_persistence"]  # at its own budget
    pages = root / "_build" / "html" / "build" / "executed"
    assert "candidates for a person to judge" in (pages / "08_statistics.html").read_text()
    for page in ("02_baselines", "03_failures", "05_augmentation"):
        assert 'href="08_statistics.html' in (pages / f"{page}.html").read_text(), page


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make browser)")
def test_pages_in_a_real_browser(site):
    from playwright.sync_api import sync_playwright

    root, _, index = site
    html_root = root / "_build" / "html"
    pages = [html_root / "book" / "intro.html", html_root / "book" / "references.html"] + [
        html_root / "build" / "executed" / s.notebook.replace(".ipynb", ".html") for s in SECTIONS]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    outside, problems = [], {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("request", lambda request: outside.append(request.url)
                if not request.url.startswith(("file://", "data:", "blob:", "about:")) else None)
        for path in pages:
            response = page.goto(path.as_uri(), wait_until="load")
            assert response is None or response.ok, path
            page.wait_for_timeout(300)
            images = page.eval_on_selector_all("img", "els => els.map(e => [e.src, e.complete && e.naturalWidth])")
            assert all(width for _, width in images), (path.name, [src for src, width in images if not width])
            links = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
            for link in links:
                if link.startswith("file://"):
                    target = Path(link.split("#")[0].removeprefix("file://"))
                    assert target.exists(), (path.name, link)
            if path.stem in ("02_baselines", "04_explainability"):
                page.wait_for_selector("mjx-container", timeout=10_000)  # equations typeset offline
            page.evaluate("() => Promise.all([...document.images].map(i => i.decode().catch(() => null)))")
            page.screenshot(path=str(ARTIFACTS / f"{path.stem}.png"), full_page=True)
            problems[path.stem] = page_problems(page)
        browser.close()
    assert not outside, f"pages requested outside resources: {outside[:5]}"
    found = {name: found for name, found in problems.items() if found}
    assert not found, "pages a reader should not see this way:\n" + "\n".join(
        f"{name}: {problem}" for name, found in found.items() for problem in found)


def test_failing_cell_names_notebook_and_cell_and_the_rerun_resumes_retraining_nothing(site):
    """A page that fails names its notebook and cell and keeps what finished; the fixed page re-run alone with a
    new parameter (`--only failures -p n_cases=3`) executes that page, keeps the pages before it and trains nothing."""
    root, cache, _ = site
    broken = nbformat.read(root / "notebooks" / "03_failures.ipynb", as_version=4)
    broken.cells.append(nbformat.v4.new_code_cell("raise RuntimeError('deliberate failure')"))
    nbformat.write(broken, root / "notebooks" / "03_failures.ipynb")
    runs_before = {p.name: p.stat().st_mtime for p in cache.iterdir() if not p.name.startswith(".")}
    with pytest.raises(FmnistError, match=r"Section failures failed in cell \d+ \(03_failures.ipynb\): "
                                          r"RuntimeError: deliberate failure"):
        run_report("smoke", root=root, progress=False, echo=lambda line: None)
    assert (root / "build" / "failed" / "03_failures.ipynb").exists()
    assert not (root / "build" / "executed" / "03_failures.ipynb").exists()
    assert (root / "build" / "executed" / "02_baselines.ipynb").exists()  # finished sections are kept

    shutil.copy(ROOT / "notebooks" / "03_failures.ipynb", root / "notebooks" / "03_failures.ipynb")
    lines = []
    run_report("smoke", root=root, only=["failures"], overrides={"n_cases": 3}, progress=False, echo=lines.append)
    assert "  baselines: up to date, kept" in lines  # resumed: only what failed, and what reads it, runs
    executed = [line.split()[1] for line in lines if line.startswith("Executing ")]
    assert "03_failures.ipynb" in executed and "02_baselines.ipynb" not in executed
    assert not (root / "build" / "failed").exists()
    assert glued(root / "build" / "executed" / "03_failures.ipynb")["failures_n_cases"] == "3"
    after = {p.name: p.stat().st_mtime for p in cache.iterdir() if not p.name.startswith(".")}
    assert after == runs_before  # and so are finished runs: nothing trained, nothing rewritten


def test_stress_pages_state_their_subsets_and_qualify_the_heatmaps(site):
    root, _, _ = site
    executed, pages = root / "build" / "executed", root / "_build" / "html" / "build" / "executed"
    robust = glued(executed / "06_robustness.ipynb")
    assert int(robust["robustness_n_corruptions"]) == len(CORRUPTIONS)
    assert f"Custom CNN {get_profile('smoke').stress_images['custom_cnn']:,}" in robust["robustness_budget"]
    assert "Custom CNN (augmented)" in (pages / "06_robustness.html").read_text()
    saliency = glued(executed / "07_saliency_checks.ipynb")
    explained = (pages / "04_explainability.html").read_text()  # the explainability page states the check's outcome
    assert 'href="07_saliency_checks.html' in explained
    assert f"{float(saliency['saliency_custom_final_rho']):.2f}" in explained


def test_augmentation_page_compares_every_policy_and_the_claims_page_judges_two_more(site):
    root, _, _ = site
    executed, pages = root / "build" / "executed", root / "_build" / "html" / "build" / "executed"
    augmentation = (pages / "05_augmentation.html").read_text()
    assert "Left out of its mCE" in augmentation and "Minus no augmentation" in augmentation
    for policy in POLICIES.values():
        assert f">{escape(policy.label)}<" in augmentation, policy.name  # a row of the policy table
    values = glued(executed / "05_augmentation.ipynb")
    assert values["augmentation_policy_seeds"].strip("'") == f"{get_profile('smoke').policy_seeds} seeds"
    claims = (pages / "01_claims.html").read_text()
    assert "augmentation provides incremental robustness gains" in claims
    assert "with crop, flip and erasing, after 15 epochs, the custom CNN reaches 91.97 %" in claims
