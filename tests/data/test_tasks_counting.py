"""Copy memory with a shorter payload, and the a^n b^n counting task (rnnbook.data.synthetic).

The chance levels are checked against the loss and accuracy of an explicit memoryless
predictor, and the a^n b^n scorer against predictions built by hand, not against numbers
from a run.
"""

import math

import numpy as np
import pytest

from rnnbook.data.synthetic import (
    ANBN_A,
    ANBN_B,
    ANBN_END,
    ANBN_PAD,
    ANBN_VOCAB_SIZE,
    COPY_BLANK,
    COPY_DELIMITER,
    anbn,
    anbn_counted,
    anbn_strings,
    copy_memory,
    copy_memory_chance_accuracy,
    copy_memory_chance_loss,
)
from rnnbook.numpy import cross_entropy


@pytest.mark.parametrize("K", [1, 3, 4, 10])
@pytest.mark.parametrize("T", [1, 12, 40])
def test_copy_memory_payload_layout(K, T):
    x, y = copy_memory(200, T, seed=0, num_digits=K)
    assert x.shape == y.shape == (200, T + 2 * K)
    digits = x[:, :K]
    assert digits.min() >= 1 and digits.max() <= 8
    np.testing.assert_array_equal(x[:, K : K + T - 1], COPY_BLANK)  # T - 1 blanks
    np.testing.assert_array_equal(x[:, K + T - 1], COPY_DELIMITER)
    np.testing.assert_array_equal(x[:, K + T :], COPY_BLANK)
    np.testing.assert_array_equal(y[:, : T + K], COPY_BLANK)
    np.testing.assert_array_equal(y[:, T + K :], digits)  # written back in order


def test_copy_memory_default_payload_is_unchanged():
    """num_digits=10 is the default: the same arrays as before the parameter existed."""
    a = copy_memory(50, 7, seed=3)
    b = copy_memory(50, 7, seed=3, num_digits=10)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert a[0].shape == (50, 27)
    assert copy_memory_chance_loss(7) == copy_memory_chance_loss(7, num_digits=10)


@pytest.mark.parametrize("K", [1, 3, 4, 10])
@pytest.mark.parametrize("T", [1, 15, 300])
def test_copy_memory_chance_for_k_digits(K, T):
    """The layout-only predictor: blank with certainty, then uniform over the 8 digits.

    Its mean cross-entropy over all T + 2K steps is K ln 8 / (T + 2K), and its accuracy, with
    the arg-max among tied digits taken as a fixed digit, tends to (T + K + K/8) / (T + 2K).
    """
    _, y = copy_memory(4000, T, seed=1, num_digits=K)
    logits = np.full((*y.shape, 10), -1e4)
    logits[:, : T + K, 0] = 0.0
    logits[:, T + K :, 1:9] = 0.0
    loss, _ = cross_entropy(logits, y)
    assert loss == pytest.approx(K * math.log(8) / (T + 2 * K), rel=1e-12)
    assert copy_memory_chance_loss(T, num_digits=K) == pytest.approx(loss, rel=1e-12)
    guess = np.where(
        np.arange(y.shape[1]) < T + K, 0, 1
    )  # blank, then always the digit 1
    accuracy = np.mean(guess[None, :] == y)
    # each recalled digit is 1 with probability 1/8: a binomial mean over 4000 K draws
    sd = math.sqrt(K * (1 / 8) * (7 / 8) / 4000) * K / (T + 2 * K)
    assert abs(accuracy - copy_memory_chance_accuracy(T, num_digits=K)) < 5 * sd + 1e-12


def test_copy_memory_payload_bad_values():
    with pytest.raises(ValueError, match="num_digits must be >= 1, got 0"):
        copy_memory(5, 10, num_digits=0)
    with pytest.raises(TypeError, match="num_digits must be an int"):
        copy_memory_chance_loss(10, num_digits=2.0)


def test_anbn_strings_by_hand():
    x, y = anbn_strings([1, 3])
    a, b, e, p = ANBN_A, ANBN_B, ANBN_END, ANBN_PAD
    np.testing.assert_array_equal(x, [[a, b, e, p, p, p, p], [a, a, a, b, b, b, e]])
    np.testing.assert_array_equal(y, [[b, e, p, p, p, p, p], [a, a, b, b, b, e, p]])
    x2, _ = anbn_strings([2], length=9)
    np.testing.assert_array_equal(x2, [[a, a, b, b, e, p, p, p, p]])
    with pytest.raises(ValueError, match="length must be >= 5"):
        anbn_strings([2], length=4)
    with pytest.raises(ValueError, match="every n must be >= 1"):
        anbn_strings([0, 2])


def test_anbn_sample_is_seeded_and_covers_the_range():
    x, y, n = anbn(3000, 12, n_min=4, seed=0)
    assert x.shape == y.shape == (3000, 25) and x.dtype == y.dtype == np.int64
    assert n.min() == 4 and n.max() == 12 and len(np.unique(n)) == 9
    assert ANBN_VOCAB_SIZE == 4 and x.max() < ANBN_VOCAB_SIZE
    # every row is a^n b^n $ then padding
    np.testing.assert_array_equal((x == ANBN_A).sum(axis=1), n)
    np.testing.assert_array_equal((x == ANBN_B).sum(axis=1), n)
    np.testing.assert_array_equal(np.argmax(x == ANBN_END, axis=1), 2 * n)
    x_again, _, n_again = anbn(3000, 12, n_min=4, seed=0)
    np.testing.assert_array_equal(x, x_again)
    assert not np.array_equal(n, anbn(3000, 12, n_min=4, seed=1)[2])
    with pytest.raises(ValueError, match="n_max must be >= n_min"):
        anbn(10, 3, n_min=5)


def test_anbn_counted_scores_only_the_determined_steps():
    ns = np.array([1, 2, 5])
    x, y = anbn_strings(ns)
    assert anbn_counted(y, ns).all()  # the true next symbols
    wrong_early = y.copy()
    wrong_early[:, 0] = ANBN_END  # a step inside the a's: not determined, not scored
    assert anbn_counted(wrong_early, ns).all()
    late_end = y.copy()
    late_end[2, 9] = (
        ANBN_B  # n = 5: 'b' predicted where the end comes (counting one too many)
    )
    np.testing.assert_array_equal(anbn_counted(late_end, ns), [True, True, False])
    early_end = y.copy()
    early_end[1, 2] = ANBN_END  # n = 2: the end predicted after the first b
    np.testing.assert_array_equal(anbn_counted(early_end, ns), [True, False, True])
    after_end = y.copy()
    after_end[:, -1] = ANBN_A  # the step after the end is not scored
    assert anbn_counted(after_end, ns).all()
    with pytest.raises(ValueError, match="predicted must cover"):
        anbn_counted(y[:, :3], ns)
