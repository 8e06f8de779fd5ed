"""An LSTM whose per-step cell is fused by ``torch.compile``: rnnbook.torch's fast path on a GPU.

:class:`rnnbook.torch.LSTM` runs every step as a dozen separate tensor operations (a matmul,
adds, three sigmoids, two tanhs, products), and autograd records each one; on a GPU each is a
kernel launch that reads and writes the ``(N, 4 d_h)`` gates in memory. Here the step is split
into the part that needs a matrix product and the part that is element-wise::

    a_t = W_ih x_t + b_ih + b_hh + W_hh h_{t-1}   one addmm per step (cuBLAS / BLAS)
    (h_t, c_t) = lstm_cell(a_t, c_{t-1})           gates and state update: one fused kernel

and :func:`lstm_cell` (the equations of :mod:`rnnbook.torch.lstm`, unchanged) is compiled with
``torch.compile``, which generates one kernel for its forward and one for its backward (Triton on
CUDA, C++ on the CPU). The first call compiles (tens of seconds; again for each new batch size,
dtype or device). ``backend="eager"`` skips compilation and runs the same code uncompiled, the
reference the tests compare against.

The results equal :class:`rnnbook.torch.LSTM`'s to rounding (the two biases are added before the
loop instead of inside it), and the parameters are the same ``torch.nn.LSTM`` names and shapes.
The benchmark (``python -m benchmarks --parts gpu``) compares it with cuDNN's ``torch.nn.LSTM``
when CUDA is available.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from .lstm import LSTM
from .recurrent import Mask, State, Weights, keep_state

__all__ = ["FusedLSTM", "lstm_cell"]

_COMPILED: dict[str, Any] = {}


def lstm_cell(a_t: Tensor, c_prev: Tensor) -> tuple[Tensor, Tensor]:
    """The element-wise part of an LSTM step: ``(h_t, c_t)`` from the pre-activations ``a_t`` ``(N, 4 d_h)`` and ``c_{t-1}``.

    ``[i_t; f_t; o_t] = sigmoid(...)``, ``g_t = tanh(...)`` of the blocks of ``a_t`` (order i, f, g, o),
    ``c_t = f_t * c_{t-1} + i_t * g_t``, ``h_t = o_t * tanh(c_t)``.
    """
    a_i, a_f, a_g, a_o = a_t.chunk(4, dim=1)
    c_t = torch.sigmoid(a_f) * c_prev + torch.sigmoid(a_i) * torch.tanh(a_g)
    return torch.sigmoid(a_o) * torch.tanh(c_t), c_t


def compiled_cell(backend: str = "inductor") -> Any:
    """:func:`lstm_cell` compiled once per process with ``torch.compile(backend=backend)``; itself for ``"eager"``."""
    if backend == "eager":
        return lstm_cell
    if backend not in _COMPILED:
        _COMPILED[backend] = torch.compile(
            lstm_cell, backend=backend, dynamic=False, fullgraph=True
        )
    return _COMPILED[backend]


class FusedLSTM(LSTM):
    """:class:`rnnbook.torch.LSTM` with its element-wise step compiled into fused kernels.

    ``FusedLSTM(input_size, hidden_size, ..., backend="inductor")``: every argument of
    :class:`~rnnbook.torch.LSTM`, plus ``backend``, passed to ``torch.compile`` (``"eager"``: no
    compilation). Same parameters, ``forward(x, hx=None, lengths=None)`` and results.
    """

    def __init__(self, *args: Any, backend: str = "inductor", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.backend = backend

    def _sequence_forward(
        self, x: Tensor, state0: State, w: Weights, mask: Mask = None
    ) -> tuple[Tensor, State, None]:
        """One layer, one direction: ``x`` ``(T, N, d_in)`` -> ``(T, N, d_h)``: an addmm and the fused cell per step."""
        T, N, d_in = x.shape
        bias = (
            None if w["bias_ih"] is None else w["bias_ih"] + w["bias_hh"]
        )  # b_ih + b_hh, once
        x2 = x.reshape(T * N, d_in)
        xw = (
            x2 @ w["weight_ih"].T
            if bias is None
            else torch.addmm(bias, x2, w["weight_ih"].T)
        ).view(T, N, -1)
        cell = compiled_cell(self.backend)
        weight_hh_t = w["weight_hh"].T
        h, c = state0
        hs = []
        for t, xw_t in enumerate(xw.unbind(0)):
            h_new, c_new = cell(torch.addmm(xw_t, h, weight_hh_t), c)
            h, c = keep_state(mask, t, h_new, h), keep_state(mask, t, c_new, c)
            hs.append(h)
        return torch.stack(hs), (h, c), None

    def extra_repr(self) -> str:
        return super().extra_repr() + f", backend={self.backend!r}"
