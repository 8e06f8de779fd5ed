"""A small causal Transformer encoder written from the equations (Vaswani et al. 2017), with a KV cache.

For a sequence of ``T`` vectors, stacked as the rows of ``X`` ``(T, d_model)``, one head of
self-attention computes

    Q = X W_q^T,  K = X W_k^T,  V = X W_v^T                  (each (T, d_k), d_k = d_model / heads)
    A = softmax(Q K^T / sqrt(d_k) + M)                        (T, T): row t weighs the steps t attends to
    head = A V

with the **causal mask** ``M[t, s] = -inf`` for ``s > t`` (0 otherwise), so step ``t`` sees steps
``1..t`` and nothing later: the same information an RNN has at step ``t``, but reached directly
rather than through ``t`` state updates. ``heads`` heads run side by side and ``W_o`` mixes their
concatenation. A block is pre-norm: ``X + MHA(LN(X))`` then ``+ MLP(LN(.))``. Position enters only
through the sinusoidal encoding added to the input projection,
``PE[t, 2i] = sin(t / 10000^{2i/d_model})``, ``PE[t, 2i+1] = cos(t / 10000^{2i/d_model})``.

**Streaming.** Generating one token at a time, step ``t`` needs the keys and values of every
earlier step in every layer. Keeping them (the *KV cache*) costs ``2 * num_layers * d_model``
numbers per step and sequence, :func:`kv_cache_size`, growing with the context, where an RNN keeps
a state of fixed size, :func:`recurrent_state_size`. :meth:`CausalTransformer.step` runs one step
against the cache; the chapter *RNNs today* measures both.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor, nn

from .._shapes import positive_int

__all__ = [
    "sinusoidal_positional_encoding",
    "causal_mask",
    "MultiHeadSelfAttention",
    "TransformerBlock",
    "CausalTransformer",
    "KVCache",
    "kv_cache_size",
    "recurrent_state_size",
    "cache_numel",
]

KVCache = list[tuple[Tensor, Tensor]]
"""Per layer ``(K, V)``, each ``(N, heads, t, d_k)``: the keys and values of the ``t`` steps seen so far."""


def sinusoidal_positional_encoding(
    T: int, d_model: int, *, offset: int = 0, dtype: Any = None, device: Any = None
) -> Tensor:
    """``PE`` ``(T, d_model)`` for positions ``offset .. offset + T - 1`` (see the module docstring)."""
    positive_int("d_model", d_model)
    pos = torch.arange(offset, offset + T, dtype=torch.float64, device=device)[:, None]
    freq = torch.exp(
        -math.log(10000.0)
        * torch.arange(0, d_model, 2, dtype=torch.float64, device=device)
        / d_model
    )
    pe = torch.zeros(T, d_model, dtype=torch.float64, device=device)
    pe[:, 0::2] = torch.sin(pos * freq)
    pe[:, 1::2] = torch.cos(pos * freq[: d_model // 2])
    return pe.to(dtype or torch.get_default_dtype())


def causal_mask(T: int, *, dtype: Any = None, device: Any = None) -> Tensor:
    """``M`` ``(T, T)``: 0 on and below the diagonal, ``-inf`` above (step ``t`` may not see ``s > t``)."""
    full = torch.full(
        (T, T), -math.inf, dtype=dtype or torch.get_default_dtype(), device=device
    )
    return torch.triu(full, diagonal=1)


def kv_cache_size(num_layers: int, d_model: int, T: int) -> int:
    """Numbers a Transformer must keep per sequence after ``T`` steps: ``2 * num_layers * d_model * T`` (K and V)."""
    return (
        2
        * positive_int("num_layers", num_layers)
        * positive_int("d_model", d_model)
        * positive_int("T", T, minimum=0)
    )


def recurrent_state_size(cell: str, num_layers: int, hidden_size: int) -> int:
    """Numbers an RNN keeps per sequence, whatever ``T``: ``num_layers * d_h`` (twice that for an LSTM's ``(h, c)``)."""
    per_layer = {"rnn": 1, "gru": 1, "mingru": 1, "minlstm": 1, "lstm": 2}
    if cell not in per_layer:
        raise ValueError(f"cell must be one of {sorted(per_layer)}, got {cell!r}")
    return (
        per_layer[cell]
        * positive_int("num_layers", num_layers)
        * positive_int("hidden_size", hidden_size)
    )


def cache_numel(cache: KVCache) -> int:
    """How many numbers a :data:`KVCache` holds, counted from its tensors (all sequences of the batch)."""
    return sum(k.numel() + v.numel() for k, v in cache)


class MultiHeadSelfAttention(nn.Module):
    """Multi-head self-attention with an optional mask and cache; batch-first.

    Parameters: ``q_proj``, ``k_proj``, ``v_proj`` (``W_q``, ``W_k``, ``W_v``, each ``(d_model,
    d_model)`` with bias), ``out_proj`` (``W_o``). After a forward pass, ``last_attention`` holds
    ``A`` ``(N, heads, T_q, T_k)`` for inspection (attention maps).
    """

    def __init__(self, d_model: int, num_heads: int, **factory: Any) -> None:
        super().__init__()
        positive_int("d_model", d_model)
        positive_int("num_heads", num_heads)
        if d_model % num_heads:
            raise ValueError(
                f"d_model must be divisible by num_heads, got {d_model} and {num_heads}"
            )
        self.d_model, self.num_heads, self.d_k = (
            d_model,
            num_heads,
            d_model // num_heads,
        )
        self.q_proj = nn.Linear(d_model, d_model, **factory)
        self.k_proj = nn.Linear(d_model, d_model, **factory)
        self.v_proj = nn.Linear(d_model, d_model, **factory)
        self.out_proj = nn.Linear(d_model, d_model, **factory)
        self.last_attention: Tensor | None = None

    def _heads(self, x: Tensor) -> Tensor:
        """``(N, T, d_model)`` -> ``(N, heads, T, d_k)``."""
        return x.view(x.shape[0], x.shape[1], self.num_heads, self.d_k).transpose(1, 2)

    def forward(
        self,
        x: Tensor,
        mask: Tensor | None = None,
        cache: tuple[Tensor, Tensor] | None = None,
    ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        """``x`` ``(N, T, d_model)`` -> ``(output (N, T, d_model), (K, V))``.

        ``mask`` ``(T, T_total)`` is added to the scores; ``cache`` ``(K, V)`` from earlier steps
        is prepended to this call's keys and values (incremental decoding), and the returned
        ``(K, V)`` covers all ``T_total`` steps.
        """
        q, k, v = (
            self._heads(self.q_proj(x)),
            self._heads(self.k_proj(x)),
            self._heads(self.v_proj(x)),
        )
        if cache is not None:
            k, v = torch.cat([cache[0], k], dim=2), torch.cat([cache[1], v], dim=2)
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.d_k)  # (N, heads, T, T_total)
        if mask is not None:
            scores = scores + mask
        attention = torch.softmax(scores, dim=-1)
        self.last_attention = attention.detach()
        heads = (
            (attention @ v)
            .transpose(1, 2)
            .reshape(x.shape[0], x.shape[1], self.d_model)
        )
        return self.out_proj(heads), (k, v)


class TransformerBlock(nn.Module):
    """Pre-norm block: ``x + MHA(LN1(x))``, then ``+ W_2 ReLU(W_1 LN2(.))`` (``ff_size`` hidden units)."""

    def __init__(
        self,
        d_model: int,
        num_heads: int,
        ff_size: int,
        dropout: float = 0.0,
        **factory: Any,
    ) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(d_model, **factory)
        self.attention = MultiHeadSelfAttention(d_model, num_heads, **factory)
        self.norm2 = nn.LayerNorm(d_model, **factory)
        self.ff = nn.Sequential(
            nn.Linear(d_model, ff_size, **factory),
            nn.ReLU(),
            nn.Linear(ff_size, d_model, **factory),
        )
        self.dropout = nn.Dropout(dropout)

    def forward(
        self,
        x: Tensor,
        mask: Tensor | None = None,
        cache: tuple[Tensor, Tensor] | None = None,
    ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        attended, kv = self.attention(self.norm1(x), mask, cache)
        x = x + self.dropout(attended)
        return x + self.dropout(self.ff(self.norm2(x))), kv


class CausalTransformer(nn.Module):
    """Input projection + sinusoidal positions + ``num_layers`` causal blocks + final LayerNorm, batch-first.

    ``CausalTransformer(input_size, d_model, num_heads=2, num_layers=2, ff_size=None, dropout=0.0,
    device=None, dtype=None)`` (``ff_size`` defaults to ``4 d_model``). ``forward(x)`` maps
    ``(N, T, d_x)`` to ``(N, T, d_model)`` with output ``t`` depending on inputs ``1..t`` only.
    ``step(x_t, cache)`` computes the next step's output from ``x_t`` ``(N, d_x)`` and the cache of
    the earlier steps, equal to the last row of ``forward`` on the whole prefix.
    """

    def __init__(
        self,
        input_size: int,
        d_model: int,
        num_heads: int = 2,
        num_layers: int = 2,
        ff_size: int | None = None,
        dropout: float = 0.0,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.input_size = positive_int("input_size", input_size)
        self.d_model = positive_int("d_model", d_model)
        self.hidden_size = (
            d_model  # the width of the output, as for the recurrent layers
        )
        self.num_layers = positive_int("num_layers", num_layers)
        factory = {"device": device, "dtype": dtype}
        self.input_proj = nn.Linear(input_size, d_model, **factory)
        self.blocks = nn.ModuleList(
            TransformerBlock(
                d_model, num_heads, ff_size or 4 * d_model, dropout, **factory
            )
            for _ in range(num_layers)
        )
        self.norm = nn.LayerNorm(d_model, **factory)

    def _check(self, x: Any, dims: int) -> Tensor:
        if not isinstance(x, Tensor):
            raise TypeError(f"input must be a torch.Tensor, got {type(x).__name__}")
        expected = "(N, T, d_x)" if dims == 3 else "(N, d_x)"
        if x.dim() != dims or x.shape[-1] != self.input_size or 0 in x.shape:
            raise ValueError(
                f"input must have shape {expected} with d_x = {self.input_size} and no empty axis, got {tuple(x.shape)}"
            )
        if x.dtype != self.input_proj.weight.dtype:
            raise TypeError(
                f"input must have the model's dtype {self.input_proj.weight.dtype}, got {x.dtype}"
            )
        return x

    def forward(self, x: Tensor) -> Tensor:
        """``(N, T, d_x)`` -> ``(N, T, d_model)``, causally masked."""
        x = self._check(x, 3)
        T = x.shape[1]
        pe = sinusoidal_positional_encoding(
            T, self.d_model, dtype=x.dtype, device=x.device
        )
        h = self.input_proj(x) + pe
        mask = causal_mask(T, dtype=x.dtype, device=x.device)
        for block in self.blocks:
            h, _ = block(h, mask)
        return self.norm(h)

    def attention_maps(self) -> list[Tensor]:
        """Each layer's attention ``A`` ``(N, heads, T, T)`` from the last forward call."""
        return [
            block.attention.last_attention
            for block in self.blocks
            if block.attention.last_attention is not None
        ]

    def step(self, x_t: Tensor, cache: KVCache | None = None) -> tuple[Tensor, KVCache]:
        """One streaming step: ``x_t`` ``(N, d_x)`` and the cache of ``t`` earlier steps -> ``(y_t (N, d_model), cache)``.

        No mask is needed: the new query may attend to every cached step, all of which are in its past.
        """
        x_t = self._check(x_t, 2)
        t = 0 if not cache else cache[0][0].shape[2]
        pe = sinusoidal_positional_encoding(
            1, self.d_model, offset=t, dtype=x_t.dtype, device=x_t.device
        )
        h = self.input_proj(x_t)[:, None, :] + pe
        new_cache: KVCache = []
        for layer, block in enumerate(self.blocks):
            h, kv = block(h, None, None if not cache else cache[layer])
            new_cache.append(kv)
        return self.norm(h)[:, 0], new_cache
