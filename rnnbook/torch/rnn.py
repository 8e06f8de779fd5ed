"""The Elman RNN as a ``torch.nn.Module`` written from the equations (autograd does BPTT).

Book notation and torch.nn parameter names (layer ``k``; suffix ``_reverse`` for the
backward direction)::

    h_t = f(W_xh x_t + W_hh h_{t-1} + b_h)    f = tanh or relu (as torch.nn), or sigmoid
    W_xh = weight_ih_l{k} (d_h, d_x)          W_hh = weight_hh_l{k} (d_h, d_h)
    b_h = bias_ih_l{k} + bias_hh_l{k}
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from .recurrent import Mask, RecurrentBase, State, Weights

__all__ = ["RNN", "rnn_cell", "rnn_step_forward"]

_ACTIVATIONS = {
    "tanh": torch.tanh,
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
}  # sigmoid: an extension, not in torch.nn


def rnn_cell(
    x_t: Tensor,
    h_prev: Tensor,
    weight_ih: Tensor,
    weight_hh: Tensor,
    bias_ih: Tensor | None = None,
    bias_hh: Tensor | None = None,
    nonlinearity: str = "tanh",
) -> Tensor:
    """One Elman step in the book's notation: ``h_t = f(W_xh x_t + W_hh h_{t-1} + b_h)``.

    The mirror of :func:`rnnbook.numpy.rnn.rnn_cell`; the reference the layer's fast path (input
    terms for all steps at once, then :func:`rnn_step_forward`) is tested against. ``x_t``
    ``(N, d_x)``, ``h_prev`` ``(N, d_h)``; ``weight_ih`` = W_xh ``(d_h, d_x)``, ``weight_hh`` = W_hh
    ``(d_h, d_h)``, ``b_h = bias_ih + bias_hh`` ``(d_h,)`` (both None without bias). Returns
    ``h_t`` ``(N, d_h)``.
    """
    W_xh, W_hh = weight_ih, weight_hh
    b_h = 0.0 if bias_ih is None or bias_hh is None else bias_ih + bias_hh
    f = _ACTIVATIONS[nonlinearity]
    return f(x_t @ W_xh.T + h_prev @ W_hh.T + b_h)


def rnn_step_forward(
    xw_t: Tensor,
    h_prev: Tensor,
    weight_hh: Tensor,
    bias_hh: Tensor | None,
    nonlinearity: str,
) -> Tensor:
    """``h_t = f(W_xh x_t + b_ih + W_hh h_{t-1} + b_hh)`` for ``(N, d_h)`` tensors; ``xw_t`` is the precomputed input term."""
    a_t = torch.addmm(
        xw_t, h_prev, weight_hh.T
    )  # xw_t + h_prev W_hh^T as one operation
    if bias_hh is not None:
        a_t = a_t + bias_hh
    return _ACTIVATIONS[nonlinearity](a_t)


class RNN(RecurrentBase):
    """Elman RNN with exactly torch.nn.RNN's constructor arguments, parameters and shapes.

    ``RNN(input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
    batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None)``;
    ``forward(x, hx=None, lengths=None) -> (output, h_n)``. Does not call ``torch.nn.RNN``, ``RNNCell``
    or their kernels: the loop over time is the Python loop below.
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
        device: Any = None,
        dtype: Any = None,
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
            device,
            dtype,
        )

    def _sequence_forward(
        self, x: Tensor, state0: State, w: Weights, mask: Mask = None
    ) -> tuple[Tensor, State, None]:
        """One layer, one direction: ``x`` ``(T, N, d_in)`` -> hidden states ``(T, N, d_h)``; frozen where ``mask`` is 0."""
        W_hh, b_hh, f = w["weight_hh"], w["bias_hh"], self.nonlinearity
        return self._recur(
            x,
            state0,
            w,
            mask,
            lambda xw_t, s: (rnn_step_forward(xw_t, *s, W_hh, b_hh, f),),
        )

    def extra_repr(self) -> str:
        s = super().extra_repr()
        return (
            s
            if self.nonlinearity == "tanh"
            else s + f", nonlinearity={self.nonlinearity!r}"
        )
