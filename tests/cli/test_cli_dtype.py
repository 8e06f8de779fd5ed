"""``python -m rnnbook train --dtype``: the model trains in the floating-point type asked for."""

import pytest

import rnnbook.training.lm as rtrain
from rnnbook.cli import main

TINY = [
    "--hidden",
    "6",
    "--seq-len",
    "5",
    "--batch-size",
    "2",
    "--steps",
    "2",
    "--eval-every",
    "2",
    "--sample",
    "5",
    "--no-progress",
]


def _param_dtypes(model):
    if hasattr(model, "parameters"):  # torch
        return {str(p.dtype).replace("torch.", "") for p in model.parameters()}
    return {str(a.dtype) for a in model.params.values()}


@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize("dtype", [None, "float32", "float64"])
def test_dtype_option_sets_the_model_dtype(
    tmp_path, monkeypatch, capsys, backend, dtype
):
    if backend == "torch":
        pytest.importorskip("torch")
    path = tmp_path / "t.txt"
    path.write_text("a cat sat on a mat, a rat ran. " * 10, encoding="utf-8")
    seen = []
    real_train = rtrain.train

    def spy(model, *args, **kwargs):
        seen.append(_param_dtypes(model))
        return real_train(model, *args, **kwargs)

    monkeypatch.setattr(rtrain, "train", spy)
    argv = ["train", "--text", str(path), "--backend", backend, *TINY]
    if dtype is not None:
        argv += ["--dtype", dtype]
    assert main(argv) == 0, capsys.readouterr().err
    assert seen == [{dtype or "float32"}]  # float32 stays the default
