"""The GRU as a ``torch.nn.Module`` written from the gate equations, with both reset-gate placements.

Book notation and torch.nn layout (gate order r, z, n)::

    r_t = sigmoid(W_xr x_t + b_xr + W_hr h_{t-1} + b_hr)       z_t likewise, W_xz, W_hz
    n_t = tanh(W_xn x_t + b_xn + r_t * (W_hn h_{t-1} + b_hn))  reset_after=True (torch.nn)
    n_t = tanh(W_xn x_t + b_xn + W_hn (r_t * h_{t-1}) + b_hn)  reset_after=False (Cho 2014)
    h_t = (1 - z_t) * n_t + z_t * h_{t-1}
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from .recurrent import Mask, RecurrentBase, State, Weights

__all__ = ["GRU", "gru_cell", "gru_step_forward"]


def gru_cell(
    x_t: Tensor,
    h_prev: Tensor,
    weight_ih: Tensor,
    weight_hh: Tensor,
    bias_ih: Tensor | None = None,
    bias_hh: Tensor | None = None,
    reset_after: bool = True,
) -> Tensor:
    """One GRU step in the book's notation: ``h_t`` from ``x_t`` and ``h_{t-1}``.

    The mirror of :func:`rnnbook.numpy.gru.gru_cell`; the reference the layer's fast path is
    tested against. ``x_t`` ``(N, d_x)``, ``h_prev`` ``(N, d_h)``; ``weight_ih`` =
    ``[W_xr; W_xz; W_xn]`` ``(3 d_h, d_x)``, ``weight_hh`` = ``[W_hr; W_hz; W_hn]`` ``(3 d_h, d_h)``,
    ``bias_ih`` = ``[b_xr; b_xz; b_xn]``, ``bias_hh`` = ``[b_hr; b_hz; b_hn]`` (both None without
    bias); ``reset_after`` as in :class:`GRU`. Returns ``h_t`` ``(N, d_h)``.
    """
    W_xr, W_xz, W_xn = weight_ih.chunk(3)
    W_hr, W_hz, W_hn = weight_hh.chunk(3)
    b_xr, b_xz, b_xn = (0.0,) * 3 if bias_ih is None else bias_ih.chunk(3)
    b_hr, b_hz, b_hn = (0.0,) * 3 if bias_hh is None else bias_hh.chunk(3)
    r = torch.sigmoid(x_t @ W_xr.T + b_xr + h_prev @ W_hr.T + b_hr)
    z = torch.sigmoid(x_t @ W_xz.T + b_xz + h_prev @ W_hz.T + b_hz)
    if reset_after:
        n = torch.tanh(x_t @ W_xn.T + b_xn + r * (h_prev @ W_hn.T + b_hn))
    else:
        n = torch.tanh(x_t @ W_xn.T + b_xn + (r * h_prev) @ W_hn.T + b_hn)
    return (1 - z) * n + z * h_prev


def gru_step_forward(
    xw_t: Tensor,
    h_prev: Tensor,
    weight_hh: Tensor,
    bias_hh: Tensor | None,
    reset_after: bool = True,
) -> Tensor:
    """One GRU step on ``(N, d_h)`` states; ``xw_t`` ``(N, 3 d_h)`` is the precomputed input term. Returns ``h_t``."""
    H = h_prev.shape[-1]
    xw_r, xw_z, xw_n = xw_t.chunk(3, dim=1)
    if reset_after:
        hw = h_prev @ weight_hh.T  # all three gates' recurrent terms in one matmul
        if bias_hh is not None:
            hw = hw + bias_hh
        hw_r, hw_z, hw_n = hw.chunk(3, dim=1)
        r = torch.sigmoid(xw_r + hw_r)
        z = torch.sigmoid(xw_z + hw_z)
        n = torch.tanh(xw_n + r * hw_n)
    else:
        hw_rz = h_prev @ weight_hh[: 2 * H].T  # r and z first: the candidate needs r_t
        if bias_hh is not None:
            hw_rz = hw_rz + bias_hh[: 2 * H]
        hw_r, hw_z = hw_rz.chunk(2, dim=1)
        r = torch.sigmoid(xw_r + hw_r)
        z = torch.sigmoid(xw_z + hw_z)
        hw_n = (r * h_prev) @ weight_hh[2 * H :].T
        if bias_hh is not None:
            hw_n = hw_n + bias_hh[2 * H :]
        n = torch.tanh(xw_n + hw_n)
    return (1 - z) * n + z * h_prev


class GRU(RecurrentBase):
    """GRU with torch.nn.GRU's constructor arguments, parameters and shapes, plus ``reset_after``.

    ``GRU(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False, device=None, dtype=None, reset_after=True)``. ``reset_after=True`` is
    torch.nn's placement of the reset gate; ``False`` is Cho et al. 2014's. Does not call
    torch.nn.GRU, GRUCell or their kernels.
    """

    gate_count = 3

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device: Any = None,
        dtype: Any = None,
        reset_after: bool = True,
    ) -> None:
        self.reset_after = bool(reset_after)
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
        W_hh, b_hh, after = w["weight_hh"], w["bias_hh"], self.reset_after
        return self._recur(
            x,
            state0,
            w,
            mask,
            lambda xw_t, s: (gru_step_forward(xw_t, *s, W_hh, b_hh, after),),
        )

    def extra_repr(self) -> str:
        s = super().extra_repr()
        return s if self.reset_after else s + ", reset_after=False"
