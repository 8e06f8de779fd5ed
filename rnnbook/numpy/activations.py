"""Activation functions and their derivatives, written to be numerically stable.

Each derivative is given twice where that helps the backward pass: as a function of the
pre-activation ``z`` (``d_tanh(z)``) and as a function of the activation's output
(``tanh_grad_from_output(h)``), since BPTT keeps ``h_t`` and can reuse it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.floating]

__all__ = [
    "tanh",
    "d_tanh",
    "tanh_grad_from_output",
    "sigmoid",
    "d_sigmoid",
    "sigmoid_grad_from_output",
    "relu",
    "d_relu",
    "relu_grad_from_output",
    "logsumexp",
    "softmax",
    "log_softmax",
]


def tanh(z: ArrayLike, out: Array | None = None) -> Array:
    """Hyperbolic tangent, ``(e^z - e^-z) / (e^z + e^-z)``; range (-1, 1).

    ``out`` (optional, same shape, may be ``z`` itself) receives the result instead of a new array.
    """
    return np.tanh(z, out=out)


def d_tanh(z: ArrayLike) -> Array:
    """Derivative of tanh at ``z``: ``1 - tanh(z)^2``; at most 1, at ``z = 0``."""
    return tanh_grad_from_output(np.tanh(z))


def tanh_grad_from_output(h: ArrayLike) -> Array:
    """Derivative of tanh expressed through its output ``h = tanh(z)``: ``1 - h^2``."""
    h = np.asarray(h)
    return 1.0 - h * h


def sigmoid(z: ArrayLike, out: Array | None = None) -> Array:
    """Logistic sigmoid ``1 / (1 + e^-z)``, stable for large ``|z|``.

    The naive formula overflows ``e^-z`` for large negative ``z``; here each element uses
    the form whose exponential is at most 1: ``1 / (1 + e^-z)`` for ``z >= 0`` and
    ``e^z / (1 + e^z)`` for ``z < 0``. ``out`` (optional, a float array of ``z``'s shape, may be
    ``z`` itself) receives the result instead of a new array.
    """
    z = np.asarray(z)
    if not np.issubdtype(z.dtype, np.floating):
        z = z.astype(np.float64)
    positive = z >= 0
    # e is a new contiguous array that each step updates in place (in-place np.negative on a strided
    # float32 column view gives wrong values in NumPy 2.4; tests/models/test_activations_and_loss.py checks).
    e = np.abs(z, out=np.empty_like(z))
    np.exp(np.negative(e, out=e), out=e)  # e = exp(-|z|) in (0, 1], never overflows
    # The numerator is 1 where z >= 0 and e where z < 0. Since e <= 1, max(e, [z >= 0]) is exactly
    # that, and costs one pass where np.where(z >= 0, 1 / (1 + e), e / (1 + e)) costs four.
    numerator = np.maximum(e, positive)
    e += 1.0
    result = np.divide(numerator, e, out=e if out is None else out)
    return (
        result if result.ndim or out is not None else result[()]
    )  # a scalar in, a scalar out


def d_sigmoid(z: ArrayLike) -> Array:
    """Derivative of the sigmoid at ``z``: ``s (1 - s)``; at most 1/4, at ``z = 0``."""
    return sigmoid_grad_from_output(sigmoid(z))


def sigmoid_grad_from_output(s: ArrayLike) -> Array:
    """Derivative of the sigmoid expressed through its output ``s``: ``s (1 - s)``."""
    s = np.asarray(s)
    return s * (1.0 - s)


def relu(z: ArrayLike) -> Array:
    """Rectified linear unit ``max(0, z)``."""
    z = np.asarray(z)
    return np.maximum(z, 0).astype(
        z.dtype if np.issubdtype(z.dtype, np.floating) else np.float64
    )


def d_relu(z: ArrayLike) -> Array:
    """Derivative of ReLU: 1 where ``z > 0``, else 0 (the subgradient 0 is used at ``z = 0``, as torch does)."""
    z = np.asarray(z)
    return (z > 0).astype(
        z.dtype if np.issubdtype(z.dtype, np.floating) else np.float64
    )


def relu_grad_from_output(h: ArrayLike) -> Array:
    """Derivative of ReLU expressed through its output ``h``: 1 where ``h > 0``, else 0."""
    return d_relu(h)


def logsumexp(z: ArrayLike, axis: int = -1, keepdims: bool = False) -> Array:
    """``log(sum(exp(z)))`` along ``axis``, computed as ``m + log(sum(exp(z - m)))`` with ``m = max(z)``.

    Subtracting the maximum makes every exponent at most 0, so nothing overflows, and the
    largest term is exactly ``e^0 = 1``, so the sum never underflows to 0.
    """
    z = np.asarray(z, dtype=np.result_type(z, np.float32))
    m = np.max(z, axis=axis, keepdims=True)
    out = m + np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def _check_temperature(temperature: float) -> None:
    if not np.isfinite(temperature) or temperature <= 0:
        raise ValueError(f"temperature must be a finite number > 0, got {temperature}")


def softmax(z: ArrayLike, axis: int = -1, temperature: float = 1.0) -> Array:
    """Softmax ``y_hat = exp(z / tau) / sum(exp(z / tau))`` along ``axis``, stable for large logits.

    ``temperature`` (tau) > 1 flattens the distribution, < 1 sharpens it towards the arg max.
    """
    _check_temperature(temperature)
    z = np.asarray(z, dtype=np.result_type(z, np.float32)) / temperature
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(z: ArrayLike, axis: int = -1, temperature: float = 1.0) -> Array:
    """``log softmax(z / tau)``, finite even where softmax underflows to 0.

    Computed as ``s - log(sum(exp(s)))`` with ``s = z / tau - max(z / tau)``: shifting first
    keeps the result exact to rounding for logits of size 1e4, where ``z - logsumexp(z)``
    would subtract two numbers near 1e4 and lose about 12 bits.
    """
    _check_temperature(temperature)
    z = np.asarray(z, dtype=np.result_type(z, np.float32)) / temperature
    shifted = z - np.max(z, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
