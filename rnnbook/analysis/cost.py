"""What a model costs: parameters, bytes, and the wall time of a call or a training step.

Wall times depend on the machine and its load: compare models timed together, in the same
run, and draw conclusions from ratios and trends, not from single values.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from torch import Tensor, nn

from .._shapes import positive_int

__all__ = [
    "count_parameters",
    "parameter_bytes",
    "median_seconds",
    "time_training_step",
    "TorchNNModel",
]


class TorchNNModel(nn.Module):
    """A reference for timing: ``torch.nn``'s own recurrent layer with :class:`rnnbook.torch.SequenceModel`'s read-out.

    ``TorchNNModel(cell, input_size, hidden_size, output_size)`` with ``cell`` ``"rnn"``, ``"lstm"``
    or ``"gru"``; ``forward(x)`` maps ``(N, T, d_x)`` to ``(N, d_y)``, reading the last step. The
    layer runs torch's compiled kernel, so comparing it with a ``SequenceModel`` of the same cell
    separates the cost of the Python loop over time from the cost of the arithmetic.
    """

    def __init__(
        self, cell: str, input_size: int, hidden_size: int, output_size: int
    ) -> None:
        super().__init__()
        layers = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
        if cell not in layers:
            raise ValueError(f"cell must be one of {sorted(layers)}, got {cell!r}")
        self.rnn = layers[cell](input_size, hidden_size, batch_first=True)
        self.decoder = nn.Linear(hidden_size, output_size)

    def forward(self, x: Tensor) -> Tensor:
        return self.decoder(self.rnn(x)[0][:, -1])


def median_seconds(
    fn: Callable[[], Any],
    repeats: int = 5,
    warmup: int = 1,
    setup: Callable[[], Any] | None = None,
) -> float:
    """The median wall time in seconds of ``repeats`` calls of ``fn()``.

    ``warmup`` untimed calls come first (first calls allocate memory and pick kernels);
    ``setup()``, if given, runs untimed before every call.
    """
    reps = positive_int("repeats", repeats)
    warm = positive_int("warmup", warmup, minimum=0)
    times = []
    for k in range(warm + reps):
        if setup is not None:
            setup()
        if k < warm:
            fn()
            continue
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def time_training_step(
    model: nn.Module,
    loss_fn: Callable[[nn.Module], Tensor],
    *,
    repeats: int = 5,
    warmup: int = 1,
) -> float:
    """Median wall time in seconds of ``loss_fn(model).backward()`` (forward and backward pass).

    Timed by :func:`median_seconds`, with the gradients cleared (untimed) before each call.
    """
    return median_seconds(
        lambda: loss_fn(model).backward(),
        repeats,
        warmup,
        setup=lambda: model.zero_grad(set_to_none=True),
    )


def count_parameters(model: nn.Module) -> int:
    """The number of trainable numbers in ``model`` (every parameter with ``requires_grad``)."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def parameter_bytes(model: nn.Module, bits: int = 32) -> int:
    """Bytes to store ``model``'s parameters at ``bits`` per number (32: float32, 8: int8), rounded up.

    (Quantised storage also needs a scale per tensor or per row; that small overhead is not counted.)
    """
    if positive_int("bits", bits) not in (4, 8, 16, 32, 64):
        raise ValueError(f"bits must be one of 4, 8, 16, 32, 64, got {bits}")
    return -(-count_parameters(model) * bits // 8)
