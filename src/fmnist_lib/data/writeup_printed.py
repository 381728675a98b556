"""What the write-up's own published notebooks printed: a second witness beside its text (`data/writeup.py`).

The write-up's code was published as three Jupyter notebooks in one GitHub repository, saved with their outputs.
Their printed lines are the nearest thing to the write-up's raw results: where the text and the printed output
disagree, the report says so and judges its own runs against both. Each number here is quoted from the output
of one code cell (its index among the notebook's cells, counting from 0, markdown cells included) at the commit
below; `also` names the other cells that printed the very same line (the notebooks repeat each other's runs).

Two kinds of output: `stream` is printed text (what `print` wrote); `figure` is text drawn inside a matplotlib
figure (the failure cases' confidences and entropies), transcribed from the stored PNG by eye.

The text's §4 figures (test accuracy 93.21 %, test loss 0.2390, training accuracy 97.44 % "by epoch 30" and
"by epoch 15", validation 93.84 %, 83.69 % in the first epoch) appear in none of the three notebooks as those
quantities: every stream and execute_result output was searched at this commit. The only 15-epoch custom CNN the
notebooks print is the one behind §3's 92.97 %, whose history is `HISTORIES["custom_cnn"]`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

REPOSITORY = "Vidushi-Mittal/Stress-Testing-of-Convolutional-Neural-Networks_A1_DL"
COMMIT = "b87eebb9ba6121e56ec14d2e18765e1bdbac39d1"  # HEAD on 2026-02-16, "Failure cases analysis after data augmentation."
MODELS = "Experimenting_with_models.ipynb"  # the four networks and the augmentation experiments
FAILURES = "Part3_failure_detection.ipynb"  # the four networks again, then the failure analysis of the custom CNN
AUGMENTED = "basecnn_with_augumented_model_plus_faliure_analysis.ipynb"  # reruns, then the augmented model's failures


@dataclass(frozen=True)
class Printed:
    """One number a notebook printed: where (notebook, cell, execution count), the line quoted, and the claim of the
    ledger (its key) and the quantity it witnesses."""

    value: float
    digits: int  # decimals as printed (what 'the same number' can mean)
    notebook: str
    cell: int  # index among the notebook's cells, from 0
    execution: int | None  # the cell's execution count (None: the notebook was saved without counts)
    line: str  # the printed line, verbatim
    claim: str  # the ledger's claim key
    quantity: str  # what the number is, in words
    output: str = "stream"  # "stream" (printed text) or "figure" (text drawn in a figure)
    also: tuple[str, ...] = ()  # other cells that printed the same line

    @property
    def where(self) -> str:
        """'Part3_failure_detection.ipynb, cell 34' (with its execution count when saved)."""
        count = f" (execution {self.execution})" if self.execution is not None else ""
        return f"{self.notebook}, cell {self.cell}{count}"


def _also(*places: tuple[str, int, int | None]) -> tuple[str, ...]:
    return tuple(f"{notebook}, cell {cell}" + (f" (execution {count})" if count is not None else "")
                 for notebook, cell, count in places)


def _accuracy(value: float, notebook: str, cell: int, execution: int | None, claim: str, quantity: str,
              line: str | None = None, also: tuple[str, ...] = ()) -> Printed:
    return Printed(value, 2, notebook, cell, execution, line or f"Final Test Accuracy: {value:.2f}%", claim, quantity,
                   also=also)


def _case(confidence: float, entropy: float, row: int, case: str, claim: str) -> tuple[Printed, Printed]:
    """A case's two numbers from the confident-errors figure of the failure cell (row 1 = the figure's top)."""
    figure = "first" if claim.endswith("bag-dress") else "second"
    place = f"{figure} figure, row {row}: {case}"
    return (Printed(confidence, 4, FAILURES, 34, None, f"Confidence: {100 * confidence:.2f}%", claim,
                    f"confidence ({place})", output="figure"),
            Printed(entropy, 4, FAILURES, 34, None, f"Entropy (Uncertainty): {entropy:.4f}", claim,
                    f"entropy ({place})", output="figure"))


PRINTED = (
    _accuracy(92.03, MODELS, 21, None, "writeup.accuracy.vgg16", "VGG-16's test accuracy after 15 epochs",
              also=_also((FAILURES, 20, None), (AUGMENTED, 20, 32))),
    _accuracy(91.78, MODELS, 23, None, "writeup.accuracy.vgg19", "VGG-19's test accuracy after 15 epochs",
              also=_also((FAILURES, 22, None), (AUGMENTED, 22, 33))),
    _accuracy(90.38, MODELS, 25, None, "writeup.accuracy.resnet18", "ResNet-18's test accuracy after 15 epochs",
              also=_also((FAILURES, 24, None), (AUGMENTED, 24, 34))),
    _accuracy(92.97, MODELS, 28, None, "writeup.accuracy.custom_cnn", "the custom CNN's test accuracy after 15 epochs",
              also=_also((FAILURES, 27, None), (AUGMENTED, 27, 36))),
    # §4 describes the same 15-epoch run with other figures; the notebooks print only this one.
    _accuracy(92.97, MODELS, 28, None, "writeup.custom_second_accuracy",
              "the custom CNN's test accuracy after 15 epochs, the only one printed",
              also=_also((FAILURES, 27, None), (AUGMENTED, 27, 36))),
    Printed(0.1913, 4, MODELS, 28, None, "Final Test Loss: 0.1913", "writeup.custom_test_loss",
            "the custom CNN's test loss after 15 epochs", also=_also((FAILURES, 27, None), (AUGMENTED, 27, 36))),
    Printed(94.46, 2, MODELS, 28, None, "Train Loss: 0.1533, Train Acc: 94.46%", "writeup.custom_gap",
            "the custom CNN's training accuracy in epoch 15 (running, in training mode)",
            also=_also((FAILURES, 27, None), (AUGMENTED, 27, 36))),
    Printed(93.78, 2, MODELS, 28, None, "Val Loss: 0.1768, Val Acc: 93.78%", "writeup.custom_gap",
            "the custom CNN's validation accuracy after epoch 15", also=_also((FAILURES, 27, None), (AUGMENTED, 27, 36))),
    Printed(703, 0, FAILURES, 34, None, "Found 703 incorrect predictions out of 10,000 test images.", "writeup.errors",
            "the custom CNN's misclassified test images (its best-validation weights, from epoch 15, the last)"),
    *_case(0.9900, 0.0652, 1, "Pullover → Trouser", "writeup.case.pullover-trouser"),
    *_case(0.1954, 2.0499, 1, "Bag → Dress", "writeup.case.bag-dress"),
    *_case(0.9986, 0.0108, 16, "Sneaker → Ankle boot", "writeup.case.sneaker-ankle_boot"),
    *_case(0.9898, 0.0648, 2, "Coat → Pullover", "writeup.case.coat-pullover"),
    # §7.1's 30-epoch augmented run: printed by two runs of the same cell, with two results.
    _accuracy(93.24, MODELS, 37, None, "writeup.augmented_accuracy",
              "the custom CNN with flip and rotation, 30 epochs (first run)",
              line="Final Test Accuracy (with Augmentation 30 Epochs): 93.24%"),
    _accuracy(93.32, AUGMENTED, 35, 41, "writeup.augmented_accuracy",
              "the custom CNN with flip and rotation, 30 epochs (second run)",
              line="Final Test Accuracy (with Augmentation 30 Epochs): 93.32%"),
    # The like-for-like gain the text does not report: flip and rotation at the baseline's 15 epochs.
    _accuracy(92.43, MODELS, 32, None, "writeup.augmentation_gain",
              "the custom CNN with flip and rotation, 15 epochs (against 92.97 % without)",
              line="Final Test Accuracy (with Augmentation): 92.43%", also=_also((AUGMENTED, 31, 38))),
    _accuracy(91.97, MODELS, 34, None, "writeup.crop_flip_erase_accuracy",
              "the custom CNN with crop, flip and erasing, 15 epochs", also=_also((AUGMENTED, 32, 39))),
)


@dataclass(frozen=True)
class PrintedHistory:
    """The per-epoch lines a training cell printed ('Epoch n:', 'Train Loss: ..., Train Acc: ...%', 'Val Loss: ...,
    Val Acc: ...%'), as rows (epoch, train loss, train accuracy %, validation loss, validation accuracy %)."""

    label: str
    notebook: str
    cell: int
    rows: tuple[tuple[int, float, float, float, float], ...]
    augment: bool = False
    also: tuple[str, ...] = ()

    @property
    def where(self) -> str:
        return f"{self.notebook}, cell {self.cell}"

    def frame(self) -> pd.DataFrame:
        """The history as a run's history reads (accuracies as fractions): epoch, train_loss, train_acc, val_loss,
        val_acc."""
        table = pd.DataFrame(self.rows, columns=["epoch", "train_loss", "train_acc", "val_loss", "val_acc"])
        table[["train_acc", "val_acc"]] /= 100
        return table


HISTORIES = {
    "custom_cnn": PrintedHistory("Custom CNN", MODELS, 28, (
        (1, 0.5036, 81.95, 0.2977, 89.10), (2, 0.3243, 88.21, 0.2544, 90.76), (3, 0.2839, 89.72, 0.2370, 91.16),
        (4, 0.2572, 90.68, 0.2239, 91.88), (5, 0.2390, 91.33, 0.2092, 92.42), (6, 0.2287, 91.73, 0.2069, 92.53),
        (7, 0.2165, 92.21, 0.2014, 92.59), (8, 0.2040, 92.65, 0.1928, 93.12), (9, 0.1937, 93.03, 0.1854, 93.16),
        (10, 0.1833, 93.35, 0.1870, 93.42), (11, 0.1789, 93.48, 0.1855, 93.16), (12, 0.1724, 93.79, 0.1856, 93.37),
        (13, 0.1633, 94.01, 0.1836, 93.34), (14, 0.1586, 94.32, 0.1809, 93.62), (15, 0.1533, 94.46, 0.1768, 93.78),
    ), also=_also((FAILURES, 27, None), (AUGMENTED, 27, 36))),
    "resnet18": PrintedHistory("ResNet-18", MODELS, 25, (
        (1, 0.4731, 82.86, 0.3425, 87.64), (2, 0.2844, 89.46, 0.2942, 89.55), (3, 0.2267, 91.49, 0.2663, 90.46),
        (4, 0.1841, 93.14, 0.2805, 90.11), (5, 0.1557, 94.27, 0.2800, 90.48), (6, 0.1258, 95.42, 0.2756, 90.78),
        (7, 0.1010, 96.31, 0.2943, 90.86), (8, 0.0892, 96.69, 0.3017, 90.66), (9, 0.0720, 97.33, 0.3430, 90.83),
        (10, 0.0625, 97.70, 0.3423, 90.32), (11, 0.0489, 98.23, 0.3619, 90.76), (12, 0.0397, 98.58, 0.3329, 91.28),
        (13, 0.0385, 98.59, 0.3943, 90.88), (14, 0.0319, 98.85, 0.3728, 90.95), (15, 0.0259, 99.11, 0.4212, 90.42),
    ), also=_also((FAILURES, 24, None), (AUGMENTED, 24, 34))),
    "custom_cnn_flip_rotate": PrintedHistory("Custom CNN, flip + rotation", MODELS, 32, (
        (1, 0.5919, 78.73, 0.3740, 86.15), (2, 0.4041, 85.16, 0.3160, 88.23), (3, 0.3550, 87.00, 0.2823, 89.66),
        (4, 0.3318, 87.95, 0.2601, 90.47), (5, 0.3157, 88.49, 0.2528, 90.74), (6, 0.2959, 89.15, 0.2451, 90.79),
        (7, 0.2876, 89.66, 0.2399, 91.33), (8, 0.2780, 89.99, 0.2350, 91.45), (9, 0.2730, 90.16, 0.2357, 91.38),
        (10, 0.2653, 90.38, 0.2240, 91.86), (11, 0.2578, 90.73, 0.2251, 91.90), (12, 0.2545, 90.88, 0.2240, 91.76),
        (13, 0.2506, 90.94, 0.2219, 91.68), (14, 0.2432, 91.30, 0.2075, 92.69), (15, 0.2415, 91.34, 0.2015, 92.48),
    ), augment=True, also=_also((AUGMENTED, 31, 38))),
}


def printed_for(claim: str) -> tuple[Printed, ...]:
    """The printed numbers that witness a claim (by its key), in the order above; () when the notebooks printed none."""
    return tuple(printed for printed in PRINTED if printed.claim == claim)
