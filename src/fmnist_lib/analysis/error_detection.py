"""Does a model know when it is wrong? Confidence and entropy as error detectors: AUROC and risk-coverage.

The write-up reads entropy as an uncertainty signal. These functions measure how well
such a signal separates wrong predictions from right ones on the test set:
AUROC (0.5 = no better than chance, 1 = every error scores above every correct one)
and the risk-coverage curve of selective prediction (keep the most trusted images,
report the error rate among those kept), summarised by its area AURC (lower is better).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from ..errors import ConfigError
from .thresholds import AUROC_TIE

# error-table column -> +1 if a higher value means "more trusted", -1 if it means "more likely wrong"
SIGNALS = {"confidence": +1, "entropy": -1, "margin": +1}


def _scores_and_flags(scores, flags, flag_name: str) -> tuple[np.ndarray, np.ndarray]:
    scores, flags = np.asarray(scores, dtype=float), np.asarray(flags)
    if flags.dtype != bool or flags.ndim != 1:
        raise ConfigError(f"{flag_name} must be a 1-D boolean array, got {flags.dtype} of shape {flags.shape}.")
    if scores.shape != flags.shape or len(scores) == 0:
        raise ConfigError(f"scores and {flag_name} must have one entry per image: shapes {scores.shape}, {flags.shape}.")
    if not np.isfinite(scores).all():
        raise ConfigError("scores must be finite numbers.")
    return scores, flags


def auroc(scores, is_error) -> float:
    """Area under the ROC curve of `scores` (higher = more likely an error) for detecting errors.

    The Mann-Whitney form: the chance that a random error outscores a random correct
    prediction, ties counting half (equals scikit-learn's roc_auc_score). For
    confidence pass -confidence; for entropy pass entropy.
    """
    scores, is_error = _scores_and_flags(scores, is_error, "is_error")
    n_errors, n_correct = int(is_error.sum()), int((~is_error).sum())
    if n_errors == 0 or n_correct == 0:
        raise ConfigError(f"AUROC needs both errors and correct predictions; got {n_errors} and {n_correct}.")
    ranks = rankdata(scores)  # average ranks for ties
    return float((ranks[is_error].sum() - n_errors * (n_errors + 1) / 2) / (n_errors * n_correct))


def risk_coverage(scores, correct) -> pd.DataFrame:
    """Risk (error rate among kept images) against coverage (share kept), keeping the highest `scores` first.

    `scores`: higher = more trusted (confidence, or -entropy). Images with equal scores
    are kept or dropped together, so there is one row per distinct score, ending at
    coverage 1 with the overall error rate. Columns: threshold, coverage, risk.
    """
    scores, correct = _scores_and_flags(scores, correct, "correct")
    order = np.argsort(-scores, kind="stable")
    sorted_scores, wrong = scores[order], ~correct[order]
    kept = np.arange(1, len(scores) + 1)
    group_ends = np.r_[sorted_scores[1:] != sorted_scores[:-1], True]  # last image of each run of equal scores
    return pd.DataFrame({"threshold": sorted_scores[group_ends], "coverage": kept[group_ends] / len(scores),
                         "risk": np.cumsum(wrong)[group_ends] / kept[group_ends]})


def aurc(curve: pd.DataFrame) -> float:
    """Area under a risk-coverage curve (step integral; without ties, the mean risk over every coverage)."""
    return float(np.sum(curve["risk"].to_numpy() * np.diff(curve["coverage"].to_numpy(), prepend=0.0)))


def oracle_aurc(correct) -> float:
    """The smallest AURC possible with these right/wrong answers: every error ranked last, no ties."""
    correct = np.asarray(correct, dtype=bool)
    kept = np.arange(1, len(correct) + 1)
    return float(np.mean(np.maximum(kept - correct.sum(), 0) / kept))


def _oriented(table: pd.DataFrame, signal: str) -> np.ndarray:
    """The signal as 'higher = more trusted'."""
    return SIGNALS[signal] * table[signal].to_numpy(dtype=float)


def auroc_difference(table: pd.DataFrame, a: str = "entropy", b: str = "confidence", n_resamples: int = 500,
                     confidence: float = 0.95, seed: int = 0) -> tuple[float, float, float]:
    """AUROC of signal `a` minus that of `b` as error detectors: (difference, low, high), the interval a percentile
    bootstrap over the test images, both signals scored on the same resampled images (a paired comparison)."""
    wrong = ~table["correct"].to_numpy(dtype=bool)
    scores = np.stack([-_oriented(table, a), -_oriented(table, b)])  # (2, N), higher = more likely wrong
    observed = auroc(scores[0], wrong) - auroc(scores[1], wrong)
    rng, differences = np.random.default_rng(seed), []
    for start in range(0, n_resamples, 100):  # 100 resamples at a time: (100, 2, N) ranks in memory
        index = rng.integers(0, len(wrong), (min(100, n_resamples - start), len(wrong)))  # (B, N)
        flags = wrong[index]  # (B, N)
        ranks = rankdata(scores[:, index].transpose(1, 0, 2), axis=-1)  # (B, 2, N)
        n_wrong = flags.sum(1, keepdims=True)  # (B, 1)
        n_right = flags.shape[1] - n_wrong
        aurocs = ((ranks * flags[:, None, :]).sum(-1) - n_wrong * (n_wrong + 1) / 2) / (n_wrong * n_right)  # (B, 2)
        differences.append(aurocs[:, 0] - aurocs[:, 1])
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(np.concatenate(differences), [tail, 100 - tail])
    return float(observed), float(low), float(high)


def error_detection_table(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per model (error tables of `failures.error_table`): error rate, AUROC and AURC of each signal present.

    'AURC (oracle)' is the best area possible at that error rate (every error ranked last),
    the floor to read the others against.
    """
    rows = {}
    for name, table in tables.items():
        correct = table["correct"].to_numpy(dtype=bool)
        row = {"error rate %": 100 * (1 - correct.mean())}
        for signal in (s for s in SIGNALS if s in table):
            row[f"AUROC ({signal})"] = auroc(-_oriented(table, signal), ~correct)
        for signal in (s for s in SIGNALS if s in table):
            row[f"AURC ({signal})"] = aurc(risk_coverage(_oriented(table, signal), correct))
        row["AURC (oracle)"] = oracle_aurc(correct)
        rows[name] = row
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("model")


def risk_coverage_curves(tables: dict[str, pd.DataFrame], signals=("confidence", "entropy")) -> pd.DataFrame:
    """Long table (model, signal, coverage, risk) of every model's curves, ready to plot."""
    parts = []
    for name, table in tables.items():
        for signal in signals:
            curve = risk_coverage(_oriented(table, signal), table["correct"].to_numpy(dtype=bool))
            parts.append(curve[["coverage", "risk"]].assign(model=name, signal=signal))
    return pd.concat(parts, ignore_index=True)[["model", "signal", "coverage", "risk"]]


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
    if difference.abs().max() < AUROC_TIE.value:
        return text + (f", all within {AUROC_TIE.value}: the two signals rank the errors almost alike, so entropy "
                       "works as an uncertainty signal but no better than the confidence it is computed from")
    if (difference > 0).all() or (difference < 0).all():
        word = "better" if (difference > 0).all() else "worse"
        return text + f": entropy is {word} than confidence as an error detector here"
    return text + ": entropy is better for some models and worse for others, not a better signal overall"
