"""The error explorer: its data against hand-made inputs, its numbers against the failures and statistics
pages' own computations on real smoke runs, and the built page in a real browser with no request leaving it."""

import base64
import io
import json
import math
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from fmnist_lib import fingerprint
from fmnist_lib.analysis import explain, failures, persistence
from fmnist_lib.errors import ConfigError
from fmnist_lib.fingerprint import source_files
from fmnist_lib.report import explorer, explorer_page
from fmnist_lib.report.execute import project_root
from fmnist_lib.report.record import LIBRARY, LIBRARY_SUFFIXES, library_fingerprint
from fmnist_lib.report.pages import statistics as statistics_page
from fmnist_lib.report.run_plans import STUDY_MODEL, augmentation_configs, headline_seed_configs, persistence_configs
from fmnist_lib.report.sections import check_parameters, get_section, report_configs, section_parameters
from fmnist_lib.runs.cache import load_or_train
from fmnist_lib.runs.seeds import load_or_train_seeds
from fmnist_lib.training.evaluate import confusion_matrix
from page_checks import glued

ROOT = project_root()
ARTIFACTS = ROOT / "build" / "test-artifacts"
CHROMIUM = shutil.which("chromium")
PROFILE, MODEL, SEED, DEVICE = "smoke", "custom_cnn", 56, "auto"


def logits_for(rows: list[dict[int, float]]) -> torch.Tensor:
    """Logits (N, 10) whose softmax is the given {class: probability} per row (other classes share the rest)."""
    return torch.tensor([[math.log(row.get(c, (1 - sum(row.values())) / (10 - len(row)))) for c in range(10)]
                         for row in rows]).float()


# ---- the data builder on hand-made input --------------------------------------------------------

@pytest.fixture
def hand_made():
    """Six test images: 0 and 5 right; 1-4 wrong. Two seed runs, an augmented run and one flagged label (image 2)."""
    labels = torch.tensor([0, 2, 2, 2, 8, 9])
    table = failures.error_table(logits_for([{0: 0.9}, {1: 0.6, 2: 0.3}, {4: 0.99}, {4: 0.7, 6: 0.2},
                                             {3: 0.2, 8: 0.19}, {9: 0.95}]), labels)
    wrong = {0: [0, 0, 2, 4, 3, 9], 1: [0, 1, 2, 4, 8, 9]}  # seed runs' predictions: image 2 right in both
    ptable = persistence.persistence_table([(torch.nn.functional.one_hot(torch.tensor(p), 10).float() * 9, labels)
                                            for p in wrong.values()])
    augmented = failures.error_table(torch.nn.functional.one_hot(torch.tensor([0, 2, 4, 2, 3, 9]), 10).float() * 9,
                                     labels)
    suspects = pd.DataFrame({"rank": [1]}, index=pd.Index([2], name="test_index"))
    return table, ptable, augmented, suspects


def test_error_rows_known_values(hand_made):
    table, ptable, augmented, suspects = hand_made
    copies = [frame.copy() for frame in hand_made]
    rows = explorer.error_rows(table, ptable, augmented, suspects)
    assert all(frame.equals(copy) for frame, copy in zip(hand_made, copies))  # inputs untouched
    assert rows.index.tolist() == [1, 2, 3, 4]  # every error once, in test-index order, no right answer
    assert rows["label"].tolist() == [2, 2, 2, 8] and rows["prediction"].tolist() == [1, 4, 4, 3]
    assert rows[["top1", "top2"]].loc[1].tolist() == [1, 2] and rows[["top1", "top2"]].loc[3].tolist() == [4, 6]
    assert rows.loc[1, "top1_p"] == pytest.approx(0.6, abs=1e-6) and rows.loc[1, "top2_p"] == pytest.approx(0.3, abs=1e-6)
    assert rows.loc[4, "top1"] == 3 and rows.loc[4, "top2"] == 8 and rows.loc[4, "p_true"] == pytest.approx(0.19, abs=1e-6)
    assert rows.loc[2, "confidence"] == pytest.approx(0.99, abs=1e-6)
    assert rows["times_wrong"].tolist() == [2, 0, 2, 1] and set(rows["runs"]) == {2}
    assert rows["always_wrong"].tolist() == [True, False, True, False]
    assert rows["augmented_prediction"].tolist() == [2, 4, 2, 3]
    assert rows["augmented_wrong"].tolist() == [False, True, False, True]
    assert rows["suspect"].tolist() == [False, True, False, False]


def test_error_rows_without_seeds_augmentation_or_audit(hand_made):
    rows = explorer.error_rows(hand_made[0])
    assert rows.index.tolist() == [1, 2, 3, 4]
    assert set(rows["times_wrong"]) == {-1} and set(rows["runs"]) == {0} and not rows["always_wrong"].any()
    assert set(rows["augmented_prediction"]) == {-1} and not rows["suspect"].any()


def test_error_rows_refuse_another_test_set(hand_made):
    table, ptable, augmented, suspects = hand_made
    other = augmented.copy()
    other["label"] = (other["label"] + 1) % 10
    with pytest.raises(ConfigError, match="other labels"):
        explorer.error_rows(table, ptable, other, suspects)


def _fake_explorer(rows, confusion, always=None) -> explorer.Explorer:
    n = len(rows)
    return explorer.Explorer(rows=rows, confusion=confusion, images=np.zeros((n, 28, 28), np.uint8),
                             cam_predicted=np.zeros((n, 14, 14), np.float32), cam_true=np.ones((n, 14, 14), np.float32),
                             neighbour_slots=np.zeros((n, 2), int), neighbour_similarity=np.ones((n, 2)),
                             neighbour_index=np.array([7]), neighbour_images=np.full((1, 28, 28), 200, np.uint8),
                             always_wrong_total=always, suspects_total=0, seeds_are_statistics=True,
                             texts={"model": "Custom CNN", "seeds": "s", "audit": "a", "augmented": "g", "run": "r"})


def test_cell_counts_and_summary_are_the_confusion_matrix_off_diagonal():
    generator = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 10, (500,), generator=generator)
    logits = torch.randn(500, 10, generator=generator)
    table = failures.error_table(logits, labels)
    rows = explorer.error_rows(table)
    confusion = confusion_matrix(labels.numpy(), logits.argmax(1).numpy())
    expected = confusion.copy()
    np.fill_diagonal(expected, 0)
    assert np.array_equal(explorer.cell_counts(rows), expected)
    assert explorer.cell_counts(rows).sum() == len(rows) == int((~table["correct"]).sum())
    counts = explorer.summary(_fake_explorer(rows, confusion))
    assert counts["n_errors"] == len(rows) and counts["n_test"] == 500 and counts["n_off_cells"] == 90
    assert counts["top_cell_count"] == expected.max() and counts["n_cells"] == int((expected > 0).sum())
    values = explorer.page_values(_fake_explorer(rows, confusion))
    assert values["seeds_text"] == "s" and values["model"] == "Custom CNN" and "not measured" in values[
        "persistence_sentence"]


def test_shrink_cams_averages_blocks():
    cams = np.zeros((2, 28, 28), np.float32)
    cams[0, :2, :2] = 1.0  # one 2 x 2 block -> one pixel of 1
    cams[1, 0, 0] = 1.0  # one pixel -> a quarter
    small = explorer.shrink_cams(cams)
    assert small.shape == (2, 14, 14) and small.dtype == np.float32
    assert small[0, 0, 0] == 1 and small[0].sum() == 1 and small[1, 0, 0] == 0.25
    assert explorer.shrink_cams(cams, 7).shape == (2, 7, 7)
    with pytest.raises(ConfigError):
        explorer.shrink_cams(cams, 10)


def test_persistence_sentence_says_where_its_count_comes_from():
    measured = {"always_wrong_total": 1234, "errors_always_wrong": 321, "seed_runs": 3}
    sentence = explorer.persistence_sentence(measured, statistics_runs=True)
    assert sentence.startswith("321 of them are wrong in every one of the 3 seed runs")
    assert "1,234 test images" in sentence and "statistics page's count" in sentence
    assert "statistics page" not in explorer.persistence_sentence(measured, statistics_runs=False)
    unmeasured = {"always_wrong_total": None, "errors_always_wrong": None, "seed_runs": 0}
    assert "not measured" in explorer.persistence_sentence(unmeasured, statistics_runs=False)


def test_weights_parameter_is_checked():
    check_parameters("explorer", weights="best")
    with pytest.raises(ConfigError, match="weights"):
        check_parameters("explorer", weights="last")


def test_registry_gives_the_explorer_its_runs_and_the_sweep_knows_them():
    section = get_section("explorer")
    parameters = section_parameters(ROOT, section, PROFILE, {})
    assert parameters == {"profile": PROFILE, "model": MODEL, "weights": "final", "n_neighbours": 5, "seed": SEED,
                          "device": DEVICE}
    runs = section.runs(parameters)
    failures_runs = registry_configs("failures")
    assert runs["run"] == failures_runs["run"] and runs["seeds"] == failures_runs["seeds"]  # the failures page's
    assert runs["seeds"] == persistence_configs(PROFILE, MODEL, seed=SEED, device=DEVICE)
    assert runs["augmented"] == augmentation_configs(PROFILE, MODEL, seed=SEED, device=DEVICE)[1]
    assert runs["audit"] == registry_configs("statistics")["seeds"][STUDY_MODEL]  # the statistics page's audit
    swept = report_configs(PROFILE, ROOT)
    assert all(config in swept for config in section.configs(parameters))


def test_library_fingerprint_covers_the_script_and_style(tmp_path, monkeypatch):
    """A change to explorer.js or explorer.css re-executes the page, as a change to the Python does."""
    report = Path(explorer.__file__).parent
    assert (report / "explorer.js").is_file() and (report / "explorer.css").is_file()
    names = {path.name for path in source_files(LIBRARY, suffixes=LIBRARY_SUFFIXES)}
    assert {"explorer.js", "explorer.css", "explorer_page.py"} <= names
    package = tmp_path / "fmnist_lib"
    shutil.copytree(report.parent, package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(fingerprint, "PACKAGE", package)
    before = library_fingerprint()
    for name in ("explorer.js", "explorer.css"):
        with (package / "report" / name).open("a") as handle:
            handle.write("\n/* edited */\n")
        assert library_fingerprint() != before, name
        before = library_fingerprint()


# ---- the page: sprites, payload, HTML --------------------------------------------------------------

def test_sprite_sheet_round_trips_through_png():
    tiles = np.random.default_rng(0).integers(0, 256, (70, 28, 28), dtype=np.uint8)
    sheet = explorer_page.sprite_sheet(tiles, columns=64)
    assert sheet.shape == (2 * 28, 64 * 28)
    assert np.array_equal(sheet[28:56, 5 * 28:6 * 28], tiles[69]) and not sheet[28:, 6 * 28:].any()
    uri = explorer_page.png_data_uri(sheet)
    assert uri.startswith("data:image/png;base64,")
    decoded = np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))))
    assert np.array_equal(decoded, sheet)


def _payload_of(html: str) -> dict:
    match = re.search(r'<script type="application/json" class="fx-data">(.*?)</script>', html, re.S)
    return json.loads(match.group(1))


def test_page_html_is_self_contained(hand_made):
    table, ptable, augmented, suspects = hand_made
    rows = explorer.error_rows(table, ptable, augmented, suspects)
    confusion = confusion_matrix(table["label"].to_numpy(), table["prediction"].to_numpy())
    html = explorer_page.page_html(_fake_explorer(rows, confusion, always=2), element_id="x")
    assert not re.search(r"(src|href)=[\"']?(https?:)?//", html) and "https://" not in html and "http://" not in html
    assert html.count("<script") == 2 and "@media print" in html
    data = _payload_of(html)
    assert data["errors"]["index"] == [1, 2, 3, 4] and data["confusion"] == confusion.tolist()
    assert data["errors"]["suspect"] == [0, 1, 0, 0] and data["errors"]["wrong"] == [2, 0, 2, 1] and data["seedRuns"] == 2
    assert data["errors"]["top"][0] == rows.loc[1, ["top1", "top2", "top3"]].tolist()
    assert set(data["sprites"]) == {"image", "camPred", "camTrue", "train"} and data["trainIndex"] == [7]
    static = re.search(r'<table class="fx-static-table">.*?</table>', html, re.S).group(0)
    assert static.count("<tr>") == 11 and '<td class="fx-off">1</td>' in static  # header + 10 classes


# ---- real runs: the explorer's numbers are the other pages' numbers -------------------------------

def registry_configs(name: str) -> dict:
    """The runs a section's page reads under the smoke profile and its notebook's defaults, as configs."""
    section = get_section(name)
    return section.runs(section_parameters(ROOT, section, PROFILE, {}))


def load(needed, fmnist):
    """Runs as `open_section` loads them: a config, a list of seed configs, or a dict of those."""
    if isinstance(needed, dict):
        return {name: load(value, fmnist) for name, value in needed.items()}
    if isinstance(needed, list):
        return load_or_train_seeds(needed, data=fmnist)
    return load_or_train(needed, data=fmnist, progress=False)


@pytest.fixture(scope="module")
def smoke(fmnist, site):
    """The explorer of the smoke profile's custom CNN, built from the session site's runs (its cache is the
    session's FMNIST_CACHE_DIR)."""
    runs = explorer.explorer_runs(load(registry_configs("explorer"), fmnist), PROFILE, DEVICE)
    return runs, explorer.build_explorer(runs, fmnist, n_neighbours=4)


@pytest.fixture(scope="module")
def other_pages(fmnist, site):
    """What the failures page counts (its run's error table) and what the statistics page counts (its persistence
    table and suspect labels, by the statistics page's own call on its own runs)."""
    table = failures.error_table(*load(registry_configs("failures")["run"], fmnist).predictions())
    custom = load(registry_configs("statistics")["seeds"][STUDY_MODEL], fmnist)  # the notebook's seed_runs[STUDY_MODEL]
    ptable, suspects = statistics_page.persistence_and_suspects(custom)
    return table, ptable, suspects


def test_explorer_agrees_with_the_failures_and_statistics_pages(smoke, other_pages):
    runs, built = smoke
    table, ptable, suspects = other_pages
    errors = table[~table["correct"]]
    assert built.rows.index.tolist() == sorted(errors.index) and built.rows.index.is_unique  # the same errors
    assert len(built.rows) == runs.headline.test_metrics()["errors"]
    assert np.array_equal(built.confusion, np.asarray(runs.headline.test_metrics()["confusion"]))
    off_diagonal = built.confusion.copy()
    np.fill_diagonal(off_diagonal, 0)
    assert np.array_equal(explorer.cell_counts(built.rows), off_diagonal)
    counts = explorer.summary(built)
    groups = persistence.failure_groups(ptable)
    assert counts["always_wrong_total"] == int(groups.loc["always wrong", "images"])
    assert counts["errors_always_wrong"] == int(ptable.loc[errors.index, "persistent"].sum())
    assert counts["suspects_total"] == len(suspects)
    assert counts["suspect_errors"] == len(set(errors.index) & set(suspects.index))
    assert built.rows.loc[built.rows["suspect"]].index.tolist() == sorted(set(errors.index) & set(suspects.index))
    assert counts["seed_runs"] == len(headline_seed_configs(PROFILE, STUDY_MODEL)) == 2
    assert built.seeds_are_statistics


def test_explorer_arrays(smoke, fmnist):
    runs, built = smoke
    rows, n = built.rows, len(built.rows)
    assert np.array_equal(built.images, fmnist.test_images[torch.tensor(rows.index.tolist())].numpy())
    assert built.cam_predicted.shape == built.cam_true.shape == (n, explorer.CAM_SIZE, explorer.CAM_SIZE)
    assert built.cam_predicted.min() >= 0 and built.cam_predicted.max() <= 1
    assert not np.allclose(built.cam_predicted, built.cam_true)  # two targets, two maps
    model = runs.headline.load_model()
    first = torch.tensor(rows.index[:3].tolist())
    expected = explorer.shrink_cams(explain.compute_cams(model, fmnist.test_images[first], rows["label"].iloc[:3].tolist()))
    assert np.allclose(built.cam_true[:3], expected, atol=1e-5)
    assert built.neighbour_slots.shape == built.neighbour_similarity.shape == (n, 4)
    neighbour_labels = fmnist.train_labels[torch.as_tensor(built.neighbour_index)].numpy()[built.neighbour_slots]
    assert (neighbour_labels == rows["prediction"].to_numpy()[:, None]).all()  # of the predicted class
    trained_on = failures.training_features(model, runs.headline.config, fmnist).index
    assert np.isin(built.neighbour_index, trained_on).all()  # among the run's own training images
    assert (np.diff(built.neighbour_similarity, axis=1) <= 1e-6).all()  # most similar first
    assert np.array_equal(built.neighbour_images, fmnist.train_images[torch.as_tensor(built.neighbour_index)].numpy())


# ---- the built page in a browser ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def built_page(site):
    """The session's smoke site: the explorer notebook executed by the report's own code and built with the rest of
    the book, warnings as errors."""
    return site[0]


def test_page_glue_equals_the_other_pages_numbers(built_page, other_pages):
    table, ptable, suspects = other_pages
    values = glued(built_page / "build" / "executed" / "09_explorer.ipynb")
    errors = table[~table["correct"]]
    assert int(values["explorer_n_errors"]) == len(errors)
    assert int(values["explorer_always_wrong_total"]) == int((ptable["group"] == "always wrong").sum())
    assert int(values["explorer_suspects_total"]) == len(suspects)
    assert int(values["explorer_suspect_errors"]) == int(errors.index.isin(suspects.index).sum())
    assert "which is one of them" in values["explorer_seeds_text"]  # the seed runs train as this run does
    html = (built_page / "_build" / "html" / "build" / "executed" / "09_explorer.html").read_text()
    for number in (len(errors), len(suspects), int((ptable["group"] == "always wrong").sum())):
        assert f"{number:,}" in html
    assert "one per seed, each trained exactly like the run explored here" in html


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make browser)")
def test_explorer_in_a_real_browser(built_page, other_pages, fmnist):
    from playwright.sync_api import sync_playwright

    table, _, suspects = other_pages
    errors = table[~table["correct"]]
    pairs = errors.groupby(["label", "prediction"]).size()
    (true, predicted), largest = pairs.idxmax(), int(pairs.max())
    expected = errors[(errors["label"] == true) & (errors["prediction"] == predicted)]
    page_path = built_page / "_build" / "html" / "build" / "executed" / "09_explorer.html"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    outside, failures_seen = [], []

    def block_outside(route):
        if route.request.url.startswith(("file://", "data:", "blob:", "about:")):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.route("**/*", block_outside)
        page.on("request", lambda request: outside.append(request.url)
                if not request.url.startswith(("file://", "data:", "blob:", "about:")) else None)
        page.on("pageerror", lambda error: failures_seen.append(str(error))
                if "THEBE_JS_URL" not in str(error) else None)  # the theme's own, on every page of the book
        page.goto(page_path.as_uri(), wait_until="load")
        page.wait_for_selector(".fx-explorer[data-fx-ready=yes]", timeout=20_000)
        assert page.is_hidden(".fx-static") and page.is_visible(".fx-matrix")
        page.locator(".fx-explorer").scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "explorer_loaded.png"))

        cell = page.locator(f'.fx-cell[data-true="{true}"][data-pred="{predicted}"]')
        assert cell.inner_text() == str(largest)
        cell.focus()
        page.keyboard.press("Enter")  # a button: the keyboard opens it too
        assert cell.get_attribute("aria-pressed") == "true"
        thumbs = page.locator(".fx-thumb")
        assert thumbs.count() == largest == len(expected)
        shown = [int(i) for i in thumbs.evaluate_all("els => els.map(e => e.dataset.index)")]
        order = np.lexsort((expected.index.to_numpy(), -np.round(expected["confidence"].to_numpy().astype(float), 4)))
        assert shown == expected.index[order].tolist()  # confidence, highest first, then test index
        page.select_option(".fx-sort", "entropy-desc")
        shown = [int(i) for i in thumbs.evaluate_all("els => els.map(e => e.dataset.index)")]
        order = np.lexsort((expected.index.to_numpy(), -np.round(expected["entropy"].to_numpy().astype(float), 3)))
        assert shown == expected.index[order].tolist()
        page.check(".fx-suspects")
        assert thumbs.count() == int(expected.index.isin(suspects.index).sum())
        page.uncheck(".fx-suspects")
        page.screenshot(path=str(ARTIFACTS / "explorer_cell.png"))

        thumbs.first.click()
        index = shown[0]
        detail = page.locator(".fx-detail")
        assert detail.is_visible() and detail.locator(".fx-test-index").inner_text() == str(index)
        probabilities = detail.locator(".fx-probs li").all_inner_texts()
        row = table.loc[index]
        for name, p in ((row.prediction_name, row.confidence), (row.top2_name, row.top2_p), (row.top3_name, row.top3_p)):
            assert any(name in text and f"{100 * p:.1f}%" in text for text in probabilities), (name, probabilities)
        cams = detail.locator("canvas.fx-cam")
        assert cams.count() == 2
        assert [int(c) for c in cams.evaluate_all("els => els.map(e => e.dataset.class)")] == [predicted, true]
        spreads = cams.evaluate_all("""els => els.map(c => { const d = c.getContext('2d').getImageData(0, 0, c.width,
            c.height).data; let lo = 255, hi = 0; for (let i = 0; i < d.length; i += 4) { lo = Math.min(lo, d[i]);
            hi = Math.max(hi, d[i]); } return hi - lo; })""")
        assert all(spread > 50 for spread in spreads)  # painted maps, not blank canvases
        pixels = detail.locator("canvas.fx-big").evaluate("""c => Array.from(c.getContext('2d').getImageData(0, 0,
            c.width, c.height).data.filter((_, i) => i % 4 === 0))""")
        assert np.array_equal(np.array(pixels).reshape(28, 28), fmnist.test_images[index].numpy())  # the right image
        assert detail.locator(".fx-neighbour").count() == 5
        assert page.evaluate("document.activeElement.tagName") == "H3"
        page.screenshot(path=str(ARTIFACTS / "explorer_image.png"))
        page.keyboard.press("Escape")
        assert detail.is_hidden() and page.evaluate("document.activeElement.dataset.index") == str(index)

        page.emulate_media(media="print")
        assert page.is_hidden(".fx-app") and page.is_visible(".fx-static-table")
        browser.close()
    assert not failures_seen, failures_seen[:3]
    assert not outside, f"the page requested outside resources: {outside[:5]}"
