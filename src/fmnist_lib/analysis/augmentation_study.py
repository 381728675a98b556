"""The statistics page's building blocks: per-run numbers with their calibration error, the augmentation
study's comparisons, the page's conclusions in words, and the images its galleries show.

Every sentence that states a conclusion is computed here from the numbers (and tested), so the
prose cannot claim more than the tests support. The rule for "a real difference" is one
throughout: McNemar's exact test on the same test images, Holm-adjusted, significant at `alpha`;
with several seeds, significant in every seed and in the same direction.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .calibration import expected_calibration_error, softmax
from .config import TrainConfig
from .errors import ConfigError
from .persistence import persistence_of
from .runs import Run
from .seeds import seed_metrics, seed_predictions
from .stats import mean_interval, seed_matched_comparisons
from .tables import model_label

# The write-up's augmentation claim (shared NUMBERS.md): the 15-epoch baseline against the 30-epoch augmented model.
WRITEUP_BASELINE_ACC = 92.97
WRITEUP_AUGMENTED_ACC = 93.24
WRITEUP_EPOCHS = (15, 30)

RUN_METRICS = ("test acc %", "test loss", "errors", "ECE %")
VERDICTS = ("better", "worse", "mixed", "not significant")
SAME_SIZE = 2.0  # a seed spread within a factor 2 of the sampling error counts as "about the same size"
AUROC_TIE = 0.01  # AUROC differences below this count as a tie between two signals


def epochs_text(epochs: int) -> str:
    """'5 epochs', '1 epoch'."""
    return f"{epochs} epoch{'' if epochs == 1 else 's'}"


def arm_name(augment: bool, epochs: int) -> str:
    """'baseline, 5 epochs' or 'augmented, 5 epochs': one arm of the augmentation study."""
    return f"{'augmented' if augment else 'baseline'}, {epochs_text(epochs)}"


def training_text(config: TrainConfig) -> str:
    """'15 epochs on 50,000 images' ('1 epoch ...'; with ', augmented' when it is)."""
    return f"{epochs_text(config.epochs)} on {config.n_train:,} images" + (", augmented" if config.augment else "")


def run_table(runs: Sequence[Run], weights: str = "final") -> pd.DataFrame:
    """`seeds.seed_metrics` plus the model's display name, its training in words and 'ECE %'.

    ECE is the 15-bin expected calibration error of the test softmax (`calibration`), in per cent.
    """
    frame = seed_metrics(runs, weights)
    frame["model"] = [model_label(name) for name in frame["model"]]
    frame["training"] = [training_text(run.config) for run in runs]
    frame["ECE %"] = [100 * expected_calibration_error(softmax(logits), labels)
                      for logits, labels in seed_predictions(runs, weights)]
    return frame


def sampling_error(accuracy_percent: float, n: int) -> float:
    """Binomial standard error, in points, of an accuracy measured on n independent test images."""
    p = accuracy_percent / 100
    return 100 * math.sqrt(p * (1 - p) / n)


def size_word(spread: float, reference: float) -> str:
    """'larger than', 'about the size of' or 'smaller than': a spread against a reference (factor SAME_SIZE)."""
    if spread > SAME_SIZE * reference:
        return "larger than"
    return "smaller than" if spread * SAME_SIZE < reference else "about the size of"


# ---- verdicts ---------------------------------------------------------------------------------

def verdict(seeds: int, seeds_better: int, seeds_significant: int) -> str:
    """One of VERDICTS for a seed-matched comparison of a against b.

    'better' / 'worse': significant in every seed, a ahead (behind) in every seed; 'not
    significant': in no seed; 'mixed': anything between.
    """
    if seeds_significant == seeds and seeds_better in (0, seeds):
        return "better" if seeds_better == seeds else "worse"
    return "not significant" if seeds_significant == 0 else "mixed"


def verdict_text(row) -> str:
    """A comparison row's verdict in words, e.g. 'significant in 2 of 3 seeds only'."""
    if row["verdict"] == "mixed" and row["seeds significant"] == row["seeds"]:
        return "significant in every seed, but not in the same direction"
    return {"better": "significantly better in every seed", "worse": "significantly worse in every seed",
            "not significant": "significant in no seed",
            "mixed": f"significant in {row['seeds significant']} of {row['seeds']} seeds only"}[row["verdict"]]


def _matched_row(name: str, differs: str, a: str, b: str, correct_a: np.ndarray, correct_b: np.ndarray,
                 alpha: float) -> dict:
    row = seed_matched_comparisons({a: correct_a, b: correct_b}, alpha=alpha).iloc[0].to_dict()
    low, high = mean_interval(100 * (correct_a.mean(1) - correct_b.mean(1)))
    row.update({"comparison": name, "what differs": differs, "interval low (pts)": low, "interval high (pts)": high})
    row["verdict"] = verdict(row["seeds"], row["seeds a better"], row["seeds significant"])
    return row


def augmentation_comparisons(correct: dict[tuple[bool, int], np.ndarray], epochs: tuple[int, int],
                             alpha: float = 0.05) -> pd.DataFrame:
    """The study's comparisons, seed i against seed i, each its own Holm family over the seeds.

    `correct` maps (augment, epochs) to boolean (n_seeds, n_images). Rows: augmented minus
    baseline at each matched budget; the write-up's pairing (augmented at the longer budget
    minus the baseline at the shorter); the baseline trained longer minus shorter. The
    pairing's mean difference is exactly the sum of the last two kinds. Differences in points,
    with a t-interval over seeds (`interval low/high`) and a verdict (VERDICTS).
    """
    short, long = epochs
    missing = [key for key in [(a, e) for a in (False, True) for e in epochs] if key not in correct]
    if missing:
        raise ConfigError(f"The study lacks arm(s) {missing}; it needs both arms at {short} and {long} epochs.")
    matrices = {key: np.asarray(values, dtype=bool) for key, values in correct.items()}
    plan = [(f"augmentation at {epochs_text(short)}", "augmentation", (True, short), (False, short)),
            (f"augmentation at {epochs_text(long)}", "augmentation", (True, long), (False, long)),
            ("the write-up's pairing", "augmentation and epochs", (True, long), (False, short)),
            (f"{long} instead of {epochs_text(short)}", "epochs", (False, long), (False, short))]
    rows = [_matched_row(name, differs, arm_name(*a), arm_name(*b), matrices[a], matrices[b], alpha)
            for name, differs, a, b in plan]
    columns = ["comparison", "what differs", "model a", "model b", "seeds", "difference mean (pts)",
               "difference sd (pts)", "interval low (pts)", "interval high (pts)", "seeds a better",
               "seeds significant", "verdict"]
    return pd.DataFrame(rows)[columns].rename(columns={"model a": "a", "model b": "b"})


def comparison_display(comparisons: pd.DataFrame) -> pd.DataFrame:
    """`augmentation_comparisons` as the page shows it: 'mean ± sd' and 'low to high' in points, seeds as 'k of n'."""
    rows = comparisons
    return pd.DataFrame({
        "comparison": rows["comparison"], "a": rows["a"], "b": rows["b"],
        "a minus b (pts)": [f"{m:+.2f} ± {s:.2f}" for m, s in zip(rows["difference mean (pts)"],
                                                                   rows["difference sd (pts)"])],
        "95 % interval over seeds": [f"{lo:+.2f} to {hi:+.2f}" for lo, hi in zip(rows["interval low (pts)"],
                                                                                   rows["interval high (pts)"])],
        "a ahead": [f"{k} of {n}" for k, n in zip(rows["seeds a better"], rows["seeds"])],
        "significant": [f"{k} of {n}" for k, n in zip(rows["seeds significant"], rows["seeds"])],
        "verdict": rows["verdict"],
    }).set_index("comparison")


def _augmentation_phrase(row) -> str:
    """What augmentation does in one equal-budget row, with the interval over seeds as a caveat when it spans zero."""
    if row["verdict"] not in ("better", "worse"):
        return "augmentation makes no difference that holds in every seed"
    text = f"augmentation {'raises' if row['verdict'] == 'better' else 'lowers'} test accuracy, significantly in every seed"
    if row["interval low (pts)"] <= 0 <= row["interval high (pts)"]:
        text += ", though the 95 % interval over seeds still includes zero"
    return text


def like_for_like_sentence(comparisons: pd.DataFrame) -> str:
    """Whether augmentation helps at equal budget, from the equal-budget rows of `augmentation_comparisons`."""
    rows = comparisons[comparisons["what differs"] == "augmentation"]
    budgets = [name.removeprefix("augmentation at ") for name in rows["comparison"]]
    phrases = [_augmentation_phrase(row) for _, row in rows.iterrows()]
    if len(set(phrases)) == 1:
        return f"at both matched budgets ({' and '.join(budgets)}) {phrases[0]}"
    return "; ".join(f"at {budget} {phrase}" for budget, phrase in zip(budgets, phrases))


def pairing_sentence(comparisons: pd.DataFrame) -> str:
    """The write-up's pairing split into its two parts: augmentation at the longer budget, and the extra epochs."""
    by_name = comparisons.set_index("what differs")
    pairing = by_name.loc["augmentation and epochs"]
    longer = by_name.loc["epochs"]
    augmentation = comparisons[comparisons["what differs"] == "augmentation"].iloc[-1]
    return (f"of the pairing's {pairing['difference mean (pts)']:+.2f} points, "
            f"{augmentation['difference mean (pts)']:+.2f} come from augmentation at the same budget and "
            f"{longer['difference mean (pts)']:+.2f} from training the baseline longer "
            f"({verdict_text(longer)})")


def significant_pairs_sentence(comparisons: pd.DataFrame) -> str:
    """Which model pairs of `stats.pairwise_comparisons` differ after Holm adjustment, and which do not."""
    real = comparisons[comparisons["significant"]]
    if real.empty:
        return f"none of the {len(comparisons)} pairs differs significantly after Holm adjustment"
    parts = [f"{row['model a']} {'above' if row['difference (pts)'] > 0 else 'below'} {row['model b']} by "
             f"{abs(row['difference (pts)']):.2f} points (95 % interval {row['CI low (pts)']:+.2f} to "
             f"{row['CI high (pts)']:+.2f})" for _, row in real.iterrows()]
    text = f"{len(real)} of the {len(comparisons)} pairs differ significantly after Holm adjustment: " + "; ".join(parts)
    others = comparisons[~comparisons["significant"]]
    if len(others):
        text += "; the other pairs (" + ", ".join(f"{a} and {b}" for a, b in zip(others["model a"], others["model b"]))
        text += ") do not"
    return text


def auroc_range_sentence(table: pd.DataFrame, signals=("confidence", "entropy")) -> str:
    """How far above chance (AUROC 0.5) the signals' AUROCs of `error_detection.error_detection_table` lie."""
    values = table[[f"AUROC ({signal})" for signal in signals]].to_numpy()
    low, high = float(values.min()), float(values.max())
    if low >= 0.8:
        verdict = "every signal flags errors far better than chance (0.5)"
    elif low >= 0.6:
        verdict = "every signal flags errors clearly better than chance (0.5)"
    elif low > 0.5:
        verdict = "every signal flags errors better than chance (0.5), the weakest only a little"
    else:
        verdict = "at least one signal flags errors no better than chance (0.5)"
    return f"the AUROCs lie between {low:.3f} and {high:.3f}: {verdict}"


def signal_sentence(table: pd.DataFrame) -> str:
    """Does entropy beat confidence as an error detector? From `error_detection.error_detection_table`."""
    difference = table["AUROC (entropy)"] - table["AUROC (confidence)"]
    ahead = int((difference > 0).sum())
    text = (f"entropy's AUROC is above confidence's for {ahead} of {len(table)} models, by "
            f"{difference.min():+.3f} to {difference.max():+.3f}")
    if difference.abs().max() < AUROC_TIE:
        return text + (f", all within {AUROC_TIE}: the two signals rank the errors almost alike, so entropy works "
                       "as an uncertainty signal but no better than the confidence it is computed from")
    if (difference > 0).all() or (difference < 0).all():
        word = "better" if (difference > 0).all() else "worse"
        return text + f": entropy is {word} than confidence as an error detector here"
    return text + ": entropy is better for some models and worse for others, not a better signal overall"


# ---- gallery selections ---------------------------------------------------------------------------

def always_wrong(table: pd.DataFrame, n: int) -> pd.DataFrame:
    """The n 'always wrong' images of a `persistence.persistence_table`, most confidently wrong first (ties by index)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ConfigError(f"n must be a whole number of at least 1, got {n!r}.")
    chosen = table[table["group"] == "always wrong"]
    order = np.lexsort((chosen.index.to_numpy(), -chosen["confidence_wrong"].to_numpy()))
    return chosen.iloc[order[:n]]


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


# ---- persistence on the failures page -----------------------------------------------------------

def persistence_source(label: str, configs: Sequence[TrainConfig], at_headline_budget: bool) -> str:
    """Where a page's 'wrong in k of n runs' comes from, in a sentence (configs: the seed runs used, maybe none)."""
    if not configs:
        return (f"This profile trains {label} with one seed, so whether its failures recur under other seeds is "
                "not measured here.")
    if at_headline_budget:
        return (f"Whether a failure recurs is read from the model's {len(configs)} seed runs at this same budget, "
                "this page's run among them: 'wrong in k of n runs' in the tables below.")
    return (f"Whether a failure recurs is read from {len(configs)} other runs of the same model, one per seed, at the "
            f"statistics page's shorter budget ({training_text(configs[0])}); this page's run is not among them, so "
            "'wrong in k of n runs' in the tables below says how firmly a failure holds across seeds at that budget, "
            "not a property of this run alone.")


def case_persistence(table: pd.DataFrame | None, indices) -> tuple[list[str], str]:
    """For the failure cases a page shows: 'wrong in k of n runs' per case, and a sentence counting the persistent.

    `table` is a `persistence.persistence_table` or None where the profile has no seed runs.
    """
    indices = list(indices)
    if table is None:
        return ["not measured"] * len(indices), "Persistence over seeds is not measured in this profile."
    rows = persistence_of(table, indices)
    runs = int(table["runs"].iloc[0])
    return list(rows["persistence"]), (f"{int(rows['persistent'].sum())} of these {len(indices)} are wrong in every "
                                       f"one of the {runs} seed runs.")
