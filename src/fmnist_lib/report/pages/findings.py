"""What the landing page shows first: the findings this build supports most strongly (`claims.findings`), as a table
with each finding's verdict, the seeds it rests on and a link to the page with its evidence, and a line counting the
claims it cannot test. The claims page glues both (keys without the `claims_` prefix); `book/intro.md` pastes them."""

from __future__ import annotations

import html

import pandas as pd

from ...claims.findings import select_findings, summary_sentence, untestable
from ...claims.verdicts import Claim
from ..sections import get_section
from ..tables import prose_html

INTRO_PREFIX = "../build/executed/"  # from book/intro.html to an executed page


def _link(section: str, prefix: str) -> str:
    if not section:
        return "—"
    page = get_section(section)
    return (f'<a href="{prefix}{page.notebook.removesuffix(".ipynb")}.html">'
            f'{html.escape(page.title.split(":")[0])}</a>')


def findings_frame(claims: list[Claim], prefix: str = "") -> pd.DataFrame:
    """One row per finding, strongest first: the finding, its verdict, the seeds, the claim's number on the claims
    page and the evidence page as a link (`prefix` leads from the page showing the table to the executed pages)."""
    rows = [{"": finding.rank, "finding": html.escape(finding.sentence), "verdict": html.escape(finding.verdict),
             "seeds": finding.seeds or "—", "claim #": finding.number, "evidence": _link(finding.page, prefix)}
            for finding in select_findings(claims)]
    return pd.DataFrame(rows, columns=["", "finding", "verdict", "seeds", "claim #", "evidence"])


def findings_html(claims: list[Claim], prefix: str = "") -> str:
    """The findings table as HTML, links kept; a sentence instead when nothing is testable."""
    frame = findings_frame(claims, prefix)
    if frame.empty:
        return f"<p>{html.escape(summary_sentence(claims, []))}</p>"
    return prose_html(frame, "claims-table findings-table", escape=False)


def untestable_html(claims: list[Claim], prefix: str = "") -> str:
    """The claims this build cannot test, one short row each (number, claim, the page that would show it)."""
    rows = [{"claim #": number, "claim": html.escape(claim.statement), "source": html.escape(claim.source),
             "evidence": _link(claim.evidence.page, prefix)} for number, claim in untestable(claims)]
    if not rows:
        return "<p>Every claim of the write-up can be tested with this build.</p>"
    return prose_html(pd.DataFrame(rows), escape=False)


def findings_values(claims: list[Claim]) -> dict:
    """The numbers and sentence around the table, and each finding's sentence and verdict as numbered keys
    (`finding_1_text`, `finding_1_verdict`, ...) for prose that quotes one."""
    found = select_findings(claims)
    values = {"n_findings": len(found), "n_untestable": len(untestable(claims)),
              "n_testable_claims": len(claims) - len(untestable(claims)),  # claims; the totals count measurements
              "findings_summary": summary_sentence(claims, found)}
    for finding in found:
        values |= {f"finding_{finding.rank}_text": finding.sentence, f"finding_{finding.rank}_verdict": finding.verdict}
    return values


def findings_list_html(claims: list[Claim], prefix: str = "") -> str:
    """The findings as a numbered list of sentences, each with a link to its evidence: what the conclusion reads."""
    found = select_findings(claims)
    if not found:
        return f"<p>{html.escape(summary_sentence(claims, []))}</p>"
    items = "".join(f"<li>{html.escape(f.sentence)} Evidence: {_link(f.page, prefix)}.</li>" for f in found)
    return f'<ol class="findings-list">{items}</ol>'
