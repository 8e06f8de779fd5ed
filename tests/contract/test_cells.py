"""The cell functions in the book's notation (rnn_cell, lstm_cell, gru_cell) are the reference.

For random shapes, every layer's fast path (forward over a sequence, one layer, one direction,
with and without bias) equals a Python loop of its backend's cell function in float64; the NumPy
and Torch cells agree; and the step functions of the fast paths equal the cells.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import rnnbook.numpy as rn
import rnnbook.torch as rt

ATOL = 1e-12

# (cell, layer kwargs): every variant of every cell the layers implement.
VARIANTS = [
    ("rnn", {"nonlinearity": "tanh"}),
    ("rnn", {"nonlinearity": "relu"}),
    ("rnn", {"nonlinearity": "sigmoid"}),
    ("lstm", {}),
    ("gru", {"reset_after": True}),
    ("gru", {"reset_after": False}),
]
IDS = [f"{c}-{'-'.join(str(v) for v in kw.values())}" for c, kw in VARIANTS]


def _sizes(seed: int) -> tuple[int, int, int, int]:
    rng = np.random.default_rng(seed)
    return tuple(int(v) for v in rng.integers(1, 7, size=4))  # T, N, d_x, d_h


def _cell(backend, cell, kw, weights, x_t, state):
    """One step of ``backend``'s (rn or rt) cell function from the layer-0 weights: the new state tuple."""
    w = (
        weights["weight_ih_l0"],
        weights["weight_hh_l0"],
        weights.get("bias_ih_l0"),
        weights.get("bias_hh_l0"),
    )
    if cell == "rnn":
        return (backend.rnn_cell(x_t, state[0], *w, **kw),)
    if cell == "lstm":
        return backend.lstm_cell(x_t, state[0], state[1], *w)
    return (backend.gru_cell(x_t, state[0], *w, **kw),)


def _numpy_cell(cell, kw, weights, x_t, state):
    return _cell(rn, cell, kw, weights, x_t, state)


def _torch_cell(cell, kw, weights, x_t, state):
    return _cell(rt, cell, kw, weights, x_t, state)


def _state_count(cell: str) -> int:
    return 2 if cell == "lstm" else 1


def _case(seed: int, cell: str):
    T, N, d_x, d_h = _sizes(seed)
    rng = np.random.default_rng(100 + seed)
    x = rng.normal(size=(T, N, d_x))
    state0 = tuple(rng.normal(size=(N, d_h)) for _ in range(_state_count(cell)))
    return x, state0, d_x, d_h


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("cell,kw", VARIANTS, ids=IDS)
@pytest.mark.parametrize("seed", range(3))
def test_numpy_layer_equals_a_loop_of_its_cell(cell, kw, bias, seed):
    x, state0, d_x, d_h = _case(seed, cell)
    layer = rn.make_recurrent(cell, d_x, d_h, bias=bias, seed=seed, **kw)
    hx = tuple(s[None] for s in state0)
    out, h_n = layer.forward(x, hx[0] if len(hx) == 1 else hx)
    state, outs = state0, []
    for x_t in x:
        state = _numpy_cell(cell, kw, layer.params, x_t, state)
        outs.append(state[0])
    np.testing.assert_allclose(out, np.stack(outs), rtol=0, atol=ATOL)
    finals = h_n if isinstance(h_n, tuple) else (h_n,)
    for got, want in zip(finals, state):
        np.testing.assert_allclose(got[0], want, rtol=0, atol=ATOL)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("cell,kw", VARIANTS, ids=IDS)
@pytest.mark.parametrize("seed", range(3))
def test_torch_layer_equals_a_loop_of_its_cell(cell, kw, bias, seed):
    x, state0, d_x, d_h = _case(seed, cell)
    torch.manual_seed(seed)
    layer = rt.make_recurrent(cell, d_x, d_h, bias=bias, dtype=torch.float64, **kw)
    xt = torch.tensor(x)
    hx = tuple(torch.tensor(s)[None] for s in state0)
    weights = dict(layer.named_parameters())
    with torch.no_grad():
        out, h_n = layer(xt, hx[0] if len(hx) == 1 else hx)
        state, outs = tuple(torch.tensor(s) for s in state0), []
        for x_t in xt:
            state = _torch_cell(cell, kw, weights, x_t, state)
            outs.append(state[0])
    torch.testing.assert_close(out, torch.stack(outs), rtol=0, atol=ATOL)
    finals = h_n if isinstance(h_n, tuple) else (h_n,)
    for got, want in zip(finals, state):
        torch.testing.assert_close(got[0], want, rtol=0, atol=ATOL)


@pytest.mark.parametrize("bias", [True, False])
def test_fused_lstm_equals_a_loop_of_the_cell(bias):
    from rnnbook.torch.fused import FusedLSTM

    x, (h0, c0), d_x, d_h = _case(7, "lstm")
    torch.manual_seed(7)
    layer = FusedLSTM(d_x, d_h, bias=bias, dtype=torch.float64, backend="eager")
    weights = dict(layer.named_parameters())
    xt = torch.tensor(x)
    with torch.no_grad():
        out, _ = layer(xt, (torch.tensor(h0)[None], torch.tensor(c0)[None]))
        state, outs = (torch.tensor(h0), torch.tensor(c0)), []
        for x_t in xt:
            state = _torch_cell("lstm", {}, weights, x_t, state)
            outs.append(state[0])
    torch.testing.assert_close(out, torch.stack(outs), rtol=0, atol=ATOL)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("cell,kw", VARIANTS, ids=IDS)
@pytest.mark.parametrize("seed", range(3))
def test_numpy_cell_equals_torch_cell(cell, kw, bias, seed):
    x, state0, d_x, d_h = _case(seed, cell)
    layer = rn.make_recurrent(cell, d_x, d_h, bias=bias, seed=seed, **kw)
    got = _numpy_cell(cell, kw, layer.params, x[0], state0)
    weights = {k: torch.tensor(v) for k, v in layer.params.items()}
    want = _torch_cell(
        cell, kw, weights, torch.tensor(x[0]), tuple(torch.tensor(s) for s in state0)
    )
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b.numpy(), rtol=0, atol=ATOL)


def _step_inputs(layer, x_t):
    """The fast path's precomputed input term ``W_ih x_t + b_ih`` and its weights."""
    p = layer.params
    xw_t = x_t @ p["weight_ih_l0"].T
    if "bias_ih_l0" in p:
        xw_t = xw_t + p["bias_ih_l0"]
    return xw_t, p["weight_hh_l0"], p.get("bias_hh_l0")


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("cell,kw", VARIANTS, ids=IDS)
@pytest.mark.parametrize("seed", range(3))
def test_numpy_step_functions_equal_the_cells(cell, kw, bias, seed):
    x, state0, d_x, d_h = _case(seed, cell)
    layer = rn.make_recurrent(cell, d_x, d_h, bias=bias, seed=seed, **kw)
    want = _numpy_cell(cell, kw, layer.params, x[0], state0)
    xw_t, w_hh, b_hh = _step_inputs(layer, x[0])
    if cell == "rnn":
        got = (rn.rnn_step_forward(xw_t, state0[0], w_hh, b_hh, kw["nonlinearity"]),)
    elif cell == "lstm":
        got = rn.lstm_step_forward(xw_t, state0[0], state0[1], w_hh, b_hh)[:2]
    else:
        got = rn.gru_step_forward(xw_t, state0[0], w_hh, b_hh, kw["reset_after"])[:1]
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=0, atol=ATOL)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("cell,kw", VARIANTS, ids=IDS)
def test_torch_step_functions_equal_the_cells(cell, kw, bias):
    x, state0, d_x, d_h = _case(5, cell)
    layer = rn.make_recurrent(cell, d_x, d_h, bias=bias, seed=5, **kw)
    weights = {k: torch.tensor(v) for k, v in layer.params.items()}
    x_t, state = torch.tensor(x[0]), tuple(torch.tensor(s) for s in state0)
    want = _torch_cell(cell, kw, weights, x_t, state)
    xw_t, w_hh, b_hh = (
        None if v is None else torch.tensor(v) for v in _step_inputs(layer, x[0])
    )
    if cell == "rnn":
        got = (rt.rnn_step_forward(xw_t, state[0], w_hh, b_hh, kw["nonlinearity"]),)
    elif cell == "lstm":
        got = rt.lstm_step_forward(xw_t, state[0], state[1], w_hh, b_hh)
    else:
        got = (rt.gru_step_forward(xw_t, state[0], w_hh, b_hh, kw["reset_after"]),)
    for a, b in zip(got, want):
        torch.testing.assert_close(a, b, rtol=0, atol=ATOL)
