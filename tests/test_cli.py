"""The command line: useful output, and messages instead of tracebacks."""

import os
import re
import subprocess
import sys

import pytest

from fmnist_lib.cli import main


def test_unknown_model_lists_names(capsys):
    assert main(["train", "--model", "vgg17"]) == 2
    err = capsys.readouterr().err
    assert "Unknown model 'vgg17'" in err and "custom_cnn, vgg16, vgg19, resnet18" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("args, message", [
    (["--epochs", "0"], "epochs must be a whole number >= 1, got 0"),
    (["--batch-size", "-5"], "batch_size must be a whole number >= 1"),
    (["--train-subset", "0"], "train_subset must be a whole number >= 1"),
    (["--device", "gpu"], "Unknown device 'gpu'"),
    (["--lr", "nan", "--cache-dir", "{tmp}"], "lr must be a positive finite number, got nan"),
    (["--lr", "inf", "--cache-dir", "{tmp}"], "lr must be a positive finite number, got inf"),
    (["--lr", "-0.1", "--cache-dir", "{tmp}"], "lr must be a positive finite number, got -0.1"),
    (["--train-subset", "129", "--cache-dir", "{tmp}"], "the last batch holds one image, and custom_cnn's batch "
                                                       "normalisation cannot train on a single image"),
])
def test_invalid_values(capsys, tmp_path, args, message):
    assert main(["train", *[arg.replace("{tmp}", str(tmp_path)) for arg in args]]) == 2
    assert message in capsys.readouterr().err
    assert not list(tmp_path.glob("custom_cnn-*"))  # refused before a run folder was written


def test_not_a_number_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit) as raised:
        main(["train", "--epochs", "ten"])
    assert raised.value.code == 2 and "'ten' is not a whole number" in capsys.readouterr().err


def test_missing_data_folder(capsys, tmp_path):
    assert main(["data", "--data-dir", str(tmp_path / "absent")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_data_command(capsys):
    assert main(["data"]) == 0
    out = capsys.readouterr().out
    assert out.count("verified") == 4 and "[6000, 6000" in out


def test_train_then_runs(capsys, tmp_path):
    args = ["train", "--epochs", "1", "--train-subset", "256", "--device", "cpu", "--quiet",
            "--cache-dir", str(tmp_path)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "final (reported)" in out and f"run saved in {tmp_path}" in out
    assert main(["runs", "--cache-dir", str(tmp_path)]) == 0
    assert "custom_cnn" in capsys.readouterr().out


def test_a_run_that_diverges_is_reported_and_not_cached(capsys, tmp_path):
    args = ["train", "--epochs", "2", "--train-subset", "512", "--lr", "1e10", "--seed", "3", "--device", "cpu",
            "--quiet", "--cache-dir", str(tmp_path)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert re.search(r"error: Training custom_cnn diverged at epoch 1, step \d of 4: the training loss became nan", err)
    assert "nothing of it is cached" in err and "Traceback" not in err
    assert not list(tmp_path.glob("custom_cnn-*")) and not list(tmp_path.glob(".partial/*"))


def test_console_script_installed():
    result = subprocess.run([sys.executable, "-m", "fmnist_lib.cli", "train", "--epochs", "0"],
                            capture_output=True, text=True)
    assert result.returncode == 2 and "Traceback" not in result.stderr and "epochs" in result.stderr
    help_text = subprocess.run([sys.executable, "-m", "fmnist_lib.cli", "train", "--help"], capture_output=True, text=True)
    assert "--train-subset" in help_text.stdout


def test_report_root_without_sources_names_what_is_missing(capsys, tmp_path):
    (tmp_path / "_config.yml").write_text("title: x\n")
    assert main(["report", "--profile", "smoke", "--root", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "lacks _toc.yml, book, notebooks" in err and "Traceback" not in err
    assert not (tmp_path / "build").exists()  # nothing was started


def run_cli(args: list[str], capsys) -> tuple[int, str]:
    """The exit status and stderr of `fmnist ARGS`, whether the library refused (status 2) or argparse did."""
    try:
        code = main(args)
    except SystemExit as exit:
        code = exit.code
    return code, capsys.readouterr().err


CORES = os.cpu_count() or 1


@pytest.mark.parametrize("args, message", [
    (["train", "--batch-size", "1"], "With batch_size 1 every batch holds one image, and custom_cnn's batch "
                                     "normalisation cannot train on a single image. Use batch_size 2 or more"),
    (["train", "--batch-size", "50001"], "batch_size must be at most the 50,000 images of the training split"),
    (["train", "--epochs", "100000"], "epochs must be at most 1,000, got 100,000"),
    (["train", "--seed", str(2 ** 64)], "seed must be a whole number from 0 to 4,294,967,295 (the pages seed NumPy"),
    (["train", "--seed", str(2 ** 32)], "seed must be a whole number from 0 to 4,294,967,295"),
    (["train", "--cache-dir", ""], "argument --cache-dir: an empty path; name a folder, or leave the option out"),
    (["runs", "--cache-dir", ""], "argument --cache-dir: an empty path"),
    (["sweep", "--dry-run", "--cache-dir", " "], "argument --cache-dir: an empty path"),
    (["data", "--data-dir", ""], "argument --data-dir: an empty path"),
    (["runs", "--cache-dir", "{tmp}/typo"], "The results cache {tmp}/typo (from --cache-dir) does not exist"),
    (["runs", "--remove-stale", "--cache-dir", "{tmp}/typo"], "{tmp}/typo (from --cache-dir) does not exist"),
    (["report", "--workers", str(CORES + 1)], f"--workers must be at most {CORES}, the CPU cores of this machine"),
    (["sweep", "--dry-run", "--workers", "100000"], f"--workers must be at most {CORES}, the CPU cores"),
    (["train", "--epochs", "ten"], "argument --epochs: 'ten' is not a whole number. `fmnist train --help` lists"),
])
def test_bad_input_gets_one_line_and_a_non_zero_exit(capsys, tmp_path, args, message):
    code, err = run_cli([arg.replace("{tmp}", str(tmp_path)) for arg in args], capsys)
    assert code == 2
    assert message.replace("{tmp}", str(tmp_path)) in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not list(tmp_path.iterdir())  # refused before anything was written


def test_a_cache_named_in_the_environment_must_exist_too(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("FMNIST_CACHE_DIR", str(tmp_path / "absent"))
    code, err = run_cli(["runs"], capsys)
    assert code == 2 and "(from $FMNIST_CACHE_DIR) does not exist" in err
    monkeypatch.setenv("FMNIST_CACHE_DIR", str(tmp_path))  # exists, holds nothing yet
    assert main(["runs"]) == 0 and f"No runs in {tmp_path}." in capsys.readouterr().out
