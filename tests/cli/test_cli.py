"""``python -m rnnbook``, run in-process through ``main``: training, resuming, and clear errors."""

import subprocess
import sys

import pytest

from rnnbook.cli import main
from rnnbook.training.checkpoint import checkpoint_info

TINY = [
    "--hidden",
    "8",
    "--seq-len",
    "6",
    "--batch-size",
    "2",
    "--steps",
    "6",
    "--eval-every",
    "3",
    "--sample",
    "20",
    "--no-progress",
]


@pytest.fixture
def text_file(tmp_path):
    path = tmp_path / "tiny.txt"
    path.write_text(
        "a small text, about cats and mats; a cat sat on a mat. " * 8, encoding="utf-8"
    )
    return path


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_help(capsys):
    code, out, _ = _run(capsys, "--help")
    assert code == 0 and "train" in out
    code, out, _ = _run(capsys, "train", "--help")
    assert code == 0 and "--temperature" in out and "--resume" in out


def test_module_entry_point_help():
    result = subprocess.run(
        [sys.executable, "-m", "rnnbook", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and "usage: python -m rnnbook" in result.stdout


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_train_prints_perplexity_and_a_sample(capsys, text_file, backend):
    code, out, err = _run(
        capsys,
        "train",
        "--text",
        str(text_file),
        "--backend",
        backend,
        "--cell",
        "gru",
        *TINY,
    )
    assert code == 0, err
    assert "vocabulary of" in out and "step      6: validation loss" in out
    assert (
        "final validation perplexity:" in out
        and "--- sample, temperature 0.8 ---" in out
    )
    sample = out.rstrip("\n").split("\n")[-1]
    assert len(sample) >= 21 and sample.startswith(
        "a"
    )  # the default prompt is the text's first character
    assert err == ""  # no progress bar when stderr is not a terminal


def test_save_and_resume(capsys, tmp_path, text_file):
    ckpt = tmp_path / "model.ckpt"
    code, _, err = _run(
        capsys,
        "train",
        "--text",
        str(text_file),
        "--save",
        str(ckpt),
        "--lr",
        "0.005",
        *TINY,
    )
    assert code == 0, err
    info = checkpoint_info(ckpt)
    assert info["step"] == 6 and info["extra"]["config"]["hidden"] == 8
    code, out, err = _run(
        capsys,
        "train",
        "--text",
        str(text_file),
        "--resume",
        str(ckpt),
        "--save",
        str(ckpt),
        "--steps",
        "3",
        "--seq-len",
        "6",
        "--sample",
        "0",
        "--no-progress",
    )
    assert code == 0, err
    assert (
        "resuming at step 6" in out
        and "d_h=8" in out
        and "step      9:" in out
        and "sample" not in out
    )
    assert (
        "lr=0.005" in out
    )  # the optimiser's state, learning rate included, comes from the checkpoint
    assert checkpoint_info(ckpt)["step"] == 9
    code, out, err = _run(
        capsys,
        "train",
        "--text",
        str(text_file),
        "--resume",
        str(ckpt),
        "--lr",
        "0.01",
        "--steps",
        "1",
        "--seq-len",
        "6",
        "--sample",
        "0",
        "--no-progress",
    )
    assert code == 0 and "lr=0.01" in out  # unless --lr is given


def test_bundled_corpus_is_the_default(capsys):
    code, out, err = _run(capsys, "train", "--max-chars", "3000", *TINY)
    assert code == 0, err
    assert "the Python reference manual" in out and "3,000 characters" in out


def _assert_clean_error(code, err, pattern):
    assert code == 2
    assert pattern in err, err
    assert "Traceback" not in err


def test_unknown_characters_in_strict_mode(capsys, text_file):
    code, out, err = _run(
        capsys, "train", "--text", str(text_file), "--strict", "--prompt", "QJK", *TINY
    )
    _assert_clean_error(code, err, "'J', 'K', 'Q'")
    assert "validation" not in out  # the prompt is checked before any training
    code, out, err = _run(
        capsys, "train", "--text", str(text_file), "--prompt", "QJK", *TINY
    )
    assert code == 0, err  # without --strict unknown characters become <unk>


@pytest.mark.parametrize(
    "content, pattern",
    [
        ("", "is empty"),
        ("abc", "text too short"),
        ("abcdefghij" * 3, "text too short for batch_size=32"),
    ],
    ids=["empty", "three characters", "shorter than the batch"],
)
def test_empty_or_too_short_text(capsys, tmp_path, content, pattern):
    path = tmp_path / "short.txt"
    path.write_text(content, encoding="utf-8")
    code, _, err = _run(capsys, "train", "--text", str(path), "--steps", "1")
    _assert_clean_error(code, err, pattern)


def test_sequence_longer_than_the_text(capsys, text_file):
    code, _, err = _run(
        capsys,
        "train",
        "--text",
        str(text_file),
        "--batch-size",
        "2",
        "--seq-len",
        "5000",
    )
    _assert_clean_error(code, err, "seq_len=5000 is longer than the training data")


@pytest.mark.parametrize("lr", ["0", "-0.01", "nan", "abc"])
def test_non_positive_learning_rate(capsys, text_file, lr):
    code, _, err = _run(capsys, "train", "--text", str(text_file), f"--lr={lr}")
    _assert_clean_error(code, err, "argument --lr: must be")


def test_other_input_errors(capsys, tmp_path, text_file):
    code, _, err = _run(capsys, "train", "--text", str(tmp_path / "missing.txt"))
    _assert_clean_error(code, err, "text file not found")
    code, _, err = _run(
        capsys, "train", "--text", str(text_file), "--val-fraction", "1.5"
    )
    _assert_clean_error(code, err, "must lie strictly between 0 and 1")
    code, _, err = _run(capsys, "train", "--resume", str(tmp_path / "missing.ckpt"))
    _assert_clean_error(code, err, "checkpoint not found")
    ckpt = tmp_path / "model.ckpt"
    assert (
        _run(capsys, "train", "--text", str(text_file), "--save", str(ckpt), *TINY)[0]
        == 0
    )
    code, _, err = _run(
        capsys,
        "train",
        "--text",
        str(text_file),
        "--resume",
        str(ckpt),
        "--hidden",
        "16",
    )
    _assert_clean_error(code, err, "--hidden 16 does not match the checkpoint's 8")
    code, _, err = _run(capsys, "train", "--backend", "jax")
    _assert_clean_error(code, err, "invalid choice: 'jax'")
    code, _, err = _run(capsys)
    _assert_clean_error(code, err, "required: COMMAND")
