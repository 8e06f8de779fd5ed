"""The hand-written NumPy backward passes (RNN, LSTM, GRU) against centred finite differences, in float64."""

import itertools

import numpy as np
import pytest

import rnnbook.numpy as rnp
from conftest import LAYER_NAMES
from rnnbook.numpy import (
    GRU,
    LSTM,
    RNN,
    check_layer_gradients,
    numerical_gradient,
    relative_error,
)

LAYERS = [getattr(rnp, name) for name in LAYER_NAMES]  # RNN, LSTM, GRU
TOL = 1e-6  # the bound; observed errors are around 1e-9 (finite-difference noise at eps=1e-6)

CASES = [
    # (T, N, d_x, d_h, layer kwargs)
    (1, 1, 1, 1, {}),  # the smallest possible case
    (1, 3, 2, 4, {}),  # T = 1
    (5, 1, 3, 4, {}),  # N = 1
    (4, 2, 3, 1, {}),  # hidden_size = 1
    (4, 2, 3, 5, {"nonlinearity": "relu"}),
    (4, 2, 3, 4, {"num_layers": 2}),
    (4, 2, 3, 4, {"bidirectional": True}),
    (3, 2, 3, 4, {"num_layers": 2, "bidirectional": True, "nonlinearity": "relu"}),
    (4, 3, 2, 3, {"batch_first": True, "num_layers": 2}),
    (4, 2, 3, 4, {"bias": False, "bidirectional": True}),
    (4, 2, 3, 4, {"nonlinearity": "sigmoid", "num_layers": 2, "bidirectional": True}),
]


GATED_CASES = [
    (LSTM, 1, 1, 1, 1, {}),
    (LSTM, 4, 2, 3, 4, {"num_layers": 2, "bidirectional": True}),
    (LSTM, 5, 3, 2, 1, {"batch_first": True}),
    (LSTM, 4, 2, 3, 4, {"bias": False}),
    (GRU, 1, 1, 1, 1, {}),
    (GRU, 4, 2, 3, 4, {"num_layers": 2, "bidirectional": True}),
    (GRU, 5, 3, 2, 1, {"batch_first": True}),
    (GRU, 1, 1, 1, 1, {"reset_after": False}),
    (GRU, 4, 2, 3, 4, {"reset_after": False, "num_layers": 2, "bidirectional": True}),
    (GRU, 4, 2, 3, 4, {"reset_after": False, "bias": False}),
]


@pytest.mark.parametrize(
    "cls, T, N, d_x, d_h, kwargs", [(RNN, *c) for c in CASES] + GATED_CASES
)
def test_backward_matches_finite_differences(cls, T, N, d_x, d_h, kwargs):
    layer = cls(d_x, d_h, seed=0, **kwargs)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((N, T, d_x) if kwargs.get("batch_first") else (T, N, d_x))
    D = 2 if kwargs.get("bidirectional") else 1
    shape = (D * layer.num_layers, N, d_h)
    hx = tuple(rng.standard_normal(shape) * 0.5 for _ in range(layer.state_count))
    errors = check_layer_gradients(layer, x, hx if layer.state_count > 1 else hx[0])
    names = {"h_0", "c_0"} if layer.state_count > 1 else {"hx"}
    assert set(errors) == {"input", *names, *layer.params}
    worst = max(errors, key=errors.get)
    assert errors[worst] <= TOL, f"{worst}: relative error {errors[worst]:.2e}"


@pytest.mark.parametrize("cls", LAYERS, ids=LAYER_NAMES)
def test_unbatched_input_gradients(cls):
    layer = cls(3, 4, num_layers=2, bidirectional=True, seed=2)
    x = np.random.default_rng(3).standard_normal((5, 3))
    errors = check_layer_gradients(layer, x)
    assert max(errors.values()) <= TOL


def test_gradient_check_detects_a_wrong_backward():
    """The check must be able to fail: perturb one analytic gradient and it must notice."""
    layer = RNN(2, 3, seed=0)
    x = np.random.default_rng(0).standard_normal((4, 2, 2))
    out, h_n = layer.forward(x)
    layer.backward(np.ones_like(out), np.ones_like(h_n))
    analytic = layer.grads["weight_hh_l0"].copy()
    numeric = numerical_gradient(
        lambda: float(layer.forward(x)[0].sum() + layer.forward(x)[1].sum()),
        layer.params["weight_hh_l0"],
    )
    assert relative_error(analytic, numeric) < TOL
    analytic[0, 0] += 1e-3
    assert relative_error(analytic, numeric) > 1e-4


def test_full_bptt_equals_sum_of_per_step_contributions():
    """dL/dW_hh equals the explicit sum over t of dL/da_t h_{t-1}^T: the equation in the book."""
    layer = RNN(2, 3, seed=4)
    x = np.random.default_rng(5).standard_normal((6, 1, 2))
    out, _ = layer.forward(x)
    d_out = np.random.default_rng(6).standard_normal(out.shape)
    layer.backward(d_out)
    W_hh = layer.params["weight_hh_l0"]
    h_prev = np.concatenate([np.zeros((1, 1, 3)), out[:-1]])
    dh_next = np.zeros((1, 3))
    total = np.zeros_like(W_hh)
    for t in reversed(range(6)):
        da = (d_out[t] + dh_next) * (1 - out[t] ** 2)
        total += da.T @ h_prev[t]
        dh_next = da @ W_hh
    np.testing.assert_allclose(layer.grads["weight_hh_l0"], total, atol=1e-14)


@pytest.mark.parametrize(
    "nonlinearity, bidirectional",
    list(itertools.product(["tanh", "relu"], [False, True])),
)
def test_grads_keys_and_shapes_match_params(nonlinearity, bidirectional):
    layer = RNN(
        3,
        2,
        num_layers=2,
        nonlinearity=nonlinearity,
        bidirectional=bidirectional,
        seed=0,
    )
    out, h_n = layer.forward(np.ones((2, 1, 3)))
    d_x, d_hx = layer.backward(out, h_n)
    assert d_x.shape == (2, 1, 3) and d_hx.shape == h_n.shape
    assert {k: v.shape for k, v in layer.grads.items()} == {
        k: v.shape for k, v in layer.params.items()
    }


@pytest.mark.parametrize("cls", LAYERS, ids=LAYER_NAMES)
def test_state_grads_equal_the_initial_state_gradient_of_the_remaining_sequence(cls):
    """dL/dh_t (and dL/dc_t) from later steps equals d_hx of a run on x[t+1:] started from the state at t.

    An independent route to the per-step gradients that layer.state_grads records (chapter 5 plots them).
    """
    T, N, d_x, d_h = 6, 2, 3, 4
    layer = cls(d_x, d_h, seed=0)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((T, N, d_x))
    d_out = rng.standard_normal((T, N, d_h))
    d_final = tuple(rng.standard_normal((1, N, d_h)) for _ in range(layer.state_count))
    pack = (lambda s: s) if layer.state_count > 1 else (lambda s: s[0])  # noqa: E731
    layer.forward(x)
    layer.backward(d_out, pack(d_final))
    recorded = layer.state_grads[0]
    for t in range(T - 1):
        # the state at step t, from a forward over x[: t + 1]
        _, state_t = layer.forward(x[: t + 1])
        suffix = cls(d_x, d_h, seed=0)
        suffix.forward(x[t + 1 :], state_t)
        _, d_state_t = suffix.backward(d_out[t + 1 :], pack(d_final))
        d_state_t = d_state_t if isinstance(d_state_t, tuple) else (d_state_t,)
        np.testing.assert_allclose(
            recorded[0][t], d_out[t] + d_state_t[0][0], atol=1e-12
        )
        if cls is LSTM:
            np.testing.assert_allclose(recorded[1][t], d_state_t[1][0], atol=1e-12)
    np.testing.assert_allclose(
        recorded[0][T - 1], d_out[T - 1] + d_final[0][0], atol=1e-12
    )


def test_sigmoid_rnn_backends_agree_with_a_transcription():
    """torch.nn has no sigmoid RNN: compare both backends with h_t = sigmoid(W_xh x_t + b_ih + W_hh h_{t-1} + b_hh) by autograd."""
    import torch

    import rnnbook.torch as rtorch

    layer = RNN(3, 4, nonlinearity="sigmoid", seed=0)
    p = {k: torch.tensor(v, requires_grad=True) for k, v in layer.params.items()}
    x = np.random.default_rng(0).standard_normal((5, 2, 3))
    h, hs = torch.zeros(2, 4, dtype=torch.float64), []
    for x_t in torch.tensor(x):
        h = torch.sigmoid(
            x_t @ p["weight_ih_l0"].T
            + p["bias_ih_l0"]
            + h @ p["weight_hh_l0"].T
            + p["bias_hh_l0"]
        )
        hs.append(h)
    want = torch.stack(hs)
    want.sum().backward()
    out, _ = layer.forward(x)
    np.testing.assert_allclose(out, want.detach().numpy(), atol=1e-14)
    layer.backward(np.ones_like(out))
    for k in p:
        np.testing.assert_allclose(layer.grads[k], p[k].grad.numpy(), atol=1e-13)
    ours = rtorch.RNN(3, 4, nonlinearity="sigmoid", dtype=torch.float64)
    ours.load_state_dict({k: torch.tensor(v) for k, v in layer.params.items()})
    np.testing.assert_allclose(
        ours(torch.tensor(x))[0].detach().numpy(), want.detach().numpy(), atol=1e-14
    )


def test_lstm_step_writes_into_out_exactly_what_it_returns_without_it():
    # The layer passes its storage for step t as out=; a step called alone allocates. Same numbers.
    from rnnbook.numpy.lstm import lstm_step_backward, lstm_step_forward

    rng = np.random.default_rng(3)
    N, H = 3, 2
    xw, W, b = (
        rng.standard_normal((N, 4 * H)),
        rng.standard_normal((4 * H, H)),
        rng.standard_normal(4 * H),
    )
    h, c, dh, dc = (rng.standard_normal((N, H)) for _ in range(4))
    h_t, c_t, gates = lstm_step_forward(xw, h, c, W, b)
    out = np.full((N, 4 * H), np.nan)
    h_o, c_o, gates_o = lstm_step_forward(xw, h, c, W, b, out=out)
    assert gates_o is out
    np.testing.assert_array_equal(out, gates)
    np.testing.assert_array_equal(h_o, h_t)
    np.testing.assert_array_equal(c_o, c_t)
    want = lstm_step_backward(dh, dc, gates, c, np.tanh(c_t), W)
    out = np.full((N, 4 * H), np.nan)
    got = lstm_step_backward(dh, dc, gates, c, np.tanh(c_t), W, out=out)
    assert got[0] is out
    for a, b_ in zip(got, want):
        np.testing.assert_array_equal(a, b_)
