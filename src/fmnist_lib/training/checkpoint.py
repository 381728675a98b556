"""Per-epoch checkpoints: an interrupted training resumes from its last finished epoch, bit for bit on a CPU."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import torch

from .config import TrainConfig

log = logging.getLogger("fmnist_lib")


class Checkpoint:
    """The state after a completed epoch, enough to continue bit-for-bit (CPU) where it stopped.

    Written atomically (temporary file, then rename) and read with `weights_only=True`.
    """

    def __init__(self, path: Path | None, config: TrainConfig | None = None):
        self.path = Path(path) if path is not None else None
        self.config = config.to_dict() if config is not None else {}

    def save(self, model, optimizer, scheduler, generator, history, best_state, best_epoch) -> None:
        if self.path is None:
            return
        state = {
            "model": model.state_dict(), "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
            "generator": generator.get_state(), "torch_rng": torch.get_rng_state(),
            "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
            "history": history, "best_state": best_state, "best_epoch": best_epoch, "config": self.config,
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        torch.save(state, temporary)
        os.replace(temporary, self.path)

    def discard(self) -> None:
        """Remove the checkpoint (a run that diverged must not be resumed)."""
        if self.path is not None:
            self.path.unlink(missing_ok=True)

    def load(self, model, optimizer, scheduler, generator) -> tuple[list[dict], dict | None, int]:
        """Restore into the given objects; returns (history, best_state, best_epoch), empty if no checkpoint.

        A checkpoint that cannot be resumed (damaged, of another config, not matching the model) is reported
        with what was wrong and removed; training then starts again from epoch 1.
        """
        if self.path is None or not self.path.exists():
            return [], None, 0
        try:
            state = torch.load(self.path, map_location="cpu", weights_only=True)
            if state["config"] != self.config:
                raise ValueError(f"it was saved for another config ({_differences(state['config'], self.config)})")
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            scheduler.load_state_dict(state["scheduler"])
        except Exception as error:  # a damaged or foreign checkpoint costs the epochs since the start, nothing else
            log.warning("The checkpoint %s cannot be resumed: %s. It was removed; training restarts from epoch 1.",
                        self.path, _first_line(error))
            self.path.unlink(missing_ok=True)
            return [], None, 0
        generator.set_state(state["generator"])
        torch.set_rng_state(state["torch_rng"])
        if state["cuda_rng"]:
            torch.cuda.set_rng_state_all(state["cuda_rng"])
        return state["history"], state["best_state"], state["best_epoch"]


def _differences(saved, wanted: dict) -> str:
    """The config fields that differ, as 'name saved -> wanted'."""
    if not isinstance(saved, dict):
        return "no config recorded"
    names = sorted(name for name in set(saved) | set(wanted) if saved.get(name) != wanted.get(name))
    return ", ".join(f"{name} {saved.get(name)!r} -> {wanted.get(name)!r}" for name in names)


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__
