"""One look for every table of the report, on screen and on paper.

Tables: `table(frame)` is what a page displays instead of a raw DataFrame. Columns get display names with their
units (`DISPLAY_NAMES`, else the name in words), and each value its format: percentages and points with 2
decimals, p-values as "< 0.001" or 2 significant digits, counts with thousands separators, other numbers with 3
significant digits, booleans as "yes"/"no", identifiers (models, corruptions, CAM methods) by their names for
people. A default 0..n-1 index is dropped; a meaningful one becomes the first column. A missing value is an em
dash, explained in a note under the table. The HTML is a plain `<table class="fmnist-table">` that
`book/_static/fmnist.css` sets in one style: it fits the content width (headers wrap), scrolls sideways on
purpose where it cannot, and prints whole.
Figures have their look in `report/plots/look.py`.
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

from .columns import DISPLAY_NAMES
from .text import CAM_METHOD_NAMES

DASH = "—"
SHORT_TEXT = 14  # text cells up to this long never wrap ("Custom CNN", "59.49–61.40")
MINUS = "−"
NEGATIVE = re.compile(r"(?<![\w.])-(?=\d)")  # a hyphen that is a minus sign: before a digit, after no word
DEFAULT_MISSING = "no value: the measure does not apply here"


def _display_values() -> dict[str, str]:
    """Identifiers that reach tables as values, by their names for people: models, corruptions, CAM methods."""
    from ..data.corruptions import CORRUPTIONS, label
    from ..training.model_parts import model_label
    from ..training.models import MODEL_NAMES

    names = {name: model_label(name) for name in MODEL_NAMES}
    names |= {name: label(name)[0].upper() + label(name)[1:] for name in CORRUPTIONS}
    names |= CAM_METHOD_NAMES | {"random": "Random weights (floor)"}  # a table cell: shorter than the prose's
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

    names: raw column -> display name (beyond `DISPLAY_NAMES`); kinds: raw or display column -> kind (`columns.KINDS`);
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

