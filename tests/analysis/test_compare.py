"""rnnbook.analysis.compare: each measurement checked against an independent computation."""

import math

import numpy as np
import pytest
import torch

import rnnbook.torch as rt
from rnnbook.analysis.compare import (
    input_gradient_norms,
    lag_profile,
    loglog_slope,
    pca_project,
    reach,
    sequential_steps,
    smallest_passing,
)
from rnnbook.analysis.cost import count_parameters, time_training_step
from rnnbook.book.display import markdown_table

F64 = torch.float64


def _finite_difference_norms(model, x, u, position=-1, eps=1e-6):
    """||d (u . y) / d x_t|| by central differences, one input number at a time: (N, T)."""
    N, T, d = x.shape
    grad = np.zeros_like(x)

    def scalar(xx):
        with torch.no_grad():
            out = model(torch.as_tensor(xx, dtype=F64))
            out = out[:, position] if out.dim() == 3 else out
            return out.numpy() @ u  # (N,)

    for t in range(T):
        for j in range(d):
            plus, minus = x.copy(), x.copy()
            plus[:, t, j] += eps
            minus[:, t, j] -= eps
            grad[:, t, j] = (scalar(plus) - scalar(minus)) / (2 * eps)
    return np.linalg.norm(grad, axis=-1)


def _direction(seed, d_y):
    u = torch.randn(d_y, generator=torch.Generator().manual_seed(seed), dtype=F64)
    return (u / torch.linalg.vector_norm(u)).numpy()


@pytest.mark.parametrize(
    "cell,kwargs,readout",
    [
        ("lstm", {}, "last"),
        ("rnn", {}, "all"),
        ("tcn", {"num_levels": 2}, "last"),
        ("transformer", {"num_layers": 1}, "all"),
    ],
)
def test_input_gradient_norms_match_finite_differences(cell, kwargs, readout):
    torch.manual_seed(0)
    model = rt.SequenceModel(3, 6, 2, cell=cell, readout=readout, dtype=F64, **kwargs)
    x = np.random.default_rng(1).standard_normal((2, 7, 3))
    got = input_gradient_norms(model, x, position=4, seed=3)
    want = _finite_difference_norms(model, x, _direction(3, 2), position=4)
    assert got.shape == (2, 7)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)


def test_input_gradient_norms_perceptron_and_mode_restored():
    torch.manual_seed(0)
    model = rt.FlatMLP(2, 5, 3, hidden_sizes=(4,), dtype=F64)
    model.train()
    x = np.random.default_rng(0).standard_normal((3, 5, 2))
    np.testing.assert_allclose(
        input_gradient_norms(model, x, seed=1),
        _finite_difference_norms(model, x, _direction(1, 3)),
        rtol=1e-6,
        atol=1e-8,
    )
    assert model.training


def test_causal_models_have_no_gradient_from_the_future():
    torch.manual_seed(0)
    x = np.random.default_rng(0).standard_normal((2, 9, 2))
    for cell, kw in [("gru", {}), ("tcn", {"num_levels": 2}), ("transformer", {})]:
        model = rt.SequenceModel(2, 8, 1, cell=cell, readout="all", dtype=F64, **kw)
        norms = input_gradient_norms(model, x, position=4)
        assert np.all(norms[:, 5:] == 0) and np.all(norms[:, :5] > 0), cell


def test_tcn_reach_is_its_receptive_field():
    for k, levels in [(2, 1), (2, 3), (3, 2)]:
        torch.manual_seed(0)
        tcn = rt.SequenceModel(
            1, 8, 1, cell="tcn", num_levels=levels, kernel_size=k, dtype=F64
        )
        R = rt.tcn_receptive_field(k, levels)
        x = np.random.default_rng(0).uniform(
            0.1, 1.0, size=(4, R + 10, 1)
        )  # positive: ReLUs mostly on
        profile = lag_profile(input_gradient_norms(tcn, x))
        assert reach(profile) == R == tcn.body.receptive_field


def test_lag_profile_and_reach_by_hand():
    norms = np.array([[1.0, 2.0, 3.0, 0.0], [3.0, 0.0, 5.0, 2.0]])
    np.testing.assert_array_equal(lag_profile(norms), [1.0, 4.0, 1.0, 2.0])
    np.testing.assert_array_equal(lag_profile(norms, end=2), [4.0, 1.0, 2.0])
    np.testing.assert_array_equal(lag_profile(norms, end=0), [2.0])
    assert reach([5.0, 1.0, 0.0, 1e-3, 0.0]) == 4
    assert reach([5.0, 1.0, 0.0, 1e-3, 0.0], tol=1e-2) == 2
    assert reach([0.0, 0.0]) == 0
    with pytest.raises(ValueError, match="end"):
        lag_profile(norms, end=4)
    with pytest.raises(ValueError, match=r"\(N, T\)"):
        lag_profile(np.ones(3))


def test_sequential_steps():
    T = 37
    assert sequential_steps(rt.GRU(2, 4, num_layers=3), T) == 3 * T
    assert (
        sequential_steps(torch.nn.LSTM(2, 4, num_layers=2, bidirectional=True), T)
        == 2 * T
    )
    assert (
        sequential_steps(rt.SequenceModel(2, 4, 1, cell="rnn", num_layers=2), T)
        == 2 * T
    )
    assert (
        sequential_steps(rt.SequenceModel(2, 4, 1, cell="tcn", num_levels=5), T) == 10
    )
    assert (
        sequential_steps(rt.SequenceModel(2, 4, 1, cell="transformer", num_layers=3), T)
        == 3
    )
    assert sequential_steps(rt.FlatMLP(2, T, 1, hidden_sizes=(8,)), T) == 1
    with pytest.raises(TypeError, match="Linear"):
        sequential_steps(torch.nn.Linear(2, 2), T)
    with pytest.raises(ValueError, match="T"):
        sequential_steps(rt.GRU(2, 4), 0)


def test_time_training_step_counts_calls_and_clears_gradients():
    model = torch.nn.Linear(3, 1)
    calls = []

    def loss_fn(m):
        assert all(p.grad is None for p in m.parameters())  # cleared before every call
        calls.append(1)
        return m(torch.ones(2, 3)).sum()

    seconds = time_training_step(model, loss_fn, repeats=4, warmup=2)
    assert len(calls) == 6 and 0 < seconds < 1.0


def test_loglog_slope_recovers_exponent():
    x = np.array([16, 32, 64, 128, 256])
    assert loglog_slope(x, 3.0 * x**1.5) == pytest.approx(1.5, abs=1e-12)
    assert loglog_slope(x, np.full(5, 2.0)) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="positive"):
        loglog_slope([1, 2], [0.0, 1.0])
    with pytest.raises(ValueError, match="same number"):
        loglog_slope([1, 2, 3], [1.0, 2.0])


def test_count_parameters_against_formula():
    d_x, d_h = 3, 5
    assert count_parameters(rt.LSTM(d_x, d_h)) == 4 * d_h * (d_x + d_h + 2)
    m = rt.FlatMLP(2, 10, 1, hidden_sizes=(7,))
    assert count_parameters(m) == (20 * 7 + 7) + (7 + 1)
    m.layers[0].weight.requires_grad_(False)
    assert count_parameters(m) == 7 + 7 + 1


def test_smallest_passing():
    scores = {8: 0.2, 16: 0.04, 32: 0.01, 64: 0.03}
    assert smallest_passing(scores, 0.05) == 16
    assert smallest_passing(scores, 0.02) == 32
    assert smallest_passing(scores, 0.001) is None
    assert (
        smallest_passing({4: 0.5, 8: 0.9, 2: math.nan}, 0.8, lower_is_better=False) == 8
    )


def test_pca_project_against_covariance_eigenvectors():
    rng = np.random.default_rng(0)
    h = (
        rng.standard_normal((200, 2))
        @ np.array([[3.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 0.5]])
        + 7.0
    )
    coords, explained = pca_project(h, k=2)
    centred = h - h.mean(axis=0)
    evals, evecs = np.linalg.eigh(np.cov(centred.T, bias=True))
    order = np.argsort(evals)[::-1][:2]
    np.testing.assert_allclose(explained, evals[order] / evals.sum(), rtol=1e-10)
    for i, j in enumerate(order):  # same axes up to sign
        np.testing.assert_allclose(
            np.abs(coords[:, i]), np.abs(centred @ evecs[:, j]), rtol=1e-8, atol=1e-10
        )
    np.testing.assert_allclose(coords.mean(axis=0), 0.0, atol=1e-10)
    with pytest.raises(ValueError, match="k must be"):
        pca_project(h, k=5)


def test_markdown_table():
    text = markdown_table(["a", "b"], [[1, "x|y"], [2.5, "z"]])
    assert text.splitlines() == [
        "| a | b |",
        "|---|---|",
        "| 1 | x\\|y |",
        "| 2.5 | z |",
    ]
    with pytest.raises(ValueError, match="row 0"):
        markdown_table(["a", "b"], [[1]])


def test_torch_nn_reference_model_reads_the_last_step():
    from rnnbook.analysis.cost import TorchNNModel

    torch.manual_seed(0)
    model = TorchNNModel("lstm", 3, 5, 2)
    x = torch.randn(4, 7, 3)
    expected = model.decoder(model.rnn(x)[0][:, -1])
    assert torch.equal(model(x), expected) and model(x).shape == (4, 2)
    with pytest.raises(ValueError, match="cell must be one of"):
        TorchNNModel("tcn", 3, 5, 2)
