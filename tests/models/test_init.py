"""Recurrent-weight initialisations on both backends."""

import numpy as np
import pytest
import torch

import rnnbook.numpy as rnp
import rnnbook.torch as rtorch
from conftest import LAYER_NAMES
from rnnbook.init import (
    forget_gate_bias_,
    identity_recurrent_,
    orthogonal_recurrent_,
    scale_recurrent_,
    spectral_norms,
)


def _layers(name, **kwargs):
    return [
        getattr(rnp, name)(3, 5, seed=0, **kwargs),
        getattr(rtorch, name)(3, 5, dtype=torch.float64, **kwargs),
    ]


def _hh_blocks(layer):
    params = (
        layer.params
        if hasattr(layer, "params")
        else {k: p.detach().numpy() for k, p in layer.named_parameters()}
    )
    for name, w in params.items():
        if name.startswith("weight_hh"):
            yield from (w[k * 5 : (k + 1) * 5] for k in range(w.shape[0] // 5))


@pytest.mark.parametrize("name", LAYER_NAMES)
def test_scale_sets_the_largest_singular_value(name):
    for layer in _layers(name, num_layers=2, bidirectional=True):
        scale_recurrent_(layer, 1.7)
        for block in _hh_blocks(layer):
            assert abs(np.linalg.svd(block, compute_uv=False)[0] - 1.7) < 1e-12
        assert all(
            abs(v - 1.7) < 1e-12 for vs in spectral_norms(layer).values() for v in vs
        )


@pytest.mark.parametrize("name", LAYER_NAMES)
def test_orthogonal_blocks(name):
    for layer in _layers(name):
        orthogonal_recurrent_(layer, gain=0.9, seed=3)
        for block in _hh_blocks(layer):
            np.testing.assert_allclose(block @ block.T, 0.81 * np.eye(5), atol=1e-12)


def test_identity_irnn():
    for layer in _layers("RNN", nonlinearity="relu"):
        identity_recurrent_(layer, scale=1.0)
        (block,) = _hh_blocks(layer)
        np.testing.assert_array_equal(block, np.eye(5))
        # With zero input and identity W_hh, a non-negative state is carried unchanged by a ReLU RNN.
        h0 = np.abs(np.random.default_rng(0).standard_normal((1, 2, 5)))
        if hasattr(layer, "params"):
            _, h_n = layer.forward(np.zeros((7, 2, 3)), h0)
        else:
            _, h_n = layer(torch.zeros(7, 2, 3, dtype=torch.float64), torch.tensor(h0))
            h_n = h_n.detach().numpy()
        np.testing.assert_allclose(h_n, h0, atol=1e-15)


def test_forget_gate_bias_sets_b_f_only():
    for layer in _layers("LSTM", num_layers=2):
        before = {
            k: np.array(v)
            for k, v in (
                layer.params.items()
                if hasattr(layer, "params")
                else ((k, p.detach().numpy()) for k, p in layer.named_parameters())
            )
        }
        forget_gate_bias_(layer, 1.0)
        after = (
            layer.params
            if hasattr(layer, "params")
            else {k: p.detach().numpy() for k, p in layer.named_parameters()}
        )
        for k in ("_l0", "_l1"):
            b = after["bias_ih" + k] + after["bias_hh" + k]
            np.testing.assert_array_equal(b[5:10], np.ones(5))
            np.testing.assert_array_equal(
                b[:5], (before["bias_ih" + k] + before["bias_hh" + k])[:5]
            )
    with pytest.raises(ValueError, match="LSTM"):
        forget_gate_bias_(rnp.GRU(3, 5), 1.0)
    with pytest.raises(ValueError, match="no biases"):
        forget_gate_bias_(rnp.LSTM(3, 5, bias=False), 1.0)


def test_bad_arguments():
    with pytest.raises(
        ValueError, match="sigma_max must be a finite number > 0, got 0"
    ):
        scale_recurrent_(rnp.RNN(3, 5), 0)
    with pytest.raises(TypeError, match="got int"):
        scale_recurrent_(3, 1.0)
