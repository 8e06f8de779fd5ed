"""A character-level language model as a ``torch.nn.Module``: one-hot input, a recurrent layer, a linear output layer.

The mirror of :class:`rnnbook.numpy.CharModel`, with the same equations and parameter names::

    x_t = onehot(c_t)    h_t = cell(x_t, h_{t-1})    y_t = W_hy h_t + b_y

``rnn.weight_ih_l0`` = W_xh ``(d_h, V)`` (one-hot input makes it a character embedding),
``rnn.weight_hh_l0`` = W_hh, ``rnn.bias_ih_l0 + rnn.bias_hh_l0`` = b_h, ``decoder.weight`` =
W_hy ``(V, d_h)``, ``decoder.bias`` = b_y ``(V,)``. Autograd does the backward pass.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from .recurrent import make_recurrent

__all__ = ["CharModel"]


class CharModel(nn.Module):
    """Character language model: ``F.one_hot`` input -> ``self.rnn`` -> ``self.decoder`` (``nn.Linear``).

    ``CharModel(vocab_size, hidden_size, cell="rnn", num_layers=1, device=None, dtype=None, impl="rnnbook")``

    Args:
        vocab_size: ``V``; hidden_size: ``d_h``; num_layers: stacked recurrent layers.
        cell: ``"rnn"``, ``"lstm"`` or ``"gru"``: ``rnnbook.torch.RNN`` / ``LSTM`` / ``GRU``,
            looked up when the model is built.
        impl: ``"rnnbook"`` (the book's layer) or ``"torch.nn"`` (torch.nn's fused layer, the same
            parameters computed by one compiled kernel); see :func:`rnnbook.torch.make_recurrent`.

    Initialisation follows torch's default generator: call ``torch.manual_seed`` first for
    reproducible weights.
    """

    def __init__(
        self,
        vocab_size: int,
        hidden_size: int,
        cell: str = "rnn",
        num_layers: int = 1,
        device: Any = None,
        dtype: Any = None,
        impl: str = "rnnbook",
    ) -> None:
        super().__init__()
        self.cell = cell
        self.impl = impl
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.rnn = make_recurrent(
            cell,
            vocab_size,
            hidden_size,
            impl=impl,
            num_layers=num_layers,
            device=device,
            dtype=dtype,
        )
        self.decoder = nn.Linear(hidden_size, vocab_size, device=device, dtype=dtype)

    def init_state(self, batch: int) -> Any:
        """The zero state for ``batch`` sequences: ``(num_layers, N, d_h)`` (LSTM: a tuple ``(h, c)``)."""
        w = self.decoder.weight
        count = getattr(self.rnn, "state_count", 1)
        zeros = [
            w.new_zeros(self.num_layers, batch, self.hidden_size) for _ in range(count)
        ]
        return zeros[0] if count == 1 else tuple(zeros)

    def forward(self, ids: Tensor, state: Any = None) -> tuple[Tensor, Any]:
        """Logits for the next character at every step.

        Args:
            ids: ``(T, N)`` int64 tensor of character indices.
            state: carried recurrent state ``(num_layers, N, d_h)`` (LSTM: ``(h, c)``), or None for zeros.

        Returns:
            ``(logits, state)``: logits ``(T, N, V)`` and the final state (still attached to the
            graph: detach it before carrying it into the next window).
        """
        if not isinstance(ids, Tensor):
            raise TypeError(
                f"ids must be a torch.Tensor of character indices, got {type(ids).__name__}"
            )
        if ids.dtype != torch.int64:
            raise TypeError(f"ids must have dtype torch.int64, got {ids.dtype}")
        if ids.dim() != 2 or 0 in ids.shape:
            raise ValueError(
                f"ids must have shape (T, N) with T, N >= 1, got shape {tuple(ids.shape)}"
            )
        low, high = int(ids.min()), int(ids.max())
        if low < 0 or high >= self.vocab_size:
            raise ValueError(
                f"ids must lie in [0, {self.vocab_size}) (vocab_size), got values in [{low}, {high}]"
            )
        x = F.one_hot(ids, self.vocab_size).to(self.decoder.weight.dtype)  # (T, N, V)
        hidden, new_state = self.rnn(x, state)  # (T, N, d_h)
        return self.decoder(hidden), new_state

    def num_parameters(self) -> int:
        """Total number of scalar parameters."""
        return sum(p.numel() for p in self.parameters())

    def extra_repr(self) -> str:
        return f"vocab_size={self.vocab_size}, hidden_size={self.hidden_size}, cell={self.cell!r}, num_layers={self.num_layers}"
