"""MinGRU / MinLSTM's constructor keyword ``mode``: which computation forward() runs when not told.

The sequential loop and the parallel scan compute the same function (tests/models/test_comparison_models.py);
here: the keyword picks the path (checked by making the scan unusable), the per-call ``mode``
still overrides it, SequenceModel passes it on, and nothing about the parameters changes.
"""

import functools
import pickle

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import rnnbook.torch as rt  # noqa: E402
import rnnbook.torch.minimal as minimal  # noqa: E402

F64 = torch.float64


def _no_scan(*args, **kwargs):
    raise AssertionError("the parallel scan was called")


@pytest.mark.parametrize("cls", [rt.MinGRU, rt.MinLSTM])
def test_constructor_mode_picks_the_path(cls, monkeypatch):
    torch.manual_seed(0)
    seq = cls(3, 4, num_layers=2, mode="sequential", dtype=F64)
    par = cls(3, 4, num_layers=2, dtype=F64)
    par.load_state_dict(seq.state_dict())  # the same parameters, names and shapes
    assert par.mode == "parallel" and seq.mode == "sequential"
    x = torch.tensor(np.random.default_rng(1).standard_normal((9, 2, 3)))
    expected, h_expected = par(x)
    monkeypatch.setattr(minimal, "parallel_scan_log", _no_scan)
    out, h_n = seq(x)  # the loop: the scan is never called
    torch.testing.assert_close(out, expected, rtol=0, atol=1e-12)
    torch.testing.assert_close(h_n, h_expected, rtol=0, atol=1e-12)
    with pytest.raises(AssertionError, match="scan was called"):
        par(x)  # the default layer does use the scan
    with pytest.raises(AssertionError, match="scan was called"):
        seq(x, mode="parallel")  # and a per-call mode overrides the layer's


def test_sequence_model_passes_the_mode_on_and_gradients_agree():
    torch.manual_seed(2)
    seq = rt.SequenceModel(
        10,
        6,
        10,
        cell="mingru",
        num_layers=3,
        readout="all",
        vocab_size=10,
        mode="sequential",
        dtype=F64,
    )
    par = rt.SequenceModel(
        10, 6, 10, cell="mingru", num_layers=3, readout="all", vocab_size=10, dtype=F64
    )
    par.load_state_dict(seq.state_dict())
    assert seq.rnn.mode == "sequential" and par.rnn.mode == "parallel"
    tokens = torch.tensor(np.random.default_rng(3).integers(0, 10, (4, 11)))
    grads = []
    for model in (seq, par):
        model.zero_grad()
        model(tokens).square().sum().backward()
        grads.append({k: p.grad.clone() for k, p in model.named_parameters()})
    for name in grads[0]:
        torch.testing.assert_close(
            grads[0][name], grads[1][name], rtol=0, atol=1e-10, msg=name
        )


def test_bad_constructor_mode_and_pickling():
    with pytest.raises(ValueError, match="mode must be one of"):
        rt.MinLSTM(2, 3, mode="scan")
    build = functools.partial(
        rt.SequenceModel, 2, 3, 1, cell="minlstm", mode="sequential"
    )
    assert pickle.loads(pickle.dumps(build))().rnn.mode == "sequential"
