"""What each raw column of an analysis table is called on a page, and how its values are written.

`style.table` reads these: a raw name (as the analyses write it) maps to its display name, with its unit, and
the kind of its values (`KINDS`); `None` lets `style` infer the kind from the values (yes/no columns).
"""

from __future__ import annotations

# kind of a column: how its values are written
#   percent: already in % or points, 2 decimals     fraction: a share in [0, 1], written as % with 2 decimals
#   points: percentage points, 2 decimals, signed    fraction_points: a difference of shares, as signed points
#   p: a p-value                                     count: an integer with thousands separators
#   id: an integer as it is (seeds, epochs, indices) number: 3 significant digits
#   text: as it is                                   code: as it is, in monospace, allowed to break anywhere
KINDS = ("percent", "fraction", "points", "fraction_points", "p", "count", "id", "number", "text", "code")

DISPLAY_NAMES: dict[str, tuple[str, str | None]] = {
    # failures and persistence
    "test_index": ("Test image", "id"), "label_name": ("True class", "text"),
    "prediction_name": ("Predicted class", "text"), "wrong_class_name": ("Taken for", "text"),
    "confidence": ("Confidence (%)", "fraction"), "entropy": ("Entropy (nats)", "number"),
    "top3": ("Three most probable classes", "text"), "persistence": ("Over the seed runs", "text"),
    "count": ("Images", "count"), "share_of_class": ("Share of the true class (%)", "fraction"),
    "prediction_before": ("Predicted before", "text"), "prediction_after": ("Predicted after", "text"),
    "confidence_before": ("Confidence before (%)", "fraction"),
    "confidence_after": ("Confidence after (%)", "fraction"),
    "p_true_before": ("Probability of the true class before (%)", "fraction"),
    "p_true_after": ("Probability of the true class after (%)", "fraction"),
    "confidence_change": ("Change in confidence (points)", "fraction_points"),
    "confidence_change_of": ("Confidence in", "text"), "outcome": ("Outcome", "text"),
    "times_wrong": ("Runs wrong", "count"), "runs": ("Runs", "count"),
    "confidence_wrong": ("Confidence when wrong (%)", "fraction"),
    "entropy_wrong": ("Entropy when wrong (nats)", "number"), "persistent": ("Wrong in every run", None),
    "case": ("Failure type", "text"), "kind": ("Kind", "text"), "candidates": ("Candidates", "count"),
    "persistent candidates": ("Candidates wrong in every run", "count"),
    "write-up confidence": ("Write-up confidence (%)", "fraction"),
    "write-up entropy": ("Write-up entropy (nats)", "number"), "group": ("Group", "text"),
    "images": ("Images", "count"), "% of test images": ("Share of test images (%)", "percent"),
    "errors per run": ("Errors per run", "number"), "% of errors": ("Share of errors (%)", "percent"),
    # the models compared
    "model": ("Model", "text"), "epochs": ("Epochs", "id"), "train images": ("Training images", "count"),
    "test acc %": ("Test accuracy (%)", "percent"), "95% CI": ("95 % interval (%)", "text"),
    "test loss": ("Test loss", "number"), "errors": ("Errors", "count"),
    "parameters (M)": ("Parameters (millions)", "number"), "train time (min)": ("Training time (min)", "number"),
    "final gap (pts)": ("Final gap (points)", "points"), "gap opens (epoch)": ("Gap opens (epoch)", "id"),
    "val loss rising": ("Validation loss rising", None), "final_gap": ("Final gap (points)", "points"),
    "gap_opens_epoch": ("Gap opens (epoch)", "id"), "max_gap": ("Largest gap (points)", "points"),
    "val_loss_min_epoch": ("Lowest validation loss (epoch)", "id"),
    "val_loss_rise": ("Validation loss above its lowest (%)", "fraction"),
    "val_loss_rising": ("Validation loss rising", None), "stage": ("Stage", "text"),
    "output shape": ("Output shape (channels, height, width)", "text"), "parameters": ("Parameters", "count"),
    # robustness and calibration
    "corruption": ("Corruption", "text"), "family": ("Family", "text"), "parameter": ("Parameter", "text"),
    "seen in augmentation": ("Seen in augmentation", None), "clean error %": ("Clean error (%)", "percent"),
    "mCE": ("mCE (%)", "percent"), "mCE low": ("mCE low (%)", "percent"), "mCE high": ("mCE high (%)", "percent"),
    "mCE unseen": ("mCE unseen (%)", "percent"), "mCE unseen low": ("mCE unseen low (%)", "percent"),
    "mCE unseen high": ("mCE unseen high (%)", "percent"), "relative mCE": ("Relative mCE (%)", "percent"),
    "relative mCE unseen": ("Relative mCE unseen (%)", "percent"), "lowest CE": ("Lowest CE", "text"),
    "CE": ("CE (%)", "percent"), "lowest relative CE": ("Lowest relative CE", "text"),
    "relative CE": ("Relative CE (%)", "percent"), "accuracy": ("Accuracy (%)", "fraction"),
    "temperature": ("Temperature", "number"), "ECE": ("ECE (%)", "fraction"),
    "ECE scaled": ("ECE after scaling (%)", "fraction"), "NLL": ("Test NLL", "number"),
    "NLL scaled": ("Test NLL after scaling", "number"), "val NLL": ("Validation NLL", "number"),
    "val NLL scaled": ("Validation NLL after scaling", "number"),
    # saliency
    "step": ("Step", "id"), "randomised": ("Re-initialised down to", "text"), "median rho": ("Median ρ", "number"),
    "q25": ("ρ, lower quartile", "number"), "q75": ("ρ, upper quartile", "number"), "mean rho": ("Mean ρ", "number"),
    "blank maps": ("Blank maps (%)", "fraction"), "n": ("Images", "count"), "passes": ("Passes", None),
    "method": ("Method", "text"), "rank (ROAD)": ("Rank by ROAD", "id"), "rank (deletion)": ("Rank by deletion", "id"),
    # statistics
    "training": ("Training", "text"), "seed": ("Seed", "id"), "run": ("Run", "code"), "ECE %": ("ECE (%)", "text"),
    "arm": ("Arm", "text"), "comparison": ("Comparison", "text"),
    "a minus b (pts)": ("a minus b (points)", "text"), "95 % interval over seeds": ("95 % interval (points)", "text"),
    "a ahead": ("Seeds with a ahead", "text"), "significant": ("Significant", None), "verdict": ("Verdict", "text"),
    "model a": ("Model a", "text"), "model b": ("Model b", "text"), "acc a %": ("Accuracy a (%)", "percent"),
    "acc b %": ("Accuracy b (%)", "percent"), "difference (pts)": ("Difference (points)", "points"),
    "CI low (pts)": ("95 % interval low (points)", "points"), "CI high (pts)": ("95 % interval high (points)", "points"),
    "only a right": ("Only a right", "count"), "only b right": ("Only b right", "count"),
    "p (McNemar)": ("p (McNemar)", "p"), "p (Holm)": ("p (Holm)", "p"), "error rate %": ("Error rate (%)", "percent"),
    # reproducibility
    "section": ("Section", "text"), "notebook": ("Notebook", "code"), "seconds": ("Time (s)", "number"),
    "augment": ("Augmentation", "text"), "split seed": ("Split seed", "id"), "device": ("Device", "text"),
    "precision": ("Precision", "text"), "package": ("Package", "code"), "version": ("Version", "text"),
    "file": ("File", "code"), "shape": ("Shape", "text"), "sha256 (decompressed)": ("SHA-256 of the content", "code"),
    "measured": ("Measured", None), "value": ("Value", "text"),
    "environment": ("requirements.lock (SHA-256, first 16 digits)", "code"),
}
