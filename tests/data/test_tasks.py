"""Synthetic tasks: structure, seeding, and the no-memory baselines checked empirically."""

import math

import numpy as np
import pytest

from rnnbook.data.synthetic import (
    adding_problem,
    adding_problem_baseline_mse,
    copy_memory,
    copy_memory_chance_loss,
)
from rnnbook.numpy import cross_entropy


@pytest.mark.parametrize("T", [2, 3, 50])
def test_adding_problem_structure(T):
    x, y = adding_problem(500, T, seed=0)
    assert x.shape == (500, T, 2) and y.shape == (500,) and x.dtype == np.float64
    values, markers = x[..., 0], x[..., 1]
    assert values.min() >= 0 and values.max() < 1
    assert set(np.unique(markers)) <= {0.0, 1.0}
    np.testing.assert_array_equal(
        markers[:, : T // 2].sum(axis=1), 1
    )  # one marker in the first half
    np.testing.assert_array_equal(
        markers[:, T // 2 :].sum(axis=1), 1
    )  # and one in the second
    np.testing.assert_allclose(y, (values * markers).sum(axis=1), rtol=0, atol=1e-15)


def test_adding_problem_markers_anywhere():
    x, y = adding_problem(2000, 10, seed=0, markers="anywhere")
    markers = x[..., 1]
    np.testing.assert_array_equal(markers.sum(axis=1), 2)  # two distinct positions
    assert markers[:, :5].sum(axis=1).max() == 2  # both may fall in the first half
    np.testing.assert_allclose(y, (x[..., 0] * markers).sum(axis=1), rtol=0, atol=1e-15)
    with pytest.raises(ValueError, match="markers must be 'halves' or 'anywhere'"):
        adding_problem(1, 10, markers="middle")


def test_adding_problem_is_seeded():
    a, b, c = (
        adding_problem(10, 20, seed=3),
        adding_problem(10, 20, seed=3),
        adding_problem(10, 20, seed=4),
    )
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_adding_problem_baseline_is_one_sixth_empirically():
    assert adding_problem_baseline_mse() == 1 / 6
    _, y = adding_problem(100_000, 10, seed=0)
    assert abs(np.mean((1.0 - y) ** 2) - 1 / 6) < 0.005  # always predicting 1
    assert abs(np.mean(y) - 1.0) < 0.005  # 1 is the best constant: the mean of U1 + U2


@pytest.mark.parametrize("T", [1, 5, 100])
@pytest.mark.parametrize("fill", [False, True])
def test_copy_memory_structure(T, fill):
    x, y = copy_memory(300, T, seed=0, fill_recall_with_delimiter=fill)
    assert x.shape == y.shape == (300, T + 20) and x.dtype == y.dtype == np.int64
    digits = x[:, :10]
    assert digits.min() >= 1 and digits.max() <= 8 and len(np.unique(digits)) == 8
    np.testing.assert_array_equal(x[:, 10 : 10 + T - 1], 0)  # T - 1 blanks
    np.testing.assert_array_equal(x[:, T + 9], 9)  # the delimiter
    np.testing.assert_array_equal(x[:, T + 10 :], 9 if fill else 0)  # the recall phase
    np.testing.assert_array_equal(y[:, : T + 10], 0)
    np.testing.assert_array_equal(
        y[:, T + 10 :], digits
    )  # the digits, written back after the delimiter


def test_copy_memory_is_seeded():
    np.testing.assert_array_equal(
        copy_memory(5, 30, seed=1)[0], copy_memory(5, 30, seed=1)[0]
    )
    assert not np.array_equal(
        copy_memory(5, 30, seed=1)[0], copy_memory(5, 30, seed=2)[0]
    )


@pytest.mark.parametrize("T", [1, 50, 1000])
def test_copy_memory_chance_loss_is_the_memoryless_predictors_loss(T):
    """The predictor that knows the layout but no digit scores exactly 10 ln 8 / (T + 20)."""
    _, y = copy_memory(64, T, seed=0)
    logits = np.full(
        (*y.shape, 10), -1e4
    )  # probability ~0 (e^-1e4 underflows to exactly 0)
    logits[:, : T + 10, 0] = 0.0  # blank with probability 1 before recall
    logits[:, T + 10 :, 1:9] = 0.0  # uniform over the digits 1..8 during recall
    loss, _ = cross_entropy(logits, y)
    assert loss == pytest.approx(copy_memory_chance_loss(T), rel=1e-12)
    assert copy_memory_chance_loss(T) == 10 * math.log(8) / (T + 20)


def test_published_numbers():
    assert (
        round(copy_memory_chance_loss(1000), 4) == 0.0204
    )  # Bai et al. 2018, T = 1000
    assert round(adding_problem_baseline_mse(), 3) == 0.167


def test_bad_sizes():
    with pytest.raises(ValueError, match="T must be >= 2, got 1"):
        adding_problem(10, 1)
    with pytest.raises(ValueError, match="num_samples must be >= 1, got 0"):
        copy_memory(0, 10)
    with pytest.raises(TypeError, match="T must be an int, got float"):
        copy_memory_chance_loss(10.0)
