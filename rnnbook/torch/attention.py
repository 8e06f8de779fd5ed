"""Additive attention (Bahdanau, Cho, Bengio 2015) as a ``torch.nn.Module``, with padding masks.

The mirror of :mod:`rnnbook.numpy.attention` (same equations, same parameter names, autograd for
the backward pass). At decoder step t, with the query s_{t-1} and the annotations h_1 .. h_S::

    e_tj     = v^T tanh(W_a s_{t-1} + U_a h_j + b_a)     scores, (N, S)
    alpha_tj = exp(e_tj) / sum_{k < length} exp(e_tk)   for j < length, exactly 0 on padding
    c_t      = sum_j alpha_tj h_j                       the context vector, (N, d_k)

    W_a = query.weight  (d_a, d_q)      U_a = key.weight  (d_a, d_k)
    b_a = key.bias      (d_a,)          v   = energy.weight (1, d_a)
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

__all__ = ["AdditiveAttention", "masked_softmax"]


def masked_softmax(scores: Tensor, mask: Tensor, dim: int = -1) -> Tensor:
    """Softmax of ``scores`` over the positions where ``mask`` is True; exactly 0 where it is False.

    The mirror of :func:`rnnbook.numpy.attention.masked_softmax`: masked scores become ``-inf``
    before the (stable) softmax, so padding gets exactly zero weight. Every row needs at least one
    True position (a row of ``-inf`` only would give NaN).
    """
    return torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=dim)


class AdditiveAttention(nn.Module):
    """``e_tj = v^T tanh(W_a s_{t-1} + U_a h_j + b_a)``, ``alpha_t`` = softmax over real ``j``, ``c_t = sum_j alpha_tj h_j``.

    ``AdditiveAttention(query_size, key_size, attention_size)``; ``query.weight`` = W_a
    ``(d_a, d_q)``, ``key.weight`` = U_a ``(d_a, d_k)``, ``key.bias`` = b_a, ``energy.weight`` = v
    ``(1, d_a)``. Padding is masked with ``-inf`` before the softmax, so it gets exactly 0 weight.
    """

    def __init__(
        self,
        query_size: int,
        key_size: int,
        attention_size: int,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        factory = {"device": device, "dtype": dtype}
        self.query = nn.Linear(query_size, attention_size, bias=False, **factory)
        self.key = nn.Linear(key_size, attention_size, **factory)
        self.energy = nn.Linear(attention_size, 1, bias=False, **factory)

    def forward(
        self, query: Tensor, keys: Tensor, values: Tensor, mask: Tensor
    ) -> tuple[Tensor, Tensor]:
        """``query`` ``(N, d_q)``, ``keys = key(values)`` ``(N, S, d_a)``, ``values`` ``(N, S, d_k)``, ``mask`` ``(N, S)`` bool.

        Returns ``(context (N, d_k), alpha (N, S))``.
        """
        scores = self.energy(torch.tanh(self.query(query)[:, None, :] + keys))[
            ..., 0
        ]  # (N, S)
        alpha = masked_softmax(scores, mask, dim=1)
        return torch.einsum("ns,nsd->nd", alpha, values), alpha
