"""The report as one PDF: Jupyter Book's `singlehtml` page printed by Debian's Chromium through Playwright.

    build_pdf(root)  ->  root/_build/pdf/report.pdf     (after `fmnist report` has executed the pages)

Why singlehtml rather than printing each html page and merging them: one document keeps the links between
pages working inside the PDF, MathJax typesets everything in one pass, page numbers and the outline run
through the whole report, and no PDF library is needed. Jupyter Book's own `--builder pdfhtml` does the same
but launches a browser that Playwright downloads; here Playwright drives `/usr/bin/chromium`, and every
request that is not a local file is blocked and fails the build.

`fmnist report --pdf` (`make pdf`) calls it after the site build; it takes the report's lock while it builds.

The PDF: A4, a contents sheet listing every page of `_toc.yml` with the sheet it starts on, then each page
in reading order on fresh sheets, "Page N of M" on every sheet, bookmarks from the headings, equations
typeset, wide tables wrapped or scaled to the sheet, no navigation, buttons or collapsed code toggles.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from ..errors import ReportError

CHROMIUM_CANDIDATES = ("chromium", "/usr/bin/chromium")  # Debian's package; never a downloaded browser
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-default-apps"]
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")
PAPER = "A4"
MARGIN = {"top": "16mm", "bottom": "18mm", "left": "16mm", "right": "16mm"}
LAYOUT_WIDTH_PX = 672  # A4's 210 mm less the side margins, at 96 px per inch: where wide tables are measured
FOOTER = ('<div style="width:100%;font-size:8pt;font-family:sans-serif;color:#555;text-align:center;">'
          'Page <span class="pageNumber"></span> of <span class="totalPages"></span></div>')
TIMEOUT_MS = 60_000


# Paper layout over sphinx-book-theme: no navigation or buttons, no collapsed toggles ("show code cell source"
# means nothing on paper), the full sheet width, tables that wrap, a fresh sheet for every page of the book.
PRINT_CSS = (Path(__file__).with_name("pdf_print.css")).read_text()

# Run in the page once it has loaded: wait for MathJax and the images, regroup the single page into one part
# per page of the book (headings one level up, so the PDF outline lists the pages), add the contents sheet,
# shrink tables that still do not fit. Returns what did not render. `window.fmnistPdf.number` fills the contents.
PREPARE_JS = (Path(__file__).with_name("pdf_prepare.js")).read_text()


def build_pdf(root: Path, *, on_request: Callable[[str], None] | None = None) -> Path:
    """Write `root/_build/pdf/report.pdf` from the executed pages in `root`, offline; returns its path.

    `root` holds `_config.yml`, `_toc.yml`, `book/` and `build/executed/` (what `fmnist report` leaves).
    `on_request` sees every URL the browser asks for: all local, since anything else is blocked and fails the
    build. Raises ReportError when Chromium or the executed pages are missing or the report cannot print whole.
    """
    root = Path(root).resolve()
    chromium = check_ready()
    check_executed(root)
    with _report_lock(root):  # the pages and the site do not change under the print (`fmnist report` holds it too)
        page_html = build_singlehtml(root)
        target = root / "_build" / "pdf" / "report.pdf"
        target.parent.mkdir(parents=True, exist_ok=True)
        print_pdf(page_html, target, title=book_title(root), chromium=chromium, on_request=on_request)
    return target


def check_ready() -> str:
    """What printing needs, checked before any work: the system Chromium (its path is returned), Playwright, pypdf."""
    chromium = find_chromium()
    _print_libraries()
    return chromium


def _print_libraries() -> None:
    """Playwright (drives Chromium) and pypdf (reads the first print's outline back) are importable, or ReportError."""
    try:
        import playwright.sync_api  # noqa: F401
        import pypdf  # noqa: F401
    except ImportError:
        raise ReportError("The PDF needs Playwright and pypdf for Python: pip install playwright pypdf (or the "
                          "project's `report` extra); Playwright drives the system Chromium and downloads no browser."
                          ) from None


@contextmanager
def _report_lock(root: Path):
    """The lock `fmnist report` builds under (build/.report.lock), so a report started meanwhile waits."""
    from filelock import FileLock, Timeout

    (root / "build").mkdir(exist_ok=True)
    lock = FileLock(root / "build" / ".report.lock")
    try:
        lock.acquire(timeout=0.5)
    except Timeout:
        print("Another report is running in this checkout; waiting for it to finish before printing ...", flush=True)
        lock.acquire()
    try:
        yield
    finally:
        lock.release()


def find_chromium() -> str:
    """The system Chromium's path, or ReportError saying how to install it."""
    for candidate in CHROMIUM_CANDIDATES:
        if found := shutil.which(candidate):
            return found
    raise ReportError("The PDF is printed by the system Chromium, which is not installed: "
                      "install Debian's chromium: apt-get install chromium (or `make browser`, as root). "
                      "No browser is downloaded.")


def toc_files(root: Path) -> list[str]:
    """The pages of `_toc.yml` in reading order (`root:`, then every `file:`), without suffix."""
    text = (root / "_toc.yml").read_text()
    return re.findall(r"^\s*(?:root|-\s*file)\s*:\s*['\"]?([^'\"\s#]+)", text, flags=re.MULTILINE)


def check_executed(root: Path) -> None:
    """Every page of the table of contents exists: the report was built (`fmnist report`) in `root`."""
    if not (root / "_toc.yml").is_file() or not (root / "_config.yml").is_file():
        raise ReportError(f"{root} holds no report (no _config.yml or _toc.yml): give the checkout's folder.")
    missing = [name for name in toc_files(root)
               if not any((root / f"{name}{suffix}").is_file() for suffix in (".ipynb", ".md"))]
    if missing:
        raise ReportError(f"The report was never built in {root}: {', '.join(missing)} not found. "
                          "Build it first with `fmnist report`, then print it.")


def book_title(root: Path) -> str:
    """`title:` of `_config.yml` (read without a YAML parser: one plain line)."""
    match = re.search(r"^title\s*:\s*['\"]?(.*?)['\"]?\s*$", (root / "_config.yml").read_text(), re.MULTILINE)
    return match.group(1) if match else "Report"


def build_singlehtml(root: Path) -> Path:
    """Render the whole book as one html page in `_build/singlehtml`, warnings as errors; returns that page."""
    beside = Path(sys.executable).with_name("jupyter-book")
    command = [str(beside) if beside.exists() else "jupyter-book", "build", str(root), "--builder", "singlehtml",
               "--all", "-W", "-n", "--keep-going"]
    result = subprocess.run(command, capture_output=True, text=True, cwd=root)
    if result.returncode != 0:
        problems = [line for line in (result.stdout + result.stderr).splitlines()
                    if "WARNING" in line or "ERROR" in line] or result.stderr.splitlines()[-20:]
        raise ReportError("The single-page html for the PDF did not build:\n" + "\n".join(problems[:30]))
    out = root / "_build" / "singlehtml"
    redirect = re.search(r'url=([^"\s]+)', (out / "index.html").read_text())  # index.html points to the page
    if not redirect or not (out / redirect.group(1)).is_file():
        raise ReportError(f"jupyter-book wrote no single page in {out}.")
    # Sphinx writes the page as book/intro.html but links _static/ and _images/ as if it sat in `out`, and
    # cites as "book/intro.html#id7": a copy in `out`, with those citations made local, resolves every link.
    name = redirect.group(1)
    page = out / "report.html"
    page.write_text((out / name).read_text().replace(f'href="{name}#', 'href="#'))
    return page


def print_pdf(page_html: Path, target: Path, *, title: str, chromium: str | None = None,
              on_request: Callable[[str], None] | None = None) -> None:
    """Print a Jupyter Book singlehtml page to `target`: typeset, reflowed for paper, after a contents sheet."""
    _print_libraries()
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    blocked: list[str] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium or find_chromium(), args=CHROMIUM_ARGS)
            try:
                page = _open(browser, page_html, blocked, on_request)
                problems = page.evaluate(PREPARE_JS, {"title": title})
                _check_local(blocked)
                if problems:
                    raise ReportError("The report cannot be printed whole:\n" + "\n".join(problems[:20]))
                starts = _number_contents(page)
                final = page.pdf(**_pdf_options())
                if outline_starts(final) != starts:  # the numbers moved what they number: never print it wrong
                    raise ReportError("The contents sheet's numbers changed the layout they count; "
                                      "the PDF was not written.")
                target.write_bytes(final)
            finally:
                browser.close()
    except PlaywrightError as error:
        raise ReportError(f"Chromium could not print {page_html}: {error}") from None
    _check_local(blocked)


def _check_local(blocked: list[str]) -> None:
    if blocked:
        raise ReportError(f"The report asked for {len(blocked)} resource(s) outside the machine (blocked): "
                          f"{blocked[:3]}. Vendor them (MathJax: `make setup`) and build again.")


def _open(browser, page_html: Path, blocked: list[str], on_request):
    """The page loaded in print layout at the sheet's width, every non-local request blocked and noted."""
    context = browser.new_context(viewport={"width": LAYOUT_WIDTH_PX, "height": 1000}, offline=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)

    def only_local(route):
        if route.request.url.startswith(LOCAL_SCHEMES):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort("blockedbyclient")

    page.route("**/*", only_local)
    if on_request:
        page.on("request", lambda request: on_request(request.url))
    page.emulate_media(media="print")
    page.goto(page_html.as_uri(), wait_until="load")
    page.add_style_tag(content=PRINT_CSS)
    return page


def _pdf_options(**overrides) -> dict:
    options = {"format": PAPER, "margin": MARGIN, "print_background": True, "display_header_footer": True,
               "header_template": "<span></span>", "footer_template": FOOTER, "outline": True, "tagged": True}
    return options | overrides


def _number_contents(page) -> list[int]:
    """Write on the contents sheet the sheet each page of the book starts on; returns those sheets.

    The whole report is printed once with the numbers left as placeholders, and the sheet of each page is read
    from that print's own outline (one top-level bookmark per page, in reading order). The numbers then
    written take the placeholders' room on the one contents sheet, so the layout after them is unchanged.
    Counting each page printed alone does not work: a page hidden beside others breaks differently.
    """
    parts = page.evaluate("() => window.fmnistPdf.parts()")
    starts = outline_starts(page.pdf(**_pdf_options()))
    if len(starts) != len(parts) - 1:  # part 0 is the contents sheet, which has no bookmark
        raise ReportError(f"The PDF's outline holds {len(starts)} pages where the book has {len(parts) - 1}: "
                          "a page without a top-level heading cannot be listed on the contents sheet.")
    page.evaluate("starts => window.fmnistPdf.number(starts)", starts)
    return starts


def outline_starts(data: bytes) -> list[int]:
    """The 1-based sheet of every top-level bookmark of a PDF, in the outline's order."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return [reader.get_destination_page_number(item) + 1 for item in reader.outline if not isinstance(item, list)]
