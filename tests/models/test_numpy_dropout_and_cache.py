"""NumPy layers: dropout with torch.nn's semantics, and the forward cache as an explicit public value."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import rnnbook.numpy as rn
from conftest import CELLS
from rnnbook.numpy.gradcheck import check_layer_gradients
from rnnbook.numpy.recurrent import RecurrentCache


def _layer(cell, **kw):
    return rn.make_recurrent(cell, 3, 4, num_layers=3, seed=0, **kw)


def _x(seed=1, T=5, N=2):
    return np.random.default_rng(seed).normal(size=(T, N, 3))


@pytest.mark.parametrize("cell", CELLS)
def test_dropout_zero_changes_nothing(cell):
    plain, dropped = _layer(cell), _layer(cell, dropout=0.0)
    x = _x()
    out_a, _ = plain.forward(x)
    out_b, _ = dropped.forward(x)
    np.testing.assert_array_equal(out_a, out_b)
    assert all(m is None for m in dropped.cache.dropout_masks)


@pytest.mark.parametrize("cell", CELLS)
def test_eval_mode_turns_dropout_off(cell):
    plain, dropped = _layer(cell), _layer(cell, dropout=0.5)
    assert dropped.training and dropped.eval() is dropped and not dropped.training
    x = _x()
    np.testing.assert_array_equal(plain.forward(x)[0], dropped.forward(x)[0])
    dropped.train()
    assert dropped.training
    assert not np.array_equal(plain.forward(x)[0], dropped.forward(x)[0])


def test_dropout_masks_are_inverted_bernoulli_on_every_layer_but_the_first_input():
    layer = _layer("gru", dropout=0.25, bidirectional=True)
    layer.forward(_x(T=50, N=40))
    masks = layer.cache.dropout_masks
    assert masks[0] is None and all(m is not None for m in masks[1:])
    for m in masks[1:]:
        assert m.shape == (50, 40, 8)
        assert set(np.unique(m)) <= {0.0, 1.0 / 0.75}
        assert abs(np.mean(m == 0) - 0.25) < 0.03


def test_dropout_one_zeroes_the_upper_layers_input_and_seed_fixes_the_masks():
    a, b = _layer("rnn", dropout=0.4), _layer("rnn", dropout=0.4)
    x = _x()
    np.testing.assert_array_equal(a.forward(x)[0], b.forward(x)[0])  # same seed
    full = _layer("rnn", dropout=1.0)
    full.forward(x)
    assert all(np.all(m == 0) for m in full.cache.dropout_masks[1:])


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_gradients_with_dropout_match_finite_differences_under_a_fixed_mask(
    cell, bidirectional
):
    layer = rn.make_recurrent(
        cell, 3, 4, num_layers=2, dropout=0.3, bidirectional=bidirectional, seed=2
    )
    forward = layer.forward

    def fixed_mask_forward(*args, **kwargs):  # the same masks on every call
        layer.generator = np.random.default_rng(7)
        return forward(*args, **kwargs)

    layer.forward = fixed_mask_forward
    errors = check_layer_gradients(layer, _x(T=4, N=2), seed=3)
    assert any(np.any(m == 0) for m in layer.cache.dropout_masks[1:])
    assert max(errors.values()) < 1e-6, errors


@pytest.mark.parametrize("bad", [-0.1, 1.5, True, "0.5", float("nan")])
def test_invalid_dropout_raises_value_error_like_torch(bad):
    with pytest.raises(ValueError):
        torch.nn.RNN(3, 4, num_layers=2, dropout=bad)
    with pytest.raises(ValueError, match="dropout"):
        rn.RNN(3, 4, num_layers=2, dropout=bad)


def test_dropout_on_one_layer_warns_like_torch():
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        rn.LSTM(3, 4, dropout=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rn.LSTM(3, 4, num_layers=2, dropout=0.5)
    assert "dropout=0.5" in repr(rn.LSTM(3, 4, num_layers=2, dropout=0.5))


@pytest.mark.parametrize("cell", CELLS)
def test_backward_with_an_earlier_forwards_cache_gives_its_gradients(cell):
    layer = rn.make_recurrent(cell, 3, 4, num_layers=2, seed=0)
    assert layer.cache is None
    x1, x2 = _x(1), _x(2, T=7)
    out1, _ = layer.forward(x1)
    first = layer.cache
    assert isinstance(first, RecurrentCache)
    d_out1 = np.random.default_rng(5).normal(size=out1.shape)
    want_dx, _ = layer.backward(d_out1)
    want = {k: v.copy() for k, v in layer.grads.items()}

    layer.forward(x1)
    layer.forward(x2)  # the layer's own cache is now the second call's
    assert layer.cache is not first
    got_dx, _ = layer.backward(d_out1, cache=first)
    np.testing.assert_array_equal(got_dx, want_dx)
    for name in want:
        np.testing.assert_array_equal(layer.grads[name], want[name])


def test_linear_and_embedding_take_an_explicit_cache():
    lin, emb = rn.Linear(3, 2, seed=0), rn.Embedding(5, 3, seed=0)
    assert lin.cache is None and emb.cache is None
    x1, x2 = _x(1)[0], _x(2)[0]
    d_y = np.ones((2, 2))
    lin.forward(x1)
    first = lin.cache
    want = lin.backward(d_y)
    lin.forward(x2)
    np.testing.assert_array_equal(lin.backward(d_y, cache=first), want)
    emb.forward(np.array([0, 1]))
    first = emb.cache
    emb.backward(np.ones((2, 3)))
    want = emb.grads["weight"].copy()
    emb.forward(np.array([3, 3]))
    emb.backward(np.ones((2, 3)), cache=first)
    np.testing.assert_array_equal(emb.grads["weight"], want)


def test_seq2seq_keeps_its_cache_public():
    model = rn.Seq2Seq(6, 7, 4, cell="lstm", attention=True, seed=0)
    assert model.cache is None
    src = np.array([[1, 2, 3], [4, 5, 1]])
    tgt = np.array([[1, 2], [3, 4]])
    model.loss_and_grads(src, None, tgt, tgt)
    assert isinstance(model.cache, rn.seq2seq.Seq2SeqCache)
    assert len(model.cache.caches) == tgt.shape[1]
