"""An LSTM whose per-step cell is fused by ``torch.compile``: rnnbook.torch's fast path on a GPU.

:class:`rnnbook.torch.LSTM` runs every step as a dozen separate tensor operations (matmuls,
adds, three sigmoids, two tanhs, products), and autograd records each one; on a GPU each is a
kernel launch that reads and writes the ``(N, 4 d_h)`` gates in memory. Here every step is one
call of the book's cell, :func:`rnnbook.torch.lstm.lstm_cell`::

    (h_t, c_t) = lstm_cell(x_t, h_{t-1}, c_{t-1}, W_ih, W_hh, b_ih, b_hh)

(the same function the tests check the layers against, not a copy of it) compiled with
``torch.compile``: the two matrix products go to cuBLAS / BLAS and everything element-wise (gates
and state update) becomes one generated kernel for the forward and one for the backward (Triton
on CUDA, C++ on the CPU). The first call compiles (tens of seconds; again for each new batch size,
dtype or device). ``backend="eager"`` skips compilation and runs the same code uncompiled, the
reference the tests compare against.

The results equal :class:`rnnbook.torch.LSTM`'s to rounding, and the parameters are the same
``torch.nn.LSTM`` names and shapes. The benchmark (``python -m benchmarks --parts gpu``) compares
it with cuDNN's ``torch.nn.LSTM`` when CUDA is available.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from .lstm import LSTM, lstm_cell
from .recurrent import Mask, State, Weights, keep_state

__all__ = ["FusedLSTM", "compiled_cell"]

_COMPILED: dict[str, Any] = {}


def compiled_cell(backend: str = "inductor") -> Any:
    """:func:`rnnbook.torch.lstm.lstm_cell` compiled once per process with ``torch.compile(backend=backend)``; itself for ``"eager"``."""
    if backend == "eager":
        return lstm_cell
    if backend not in _COMPILED:
        _COMPILED[backend] = torch.compile(
            lstm_cell, backend=backend, dynamic=False, fullgraph=True
        )
    return _COMPILED[backend]


class FusedLSTM(LSTM):
    """:class:`rnnbook.torch.LSTM` with its step, :func:`~rnnbook.torch.lstm.lstm_cell`, compiled into fused kernels.

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
        """One layer, one direction: ``x`` ``(T, N, d_in)`` -> ``(T, N, d_h)``: the compiled cell per step."""
        cell = compiled_cell(self.backend)
        weights = (w["weight_ih"], w["weight_hh"], w["bias_ih"], w["bias_hh"])
        h, c = state0
        hs = []
        for t, x_t in enumerate(x.unbind(0)):
            h_new, c_new = cell(x_t, h, c, *weights)
            h, c = keep_state(mask, t, h_new, h), keep_state(mask, t, c_new, c)
            hs.append(h)
        return torch.stack(hs), (h, c), None

    def extra_repr(self) -> str:
        return super().extra_repr() + f", backend={self.backend!r}"
