"""Transduction and labelling tasks for the bidirectional and encoder-decoder chapters, and the sequence scores."""

import numpy as np
import pytest

from rnnbook.data.synthetic import (
    SEQ_BOS,
    SEQ_EOS,
    SEQ_FIRST_DIGIT,
    SEQ_PAD,
    SEQ_VOCAB_SIZE,
    Seq2SeqData,
    repeats_later,
    repeats_later_causal_accuracy,
    reverse_digits,
    sort_digits,
    tokens_to_string,
    unpad,
)
from rnnbook.training.metrics import exact_match, token_accuracy


@pytest.mark.parametrize(
    "task, transform", [(reverse_digits, lambda d: d[::-1]), (sort_digits, np.sort)]
)
def test_transduction_layout(task, transform):
    data = task(300, 2, 6, seed=0)
    assert isinstance(data, Seq2SeqData) and data.num_pairs == 300
    assert data.src.shape == (
        300,
        6,
    ) and data.tgt_in.shape == data.tgt_out.shape == data.tgt_mask.shape == (300, 7)
    assert (
        data.src.dtype == data.tgt_in.dtype == data.tgt_out.dtype == np.int64
        and data.tgt_mask.dtype == bool
    )
    assert set(np.unique(data.src_lengths)) == {2, 3, 4, 5, 6}
    assert (
        SEQ_VOCAB_SIZE == SEQ_FIRST_DIGIT + 10
        and len({SEQ_PAD, SEQ_BOS, SEQ_EOS, SEQ_FIRST_DIGIT}) == 4
    )
    for n in range(300):
        L = data.src_lengths[n]
        digits = data.src[n, :L]
        assert digits.min() >= SEQ_FIRST_DIGIT and digits.max() < SEQ_VOCAB_SIZE
        assert np.all(data.src[n, L:] == SEQ_PAD)
        np.testing.assert_array_equal(data.tgt_out[n, :L], transform(digits))
        assert data.tgt_out[n, L] == SEQ_EOS and np.all(
            data.tgt_out[n, L + 1 :] == SEQ_PAD
        )
        assert data.tgt_in[n, 0] == SEQ_BOS
        np.testing.assert_array_equal(
            data.tgt_in[n, 1 : L + 1], data.tgt_out[n, :L]
        )  # shifted by one: teacher forcing
        np.testing.assert_array_equal(data.tgt_mask[n], np.arange(7) <= L)
    targets = data.targets()
    assert [len(t) for t in targets] == list(data.src_lengths + 1)
    sub = data.take(np.array([3, 1]))
    np.testing.assert_array_equal(sub.src, data.src[[3, 1]])
    assert sub.num_pairs == 2


def test_transduction_is_seeded_and_checked():
    a, b, c = (
        reverse_digits(20, 1, 8, seed=3),
        reverse_digits(20, 1, 8, seed=3),
        reverse_digits(20, 1, 8, seed=4),
    )
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a.src, c.src)
    with pytest.raises(
        ValueError, match="max_len must be >= min_len, got min_len=5, max_len=3"
    ):
        sort_digits(10, 5, 3)
    with pytest.raises(ValueError, match="min_len must be >= 1, got 0"):
        reverse_digits(10, 0, 3)
    assert (
        tokens_to_string(
            [SEQ_BOS, SEQ_FIRST_DIGIT + 4, SEQ_FIRST_DIGIT, SEQ_EOS, SEQ_PAD]
        )
        == "^40$_"
    )


def test_repeats_later_labels_by_brute_force():
    x, y, lengths = repeats_later(200, 1, 9, num_symbols=4, seed=0)
    assert x.shape == y.shape == (200, 9) and set(np.unique(lengths)) == set(
        range(1, 10)
    )
    for n in range(200):
        L = lengths[n]
        assert (
            x[n, :L].min() >= 1
            and x[n, :L].max() <= 4
            and np.all(x[n, L:] == 0)
            and np.all(y[n, L:] == 0)
        )
        for t in range(L):
            assert y[n, t] == int(x[n, t] in x[n, t + 1 : L].tolist())
    assert (
        y.sum() > 0 and (y[np.arange(9)[None, :] < lengths[:, None]] == 0).sum() > 0
    )  # both labels occur
    np.testing.assert_array_equal(
        repeats_later(5, 2, 4, seed=1)[0], repeats_later(5, 2, 4, seed=1)[0]
    )


@pytest.mark.parametrize("min_len, max_len, k", [(10, 10, 10), (5, 20, 10), (1, 6, 3)])
def test_causal_accuracy_ceiling_matches_the_best_position_only_predictor(
    min_len, max_len, k
):
    """Empirically, the best predictor that knows only the position t (all the past can tell) reaches the formula."""
    _, y, lengths = repeats_later(40_000, min_len, max_len, num_symbols=k, seed=0)
    real = np.arange(max_len)[None, :] < lengths[:, None]
    ones, totals = (y * real).sum(axis=0), real.sum(axis=0)
    best = (
        np.maximum(ones, totals - ones).sum() / totals.sum()
    )  # majority label at each position
    assert best == pytest.approx(
        repeats_later_causal_accuracy(min_len, max_len, k), abs=0.005
    )
    assert (
        repeats_later_causal_accuracy(min_len, max_len, k) < 0.95
    )  # the future matters: a bidirectional model can reach 1


def test_causal_accuracy_for_one_fixed_length_by_hand():
    # L = 2, k = 2: position 0 repeats with p = 1/2 (either guess is right half the time); position 1 never repeats.
    assert repeats_later_causal_accuracy(2, 2, 2) == pytest.approx((0.5 + 1.0) / 2)


def test_sequence_scores():
    target = [np.array([5, 6, 2]), np.array([7, 2]), np.array([2])]
    assert exact_match(target, target) == 1.0 and token_accuracy(target, target) == 1.0
    predicted = [np.array([5, 6, 2]), np.array([7, 3, 2]), np.array([], dtype=np.int64)]
    assert exact_match(predicted, target) == pytest.approx(1 / 3)
    assert token_accuracy(predicted, target) == pytest.approx(
        (3 + 1 + 0) / 6
    )  # extra tokens are not counted
    assert (
        exact_match([np.array([5, 6, 2, 2])], [np.array([5, 6, 2])]) == 0.0
    )  # too long is not exact
    rows = unpad(np.array([[1, 2, 0], [3, 0, 0]]), [2, 1])
    assert [r.tolist() for r in rows] == [[1, 2], [3]]
    with pytest.raises(ValueError, match="as many sequences, got 2 and 3"):
        exact_match(predicted[:2], target)
    with pytest.raises(ValueError, match="no sequences to score"):
        token_accuracy([], [])
