"""A peer for the NumPy LSTM: the straightforward per-step NumPy LSTM of a CS231n-style assignment.

Written here from the LSTM equations, not imported, the way a student writes it after the
assignment's template: one forward and one backward function per step, each step computing
``x_t W_x + h_{t-1} W_h + b`` with two matrix products, a list of per-step caches, the gate
gradients joined with ``np.hstack``, and the weight gradients accumulated step by step. Batch-first
``(N, T, D)`` arrays and weights ``W_x`` ``(D, 4H)``, ``W_h`` ``(H, 4H)`` with the gates in the
order ``i, f, o, g``, as in the assignment.

:func:`peer_step` builds a training step (forward, the loss ``h.sum()``, backward) on the weights
of a ``torch.nn.LSTM``, so the benchmark times it on the same weights and input as the other
implementations, and the tests check it against ``torch.nn.LSTM`` (a wrong peer would make the
comparison meaningless).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .core import PEER

__all__ = ["PEER", "peer_step", "lstm_forward", "lstm_backward", "weights_from_torch"]


def sigmoid(x: np.ndarray) -> np.ndarray:
    """A numerically stable sigmoid, in the assignment's form (exp of ``-|x|`` only)."""
    pos = x >= 0
    neg = ~pos
    z = np.zeros_like(x)
    z[pos] = np.exp(-x[pos])
    z[neg] = np.exp(x[neg])
    top = np.ones_like(x)
    top[neg] = z[neg]
    return top / (1 + z)


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    """One step: ``(next_h, next_c, cache)`` for ``x`` ``(N, D)``, ``prev_h``, ``prev_c`` ``(N, H)``."""
    H = prev_h.shape[1]
    a = x.dot(Wx) + prev_h.dot(Wh) + b
    i = sigmoid(a[:, :H])
    f = sigmoid(a[:, H : 2 * H])
    o = sigmoid(a[:, 2 * H : 3 * H])
    g = np.tanh(a[:, 3 * H :])
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    cache = (x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c)
    return next_h, next_c, cache


def lstm_step_backward(dnext_h, dnext_c, cache):
    """Backward through one step: ``(dx, dprev_h, dprev_c, dWx, dWh, db)``."""
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c = cache
    tanh_c = np.tanh(next_c)
    do = dnext_h * tanh_c
    dc = dnext_c + dnext_h * o * (1 - tanh_c**2)
    df = dc * prev_c
    di = dc * g
    dg = dc * i
    dprev_c = dc * f
    da = np.hstack(
        (di * i * (1 - i), df * f * (1 - f), do * o * (1 - o), dg * (1 - g**2))
    )
    dx = da.dot(Wx.T)
    dprev_h = da.dot(Wh.T)
    dWx = x.T.dot(da)
    dWh = prev_h.T.dot(da)
    db = da.sum(axis=0)
    return dx, dprev_h, dprev_c, dWx, dWh, db


def lstm_forward(x, h0, Wx, Wh, b):
    """Over a sequence ``x`` ``(N, T, D)`` from ``h0`` ``(N, H)`` (and a zero cell): ``(h (N, T, H), cache)``."""
    N, T, _ = x.shape
    H = h0.shape[1]
    h = np.zeros((N, T, H), dtype=x.dtype)
    prev_h, prev_c = h0, np.zeros_like(h0)
    caches = []
    for t in range(T):
        prev_h, prev_c, cache = lstm_step_forward(x[:, t, :], prev_h, prev_c, Wx, Wh, b)
        h[:, t, :] = prev_h
        caches.append(cache)
    return h, caches


def lstm_backward(dh, caches):
    """Backward over the sequence: ``(dx, dh0, dWx, dWh, db)``."""
    N, T, H = dh.shape
    D = caches[0][0].shape[1]
    dx = np.zeros((N, T, D), dtype=dh.dtype)
    dWx = np.zeros((D, 4 * H), dtype=dh.dtype)
    dWh = np.zeros((H, 4 * H), dtype=dh.dtype)
    db = np.zeros(4 * H, dtype=dh.dtype)
    dprev_h = np.zeros((N, H), dtype=dh.dtype)
    dprev_c = np.zeros((N, H), dtype=dh.dtype)
    for t in reversed(range(T)):
        dx_t, dprev_h, dprev_c, dWx_t, dWh_t, db_t = lstm_step_backward(
            dh[:, t, :] + dprev_h, dprev_c, caches[t]
        )
        dx[:, t, :] = dx_t
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    return dx, dprev_h, dWx, dWh, db


def weights_from_torch(state: dict[str, Any]) -> tuple[np.ndarray, ...]:
    """``(Wx, Wh, b)`` in the assignment's layout from a ``torch.nn.LSTM`` state dict (gates ``i, f, g, o``)."""

    def reorder(w: np.ndarray) -> np.ndarray:
        i, f, g, o = np.split(w, 4, axis=0)
        return np.concatenate([i, f, o, g], axis=0)

    Wx = reorder(state["weight_ih_l0"].detach().cpu().numpy()).T.copy()
    Wh = reorder(state["weight_hh_l0"].detach().cpu().numpy()).T.copy()
    b = reorder(
        (state["bias_ih_l0"] + state["bias_hh_l0"]).detach().cpu().numpy()[:, None]
    )[:, 0].copy()
    return Wx, Wh, b


def peer_step(state: dict[str, Any], x_time_major: np.ndarray) -> Callable[[], Any]:
    """A training step of the peer on ``torch.nn.LSTM`` weights: forward, loss ``h.sum()``, backward.

    ``x_time_major`` is ``(T, N, D)`` as the other implementations take it; the peer reads the
    batch-first copy the assignment's code expects (made once, outside the timed step).
    """
    Wx, Wh, b = weights_from_torch(state)
    x = np.ascontiguousarray(np.swapaxes(x_time_major, 0, 1))
    h0 = np.zeros((x.shape[0], Wh.shape[0]), dtype=x.dtype)
    dh: list[np.ndarray] = []

    def step() -> np.ndarray:
        h, caches = lstm_forward(x, h0, Wx, Wh, b)
        if not dh:
            dh.append(np.ones_like(h))
        lstm_backward(dh[0], caches)
        return h

    return step
