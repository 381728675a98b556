"""The write-up's three Grad-CAM patterns (§6) as claims: each measured over every test error it concerns.

The measurements are `analysis.explain`'s (silhouette, footwear and diffuse tests); this module only
decides what they show. A pattern in maps that failed the randomisation sanity check says nothing
about the model, so then the verdict is inconclusive whatever the test gave.
"""

from __future__ import annotations

from ..analysis.thresholds import ALPHA, MIN_ERRORS
from . import rules
from .evidence import RunSet, not_at_protocol
from .verdicts import INCONCLUSIVE, NOT_SUPPORTED, NOT_TESTABLE, SUPPORTED, Claim, Evidence

PATTERNS = {
    "silhouette": "in garment confusions the heatmap sits on the garment's central band (silhouette, not sleeves)",
    "footwear": "in sneaker/ankle-boot errors the heatmap sits on the sole and mid-body, not the ankle's height",
    "diffuse": "the more uncertain an error, the broader its heatmap",
}


def _effect(pattern: str, result: dict) -> str:
    if pattern == "diffuse":
        return f"rank correlation of entropy with heatmap spread {result['rho']:.2f} (one-sided p = {result['p_value']:.3g})"
    where = "central third" if pattern == "silhouette" else "ankle-height third"
    excess = 100 * result["median_excess_errors"]
    return (f"median heatmap share of the {where} {abs(excess):.1f} points {'above' if excess > 0 else 'below'} the "
            f"object's own share there (one-sided p = {result['p_value']:.3g})")


def gradcam_claim(pattern: str, result: dict | None, runs: RunSet | None, maps_trusted: bool | None,
                  method: str = "Grad-CAM", min_errors: int = MIN_ERRORS.value) -> Claim:
    """One pattern: `result` from `analysis.explain.<pattern>_claim` on the custom CNN's errors;
    `maps_trusted`: whether the maps passed the randomisation check (None: not checked in this build)."""
    statement = f"Grad-CAM: {PATTERNS[pattern]}"
    key = f"writeup.gradcam.{pattern}"
    if runs is None or not runs.at_protocol or result is None:
        return Claim(key, statement, NOT_TESTABLE, not_at_protocol(runs, "the custom CNN"),
                     Evidence(runs="none", method="needs the write-up's protocol", page="explainability"),
                     source="write-up §6")
    n = int(result.get("n_errors", result.get("n", 0)))
    evidence = runs.evidence(f"{method} over {n:,} qualifying errors, one-sided test at p < {ALPHA.value}",
                             page="explainability")
    trust = ("the maps passed the randomisation check" if maps_trusted else
             "the randomisation check was not run in this build" if maps_trusted is None else
             "the maps failed the randomisation check, so they do not reflect what the model learned")
    if n < min_errors:
        return Claim(key, statement, INCONCLUSIVE, f"Only {n} errors qualify, fewer than the {min_errors} a test needs.",
                     evidence, ours=f"{n} errors", theirs="observed", source="write-up §6", numbers={"n": n})
    effect = _effect(pattern, result)
    if maps_trusted is False:
        verdict = INCONCLUSIVE
    else:
        verdict = rules.at_seeds(SUPPORTED if result["supported"] else NOT_SUPPORTED, runs.n)  # one run: consistent
    sentence = f"Over {n:,} errors: {effect}; {trust}."
    return Claim(key, statement, verdict, sentence, evidence, ours=effect.split(" (")[0], theirs="observed",
                 source="write-up §6", numbers={"n": n, "p_value": result["p_value"]})
