"""Three witnesses per claim: the write-up's text, what its own notebooks printed, and this build's runs.

`attach` takes the ledger's claims and adds to each the number its notebooks printed (`data.writeup_printed`),
where, and, when text and printed output differ, a sentence saying so that judges ours against the printed number
too, by the claim's own rule (`rules.compare_number`, on the values the claim was judged on). Claims about a
training curve get their printed witness by running the claim's own function on the printed history: the
measure that reads our runs reads theirs.
"""

from __future__ import annotations

import dataclasses

from ..analysis.thresholds import PRINTED_AGREES
from ..data import writeup
from ..data.writeup_printed import HISTORIES, Printed, PrintedHistory, printed_for
from ..training.config import PROTOCOL
from . import rules
from . import writeup_augmentation as wa
from . import writeup_baselines as wb
from .evidence import RunSet
from .verdicts import CONSISTENT, REPRODUCED, SUPPORTED, Claim
from .writeup_failures import CASES, case_key

CUSTOM_ACCURACY = "writeup.accuracy.custom_cnn"
GAP = "writeup.custom_gap"
GAIN = "writeup.augmentation_gain"
# The claims whose single number ours was compared with (`rules.compare_number`), with what it measures and its unit.
JUDGED = {**{f"writeup.accuracy.{model}": ("the test accuracy", " %") for model in writeup.ACCURACY},
          "writeup.custom_second_accuracy": ("the test accuracy", " %"), "writeup.custom_test_loss": ("the test loss", ""),
          GAP: ("the gap", " points"), "writeup.augmented_accuracy": ("the augmented model's accuracy", " %"),
          "writeup.crop_flip_erase_accuracy": ("the crop + flip + erasing model's accuracy", " %")}


def text_numbers(key: str) -> tuple[float, ...]:
    """The text's numbers of a claim, one per printed number of it (`printed_for(key)`), () when none."""
    cases = {case_key(case): case for case in CASES}
    if key in cases:
        return cases[key].writeup_confidence, cases[key].writeup_entropy
    if key.startswith("writeup.accuracy."):
        return (writeup.ACCURACY[key.removeprefix("writeup.accuracy.")].value,)
    single = {"writeup.custom_second_accuracy": writeup.CUSTOM_SECOND_ACCURACY, "writeup.errors": writeup.ERRORS,
              "writeup.custom_test_loss": writeup.CUSTOM_TEST_LOSS,
              "writeup.crop_flip_erase_accuracy": writeup.CROP_FLIP_ERASE_ACCURACY}
    if key in single:
        return (single[key].value,)
    return {GAP: (writeup.TRAIN_ACC_END.value, writeup.VAL_ACC_END.value),
            "writeup.augmented_accuracy": (writeup.AUGMENTED_ACCURACY.value,) * 2}.get(key, ())


def agrees(text: float, printed: Printed) -> bool:
    """Whether the text states the printed number: equal to within `PRINTED_AGREES` units of its last printed digit."""
    return abs(text - printed.value) <= PRINTED_AGREES.value * 10.0 ** -printed.digits * (1 + 1e-9)


def shown(printed: Printed) -> str:
    """A printed number as the table shows it: '92.97 %', '0.1913', '703', '99.00 %'."""
    if printed.output == "figure" and printed.quantity.startswith("confidence"):
        return f"{100 * printed.value:.2f} %"
    return f"{printed.value:.{printed.digits}f}" + (" %" if printed.line.endswith("%") else "")


def printed_text(key: str, printed: tuple[Printed, ...]) -> str:
    """The printed column's text: the numbers in the claim's own shape ('94.46 / 93.78 %', '99.00 %, H = 0.0652')."""
    if key in {case_key(case) for case in CASES}:
        return f"{shown(printed[0])}, H = {shown(printed[1])}"
    if key == GAP:
        return f"{printed[0].value:.2f} / {printed[1].value:.2f} %"
    if key == GAIN:
        return f"{shown(printed[0])} at {PROTOCOL.epochs} epochs"
    return " and ".join(dict.fromkeys(shown(p) for p in printed))


def against_printed(claim: Claim, value: float) -> str:
    """Ours judged against a printed number by the rule that judged it against the text (a sentence saying why not
    when this build has no values of ours)."""
    numbers = claim.numbers
    if claim.key not in JUDGED or not numbers:
        return "This build has no run of ours to judge against it."
    if not numbers.get("values"):  # a rule that does not hand back the values it judged
        return "Ours is not judged against it: the rule did not record the values it judged."
    what, unit = JUDGED[claim.key]
    verdict, sentence, _ = rules.compare_number(value, numbers["values"], n_images=numbers["n_images"], what=what,
                                                unit=numbers.get("unit", unit), digits=numbers.get("digits", 2),
                                                margin=numbers["margin"], single_run_error=numbers["single_run_error"])
    sentence = sentence.replace("the write-up's", "the printed").replace(" points points", " points")
    if not unit:  # a loss has no unit: the rule's sentence says 'points' (as the claim's own sentence drops it)
        sentence = sentence.replace(" points", "").replace(" point", "")
    return f"Against the printed number, ours is {verdict}: {sentence.removeprefix('Ours: ')}"


def number_note(claim: Claim, printed: tuple[Printed, ...]) -> str:
    """The sentence of a row whose text and printed numbers differ ('' when they agree)."""
    texts = text_numbers(claim.key)
    differing = [(text, p) for text, p in zip(texts, printed) if not agrees(text, p)]
    if not differing:
        return ""
    parts = [f"the text's {text:.{p.digits}f} against {shown(p)} printed in {p.where} ({p.quantity})"
             for text, p in differing]
    note = f"Text and printed output differ: {'; '.join(parts)}."
    if len(differing) < len(printed):
        note += " The other printed number agrees with the text."
    value = printed[0].value - printed[1].value if claim.key == GAP else differing[0][1].value
    return f"{note} {against_printed(claim, value)}"


def gain_note() -> tuple[str, str]:
    """§7's gain pairs 30 augmented epochs with 15 plain ones; the notebooks also printed the 15-epoch pair."""
    (augmented,), (plain,) = printed_for(GAIN), printed_for(CUSTOM_ACCURACY)
    difference = augmented.value - plain.value
    side = "above" if difference > 0 else "below"
    return (f"{shown(augmented)} against {shown(plain)} at {PROTOCOL.epochs} epochs",
            f"At the baseline's own {PROTOCOL.epochs} epochs their notebooks printed {shown(augmented)} with flip and "
            f"rotation ({augmented.where}), {rules.points(difference)} {side} the {shown(plain)} without; the text's "
            f"gain pairs {writeup.AUGMENTED_EPOCHS.value} augmented epochs with {PROTOCOL.epochs} plain ones.")


def printed_runset(history: PrintedHistory, accuracy: float = float("nan")) -> RunSet:
    """A printed history as the RunSet a claim reads: one run at the write-up's protocol (seed 56)."""
    return RunSet(label=history.label, epochs=len(history.rows), train_images=PROTOCOL.n_train,
                  augment=history.augment, seeds=(PROTOCOL.seed,), accuracies=(accuracy,),
                  histories=(history.frame(),))


def curve_witnesses() -> dict[str, tuple[Claim, str]]:
    """The curve claims judged on the printed histories by the claims' own functions: {key: (claim, where)}."""
    base, resnet, augmented = (printed_runset(HISTORIES[name]) for name in
                               ("custom_cnn", "resnet18", "custom_cnn_flip_rotate"))
    where = {name: history.where for name, history in HISTORIES.items()}
    pair = f"{where['custom_cnn']} and {where['custom_cnn_flip_rotate']}"
    claims = [(wb.gap_opens_claim(base), where["custom_cnn"]), (wb.stability_claim(base), where["custom_cnn"]),
              (wb.overfitting_claim(resnet), where["resnet18"]),
              (wa.slower_convergence_claim(base, augmented), pair), (wa.generalisation_claim(base, augmented), pair)]
    return {claim.key: (claim, place) for claim, place in claims}


def curve_note(theirs: Claim) -> str:
    """'' when the printed history bears the claim out, else a sentence saying what it shows."""
    if theirs.verdict in (REPRODUCED, SUPPORTED, CONSISTENT):
        return ""
    return (f"Their own printed history, measured as ours is, does not bear the text out ({theirs.verdict}): "
            f"{theirs.sentence}")


def witness(claim: Claim, curves: dict[str, tuple[Claim, str]]) -> Claim:
    """The claim with its printed witness added (unchanged when the notebooks printed nothing on it)."""
    printed = printed_for(claim.key)
    if claim.key == GAIN:
        value, note = gain_note()
        return dataclasses.replace(claim, printed=value, printed_source="; ".join(p.where for p in printed),
                                   printed_note=note)
    if printed:
        return dataclasses.replace(claim, printed=printed_text(claim.key, printed),
                                   printed_source="; ".join(dict.fromkeys(p.where for p in printed)),
                                   printed_note=number_note(claim, printed))
    if claim.key in curves:
        theirs, where = curves[claim.key]
        return dataclasses.replace(claim, printed=theirs.ours, printed_source=f"history printed in {where}",
                                   printed_note=curve_note(theirs))
    return claim


def attach(claims: list[Claim]) -> list[Claim]:
    """Every claim with its printed witness, in the order given."""
    curves = curve_witnesses()
    return [witness(claim, curves) for claim in claims]


def disagreeing(claims: list[Claim]) -> list[Claim]:
    """The claims whose text and printed output differ (their row carries a note)."""
    return [claim for claim in claims if claim.printed_note]
