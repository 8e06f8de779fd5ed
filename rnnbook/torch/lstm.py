"""The LSTM as a ``torch.nn.Module`` written from the gate equations (autograd does BPTT).

Book notation and torch.nn layout (gate order i, f, g, o in the stacked weights)::

    a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh        = [a_i; a_f; a_g; a_o]
    [i_t; f_t; o_t] = sigmoid([a_i; a_f; a_o])         g_t = tanh(a_g)
    c_t = f_t * c_{t-1} + i_t * g_t                    h_t = o_t * tanh(c_t)

    weight_ih_l{k} = [W_xi; W_xf; W_xg; W_xo]  (4 d_h, d_x)
    weight_hh_l{k} = [W_hi; W_hf; W_hg; W_ho]  (4 d_h, d_h)
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from .recurrent import Mask, RecurrentBase, State, Weights

__all__ = ["LSTM", "lstm_cell", "lstm_step_forward"]


def lstm_cell(
    x_t: Tensor,
    h_prev: Tensor,
    c_prev: Tensor,
    weight_ih: Tensor,
    weight_hh: Tensor,
    bias_ih: Tensor | None = None,
    bias_hh: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """One LSTM step in the book's notation: ``(h_t, c_t)`` from ``x_t``, ``h_{t-1}``, ``c_{t-1}``.

    The mirror of :func:`rnnbook.numpy.lstm.lstm_cell`, the reference the layer's fast path is
    tested against, and the cell :class:`rnnbook.torch.fused.FusedLSTM` compiles. ``x_t``
    ``(N, d_x)``, ``h_prev`` and ``c_prev`` ``(N, d_h)``; ``weight_ih`` = ``[W_xi; W_xf; W_xg; W_xo]``
    ``(4 d_h, d_x)``, ``weight_hh`` = ``[W_hi; W_hf; W_hg; W_ho]`` ``(4 d_h, d_h)``,
    ``[b_i; b_f; b_g; b_o] = bias_ih + bias_hh`` ``(4 d_h,)`` (both None without bias). The four
    gates' products are taken as one stacked matmul each for ``x_t`` and ``h_{t-1}`` and split.
    """
    a_t = x_t @ weight_ih.T + h_prev @ weight_hh.T  # [a_i; a_f; a_g; a_o]
    if bias_ih is not None and bias_hh is not None:
        a_t = a_t + (bias_ih + bias_hh)
    a_i, a_f, a_g, a_o = a_t.chunk(4, dim=-1)
    i, f, g, o = (
        torch.sigmoid(a_i),
        torch.sigmoid(a_f),
        torch.tanh(a_g),
        torch.sigmoid(a_o),
    )
    c_t = f * c_prev + i * g
    h_t = o * torch.tanh(c_t)
    return h_t, c_t


def lstm_step_forward(
    xw_t: Tensor,
    h_prev: Tensor,
    c_prev: Tensor,
    weight_hh: Tensor,
    bias_hh: Tensor | None,
) -> tuple[Tensor, Tensor]:
    """One LSTM step on ``(N, d_h)`` states; ``xw_t`` ``(N, 4 d_h)`` is the precomputed input term. Returns ``(h_t, c_t)``."""
    a_t = torch.addmm(
        xw_t, h_prev, weight_hh.T
    )  # all four gates in one matmul, added to xw_t
    if bias_hh is not None:
        a_t = a_t + bias_hh
    a_i, a_f, a_g, a_o = a_t.chunk(4, dim=1)
    i, f, g, o = (
        torch.sigmoid(a_i),
        torch.sigmoid(a_f),
        torch.tanh(a_g),
        torch.sigmoid(a_o),
    )
    c_t = f * c_prev + i * g
    return o * torch.tanh(c_t), c_t


class LSTM(RecurrentBase):
    """LSTM with torch.nn.LSTM's constructor arguments, parameters and shapes.

    ``LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False, proj_size=0, device=None, dtype=None)``; ``forward(x, hx=None, lengths=None)`` with
    ``hx = (h_0, c_0)`` returns ``(output, (h_n, c_n))``. ``proj_size`` must be 0 (projections
    are not implemented). Does not call torch.nn.LSTM, LSTMCell or their kernels.
    """

    gate_count = 4
    state_count = 2

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        if proj_size != 0:
            raise ValueError(
                f"proj_size must be 0 (LSTM projections are not implemented), got {proj_size}"
            )
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
        """One layer, one direction: ``x`` ``(T, N, d_in)`` -> hidden states ``(T, N, d_h)``; ``h`` and ``c`` frozen where ``mask`` is 0."""
        W_hh, b_hh = w["weight_hh"], w["bias_hh"]
        return self._recur(
            x, state0, w, mask, lambda xw_t, s: lstm_step_forward(xw_t, *s, W_hh, b_hh)
        )
