"""Gradient-norm clipping and float32 snapping for torch parameters: the mirror of :mod:`rnnbook.numpy.optim`.

The two functions both backends have, under the same names (trailing underscore: in place, as
in torch): :func:`clip_grad_norm_` and :func:`snap_to_float32_`. The optimisers themselves are
:mod:`torch.optim`'s (:mod:`rnnbook.numpy.optim` re-implements them with the same update rules).

Pascanu, Mikolov, Bengio (2013): when the global norm ``||g||`` of all gradients exceeds a
threshold, rescale them together, ``g <- threshold g / ||g||``, keeping the update's direction.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch
from torch import Tensor

__all__ = ["clip_grad_norm_", "snap_to_float32_"]


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
        norms = torch.stack(
            [torch.linalg.vector_norm(g, 2.0).to(device) for g in grads]
        )
        total = torch.linalg.vector_norm(norms, 2.0)
        coef = torch.clamp(max_norm / (total + 1e-6), max=1.0)
        for g in grads:
            g.mul_(coef.to(g.device, g.dtype))
    return float(total)


#: The largest float32; a float64 value beyond it is left as it is (rounding would make it inf).
FLOAT32_MAX = float(torch.finfo(torch.float32).max)


def snap_to_float32_(parameters: Tensor | Iterable[Tensor]) -> None:
    """Round every float64 parameter, in place, to the nearest float32 value (kept as float64).

    Why the book's training loops call this after each update: float64 arithmetic on two CPUs
    (other vector kernels, another BLAS path, another thread count) differs in the last bits,
    about 1e-16 of a value, and training amplifies such differences step by step until a second
    run of the same seed ends somewhere else. Rounding the parameters to the float32 grid
    (spacing about 6e-8 of a value) after every step removes the difference, unless a value
    falls within 1e-16 of a rounding boundary, about one chance in a hundred million per value and
    step: both machines then continue from bit-identical parameters. The arithmetic stays float64;
    only what is carried from one step to the next is rounded. Values beyond float32's range
    (a diverging run) are left as they are. Tensors of other dtypes are not touched, so for a
    float32 model this does nothing.
    """
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    with torch.no_grad():
        for p in params:
            if p.dtype == torch.float64:
                rounded = p.to(torch.float32).to(torch.float64)
                p.copy_(torch.where(p.abs() <= FLOAT32_MAX, rounded, p))
