"""What a rendered page must not show: each check returns a list of problems (empty when the page is clean).

Checks on the DOM alone take the page's html (BeautifulSoup); checks that need layout or computed styles take
a Playwright page, loaded in Debian's chromium at 1280 px as in test_site.py. `page_problems(page)` runs all
of them on one page; `python tests/page_checks.py [_build/html]` prints them for every page of a built site.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

import nbformat
from bs4 import BeautifulSoup

RAW_VALUES = {"NaN", "nan", "None", "True", "False", "<NA>", "NaT"}  # pandas' and Python's, printed as they are
SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")  # final_gap, times_wrong, gaussian_noise
BUILD_PATH = re.compile(r"(?:file://)?/(?:work|tmp|home|root|Users|mnt)/[^\s\"'<>),;]*")
POSSESSIVE_AFTER_PARENTHESIS = re.compile(r"\)\s*[‘'’]s\b")  # "Custom CNN (augmented)‘s"
WRONG_APOSTROPHE = re.compile(r"\w‘s\b")  # an opening quote where an apostrophe belongs
BY_NEGATIVE = re.compile(r"\bby\s*[-−–]\s*\d")  # "exceeds ... by -10.0 points"
MAX_IMAGE_SCALE = 1.5
WINDOW = {"width": 1280, "height": 900}


def _content(html: str):
    """The article of a Jupyter Book page (the whole body for a bare snippet)."""
    soup = BeautifulSoup(html, "html.parser")
    return soup.select_one("article.bd-article") or soup.body or soup


def _text(element) -> str:
    return re.sub(r"\s+", " ", element.get_text(" ")).strip()


def _where(element) -> str:
    """A table or cell named by the heading above it, for a reader who looks for it on the page."""
    heading = element.find_previous(["h1", "h2", "h3", "h4"])
    return f"under '{_text(heading).rstrip('#').strip()}'" if heading else "at the top"


def table_problems(html: str) -> list[str]:
    """Raw pandas in rendered tables: NaN/None/True/False cells, snake_case headers, a 0..n-1 index column."""
    problems = []
    for number, table in enumerate(_content(html).find_all("table"), start=1):
        name = f"table {number} ({_where(table)})"
        raw = Counter(_text(cell) for cell in table.find_all(["td", "th"]) if _text(cell) in RAW_VALUES)
        problems += [f"{name}: {count} cell(s) read '{value}'" for value, count in sorted(raw.items())]
        snake = [_text(cell) for cell in table.find_all("th") if SNAKE_CASE.match(_text(cell))]
        if snake:
            problems.append(f"{name}: snake_case header(s) {', '.join(dict.fromkeys(snake))}")
        rows = [row.find(["th", "td"]) for row in (table.find("tbody") or table).find_all("tr")]
        first = [_text(cell) for cell in rows if cell is not None and cell.find_parent("thead") is None]
        if len(first) >= 2 and first == [str(i) for i in range(len(first))]:
            problems.append(f"{name}: its first column is a 0..{len(first) - 1} index")
    return problems


def code_cell_problems(html: str) -> list[str]:
    """Every code cell whose source the page shows, or offers behind a "show code cell source" toggle.

    myst-nb leaves out the source of `remove-input` cells; any other `.cell_input` reaches the reader, the
    parameters cells' toggles included.
    """
    problems = []
    for cell_input in _content(html).select(".cell_input"):
        cell = cell_input.find_parent(class_="cell")
        classes = cell.get("class", []) if cell else []
        kind = "parameters cell" if {"tag_parameters", "tag_injected-parameters"} & set(classes) else "code cell"
        how = "behind a 'show code cell source' toggle" if cell_input.find_parent("details") else "visible"
        source = cell_input.find("pre") or cell_input
        first_line = next((line for line in source.get_text().splitlines() if line.strip()), "")[:60]
        problems.append(f"{kind} {how} ({_where(cell_input)}): {first_line}")
    return problems


def build_path_problems(html: str) -> list[str]:
    """Absolute paths of the machine that built the page (in its text, links or image sources)."""
    content = _content(html)
    found = BUILD_PATH.findall(_text(content))
    found += [m for tag in content.find_all(href=True) + content.find_all(src=True)
              for m in BUILD_PATH.findall(tag.get("href") or tag.get("src"))]
    return [f"absolute path in the page: {path}" for path in dict.fromkeys(found)]


def glued_text_problems(html: str) -> list[str]:
    """Glue that does not read as prose: possessives glued after a parenthesis, wrong apostrophes, "by -10"."""
    text = _text(_content(html))
    problems = []
    for pattern, what in ((POSSESSIVE_AFTER_PARENTHESIS, "possessive after a parenthesis"),
                          (WRONG_APOSTROPHE, "opening quote used as an apostrophe"),
                          (BY_NEGATIVE, "'by' followed by a negative number")):
        problems += [f"{what}: ...{text[max(0, m.start() - 40):m.end() + 20]}..." for m in pattern.finditer(text)]
    return problems


# ---- checks that need the browser (layout, computed styles) ----------------------------------------------

def image_scale_problems(page) -> list[str]:
    """Images drawn at a width far from the one they were rendered for (text in figures shrinks or blurs)."""
    images = page.eval_on_selector_all("article img, body > img", """els => els
        .map(e => ({src: e.getAttribute('src'), natural: e.naturalWidth, shown: e.getBoundingClientRect().width}))
        .filter(i => i.natural > 0 && i.shown > 0)""")
    problems = []
    for image in images:
        scale = image["natural"] / image["shown"]
        if scale > MAX_IMAGE_SCALE or scale < 1 / MAX_IMAGE_SCALE:
            problems.append(f"image {Path(image['src']).name[:24]} is {image['natural']} px wide, shown at "
                            f"{image['shown']:.0f} px (x{scale:.2f})")
    return problems


def bold_glue_problems(page) -> list[str]:
    """Glued values drawn bolder than the prose around them (myst-nb's default), and paragraphs mostly bold."""
    found = page.evaluate("""() => {
      const bold = el => Number(getComputedStyle(el).fontWeight) >= 600;
      const glued = [...document.querySelectorAll('.pasted-text')]
        .filter(el => bold(el) && el.parentElement && !bold(el.parentElement)).map(el => el.textContent.trim());
      const walls = [...document.querySelectorAll('article p, body > p')].filter(p => {
        const walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
        let all = 0, heavy = 0;
        for (let node; (node = walker.nextNode());) {
          const n = node.textContent.trim().length;
          all += n; if (bold(node.parentElement)) heavy += n;
        }
        return all >= 80 && heavy / all > 0.5;
      }).map(p => p.textContent.replace(/\\s+/g, ' ').trim());
      return {glued, walls};
    }""")
    problems = []
    if found["glued"]:
        examples = ", ".join(repr(text[:30]) for text in found["glued"][:4])
        problems.append(f"{len(found['glued'])} glued value(s) bolder than their sentence, e.g. {examples}")
    problems += [f"paragraph mostly bold: {text[:70]}..." for text in found["walls"]]
    return problems


def page_problems(page) -> list[str]:
    """Every problem of one loaded page."""
    html = page.content()
    return (table_problems(html) + code_cell_problems(html) + build_path_problems(html)
            + glued_text_problems(html) + image_scale_problems(page) + bold_glue_problems(page))


def site_problems(html_root: Path, chromium: str = "/usr/bin/chromium") -> dict[str, list[str]]:
    """{page: problems} for every page of a built Jupyter Book site (`_build/html`), offline."""
    from playwright.sync_api import sync_playwright

    html_root = Path(html_root).resolve()
    pages = sorted(p for p in html_root.rglob("*.html")
                   if p.name not in ("index.html", "genindex.html", "search.html") and "_static" not in p.parts)
    results = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport=WINDOW)
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(("file:", "data:"))
                   else route.abort())
        for path in pages:
            page.goto(path.as_uri(), wait_until="load")
            page.evaluate("() => Promise.all([...document.images].map(i => i.decode().catch(() => null)))")
            results[str(path.relative_to(html_root))] = page_problems(page)
        browser.close()
    return results


if __name__ == "__main__":
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "_build/html")
    for name, problems in site_problems(root).items():
        print(f"\n{name}: {len(problems)} problem(s)")
        for problem in problems:
            print(f"  - {problem}")


def glued(notebook: Path) -> dict:
    """name -> glued value (plain text) of an executed notebook."""
    values = {}
    for cell in nbformat.read(notebook, as_version=4).cells:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                data = output["data"]
                text = next((v for k, v in data.items() if k.endswith("text/plain")), None)
                values[name] = text
    return values
