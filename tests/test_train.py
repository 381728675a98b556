"""Training: it learns, it is deterministic on the CPU, and it resumes exactly."""

import dataclasses
import io
import logging
import sys

import pytest
import torch
import torch.nn.functional as F

from fmnist_lib.data.batches import to_unit_float
from fmnist_lib.errors import ConfigError, TrainingDiverged
from fmnist_lib.training import train as train_module
from fmnist_lib.training.checkpoint import Checkpoint
from fmnist_lib.training.config import TrainConfig
from fmnist_lib.training.train import check_last_batch, check_trainable, model_for, split_for, train


@pytest.fixture
def epochs_trained(monkeypatch):
    """The epochs `train_epoch` actually ran, in order (a resume runs only the remaining ones)."""
    ran, real = [], train_module.train_epoch

    def counting(*args, **kwargs):
        ran.append(args[-1] if len(args) == 8 else kwargs.get("epoch"))
        return real(*args, **kwargs)

    monkeypatch.setattr(train_module, "train_epoch", counting)
    return ran


def test_one_step_lowers_the_loss_on_a_fixed_batch(fmnist):
    torch.manual_seed(0)
    from fmnist_lib.training.models import build_model

    model = build_model("custom_cnn", 0.286, 0.353).train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = to_unit_float(fmnist.train_images[:128]), fmnist.train_labels[:128].long()
    losses = []
    for _ in range(2):
        torch.manual_seed(1)  # the same dropout masks before and after the step
        loss = F.cross_entropy(model(x), y)
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert losses[1] < losses[0]


def test_split_for_subset_is_a_prefix_of_the_split(fmnist):
    full = split_for(TrainConfig(), fmnist)
    subset = split_for(TrainConfig(train_subset=1_000), fmnist)
    assert len(full.train_images) == 50_000 and len(full.val_images) == 10_000
    assert torch.equal(subset.train_images, full.train_images[:1_000])
    assert torch.equal(subset.val_images, full.val_images)


def test_short_run_learns(fmnist):
    config = TrainConfig(epochs=1, train_subset=5_000, device="cpu")
    result = train(config, fmnist, progress=False)
    assert result.history[0]["val_acc"] > 0.70
    assert result.history[0]["lr"] == 0.01 and result.best_epoch == 1
    assert (result.mean, result.std) == (pytest.approx(0.2860), pytest.approx(0.3530))


def test_models_normalise_with_the_write_ups_constants(tiny_config):
    """Not the training split's own statistics (0.28571, 0.35286): the write-up's, from all 60,000 images."""
    model = model_for(tiny_config)
    assert (tiny_config.mean, tiny_config.std) == (0.2860, 0.3530)
    assert model.normalize.mean.item() == torch.tensor(0.2860).item()
    assert model.normalize.std.item() == torch.tensor(0.3530).item()
    other = model_for(dataclasses.replace(tiny_config, mean=0.5, std=0.25))
    assert (other.normalize.mean.item(), other.normalize.std.item()) == (0.5, 0.25)


def test_a_last_batch_of_one_image_is_refused_before_any_training(fmnist):
    config = TrainConfig(model="custom_cnn", epochs=1, train_subset=257, val_size=1_000, device="cpu")
    with pytest.raises(ConfigError, match=r"With 257 training images and batch_size 128, the last batch holds one "
                                          r"image.*batch normalisation.*e\.g\. train_subset=258"):
        train(config, fmnist, progress=False)
    check_last_batch(config, torch.nn.Linear(784, 10))  # no BatchNorm: a batch of one trains fine
    check_last_batch(dataclasses.replace(config, train_subset=258), torch.nn.BatchNorm1d(4))


def test_val_subset_validates_on_the_first_images_of_the_split(fmnist, tiny_config):
    config = dataclasses.replace(tiny_config, epochs=1, train_subset=1_024, val_subset=40)  # past chance level
    assert tiny_config.to_dict()["val_subset"] is None  # every field is part of the key
    with pytest.raises(ConfigError, match="val_subset 1,001 exceeds the 1,000 validation images"):
        dataclasses.replace(tiny_config, val_subset=1_001)
    row = train(config, fmnist, progress=False).history[0]
    assert (row["val_acc"] * 40) == pytest.approx(round(row["val_acc"] * 40))  # a fraction of 40 images
    assert row["val_acc"] != train(dataclasses.replace(config, val_subset=None), fmnist, progress=False).history[0]["val_acc"]


def test_identical_runs_give_identical_histories_and_weights(fmnist, tiny_config):
    first = train(tiny_config, fmnist, progress=False)
    second = train(tiny_config, fmnist, progress=False)
    strip = lambda history: [{k: v for k, v in row.items() if k != "seconds"} for row in history]  # noqa: E731
    assert strip(first.history) == strip(second.history)
    assert all(torch.equal(first.final_state[k], second.final_state[k]) for k in first.final_state)
    other = train(dataclasses.replace(tiny_config, seed=4), fmnist, progress=False)
    assert strip(other.history) != strip(first.history)


def test_learning_rate_follows_the_cosine_schedule(fmnist, tiny_config):
    config = dataclasses.replace(tiny_config, epochs=3, cosine_t_max=2)
    lrs = [row["lr"] for row in train(config, fmnist, progress=False).history]
    assert lrs == pytest.approx([0.01, 0.005, 0.0], abs=1e-12)


def test_resume_from_checkpoint_equals_uninterrupted(fmnist, tiny_config, tmp_path, monkeypatch, epochs_trained):
    config = dataclasses.replace(tiny_config, epochs=3, augment=True)
    uninterrupted = train(config, fmnist, progress=False)
    epochs_trained.clear()
    checkpoint = tmp_path / "checkpoint.pt"
    original_save = Checkpoint.save

    def save_then_stop(self, model, optimizer, scheduler, generator, history, *rest):
        original_save(self, model, optimizer, scheduler, generator, history, *rest)
        if len(history) == 2:
            raise KeyboardInterrupt  # as if Ctrl-C came right after epoch 2

    monkeypatch.setattr(Checkpoint, "save", save_then_stop)
    with pytest.raises(KeyboardInterrupt):
        train(config, fmnist, progress=False, checkpoint=checkpoint)
    monkeypatch.setattr(Checkpoint, "save", original_save)
    assert epochs_trained == [1, 2]
    epochs_trained.clear()
    resumed = train(config, fmnist, progress=False, checkpoint=checkpoint)
    assert epochs_trained == [3]  # a resume, not a restart that happens to end the same on a CPU
    assert [row["epoch"] for row in resumed.history] == [1, 2, 3]
    assert [row["val_loss"] for row in resumed.history] == [row["val_loss"] for row in uninterrupted.history]
    assert all(torch.equal(resumed.final_state[k], uninterrupted.final_state[k]) for k in resumed.final_state)


def test_damaged_checkpoint_is_reported_and_training_restarts(fmnist, tiny_config, tmp_path, caplog, epochs_trained):
    checkpoint = tmp_path / "checkpoint.pt"
    checkpoint.write_bytes(b"not a checkpoint")
    with caplog.at_level(logging.WARNING, logger="fmnist_lib"):
        result = train(tiny_config, fmnist, progress=False, checkpoint=checkpoint)
    assert f"The checkpoint {checkpoint} cannot be resumed: UnpicklingError" in caplog.text
    assert "training restarts from epoch 1" in caplog.text
    assert epochs_trained == [1, 2] and [row["epoch"] for row in result.history] == [1, 2]
    assert checkpoint.exists()  # the new run's own


def test_checkpoint_of_another_config_is_reported_and_not_resumed(fmnist, tiny_config, tmp_path, caplog,
                                                                   epochs_trained):
    checkpoint = tmp_path / "checkpoint.pt"
    train(tiny_config, fmnist, progress=False, checkpoint=checkpoint)
    other = dataclasses.replace(tiny_config, seed=11)
    fresh = train(other, fmnist, progress=False)
    epochs_trained.clear()
    with caplog.at_level(logging.WARNING, logger="fmnist_lib"):
        from_foreign = train(other, fmnist, progress=False, checkpoint=checkpoint)
    assert "it was saved for another config (seed 3 -> 11)" in caplog.text and "restarts from epoch 1" in caplog.text
    assert epochs_trained == [1, 2]
    assert [row["val_loss"] for row in from_foreign.history] == [row["val_loss"] for row in fresh.history]


def test_non_finite_optimiser_settings_are_refused():
    for name in ("lr", "momentum", "weight_decay"):
        for value in (float("nan"), float("inf"), -float("inf")):
            with pytest.raises(ConfigError, match=f"{name} must be a (positive|non-negative) finite number"):
                TrainConfig(**{name: value})
    with pytest.raises(ConfigError, match="std must be a positive finite number"):
        TrainConfig(std=0.0)


def test_a_loss_that_turns_non_finite_stops_the_run_at_the_next_read_back(fmnist, tiny_config, tmp_path,
                                                                            monkeypatch):
    """A NaN injected at epoch 2, step 3: found at the read-back after step 4, named as step 3, nothing kept."""
    monkeypatch.setattr(train_module, "PROGRESS_EVERY", 2)
    steps_per_epoch, calls, real = 4, [], train_module.make_train_step

    def poisoned(*args, **kwargs):
        step = real(*args, **kwargs)

        def run(x, y):
            calls.append(1)
            loss, correct = step(x, y)
            return (loss * float("nan"), correct) if len(calls) == steps_per_epoch + 3 else (loss, correct)
        return run

    monkeypatch.setattr(train_module, "make_train_step", poisoned)
    checkpoint = tmp_path / "checkpoint.pt"
    with pytest.raises(TrainingDiverged, match=r"Training custom_cnn diverged at epoch 2, step 3 of 4: the training "
                                               r"loss became nan\. The run stopped and nothing of it is cached"):
        train(dataclasses.replace(tiny_config, epochs=3), fmnist, progress=False, checkpoint=checkpoint)
    assert len(calls) == steps_per_epoch + 4  # stopped at the read-back, not at the end of training
    assert not checkpoint.exists()  # epoch 1's checkpoint is gone: resuming would only diverge again


def test_a_learning_rate_that_explodes_stops_the_run(fmnist, tiny_config):
    with pytest.raises(TrainingDiverged, match=r"diverged at epoch 1, step \d of 4: .*Lower the learning rate "
                                               r"\(it is 1e\+10\)"):
        train(dataclasses.replace(tiny_config, lr=1e10), fmnist, progress=False)


def test_a_run_that_cannot_train_is_found_before_any_training():
    check_trainable(TrainConfig(model="custom_cnn", train_subset=258, val_size=1_000))
    with pytest.raises(ConfigError, match="the last batch holds one image"):
        check_trainable(TrainConfig(model="custom_cnn", train_subset=257, val_size=1_000))
    with pytest.raises(ConfigError, match="With batch_size 1 every batch holds one image, and resnet18's batch "
                                          "normalisation cannot train on a single image. Use batch_size 2 or more"):
        check_trainable(TrainConfig(model="resnet18", batch_size=1))
    check_trainable(TrainConfig(model="vgg16", batch_size=1))  # no BatchNorm: batches of one image train


def test_progress_written_to_a_file_is_one_plain_line_per_epoch(fmnist, tiny_config, capsys):
    """Not a terminal (a log file, here pytest's capture): no progress bar redraws, one line per finished epoch."""
    train(tiny_config, fmnist, progress=True)
    written = capsys.readouterr().err
    lines = written.splitlines()
    assert len(lines) == tiny_config.epochs and "\r" not in written and "batch/s" not in written
    assert [line.split(":")[0] for line in lines] == [f"custom_cnn epoch {e}/{tiny_config.epochs}" for e in (1, 2)]
    assert all("val_acc 0." in line and line.endswith(" s") for line in lines)


def test_progress_on_a_terminal_is_the_redrawn_bar(fmnist, tiny_config, monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    train(tiny_config, fmnist, progress=True)
    shown = terminal.getvalue()
    assert "\r" in shown and "batch/s" in shown and "val_acc=0." in shown  # the bar's postfix
    assert "val_acc 0." not in shown  # and no plain epoch lines besides


def test_clean_training_accuracy_scores_the_final_weights_in_eval_mode(fmnist, tiny_config, monkeypatch):
    """Each epoch's clean accuracy is the epoch's final weights on the first training images, eval mode, no
    augmentation: recomputed from the stored final weights, the last epoch's value comes back exactly."""
    from fmnist_lib.training.evaluate import loss_and_accuracy
    from fmnist_lib.training.forward import predict_logits

    monkeypatch.setattr(train_module, "CLEAN_TRAIN_IMAGES", 300)
    config = dataclasses.replace(tiny_config, augment="flip_rotate")
    result = train(config, fmnist, progress=False)
    last = result.history[-1]
    assert {"clean_train_loss", "clean_train_acc"} <= set(last)
    model = model_for(config.resolved())
    model.load_state_dict(result.final_state)
    split = split_for(config.resolved(), fmnist)
    loss, accuracy = loss_and_accuracy(predict_logits(model, split.train_images[:300]), split.train_labels[:300])
    assert (last["clean_train_loss"], last["clean_train_acc"]) == pytest.approx((loss, accuracy), abs=1e-6)
    assert last["clean_train_acc"] != last["train_acc"]  # not the running average over augmented batches
