"""Prose helpers for the pages: lists in words, possessives, signs in words, subsets, and the titles and captions
of the statistics page's galleries."""

from __future__ import annotations

import re

import pandas as pd

from ..claims.rules import join_names  # noqa: F401 - the pages' list-in-words helper lives with the claims

APOSTROPHE = "\u2019"  # ’: glued whole, so the page's smart quotes never turn it into an opening quote
QUALIFIED = re.compile(r"^(?P<name>.+?) \((?P<qualifier>[^()]+)\)$")  # "Custom CNN (augmented)"


def possessive(name: str) -> str:
    """A name's possessive for prose, glued whole: "VGG-16’s", "ResNet-18’s", "the augmented Custom CNN’s".

    A name ending in a parenthesis takes its qualifier in front ("Custom CNN (augmented)" becomes "the augmented
    Custom CNN’s") rather than "Custom CNN (augmented)’s"; a name ending in s takes the apostrophe alone.
    """
    name = name.strip()
    match = QUALIFIED.match(name)
    if match:
        name = f"the {match['qualifier']} {match['name']}"
    return name + (APOSTROPHE if name.endswith("s") and not name.endswith("ss") else APOSTROPHE + "s")


def signed_amount(value: float, unit: str, above: str = "above", below: str = "below", digits: int = 1,
                  same: str = "the same as") -> str:
    """A signed difference said in words: (-9.4, 'points') -> '9.4 points below'; (0.0, ...) -> `same`.

    For sentences such as "the share is {signed_amount(x, 'points')} the garment's own share", where a bare
    "exceeds ... by -9.4 points" would contradict itself.
    """
    magnitude = f"{abs(value):,.{digits}f}"
    if float(magnitude.replace(",", "")) == 0:
        return same
    return f"{magnitude} {unit} {above if value > 0 else below}"


def signed_range(low: float, high: float, unit: str = "", above: str = "higher", below: str = "lower",
                 digits: int = 3) -> str:
    """A range of signed differences in words: (-0.051, -0.018) -> '0.018 to 0.051 lower'; mixed signs keep
    their direction word each ('0.010 lower to 0.020 higher')."""
    unit = f" {unit}" if unit else ""
    if low < 0 < high:
        return f"{abs(low):.{digits}f}{unit} {below} to {high:.{digits}f}{unit} {above}"
    small, large = sorted((abs(low), abs(high)))
    word = above if high > 0 else below
    return f"{small:.{digits}f} to {large:.{digits}f}{unit} {word}" if small != large else f"{small:.{digits}f}{unit} {word}"


def subset_phrase(n: int, total: int, noun: str = "test images") -> str:
    """How many of a set a statistic uses: 'all 10,000 test images', or 'the first 2,000 of the 10,000 test
    images' when it is a part (never "the first 10,000" when that is all of them)."""
    if n >= total:
        return f"all {total:,} {noun}"
    return f"the first {n:,} of the {total:,} {noun}"


def persistent_titles(rows: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Gallery titles ('Shirt → T-shirt/top') and captions ('wrong 3/3, 97% conf.') of persistence rows."""
    titles = [f"{row.label_name} →\n{row.wrong_class_name}" for row in rows.itertuples()]
    captions = [f"wrong {row.times_wrong}/{row.runs}\n{row.confidence_wrong:.0%} conf." for row in rows.itertuples()]
    return titles, captions


def suspect_titles(rows: pd.DataFrame, runs: int | None = None) -> tuple[list[str], list[str]]:
    """Gallery titles ('given Shirt', 'model: T-shirt/top') and captions ('97% conf.', with 'wrong 3/3' when the
    rows carry persistence and `runs` says over how many runs) of `label_audit.suspect_labels` rows."""
    titles = [f"given {row.given_name}\nmodel: {row.predicted_name}" for row in rows.itertuples()]
    persistence = runs is not None and "times_wrong" in rows
    captions = [f"{row.confidence:.0%} conf." + (f"\nwrong {row.times_wrong}/{runs}" if persistence else "")
                for row in rows.itertuples()]
    return titles, captions


def showcase_captions(found: pd.DataFrame) -> list[str]:
    """Captions ('#123: wrong 3/3', '97% conf., 0.12 nats') of `persistence.locate_showcase_failures` rows found."""
    return [f"#{i}: wrong {w}/{r}\n{c:.0%} conf., {e:.2f} nats" for i, w, r, c, e in
            zip(found["test_index"], found["times_wrong"], found["runs"], found["confidence_wrong"],
                found["entropy_wrong"])]



CAM_METHOD_NAMES = {"gradcam": "Grad-CAM", "gradcam++": "Grad-CAM++", "eigencam": "Eigen-CAM",
                    "random": "random channel weights (a floor)"}


def cam_method_name(method: str) -> str:
    """A CAM method's name for prose: 'gradcam' -> 'Grad-CAM'."""
    return CAM_METHOD_NAMES.get(method, method)


def cam_layer_name(model) -> str:
    """The layer Grad-CAM reads (`models.gradcam_layer`), named as the saliency page names layers: 'block 2,
    conv 2' for the custom CNN, 'block 3' for VGG, 'stage 2' for ResNet-18, rather than a module path."""
    from ..training.model_parts import gradcam_layer, randomisation_stages

    layer = gradcam_layer(model)
    for name, modules in randomisation_stages(model):
        if any(layer is inner for module in modules for inner in module.modules()):
            return re.sub(r"^layer(\d)$", r"stage \1", name)
    return type(layer).__name__
