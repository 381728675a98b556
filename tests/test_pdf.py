"""The report as one PDF: printed offline by Debian's chromium from an executed report, every page of the
table of contents in reading order, numbered sheets, a contents sheet that is right, typeset equations,
figures, nothing past the margins."""

import json
import math
import re
import shutil
import time
import unicodedata
from collections import Counter
from pathlib import Path

import pypdf
import pytest

from fmnist_lib.errors import FmnistError
from fmnist_lib.report import pdf as report_pdf
from fmnist_lib.report.execute import project_root
from fmnist_lib.report.pdf import build_pdf, print_pdf, toc_files

CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make browser)")
RAW_TEX = re.compile(r"\\[()\[\]]|\$\$|\\(frac|sum|alpha|mathrm|partial)\b")


def copy_report(source: Path, target: Path) -> Path:
    """What the PDF needs from a built report: its configuration, hand-written pages and executed notebooks."""
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy(source / name, target / name)
    shutil.copytree(source / "book", target / "book")
    shutil.copytree(source / "build" / "executed", target / "build" / "executed")
    return target


@pytest.fixture(scope="module")
def printed(site, tmp_path_factory):
    """The PDF built from a copy of the smoke report (conftest.py's `site`, which test_site.py opens in the
    browser), with every URL the browser requested and the seconds it took."""
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (make browser)")
    root = copy_report(site[0], tmp_path_factory.mktemp("pdf"))
    requests = []
    started = time.perf_counter()
    path = build_pdf(root, on_request=requests.append)
    seconds = time.perf_counter() - started
    reader = pypdf.PdfReader(path)
    pieces = [text_pieces(page) for page in reader.pages]
    texts = [clean(" ".join(piece[2] for piece in sorted(sheet))) for sheet in pieces]
    return {"root": root, "path": path, "reader": reader, "pieces": pieces, "texts": texts, "requests": requests,
            "seconds": seconds}


def text_pieces(page) -> list[tuple[float, float, str, float]]:
    """(-y, x, text, size in pt) of every piece of text on a sheet: sorted, they read top to bottom, left to
    right (pypdf's own order follows the drawing: a bibliography's labels come before its heading)."""
    pieces = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            x, y = (cm[0] * tm[4] + cm[2] * tm[5] + cm[4], cm[1] * tm[4] + cm[3] * tm[5] + cm[5])
            scale = math.hypot(cm[0] * tm[0] + cm[2] * tm[1], cm[1] * tm[0] + cm[3] * tm[1])
            pieces.append((-round(y), x, text, size * scale))

    page.extract_text(visitor_text=visit)
    return pieces


def clean(text: str) -> str:
    """Extracted text with ligatures unfolded (ﬂ -> fl) and all whitespace as single spaces."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip()


def squeeze(text: str) -> str:
    """Text without any whitespace: pieces of one word may be drawn apart, and Chromium drops the space where a
    heading wraps in the outline."""
    return re.sub(r"\s+", "", clean(text))


def page_title(root: Path, name: str) -> str:
    """The H1 of one page of the table of contents, read from its source (the executed notebook or markdown)."""
    if (root / f"{name}.md").exists():
        lines = (root / f"{name}.md").read_text().splitlines()
    else:
        cells = json.loads((root / f"{name}.ipynb").read_text())["cells"]
        lines = [line for cell in cells if cell["cell_type"] == "markdown"
                 for line in "".join(cell["source"]).splitlines()]
    return next(line[2:].strip() for line in lines if line.startswith("# "))


@pytest.fixture(scope="module")
def titles(printed):
    root = printed["root"]
    return [page_title(root, name) for name in toc_files(root)]


def body(text: str) -> str:
    """A sheet's text without its "Page N of M" footer."""
    return re.sub(r"Page \d+ of \d+", "", text).strip()


def first_sheets(texts: list[str], titles: list[str]) -> list[int]:
    """For each title, the 1-based sheet after the contents sheet that starts with it (0 when none does)."""
    return [next((i for i, text in enumerate(texts[1:], start=2) if squeeze(body(text)).startswith(squeeze(title))),
                 0) for title in titles]


@needs_chromium
def test_the_pdf_opens_with_a_sheet_per_page_at_least(printed, titles):
    assert printed["path"] == printed["root"] / "_build" / "pdf" / "report.pdf"
    assert len(printed["reader"].pages) > len(titles)  # the contents sheet, then each page on its own sheets
    print(f"PDF: {len(printed['reader'].pages)} sheets in {printed['seconds']:.1f} s")


@needs_chromium
def test_every_sheet_carries_its_number(printed):
    texts = printed["texts"]
    missing = [i + 1 for i, text in enumerate(texts) if f"Page {i + 1} of {len(texts)}" not in text]
    assert not missing, f"sheets without their page number: {missing}"


@needs_chromium
def test_every_page_starts_a_sheet_in_reading_order(printed, titles):
    sheets = first_sheets(printed["texts"], titles)
    assert all(sheets), [title for title, sheet in zip(titles, sheets) if not sheet]
    assert sheets == sorted(sheets) and len(set(sheets)) == len(sheets) and sheets[0] == 2, list(zip(titles, sheets))


@needs_chromium
def test_the_contents_sheet_lists_every_page_with_the_sheet_it_starts_on(printed, titles):
    contents = printed["texts"][0]
    sheets = first_sheets(printed["texts"], titles)
    entries = "".join(re.escape(clean(title)) + rf" {sheet} " for title, sheet in zip(titles, sheets))
    assert re.search("Contents " + entries, contents + " "), contents


@needs_chromium
def test_the_outline_holds_every_page_where_it_starts(printed, titles):
    reader = printed["reader"]
    top = [(item.title, reader.get_destination_page_number(item) + 1)
           for item in reader.outline if not isinstance(item, list)]
    assert [squeeze(title) for title, _ in top] == [squeeze(title) for title in titles]
    assert [sheet for _, sheet in top] == first_sheets(printed["texts"], titles)


@needs_chromium
def test_equations_are_typeset(printed):
    html = (printed["root"] / "_build" / "singlehtml" / "report.html").read_text()
    assert html.count('class="math') >= 5 and "\\(" in html  # there was TeX to typeset ...
    leftovers = [(i + 1, match.group()) for i, text in enumerate(printed["texts"]) for match in RAW_TEX.finditer(text)]
    assert not leftovers, f"raw TeX in the PDF (sheet, text): {leftovers[:10]}"  # ... and none is left


@needs_chromium
def test_every_figure_is_in_the_pdf(printed):
    html = (printed["root"] / "_build" / "singlehtml" / "report.html").read_text()
    figures = set(re.findall(r'<img [^>]*src="(_images/[^"]+)"', html))
    images = sum(1 for page in printed["reader"].pages
                 for xobject in (page["/Resources"].get("/XObject") or {}).values()
                 if xobject.get_object().get("/Subtype") == "/Image")
    assert len(figures) >= 10 and images >= len(figures), (len(figures), images)


@needs_chromium
def test_no_text_runs_past_the_sheet(printed):
    """Wide tables wrap or shrink: a clipped column would leave text starting outside the printable area."""
    width = float(printed["reader"].pages[0].mediabox.width)
    outside = [(number, round(x), text.strip()[:30]) for number, sheet in enumerate(printed["pieces"], start=1)
               for _, x, text, _ in sheet if not 0 <= x <= width - 40]  # the side margins are 16 mm (45 pt)
    assert not outside, outside[:10]


@needs_chromium
def test_the_text_is_printed_at_its_size(printed):
    """Something too wide makes Chromium shrink the whole document to fit: the body text would lose its 10 pt."""
    sizes = Counter()
    for sheet in printed["pieces"]:
        for _, _, text, size in sheet:
            sizes[round(size)] += len(text.strip())
    assert sizes.most_common(1)[0][0] == 10, sizes.most_common(5)


@needs_chromium
def test_no_request_left_the_machine(printed):
    requests = printed["requests"]
    assert any(url.endswith("tex-mml-chtml.js") or "tex-mml-chtml.js?" in url for url in requests)  # MathJax: local
    assert sum("/_images/" in url for url in requests) >= 10
    assert all(url.startswith(("file://", "data:")) for url in requests), [
        url for url in requests if not url.startswith(("file://", "data:"))]


@needs_chromium
def test_a_page_that_reaches_outside_fails_the_print(tmp_path):
    page = tmp_path / "page.html"
    page.write_text('<html><body><article class="bd-article"><section id="p"><h1>P</h1>'
                    '<img src="https://example.invalid/figure.png"></section></article></body></html>')
    requests = []
    with pytest.raises(FmnistError, match=r"outside the machine \(blocked\).*example\.invalid"):
        print_pdf(page, tmp_path / "out.pdf", title="T", on_request=requests.append)
    assert "https://example.invalid/figure.png" in requests and not (tmp_path / "out.pdf").exists()


@needs_chromium
def test_the_contents_sheet_numbers_pages_of_any_length(tmp_path):
    """Three pages of one, four and two sheets (in singlehtml's shape): the contents sheet says 2, 3 and 7."""
    def part(name, paragraphs):
        text = "".join(f"<p>{name} paragraph {i}. " + "Words fill the sheet. " * 40 + "</p>" for i in range(paragraphs))
        return f'<span id="document-{name}"></span><section id="{name}"><h1>Page {name}</h1>{text}</section>'

    page = tmp_path / "page.html"
    page.write_text('<html><body><article class="bd-article"><section id="intro"><h1>Page intro</h1><p>One.</p>'
                    f'</section>{part("long", 20)}{part("short", 6)}</article></body></html>')
    print_pdf(page, tmp_path / "out.pdf", title="T")
    reader = pypdf.PdfReader(tmp_path / "out.pdf")
    starts = report_pdf.outline_starts((tmp_path / "out.pdf").read_bytes())
    assert starts[0] == 2 and starts[1] == 3 and starts[2] - starts[1] >= 3, starts
    contents = clean(reader.pages[0].extract_text())
    assert f"Page intro {starts[0]} Page long {starts[1]} Page short {starts[2]}" in contents, contents
    assert squeeze(reader.pages[starts[2] - 1].extract_text()).startswith("Pageshort"), "the number is the sheet"


@needs_chromium
def test_a_table_header_never_ends_a_sheet_without_its_rows(tmp_path):
    """Tables that start ever lower on a sheet, each on a page of its own: wherever one starts, its header lands
    on the sheet of its first row (a short table moves whole, a long one breaks between rows)."""
    def part(lines, rows):
        name = f"p{lines}x{rows}"
        filler = "".join(f"<div>{name} line {i}</div>" for i in range(lines))
        body = "".join(f"<tr><td>ROW{name}n{i}</td><td>{i}</td></tr>" for i in range(rows))
        return (f'<span id="document-{name}"></span><section id="{name}"><h1>Page {name}</h1>{filler}'
                f"<table><thead><tr><th>HEAD{name}</th><th>n</th></tr></thead><tbody>{body}</tbody></table></section>")

    cases = [(lines, rows) for lines in range(44, 62, 2) for rows in (5, 40)]
    page = tmp_path / "page.html"
    page.write_text('<html><body><article class="bd-article"><section id="intro"><h1>Intro</h1></section>'
                    + "".join(part(*case) for case in cases) + "</article></body></html>")
    print_pdf(page, tmp_path / "out.pdf", title="T")
    sheets = [clean(sheet.extract_text()) for sheet in pypdf.PdfReader(tmp_path / "out.pdf").pages]
    orphans = []
    for lines, rows in cases:
        name = f"p{lines}x{rows}"
        sheet = next(text for text in sheets if f"HEAD{name} " in text)
        if f"ROW{name}n0 " not in sheet or (rows == 5 and f"ROW{name}n4 " not in sheet):
            orphans.append(name)
    assert not orphans, orphans


def test_without_chromium_the_error_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setattr(report_pdf, "CHROMIUM_CANDIDATES", ("no-such-chromium-here",))
    with pytest.raises(FmnistError, match=r"install Debian's chromium: apt-get install chromium"):
        build_pdf(tmp_path)


def test_a_report_never_built_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(report_pdf, "find_chromium", lambda: "/usr/bin/chromium")
    root = project_root()
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy(root / name, tmp_path / name)
    (tmp_path / "book").mkdir()
    shutil.copy(root / "book" / "intro.md", tmp_path / "book" / "intro.md")
    with pytest.raises(FmnistError, match=r"never built .*build/executed/01_claims.*fmnist report"):
        build_pdf(tmp_path)
    assert not (tmp_path / "_build").exists()
