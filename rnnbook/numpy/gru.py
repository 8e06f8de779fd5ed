"""The GRU in NumPy, forward and backward, with both published placements of the reset gate.

Book notation (column vectors; code uses batch rows, so ``W h`` is ``h @ W.T``)::

    r_t = sigmoid(W_xr x_t + b_xr + W_hr h_{t-1} + b_hr)       reset gate
    z_t = sigmoid(W_xz x_t + b_xz + W_hz h_{t-1} + b_hz)       update gate
    n_t = tanh(W_xn x_t + b_xn + r_t * (W_hn h_{t-1} + b_hn))  candidate, reset AFTER W_hn
                                                    (torch.nn, cuDNN; reset_after=True)
    n_t = tanh(W_xn x_t + b_xn + W_hn (r_t * h_{t-1}) + b_hn)  candidate, reset BEFORE W_hn
                                                    (Cho et al. 2014; reset_after=False)
    h_t = (1 - z_t) * n_t + z_t * h_{t-1}

Parameters, in torch.nn's layout (gate order r, z, n)::

    weight_ih_l{k} = [W_xr; W_xz; W_xn]  (3 d_h, d_x)
    weight_hh_l{k} = [W_hr; W_hz; W_hn]  (3 d_h, d_h)
    bias_ih_l{k}   = [b_xr; b_xz; b_xn]  (3 d_h,)
    bias_hh_l{k}   = [b_hr; b_hz; b_hn]  (3 d_h,)

Unlike the RNN and the LSTM, the two biases of the n block are not interchangeable when the reset
gate multiplies ``W_hn h + b_hn``, so their gradients differ.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .activations import sigmoid, sigmoid_grad_from_output, tanh, tanh_grad_from_output
from .recurrent import (
    Array,
    Mask,
    RecurrentBase,
    State,
    Weights,
    all_steps_matmul,
    keep_state,
)

__all__ = ["GRU", "gru_cell", "gru_step_forward", "gru_step_backward"]


def gru_cell(
    x_t: Array,
    h_prev: Array,
    weight_ih: Array,
    weight_hh: Array,
    bias_ih: Array | None = None,
    bias_hh: Array | None = None,
    reset_after: bool = True,
) -> Array:
    """One GRU step in the book's notation: ``h_t`` from ``x_t`` and ``h_{t-1}``.

    The reference the layer's fast path (:func:`gru_step_forward` on precomputed input terms) is
    tested against.

    Args:
        x_t: ``(N, d_x)``; h_prev: ``(N, d_h)``, ``h_{t-1}``.
        weight_ih: ``[W_xr; W_xz; W_xn]`` ``(3 d_h, d_x)``; weight_hh: ``[W_hr; W_hz; W_hn]``
            ``(3 d_h, d_h)``.
        bias_ih: ``[b_xr; b_xz; b_xn]``, bias_hh: ``[b_hr; b_hz; b_hn]``, ``(3 d_h,)`` each; both
            None without bias.
        reset_after: ``r_t`` multiplies ``W_hn h_{t-1} + b_hn`` (torch.nn, cuDNN) or, if False,
            ``h_{t-1}`` before ``W_hn`` (Cho et al. 2014).

    Returns:
        ``h_t`` ``(N, d_h)``.
    """
    W_xr, W_xz, W_xn = np.split(weight_ih, 3)
    W_hr, W_hz, W_hn = np.split(weight_hh, 3)
    b_xr, b_xz, b_xn = (0.0,) * 3 if bias_ih is None else np.split(bias_ih, 3)
    b_hr, b_hz, b_hn = (0.0,) * 3 if bias_hh is None else np.split(bias_hh, 3)
    r = sigmoid(x_t @ W_xr.T + b_xr + h_prev @ W_hr.T + b_hr)
    z = sigmoid(x_t @ W_xz.T + b_xz + h_prev @ W_hz.T + b_hz)
    if reset_after:
        n = tanh(x_t @ W_xn.T + b_xn + r * (h_prev @ W_hn.T + b_hn))
    else:
        n = tanh(x_t @ W_xn.T + b_xn + (r * h_prev) @ W_hn.T + b_hn)
    return (1.0 - z) * n + z * h_prev


def gru_step_forward(
    xw_t: Array,
    h_prev: Array,
    weight_hh: Array,
    bias_hh: Array | None,
    reset_after: bool = True,
) -> tuple[Array, Array, Array]:
    """One GRU step.

    Args:
        xw_t: ``(N, 3 d_h)``, the input term ``W_x[r,z,n] x_t + b_ih``,
            precomputed for all steps.
        h_prev: ``(N, d_h)``, ``h_{t-1}``.
        weight_hh: ``(3 d_h, d_h)``; bias_hh: ``(3 d_h,)`` or None.
        reset_after: apply ``r_t`` after ``W_hn`` (torch.nn) or before it
            (Cho et al. 2014).

    Returns:
        ``(h_t, gates, hw_n)``: ``gates = [r_t, z_t, n_t]`` ``(N, 3 d_h)`` and
        ``hw_n`` ``(N, d_h)``, the recurrent term of the candidate
        (``W_hn h_{t-1} + b_hn`` when ``reset_after``, else
        ``W_hn (r_t * h_{t-1}) + b_hn``), kept for the backward step.
    """
    H = h_prev.shape[-1]
    if reset_after:
        hw = h_prev @ weight_hh.T  # all three gates' recurrent terms in one matmul
    else:
        hw = np.empty_like(xw_t)
        hw[:, : 2 * H] = h_prev @ weight_hh[: 2 * H].T  # r and z first: n needs r_t
    if bias_hh is not None:
        hw[:, : 2 * H] += bias_hh[: 2 * H]
    gates = np.empty_like(xw_t)
    gates[:, : 2 * H] = sigmoid(xw_t[:, : 2 * H] + hw[:, : 2 * H])  # r_t, z_t
    r, z = gates[:, :H], gates[:, H : 2 * H]
    if not reset_after:
        hw[:, 2 * H :] = (r * h_prev) @ weight_hh[2 * H :].T
    hw_n = hw[:, 2 * H :]
    if bias_hh is not None:
        hw_n += bias_hh[2 * H :]
    reset = r * hw_n if reset_after else hw_n  # r_t applied before W_hn or after
    gates[:, 2 * H :] = tanh(xw_t[:, 2 * H :] + reset)  # n_t
    n = gates[:, 2 * H :]
    h_t = (1.0 - z) * n + z * h_prev
    return h_t, gates, hw_n


def gru_step_backward(
    dh_t: Array,
    gates: Array,
    hw_n: Array,
    h_prev: Array,
    weight_hh: Array,
    reset_after: bool = True,
) -> tuple[Array, Array, Array]:
    """Backward through one GRU step.

    Args:
        dh_t: ``(N, d_h)``, the total gradient reaching ``h_t``.
        gates, hw_n: from :func:`gru_step_forward`; h_prev: ``(N, d_h)``; weight_hh: ``(3 d_h, d_h)``.

    Returns:
        ``(dxw_t, dhw_t, dh_prev)``: gradients of the input terms ``(N, 3 d_h)`` (for ``W_ih``,
        ``b_ih``), of the recurrent terms ``(N, 3 d_h)`` (for ``W_hh``, ``b_hh``; with
        ``reset_after=False`` the n block multiplies ``r_t * h_{t-1}``, not ``h_{t-1}``), and of
        ``h_{t-1}``.
    """
    H = h_prev.shape[-1]
    r, z, n = gates[:, :H], gates[:, H : 2 * H], gates[:, 2 * H :]
    da_n = dh_t * (1.0 - z) * tanh_grad_from_output(n)  # through n_t's tanh
    da_z = dh_t * (h_prev - n) * sigmoid_grad_from_output(z)
    dh_prev = dh_t * z  # the direct path h_{t-1} -> h_t
    if reset_after:
        dhw_n = da_n * r
        dr = da_n * hw_n
    else:
        dhw_n = da_n
        d_rh = da_n @ weight_hh[2 * H :]  # gradient reaching r_t * h_{t-1}
        dr = d_rh * h_prev
        dh_prev = dh_prev + d_rh * r
    da_r = dr * sigmoid_grad_from_output(r)
    dxw_t = np.concatenate([da_r, da_z, da_n], axis=1)
    dhw_t = np.concatenate([da_r, da_z, dhw_n], axis=1)
    if reset_after:
        dh_prev = dh_prev + dhw_t @ weight_hh
    else:
        dh_prev = dh_prev + dhw_t[:, : 2 * H] @ weight_hh[: 2 * H]
    return dxw_t, dhw_t, dh_prev


class GRU(RecurrentBase):
    """Gated recurrent unit with torch.nn.GRU's arguments, parameters and shapes, in NumPy.

    ``GRU(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False, dtype=np.float64, seed=None, reset_after=True)``. ``reset_after=True``
    is torch.nn's and cuDNN's placement of the reset gate (weights load from torch.nn.GRU);
    ``reset_after=False`` is Cho et al. 2014's. Gate order r, z, n in the stacked weights.
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
        dtype: Any = np.float64,
        seed: int | None = None,
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
            dtype,
            seed,
        )

    def _sequence_forward(
        self, x: Array, state0: State, w: Weights, mask: Mask = None
    ) -> tuple[Array, State, Any]:
        """One layer, one direction: ``x`` ``(T, N, d_in)`` -> hidden states ``(T, N, d_h)``; frozen where ``mask`` is 0."""
        (h0,) = state0
        T = x.shape[0]
        xw = all_steps_matmul(
            x, w["weight_ih"]
        )  # every gate's input term for every t in one matmul: (T, N, 3 d_h)
        if w["bias_ih"] is not None:
            xw += w["bias_ih"]
        hs = np.empty((T + 1, *h0.shape), dtype=self.dtype)
        gates = np.empty(xw.shape, dtype=self.dtype)
        hw_n = np.empty((T, *h0.shape), dtype=self.dtype)
        hs[0] = h0
        for t in range(T):
            h_new, gates[t], hw_n[t] = gru_step_forward(
                xw[t], hs[t], w["weight_hh"], w["bias_hh"], self.reset_after
            )
            hs[t + 1] = keep_state(mask, t, h_new, hs[t])
        return hs[1:], (hs[-1],), (x, hs, gates, hw_n, w, mask)

    def _sequence_backward(
        self, d_out: Array, d_state_T: State, cache: Any
    ) -> tuple[Array, State, Weights, State]:
        """BPTT through one layer and direction; returns ``(dL/dx, (dL/dh_0,), parameter gradients, (dL/dh_t for all t,))``."""
        x, hs, gates, hw_n, w, mask = cache
        H = hs.shape[-1]
        dxw = np.empty_like(gates)
        dhw = np.empty_like(gates)
        dh = np.empty_like(d_out)
        (dh_next,) = d_state_T
        for t in reversed(range(x.shape[0])):
            dh[t] = d_out[t] + dh_next
            dxw[t], dhw[t], dh_prev = gru_step_backward(
                keep_state(mask, t, dh[t], 0.0),
                gates[t],
                hw_n[t],
                hs[t],
                w["weight_hh"],
                self.reset_after,
            )
            dh_next = keep_state(mask, t, dh_prev, dh[t])
        dxw_flat = dxw.reshape(-1, 3 * H)
        dhw_flat = dhw.reshape(-1, 3 * H)
        h_prev = hs[:-1].reshape(-1, H)
        if self.reset_after:
            d_weight_hh = dhw_flat.T @ h_prev
        else:  # the n block's recurrent matmul reads r_t * h_{t-1}
            rh_prev = gates[..., :H].reshape(-1, H) * h_prev
            d_weight_hh = np.concatenate(
                [dhw_flat[:, : 2 * H].T @ h_prev, dhw_flat[:, 2 * H :].T @ rh_prev]
            )
        grads: Weights = {
            "weight_ih": dxw_flat.T @ x.reshape(-1, x.shape[-1]),
            "weight_hh": d_weight_hh,
        }
        if w["bias_ih"] is not None:
            grads["bias_ih"] = dxw_flat.sum(axis=0)
            grads["bias_hh"] = dhw_flat.sum(axis=0)
        return all_steps_matmul(dxw, w["weight_ih"].T), (dh_next,), grads, (dh,)

    def __repr__(self) -> str:
        base = super().__repr__()
        return base if self.reset_after else base[:-1] + ", reset_after=False)"
