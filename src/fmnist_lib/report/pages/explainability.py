"""What the explainability page glues about the write-up's three patterns and how they are tested (keys without
the `explainability_` prefix)."""

from __future__ import annotations

import pandas as pd

from ...analysis.explain import claim_verdict
from ...analysis.thresholds import ALPHA, MIN_ERRORS, OBJECT_PIXEL
from ...data.classes import GARMENTS, names_of
from ...data.writeup import SNEAKER_VS_ANKLE_BOOT
from ..text import join_names, signed_amount


def rule_values() -> dict:
    """How the page's tests are set, as its prose states them: the classes each pattern concerns, what counts as
    the object, how many errors a test needs and its level."""
    return {"garments": join_names(names_of(GARMENTS)), "footwear_pair": join_names(names_of(SNEAKER_VS_ANKLE_BOOT)),
            "object_percent": 100 * OBJECT_PIXEL.value, "min_errors": MIN_ERRORS.value, "alpha": ALPHA.value}


def claim_values(claims: dict[str, dict], table: pd.DataFrame) -> dict:
    """Images and errors the statistics use, and each claim's verdict, count, p-value and effect size.

    `claims` is `claims.ledger.pattern_evidence` over the rows of the error table `table`.
    """
    values = {"n_images": len(table), "n_errors": int((~table.correct.to_numpy()).sum())}
    for name, result in claims.items():
        values |= {f"{name}_verdict": claim_verdict(result), f"{name}_n": result.get("n_errors", result.get("n")),
                   f"{name}_p": float(result["p_value"])}
    silhouette, footwear = (100 * claims[name]["median_excess_errors"] for name in ("silhouette", "footwear"))
    return values | {"silhouette_excess": silhouette, "footwear_excess": footwear,
                     "silhouette_excess_text": signed_amount(silhouette, "points"),  # "9.5 points below"
                     "footwear_excess_text": signed_amount(footwear, "points"),
                     "diffuse_rho": claims["diffuse"]["rho"],
                     "diffuse_area_rho": claims["diffuse"].get("rho_entropy_object_area", float("nan"))}
