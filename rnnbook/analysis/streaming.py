"""Streaming inference measured: one token in, one output out, and what must be kept in between.

A model *streams* when it consumes a sequence one step at a time and produces the output for step
``t`` as soon as ``x_t`` arrives. What it must remember between steps differs by architecture:

* a recurrent layer (RNN, GRU, LSTM, minGRU, minLSTM) keeps its state, ``num_layers * d_h``
  numbers per sequence (twice that for an LSTM's ``(h, c)``), whatever ``t`` is
  (:func:`rnnbook.torch.recurrent_state_size`);
* a causal Transformer keeps the keys and values of every earlier step in every layer, its *KV
  cache*, ``2 * num_layers * d_model * t`` numbers after ``t`` steps
  (:func:`rnnbook.torch.kv_cache_size`).

This module runs both the same way and measures them: :func:`stream_step` advances a model by one
step (a recurrent layer called on a length-1 sequence with its state carried in ``hx``; a
:class:`~rnnbook.torch.CausalTransformer` through its :meth:`~rnnbook.torch.CausalTransformer.step`),
:func:`stream` runs a whole sequence that way, :func:`state_numel` / :func:`state_nbytes` count what
is kept, and :func:`latency_at` times one step at chosen context lengths (with
:func:`rnnbook.analysis.cost.median_seconds`, which times any call; :mod:`rnnbook.analysis.cost`
also gives a model's size at a chosen precision). The chapter *RNNs today* uses all of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from .._shapes import positive_int
from ..torch.minimal import MinGRU, MinLSTM
from ..torch.recurrent import RecurrentBase
from ..torch.transformer import CausalTransformer
from .cost import median_seconds

__all__ = [
    "LatencyPoint",
    "stream_step",
    "stream",
    "state_numel",
    "state_nbytes",
    "latency_at",
]

StreamState = Any
"""What a streaming model carries between steps: ``None`` before the first step; a recurrent layer's
``hx`` (a tensor ``(num_layers, N, d_h)``, or an LSTM's tuple ``(h, c)``); a Transformer's KV cache
(a list of per-layer ``(K, V)`` pairs, each ``(N, heads, t, d_k)``)."""


def _check_streamable(model: Any) -> None:
    if isinstance(model, CausalTransformer):
        return
    if isinstance(model, RecurrentBase | nn.RNNBase):
        if model.bidirectional:
            raise ValueError(
                "a bidirectional layer cannot stream: its output at step t depends on later inputs"
            )
        return
    raise TypeError(
        "model must be a recurrent layer (rnnbook.torch or torch.nn RNN/GRU/LSTM/MinGRU/MinLSTM) "
        f"or an rnnbook.torch.CausalTransformer, got {type(model).__name__}"
    )


def _check_step_input(model: Any, x_t: Any) -> Tensor:
    if not isinstance(x_t, Tensor):
        raise TypeError(f"x_t must be a torch.Tensor, got {type(x_t).__name__}")
    if x_t.dim() != 2 or x_t.shape[0] == 0 or x_t.shape[1] != model.input_size:
        raise ValueError(
            f"x_t must have shape (N, d_x) with N >= 1 and d_x = {model.input_size}, got {tuple(x_t.shape)}"
        )
    return x_t


def stream_step(
    model: Any, x_t: Tensor, state: StreamState = None
) -> tuple[Tensor, StreamState]:
    """Advance a streaming model by one step: ``x_t`` ``(N, d_x)`` and the carried state
    -> ``(y_t (N, d_h), state)``.

    Args:
        model: a unidirectional recurrent layer of :mod:`rnnbook.torch` or
            :mod:`torch.nn` (called on the length-1 sequence ``x_t`` with
            ``hx = state``; minGRU and minLSTM in their ``"sequential"`` mode), or a
            :class:`~rnnbook.torch.CausalTransformer` (its ``step`` with ``state`` as
            the KV cache).
        x_t: the new input, ``(N, d_x)``.
        state: what the previous call returned (``None`` at the start of a sequence).

    Returns:
        ``y_t`` ``(N, d_h)`` (the top layer's new state; the Transformer's output of
        width ``d_model``) and the state to pass to the next call.
    """
    _check_streamable(model)
    x_t = _check_step_input(model, x_t)
    if isinstance(model, CausalTransformer):
        return model.step(x_t, state)
    seq = x_t[:, None, :] if model.batch_first else x_t[None]
    if isinstance(model, MinGRU | MinLSTM):
        out, new_state = model(seq, state, mode="sequential")
    else:
        out, new_state = model(seq, state)
    return (out[:, 0] if model.batch_first else out[0]), new_state


def stream(
    model: Any, x: Tensor, state: StreamState = None
) -> tuple[Tensor, StreamState]:
    """Run ``x`` ``(N, T, d_x)`` (batch first) through ``model`` one step at a time with :func:`stream_step`.

    Returns the outputs ``(N, T, d_h)`` and the final state. For a causal model they equal the
    outputs of one call on the whole sequence; streaming only changes *when* each is available.
    """
    if not isinstance(x, Tensor):
        raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
    if x.dim() != 3 or 0 in x.shape:
        raise ValueError(
            f"x must have shape (N, T, d_x) with no empty axis (batch first), got {tuple(x.shape)}"
        )
    outputs = []
    for t in range(x.shape[1]):
        y_t, state = stream_step(model, x[:, t], state)
        outputs.append(y_t)
    return torch.stack(outputs, dim=1), state


def _tensors(state: StreamState) -> list[Tensor]:
    if state is None:
        return []
    if isinstance(state, Tensor):
        return [state]
    if isinstance(state, tuple | list):
        return [t for part in state for t in _tensors(part)]
    raise TypeError(
        f"state must be None, a tensor, or a tuple/list of them (KV cache), got {type(state).__name__}"
    )


def state_numel(state: StreamState) -> int:
    """How many numbers a streaming state holds (all sequences of the batch): 0 for ``None``.

    For a recurrent layer ``num_layers * N * d_h`` (twice that for an LSTM); for a KV cache after
    ``t`` steps ``2 * num_layers * N * d_model * t``.
    """
    return sum(t.numel() for t in _tensors(state))


def state_nbytes(state: StreamState) -> int:
    """Bytes of memory the state's tensors occupy: ``numel * element_size`` summed (4 per float32 number)."""
    return sum(t.numel() * t.element_size() for t in _tensors(state))


@dataclass(frozen=True)
class LatencyPoint:
    """One measurement of :func:`latency_at`.

    ``context``: steps already seen; ``seconds``: median time of the next step; ``state_numel``
    and ``state_nbytes``: the size of the state that step started from.
    """

    context: int
    seconds: float
    state_numel: int
    state_nbytes: int


def latency_at(
    model: Any, x: Tensor, contexts: Iterable[int], repeats: int = 20, warmup: int = 2
) -> list[LatencyPoint]:
    """Per-token latency and carried memory of a streaming model at each context length.

    Streams ``x`` ``(N, T, d_x)`` through ``model`` without gradients. When the state covers
    ``L`` steps, for each ``L`` in ``contexts``, it times the next step (input ``x[:, L]``, from
    that same state, ``repeats`` times after ``warmup`` untimed calls; the state is not advanced
    by the timed calls) and records the state's size. Needs ``T > max(contexts)``.

    Returns one :class:`LatencyPoint` per context, in increasing order of context.
    """
    if not isinstance(x, Tensor) or x.dim() != 3 or 0 in x.shape:
        raise ValueError(
            f"x must be a tensor (N, T, d_x) with no empty axis, got {getattr(x, 'shape', type(x).__name__)}"
        )
    wanted = sorted({positive_int("context", c) for c in contexts})
    if not wanted:
        raise ValueError("contexts must name at least one context length")
    if wanted[-1] >= x.shape[1]:
        raise ValueError(
            f"x must have more steps than the longest context {wanted[-1]}, got T = {x.shape[1]}"
        )
    points = []
    state: StreamState = None
    with torch.no_grad():
        for t in range(wanted[-1]):
            _, state = stream_step(model, x[:, t], state)
            if t + 1 in wanted:
                x_next, frozen = x[:, t + 1], state
                seconds = median_seconds(
                    lambda: stream_step(model, x_next, frozen), repeats, warmup
                )
                points.append(
                    LatencyPoint(
                        t + 1, seconds, state_numel(state), state_nbytes(state)
                    )
                )
    return points
