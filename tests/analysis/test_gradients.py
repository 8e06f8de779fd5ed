"""rnnbook.analysis.gradients: the one-unit RNN's loss surface and descent on it, SGD traces per parameter,
models with a named recurrent initialisation."""

import functools
import math

import numpy as np
import pytest
import torch

from rnnbook.analysis.gradients import (
    BOOK_SYMBOLS,
    descend,
    initialised_model,
    one_unit_rnn,
    trace_many,
    trace_sgd,
)
from rnnbook.data.synthetic import adding_problem
from rnnbook.init import spectral_norms
from rnnbook.torch.optim import snap_to_float32_
from rnnbook.training.supervised import fit


@pytest.fixture(autouse=True)
def float64():
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


def _loop_loss(w, b, T, h0, target):
    h = h0
    for _ in range(T):
        h = math.tanh(w * h + b)
    return (h - target) ** 2


def test_one_unit_loss_is_the_recurrence_and_broadcasts():
    w = np.linspace(-1.5, 3.0, 7)[:, None]
    b = np.linspace(-2.0, 1.0, 5)[None, :]
    loss, gw, gb = one_unit_rnn(w, b, T=12, h0=0.3, target=-0.2)
    assert loss.shape == gw.shape == gb.shape == (7, 5)
    for i in range(7):
        for j in range(5):
            assert loss[i, j] == pytest.approx(
                _loop_loss(w[i, 0], b[0, j], 12, 0.3, -0.2), rel=1e-13, abs=1e-15
            )


def test_one_unit_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    w, b = rng.uniform(-1.0, 2.5, 20), rng.uniform(-1.5, 1.0, 20)
    T, h0, target = 8, 0.5, 0.4
    _, gw, gb = one_unit_rnn(w, b, T=T, h0=h0, target=target)
    eps = 1e-6
    num_w = (
        one_unit_rnn(w + eps, b, T=T, h0=h0, target=target)[0]
        - one_unit_rnn(w - eps, b, T=T, h0=h0, target=target)[0]
    ) / (2 * eps)
    num_b = (
        one_unit_rnn(w, b + eps, T=T, h0=h0, target=target)[0]
        - one_unit_rnn(w, b - eps, T=T, h0=h0, target=target)[0]
    ) / (2 * eps)
    np.testing.assert_allclose(gw, num_w, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(gb, num_b, rtol=1e-6, atol=1e-9)


def _stable_fixed_points(w, b):
    """Fixed points h = tanh(w h + b) with |slope| < 1, by bisection on a fine sign-change scan."""
    grid = np.linspace(-1.0, 1.0, 20001)
    f = np.tanh(w * grid + b) - grid
    roots = []
    for i in np.nonzero(np.sign(f[:-1]) != np.sign(f[1:]))[0]:
        lo, hi = grid[i], grid[i + 1]
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            if np.sign(np.tanh(w * mid + b) - mid) == np.sign(np.tanh(w * lo + b) - lo):
                lo = mid
            else:
                hi = mid
        h = 0.5 * (lo + hi)
        if w * (1 - np.tanh(w * h + b) ** 2) < 1:
            roots.append(h)
    return roots


def test_the_cliff_is_where_the_basin_boundary_crosses_h0():
    # For w = 2 the unit is bistable near b = 0. Its unstable fixed point u solves
    # u = tanh(w u + b); h_0 lies on the boundary between the two basins when u = h_0, that is
    # at b* = artanh(h_0) - w h_0. Just above b*, h_T settles on the upper fixed point; just below, on
    # the lower one: the loss jumps across the line, and the gradient is largest on it.
    w, h0, target, T = 2.0, 0.5, 0.6, 60
    b_star = math.atanh(h0) - w * h0
    low, high = sorted(_stable_fixed_points(w, b_star))
    above = one_unit_rnn(w, b_star + 1e-3, T=T, h0=h0, target=target)[0]
    below = one_unit_rnn(w, b_star - 1e-3, T=T, h0=h0, target=target)[0]
    assert above == pytest.approx((high - target) ** 2, abs=1e-2)
    assert below == pytest.approx((low - target) ** 2, abs=1e-2)
    assert below - above > 1.0
    b = b_star + np.linspace(-0.05, 0.05, 1001)
    _, _, gb = one_unit_rnn(w, b, T=T, h0=h0, target=target)
    assert abs(b[np.argmax(np.abs(gb))] - b_star) < 2e-3
    assert np.max(np.abs(gb)) > 1e3 * np.abs(gb[[0, -1]]).max()


def test_descend_without_clipping_is_plain_gradient_descent():
    kw = dict(T=10, h0=0.5, target=0.6)
    path, norms, losses = descend(1.5, 0.0, lr=0.1, steps=5, **kw)
    point = np.array([1.5, 0.0])
    for k in range(5):
        loss, gw, gb = one_unit_rnn(point[0], point[1], **kw)
        assert losses[k] == pytest.approx(float(loss), rel=1e-14)
        assert norms[k] == pytest.approx(math.hypot(float(gw), float(gb)), rel=1e-14)
        point = point - 0.1 * np.array([float(gw), float(gb)])
        np.testing.assert_allclose(path[k + 1], point, rtol=1e-14)
    assert path.shape == (6, 2) and norms.shape == (5,) and losses.shape == (6,)


def test_descend_with_clipping_caps_every_step():
    kw = dict(T=50, h0=0.5, target=0.6)
    raw_path, raw_norms, _ = descend(1.5, 0.0, lr=0.1, steps=40, **kw)
    path, norms, _ = descend(1.5, 0.0, lr=0.1, steps=40, clip=1.0, **kw)
    steps = np.hypot(*np.diff(path, axis=0).T)
    assert np.all(steps <= 0.1 * 1.0 * (1 + 1e-12))
    big = norms > 1.0
    assert (
        big.any()
    )  # the path meets the cliff, where the gradient is larger than the threshold
    np.testing.assert_allclose(steps[big], 0.1, rtol=1e-12)
    np.testing.assert_allclose(steps[~big], 0.1 * norms[~big], rtol=1e-12)
    # a threshold above every gradient changes nothing
    same, _, _ = descend(1.5, 0.0, lr=0.1, steps=40, clip=10 * raw_norms.max(), **kw)
    np.testing.assert_array_equal(same, raw_path)


def test_bad_arguments():
    with pytest.raises(ValueError, match="T must"):
        one_unit_rnn(1.0, 0.0, T=0, h0=0.5, target=0.0)
    with pytest.raises(ValueError, match="clip"):
        descend(1.0, 0.0, lr=0.1, steps=3, clip=0.0, T=5, h0=0.5, target=0.0)
    with pytest.raises(ValueError, match="init must"):
        initialised_model("xavier")
    with pytest.raises(ValueError, match="sigma_max"):
        initialised_model("scaled")
    with pytest.raises(ValueError, match="sigma_max"):
        initialised_model("default", sigma_max=2.0)


@pytest.mark.parametrize("impl", ["rnnbook", "torch.nn"])
def test_initialised_models(impl):
    torch.manual_seed(3)
    reference = initialised_model("default", impl=impl)
    torch.manual_seed(3)
    orth = initialised_model("orthogonal", init_seed=1, impl=impl)
    W = orth.rnn.weight_hh_l0.detach().numpy()
    np.testing.assert_allclose(W.T @ W, np.eye(32), atol=1e-12)
    # only W_hh differs from the default draw
    for (name, p), q in zip(orth.named_parameters(), reference.parameters()):
        if name != "rnn.weight_hh_l0":
            assert torch.equal(p, q)
    irnn = initialised_model("identity", nonlinearity="relu", impl=impl)
    assert torch.equal(irnn.rnn.weight_hh_l0, torch.eye(32))
    assert not irnn.rnn.bias_ih_l0.any() and not irnn.rnn.bias_hh_l0.any()
    scaled = initialised_model("scaled", sigma_max=4.0, impl=impl)
    assert spectral_norms(scaled.rnn)["weight_hh_l0"][0] == pytest.approx(
        4.0, rel=1e-12
    )


def _adding(n=256, T=6):
    return adding_problem(n, T, seed=1)


def test_trace_records_the_same_run_as_fit_with_sgd():
    x, y = _adding()
    build = functools.partial(initialised_model, "scaled", sigma_max=2.0, hidden_size=8)
    trace = trace_sgd(build, x, y, seed=4, steps=15, lr=0.05, batch_size=16)
    torch.manual_seed(4)
    model = build()
    hist = fit(
        model,
        x,
        y,
        loss="mse",
        steps=15,
        batch_size=16,
        optimizer=torch.optim.SGD(model.parameters(), lr=0.05),
        clip=None,
        seed=4,
        progress=False,
    )
    np.testing.assert_allclose(trace.loss, hist.train_loss, rtol=1e-12)
    np.testing.assert_allclose(trace.total_grad_norm, hist.grad_norm, rtol=1e-12)
    params = dict(model.named_parameters())
    for name, symbol in BOOK_SYMBOLS.items():
        assert trace.param_norm[symbol][-1] == pytest.approx(
            float(params[name].detach().norm()), rel=1e-12
        )
    assert list(trace.steps) == list(range(1, 16))


def test_trace_gradient_norms_per_parameter_and_clipping():
    x, y = _adding()
    build = functools.partial(initialised_model, "scaled", sigma_max=4.0, hidden_size=8)
    trace = trace_sgd(build, x, y, seed=0, steps=1, lr=0.1, batch_size=32, clip=0.01)
    # recompute the first step's gradient by hand
    torch.manual_seed(0)
    model = build()
    start = {n: p.detach().clone() for n, p in model.named_parameters()}
    idx = torch.as_tensor(
        np.random.default_rng(0).choice(len(x), size=32, replace=False)
    )
    out = model(torch.as_tensor(x)[idx])[:, 0]
    loss = ((out - torch.as_tensor(y)[idx]) ** 2).mean()
    loss.backward()
    grads = {n: p.grad.detach().clone() for n, p in model.named_parameters()}
    total = math.sqrt(sum(float((g**2).sum()) for g in grads.values()))
    assert trace.total_grad_norm[0] == pytest.approx(total, rel=1e-12)
    for name, symbol in BOOK_SYMBOLS.items():
        assert trace.grad_norm[symbol][0] == pytest.approx(
            float(grads[name].norm()), rel=1e-12
        )
    # both torch biases receive dL/db_h
    assert torch.allclose(
        grads["rnn.bias_ih_l0"], grads["rnn.bias_hh_l0"], rtol=1e-12, atol=0
    )
    # the clipped step moved every parameter by lr * clip * g / ||g||
    assert total > 0.01
    for name, symbol in BOOK_SYMBOLS.items():
        moved = start[name] - 0.1 * 0.01 * grads[name] / total
        snap_to_float32_(
            moved
        )  # trace_sgd, like fit, rounds the parameters to the float32 grid
        assert trace.param_norm[symbol][0] == pytest.approx(
            float(moved.norm()), rel=1e-12
        )
        assert trace.param_norm_start[symbol] == pytest.approx(
            float(start[name].norm()), rel=1e-14
        )


def test_trace_many_equals_one_by_one_and_evaluates():
    x, y = _adding()
    xe, ye = adding_problem(64, 6, seed=2)
    build = functools.partial(initialised_model, "default", hidden_size=4)
    runs = {
        s: dict(
            build=build,
            x=x,
            y=y,
            seed=s,
            steps=6,
            lr=0.05,
            batch_size=16,
            eval_data=(xe, ye),
            eval_every=3,
        )
        for s in (0, 1)
    }
    many = trace_many(runs, processes=1)
    assert list(many) == [0, 1]
    for s, trace in many.items():
        alone = trace_sgd(**runs[s])
        np.testing.assert_array_equal(trace.loss, alone.loss)
        assert trace.eval_steps == [3, 6] and len(trace.eval_loss) == 2


def test_trace_needs_a_one_layer_rnn():
    x, y = _adding()
    from rnnbook.torch import SequenceModel

    with pytest.raises(ValueError, match="one-layer RNN"):
        trace_sgd(
            functools.partial(SequenceModel, 2, 4, 1, cell="gru"), x, y, steps=1, lr=0.1
        )
