"""Measurements behind the comparison chapter: what a model can see, how many steps it must take in turn.

The chapter *Comparisons* sets a perceptron, a temporal convolutional network (TCN), recurrent
networks and a causal Transformer side by side on the same tasks, trained by the same loop
(:func:`rnnbook.training.supervised.fit`). This module holds the measurements it makes, model-agnostic so that
every model is measured the same way:

* :func:`input_gradient_norms` and :func:`lag_profile`: how strongly the output at step ``t``
  depends on the input ``x_{t-k}``, ``||d (u . y_t) / d x_{t-k}||`` against the lag ``k``; with
  :func:`reach`, the largest lag at which that dependence is not exactly zero (a TCN's receptive
  field, measured rather than computed from its formula).
* :func:`sequential_steps`: how many operations must run one after another along the time axis
  in a forward pass over ``T`` steps (``T`` per layer for a recurrent layer, one per
  convolution for a TCN, one per block for a Transformer).
* :func:`loglog_slope`: the growth exponent ``p`` of a fitted ``y ~ x^p`` (for instance of the
  wall time of a training step, :func:`rnnbook.analysis.cost.time_training_step`, against ``T``).
* :func:`smallest_passing`: the smallest model of a sweep that reaches a score threshold
  (parameter counts: :func:`rnnbook.analysis.cost.count_parameters`).
* :func:`pca_project`: hidden-state trajectories projected on their leading principal axes.

The chapter's summary table is built with :func:`rnnbook.book.display.markdown_table`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray
from torch import Tensor, nn

from .._shapes import positive_int

__all__ = [
    "input_gradient_norms",
    "lag_profile",
    "reach",
    "sequential_steps",
    "loglog_slope",
    "smallest_passing",
    "pca_project",
]


def input_gradient_norms(
    model: nn.Module, x: ArrayLike | Tensor, *, position: int = -1, seed: int = 0
) -> NDArray[np.float64]:
    """``||d (u . y_position) / d x_t||`` for every sequence and step: an ``(N, T)`` array.

    Args:
        model: maps float inputs ``(N, T, d_x)`` to ``(N, d_y)`` (one output per sequence, e.g. a
            :class:`~rnnbook.torch.SequenceModel` with ``readout="last"`` or a
            :class:`~rnnbook.torch.FlatMLP`) or to ``(N, T, d_y)`` (one output per step; then
            ``y_position`` is the output at step ``position``).
        x: the inputs ``(N, T, d_x)``, cast to the model's dtype.
        position: which step's output is differentiated when the model outputs every step.
        seed: draws the fixed random direction ``u`` ``(d_y,)`` (unit norm) that turns the output
            into a scalar, the same for every sequence.

    Row ``n``, column ``t`` is the Euclidean norm over the ``d_x`` input features of the gradient
    for sequence ``n``. The sequences of a batch do not interact in any of the book's models, so
    one backward pass of the summed scalar gives every sequence's own gradient. The model is put
    in eval mode (no dropout) for the measurement and restored afterwards.
    """
    like = next(model.parameters())
    xt = torch.as_tensor(
        np.asarray(x) if not isinstance(x, Tensor) else x,
        dtype=like.dtype,
        device=like.device,
    )
    if xt.dim() != 3:
        raise ValueError(f"x must have shape (N, T, d_x), got {tuple(xt.shape)}")
    xt = xt.detach().clone().requires_grad_(True)
    was_training = model.training
    model.eval()
    try:
        out = model(xt)
    finally:
        model.train(was_training)
    if out.dim() == 3:
        if not -out.shape[1] <= position < out.shape[1]:
            raise ValueError(
                f"position must index one of the T = {out.shape[1]} output steps, got {position}"
            )
        out = out[:, position]
    elif out.dim() != 2:
        raise ValueError(
            f"the model's output must be (N, d_y) or (N, T, d_y), got {tuple(out.shape)}"
        )
    gen = torch.Generator().manual_seed(seed)
    u = torch.randn(out.shape[-1], generator=gen, dtype=torch.float64)
    u = (u / torch.linalg.vector_norm(u)).to(out.dtype).to(out.device)
    (grad,) = torch.autograd.grad((out * u).sum(), xt)
    return torch.linalg.vector_norm(grad, dim=-1).detach().cpu().double().numpy()


def lag_profile(norms: ArrayLike, end: int | None = None) -> NDArray[np.float64]:
    """Mean over sequences of ``(N, T)`` gradient norms, re-indexed by lag: entry ``k`` is step ``end - k``.

    ``end`` (0-based, default the last step ``T - 1``) is the step whose output was differentiated;
    the result has ``end + 1`` entries, lags ``0 .. end``. The arithmetic mean keeps exact zeros
    exact (a lag no sequence depends on stays 0).
    """
    arr = np.asarray(norms, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] == 0:
        raise ValueError(
            f"norms must be an (N, T) array with T >= 1, got shape {arr.shape}"
        )
    last = arr.shape[1] - 1 if end is None else end
    if not 0 <= last < arr.shape[1]:
        raise ValueError(f"end must be a step in [0, {arr.shape[1] - 1}], got {end}")
    return arr[:, last::-1].mean(axis=0) if last > 0 else arr[:, :1].mean(axis=0)


def reach(profile: ArrayLike, tol: float = 0.0) -> int:
    """The number of lags ``0, 1, ..., R - 1`` up to the last one with ``profile[k] > tol``.

    For a TCN measured at init this is its receptive field ``R``: beyond it the gradient is exactly 0.
    A profile that never exceeds ``tol`` has reach 0.
    """
    arr = np.asarray(profile, dtype=np.float64).reshape(-1)
    above = np.flatnonzero(arr > tol)
    return int(above[-1]) + 1 if above.size else 0


def sequential_steps(model: nn.Module, T: int) -> int:
    """How many operations a forward pass over ``T`` steps must run one after another along time.

    * recurrent layers (``rnnbook.torch`` RNN/LSTM/GRU, ``torch.nn.RNN``/``LSTM``/``GRU``):
      ``T`` per layer, ``num_layers * T`` (the two directions of a bidirectional layer run side
      by side). MinGRU/MinLSTM count the same, which is their sequential mode; their parallel
      scan needs only about ``log2 T`` rounds per layer (chapter *RNNs today*);
    * :class:`~rnnbook.torch.TCN`: one per causal convolution, ``2 * num_levels``, whatever ``T``;
    * :class:`~rnnbook.torch.CausalTransformer`: one per block, ``num_layers``, whatever ``T``;
    * :class:`~rnnbook.torch.FlatMLP`: 1 (it has no time axis: the whole window at once).

    A :class:`~rnnbook.torch.SequenceModel` counts its recurrent layer or body. Only the dependence
    along time is counted: the operations inside a step (or a block) are not.
    """
    from ..torch.mlp import FlatMLP
    from ..torch.models import SequenceModel
    from ..torch.recurrent import RecurrentBase
    from ..torch.tcn import TCN
    from ..torch.transformer import CausalTransformer

    t = positive_int("T", T)
    if isinstance(model, SequenceModel):
        model = model.body if hasattr(model, "body") else model.rnn
    if isinstance(model, RecurrentBase | nn.RNNBase):
        return int(model.num_layers) * t
    if isinstance(model, TCN):
        return 2 * len(model.blocks)
    if isinstance(model, CausalTransformer):
        return len(model.blocks)
    if isinstance(model, FlatMLP):
        return 1
    raise TypeError(
        f"model must be a recurrent layer, TCN, CausalTransformer, FlatMLP or SequenceModel, got {type(model).__name__}"
    )


def loglog_slope(x: ArrayLike, y: ArrayLike) -> float:
    """The least-squares slope ``p`` of ``log y = p log x + c``: the exponent in ``y ~ x^p``."""
    xs, ys = (
        np.asarray(x, dtype=np.float64).reshape(-1),
        np.asarray(y, dtype=np.float64).reshape(-1),
    )
    if xs.shape != ys.shape or xs.size < 2:
        raise ValueError(
            f"x and y must hold the same number (>= 2) of values, got {xs.size} and {ys.size}"
        )
    if np.any(xs <= 0) or np.any(ys <= 0):
        raise ValueError("x and y must be positive to take logarithms")
    return float(np.polyfit(np.log(xs), np.log(ys), 1)[0])


def smallest_passing(
    scores: Mapping[Any, float], threshold: float, *, lower_is_better: bool = True
) -> Any | None:
    """The smallest key of ``scores`` (e.g. a width) whose score reaches ``threshold``, or None.

    With ``lower_is_better`` (a loss) a score passes when ``score <= threshold``; otherwise (an
    accuracy) when ``score >= threshold``. NaN scores never pass.
    """
    passing = [
        key
        for key, value in scores.items()
        if not math.isnan(value)
        and (value <= threshold if lower_is_better else value >= threshold)
    ]
    return min(passing) if passing else None


def pca_project(
    states: ArrayLike, k: int = 2
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Project states ``(M, d_h)`` on their ``k`` leading principal axes: ``(coords (M, k), explained (k,))``.

    The states are centred on their mean; the axes are the right singular vectors of the centred
    matrix, each signed so that its largest-magnitude entry is positive (a deterministic choice);
    ``explained[i]`` is the fraction of the total variance along axis ``i``.
    """
    h = np.asarray(states, dtype=np.float64)
    if h.ndim != 2 or h.shape[0] < 2:
        raise ValueError(
            f"states must be an (M, d_h) array with M >= 2, got shape {h.shape}"
        )
    kk = positive_int("k", k)
    if kk > min(h.shape):
        raise ValueError(f"k must be at most min(M, d_h) = {min(h.shape)}, got {kk}")
    centred = h - h.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    axes = vt[:kk]
    signs = np.sign(axes[np.arange(kk), np.argmax(np.abs(axes), axis=1)])
    axes = axes * signs[:, None]
    total = float(np.sum(s**2))
    explained = s[:kk] ** 2 / total if total > 0 else np.zeros(kk)
    return centred @ axes.T, explained
