"""Which runs the ledger's custom CNN claims rest on: every seed at the write-up's protocol the build has, paired seed
by seed, and the augmentation gain computed by the same test over seeds the statistics page uses."""

from types import SimpleNamespace

import numpy as np
import torch

from fmnist_lib.claims import ledger
from fmnist_lib.claims import writeup_augmentation as wa
from fmnist_lib.claims.evidence import RunSet
from fmnist_lib.claims.verdicts import INCONCLUSIVE, NOT_TESTABLE


def fake_run(seed: int, correct: np.ndarray, epochs: int = 15, n_train: int = 50_000, augment: bool = False):
    """A run as the ledger reads it: a config and predictions whose logits are right where `correct` is."""
    labels = torch.zeros(len(correct), dtype=torch.long)
    logits = torch.zeros(len(correct), 10)
    logits[torch.arange(len(correct)), torch.as_tensor(np.where(correct, 0, 1))] = 2.0 + seed % 3
    config = SimpleNamespace(model="custom_cnn", epochs=epochs, n_train=n_train, seed=seed, augmented=augment,
                             augment="flip_rotate" if augment else "none")
    return SimpleNamespace(config=config, predictions=lambda weights="final": (logits, labels))


def build(accuracies_base, accuracies_aug, n_images=2_000):
    rng = np.random.default_rng(0)
    runs = {"none": [], "flip_rotate": []}
    for name, accuracies, augment in (("none", accuracies_base, False), ("flip_rotate", accuracies_aug, True)):
        for seed, accuracy in zip((56, 57, 58), accuracies):
            runs[name].append(fake_run(seed, rng.random(n_images) < accuracy, augment=augment))
    headline = fake_run(56, np.ones(n_images, bool))
    return {"headline": {"custom_cnn": headline}, "seeds": {}, "augmented": runs["flip_rotate"][0],
            "study": {(False, 5): [fake_run(56, np.ones(n_images, bool), 5, 5_000)]}, "policies": runs}


def test_the_custom_cnn_rests_on_every_protocol_seed():
    runs = build((0.93, 0.93, 0.93), (0.93, 0.93, 0.93))
    assert [r.config.seed for r in ledger.protocol_runs(runs, False)] == [56, 57, 58]
    assert [r.config.seed for r in ledger.model_runs(runs, "custom_cnn")] == [56, 57, 58]
    assert ledger.protocol_runs(runs, True)[0].config.augmented
    alone = {**runs, "policies": {}}
    assert ledger.protocol_runs(alone, False) == [runs["headline"]["custom_cnn"]]  # nothing more: the headline run
    pairs = ledger.by_seed(runs["policies"]["flip_rotate"][:2], runs["policies"]["none"])
    assert [(a.config.seed, b.config.seed) for a, b in pairs] == [(56, 56), (57, 57)]


def test_the_gain_is_the_matched_pair_over_seeds():
    comparison = ledger.gain_comparison(build((0.90, 0.90, 0.90), (0.95, 0.95, 0.95)))
    assert comparison["seeds"] == 3 and comparison["mean"] > 3 and comparison["direction"] == "higher"
    assert wa.augmentation_gain_claim(comparison).evidence.seeds == 3
    assert ledger.gain_comparison({**build((0.9,) * 3, (0.9,) * 3), "policies": {}}) is not None  # headline pair
    short = build((0.9,) * 3, (0.9,) * 3)
    short["policies"] = {}
    short["augmented"] = fake_run(56, np.ones(2_000, bool), 2, 10_000, augment=True)
    assert ledger.gain_comparison(short) is None
    assert wa.augmentation_gain_claim(None).verdict == NOT_TESTABLE


def test_the_confidence_control_is_the_baselines_other_seeds():
    runs = build((0.9, 0.9, 0.9), (0.9, 0.9, 0.9))
    found = ledger.confidence_evidence(runs["policies"]["none"], runs["policies"]["flip_rotate"], "final")
    assert len(found) == 3 and all(control is not None and len(control) == len(own) for own, _, control in found)
    one = ledger.confidence_evidence(runs["policies"]["none"][:1], runs["policies"]["flip_rotate"][:1], "final")
    assert one[0][2] is None
    base = RunSet(label="Custom CNN", epochs=15, train_images=50_000, seeds=(56,), accuracies=(90.0,))
    assert wa.confidence_claim(base, base, one).verdict == INCONCLUSIVE  # no control: never supported
