"""The LSTM in NumPy, forward and backward written out gate by gate.

Book notation (column vectors; code uses batch rows, so ``W h`` is ``h @ W.T``)::

    i_t = sigmoid(W_xi x_t + W_hi h_{t-1} + b_i)      input gate
    f_t = sigmoid(W_xf x_t + W_hf h_{t-1} + b_f)      forget gate
    g_t = tanh(W_xg x_t + W_hg h_{t-1} + b_g)         candidate cell
    o_t = sigmoid(W_xo x_t + W_ho h_{t-1} + b_o)      output gate
    c_t = f_t * c_{t-1} + i_t * g_t                   cell state
    h_t = o_t * tanh(c_t)                             hidden state

Parameters, in torch.nn's layout (layer ``k``; suffix ``_reverse`` for the backward
direction): the four gates' matrices are stacked in the order i, f, g, o, so

    weight_ih_l{k} = [W_xi; W_xf; W_xg; W_xo]   (4 d_h, d_x)
    weight_hh_l{k} = [W_hi; W_hf; W_hg; W_ho]   (4 d_h, d_h)
    bias_ih_l{k} + bias_hh_l{k} = [b_i; b_f; b_g; b_o]   (4 d_h,)

and one matmul computes all four gates' pre-activations at once.

Backward through one step, with dL/dh_t and dL/dc_t the totals reaching the step::

    dL/do_t = dL/dh_t * tanh(c_t)
    dL/dc_t += dL/dh_t * o_t * (1 - tanh(c_t)^2)
    dL/di_t = dL/dc_t * g_t      dL/dg_t = dL/dc_t * i_t      dL/df_t = dL/dc_t * c_{t-1}
    dL/dc_{t-1} = dL/dc_t * f_t          (the cell-state path: only a product with f_t)
    dL/da_t = [dL/di_t i_t(1-i_t); dL/df_t f_t(1-f_t); dL/dg_t (1-g_t^2); dL/do_t o_t(1-o_t)]
    dL/dh_{t-1} = W_hh^T dL/da_t
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
    gate_blocks,
    keep_state,
)

__all__ = ["LSTM", "lstm_cell", "lstm_step_forward", "lstm_step_backward"]


def lstm_cell(
    x_t: Array,
    h_prev: Array,
    c_prev: Array,
    weight_ih: Array,
    weight_hh: Array,
    bias_ih: Array | None = None,
    bias_hh: Array | None = None,
) -> tuple[Array, Array]:
    """One LSTM step in the book's notation: ``(h_t, c_t)`` from ``x_t``, ``h_{t-1}``, ``c_{t-1}``.

    The reference the layer's fast path (:func:`lstm_step_forward` on precomputed input terms) is
    tested against.

    Args:
        x_t: ``(N, d_x)``; h_prev, c_prev: ``(N, d_h)``, ``h_{t-1}`` and ``c_{t-1}``.
        weight_ih: ``[W_xi; W_xf; W_xg; W_xo]`` ``(4 d_h, d_x)``.
        weight_hh: ``[W_hi; W_hf; W_hg; W_ho]`` ``(4 d_h, d_h)``.
        bias_ih, bias_hh: ``(4 d_h,)`` each, ``[b_i; b_f; b_g; b_o] = bias_ih + bias_hh``; both
            None without bias.

    The four gates' products are one stacked matmul each for ``x_t`` and ``h_{t-1}``, split into
    the pre-activations ``a_i, a_f, a_g, a_o`` (as in :func:`rnnbook.torch.lstm.lstm_cell`).

    Returns:
        ``(h_t, c_t)``, each ``(N, d_h)``.
    """
    a_t = x_t @ weight_ih.T + h_prev @ weight_hh.T  # [a_i; a_f; a_g; a_o]
    if bias_ih is not None and bias_hh is not None:
        a_t = a_t + (bias_ih + bias_hh)
    a_i, a_f, a_g, a_o = np.split(a_t, 4, axis=-1)
    i, f, g, o = sigmoid(a_i), sigmoid(a_f), tanh(a_g), sigmoid(a_o)
    c_t = f * c_prev + i * g
    h_t = o * tanh(c_t)
    return h_t, c_t


def lstm_step_forward(
    xw_t: Array,
    h_prev: Array,
    c_prev: Array,
    weight_hh: Array,
    bias_hh: Array | None,
    out: Array | None = None,
) -> tuple[Array, Array, Array]:
    """One LSTM step.

    Args:
        xw_t: ``(N, 4 d_h)``, the input term ``W_x[i,f,g,o] x_t + b_ih``,
            precomputed for all steps.
        h_prev, c_prev: ``(N, d_h)``, ``h_{t-1}`` and ``c_{t-1}``.
        weight_hh: ``(4 d_h, d_h)``; bias_hh: ``(4 d_h,)`` or None (the layer adds
            ``b_hh`` into ``xw_t`` with ``b_ih``, once for all steps, and passes None).
        out: optional ``(N, 4 d_h)`` array that receives ``gates`` (the layer passes
            its slot for step t, so the step allocates nothing of that size).

    Returns:
        ``(h_t, c_t, gates)`` with ``gates = [i_t, f_t, g_t, o_t]`` concatenated,
        ``(N, 4 d_h)``.
    """
    H = h_prev.shape[-1]
    # all four gates' recurrent terms in one matmul
    a_t = np.matmul(h_prev, weight_hh.T, out=out)
    a_t += xw_t  # a_t = xw_t + W_hh h_{t-1}: the pre-activations of i, f, g, o
    if bias_hh is not None:
        a_t += bias_hh
    gates = a_t  # each activation overwrites its block of pre-activations in place
    sigmoid(a_t[:, : 2 * H], out=gates[:, : 2 * H])  # i_t, f_t
    tanh(a_t[:, 2 * H : 3 * H], out=gates[:, 2 * H : 3 * H])  # g_t
    sigmoid(a_t[:, 3 * H :], out=gates[:, 3 * H :])  # o_t
    i, f, g, o = gate_blocks(gates, 4)
    c_t = f * c_prev + i * g
    h_t = o * tanh(c_t)
    return h_t, c_t, gates


def lstm_step_backward(
    dh_t: Array,
    dc_t: Array,
    gates: Array,
    c_prev: Array,
    tanh_c: Array,
    weight_hh: Array,
    out: Array | None = None,
) -> tuple[Array, Array, Array]:
    """Backward through one LSTM step.

    Args:
        dh_t, dc_t: ``(N, d_h)``, total gradients reaching ``h_t`` and ``c_t`` from
            later steps and outputs.
        gates: ``(N, 4 d_h)``, ``[i_t, f_t, g_t, o_t]`` from the forward step.
        c_prev: ``(N, d_h)``, ``c_{t-1}``; tanh_c: ``(N, d_h)``, ``tanh(c_t)``.
        weight_hh: ``(4 d_h, d_h)``.
        out: optional ``(N, 4 d_h)`` array that receives ``da_t``.

    Returns:
        ``(da_t, dh_prev, dc_prev)``: the gates' pre-activation gradient
        ``(N, 4 d_h)`` and the gradients flowing to ``h_{t-1}`` and ``c_{t-1}``.
    """
    i, f, g, o = gate_blocks(gates, 4)
    d_o = dh_t * tanh_c
    dc = dc_t + dh_t * o * tanh_grad_from_output(tanh_c)
    da_t = np.empty_like(gates) if out is None else out
    da_i, da_f, da_g, da_o = gate_blocks(da_t, 4)  # views: writing them fills da_t
    np.multiply(dc * g, sigmoid_grad_from_output(i), out=da_i)  # through i_t
    np.multiply(dc * c_prev, sigmoid_grad_from_output(f), out=da_f)  # through f_t
    np.multiply(dc * i, tanh_grad_from_output(g), out=da_g)  # through g_t
    np.multiply(d_o, sigmoid_grad_from_output(o), out=da_o)  # through o_t
    return da_t, da_t @ weight_hh, dc * f


class LSTM(RecurrentBase):
    """Long short-term memory layer with torch.nn.LSTM's arguments, parameters and shapes, in NumPy.

    ``LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False, dtype=np.float64, seed=None)``. The state is a pair: ``forward(x,
    hx=None, lengths=None)`` takes ``hx = (h_0, c_0)`` and returns ``(output, (h_n, c_n))``;
    ``backward(d_output, d_h_n=None)`` takes ``d_h_n = (dL/dh_n, dL/dc_n)`` (None when the loss
    does not depend on the final state) and returns ``(d_x, (d_h_0, d_c_0))``. Gate order i, f, g, o in the
    stacked weights (see the module docstring for the symbols).
    """

    gate_count = 4
    state_count = 2

    def _sequence_forward(
        self, x: Array, state0: State, w: Weights, mask: Mask = None
    ) -> tuple[Array, State, Any]:
        """One layer, one direction: ``x`` ``(T, N, d_in)`` -> hidden states ``(T, N, d_h)``; ``h`` and ``c`` frozen where ``mask`` is 0."""
        h0, c0 = state0
        T = x.shape[0]
        xw = all_steps_matmul(
            x, w["weight_ih"]
        )  # every gate's input term for every t in one matmul: (T, N, 4 d_h)
        if w["bias_ih"] is not None:
            xw += (
                w["bias_ih"] + w["bias_hh"]
            )  # both biases, once for all steps (the step then adds none)
        hs = np.empty((T + 1, *h0.shape), dtype=self.dtype)  # hs[t + 1] = h_t
        cs = np.empty((T + 1, *c0.shape), dtype=self.dtype)  # cs[t + 1] = c_t
        gates = np.empty(xw.shape, dtype=self.dtype)
        hs[0], cs[0] = h0, c0
        for t in range(T):
            h_new, c_new, _ = lstm_step_forward(
                xw[t], hs[t], cs[t], w["weight_hh"], None, out=gates[t]
            )
            hs[t + 1], cs[t + 1] = (
                keep_state(mask, t, h_new, hs[t]),
                keep_state(mask, t, c_new, cs[t]),
            )
        return hs[1:], (hs[-1], cs[-1]), (x, hs, cs, gates, w, mask)

    def _sequence_backward(
        self, d_out: Array, d_state_T: State, cache: Any
    ) -> tuple[Array, State, Weights, State]:
        """BPTT through one layer and direction.

        Returns ``(dL/dx, (dL/dh_0, dL/dc_0), parameter gradients, (dL/dh_t, dL/dc_t) for all t)``;
        dL/dc_t is the gradient arriving from step t + 1 (and from c_n), before step t adds the
        path through h_t.
        """
        x, hs, cs, gates, w, mask = cache
        tanh_cs = tanh(
            cs[1:]
        )  # on padded steps a frozen copy, unused: no gradient enters the cell there
        da = np.empty_like(gates)
        dh = np.empty_like(d_out)
        dc = np.empty_like(d_out)
        dh_next, dc_next = d_state_T
        for t in reversed(range(x.shape[0])):
            dh[t], dc[t] = d_out[t] + dh_next, dc_next
            _, dh_prev, dc_prev = lstm_step_backward(
                keep_state(mask, t, dh[t], 0.0),
                keep_state(mask, t, dc[t], 0.0),
                gates[t],
                cs[t],
                tanh_cs[t],
                w["weight_hh"],
                out=da[t],
            )
            dh_next, dc_next = (
                keep_state(mask, t, dh_prev, dh[t]),
                keep_state(mask, t, dc_prev, dc[t]),
            )
        da_flat = da.reshape(-1, da.shape[-1])
        grads: Weights = {
            "weight_ih": da_flat.T @ x.reshape(-1, x.shape[-1]),
            "weight_hh": da_flat.T @ hs[:-1].reshape(-1, hs.shape[-1]),
        }
        if w["bias_ih"] is not None:
            grads["bias_ih"] = da_flat.sum(axis=0)
            grads["bias_hh"] = grads["bias_ih"].copy()
        return (
            all_steps_matmul(da, w["weight_ih"].T),
            (dh_next, dc_next),
            grads,
            (dh, dc),
        )
