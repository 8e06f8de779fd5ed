"""Activations, softmax, log-sum-exp and cross-entropy: values, derivatives, stability, bad input."""

import numpy as np
import pytest
import torch

from rnnbook.numpy import (
    cross_entropy,
    d_relu,
    d_sigmoid,
    d_tanh,
    log_softmax,
    logsumexp,
    numerical_gradient,
    relative_error,
    relu,
    sigmoid,
    softmax,
    tanh,
)

Z = np.random.default_rng(0).standard_normal(50) * 3


@pytest.mark.parametrize("f, df", [(tanh, d_tanh), (sigmoid, d_sigmoid)])
def test_smooth_derivatives_match_finite_differences(f, df):
    z = Z.copy()
    for i in range(z.size):
        num = numerical_gradient(lambda: float(f(z)[i]), z)[i]
        assert abs(num - df(z)[i]) < 1e-8


def test_relu_and_its_derivative():
    z = np.array([-2.0, -1e-3, 0.0, 1e-3, 3.0])
    np.testing.assert_array_equal(relu(z), [0, 0, 0, 1e-3, 3.0])
    np.testing.assert_array_equal(d_relu(z), [0, 0, 0, 1, 1])


def test_sigmoid_is_finite_and_exact_for_large_inputs():
    z = np.array([-1e4, -800.0, -30.0, 0.0, 30.0, 800.0, 1e4])
    with np.errstate(
        over="raise", invalid="raise", divide="raise"
    ):  # any overflow in exp would raise here
        s = sigmoid(z)
    want = torch.sigmoid(torch.tensor(z)).numpy()
    np.testing.assert_allclose(s, want, rtol=1e-15, atol=0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("H", [1, 2, 3, 8])
def test_sigmoid_and_tanh_in_place_on_gate_blocks(dtype, H):
    """``out=`` a strided block of a gates array, as the LSTM step uses them, equals the plain call.

    H = 1 in float32 is the case where NumPy 2.4's in-place ``np.negative`` on such a view went wrong.
    """
    rng = np.random.default_rng(H)
    a = (3 * rng.standard_normal((5, 4 * H))).astype(dtype)
    for fn in (sigmoid, tanh):
        for block in range(4):
            cols = slice(block * H, (block + 1) * H)
            want = fn(a[:, cols].copy())
            got = a.copy()
            returned = fn(got[:, cols], out=got[:, cols])
            np.testing.assert_array_equal(got[:, cols], want)
            np.testing.assert_array_equal(
                np.delete(got, np.s_[cols], axis=1), np.delete(a, np.s_[cols], axis=1)
            )
            assert np.shares_memory(returned, got)
    assert sigmoid(0.0) == 0.5 and np.ndim(sigmoid(0.0)) == 0


def test_softmax_and_logsumexp_are_stable_for_logits_of_size_1e4():
    z = np.array([[1e4, -1e4, 0.0, 1e4 - 1.0], [-1e4, -1e4 + 2.0, -1e4, -1e4]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        p = softmax(z)
        lse = logsumexp(z)
        lp = log_softmax(z)
    np.testing.assert_allclose(
        p, torch.softmax(torch.tensor(z), -1).numpy(), rtol=1e-14, atol=1e-300
    )
    np.testing.assert_allclose(
        lse, torch.logsumexp(torch.tensor(z), -1).numpy(), rtol=1e-15
    )
    np.testing.assert_allclose(
        lp, torch.log_softmax(torch.tensor(z), -1).numpy(), rtol=1e-15
    )
    assert np.all(np.isfinite(lp))
    np.testing.assert_allclose(p.sum(-1), 1.0, rtol=1e-15)


def test_naive_softmax_overflows_where_the_stable_one_does_not():
    z = np.array([1e4, 0.0])
    with np.errstate(over="ignore", invalid="ignore"):
        naive = np.exp(z) / np.exp(z).sum()
    assert np.isnan(naive[0])
    np.testing.assert_array_equal(softmax(z), [1.0, 0.0])


def test_softmax_temperature():
    z = np.array([2.0, 1.0, 0.0])
    np.testing.assert_allclose(softmax(z, temperature=2.0), softmax(z / 2.0))
    assert (
        softmax(z, temperature=0.01)[0] > 0.999
        and np.ptp(softmax(z, temperature=1e3)) < 1e-3
    )
    with pytest.raises(ValueError, match="temperature"):
        softmax(z, temperature=0.0)


def _ce_case(seed, scale=1.0):
    rng = np.random.default_rng(seed)
    T, N, V = 4, 3, 6
    return (
        rng.standard_normal((T, N, V)) * scale,
        rng.integers(0, V, (T, N)),
        rng.random((T, N)) > 0.3,
    )


@pytest.mark.parametrize("masked", [False, True])
def test_cross_entropy_matches_torch(masked):
    logits, targets, mask = _ce_case(1)
    loss, grad = cross_entropy(logits, targets, mask if masked else None)
    lt = torch.tensor(logits, requires_grad=True)
    per_token = torch.nn.functional.cross_entropy(
        lt.reshape(-1, 6), torch.tensor(targets).reshape(-1), reduction="none"
    )
    w = torch.tensor(
        mask if masked else np.ones_like(mask), dtype=torch.float64
    ).reshape(-1)
    want = (per_token * w).sum() / w.sum()
    want.backward()
    assert abs(loss - want.item()) < 1e-12
    np.testing.assert_allclose(grad, lt.grad.numpy(), atol=1e-14)
    if masked:
        assert np.all(grad[~mask] == 0)


def test_cross_entropy_gradient_is_softmax_minus_onehot_and_matches_finite_differences():
    logits, targets, _ = _ce_case(2)
    _, grad = cross_entropy(logits, targets)
    onehot = np.eye(logits.shape[-1])[targets]
    np.testing.assert_allclose(
        grad, (softmax(logits) - onehot) / targets.size, atol=1e-15
    )
    num = numerical_gradient(lambda: cross_entropy(logits, targets)[0], logits)
    assert relative_error(grad, num) < 1e-8


def test_cross_entropy_is_finite_for_logits_of_size_1e4():
    logits, targets, _ = _ce_case(3, scale=1e4)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss, grad = cross_entropy(logits, targets)
    lt = torch.tensor(logits)
    want = torch.nn.functional.cross_entropy(
        lt.reshape(-1, 6), torch.tensor(targets).reshape(-1)
    ).item()
    assert np.isfinite(loss) and np.all(np.isfinite(grad))
    assert abs(loss - want) <= 1e-12 * abs(want)


@pytest.mark.parametrize(
    "logits, targets, mask, error, match",
    [
        (
            np.zeros((2, 3, 4)),
            np.zeros((2, 2), int),
            None,
            ValueError,
            r"targets must have shape \(2, 3\)",
        ),
        (np.zeros((2, 3, 4)), np.full((2, 3), 4), None, ValueError, r"\[0, 4\)"),
        (np.zeros((2, 3, 4)), np.zeros((2, 3)), None, TypeError, "integer"),
        (np.zeros((2, 3, 4), int), np.zeros((2, 3), int), None, TypeError, "floating"),
        (np.full((2, 3, 4), np.nan), np.zeros((2, 3), int), None, ValueError, "NaN"),
        (
            np.zeros((2, 3, 4)),
            np.zeros((2, 3), int),
            np.zeros((2, 3)),
            ValueError,
            "no tokens",
        ),
        (np.zeros((0, 3, 4)), np.zeros((0, 3), int), None, ValueError, "no tokens"),
        (
            np.zeros((2, 3, 4)),
            np.zeros((2, 3), int),
            np.ones((3, 2)),
            ValueError,
            r"mask must have shape \(2, 3\)",
        ),
    ],
)
def test_cross_entropy_bad_input(logits, targets, mask, error, match):
    with pytest.raises(error, match=match):
        cross_entropy(logits, targets, mask)
