"""What the statistics page glues: the seed spread, the augmentation study, the pairwise tests, persistent
failures and suspect labels, each as the values its prose reads (keys without the `statistics_` prefix), and
the galleries it shows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...analysis import augmentation_study, label_audit, persistence, stats
from ...analysis.error_detection import auroc_difference
from ...analysis.seed_runs import run_table, sampling_error, size_word, training_text
from ...analysis.thresholds import MIN_SEEDS
from ...claims.gather import runset
from ...claims.report_claims import detector_claim, persistence_scope_claim
from ...data import writeup
from ...data.fashion_mnist import FashionMNIST
from ...runs.cache import Run
from ...runs.seeds import seed_correct, seed_predictions
from ...training.config import PROTOCOL, epochs_text
from ...training.model_parts import model_label
from ..plots.statistics import image_gallery
from ..profiles import Profile, get_profile
from ..run_plans import STUDY_MODEL, baseline_configs
from ..text import join_names, persistent_titles, showcase_captions, suspect_titles

MIN_SEEDS_TEXT = f"{MIN_SEEDS.value:g}"  # seeds per arm a test over seeds needs, for the page's prose


def spread_values(custom_runs: list[Run], n_test: int) -> dict:
    """The custom CNN's accuracy and calibration error over its seed runs, against the sampling error."""
    custom = run_table(custom_runs)
    summary = stats.seed_summary(custom["test acc %"])
    error = sampling_error(summary["mean"], n_test)
    return {"custom_mean": summary["mean"], "custom_sd": summary["std"], "custom_runs": summary["n"],
            "custom_training": custom["training"].iloc[0], "sampling_error": error,
            "spread_word": size_word(summary["std"], error), "custom_ece_mean": float(custom["ECE %"].mean()),
            "custom_ece_sd": float(custom["ECE %"].std(ddof=1))}


def headline_text(profile: str, seed: int, device: str) -> str:
    """Where the custom CNN's headline run stands among its seed runs (they train as it does: `headline_seed_configs`)."""
    headline = baseline_configs(profile, [STUDY_MODEL], seed=seed, device=device)[STUDY_MODEL]
    return (f"The {model_label(STUDY_MODEL)}'s headline run on the other pages (seed {headline.seed}) is "
            "one of these runs, so its spread is measured at its own budget.")


def single_text(models, profile: Profile) -> str:
    """Which models the profile trains once (their rows show no spread)."""
    unseeded = [model_label(name) for name in models if name not in profile.seed_models]
    return (f"{join_names(unseeded)} {'is' if len(unseeded) == 1 else 'are'} trained once in this "
            "profile; their rows show one run and no spread." if unseeded else
            "Every model has several seeds in this profile.")


def study_values(comparisons: pd.DataFrame, epochs: tuple[int, int], study_images: int) -> dict:
    """The write-up's pairing and the study's budgets, and the study's answers in words."""
    pairing = comparisons.set_index("what differs").loc["augmentation and epochs"]
    return {"writeup_base": writeup.ACCURACY[STUDY_MODEL].value, "writeup_aug": writeup.AUGMENTED_ACCURACY.value,
            "writeup_e1": PROTOCOL.epochs, "writeup_e2": writeup.AUGMENTED_EPOCHS.value,
            "e1": epochs[0], "e2": epochs[1], "study_images": study_images,
            "like_for_like": augmentation_study.like_for_like_sentence(comparisons),
            "pairing_mean": float(pairing["difference mean (pts)"]),
            "pairing_sd": float(pairing["difference sd (pts)"]),
            "pairing_verdict": augmentation_study.verdict_text(pairing),
            "pairing_parts": augmentation_study.pairing_sentence(comparisons)}


def model_pairs(matched_runs: dict[str, Run], seed: int) -> pd.DataFrame | None:
    """`stats.pairwise_comparisons` of the models' runs at one budget (the baselines page's matched runs), by display
    name; None with a single model."""
    correct = {model_label(name): seed_correct([run])[0] for name, run in matched_runs.items()}
    return stats.pairwise_comparisons(correct, seed=seed) if len(correct) >= 2 else None


def matched_pairs(seed_runs: dict[str, list[Run]], models) -> pd.DataFrame | None:
    """`stats.seed_matched_comparisons` of the models with seed runs; None where fewer than two have them."""
    names = [name for name in models if name in seed_runs]
    return (stats.seed_matched_comparisons({model_label(name): seed_correct(seed_runs[name]) for name in names})
            if len(names) >= 2 else None)


def pairs_values(pairs: pd.DataFrame | None, matched: pd.DataFrame | None, matched_runs: dict[str, Run],
                 seed: int) -> dict:
    """How many model pairs differ, in numbers and words, and what the runs compared were."""
    budget = training_text(next(iter(matched_runs.values())).config)
    return {"base_seed": seed, "n_pairs": 0 if pairs is None else len(pairs),
            "n_significant": 0 if pairs is None else int(pairs["significant"].sum()),
            "pairs_sentence": stats.significant_pairs_sentence(pairs) if pairs is not None
            else "with a single model there is no pair to test",
            "budget_text": f"The runs compared are the baselines page's runs at one budget, {budget}, seed {seed}, so "
            "the tests compare architectures trained alike, at that budget.",
            "matched_text": "Where several models have seed runs, the next table compares them over seeds, "
            "which speaks about the architectures: the mean difference with its 95 % interval over seeds and a t-test "
            "Holm-adjusted over the pairs (a direction needs "
            f"{MIN_SEEDS_TEXT} seeds per model), then how many seeds put model a ahead and in how many McNemar's test "
            "on those weights is significant (Holm over every pair and seed)." if matched is not None else "Only one of these models has seed runs "
            "in this profile, so they are compared on one run each."}


def persistence_and_suspects(custom_runs: list[Run]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The custom CNN's persistence table over its seed runs, and the test labels cleanlab flags from the same runs
    (`label_audit.audit_suspects`, which the explorer calls too, so both pages flag the same labels)."""
    ptable = persistence.persistence_table(seed_predictions(custom_runs))
    return ptable, label_audit.audit_suspects(custom_runs, persistence=ptable)


def persistence_scope_values(seed_runs: list[Run], headline: Run, n_always: int) -> dict:
    """Which runs 'wrong in every run' counts over, and whether they are the headline model's (a claim)."""
    claim = persistence_scope_claim(runset(seed_runs, "statistics") if seed_runs else None,
                                    runset(headline, "statistics"), n_always)
    return {"persistence_scope": claim.sentence, "persistence_scope_verdict": claim.verdict}


def detector_values(error_tables: dict[str, pd.DataFrame], seed: int = 0) -> dict:
    """Whether entropy flags errors better than confidence, per model, from paired bootstrap intervals (a claim)."""
    claim = detector_claim({name: auroc_difference(table, seed=seed) for name, table in error_tables.items()})
    return {"signal_sentence": claim.sentence, "signal_verdict": claim.verdict}


def persistence_values(groups: pd.DataFrame, confusions: pd.DataFrame, showcase: pd.DataFrame,
                       worst: pd.DataFrame, suspects: pd.DataFrame) -> dict:
    """The failure groups' sizes, the top persistent confusion, the showcase cases found, the flagged always-wrong."""
    top = confusions.iloc[0] if len(confusions) else None
    found = showcase.dropna(subset=["test_index"])
    return {"n_always": int(groups.loc["always wrong", "images"]),
            "n_sometimes": int(groups.loc["sometimes wrong", "images"]),
            "n_never": int(groups.loc["never wrong", "images"]),
            "errors_per_run": float(groups["errors per run"].sum()),
            "always_share": float(groups.loc["always wrong", "% of errors"]),
            "top_confusion": f"{top.label_name} taken for {top.prediction_name}, {top['count']} images"
            if top is not None else "none: no image is wrong in every run",
            "showcase_found": len(found), "showcase_persistent": int(found["persistent"].sum()),
            "always_shown": len(worst), "always_flagged": int(worst.index.isin(suspects.index).sum())}


def showcase_gallery(showcase: pd.DataFrame, test_images: np.ndarray):
    """The example found for each of the write-up's failure types."""
    found = showcase.dropna(subset=["test_index"])
    return image_gallery(test_images[found["test_index"].astype(int).to_numpy()], titles=list(found["case"]),
                         captions=showcase_captions(found), columns=4)


def always_wrong_gallery(worst: pd.DataFrame, suspects: pd.DataFrame, test_images: np.ndarray):
    """The images wrong in every run, most confident first, framed where cleanlab flags the label."""
    titles, captions = persistent_titles(worst)
    return image_gallery(test_images[worst.index.to_numpy()], titles, captions,
                         flagged=worst.index.isin(suspects.index),
                         flag_label="cleanlab flags the label", title="Wrong in every run, most confident first")


def suspect_values(suspects: pd.DataFrame, groups: pd.DataFrame, n_test: int) -> dict:
    """How many test labels cleanlab flags, and how many of them belong to images wrong in every run."""
    persistent = int(suspects["persistent"].sum())
    return {"n_suspects_found": len(suspects), "suspects_share": 100 * len(suspects) / n_test,
            "suspects_persistent": persistent,
            "suspects_flagged_always": 100 * persistent / max(int(groups.loc["always wrong", "images"]), 1)}


def suspect_gallery(suspects: pd.DataFrame, n_suspects: int, runs: int, test_images: np.ndarray):
    """The most suspect test labels, framed where the image is wrong in every one of `runs` runs."""
    shown = suspects.head(n_suspects)
    titles, captions = suspect_titles(shown, runs=runs)
    return image_gallery(test_images[shown.index.to_numpy()], titles, captions, flagged=shown["persistent"].to_numpy(),
                         flag_label="wrong in every run", title="Most suspect test labels first")


def train_audit(audit_runs: list[Run], data: FashionMNIST, profile: Profile, n_suspects: int):
    """(gallery or None, sentence): the training labels' audit by k-fold cross-validation, or why it is skipped."""
    if not profile.audit_folds:
        return None, ("This profile skips the audit of the training labels: out-of-sample probabilities for the "
                      "training split need k-fold cross-validation, k more trainings of the custom CNN, which do not "
                      "fit its time budget. The full profile runs it with "
                      f"{get_profile('full').audit_folds} folds.")
    audit = label_audit.out_of_sample_probs(audit_runs, data)
    found = label_audit.suspect_labels(audit.labels, audit.pred_probs, n=None, index_name="row")
    titles, captions = suspect_titles(found.head(n_suspects))
    gallery = image_gallery(data.train_images.numpy()[audit.index[found.head(n_suspects).index.to_numpy()]], titles,
                            captions, title="Most suspect training labels first")
    return gallery, (f"For the training split, {profile.audit_folds}-fold cross-validation gives every one of its "
                     f"{len(audit.labels):,} images a probability from a model that did not train on it (each fold's "
                     f"model trains like the headline run, {epochs_text(audit_runs[0].config.epochs)}, on the other "
                     f"folds). cleanlab flags {len(found):,} of them "
                     f"({100 * len(found) / len(audit.labels):.2f} %); the most suspect are shown above, "
                     "with the same caveat.")
