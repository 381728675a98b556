"""The error explorer's data: every test image a run gets wrong, with the evidence for each.

From one model's headline run: the confusion matrix and, per misclassified test image, its top-3
probabilities, Grad-CAM for the predicted and the true class (`analysis.explain`), its nearest training
images of the predicted class (`analysis.failures`), in how many of the model's seed runs it is wrong
(`analysis.persistence`), whether the augmented model gets it wrong, and whether the audit of the test
labels flags it (`analysis.label_audit.audit_suspects`, the statistics page's call). Nothing here is new
analysis: it gathers what the other pages compute, for every error instead of a few. The runs come from
the section registry (`sections._explorer`); `explorer_page` turns the result into the page's HTML.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from ..analysis import explain, failures, label_audit, persistence
from ..analysis.seed_runs import training_text
from ..data.fashion_mnist import CLASS_NAMES, NUM_CLASSES, FashionMNIST
from ..errors import ConfigError
from ..runs.cache import Run
from ..runs.seeds import seed_predictions
from ..training.evaluate import confusion_matrix
from ..training.model_parts import model_label
from .run_plans import STUDY_MODEL, seeds_at_headline_budget

# Grad-CAM maps travel at 14 x 14: the custom CNN's CAM layer is 14 x 14 and the others' 7 x 7, so
# nothing is lost that the layer had, at a quarter of the bytes of 28 x 28; the page upsamples them.
CAM_SIZE = 14


@dataclass(frozen=True)
class ExplorerRuns:
    """The cached runs behind the explorer."""

    headline: Run  # the model's run that the other pages show
    seeds: list[Run]  # its seed runs for persistence (empty where the profile trains one seed)
    seeds_at_budget: bool  # whether those train exactly like `headline` (only the seed differs)
    augmented: Run  # the same model and budget with flip + rotation
    audit: list[Run]  # the statistics page's audit of the test labels: the custom CNN's seed runs


def explorer_runs(runs: dict, profile: str, device: str | None = None) -> ExplorerRuns:
    """The page's loaded runs (`open_section(...).runs`, named as `sections._explorer` names them)."""
    seeds = list(runs["seeds"])
    model = runs["run"].config.model
    return ExplorerRuns(headline=runs["run"], seeds=seeds, augmented=runs["augmented"], audit=list(runs["audit"]),
                        seeds_at_budget=bool(seeds) and seeds_at_headline_budget(profile, model, device=device))


# ---- per error --------------------------------------------------------------------------------

def _class_numbers(names: pd.Series) -> np.ndarray:
    return np.array([CLASS_NAMES.index(name) for name in names], dtype=int)


def error_rows(table: pd.DataFrame, ptable: pd.DataFrame | None = None, augmented: pd.DataFrame | None = None,
               suspects: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per misclassified image of a `failures.error_table`, in test-index order.

    Columns: label, prediction, confidence, entropy, top1..top3 (classes) with top1_p..top3_p, p_true;
    times_wrong and runs from a `persistence.persistence_table` (-1 and 0 without one), always_wrong;
    augmented_prediction and augmented_wrong from the augmented run's error table (-1 and False
    without one); suspect: the label is in `suspects` (a `label_audit.suspect_labels` table).
    """
    errors = table[~table["correct"]].sort_index()
    index = errors.index
    rows = pd.DataFrame({
        "label": errors["label"].astype(int), "prediction": errors["prediction"].astype(int),
        "confidence": errors["confidence"].astype(float), "entropy": errors["entropy"].astype(float),
        "top1": errors["prediction"].astype(int), "top1_p": errors["confidence"].astype(float),
        "top2": _class_numbers(errors["top2_name"]), "top2_p": errors["top2_p"].astype(float),
        "top3": _class_numbers(errors["top3_name"]), "top3_p": errors["top3_p"].astype(float),
        "p_true": errors["p_true"].astype(float),
    }, index=index)
    if ptable is not None:
        rows["times_wrong"] = ptable.loc[index, "times_wrong"].to_numpy().astype(int)
        rows["runs"] = int(ptable["runs"].iloc[0])
        rows["always_wrong"] = ptable.loc[index, "persistent"].to_numpy().astype(bool)
    else:
        rows["times_wrong"], rows["runs"], rows["always_wrong"] = -1, 0, False
    if augmented is not None:
        if not np.array_equal(augmented.loc[index, "label"].to_numpy(), rows["label"].to_numpy()):
            raise ConfigError("The augmented run's error table has other labels: not the same test images.")
        rows["augmented_prediction"] = augmented.loc[index, "prediction"].to_numpy().astype(int)
        rows["augmented_wrong"] = ~augmented.loc[index, "correct"].to_numpy().astype(bool)
    else:
        rows["augmented_prediction"], rows["augmented_wrong"] = -1, False
    rows["suspect"] = index.isin(suspects.index) if suspects is not None else False
    return rows


def cell_counts(rows: pd.DataFrame, num_classes: int = NUM_CLASSES) -> np.ndarray:
    """Errors per (true, predicted) cell, (C, C) with a zero diagonal: the sizes of the explorer's grids."""
    return confusion_matrix(rows["label"].to_numpy(), rows["prediction"].to_numpy(), num_classes)


def shrink_cams(cams: np.ndarray, size: int = CAM_SIZE) -> np.ndarray:
    """(N, 28, 28) maps averaged over blocks to (N, size, size); 28 must be a multiple of size."""
    n, height, width = cams.shape
    if height % size or width % size:
        raise ConfigError(f"Cannot shrink {height} x {width} maps to {size} x {size} by whole blocks.")
    return cams.reshape(n, size, height // size, size, width // size).mean(axis=(2, 4)).astype(np.float32)


# ---- the whole explorer -----------------------------------------------------------------------

@dataclass(frozen=True)
class Explorer:
    """Everything the page shows; arrays are in the order of `rows` (E errors, k neighbours, U distinct ones)."""

    rows: pd.DataFrame  # `error_rows`, index test_index
    confusion: np.ndarray  # (C, C) test images per (true, predicted) class
    images: np.ndarray  # (E, 28, 28) uint8 test images
    cam_predicted: np.ndarray  # (E, CAM_SIZE, CAM_SIZE) float32 in [0, 1]: Grad-CAM for the predicted class
    cam_true: np.ndarray  # (E, CAM_SIZE, CAM_SIZE): Grad-CAM for the true class
    neighbour_slots: np.ndarray  # (E, k) rows of neighbour_images, most similar first
    neighbour_similarity: np.ndarray  # (E, k) cosine similarity of the features
    neighbour_index: np.ndarray  # (U,) positions in the official training set
    neighbour_images: np.ndarray  # (U, 28, 28) uint8
    always_wrong_total: int | None  # test images wrong in every seed run (None: no seed runs)
    suspects_total: int  # test labels the audit flags
    texts: dict[str, str]  # the runs in words, for the page
    seeds_are_statistics: bool  # the seed runs are the statistics page's (custom CNN, final weights)


def _neighbours(model, images: torch.Tensor, run: Run, weights: str, data: FashionMNIST, classes: list[int], k: int):
    """(slots (E, k), similarity (E, k), distinct training positions (U,)) of the k nearest of each class."""
    if not len(images):
        return np.zeros((0, k), int), np.zeros((0, k), np.float32), np.zeros(0, int)
    training = failures.remembered_training_features(run, weights, data)  # the failures page's, read back
    positions, similarity = failures.nearest_training_positions(model, training, images, classes, k=k)
    distinct, slots = np.unique(positions, return_inverse=True)
    return slots.reshape(positions.shape), similarity, distinct


def _cams(model, images: torch.Tensor, classes: list[int]) -> np.ndarray:
    if not len(images):
        return np.zeros((0, CAM_SIZE, CAM_SIZE), np.float32)
    return shrink_cams(explain.compute_cams(model, images, classes))


def _seeds_text(runs: ExplorerRuns, label: str) -> str:
    """Where 'wrong in k of n seed runs' comes from, plainly: this run's budget or a smaller one."""
    headline = runs.headline.config
    if not runs.seeds:
        return (f"This profile trains the {label} with one seed, so in how many seed runs an image is wrong "
                "is not measured here.")
    if runs.seeds_at_budget:
        return (f"Seeds wrong counts {len(runs.seeds)} runs of the {label}, one per seed, each trained exactly "
                f"like the run explored here ({training_text(headline)}), which is one of them.")
    return (f"Seeds wrong counts {len(runs.seeds)} other runs of the {label}, one per seed, each trained for "
            f"{training_text(runs.seeds[0].config)}: a smaller budget than the run explored here "
            f"({training_text(headline)}), which is not among them. The count says how firmly the more briefly "
            "trained model gets an image wrong across seeds, not how often this run would.")


def _texts(runs: ExplorerRuns, weights: str) -> dict[str, str]:
    label, headline, augmented = model_label(runs.headline.config.model), runs.headline.config, runs.augmented.config
    return {
        "model": label, "run": f"{training_text(headline)}, seed {headline.seed}, {weights} weights",
        "augmented": (f"{label}, {training_text(augmented)} (random horizontal flips and rotations within 10 "
                      f"degrees), seed {augmented.seed}"),
        "seeds": _seeds_text(runs, label),
        "audit": (f"The label flag is the statistics page's audit of the test labels: cleanlab on the softmax of "
                  f"the {model_label(STUDY_MODEL)}'s {len(runs.audit)} seed runs "
                  f"({training_text(runs.audit[0].config)}), averaged. A flag marks a label for a person to "
                  "check, not a proven mistake."),
    }


def _keys(runs: list[Run]) -> list[str]:
    return [run.key for run in runs]


def build_explorer(runs: ExplorerRuns, data: FashionMNIST, *, weights: str = "final",
                   n_neighbours: int = 5) -> Explorer:
    """The explorer for a headline run; `weights` applies to the model's runs (headline, seeds, augmented).

    The label audit is the statistics page's, on final weights, whatever `weights` says.
    """
    logits, labels = runs.headline.predictions(weights)
    table = failures.error_table(logits, labels)
    ptable = persistence.persistence_table(seed_predictions(runs.seeds, weights)) if runs.seeds else None
    suspects = label_audit.audit_suspects(runs.audit)
    rows = error_rows(table, ptable, failures.error_table(*runs.augmented.predictions(weights)), suspects)
    images = data.test_images[torch.tensor(rows.index.tolist(), dtype=torch.long)]  # (E, 28, 28) uint8
    model = runs.headline.load_model(weights, device=runs.headline.config.device)
    slots, similarity, distinct = _neighbours(model, images, runs.headline, weights, data,
                                              rows["prediction"].tolist(), n_neighbours)
    always = None if ptable is None else int(persistence.failure_groups(ptable).loc["always wrong", "images"])
    return Explorer(rows=rows, confusion=confusion_matrix(table["label"].to_numpy(), table["prediction"].to_numpy()),
                    images=images.numpy(), cam_predicted=_cams(model, images, rows["prediction"].tolist()),
                    cam_true=_cams(model, images, rows["label"].tolist()), neighbour_slots=slots,
                    neighbour_similarity=similarity, neighbour_index=distinct,
                    neighbour_images=data.train_images[torch.as_tensor(distinct, dtype=torch.long)].numpy(),
                    always_wrong_total=always, suspects_total=len(suspects), texts=_texts(runs, weights),
                    seeds_are_statistics=weights == "final" and _keys(runs.seeds) == _keys(runs.audit))


def summary(explorer: Explorer) -> dict:
    """The counts the page's prose states: errors, cells, persistence, augmentation, label flags, neighbours."""
    rows, confusion = explorer.rows, explorer.confusion
    cells = cell_counts(rows)
    true, predicted = np.unravel_index(cells.argmax(), cells.shape)
    measured = explorer.always_wrong_total is not None
    return {
        "n_test": int(confusion.sum()), "n_errors": len(rows),
        "error_rate": 100 * len(rows) / max(int(confusion.sum()), 1),
        "n_cells": int((cells > 0).sum()), "n_off_cells": cells.size - len(cells),
        "top_cell": f"{CLASS_NAMES[true]} taken for {CLASS_NAMES[predicted]}" if len(rows) else "none",
        "top_cell_count": int(cells.max()),
        "seed_runs": int(rows["runs"].iloc[0]) if len(rows) else 0,
        "errors_always_wrong": int(rows["always_wrong"].sum()) if measured else None,
        "always_wrong_total": explorer.always_wrong_total,
        "augmented_also_wrong": int(rows["augmented_wrong"].sum()),
        "suspect_errors": int(rows["suspect"].sum()),
        "suspects_total": explorer.suspects_total,
        "n_neighbours": int(explorer.neighbour_slots.shape[1]),
        "distinct_neighbours": len(explorer.neighbour_index),
        "cam_size": int(explorer.cam_true.shape[-1]) if len(rows) else CAM_SIZE,
    }


def persistence_sentence(counts: dict, statistics_runs: bool) -> str:
    """The page's sentence on errors wrong in every seed run, from `summary` (or why it cannot say).

    `statistics_runs`: the seed runs are the statistics page's (the custom CNN's, final weights), so the total is its.
    """
    if counts["always_wrong_total"] is None:
        return "Whether these errors recur under other seeds is not measured for this model in this profile."
    source = "the statistics page's count, which" if statistics_runs else "a count that"
    return (f"{counts['errors_always_wrong']:,} of them are wrong in every one of the {counts['seed_runs']} seed runs "
            f"as well; in all, {counts['always_wrong_total']:,} test images are wrong in every seed run ({source} "
            "includes images this run gets right).")


def page_values(explorer: Explorer) -> dict:
    """Everything the page's prose reads, to glue under `explorer_`: `summary`, its sentence and the texts."""
    counts = summary(explorer)
    texts = {f"{name}_text": text for name, text in explorer.texts.items() if name != "model"}
    sentence = persistence_sentence(counts, explorer.seeds_are_statistics)
    return {**counts, **texts, "model": explorer.texts["model"], "persistence_sentence": sentence}
