"""What the claims page shows: the write-up's claims with this build's verdicts (each cell saying how many seeds it
rests on), as a table with links to the evidence, each claim's reasoning, every threshold a verdict reads, the
write-up's four cases found in its own run, and the counts the landing page's at-a-glance table reads (keys without
the `claims_` prefix; verdict totals count one measurement once)."""

from __future__ import annotations

import html

import pandas as pd

from ...analysis import explain
from ...analysis.thresholds import FEW_SEEDS_OUTSIDE, MIN_SEEDS, THRESHOLDS
from ...claims import forensics_runs
from ...claims.ledger import CUSTOM, LedgerInputs, model_runs
from ...claims.verdicts import VERDICTS, Claim, claims_table, measurement_counts, verdict_cell
from ...claims.writeup_failures import CASES, TOP, case_instance, case_key
from ...data.fashion_mnist import FashionMNIST
from ...data.writeup_printed import COMMIT, HISTORIES, REPOSITORY, printed_for
from ...runs.cache import Run
from ...training.config import PROTOCOL_BUDGET, budget_text
from ..plots.explain import cam_grid
from ..profiles import Profile
from ..sections import get_section
from ..tables import prose_html

GLANCE = {  # the landing page's rows: a claim's key and a short name
    "writeup.accuracy.custom_cnn": "custom_acc", "writeup.accuracy.vgg16": "vgg16_acc",
    "writeup.accuracy.vgg19": "vgg19_acc", "writeup.accuracy.resnet18": "resnet18_acc",
    "writeup.errors": "errors", "writeup.augmentation_gain": "augmentation", "writeup.capacity": "capacity",
}


def ledger_inputs(profile: Profile, weights: str, device: str, seed: int) -> LedgerInputs:
    """The ledger's settings for this page: the profile's CAM, sanity-check and stress-test image budgets."""
    return LedgerInputs(weights=weights, device=device, seed=seed, cam_images=profile.explain_images,
                        sanity_images=profile.saliency_images.get(CUSTOM, 64),
                        stress_images=profile.stress_images.get(CUSTOM), stress_severities=profile.stress_severities)


def summary_values(claims: list[Claim]) -> dict:
    """How many measurements got each verdict (claims re-stating one measurement count once), and the
    at-a-glance rows' numbers and verdicts (with the seeds they rest on)."""
    counts = measurement_counts(claims)
    n_measurements = sum(counts.values())
    values = {"n_claims": len(claims), "n_measurements": n_measurements,
              "n_restated": len(claims) - n_measurements,
              **{f"n_{verdict.replace(' ', '_')}": n for verdict, n in counts.items()},
              "n_testable": n_measurements - counts[VERDICTS[-1]]}
    by_key = {claim.key: claim for claim in claims}
    for key, name in GLANCE.items():
        claim = by_key[key]
        values |= {f"{name}_ours": claim.ours or "—", f"{name}_theirs": claim.theirs or "—",
                   f"{name}_verdict": verdict_cell(claim)}
    return values


def threshold_frame() -> pd.DataFrame:
    """Every threshold a verdict of the report reads (`analysis.thresholds.THRESHOLDS`): its value, what it decides
    and why that value."""
    rows = [{"threshold": name.lower().replace("_", " "), "value": f"{t.value:g} {t.unit}", "decides": t.decides,
             "why this value": t.why} for name, t in THRESHOLDS.items()]
    return pd.DataFrame(rows, columns=["threshold", "value", "decides", "why this value"])


def thresholds_html() -> str:
    """The threshold table as HTML (cells escaped)."""
    return prose_html(threshold_frame())


def _link(section: str) -> str:
    if not section:
        return ""
    page = get_section(section)
    return f'<a href="{page.notebook.removesuffix(".ipynb")}.html">{html.escape(page.title.split(":")[0])}</a>'


def claims_frame(claims: list[Claim]) -> pd.DataFrame:
    """The claims as the page's table shows them: numbered, with the evidence page as a link (HTML cells)."""
    table = claims_table(claims)
    differs = pd.Series([bool(claim.printed_note) for claim in claims])
    printed = [html.escape(value) + (" <em>(differs from the text)</em>" if differ else "")
               for value, differ in zip(table["printed"], differs)]
    return pd.DataFrame({"#": range(1, len(table) + 1), "where": table["source"].str.replace("write-up ", ""),
                         "claim": table["claim"].map(html.escape), "write-up": table["write-up"].map(html.escape),
                         "their notebooks printed": printed, "ours": table["ours"].map(html.escape),
                         "verdict": table["verdict cell"], "evidence": table["page"].map(_link)})


def claims_html(claims: list[Claim]) -> str:
    """The table as HTML, links kept (the cells are escaped when the frame is built)."""
    return prose_html(claims_frame(claims), escape=False)


def details_markdown(claims: list[Claim]) -> str:
    """Each claim with its verdict, the sentence that decides it and what it rests on, numbered as in the table."""
    lines = []
    for number, claim in enumerate(claims, start=1):
        note = f" {claim.printed_note}" if claim.printed_note else ""
        lines.append(f"{number}. **{claim.statement[0].upper() + claim.statement[1:]}** ({claim.source}): "
                     f"*{verdict_cell(claim)}*. {claim.sentence} Evidence: {claim.evidence.text()}.{note}")
    return "\n".join(lines)


def printed_sources(claims: list[Claim]) -> pd.DataFrame:
    """Where each printed number of the table comes from: the row, the notebook and cell, the line it printed (and
    the other cells that printed the same line); a curve claim's row names the printed history it was measured on."""
    rows = []
    for number, claim in enumerate(claims, start=1):
        for printed in printed_for(claim.key):
            rows.append({"#": number, "notebook and cell": printed.where, "printed": printed.line,
                         "output": "figure text" if printed.output == "figure" else "printed text",
                         "also printed in": "; ".join(printed.also)})
        if claim.printed and not printed_for(claim.key):
            rows.append({"#": number, "notebook and cell": claim.printed_source.removeprefix("history printed in "),
                         "printed": "the per-epoch lines 'Train Loss: …, Train Acc: …%' and 'Val Loss: …, Val Acc: …%'",
                         "output": "printed text", "also printed in": ""})
    return pd.DataFrame(rows, columns=["#", "notebook and cell", "printed", "output", "also printed in"])


def printed_values() -> dict:
    """What the page's prose says about the second witness (the repository, the commit its outputs were read at) and
    the forensics (the text's longer epoch count)."""
    return {"printed_repository": REPOSITORY, "printed_commit": COMMIT[:12], "printed_histories": len(HISTORIES),
            "long_epochs": forensics_runs.LONG_EPOCHS}


def printed_html(claims: list[Claim]) -> str:
    """The sources table as HTML."""
    return prose_html(printed_sources(claims))


def forensics_markdown(claims: list[Claim], runs: dict) -> str:
    """One line per row that needs explaining (contradicted, or text and printed output differ), with each candidate
    explanation's verdict and what the runs show beneath it."""
    found = forensics_runs.explain(claims, runs)
    if not found:
        return "No row is contradicted, and text and printed output agree on every row: there is nothing to explain."
    lines = []
    for row in found:
        lines.append(f"- Row {row.number}, “{row.claim.statement}” (*{row.claim.verdict}*): {row.line}")
        lines += [f"  - {e.candidate} (*{e.verdict}*): predicts that {e.predicts}; {e.shows}."
                  for e in row.explanations]
    return "\n".join(lines)


def case_figure(claims: list[Claim], run: Run, data: FashionMNIST, weights: str, device: str, method: str = "gradcam"):
    """The write-up's four cases as this build's headline run makes them: for each, the most extreme image of that
    confusion with its Grad-CAM for the predicted and for the true class (cases the run never makes are left out)."""
    from ...claims.gather import errors_only

    errors = errors_only(run, weights)
    found = [(case, index) for case in CASES if (index := case_instance(case, errors)) is not None]
    if not found:
        return no_cases_figure()
    model = run.load_model(weights, device=device)
    indices = [index for _, index in found]
    images = data.test_images[indices]
    cams = {"predicted class": explain.compute_cams(model, images, [c.predicted for c, _ in found], method=method),
            "true class": explain.compute_cams(model, images, [c.label for c, _ in found], method=method)}
    verdicts = {claim.key: verdict_cell(claim) for claim in claims}
    titles = [f"#{index}: {case.case}\n{errors.loc[index, 'confidence']:.1%}, "
              f"{verdicts[case_key(case)]}" for case, index in found]
    return cam_grid(images.numpy(), cams, titles=titles)


def no_cases_figure():
    """A one-line figure for a run that makes none of the four confusions."""
    from ..plots.common import new_figure

    figure = new_figure(6.0, 0.6)
    figure.text(0.5, 0.5, "This run makes none of the write-up's four confusions.", ha="center", va="center")
    return figure


def runs_for_cases(runs: dict) -> Run:
    """The write-up's own run: the custom CNN's headline run (seed 56, the profile's headline budget)."""
    return runs["headline"][CUSTOM]


def rule_values() -> dict:
    """What the page's prose says about how claims are judged: the write-up's budget, how extreme a case must be, the
    seeds a reproduction needs and how far off a number on fewer seeds must lie to be contradicted."""
    return {"protocol_budget": PROTOCOL_BUDGET, "top_errors": TOP, "min_seeds": int(MIN_SEEDS.value),
            "few_seeds_outside": f"{FEW_SEEDS_OUTSIDE.value:g}"}


def protocol_text(runs: dict) -> str:
    """What the custom CNN's claims rest on in this build, in words."""
    first = model_runs(runs, CUSTOM)
    config = first[0].config
    seeds = f"{len(first)} seeds" if len(first) > 1 else f"one run (seed {config.seed})"
    return f"{budget_text(config.epochs, config.n_train)}, {seeds}"
