"""Gradient-norm clipping written with torch operations (the mirror of :func:`rnnbook.numpy.optim.clip_grad_norm`).

Pascanu, Mikolov, Bengio (2013): when the global norm ``||g||`` of all gradients exceeds a
threshold, rescale them together, ``g <- threshold g / ||g||``, keeping the update's direction.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch
from torch import Tensor

__all__ = ["clip_grad_norm_"]


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float) -> float:
    """Clip the global L2 norm of the parameters' ``.grad`` in place; return the norm before clipping.

    Same formula as ``torch.nn.utils.clip_grad_norm_``: ``||g||`` is the L2 norm of the per-tensor
    L2 norms (equal to the norm of all gradients concatenated), and every gradient is multiplied
    by ``min(1, max_norm / (||g|| + 1e-6))``. Parameters whose ``.grad`` is None are skipped.

    Args:
        parameters: a tensor or an iterable of tensors (for example ``model.parameters()``).
        max_norm: the threshold, > 0 (``inf`` only measures).
    """
    if isinstance(max_norm, bool) or not isinstance(max_norm, int | float):
        raise TypeError(f"max_norm must be a number, got {type(max_norm).__name__}")
    if math.isnan(max_norm) or max_norm <= 0:
        raise ValueError(f"max_norm must be > 0, got {max_norm}")
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return 0.0
    device = grads[0].device
    with torch.no_grad():
        norms = torch.stack([torch.linalg.vector_norm(g, 2.0).to(device) for g in grads])
        total = torch.linalg.vector_norm(norms, 2.0)
        coef = torch.clamp(max_norm / (total + 1e-6), max=1.0)
        for g in grads:
            g.mul_(coef.to(g.device, g.dtype))
    return float(total)
