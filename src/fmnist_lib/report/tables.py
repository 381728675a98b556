"""The display tables of the pages, computed from cached runs: the models compared, dataset counts, a model's stages."""

from __future__ import annotations

import pandas as pd
import torch

from ..analysis.stats import accuracy_interval
from ..analysis.thresholds import GAP_POINTS
from ..analysis.training_curves import final_gap
from ..claims.rules import points
from ..data.fashion_mnist import CLASS_NAMES, IMAGE_SIZE, FashionMNIST
from ..runs.cache import Run
from ..training.forward import forward
from ..training.model_parts import model_label
from ..training.train import split_for

# What a table's empty 'gap opens' cell means (`training_curves.overfitting` gives None there).
NO_GAP = f"the gap between training and validation accuracy never stays above {points(GAP_POINTS.value, 0)}"


def class_counts(data: FashionMNIST, run: Run) -> pd.DataFrame:
    """Images per class in the run's training split, its validation split and the test set."""
    split = split_for(run.config, data)
    columns = {"train": split.train_labels, "validation": split.val_labels, "test": data.test_labels}
    return pd.DataFrame({name: torch.bincount(labels.long(), minlength=len(CLASS_NAMES)).numpy()
                         for name, labels in columns.items()}, index=list(CLASS_NAMES))


def comparison_table(runs: dict[str, Run], weights: str = "final") -> pd.DataFrame:
    """One row per model: test accuracy with its 95 % interval, loss, errors, size, time and the final gap
    (where the gap opens and whether validation loss rises: `overfitting`, in the baselines page's own table)."""
    rows = []
    for name, run in runs.items():
        test = run.test_metrics(weights)
        low, high = accuracy_interval(test["accuracy"], test["n"])
        rows.append({"model": model_label(name), "epochs": run.config.epochs, "train images": run.config.n_train,
                     "test acc %": 100 * test["accuracy"], "95% CI": f"{100 * low:.2f}\u2013{100 * high:.2f}",
                     "test loss": test["loss"], "errors": test["errors"],
                     "parameters (M)": run.metrics["n_parameters"] / 1e6,
                     "train time (min)": run.metrics["train_seconds"] / 60,
                     "final gap (pts)": final_gap(run.history)})
    return pd.DataFrame(rows).set_index("model")


def stage_table(model: torch.nn.Module, stages: dict[str, torch.nn.Module]) -> pd.DataFrame:
    """Output shape and parameter count of named stages, measured with one forward pass of a 28 x 28 image."""
    shapes = {}
    handles = [module.register_forward_hook(lambda m, i, o, name=name: shapes.__setitem__(name, tuple(o.shape[1:])))
               for name, module in stages.items()]
    try:
        forward(model, torch.zeros(1, 1, IMAGE_SIZE, IMAGE_SIZE), batch_size=1, channels_last=False)
    finally:
        for handle in handles:
            handle.remove()
    return pd.DataFrame([{"stage": name, "output shape": str(shapes[name]),
                          "parameters": sum(p.numel() for p in module.parameters())}
                         for name, module in stages.items()]).set_index("stage")


# The explainability page's three patterns, and the measures their tests report (`analysis.explain`): the row
# label, the kind of number (`columns.KINDS`), in the order a reader needs them.
PATTERN_NAMES = {"silhouette": "Silhouette-dominant focus", "footwear": "Footwear: sole rather than ankle",
                 "diffuse": "Diffuse attention when uncertain"}
PATTERN_MEASURES = {
    "n_errors": ("Errors tested", "count"), "n": ("Errors tested", "count"),
    "n_correct": ("Correct images compared", "count"),
    "median_center_errors": ("Heatmap share of the central third, errors (median, %)", "fraction"),
    "median_object_center_errors": ("Object\u2019s share of the central third, errors (median, %)", "fraction"),
    "median_top_errors": ("Heatmap share of the ankle-height third, errors (median, %)", "fraction"),
    "median_object_top_errors": ("Object\u2019s share of the ankle-height third, errors (median, %)", "fraction"),
    "median_excess_errors": ("Heatmap minus object share, errors (median, points)", "fraction_points"),
    "median_excess_correct": ("Heatmap minus object share, correct images (median, points)", "fraction_points"),
    "rho": ("Spearman ρ, entropy and heatmap spread", "number"),
    "median_spread_high_entropy": ("Heatmap spread, errors of high entropy (median, % of image)", "fraction"),
    "median_spread_low_entropy": ("Heatmap spread, errors of low entropy (median, % of image)", "fraction"),
    "rho_entropy_object_area": ("Spearman ρ, entropy and object area (the confound)", "number"),
    "n_all_zero_cams": ("Blank heatmaps left out", "count"),
    "p_value": ("p, one-sided test", "p"), "p_value_vs_correct": ("p, errors against correct images", "p"),
    "supported": ("Supported (the stated rule)", "text"),
}


def pattern_table(claims: dict[str, dict]) -> pd.DataFrame:
    """The three patterns' tests side by side (`claims.ledger.pattern_evidence`): one row per measure, one
    column per pattern, each value written for the page; None where a measure does not apply to a pattern."""
    from .style import format_value

    rows = {}
    for key, (label, kind) in PATTERN_MEASURES.items():
        values = {PATTERN_NAMES.get(name, name): result.get(key) for name, result in claims.items()}
        if all(value is None or value != value for value in values.values()):  # NaN != NaN: not measured
            continue
        row = rows.setdefault(label, {})
        for name, value in values.items():
            text = format_value(value, kind)
            if text is not None or name not in row:
                row[name] = text
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("measure")


def pages_display(record: dict):
    """The execution record (`execute.read_record`) as the reproducibility page lists it (`style.table`): each
    page's parameters written as NAME=VALUE, the way `fmnist report -p` takes them, and without the record's own
    path, a parameter that names a folder of the machine that built the report."""
    from .provenance import pages_table as raw_pages_table
    from .style import table

    frame = raw_pages_table(without_machine_paths(record))
    frame["parameters"] = [" ".join(f"{name}={value if isinstance(value, str) else repr(value)}"
                                    for name, value in record[section]["parameters"].items() if name != "record")
                           for section in frame["section"]]
    return table(frame, kinds={"parameters": "code"})


def without_machine_paths(record: dict) -> dict:
    """The execution record without the `record` parameter (the path of the record on the building machine)."""
    return {name: {**entry, "parameters": {key: value for key, value in entry["parameters"].items()
                                           if key != "record"}}
            for name, entry in record.items()}


def pattern_display(claims: dict[str, dict]):
    """`pattern_table` as the page shows it (`style.table`): numbers right-aligned, a dash where a measure does
    not apply."""
    from .style import table

    frame = pattern_table(claims)
    return table(frame, index="Measure", missing="does not apply to this pattern",
                 kinds={column: "number" for column in frame.columns})


def prose_html(frame: pd.DataFrame, classes: str = "claims-table", escape: bool = True) -> str:
    """A table of sentences and links (the ledger's) as plain HTML: headers aligned left as their cells are
    (pandas right-aligns header rows by default), no index, no border attribute. `escape=False` keeps links,
    for cells escaped when the frame was built."""
    return frame.to_html(index=False, escape=escape, classes=classes, border=0, justify="left")
