"""The error explorer as one self-contained block of HTML: data, images, script and style inlined.

Images travel as PNG sprite sheets (one per kind: test images, Grad-CAM for the predicted and for
the true class, nearest training images) in data: URIs, the numbers as compact column-wise JSON,
and `explorer.js` / `explorer.css` (shipped next to this module) are read at build time and
inlined, so the page works from file:// and any static host and requests nothing. A static
confusion table stands in for the interactive part in print, in PDF and without JavaScript.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
from pathlib import Path

import numpy as np
from PIL import Image

from ..data.fashion_mnist import CLASS_NAMES
from .explorer import Explorer

ASSETS = Path(__file__).parent
SHORT_NAMES = ("T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot")
SPRITE_COLUMNS = 64  # tiles per sheet row: 64 x 28 = 1,792 px wide


def sprite_sheet(tiles: np.ndarray, columns: int = SPRITE_COLUMNS) -> np.ndarray:
    """(N, S, S) uint8 tiles into one (rows * S, columns * S) sheet, row-major; empty places stay 0."""
    n, size, _ = tiles.shape
    rows = max(math.ceil(n / columns), 1)
    sheet = np.zeros((rows * size, columns * size), np.uint8)
    for i, tile in enumerate(tiles):
        row, column = divmod(i, columns)
        sheet[row * size:(row + 1) * size, column * size:(column + 1) * size] = tile
    return sheet


def png_data_uri(sheet: np.ndarray) -> str:
    """A greyscale uint8 array as a PNG data: URI (no colour profile, so a canvas reads the bytes back exactly)."""
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(sheet), mode="L").save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _sprite(tiles: np.ndarray) -> dict:
    return {"uri": png_data_uri(sprite_sheet(tiles)), "size": int(tiles.shape[1]), "columns": SPRITE_COLUMNS}


def _unit_bytes(maps: np.ndarray) -> np.ndarray:
    """Maps in [0, 1] as uint8 0..255."""
    return np.round(np.clip(maps, 0, 1) * 255).astype(np.uint8)


def payload(explorer: Explorer) -> dict:
    """The page's data: class names, confusion counts, one entry per error (column-wise), sprites, texts."""
    rows = explorer.rows
    return {
        "classes": list(CLASS_NAMES), "short": list(SHORT_NAMES),
        "confusion": explorer.confusion.tolist(),
        "seedRuns": int(rows["runs"].iloc[0]) if len(rows) else 0,
        "errors": {
            "index": rows.index.tolist(), "label": rows["label"].tolist(), "pred": rows["prediction"].tolist(),
            "conf": np.round(rows["confidence"].to_numpy(), 4).tolist(),
            "entropy": np.round(rows["entropy"].to_numpy(), 3).tolist(),
            "top": rows[["top1", "top2", "top3"]].to_numpy().tolist(),
            "topP": np.round(rows[["top1_p", "top2_p", "top3_p"]].to_numpy(), 4).tolist(),
            "pTrue": np.round(rows["p_true"].to_numpy(), 4).tolist(),
            "wrong": rows["times_wrong"].tolist(),
            "aug": rows["augmented_prediction"].tolist(),
            "suspect": rows["suspect"].astype(int).tolist(),
            "nb": explorer.neighbour_slots.tolist(),
            "nbSim": np.round(explorer.neighbour_similarity, 3).tolist(),
        },
        "trainIndex": explorer.neighbour_index.tolist(),
        "sprites": {"image": _sprite(explorer.images), "camPred": _sprite(_unit_bytes(explorer.cam_predicted)),
                    "camTrue": _sprite(_unit_bytes(explorer.cam_true)), "train": _sprite(explorer.neighbour_images)},
        "texts": explorer.texts,
    }


def static_confusion(confusion: np.ndarray) -> str:
    """The confusion counts as a plain HTML table: what print, PDF and a browser without JavaScript show."""
    head = "".join(f'<th scope="col" title="{html.escape(n)}">{html.escape(s)}</th>'
                   for n, s in zip(CLASS_NAMES, SHORT_NAMES))
    body = "".join(
        f'<tr><th scope="row">{html.escape(name)}</th>'
        + "".join(f'<td class="{"fx-diag" if t == p else "fx-off"}">{count:,}</td>' for p, count in enumerate(row))
        + "</tr>" for t, (name, row) in enumerate(zip(CLASS_NAMES, confusion.tolist())))
    return (f'<table class="fx-static-table"><caption>Test images by true class (rows) and predicted class '
            f'(columns)</caption><thead><tr><th scope="col">true \\ predicted</th>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table>")


def _json_for_script(value: dict) -> str:
    """JSON safe inside <script>: no '</' can close the element early."""
    return json.dumps(value, separators=(",", ":")).replace("</", "<\\/")


def page_html(explorer: Explorer, element_id: str = "error-explorer") -> str:
    """The explorer block: style, static fallback, an empty app the script fills, the data, the script."""
    css = (ASSETS / "explorer.css").read_text()
    script = (ASSETS / "explorer.js").read_text()
    if "<script" in script.lower() or "</script" in script.lower():  # would end or nest the inline element
        raise ValueError("explorer.js must not contain a script tag.")
    fallback = ('<p class="fx-print-note">The error explorer is interactive in a web browser with JavaScript: '
                "click a cell of the confusion matrix to see its images, and an image to see its evidence. "
                "Printed, or without JavaScript, it shows the counts only.</p>")
    return (f'<div class="fx-explorer" id="{html.escape(element_id)}" data-fx-explorer>'
            f"<style>{css}</style>"
            f'<div class="fx-static">{fallback}{static_confusion(explorer.confusion)}</div>'
            '<div class="fx-app" hidden></div>'
            f'<script type="application/json" class="fx-data">{_json_for_script(payload(explorer))}</script>'
            f"<script>{script}</script></div>")
