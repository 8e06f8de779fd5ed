"""The Elman RNN in NumPy, forward and backward (BPTT) written out equation by equation.

Book notation, and the torch.nn parameter that holds each symbol (one layer, one direction)::

    h_t = f(W_xh x_t + W_hh h_{t-1} + b_h)          f = tanh or relu (torch.nn), or sigmoid

    W_xh = weight_ih_l{k}    (d_h, d_x)   d_x = input_size for layer 0, D * d_h above it
    W_hh = weight_hh_l{k}    (d_h, d_h)
    b_h  = bias_ih_l{k} + bias_hh_l{k}    (torch.nn keeps two biases; only their sum matters)

Backpropagation through time, with a_t = W_xh x_t + W_hh h_{t-1} + b_h the pre-activation and
dL/dh_t the total gradient reaching h_t (from the output at t and from step t + 1)::

    dL/da_t     = dL/dh_t * f'(a_t)                   (f' from h_t: 1 - h_t^2 for tanh)
    dL/dh_{t-1} += W_hh^T dL/da_t                      (the recurrent path)
    dL/dW_xh    = sum_t dL/da_t x_t^T                  dL/dW_hh = sum_t dL/da_t h_{t-1}^T
    dL/db_h     = sum_t dL/da_t                        dL/dx_t  = W_xh^T dL/da_t
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .activations import (
    relu,
    relu_grad_from_output,
    sigmoid,
    sigmoid_grad_from_output,
    tanh,
    tanh_grad_from_output,
)
from .recurrent import Array, Mask, RecurrentBase, State, Weights, keep_state

__all__ = ["RNN", "rnn_cell", "rnn_step_forward", "rnn_step_backward"]

_ACTIVATIONS = {
    "tanh": (tanh, tanh_grad_from_output),
    "relu": (relu, relu_grad_from_output),
    # Not offered by torch.nn.RNN: here so that chapter 5 can measure Pascanu et al.'s
    # gamma = 1/4 case (the sigmoid's largest slope) beside tanh's gamma = 1.
    "sigmoid": (sigmoid, sigmoid_grad_from_output),
}


def rnn_cell(
    x_t: Array,
    h_prev: Array,
    weight_ih: Array,
    weight_hh: Array,
    bias_ih: Array | None = None,
    bias_hh: Array | None = None,
    nonlinearity: str = "tanh",
) -> Array:
    """One Elman step in the book's notation: ``h_t = f(W_xh x_t + W_hh h_{t-1} + b_h)``.

    The reference the layer's fast path is tested against (it precomputes ``W_xh x_t + b_ih`` for
    every step at once and runs :func:`rnn_step_forward` on the rest).

    Args:
        x_t: ``(N, d_x)``; h_prev: ``(N, d_h)``, ``h_{t-1}``.
        weight_ih: ``W_xh`` ``(d_h, d_x)``; weight_hh: ``W_hh`` ``(d_h, d_h)``.
        bias_ih, bias_hh: ``(d_h,)`` each, ``b_h = bias_ih + bias_hh``; both None without bias.
        nonlinearity: ``f``, ``"tanh"``, ``"relu"`` or ``"sigmoid"``.

    Returns:
        ``h_t`` ``(N, d_h)`` (batch rows: ``W h`` is written ``h @ W.T``).
    """
    W_xh, W_hh = weight_ih, weight_hh
    b_h = 0.0 if bias_ih is None or bias_hh is None else bias_ih + bias_hh
    f = _ACTIVATIONS[nonlinearity][0]
    return f(x_t @ W_xh.T + h_prev @ W_hh.T + b_h)


def rnn_step_forward(
    xw_t: Array,
    h_prev: Array,
    weight_hh: Array,
    bias_hh: Array | None,
    nonlinearity: str,
) -> Array:
    """One step of the recurrence: ``h_t = f(W_xh x_t + b_ih + W_hh h_{t-1} + b_hh)``.

    Args:
        xw_t: ``(N, d_h)``, the input term ``W_xh x_t + b_ih``, precomputed for all steps at once.
        h_prev: ``(N, d_h)``, ``h_{t-1}``.
        weight_hh: ``(d_h, d_h)``, ``W_hh``; bias_hh: ``(d_h,)`` or None.
        nonlinearity: ``"tanh"``, ``"relu"`` or ``"sigmoid"`` (``f``).

    Returns:
        ``h_t`` of shape ``(N, d_h)``. Rows are batch elements, so ``W h`` is written ``h @ W.T``.
    """
    a_t = xw_t + h_prev @ weight_hh.T
    if bias_hh is not None:
        a_t += bias_hh
    return _ACTIVATIONS[nonlinearity][0](a_t)


def rnn_step_backward(
    dh_t: Array, h_t: Array, weight_hh: Array, nonlinearity: str
) -> tuple[Array, Array]:
    """Backward through one step: from dL/dh_t to dL/da_t and to dL/dh_{t-1}'s recurrent part.

    Args:
        dh_t: ``(N, d_h)``, the total gradient reaching ``h_t``.
        h_t: ``(N, d_h)``, the step's output, from which ``f'(a_t)`` is computed.
        weight_hh: ``(d_h, d_h)``, ``W_hh``.

    Returns:
        ``(da_t, dh_prev)``: ``da_t = dh_t * f'(a_t)`` and ``dh_prev = W_hh^T da_t``,
        both ``(N, d_h)``.
    """
    da_t = dh_t * _ACTIVATIONS[nonlinearity][1](h_t)
    return da_t, da_t @ weight_hh


class RNN(RecurrentBase):
    """Elman RNN layer with torch.nn.RNN's arguments, parameters and shapes, in NumPy.

    ``RNN(input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
    batch_first=False, dropout=0.0, bidirectional=False, dtype=np.float64, seed=None)``; ``nonlinearity``
    is ``"tanh"`` or ``"relu"`` as in torch.nn, or ``"sigmoid"`` (an extension for chapter 5).

    ``forward(x, hx=None, lengths=None) -> (output, h_n)`` and ``backward(d_output, d_h_n=None) -> (d_x, d_hx)``
    (see :class:`~rnnbook.numpy.recurrent.RecurrentBase`); after ``backward``, ``grads[name]``
    holds dL/d``params[name]``. Parameters, per layer ``k`` (suffix ``_reverse`` for the
    backward direction): ``weight_ih_l{k}`` = W_xh, ``weight_hh_l{k}`` = W_hh,
    ``bias_ih_l{k}`` + ``bias_hh_l{k}`` = b_h.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        dtype: Any = np.float64,
        seed: int | None = None,
    ) -> None:
        if nonlinearity not in _ACTIVATIONS:
            raise ValueError(
                f"nonlinearity must be one of {sorted(_ACTIVATIONS)}, got {nonlinearity!r}"
            )
        self.nonlinearity = nonlinearity
        super().__init__(
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            dtype,
            seed,
        )

    def _sequence_forward(
        self, x: Array, state0: State, w: Weights, mask: Mask = None
    ) -> tuple[Array, State, Any]:
        """One layer, one direction: ``x`` ``(T, N, d_in)`` -> hidden states ``(T, N, d_h)``; frozen where ``mask`` is 0."""
        (h0,) = state0
        xw = x @ w["weight_ih"].T  # W_xh x_t for every t in one matmul: (T, N, d_h)
        if w["bias_ih"] is not None:
            xw += w["bias_ih"]
        hs = np.empty(
            (x.shape[0] + 1, *h0.shape), dtype=self.dtype
        )  # hs[t + 1] = h_t, hs[0] = h_0
        hs[0] = h0
        for t in range(x.shape[0]):
            h_new = rnn_step_forward(
                xw[t], hs[t], w["weight_hh"], w["bias_hh"], self.nonlinearity
            )
            hs[t + 1] = keep_state(
                mask, t, h_new, hs[t]
            )  # h_t = m_t h_new + (1 - m_t) h_{t-1}
        return hs[1:], (hs[-1],), (x, hs, w, mask)

    def _sequence_backward(
        self, d_out: Array, d_state_T: State, cache: Any
    ) -> tuple[Array, State, Weights, State]:
        """BPTT through one layer and direction.

        Returns ``(dL/dx, (dL/dh_0,), parameter gradients, (dL/dh_t for all t,))``.
        """
        x, hs, w, mask = cache
        T = x.shape[0]
        da = np.empty_like(d_out)  # dL/da_t for every t
        dh = np.empty_like(d_out)  # total dL/dh_t for every t
        (dh_next,) = d_state_T  # gradient reaching h_T from outside (h_n)
        for t in reversed(range(T)):
            dh[t] = d_out[t] + dh_next  # from the output at t and from step t + 1
            dh_t = keep_state(mask, t, dh[t], 0.0)  # no gradient into a padded step
            da[t], dh_prev = rnn_step_backward(
                dh_t, hs[t + 1], w["weight_hh"], self.nonlinearity
            )
            # a padded step passes dL/dh_t straight to h_{t-1}
            dh_next = keep_state(mask, t, dh_prev, dh[t])
        # Sums over time and batch as single matmuls over the flattened (T * N) axis.
        da_flat = da.reshape(-1, da.shape[-1])
        grads: Weights = {
            "weight_ih": da_flat.T @ x.reshape(-1, x.shape[-1]),
            "weight_hh": da_flat.T @ hs[:-1].reshape(-1, hs.shape[-1]),
        }
        if w["bias_ih"] is not None:
            grads["bias_ih"] = da_flat.sum(axis=0)
            grads["bias_hh"] = grads["bias_ih"].copy()
        return da @ w["weight_ih"], (dh_next,), grads, (dh,)
