"""The write-up's reported numbers, each once, with where in the write-up it stands.

These are what the report compares its own runs against (the claims ledger, the statistics and augmentation
pages). Its protocol (epochs, images, optimiser, schedule, normalisation) is not here: it is `TrainConfig`'s
defaults (`training/config.py`). The write-up is `000_c51702fb0e94725e.txt` in the shared seed folder;
"§3" is its section 3. `tests/test_facts.py` fails when another module defines one of these numbers again.
"""

from __future__ import annotations

from dataclasses import dataclass

from .classes import class_index
from .fashion_mnist import CLASS_NAMES


@dataclass(frozen=True)
class Reported:
    """One number the write-up reports: its value and where it stands in the write-up."""

    value: float
    where: str


# §3: the four networks after 15 epochs each. The custom CNN's figure is repeated as §7.1's baseline.
ACCURACY = {
    "vgg16": Reported(92.03, "§3, text (Figure 2's caption says 92.3 %)"),
    "vgg19": Reported(91.78, "§3, text and Figure 3"),
    "resnet18": Reported(90.38, "§3, text and Figure 4"),
    "custom_cnn": Reported(92.97, "§3, Figure 5 and text; §7.1 as the baseline"),
}
# §4: the same custom CNN, described again with other figures.
CUSTOM_SECOND_ACCURACY = Reported(93.21, "§4, 'a final test accuracy of 93.21%'")
CUSTOM_TEST_LOSS = Reported(0.2390, "§4, 'a corresponding test loss of 0.2390'")
TRAIN_ACC_END = Reported(97.44, "§4, 'By epoch 15: Training Accuracy ≈ 97.44%'")
VAL_ACC_END = Reported(93.84, "§4, 'Validation Accuracy ≈ 93.84%'")
GAP_OPENS_AFTER = Reported(12, "§4, 'a visible gap emerges ... after approximately epoch 12'")
# §5: the custom CNN's errors.
ERRORS = Reported(703, "§5, 'Out of 10,000 test images, we found 703 incorrect predictions'")
# §7.1: augmentation (flip and rotation) trained for 30 epochs, against §3's 15-epoch baseline.
AUGMENTED_ACCURACY = Reported(93.24, "§7.1, 'Final Test Accuracy (With Augmentation): 93.24%', and Figure 10")
AUGMENTED_EPOCHS = Reported(30, "§7.1, 'After 30 epochs of training with augmentation'")
# Its published code's README: the custom CNN trained 15 epochs with its second policy (crop + flip + erasing).
CROP_FLIP_ERASE_ACCURACY = Reported(91.97, "code: the README of the write-up's published repository, 15 epochs "
                                           "with crop, flip and random erasing")


@dataclass(frozen=True)
class Case:
    """A failure the write-up showed (§5's table): a true -> predicted confusion, made confidently or uncertainly,
    with the confidence and entropy (nats) its run gave it."""

    label: int
    predicted: int
    kind: str  # "confident" (ranked by confidence when wrong) or "uncertain" (ranked by entropy when wrong)
    writeup_confidence: float
    writeup_entropy: float
    where: str = "§5, the table of failure cases"

    @property
    def case(self) -> str:
        """'Pullover → Trouser'."""
        return f"{CLASS_NAMES[self.label]} → {CLASS_NAMES[self.predicted]}"


def _case(label: str, predicted: str, kind: str, confidence: float, entropy: float) -> Case:
    return Case(class_index(label), class_index(predicted), kind, confidence, entropy)


CASES = (
    _case("Pullover", "Trouser", "confident", 0.9900, 0.0652),
    _case("Bag", "Dress", "uncertain", 0.1954, 2.0499),
    _case("Sneaker", "Ankle boot", "confident", 0.9986, 0.0108),
    _case("Coat", "Pullover", "confident", 0.9898, 0.0648),
)

# The pairs of classes the write-up names: §6's footwear pattern ("In Sneaker vs Ankle boot errors") and §7.2's
# confusions that persist with augmentation ("Sneaker vs Ankle boot, shirt vs coat").
SNEAKER_VS_ANKLE_BOOT = (class_index("Sneaker"), class_index("Ankle boot"))
SHIRT_VS_COAT = (class_index("Shirt"), class_index("Coat"))
PERSISTING_PAIRS = (SNEAKER_VS_ANKLE_BOOT, SHIRT_VS_COAT)
