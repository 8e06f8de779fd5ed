"""Gradient checking: compare a hand-written backward pass with centred finite differences."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .recurrent import RecurrentBase

__all__ = ["numerical_gradient", "relative_error", "check_layer_gradients"]


def numerical_gradient(
    f: Callable[[], float], x: NDArray[np.floating], eps: float = 1e-6
) -> NDArray[np.float64]:
    """Centred finite differences ``(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)`` for every entry of ``x``.

    ``f`` takes no arguments and reads ``x``, which is perturbed in place one entry at a
    time and restored exactly afterwards. The error is O(eps^2); use float64.
    """
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"x must be a floating-point array, got dtype {x.dtype}")
    grad = np.zeros(x.shape, dtype=np.float64)
    flat = x.reshape(-1)  # a view: writes reach x
    if not np.shares_memory(flat, x):
        raise ValueError("x must be contiguous so that it can be perturbed in place")
    for i in range(flat.size):
        original = flat[i]
        flat[i] = original + eps
        plus = f()
        flat[i] = original - eps
        minus = f()
        flat[i] = original
        grad.reshape(-1)[i] = (plus - minus) / (2 * eps)
    return grad


def relative_error(a: Any, b: Any) -> float:
    """``max |a - b| / max(|a| + |b|)``: 0 when equal, 1 when unrelated; scale-free.

    Returns 0.0 when both are all zeros.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} and {b.shape}")
    scale = float(np.max(np.abs(a) + np.abs(b))) if a.size else 0.0
    return 0.0 if scale == 0.0 else float(np.max(np.abs(a - b))) / scale


def check_layer_gradients(
    layer: RecurrentBase,
    x: NDArray[np.floating],
    hx: Any = None,
    seed: int = 0,
    eps: float = 1e-6,
    lengths: Any = None,
) -> dict[str, float]:
    """Gradient-check ``layer.backward`` on ``x`` (and ``hx``, ``lengths``) and return the relative error per tensor.

    The scalar loss is ``L = sum(R * output) + sum(S * h_n)`` with fixed random ``R`` and ``S``,
    so every output and every final state carries gradient. The keys are ``"input"``,
    ``"hx"`` (``"h_0"``, ``"c_0"`` for a tuple state) when ``hx`` is given, and every parameter name.
    ``lengths`` is passed to ``forward`` (variable-length sequences).
    """
    rng = np.random.default_rng(seed)
    x = np.array(x, dtype=np.float64)
    tuple_state = isinstance(hx, tuple)
    states = (
        []
        if hx is None
        else [np.array(s, dtype=np.float64) for s in (hx if tuple_state else (hx,))]
    )

    def run() -> tuple[NDArray[np.floating], tuple[NDArray[np.floating], ...]]:
        """Forward on the current ``x`` and ``states`` (which the finite differences perturb)."""
        out, h_n = layer.forward(
            x,
            None if hx is None else (tuple(states) if tuple_state else states[0]),
            lengths,
        )
        return out, (h_n if isinstance(h_n, tuple) else (h_n,))

    output, finals = run()
    r = rng.standard_normal(output.shape)
    s = [rng.standard_normal(f.shape) for f in finals]

    def loss() -> float:
        out, parts = run()
        return float(np.sum(r * out) + sum(np.sum(si * p) for si, p in zip(s, parts)))

    d_x, d_hx = layer.backward(r, tuple(s) if len(s) > 1 else s[0])
    analytic = {"input": d_x, **{name: g.copy() for name, g in layer.grads.items()}}
    numeric = {"input": numerical_gradient(loss, x, eps)}
    for name, value in layer.params.items():
        numeric[name] = numerical_gradient(loss, value, eps)
    if hx is not None:
        names = ("h_0", "c_0") if tuple_state else ("hx",)
        d_parts = d_hx if isinstance(d_hx, tuple) else (d_hx,)
        for name, state, d_state in zip(names, states, d_parts):
            analytic[name] = d_state
            numeric[name] = numerical_gradient(loss, state, eps)
    return {name: relative_error(analytic[name], numeric[name]) for name in analytic}
