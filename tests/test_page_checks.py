"""The page checks themselves: each catches a hand-written bad snippet and passes a good one."""

import shutil

import pytest

from page_checks import (bold_glue_problems, build_path_problems, code_cell_problems, glued_text_problems,
                         image_scale_problems, table_problems)

CHROMIUM = shutil.which("chromium")


def table(header: list[str], rows: list[list[str]], index_name: str = "") -> str:
    """A table as pandas' Styler renders it: header row, optional index-name row, row labels as <th>."""
    head = "".join(f"<th>{cell}</th>" for cell in header)
    names = f"<tr><th>{index_name}</th>" + "<th></th>" * (len(header) - 1) + "</tr>" if index_name else ""
    body = "".join("<tr>" + f"<th>{row[0]}</th>" + "".join(f"<td>{c}</td>" for c in row[1:]) + "</tr>" for row in rows)
    return f"<h2>Comparison</h2><table><thead><tr>{head}</tr>{names}</thead><tbody>{body}</tbody></table>"


GOOD_TABLE = table(["", "Test accuracy (%)", "Gap (pts)"], [["Custom CNN", "91.52", "—"], ["VGG-16", "90.10", "2.31"]],
                   index_name="Model")


def test_a_clean_table_passes():
    assert table_problems(GOOD_TABLE) == []


@pytest.mark.parametrize("value", ["NaN", "nan", "None", "True", "False"])
def test_raw_values_in_cells_are_caught(value):
    problems = table_problems(table(["", "Gap (pts)"], [["Custom CNN", value], ["VGG-16", "1.20"]]))
    assert problems == [f"table 1 (under 'Comparison'): 1 cell(s) read '{value}'"]


def test_a_raw_header_is_caught_but_not_words_that_contain_none():
    assert table_problems(table(["", "Nonetheless", "Trueness"], [["a", "Falsehood", "nano"], ["b", "1", "2"]])) == []
    problems = table_problems(table(["", "final_gap", "times_wrong"], [["gaussian_noise", "1", "2"], ["b", "3", "4"]]))
    assert problems == ["table 1 (under 'Comparison'): snake_case header(s) final_gap, times_wrong, gaussian_noise"]


def test_a_default_index_is_caught_but_a_meaningful_first_column_is_not():
    problems = table_problems(table(["", "Class"], [["0", "Coat"], ["1", "Shirt"], ["2", "Bag"]]))
    assert problems == ["table 1 (under 'Comparison'): its first column is a 0..2 index"]
    assert table_problems(table(["Seed", "Accuracy (%)"], [["1", "90.1"], ["2", "90.3"], ["3", "89.9"]])) == []
    assert table_problems(table(["Epoch", "Loss"], [["0", "2.3"]])) == []  # a single 0 is no index


CELL = '<div class="cell {tags} docutils container">{input}<div class="cell_output docutils container">out</div></div>'
SOURCE = '<div class="cell_input docutils container"><div class="highlight"><pre>{code}</pre></div></div>'
TOGGLE = '<details class="hide above-input"><summary>Show code cell source</summary>{input}</details>'


def test_cells_without_their_source_pass():
    html = CELL.format(tags="tag_remove-input", input="") + CELL.format(tags="tag_parameters tag_remove-cell", input="")
    assert code_cell_problems("<h1>Page</h1>" + html) == []


def test_a_visible_code_cell_is_caught():
    html = "<h1>Page</h1>" + CELL.format(tags="", input=SOURCE.format(code='glue("acc", 0.91)\nglue("n", 3)'))
    assert code_cell_problems(html) == ["code cell visible (under 'Page'): glue(\"acc\", 0.91)"]


def test_the_parameters_toggle_is_caught():
    toggled = TOGGLE.format(input=SOURCE.format(code='profile = "cpu"  # smoke | cpu | full'))
    html = "<h1>Page</h1>" + CELL.format(tags="tag_injected-parameters tag_hide-input", input=toggled)
    assert code_cell_problems(html) == [
        "parameters cell behind a 'show code cell source' toggle (under 'Page'): profile = \"cpu\"  # smoke | cpu | full"]


def test_absolute_build_paths_are_caught_in_text_and_links():
    assert build_path_problems("<p>The record is in <code>build/executed/record.json</code>; see "
                               '<a href="06_reproducibility.html">the page</a>.</p>') == []
    assert build_path_problems("<p>record = /work/main/build/executed/record.json</p>") == [
        "absolute path in the page: /work/main/build/executed/record.json"]
    assert build_path_problems('<p><img src="file:///tmp/pytest-3/fig.png"></p>') == [
        "absolute path in the page: file:///tmp/pytest-3/fig.png"]
    assert len(build_path_problems("<p>/home/ana/x and /root/.cache/y</p>")) == 2


def test_glued_text_that_does_not_read_as_prose_is_caught():
    assert glued_text_problems("<p>The augmented model’s accuracy exceeds the baseline’s by 10.0 points; "
                               "it falls by 3 % (a drop of −1.2 points).</p>") == []
    possessive = glued_text_problems('<p>the best is <span class="pasted-text">Custom CNN (augmented)</span>‘s</p>')
    assert len(possessive) == 1 and possessive[0].startswith("possessive after a parenthesis")
    apostrophe = glued_text_problems("<p>the model‘s accuracy</p>")
    assert len(apostrophe) == 1 and apostrophe[0].startswith("opening quote used as an apostrophe")
    negative = glued_text_problems('<p>exceeds its own share by <span class="pasted-text">-10.0</span> points</p>')
    assert len(negative) == 1 and negative[0].startswith("'by' followed by a negative number")


# ---- the checks that need the browser ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser_page():
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (make browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.route("**/*", lambda route: route.abort())  # snippets need nothing from outside
        yield page
        browser.close()


def image(natural: int, shown: int) -> str:
    """An image of `natural` px drawn `shown` px wide (an SVG data URI: no file, no network)."""
    svg = f"<svg xmlns='http://www.w3.org/2000/svg' width='{natural}' height='100'></svg>"
    return f'<img src="data:image/svg+xml,{svg}" style="width:{shown}px">'


def render(page, body: str) -> None:
    page.set_content(f"<html><body>{body}</body></html>")
    page.evaluate("() => Promise.all([...document.images].map(i => i.decode().catch(() => null)))")


def test_images_shown_near_their_own_width_pass(browser_page):
    render(browser_page, image(700, 672) + image(1000, 800))
    assert image_scale_problems(browser_page) == []


def test_images_shrunk_or_blown_up_are_caught(browser_page):
    render(browser_page, image(1851, 672) + image(300, 672))
    problems = image_scale_problems(browser_page)
    assert len(problems) == 2 and "1851 px wide, shown at 672 px (x2.75)" in problems[0], problems
    assert "(x0.45)" in problems[1]


GLUE_CSS = "<style>span.pasted-text { font-weight: bold; }</style>"  # myst-nb's own rule


def test_glue_that_reads_as_prose_passes(browser_page):
    render(browser_page, "<style>span.pasted-text { font-weight: inherit; }</style>"
           '<p>The custom CNN reaches <span class="pasted-text">91.52</span> % on '
           '<span class="pasted-text">10,000</span> test images, the best of the four models compared here.</p>'
           '<p><strong>Profile <span class="pasted-text">cpu</span></strong>: the write-up\'s budgets, shortened.</p>')
    assert bold_glue_problems(browser_page) == []


def test_bold_glue_is_caught(browser_page):
    render(browser_page, GLUE_CSS + '<p>The custom CNN reaches <span class="pasted-text">91.52</span> %.</p>')
    assert bold_glue_problems(browser_page) == ["1 glued value(s) bolder than their sentence, e.g. '91.52'"]


def test_a_paragraph_of_bold_glue_is_caught(browser_page):
    verdict = "its maps depend on its learned weights and rank pixels better than the random floor"
    render(browser_page, GLUE_CSS + f'<p>In short, <span class="pasted-text">{verdict}</span>.</p>')
    problems = bold_glue_problems(browser_page)
    assert len(problems) == 2 and problems[1].startswith("paragraph mostly bold: In short, its maps"), problems
