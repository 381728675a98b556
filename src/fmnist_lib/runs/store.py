"""What a run folder holds: a finished training evaluated once, in fp32, and written whole or not at all.

This is the part of the cache that decides what a run's stored numbers are, so its source is part of every
run's key (`fingerprint.RESULT_SOURCES`); naming, finding and verifying runs is `cache.py`'s.

Evaluation precision: whatever precision a run trained in (bf16 autocast on a GPU or a CPU with bfloat16
instructions), its stored predictions are the fp32 forward pass of its fp32 weights. bf16 logits keep 8 bits
of mantissa: on 10,000 test images they tie between the top two classes a few times (argmax then picks the
lower class) and flip a prediction now and then against fp32. Evaluation costs seconds; it is done exactly.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from safetensors.torch import save_file

from .. import __version__
from ..data.fashion_mnist import DATA_CHECKSUM, N_TEST, FashionMNIST
from ..fingerprint import requirements_lock_sha256
from ..training.evaluate import summarize
from ..training.forward import predict_logits
from ..training.models import build_model, count_parameters
from ..training.train import TrainResult, split_for

MANIFEST = "manifest.json"
WEIGHTS = ("final", "best")
EVALUATION_PRECISION = "fp32"


def sha256_file(path: Path) -> str:
    """SHA-256 of a file's bytes, read in blocks (weights can be hundreds of MB)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def test_data(config, data: FashionMNIST) -> FashionMNIST:
    """The data a run of `config` is evaluated on: its first `test_subset` test images. A run keyed on all of
    them (no test_subset) given data cut short is refused: its predictions would not be what its key says."""
    if config.test_subset is None and len(data.test_labels) != N_TEST:
        raise ValueError(f"The run is evaluated on all {N_TEST:,} test images, but the data holds "
                         f"{len(data.test_labels):,}: pass the whole dataset, or set the config's test_subset.")
    return data.first_test(config.test_subset)


def evaluate(result: TrainResult, data: FashionMNIST) -> tuple[dict, dict]:
    """Metrics and the arrays of predictions.npz, all in fp32 (see the module's docstring).

    Test logits of the final and the best-validation weights; validation logits of the final weights on the
    images the run validated on after each epoch (its `val_subset`, else the whole validation split), so a
    page fitting a temperature reads them instead of running the model again.
    """
    config = result.config
    data = test_data(config, data)
    arrays, test = {"labels": data.test_labels.numpy()}, {}
    for weights in WEIGHTS:
        if weights == "best" and result.best_epoch == len(result.history):  # the same weights: reuse
            test["best"], arrays["logits_best"] = test["final"], arrays["logits_final"]
            continue
        logits = predict_logits(result.model(weights), data.test_images, precision=EVALUATION_PRECISION)
        test[weights], arrays[f"logits_{weights}"] = summarize(logits, data.test_labels), logits.numpy()
    split = split_for(config, data)
    val_images, val_labels = split.val_images[:config.val_subset], split.val_labels[:config.val_subset]
    val_logits = predict_logits(result.model("final"), val_images, precision=EVALUATION_PRECISION)
    arrays["val_labels"], arrays["val_logits_final"] = val_labels.numpy(), val_logits.numpy()
    metrics = {"test": test, "validation": {"final": summarize(val_logits, val_labels)},
               "evaluation_precision": EVALUATION_PRECISION}
    return metrics, arrays


def _environment() -> dict:
    import torchvision

    device = torch.cuda.get_device_name() if torch.cuda.is_available() else platform.processor() or platform.machine()
    return {"library": __version__, "torch": torch.__version__, "torchvision": torchvision.__version__,
            "python": platform.python_version(), "platform": platform.platform(), "device_name": device,
            "threads": torch.get_num_threads()}


def write_run(result: TrainResult, data: FashionMNIST, path: Path, code: str, software: dict) -> None:
    """Evaluate the run, assemble its folder under a temporary name, manifest last, then rename it into place.

    `code` is the fingerprint of the code that made it (`fingerprint.code_fingerprint`) and `software` the
    versions in its key (`fingerprint.run_software`), both recorded in config.json and the manifest, with the
    SHA-256 of the checkout's requirements.lock (None without one): the whole pinned environment, recorded but
    not keyed. The caller holds the run's lock, so leftovers of a writer that was killed can be removed.
    """
    for leftover in path.parent.glob(f".tmp-{path.name}-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    temporary = path.with_name(f".tmp-{path.name}-{os.getpid()}")
    temporary.mkdir(parents=True)
    started = time.perf_counter()
    evaluation, arrays = evaluate(result, data)
    evaluation_seconds = time.perf_counter() - started
    key = path.name.rsplit("-", 1)[-1]
    config_record = {"config": result.config.to_dict(), "key": key, "data_checksum": DATA_CHECKSUM, "code": code,
                     "software": software, "library": __version__,
                     "requirements_lock_sha256": requirements_lock_sha256()}
    metrics = {**evaluation, "best_epoch": result.best_epoch, "train_seconds": result.seconds,
               "evaluation_seconds": evaluation_seconds, "run_seconds": result.wall_seconds + evaluation_seconds,
               "n_parameters": count_parameters(build_model(result.config.model)),
               "normalization": {"mean": result.mean, "std": result.std},
               "data_folder": str(data.folder), "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "environment": _environment()}
    (temporary / "config.json").write_text(json.dumps(config_record, indent=2))
    (temporary / "metrics.json").write_text(json.dumps(metrics, indent=2))
    pd.DataFrame(result.history).to_csv(temporary / "history.csv", index=False)
    np.savez(temporary / "predictions.npz", **arrays)
    for weights, state in (("final", result.final_state), ("best", result.best_state)):
        save_file({k: v.contiguous() for k, v in state.items()}, temporary / f"weights_{weights}.safetensors")
    files = {p.name: sha256_file(p) for p in sorted(temporary.iterdir())}
    manifest = {"files": files, "code": code, "software": software, "key": key, "library": __version__}
    (temporary / MANIFEST).write_text(json.dumps(manifest, indent=2))
    if path.exists():  # a damaged earlier copy: move it out of the way, then swap
        shutil.rmtree(path.with_name(f".trash-{path.name}"), ignore_errors=True)
        os.rename(path, path.with_name(f".trash-{path.name}"))
    os.rename(temporary, path)
    shutil.rmtree(path.with_name(f".trash-{path.name}"), ignore_errors=True)
