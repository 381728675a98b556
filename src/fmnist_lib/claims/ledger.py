"""The write-up checked claim by claim: every numbered claim of its sections 3 to 9, from one build's runs.

`writeup_ledger` gathers the evidence each claim needs from the claims page's runs (the registry's
`claims` section: every model's headline run, the seed runs at the headline budget, the augmented
custom CNN, the augmentation study and the custom CNN under each augmentation policy) and returns the claims
in the write-up's order. Claims about the write-up's protocol are tested only on runs trained at it; the rest
say which build can.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..analysis import explain
from ..analysis.augmentation_study import compare_arms
from ..analysis.failures import error_table
from ..analysis.memo import ANALYSIS_CODE, remembered
from ..analysis.robustness import stratified_order
from ..analysis.saliency_randomisation import cascading_randomisation, sanity_verdict
from ..data import writeup
from ..data.fashion_mnist import FashionMNIST
from ..runs.cache import Run
from ..training.config import PROTOCOL
from ..training.models import MODEL_NAMES
from . import gather
from . import writeup_augmentation as wa
from . import writeup_baselines as wb
from . import writeup_failures as wf
from .policy_evidence import policy_claims
from .verdicts import Claim
from .witnesses import attach as attach_witnesses
from .writeup_gradcam import gradcam_claim

CUSTOM = "custom_cnn"
LEDGER_CODE = (*ANALYSIS_CODE, "claims")  # what the remembered pattern statistics call: `pattern_results` is here


@dataclass(frozen=True)
class LedgerInputs:
    """What the ledger reads besides the runs: the weights to analyse, where models run, the CAM method, and how
    many test images feed the Grad-CAM statistics, the randomisation check and the policies' corruption benchmark
    (None: all)."""

    weights: str = "final"
    device: str = "cpu"
    cam_method: str = "gradcam"
    seed: int = 56
    cam_images: int | None = None
    sanity_images: int = 64
    stress_images: int | None = None  # test images the policy runs are stressed on (None: all)
    stress_severities: tuple[int, ...] = (1, 2, 3, 4, 5)


def model_runs(runs: dict, model: str) -> list[Run]:
    """A model's runs at its headline budget: its seed runs there, else its single headline run."""
    return list(runs["seeds"].get(model) or [runs["headline"][model]])


def protocol_arm(runs: dict, augment: bool) -> list[Run]:
    """The custom CNN at the write-up's 15 epochs on 50,000 images, with or without augmentation, one run per
    seed (seed i of one arm paired with seed i of the other): its headline seed runs and their augmented twins
    where the headline budget is the protocol, else the study's arm at that budget, else the single run."""
    arm = runs.get("augmented_seeds", []) if augment else runs["seeds"].get(CUSTOM, [])
    if not (arm and arm[0].config.epochs == PROTOCOL.epochs and arm[0].config.n_train == PROTOCOL.n_train):
        arm = runs["study"].get((augment, PROTOCOL.epochs), [])
    if arm and arm[0].config.n_train == PROTOCOL.n_train:
        return list(arm)
    return [runs["augmented"] if augment else runs["headline"][CUSTOM]]


def study_rows(runs: dict) -> tuple[list[wa.ArmComparison], bool]:
    """The study's equal-budget comparisons, and whether the study trains at the write-up's budgets."""
    study = runs["study"]
    epochs = tuple(sorted({key[1] for key in study}))
    table = compare_arms(study, epochs)
    images = next(iter(study.values()))[0].config.n_train
    rows = [wa.ArmComparison(f"{row['comparison'].removeprefix('augmentation at ')} on {images:,} images",
                             float(row["difference mean (pts)"]), float(row["interval low (pts)"]),
                             float(row["interval high (pts)"]), int(row["seeds"]))
            for _, row in table[table["what differs"] == "augmentation"].iterrows()]
    return rows, epochs == (PROTOCOL.epochs, wa.AUGMENTED_EPOCHS) and images == PROTOCOL.n_train


def baseline_claims(runs: dict, inputs: LedgerInputs) -> list[Claim]:
    """§3 and §4: the four accuracies, the choice of the custom CNN, ResNet-18's overfitting, the custom CNN's
    second accuracy and test loss, its training curves."""
    sets = {model: gather.runset(model_runs(runs, model), "baselines", inputs.weights) for model in MODEL_NAMES}
    custom = sets[CUSTOM]
    differences = None
    if all(r.at_protocol for r in sets.values()):
        differences = {m: gather.paired_difference(model_runs(runs, CUSTOM), model_runs(runs, m), inputs.weights)
                       for m in MODEL_NAMES if m != CUSTOM}
    loss_errors = gather.loss_errors(model_runs(runs, CUSTOM), inputs.weights)
    return [*(wb.accuracy_claim(m, sets[m]) for m in ("vgg16", "vgg19", "resnet18", CUSTOM)),
            wb.capacity_claim(custom, {m: sets[m] for m in MODEL_NAMES if m != CUSTOM}, differences),
            wb.overfitting_claim(sets["resnet18"]),
            wb.accuracy_claim(CUSTOM, custom, writeup.CUSTOM_SECOND_ACCURACY, wb.SOURCE_4,
                              key="writeup.custom_second_accuracy"),
            wb.test_loss_claim(custom, loss_errors), wb.gap_claim(custom), wb.gap_opens_claim(custom),
            wb.stability_claim(custom)]


def failure_claims(runs: dict, inputs: LedgerInputs) -> list[Claim]:
    """§5 and §9: the error count, the four showcased cases in the write-up's own run, the confusion groups."""
    custom = gather.runset(model_runs(runs, CUSTOM), "failures", inputs.weights)
    headline = runs["headline"][CUSTOM]
    errors = gather.errors_only(headline, inputs.weights) if custom.at_protocol else None
    single = gather.runset(headline, "failures", inputs.weights)
    tables = [gather.errors_only(run, inputs.weights) for run in model_runs(runs, CUSTOM)] if custom.at_protocol else []
    return [wf.errors_claim(custom), *(wf.case_claim(case, errors, single, inputs.weights) for case in wf.CASES),
            wf.confusion_groups_claim(tables, custom)]


def pattern_evidence(run: Run, data: FashionMNIST, weights: str = "final", method: str = "gradcam",
                     n_images: int | None = None, device: str = "cpu") -> dict[str, dict]:
    """The three patterns measured over the run's first `n_images` test images (None: all), with CAMs for the
    predicted class; remembered beside the run, so the claims and explainability pages compute them once."""
    n = n_images or len(data.test_labels)

    def compute() -> dict[str, dict]:
        model = run.load_model(weights, device=device)
        table = error_table(*run.predictions(weights)).iloc[:n]
        images = data.test_images[:n]
        return pattern_results(explain.compute_cams(model, images, table.prediction.tolist(), method=method),
                               images, table)

    return remembered(run.path, "gradcam-patterns", {"weights": weights, "method": method, "n": n}, compute,
                      device=device, code=LEDGER_CODE)


def gradcam_evidence(run: Run, data: FashionMNIST, inputs: LedgerInputs) -> tuple[dict, bool]:
    """The three patterns measured on the run's test images, and whether its maps pass the randomisation check."""
    results = pattern_evidence(run, data, inputs.weights, inputs.cam_method, inputs.cam_images, inputs.device)
    model = run.load_model(inputs.weights, device=inputs.device)
    predictions = error_table(*run.predictions(inputs.weights)).prediction.to_numpy()
    order = stratified_order(data.test_labels.numpy(), inputs.seed)[: inputs.sanity_images]
    sanity = sanity_verdict(cascading_randomisation(model, data.test_images[order], predictions[order],
                                                    inputs.cam_method, inputs.seed))
    return results, sanity["passes"]


def pattern_results(cams: np.ndarray, images: torch.Tensor, table) -> dict[str, dict]:
    """The write-up's three patterns tested on the images of an error table's rows (`failures.error_table`).

    cams (N, 28, 28) and images are aligned with `table`; the diffuse pattern looks at the errors only.
    """
    wrong = ~table.correct.to_numpy()
    return {"silhouette": explain.silhouette_claim(cams, images, table.label, table.prediction),
            "footwear": explain.footwear_claim(cams, images, table.label, table.prediction),
            "diffuse": explain.diffuse_claim(cams[wrong], table.entropy.to_numpy()[wrong], images[wrong])}


def gradcam_claims(runs: dict, data: FashionMNIST, inputs: LedgerInputs) -> list[Claim]:
    """§6: the three patterns, on the write-up's own run when this build trains it."""
    headline = runs["headline"][CUSTOM]
    single = gather.runset(headline, "explainability", inputs.weights)
    if not single.at_protocol:
        return [gradcam_claim(name, None, single, None) for name in ("silhouette", "footwear", "diffuse")]
    results, trusted = gradcam_evidence(headline, data, inputs)
    return [gradcam_claim(name, results[name], single, trusted, method=inputs.cam_method) for name in results]


def augmentation_claims(runs: dict, inputs: LedgerInputs) -> list[Claim]:
    """§7: the 30-epoch augmented accuracy, the gain like for like, and what augmentation did besides."""
    base_runs, aug_runs = protocol_arm(runs, False), protocol_arm(runs, True)
    base, aug = (gather.runset(r, "augmentation", inputs.weights) for r in (base_runs, aug_runs))
    longest = runs["study"].get((True, wa.AUGMENTED_EPOCHS))
    rows, at_protocol = study_rows(runs)
    confidences, confusions = [], []
    for b, a in zip(base_runs, aug_runs):
        before, after = error_table(*b.predictions(inputs.weights)), error_table(*a.predictions(inputs.weights))
        wrong = before.index[~before.correct]
        confidences.append((before.loc[wrong, "confidence"].to_numpy(), after.loc[wrong, "confidence"].to_numpy()))
        confusions.append(tuple(np.asarray(r.test_metrics(inputs.weights)["confusion"]) for r in (b, a)))
    return [wa.augmented_accuracy_claim(gather.runset(longest, "statistics", inputs.weights) if longest else None),
            wa.augmentation_gain_claim(rows, at_protocol),
            wa.confidence_claim(base, aug, confidences), wa.persisting_confusions_claim(base, aug, confusions),
            wa.slower_convergence_claim(base, aug), wa.generalisation_claim(base, aug)]


def writeup_ledger(runs: dict, data: FashionMNIST, inputs: LedgerInputs = LedgerInputs()) -> list[Claim]:
    """Every numbered claim of the write-up, in its order, with this build's verdict."""
    claims = [*baseline_claims(runs, inputs), *failure_claims(runs, inputs), *gradcam_claims(runs, data, inputs),
              *augmentation_claims(runs, inputs), *policy_claims(runs.get("policies", {}), data, inputs)]
    groups = [c for c in claims if c.key == "writeup.confusion_groups"]
    ordered = [c for c in claims if c.key != "writeup.confusion_groups"] + groups  # §9 last
    return attach_witnesses(ordered)  # the second witness: what the write-up's notebooks printed
