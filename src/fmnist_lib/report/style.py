"""One look for every table and figure of the report, on screen and on paper.

Tables: `table(frame)` is what a page displays instead of a raw DataFrame. Columns get display names with their
units (`DISPLAY_NAMES`, else the name in words), and each value its format: percentages and points with 2
decimals, p-values as "< 0.001" or 2 significant digits, counts with thousands separators, other numbers with 3
significant digits, booleans as "yes"/"no", identifiers (models, corruptions, CAM methods) by their names for
people. A default 0..n-1 index is dropped; a meaningful one becomes the first column. A missing value is an em
dash, explained in a note under the table. The HTML is a plain `<table class="fmnist-table">` that
`book/_static/fmnist.css` sets in one style: it fits the content width (headers wrap), scrolls sideways on
purpose where it cannot, and prints whole.

Figures: drawn `FIGURE_WIDTH` inches wide, the width of the page's text column, at `FIGURE_DPI` (1.4 times the
96 px of a CSS inch, sharp on paper and on dense screens); `ReportFigure` tells the page to show them at that
width, so a point in a figure is a point on the page and no label is drawn below `MIN_FONT_PT`. Lines differ by
colour, line style and marker, so they survive grayscale printing.
"""

from __future__ import annotations

import html
import math
import numbers
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

# ---- figures --------------------------------------------------------------------------------------------------

CSS_PX_PER_INCH = 96
TEXT_COLUMN_PX = 672  # the page's text column at 1280 px, and A4 less 16 mm margins in print
TIGHT_PAD_IN = 0.12  # what the notebook's tight crop adds around a constrained-layout figure
FIGURE_WIDTH = TEXT_COLUMN_PX / CSS_PX_PER_INCH - TIGHT_PAD_IN  # inches: shown at exactly the column's width
FIGURE_DPI = 1.4 * CSS_PX_PER_INCH
MIN_FONT_PT = 9.0
FONT_PT = 10.0  # axis labels, titles of panels, legends
SMALL_PT = 9.0  # tick labels, annotations, captions inside figures
TITLE_PT = 11.0
RC = {"font.size": FONT_PT, "axes.titlesize": FONT_PT, "axes.labelsize": FONT_PT, "xtick.labelsize": SMALL_PT,
      "ytick.labelsize": SMALL_PT, "legend.fontsize": SMALL_PT, "legend.title_fontsize": SMALL_PT,
      "figure.titlesize": TITLE_PT, "lines.linewidth": 1.6, "lines.markersize": 4.5, "axes.titleweight": "normal"}

# Okabe-Ito colours, ordered so that neighbours also differ in lightness (grey prints tell them apart), each
# with its own line style and marker: the n-th series is identifiable in colour, in grey and in black and white.
COLORS = ("#0072B2", "#E69F00", "#000000", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
LINESTYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 1)), (0, (8, 2)), (0, (3, 1, 3, 3)))
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def series_style(index: int) -> dict:
    """Colour, line style and marker of the `index`-th line of a figure (cycling)."""
    return {"color": COLORS[index % len(COLORS)], "linestyle": LINESTYLES[index % len(LINESTYLES)],
            "marker": MARKERS[index % len(MARKERS)]}


def shown_width_px(width_in: float) -> int:
    """CSS pixels at which a figure `width_in` inches wide is shown, its tight crop included."""
    return round((width_in + TIGHT_PAD_IN) * CSS_PX_PER_INCH)


# ---- tables ---------------------------------------------------------------------------------------------------

DASH = "—"
SHORT_TEXT = 14  # text cells up to this long never wrap ("Custom CNN", "59.49–61.40")
MINUS = "−"
NEGATIVE = re.compile(r"(?<![\w.])-(?=\d)")  # a hyphen that is a minus sign: before a digit, after no word
DEFAULT_MISSING = "no value: the measure does not apply here"

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
    "augment": ("Augmented", None), "split seed": ("Split seed", "id"), "device": ("Device", "text"),
    "precision": ("Precision", "text"), "package": ("Package", "code"), "version": ("Version", "text"),
    "file": ("File", "code"), "shape": ("Shape", "text"), "sha256 (decompressed)": ("SHA-256 of the content", "code"),
    "measured": ("Measured", None), "value": ("Value", "text"),
}


def _display_values() -> dict[str, str]:
    """Identifiers that reach tables as values, by their names for people: models, corruptions, CAM methods."""
    from ..data.corruptions import CORRUPTIONS, label
    from ..training.models import MODEL_NAMES, model_label

    names = {name: model_label(name) for name in MODEL_NAMES}
    names |= {name: label(name)[0].upper() + label(name)[1:] for name in CORRUPTIONS}
    names |= {"gradcam": "Grad-CAM", "gradcam++": "Grad-CAM++", "eigencam": "Eigen-CAM",
              "random": "Random weights (floor)"}
    return names


def column_name(name) -> str:
    """The display name of a raw column: `DISPLAY_NAMES`, else the raw name in words with a capital."""
    if name in DISPLAY_NAMES:
        return DISPLAY_NAMES[name][0]
    text = str(name).replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text and not text[:2].isupper() else text


def _infer_kind(raw, shown: str, values: pd.Series) -> str:
    """The kind of a column from `DISPLAY_NAMES`, else from its display name and values."""
    if raw in DISPLAY_NAMES and DISPLAY_NAMES[raw][1]:
        return DISPLAY_NAMES[raw][1]
    lowered = shown.lower()
    present = values.dropna()
    if re.match(r"^p(-value)?( \(|$)", lowered):
        return "p"
    if not len(present) or not all(isinstance(v, numbers.Number) and not isinstance(v, bool) for v in present):
        return "text"
    if "(points)" in lowered or "(pts)" in lowered:
        return "points"
    if "%" in lowered:
        return "percent"
    if all(float(v).is_integer() for v in present) and pd.api.types.is_integer_dtype(values.dtype):
        return "count"
    return "number"


def _minus(text: str) -> str:
    return text.replace("-", MINUS, 1) if text.startswith("-") else text


def _fixed(value: float, decimals: int, signed: bool = False) -> str:
    text = f"{value:+,.{decimals}f}" if signed else f"{value:,.{decimals}f}"
    if float(text.replace(",", "")) == 0:  # no "-0.00" nor "+0.00"
        text = f"{0:.{decimals}f}"
    return _minus(text)


def significant(value: float, digits: int = 3) -> str:
    """`value` to `digits` significant digits, never in exponent notation (1,234 stays whole)."""
    if value == 0 or not math.isfinite(value):
        return "0" if value == 0 else str(value)
    if float(value).is_integer():
        return _minus(f"{value:,.0f}")
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(value))))
    return _fixed(round(value, decimals), decimals)


def p_value(p: float) -> str:
    """A p-value for a table or a sentence: '< 0.001', else 2 significant digits ('0.012', '0.50', '1.0')."""
    if p < 0.001:
        return "< 0.001"
    rounded = float(f"{p:.2g}")  # 0.99999 is 1.0, not 1.00
    decimals = max(1, 1 - math.floor(math.log10(rounded)))
    return f"{rounded:.{decimals}f}"


def format_value(value, kind: str, values: Mapping[str, str] | None = None) -> str | None:
    """One cell as text, or None when the value is missing (the caller writes the dash)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, str) or not isinstance(value, numbers.Number):
        text = str(value)
        text = (values or {}).get(text, text)
        return text if kind == "code" else NEGATIVE.sub(MINUS, text)  # "-7.07 ± 14.66": a minus sign
    value = float(value)
    if kind == "percent":
        return _fixed(value, 2)
    if kind == "fraction":
        return _fixed(100 * value, 2)
    if kind == "points":
        return _fixed(value, 2, signed=True)
    if kind == "fraction_points":
        return _fixed(100 * value, 2, signed=True)
    if kind == "p":
        return p_value(value)
    if kind == "count":
        return _minus(f"{value:,.0f}") if value.is_integer() else significant(value)
    if kind == "id":
        return _minus(f"{value:.0f}") if value.is_integer() else significant(value)
    return significant(value)


@dataclass
class Table:
    """A table formatted for a page: `cells` (strings, by display name), each column's kind, and its notes."""

    cells: pd.DataFrame
    kinds: dict[str, str]
    notes: list[str] = field(default_factory=list)

    def _repr_html_(self) -> str:
        def cell(tag: str, text: str, kind: str) -> str:
            css = "num" if kind not in ("text", "code") else ("text" if tag == "th" else kind)
            if tag == "td" and kind == "text" and len(text) <= SHORT_TEXT:
                css += " short"  # a name or an interval: kept on one line
            body = html.escape(text)
            return f'<{tag} class="{css}">{f"<code>{body}</code>" if kind == "code" and text != DASH else body}</{tag}>'

        head = "".join(cell("th", column, self.kinds[column]) for column in self.cells.columns)
        rows = "".join("<tr>" + "".join(cell("td", text, self.kinds[column]) for column, text in row.items()) + "</tr>"
                       for _, row in self.cells.iterrows())
        notes = "".join(f'<p class="fmnist-table-note">{html.escape(note)}</p>' for note in self.notes)
        return (f'<div class="fmnist-table-wrap"><table class="fmnist-table"><thead><tr>{head}</tr></thead>'
                f"<tbody>{rows}</tbody></table>{notes}</div>")

    def __repr__(self) -> str:
        return self.cells.to_string(index=False) + "".join(f"\n{note}" for note in self.notes)


def table(frame: pd.DataFrame | pd.Series, *, names: Mapping | None = None, kinds: Mapping | None = None,
          index: bool | str | None = None, missing: str | Mapping | None = None,
          ranges: Mapping[str, tuple] | None = None, transpose: bool = False,
          repeats: tuple = (), values: Mapping[str, str] | None = None) -> Table:
    """`frame` as the report shows tables (see the module's docstring).

    names: raw column -> display name (beyond `DISPLAY_NAMES`); kinds: raw or display column -> kind (`KINDS`);
    index: None keeps a meaningful index (not 0..n-1) as the first column, False drops it, a string keeps it
    under that name; missing: why a value is missing (one reason, or raw column -> reason), written under the
    table after the dash; ranges: display name -> (low column, high column[, joiner]), merged into "low to high"
    (or "before → after" with joiner " → ");
    transpose: rows become columns first (after the index is kept); repeats: display columns whose value is
    left blank where it repeats the row above (a model's name over its methods); values: cell text ->
    display text, beyond models, corruptions and CAM methods.
    """
    frame = frame.to_frame() if isinstance(frame, pd.Series) else frame.copy()
    frame = _with_index(frame, index)
    if transpose:
        frame = frame.set_index(frame.columns[0]).T.reset_index(names=str(index) if isinstance(index, str) else "")
    names, kinds = dict(names or {}), dict(kinds or {})
    shown = {raw: names.get(raw, column_name(raw)) for raw in frame.columns}
    column_kinds = {shown[raw]: kinds.get(raw, kinds.get(shown[raw], _infer_kind(raw, shown[raw], frame[raw])))
                    for raw in frame.columns}
    for raw in frame.columns:  # words stay words, whatever a column of that name holds elsewhere
        present = frame[raw].dropna()
        if (raw not in kinds and shown[raw] not in kinds and len(present)
                and all(isinstance(v, str) for v in present) and column_kinds[shown[raw]] not in ("text", "code")):
            column_kinds[shown[raw]] = "text"
    lookup = _display_values() | dict(values or {})
    reasons: list[str] = []
    cells = {}
    for raw in frame.columns:
        texts = [format_value(v, column_kinds[shown[raw]], lookup) for v in frame[raw]]
        if any(text is None for text in texts):
            reason = missing.get(raw, DEFAULT_MISSING) if isinstance(missing, Mapping) else (missing or DEFAULT_MISSING)
            reasons.append(reason)
        cells[shown[raw]] = [DASH if text is None else text for text in texts]
    cells = pd.DataFrame(cells)
    for name, (low, high, *joiner) in (ranges or {}).items():
        join = joiner[0] if joiner else " to "
        merged = [DASH if DASH in (a, b) else f"{a}{join}{b}" for a, b in zip(cells[shown[low]], cells[shown[high]])]
        position = list(cells.columns).index(shown[low])
        cells = cells.drop(columns=[shown[low], shown[high]])
        cells.insert(position, name, merged)
        column_kinds[name] = column_kinds[shown[low]]
    for name in repeats:
        column = cells[name]
        cells[name] = column.where(column != column.shift(), "")
    notes = [f"{DASH} {reason}" for reason in dict.fromkeys(reasons)]
    return Table(cells, {column: column_kinds[column] for column in cells.columns}, notes)


def _with_index(frame: pd.DataFrame, index: bool | str | None) -> pd.DataFrame:
    """The index as leading column(s) when it means something (or is asked for), else dropped."""
    unnamed_numbers = (frame.index.nlevels == 1 and frame.index.name is None
                       and pd.api.types.is_integer_dtype(frame.index.dtype))  # pandas' positions, even with gaps
    if index is False or (index is None and unnamed_numbers):
        return frame.reset_index(drop=True)
    if isinstance(index, str) and frame.index.nlevels == 1:
        frame = frame.rename_axis(index)
    frame = frame.rename_axis([name if name is not None else "" for name in frame.index.names])
    return frame.reset_index()


def yes_no(flag: bool) -> str:
    """A boolean for a sentence or a cell."""
    return "yes" if flag else "no"

