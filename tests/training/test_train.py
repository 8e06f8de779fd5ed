"""The training loop (truncated BPTT with carried state) and checkpoints that resume exactly, both backends."""

import math

import numpy as np
import pytest
import torch

import rnnbook.numpy as rnp
import rnnbook.torch as rtorch
from conftest import CELLS
from rnnbook.data.text import Vocabulary, batchify, bptt_windows, split_train_val
from rnnbook.numpy.optim import SGD, Adagrad, Adam, clip_grad_norm_, snap_to_float32_
from rnnbook.training.checkpoint import (
    checkpoint_info,
    load_checkpoint,
    save_checkpoint,
)
from rnnbook.training.lm import TrainState, evaluate, train
from rnnbook.training.loop import History

TEXT = "the cat sat on the mat. the dog sat on the log. " * 12
VOCAB = Vocabulary(TEXT)
TRAIN, VAL = split_train_val(VOCAB.encode(TEXT), 0.2)
SIZES = dict(
    seq_len=7, batch_size=3
)  # 461 training tokens -> 153 rows -> 152 input steps -> 22 windows per pass


def _numpy(cell="rnn", seed=0, opt="adam"):
    model = rnp.CharModel(len(VOCAB), 8, cell=cell, seed=seed)
    make = {
        "adam": lambda p: Adam(p, lr=0.01),
        "sgd": lambda p: SGD(p, lr=0.3, momentum=0.5),
        "adagrad": lambda p: Adagrad(p, lr=0.1),
    }
    return model, make[opt](model.params)


def _torch(cell="rnn", seed=0):
    torch.manual_seed(seed)
    model = rtorch.CharModel(len(VOCAB), 8, cell=cell, dtype=torch.float64)
    return model, torch.optim.Adam(model.parameters(), lr=0.01)


def _params(model):
    if isinstance(model, torch.nn.Module):
        return {k: v.detach().clone().numpy() for k, v in model.state_dict().items()}
    return model.state_dict()


# ----------------------------------------------------------------------------- the loop
def test_training_lowers_the_validation_loss():
    model, opt = _numpy()
    history = train(
        model,
        TRAIN,
        VAL,
        steps=60,
        optimizer=opt,
        clip=1.0,
        eval_every=20,
        progress=False,
        **SIZES,
    )
    assert isinstance(history, History)
    assert (
        history.steps == list(range(1, 61))
        and len(history.train_loss) == len(history.grad_norm) == 60
    )
    assert (
        history.eval_steps == [20, 40, 60]
        and len(history.eval_loss) == len(history.eval_perplexity) == 3
    )
    assert history.eval_loss[-1] < history.eval_loss[0] < np.log(len(VOCAB)) + 0.3
    np.testing.assert_allclose(history.eval_perplexity, np.exp(history.eval_loss))
    assert set(history.as_dict()) == {
        "steps",
        "train_loss",
        "grad_norm",
        "eval_steps",
        "eval_loss",
        "eval_accuracy",
    }
    assert all(math.isnan(a) for a in history.eval_accuracy)  # a language model: none


def test_loop_equals_a_hand_written_truncated_bptt_loop():
    """State carried window to window, gradient clipped, reset to zeros at the end of the data."""
    model, opt = _numpy(seed=1)
    steps = 30  # 22 windows per pass: the loop wraps around once
    history = train(
        model,
        TRAIN,
        VAL,
        steps=steps,
        optimizer=opt,
        clip=0.5,
        eval_every=None,
        progress=False,
        **SIZES,
    )

    ref, ref_opt = _numpy(seed=1)
    windows = list(bptt_windows(batchify(TRAIN, SIZES["batch_size"]), SIZES["seq_len"]))
    losses, norms, state = [], [], None
    for k in range(steps):
        if k % len(windows) == 0:
            state = None  # a new pass starts from zeros
        loss, state = ref.loss_and_grads(*windows[k % len(windows)], state)
        norms.append(clip_grad_norm_(ref.grads, 0.5))
        ref_opt.step(ref.grads)
        snap_to_float32_(
            ref.params
        )  # train keeps float64 parameters on the float32 grid
        losses.append(loss)
    assert history.train_loss == losses and history.grad_norm == norms
    for k, v in ref.params.items():
        np.testing.assert_array_equal(model.params[k], v)
    assert history.state.step == 30 and history.state.position == 8 * SIZES["seq_len"]


def test_continuing_with_the_returned_state_equals_one_long_call():
    a, opt_a = _numpy(seed=2)
    long = train(
        a,
        TRAIN,
        VAL,
        steps=30,
        optimizer=opt_a,
        progress=False,
        eval_every=None,
        **SIZES,
    )
    b, opt_b = _numpy(seed=2)
    first = train(
        b,
        TRAIN,
        VAL,
        steps=12,
        optimizer=opt_b,
        progress=False,
        eval_every=None,
        **SIZES,
    )
    second = train(
        b,
        TRAIN,
        VAL,
        steps=18,
        optimizer=opt_b,
        progress=False,
        eval_every=None,
        state=first.state,
        **SIZES,
    )
    assert first.train_loss + second.train_loss == long.train_loss
    assert second.steps == list(range(13, 31))


def test_both_backends_train_identically_in_float64():
    tm, _ = _torch(seed=3)
    nm = rnp.CharModel(len(VOCAB), 8, seed=0)
    nm.load_state_dict(tm.state_dict())
    t_hist = train(
        tm,
        TRAIN,
        VAL,
        steps=25,
        optimizer=torch.optim.SGD(tm.parameters(), lr=0.5, momentum=0.9),
        clip=1.0,
        eval_every=10,
        progress=False,
        **SIZES,
    )
    n_hist = train(
        nm,
        TRAIN,
        VAL,
        steps=25,
        optimizer=SGD(nm.params, lr=0.5, momentum=0.9),
        clip=1.0,
        eval_every=10,
        progress=False,
        **SIZES,
    )
    np.testing.assert_allclose(n_hist.train_loss, t_hist.train_loss, rtol=0, atol=1e-10)
    np.testing.assert_allclose(n_hist.grad_norm, t_hist.grad_norm, rtol=1e-9)
    np.testing.assert_allclose(n_hist.eval_loss, t_hist.eval_loss, rtol=0, atol=1e-10)
    for k, v in _params(tm).items():
        np.testing.assert_allclose(nm.params[k], v, rtol=0, atol=1e-10, err_msg=k)


def test_evaluate_reads_the_validation_text_with_carried_state():
    model, _ = _numpy(seed=4)
    streams = batchify(VAL, 3)
    total, count, state = 0.0, 0, None
    for inputs, targets in bptt_windows(streams, 5):
        loss, state = model.loss(inputs, targets, state)
        total, count = total + loss * targets.size, count + targets.size
    assert evaluate(model, VAL, seq_len=5, batch_size=3) == pytest.approx(
        total / count, rel=1e-15
    )
    tm, _ = _torch()
    nm = rnp.CharModel(len(VOCAB), 8, seed=0)
    nm.load_state_dict(tm.state_dict())
    assert evaluate(tm, VAL, seq_len=5, batch_size=3) == pytest.approx(
        evaluate(nm, VAL, seq_len=5, batch_size=3), abs=1e-12
    )


def test_progress_bar_only_when_asked_or_on_a_terminal(capsys):
    model, opt = _numpy()
    train(model, TRAIN, VAL, steps=3, optimizer=opt, progress=False, **SIZES)
    assert capsys.readouterr().err == ""
    train(
        model, TRAIN, VAL, steps=3, optimizer=opt, progress=None, **SIZES
    )  # captured stderr is not a terminal
    assert capsys.readouterr().err == ""
    train(model, TRAIN, VAL, steps=3, optimizer=opt, progress=True, **SIZES)
    assert "3/3" in capsys.readouterr().err


def test_bad_arguments():
    model, opt = _numpy()
    kwargs = dict(steps=2, optimizer=opt, progress=False)
    with pytest.raises(
        ValueError,
        match=r"seq_len=200 is longer than the training data: 3 streams of 153 tokens allow at most 152",
    ):
        train(model, TRAIN, VAL, seq_len=200, batch_size=3, **kwargs)
    with pytest.raises(
        ValueError, match="validation text: text too short for batch_size=100"
    ):
        train(model, TRAIN, VAL, seq_len=2, batch_size=100, **kwargs)
    with pytest.raises(ValueError, match="clip must be a number > 0"):
        train(model, TRAIN, VAL, clip=0.0, **SIZES, **kwargs)
    with pytest.raises(ValueError, match="steps must be >= 1"):
        train(model, TRAIN, VAL, **SIZES, **{**kwargs, "steps": 0})
    with pytest.raises(ValueError, match=r"optimizer must be built on model.params"):
        train(
            model,
            TRAIN,
            VAL,
            **SIZES,
            **{**kwargs, "optimizer": Adam(_numpy(seed=9)[0].params)},
        )
    with pytest.raises(
        TypeError, match="needs an rnnbook.numpy.optim optimizer, got SGD"
    ):
        train(
            model,
            TRAIN,
            VAL,
            **SIZES,
            **{
                **kwargs,
                "optimizer": torch.optim.SGD(
                    [torch.zeros(1, requires_grad=True)], lr=0.1
                ),
            },
        )
    tm, _ = _torch()
    with pytest.raises(TypeError, match="needs a torch.optim optimizer, got Adam"):
        train(tm, TRAIN, VAL, **SIZES, **kwargs)
    with pytest.raises(
        ValueError, match="state.position=999 lies outside the training streams"
    ):
        train(model, TRAIN, VAL, state=TrainState(position=999), **SIZES, **kwargs)


# ----------------------------------------------------------------------------- checkpoints
def _assert_same_state(a, b):
    for x, y in zip(
        a if isinstance(a, tuple) else (a,),
        b if isinstance(b, tuple) else (b,),
        strict=True,
    ):
        x = x.numpy() if isinstance(x, torch.Tensor) else x
        y = y.numpy() if isinstance(y, torch.Tensor) else y
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize("cell", CELLS)
def test_checkpoint_round_trip(tmp_path, backend, cell):
    model, opt = _numpy(cell) if backend == "numpy" else _torch(cell)
    history = train(
        model,
        TRAIN,
        VAL,
        steps=5,
        optimizer=opt,
        progress=False,
        eval_every=None,
        **SIZES,
    )
    path = tmp_path / "ck"
    save_checkpoint(
        path,
        model,
        opt,
        history.state.step,
        history.state.to_checkpoint(),
        vocab=VOCAB,
        extra={"note": "hi", "n": [1, 2]},
    )
    assert path.exists()  # written under the given name, no suffix added

    fresh, fresh_opt = (
        _numpy(cell, seed=7) if backend == "numpy" else _torch(cell, seed=7)
    )
    loaded = load_checkpoint(path, fresh, fresh_opt)
    assert (
        loaded["step"] == 5
        and loaded["vocab"] == VOCAB
        and loaded["extra"] == {"note": "hi", "n": [1, 2]}
    )
    assert loaded["state"]["position"] == history.state.position
    _assert_same_state(loaded["state"]["hidden"], history.state.hidden)
    for k, v in _params(model).items():
        np.testing.assert_array_equal(_params(fresh)[k], v)
    if backend == "numpy":
        for k, v in opt.state_dict().items():
            np.testing.assert_array_equal(fresh_opt.state_dict()[k], v)
        with np.load(path, allow_pickle=False) as z:
            assert (
                z["meta"].dtype.kind == "U"
                and "model/decoder.weight" in z.files
                and "optim/exp_avg/rnn.weight_hh_l0" in z.files
            )
    else:
        payload = torch.load(
            path, weights_only=True
        )  # plain tensors, numbers and strings only
        assert set(payload) == {"meta", "meta_sha256", "model", "optim", "state"}
        torch.testing.assert_close(
            fresh_opt.state_dict()["state"], opt.state_dict()["state"], rtol=0, atol=0
        )
    info = checkpoint_info(path)
    assert (
        info["backend"] == backend
        and info["step"] == 5
        and info["optimizer"] == "Adam"
        and info["vocab"] == VOCAB
    )


@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize("cell", CELLS)
def test_resuming_from_a_checkpoint_equals_training_straight_through(
    tmp_path, backend, cell
):
    """2k steps straight == k steps, save, load into fresh objects, k more; bitwise (k crosses a data wrap)."""
    k = 15  # 22 windows per pass, so the second half wraps to the start of the data
    make = (
        (lambda seed: _numpy(cell, seed))
        if backend == "numpy"
        else (lambda seed: _torch(cell, seed))
    )
    kwargs = dict(progress=False, eval_every=10, clip=1.0, **SIZES)

    straight, straight_opt = make(0)
    full = train(straight, TRAIN, VAL, steps=2 * k, optimizer=straight_opt, **kwargs)

    first, first_opt = make(0)
    path = tmp_path / "resume.ckpt"
    half = train(
        first,
        TRAIN,
        VAL,
        steps=k,
        optimizer=first_opt,
        checkpoint=path,
        vocab=VOCAB,
        **kwargs,
    )
    assert (
        checkpoint_info(path)["step"] == k
    )  # saved after the last evaluation, at the end

    second, second_opt = make(
        123
    )  # fresh objects with different weights: everything must come from the file
    loaded = load_checkpoint(path, second, second_opt)
    rest = train(
        second, TRAIN, VAL, steps=k, optimizer=second_opt, state=loaded, **kwargs
    )

    assert half.train_loss + rest.train_loss == full.train_loss
    assert half.grad_norm + rest.grad_norm == full.grad_norm
    assert rest.steps == list(range(k + 1, 2 * k + 1)) and rest.eval_steps == [20, 30]
    assert rest.eval_loss == full.eval_loss[1:]
    for name, value in _params(straight).items():
        np.testing.assert_array_equal(_params(second)[name], value, err_msg=name)
    assert rest.state.position == full.state.position
    _assert_same_state(rest.state.hidden, full.state.hidden)


def test_checkpoint_errors(tmp_path):
    model, opt = _numpy()
    tm, topt = _torch()
    np_path, torch_path = tmp_path / "np.ckpt", tmp_path / "torch.ckpt"
    save_checkpoint(np_path, model, opt, 0, {"position": 0, "hidden": None})
    save_checkpoint(torch_path, tm, topt, 0, {"position": 0, "hidden": None})
    with pytest.raises(
        ValueError, match="saved from a numpy model, cannot load it into a torch model"
    ):
        load_checkpoint(np_path, tm, topt)
    with pytest.raises(
        ValueError, match="saved from a torch model, cannot load it into a numpy model"
    ):
        load_checkpoint(torch_path, model, opt)
    with pytest.raises(FileNotFoundError, match="checkpoint not found"):
        load_checkpoint(tmp_path / "missing", model, opt)
    (tmp_path / "junk").write_text("not a checkpoint")
    with pytest.raises(ValueError, match="not an rnnbook checkpoint"):
        load_checkpoint(tmp_path / "junk", model, opt)
    with pytest.raises(ValueError, match="holds a Adam optimizer state, got a SGD"):
        load_checkpoint(np_path, model, SGD(model.params, lr=0.1))
    with pytest.raises(ValueError, match=r"state dict keys do not match"):
        load_checkpoint(
            np_path, rnp.CharModel(len(VOCAB), 8, num_layers=2, seed=0), opt
        )
    with pytest.raises(TypeError, match="extra must be JSON-serialisable"):
        save_checkpoint(tmp_path / "x", model, opt, 0, {}, extra={"f": object()})
    with pytest.raises(TypeError, match="needs a torch.optim optimizer"):
        save_checkpoint(tmp_path / "x", tm, opt, 0, {})
    assert not (tmp_path / "x").exists() and not (tmp_path / "x.tmp").exists()


def test_numpy_backend_needs_no_torch():
    """rnnbook.training.lm, .checkpoint, .lm and the CLI import torch only for torch models."""
    code = (
        "import sys; sys.modules['torch'] = None\n"  # any `import torch` now fails
        "import numpy as np, rnnbook.numpy as rnp, tempfile, os\n"
        "from rnnbook.numpy.optim import Adam\n"
        "from rnnbook.training.lm import train\n"
        "from rnnbook.training.checkpoint import save_checkpoint, load_checkpoint\n"
        "from rnnbook.analysis.language import sample\n"
        "from rnnbook.data.text import Vocabulary, split_train_val\n"
        "import rnnbook.cli\n"
        "text = 'abcabcabd ' * 30; v = Vocabulary(text); tr, va = split_train_val(v.encode(text))\n"
        "m = rnp.CharModel(len(v), 4, seed=0); o = Adam(m.params)\n"
        "h = train(m, tr, va, seq_len=5, batch_size=2, steps=3, optimizer=o, progress=False)\n"
        "p = os.path.join(tempfile.mkdtemp(), 'ck'); save_checkpoint(p, m, o, 3, h.state.to_checkpoint(), vocab=v)\n"
        "load_checkpoint(p, m, o); print(sample(m, v, 'a', 5))\n"
    )
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_torch_training_on_cuda_matches_cpu(tmp_path):
    cpu, cpu_opt = _torch(seed=5)
    gpu = rtorch.CharModel(len(VOCAB), 8, dtype=torch.float64, device="cuda")
    gpu.load_state_dict(cpu.state_dict())
    gpu_opt = torch.optim.Adam(gpu.parameters(), lr=0.01)
    kwargs = dict(steps=10, progress=False, eval_every=5, clip=1.0, **SIZES)
    on_cpu = train(cpu, TRAIN, VAL, optimizer=cpu_opt, **kwargs)
    on_gpu = train(
        gpu, TRAIN, VAL, optimizer=gpu_opt, checkpoint=tmp_path / "gpu.ckpt", **kwargs
    )
    np.testing.assert_allclose(on_gpu.train_loss, on_cpu.train_loss, rtol=0, atol=1e-10)
    np.testing.assert_allclose(on_gpu.eval_loss, on_cpu.eval_loss, rtol=0, atol=1e-10)
    fresh = rtorch.CharModel(len(VOCAB), 8, dtype=torch.float64, device="cuda")
    loaded = load_checkpoint(
        tmp_path / "gpu.ckpt", fresh, torch.optim.Adam(fresh.parameters(), lr=0.01)
    )
    assert loaded["state"]["hidden"].device.type == "cuda"
    from rnnbook.analysis.language import sample

    assert sample(fresh, VOCAB, "the", 20, seed=0) == sample(
        gpu, VOCAB, "the", 20, seed=0
    )
