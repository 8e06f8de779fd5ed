"""minGRU and minLSTM (Feng et al. 2024): recurrences whose gates see only ``x_t``, trained in parallel.

Take the GRU's update ``h_t = (1 - z_t) * h_{t-1} + z_t * n_t`` and remove ``h_{t-1}`` from the
gate and from the candidate. What is left is a *linear* recurrence in ``h``,

    h_t = a_t * h_{t-1} + b_t,        a_t, b_t computed from x_t alone,

and a linear recurrence can be solved for all ``t`` at once: with ``A_t = a_1 a_2 ... a_t``,

    h_t = A_t h_0 + sum_{k <= t} (A_t / A_k) b_k,

which is a cumulative product and a cumulative sum: a *parallel scan* (Blelloch 1990), ``O(log T)``
deep instead of ``T`` sequential steps. Feng et al. evaluate it in log space so that the products
neither underflow nor overflow: ``log A_t`` is a cumulative sum of ``log a_t`` and the inner sum is
a ``logcumsumexp``. That needs ``b_t > 0``, which is why the candidate goes through
``g(v) = v + 1/2`` for ``v >= 0`` and ``sigmoid(v)`` otherwise (positive, and linear for large ``v``).

minGRU (parameters ``weight_ih_l{k}`` ``(2 d_h, d_in)`` = ``[W_xz; W_xh~]`` and ``bias_ih_l{k}`` =
``[b_z; b_h~]``; no ``weight_hh``)::

    z_t = sigmoid(W_xz x_t + b_z)           h~_t = g(W_xh~ x_t + b_h~)
    h_t = (1 - z_t) * h_{t-1} + z_t * h~_t     a_t = 1 - z_t, b_t = z_t * h~_t

minLSTM (``weight_ih_l{k}`` ``(3 d_h, d_in)`` = ``[W_xf; W_xi; W_xh~]``)::

    f_t = sigmoid(W_xf x_t + b_f)    i_t = sigmoid(W_xi x_t + b_i)
    h~_t = g(W_xh~ x_t + b_h~)
    f'_t = f_t / (f_t + i_t)         i'_t = i_t / (f_t + i_t)
    h_t = f'_t * h_{t-1} + i'_t * h~_t         a_t = f'_t, b_t = i'_t * h~_t

Both layers take ``forward(x, hx=None, lengths=None, mode=None)``; ``mode="sequential"``
runs the same equations as an explicit loop over ``t`` (the way they run at inference, one token at
a time). The two modes agree to rounding (tested to 1e-10 in float64). ``mode=None`` uses the
layer's ``mode``, set by the constructor's keyword ``mode="parallel"`` (the default) or
``"sequential"``: on a CPU, for short sequences, the loop is the cheaper way to train (chapter
*RNNs today* times both), and a :class:`~rnnbook.torch.SequenceModel` passes the keyword on. Stacking
(``num_layers``), ``bidirectional``, ``batch_first`` and ``lengths`` work as in the other layers.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor
from torch.nn import functional as F

from .recurrent import Mask, RecurrentBase, State, Weights, keep_state

__all__ = ["MinGRU", "MinLSTM", "g", "log_g", "softplus", "parallel_scan_log", "MODES"]

MODES = ("parallel", "sequential")


def softplus(v: Tensor) -> Tensor:
    """``log(1 + e^v)`` to full precision for every ``v``: ``max(v, 0) + log1p(e^{-|v|})``.

    (``torch.nn.functional.softplus`` returns ``v`` itself above ``threshold=20``, a relative error
    of up to ``e^{-20} = 2e-9`` in ``exp(-softplus)``: too coarse for a float64 check.)
    """
    return F.relu(v) + torch.log1p(torch.exp(-v.abs()))


def g(v: Tensor) -> Tensor:
    """The positive candidate activation: ``v + 1/2`` for ``v >= 0``, ``sigmoid(v)`` for ``v < 0``."""
    return torch.where(v >= 0, v + 0.5, torch.sigmoid(v))


def log_g(v: Tensor) -> Tensor:
    """``log g(v)`` computed stably: ``log(v + 1/2)`` for ``v >= 0``, ``-softplus(-v)`` for ``v < 0``."""
    return torch.where(v >= 0, torch.log(F.relu(v) + 0.5), -softplus(-v))


def parallel_scan_log(log_a: Tensor, log_b: Tensor, h0: Tensor) -> Tensor:
    """All states of ``h_t = a_t * h_{t-1} + b_t`` at once, from ``log a_t``, ``log b_t``.

    Args:
        log_a, log_b: ``(T, N, d_h)``; ``a_t`` in ``(0, 1]`` and ``b_t >= 0``
            (``log b_t = -inf`` means ``b_t = 0``).
        h0: ``(N, d_h)``, any sign (it enters linearly, not through a log).

    Returns:
        ``h`` ``(T, N, d_h)`` with
        ``h_t = A_t h_0 + sum_{k<=t} exp(log A_t - log A_k + log b_k)``,
        ``log A_t = sum_{j<=t} log a_j``: one ``cumsum`` and one ``logcumsumexp``
        over time.
    """
    log_A = torch.cumsum(log_a, dim=0)
    log_h = log_A + torch.logcumsumexp(log_b - log_A, dim=0)  # the b_k terms
    return torch.exp(log_A) * h0 + torch.exp(log_h)


class _MinimalBase(RecurrentBase):
    """The shared part of :class:`MinGRU` and :class:`MinLSTM`: both modes over ``(a_t, b_t)``."""

    recurrent_weights = False
    _mode: str = "parallel"

    def __init__(self, *args: Any, mode: str = "parallel", **kwargs: Any) -> None:
        """:class:`RecurrentBase`'s arguments, plus ``mode``: how :meth:`forward` runs when not told."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        super().__init__(*args, **kwargs)
        self.mode = mode

    def forward(
        self, x: Tensor, hx: Any = None, lengths: Any = None, mode: str | None = None
    ) -> tuple[Tensor, Any]:  # type: ignore[override]
        """As :meth:`RecurrentBase.forward`, plus ``mode``: ``"parallel"`` (log-space scan), ``"sequential"``
        (a loop), or None for the layer's own ``mode``."""
        mode = self.mode if mode is None else mode
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        self._mode = mode
        try:
            return super().forward(x, hx, lengths)
        finally:
            self._mode = "parallel"

    def _log_coefficients(self, u: Tensor) -> tuple[Tensor, Tensor]:
        """``(log a_t, log b_t)`` from the input projections ``u`` ``(T, N, gate_count d_h)``."""
        raise NotImplementedError

    def _sequence_forward(
        self, x: Tensor, state0: State, w: Weights, mask: Mask = None
    ) -> tuple[Tensor, State, None]:
        """One layer, one direction: ``x`` ``(T, N, d_in)`` -> states ``(T, N, d_h)``; frozen where ``mask`` is 0."""
        u = (
            x @ w["weight_ih"].T
        )  # every gate of every step in one matmul: nothing depends on h
        if w["bias_ih"] is not None:
            u = u + w["bias_ih"]
        log_a, log_b = self._log_coefficients(u)
        (h,) = state0
        if self._mode == "parallel":
            if mask is not None:  # a padded step keeps the state: a_t = 1, b_t = 0
                log_a = torch.where(
                    mask, log_a, torch.zeros((), dtype=u.dtype, device=u.device)
                )
                log_b = torch.where(
                    mask,
                    log_b,
                    torch.full((), -torch.inf, dtype=u.dtype, device=u.device),
                )
            hs = parallel_scan_log(log_a, log_b, h)
            return hs, (hs[-1],), None
        a, b = torch.exp(log_a), torch.exp(log_b)
        out = []
        # unbind, not a[t]: each a[t]'s backward would zero-fill a whole (T, N, d_h) tensor (T^2 in all)
        for t, (a_t, b_t) in enumerate(zip(a.unbind(0), b.unbind(0))):
            h = keep_state(mask, t, a_t * h + b_t, h)
            out.append(h)
        return torch.stack(out), (h,), None


class MinGRU(_MinimalBase):
    """minGRU (Feng et al. 2024): ``h_t = (1 - z_t) h_{t-1} + z_t g(W_xh~ x_t + b_h~)``, ``z_t = sigmoid(W_xz x_t + b_z)``.

    ``MinGRU(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False, device=None, dtype=None, mode="parallel")``; ``forward(x, hx=None,
    lengths=None, mode=None)`` returns ``(output, h_n)`` with torch.nn.GRU's shapes. Parameters per layer:
    ``weight_ih_l{k}`` ``(2 d_h, d_in)`` = ``[W_xz; W_xh~]``, ``bias_ih_l{k}`` ``(2 d_h)`` =
    ``[b_z; b_h~]``: ``2 d_h (d_in + 1)`` in all, against the GRU's ``3 d_h (d_in + d_h + 2)``.
    """

    gate_count = 2

    def _log_coefficients(self, u: Tensor) -> tuple[Tensor, Tensor]:
        k, v = u.chunk(2, dim=-1)
        log_z = -softplus(-k)  # log sigmoid(k)
        log_one_minus_z = -softplus(k)  # log (1 - sigmoid(k))
        return log_one_minus_z, log_z + log_g(v)


class MinLSTM(_MinimalBase):
    """minLSTM (Feng et al. 2024): ``h_t = f'_t h_{t-1} + i'_t g(W_xh~ x_t + b_h~)`` with normalised gates.

    ``f'_t = f_t / (f_t + i_t)``, ``i'_t = i_t / (f_t + i_t)``, ``f_t = sigmoid(W_xf x_t + b_f)``,
    ``i_t = sigmoid(W_xi x_t + b_i)``. Same constructor and ``forward`` as :class:`MinGRU`.
    Parameters per layer: ``weight_ih_l{k}`` ``(3 d_h, d_in)`` = ``[W_xf; W_xi; W_xh~]``,
    ``bias_ih_l{k}`` ``(3 d_h)`` = ``[b_f; b_i; b_h~]``.
    """

    gate_count = 3

    def _log_coefficients(self, u: Tensor) -> tuple[Tensor, Tensor]:
        k_f, k_i, v = u.chunk(3, dim=-1)
        # log f' = log f - log(f + i); with log f = -softplus(-k_f), log i = -softplus(-k_i),
        # log f' = -softplus(log i - log f) and log i' = -softplus(log f - log i).
        diff = softplus(-k_f) - softplus(-k_i)  # log i - log f
        return -softplus(diff), -softplus(-diff) + log_g(v)
