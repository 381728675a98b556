"""Training: it learns, it is deterministic on the CPU, and it resumes exactly."""

import dataclasses

import pytest
import torch
import torch.nn.functional as F

from fmnist_lib.data.batches import to_unit_float
from fmnist_lib.errors import ConfigError
from fmnist_lib.training.checkpoint import Checkpoint
from fmnist_lib.training.config import TrainConfig
from fmnist_lib.training.train import check_last_batch, split_for, train


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
    assert result.mean == pytest.approx(0.286, abs=0.01)


def test_a_last_batch_of_one_image_is_refused_before_any_training(fmnist):
    config = TrainConfig(model="custom_cnn", epochs=1, train_subset=257, val_size=1_000, device="cpu")
    with pytest.raises(ConfigError, match=r"With 257 training images and batch_size 128, the last batch holds one "
                                          r"image.*batch normalisation.*e\.g\. train_subset=258"):
        train(config, fmnist, progress=False)
    check_last_batch(config, torch.nn.Linear(784, 10))  # no BatchNorm: a batch of one trains fine
    check_last_batch(dataclasses.replace(config, train_subset=258), torch.nn.BatchNorm1d(4))


def test_val_subset_validates_on_the_first_images_of_the_split(fmnist, tiny_config):
    config = dataclasses.replace(tiny_config, epochs=1, val_subset=40)
    assert "val_subset" not in tiny_config.to_dict()  # unset, it leaves older run keys alone
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


def test_resume_from_checkpoint_equals_uninterrupted(fmnist, tiny_config, tmp_path, monkeypatch):
    config = dataclasses.replace(tiny_config, epochs=3, augment=True)
    uninterrupted = train(config, fmnist, progress=False)
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
    resumed = train(config, fmnist, progress=False, checkpoint=checkpoint)
    assert [row["epoch"] for row in resumed.history] == [1, 2, 3]
    assert [row["val_loss"] for row in resumed.history] == [row["val_loss"] for row in uninterrupted.history]
    assert all(torch.equal(resumed.final_state[k], uninterrupted.final_state[k]) for k in resumed.final_state)


def test_damaged_checkpoint_restarts_from_scratch(fmnist, tiny_config, tmp_path):
    checkpoint = tmp_path / "checkpoint.pt"
    checkpoint.write_bytes(b"not a checkpoint")
    result = train(tiny_config, fmnist, progress=False, checkpoint=checkpoint)
    assert [row["epoch"] for row in result.history] == [1, 2]
    assert checkpoint.exists()


def test_checkpoint_of_another_config_is_not_resumed(fmnist, tiny_config, tmp_path):
    checkpoint = tmp_path / "checkpoint.pt"
    train(tiny_config, fmnist, progress=False, checkpoint=checkpoint)
    other = dataclasses.replace(tiny_config, seed=11)
    fresh = train(other, fmnist, progress=False)
    from_foreign = train(other, fmnist, progress=False, checkpoint=checkpoint)
    assert [row["val_loss"] for row in from_foreign.history] == [row["val_loss"] for row in fresh.history]
