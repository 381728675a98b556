"""Every threshold that decides a word of the report, once: its value, what it decides and why that value.

A verdict ("reproduced", "supported", "persists") or a kind ("a confident error") is only as honest as the line
that draws it, so the lines are named here rather than typed where they are used, and each carries a one-line
reason a reader can dispute. Analyses and claims read them from here; the pages glue their values into prose.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Threshold:
    """A line drawn in the evidence: `value` (in `unit`), what falling on either side of it decides, and why there."""

    value: float
    unit: str
    decides: str
    why: str


# Kinds of error (the failures page and the write-up's cases alike).
CONFIDENT_ERROR = Threshold(
    0.9, "probability", "an error is confident when its confidence (top-1 probability) is at least this",
    "nine tenths on the wrong class: no sensible threshold on confidence would flag the image for review")
UNCERTAIN_ERROR = Threshold(
    1.0, "nats", "an error is uncertain when the entropy of its softmax is at least this",
    "more than a toss-up between two classes (ln 2 = 0.69 nats): the mass is spread over about three (e = 2.7)")
TOP_ERRORS = Threshold(
    10, "errors", "a write-up case is supported when, in every seed at the protocol, ours ranks among this many most extreme "
    "errors of its kind",
    "the write-up showed a handful of extremes; ten leaves room for seed-to-seed reordering among them")

# Training curves (the baselines page and the write-up's §3-4 claims).
GAP_POINTS = Threshold(
    1.0, "points", "the train-validation accuracy gap is open while training accuracy exceeds validation by more",
    "a point is about four times the sampling error of 10,000 validation images at 93 % (0.26 points)")
GAP_OPENS_SLACK = Threshold(
    3, "epochs", "the gap opens 'after approximately epoch 12' when it opens within this many epochs of 12",
    "a fifth of the 15-epoch budget: 'approximately' in the write-up's words, yet not any epoch at all")
VAL_LOSS_RISE = Threshold(
    0.05, "fraction", "validation loss is rising when it ends more than this fraction above its minimum",
    "epoch-to-epoch noise of the validation loss is a few per cent; a larger rise is a trend")
MAX_DRAWDOWN = Threshold(
    1.0, "points", "validation accuracy collapses when it falls more than this below its best so far",
    "the same size as the gap threshold: a fall the sampling error of the validation set does not explain")

# Comparisons (the write-up's §3 and §7 claims).
EQUIVALENT = Threshold(
    0.5, "points", "two accuracies are equivalent when they differ by less than this: a write-up accuracy (or error "
    "count, 50 errors) is reproduced when an equivalence test over our seeds shows ours within it, and a larger model is "
    "not ahead of the custom CNN when its interval allows no more advantage than this",
    "fixed before any run: twice the sampling error of one accuracy on 10,000 test images at 93 % (0.26 points), since "
    "the write-up's single run is one draw that its test set alone moves that much")
LOSS_MARGIN = Threshold(
    0.02, "nats", "the write-up's test loss is reproduced when an equivalence test over our seeds shows ours within this",
    "fixed before any run: about twice the standard error of a mean cross-entropy over 10,000 test images (0.006 to "
    "0.01 nats for these models), the loss's counterpart of the accuracy margin")
GAP_MARGIN = Threshold(
    1.0, "points", "the write-up's train-validation gap is reproduced when an equivalence test over our seeds shows "
    "ours within this",
    "the gap is a difference of two accuracies, each with a sampling error near 0.25 points, and ours may read clean "
    "training accuracy where the write-up read the running average over the epoch: a point allows for both (the size "
    "of the gap-opening threshold)")
MIN_SEEDS = Threshold(
    3, "seeds", "a number is 'reproduced' and a statement 'supported' only when it rests on at least this many seeds per "
    "arm; with fewer the verdict reads 'consistent' and says how many seeds it rests on",
    "fixed in advance: with two seeds a 95 % t-interval spans 12.7 standard errors either side and one spread is "
    "a guess; three is the fewest from which a test over seeds says anything")
FEW_SEEDS_OUTSIDE = Threshold(
    2.0, "sampling errors", "with fewer seeds than MIN_SEEDS, a number is contradicted when ours lies farther from it "
    "than its margin plus this many sampling errors of one run",
    "the 95 % two-sided normal quantile (1.96), rounded: beyond it one run's test-set noise does not explain the gap")
EARLY_EPOCHS = Threshold(
    3, "epochs", "'slower convergence during early epochs' is read over this many first epochs",
    "a fifth of the 15-epoch budget, before either arm's training accuracy flattens")
PERSISTS = Threshold(
    0.5, "fraction", "a confusion persists with augmentation when at least this share of its count remains",
    "the write-up says the confusions persisted, not that they shrank a little: half is the middle ground")
GAP_SAME = Threshold(
    0.25, "points", "a train-validation gap that moves less than this is unchanged",
    "the sampling error of one accuracy on 10,000 images (0.26 points at 93 %)")
SYSTEMATIC_SHARE = Threshold(
    0.5, "fraction", "errors are 'particularly among' footwear and upper-body garments when at least this share is",
    "'particularly' means most of them: at least half")

# Grad-CAM's region statistics (the explainability page and the write-up's §6 claims).
OBJECT_PIXEL = Threshold(
    0.05, "of full scale", "a pixel belongs to the object (its silhouette and bounding box) when brighter than this",
    "Fashion-MNIST's backgrounds are exactly 0, so a small level keeps the whole garment, faint edges included")

# Tests and intervals.
ALPHA = Threshold(
    0.05, "p", "a one-sided test supports a pattern or a direction when its p-value is below this",
    "the conventional level, fixed before any result was seen")
INTERVAL = Threshold(
    0.95, "probability", "the coverage of every interval a verdict reads (t-intervals over seeds, bootstrap intervals)",
    "the conventional level, matching ALPHA for two-sided statements")
MIN_ERRORS = Threshold(
    10, "errors", "a Grad-CAM pattern is tested only when at least this many errors qualify",
    "fewer errors make a verdict rest on a handful of images, and leave a rank test little power")
SAME_SIZE = Threshold(
    2.0, "factor", "a seed spread within this factor of the sampling error is 'about the same size'",
    "a spread from three seeds is itself uncertain by a factor of two or more (its 95 % interval: 0.5 to 6 times)")
AUROC_TIE = Threshold(
    0.01, "AUROC", "two error detectors whose AUROCs differ by less than this tie",
    "about the standard error of an AUROC measured on the few hundred errors among 10,000 test images")

# The write-up's text against its notebooks' printed output (the claims page's second witness).
PRINTED_AGREES = Threshold(
    0.5, "units of the last printed digit", "the text and a notebook's printed output state the same number when they "
    "differ by at most this", "the printed line is rounded to its last digit: a larger difference is another number, "
    "not a rounding of the same one")

# Stress tests and saliency checks read only converged models (the robustness and saliency pages, the conclusion).
CONVERGED_ACCURACY = Threshold(
    0.7, "test accuracy", "a model takes part in a ranking, a pass count or a 'most robust' only when its clean test "
    "accuracy is at least this; below it, it is shown as 'not converged'",
    "seven times chance (10 %), and the point below which most of a model's errors cannot be the write-up's failure "
    "modes: a converged CNN confuses look-alike garments (shirt, pullover, coat; sneaker, ankle boot) on about 7 % of "
    "the test images, so a model wrong on more than 30 % makes mostly errors a converged one never makes")
BLANK_MAP = Threshold(
    1e-3, "of full scale", "a CAM is blank when the spread of its values (max minus min) is below this",
    "Grad-CAM's final ReLU can zero a whole map, and a map this flat ranks no pixel above another; stretched to full "
    "contrast it would look like a real map")

THRESHOLDS = {name: value for name, value in dict(globals()).items() if isinstance(value, Threshold)}
