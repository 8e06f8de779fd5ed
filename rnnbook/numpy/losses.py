"""Cross-entropy over sequences, with its gradient.

Notation: logits ``y_t`` (shape ``(T, N, V)``), probabilities ``y_hat_t = softmax(y_t)``,
integer targets (shape ``(T, N)``). The gradient of softmax followed by cross-entropy with
respect to the logits is ``y_hat_t - onehot(target_t)`` per token.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._shapes import format_shape
from .activations import log_softmax

__all__ = ["cross_entropy"]


def cross_entropy(
    logits: ArrayLike, targets: ArrayLike, mask: ArrayLike | None = None
) -> tuple[float, NDArray[np.floating]]:
    """Mean cross-entropy of ``logits`` against integer ``targets`` and its gradient.

    Args:
        logits: ``(T, N, V)`` unnormalised scores ``y_t`` (any leading shape works, the
            last axis holds the ``V`` classes).
        targets: integer class indices in ``[0, V)``, shape ``logits.shape[:-1]``.
        mask: optional, shape ``logits.shape[:-1]``; tokens where it is 0/False (padding)
            add nothing to the loss and get zero gradient.

    Returns:
        ``(loss, d_logits)``: ``loss = -(1/K) sum_counted log y_hat_t[target_t]`` averaged
        over the ``K`` counted tokens, and ``d_logits = (y_hat - onehot(targets)) / K`` on
        counted tokens, 0 elsewhere, with the shape of ``logits``.

    The log-probabilities come from :func:`log_softmax` (log-sum-exp), so logits of size
    1e4 give a finite loss and gradient.
    """
    z = np.asarray(logits)
    if not np.issubdtype(z.dtype, np.floating):
        raise TypeError(f"logits must be a floating-point array, got dtype {z.dtype}")
    if z.ndim < 1 or z.shape[-1] == 0:
        raise ValueError(
            f"logits must have a non-empty last (class) axis, got shape {format_shape(z.shape)}"
        )
    if not np.all(np.isfinite(z)):
        raise ValueError("logits contain NaN or infinity")
    y = np.asarray(targets)
    if not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"targets must be integer class indices, got dtype {y.dtype}")
    if y.shape != z.shape[:-1]:
        raise ValueError(
            f"targets must have shape {format_shape(z.shape[:-1])} (logits without the class axis), got {format_shape(y.shape)}"
        )
    vocab = z.shape[-1]
    if y.size and (y.min() < 0 or y.max() >= vocab):
        raise ValueError(
            f"targets must lie in [0, {vocab}), got values in [{y.min()}, {y.max()}]"
        )
    if mask is None:
        weight = np.ones(y.shape, dtype=z.dtype)
    else:
        weight = np.asarray(mask).astype(z.dtype)
        if weight.shape != y.shape:
            raise ValueError(
                f"mask must have shape {format_shape(y.shape)}, got {format_shape(weight.shape)}"
            )
    count = float(weight.sum())
    if count <= 0:
        raise ValueError(
            "no tokens to average over: the sequence is empty or the mask is all zero"
        )

    log_probs = log_softmax(z, axis=-1)
    picked = np.take_along_axis(log_probs, y[..., None], axis=-1)[..., 0]
    loss = -float(np.sum(picked * weight)) / count

    d_logits = np.exp(log_probs)  # y_hat
    np.put_along_axis(
        d_logits,
        y[..., None],
        np.take_along_axis(d_logits, y[..., None], axis=-1) - 1.0,
        axis=-1,
    )
    d_logits *= (weight / count)[..., None]
    return loss, d_logits
