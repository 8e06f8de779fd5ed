"""``FlatMLP``: a multilayer perceptron over the flattened window, the feed-forward baseline for sequence tasks.

No memory, no time axis, a fixed-size input. The model sees the whole sequence at once, flattened into one vector of ``T d_x`` numbers:

    y = W_2 ReLU(W_1 vec(x_1, ..., x_T) + b_1) + b_2        (hidden_sizes=(d_1,))
    y = W vec(x_1, ..., x_T) + b                             (hidden_sizes=(): Rosenblatt's linear unit)

It has no notion of order or of time: moving a pattern by one step changes which weights it meets,
and its parameter count grows with ``T``. It can only read sequences of the length it was built
for. With ``hidden_sizes`` it is a multilayer perceptron, without them a linear unit (an MLP with
no hidden layer) trained by gradient descent; Rosenblatt's perceptron with its own learning rule
is :class:`rnnbook.numpy.Perceptron`, a different model (hence the different name).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from torch import Tensor, nn

from .._shapes import positive_int

__all__ = ["FlatMLP"]


class FlatMLP(nn.Module):
    """``FlatMLP(input_size, seq_len, output_size, hidden_sizes=(), device=None, dtype=None)``.

    ``forward(x)`` maps ``(N, T, d_x)`` with ``T == seq_len`` to ``(N, output_size)``. Parameters:
    ``layers.{2k}.weight`` ``(d_{k+1}, d_k)`` and ``.bias``, with ``d_0 = seq_len * d_x`` and the
    last width ``output_size``.
    """

    def __init__(
        self,
        input_size: int,
        seq_len: int,
        output_size: int,
        hidden_sizes: Sequence[int] = (),
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.input_size = positive_int("input_size", input_size)
        self.seq_len = positive_int("seq_len", seq_len)
        widths = [
            input_size * seq_len,
            *(positive_int("hidden_sizes[]", h) for h in hidden_sizes),
            positive_int("output_size", output_size),
        ]
        layers: list[nn.Module] = []
        for k, (d_in, d_out) in enumerate(zip(widths[:-1], widths[1:])):
            if k:
                layers.append(nn.ReLU())
            layers.append(nn.Linear(d_in, d_out, device=device, dtype=dtype))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        """``(N, T, d_x)`` -> ``(N, output_size)``."""
        if not isinstance(x, Tensor):
            raise TypeError(f"input must be a torch.Tensor, got {type(x).__name__}")
        if x.dim() != 3 or x.shape[1:] != (self.seq_len, self.input_size):
            raise ValueError(
                f"input must have shape (N, {self.seq_len}, {self.input_size}), got {tuple(x.shape)}"
            )
        return self.layers(x.reshape(x.shape[0], -1))
