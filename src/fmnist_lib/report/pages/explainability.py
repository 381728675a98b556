"""What the explainability page glues about the write-up's three patterns (keys without the `explainability_`
prefix)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...analysis.explain import claim_verdict, diffuse_claim, footwear_claim, silhouette_claim


def writeup_claims(cams: np.ndarray, images, table: pd.DataFrame) -> dict[str, dict]:
    """The write-up's three patterns tested on the images of an error table's rows (`failures.error_table`).

    cams (N, 28, 28) and images are aligned with `table`; the diffuse claim looks at the errors only.
    """
    wrong = ~table.correct.to_numpy()
    return {"silhouette": silhouette_claim(cams, images, table.label, table.prediction),
            "footwear": footwear_claim(cams, images, table.label, table.prediction),
            "diffuse": diffuse_claim(cams[wrong], table.entropy.to_numpy()[wrong], images[wrong])}


def claim_values(claims: dict[str, dict], table: pd.DataFrame) -> dict:
    """Images and errors the statistics use, and each claim's verdict, count, p-value and effect size.

    `claims` is `writeup_claims` over the rows of the error table `table`.
    """
    values = {"n_images": len(table), "n_errors": int((~table.correct.to_numpy()).sum())}
    for name, result in claims.items():
        values |= {f"{name}_verdict": claim_verdict(result), f"{name}_n": result.get("n_errors", result.get("n")),
                   f"{name}_p": float(result["p_value"])}
    return values | {"silhouette_excess": 100 * claims["silhouette"]["median_excess_errors"],
                     "footwear_excess": 100 * claims["footwear"]["median_excess_errors"],
                     "diffuse_rho": claims["diffuse"]["rho"],
                     "diffuse_area_rho": claims["diffuse"].get("rho_entropy_object_area", float("nan"))}
