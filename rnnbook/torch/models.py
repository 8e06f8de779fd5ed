"""Task models: a recurrent layer (RNN, LSTM, GRU, minGRU, minLSTM) or a comparison network
(TCN, causal Transformer) followed by a linear read-out.

``SequenceModel`` covers the book's synthetic and applied tasks:

* many-to-one (``readout="last"``): one prediction per sequence from the final hidden state,
  e.g. the adding problem (regression) or classifying digits read row by row;
* many-to-many (``readout="all"``): a prediction at every step, y_t = W_hy h_t + b_y, e.g. copy
  memory or sequence labelling.

Inputs are batch-first, as the task generators in :mod:`rnnbook.data.synthetic` produce them: floats of
shape ``(N, T, d_x)``, or integer tokens of shape ``(N, T)`` when ``vocab_size`` is given (each
token becomes a one-hot vector, so W_xh acts as an embedding table).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from .recurrent import make_recurrent

__all__ = [
    "SequenceModel",
    "FEEDFORWARD_CELLS",
    "IMPLS",
    "TORCH_NN_LAYERS",
    "TorchNNRNN",
    "TorchNNLSTM",
    "TorchNNGRU",
]

FEEDFORWARD_CELLS = ("tcn", "transformer")
"""Cells of :class:`SequenceModel` that are not recurrent: every step computed at once, causally."""


IMPLS = ("rnnbook", "torch.nn")
"""Implementations :func:`make_recurrent` can build: the book's layers, or torch.nn's fused ones."""


class _TorchNNMixin:
    """What turns a ``torch.nn`` recurrent layer into a drop-in for an rnnbook.torch layer.

    The same parameter names and shapes (it *is* the torch.nn layer), the attributes
    ``num_directions`` and ``state_count`` the models read, and ``forward(x, hx, lengths)``:
    ``lengths`` is handled with ``pack_padded_sequence``, whose results rnnbook's layers match.
    """

    state_count = 1

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1  # type: ignore[attr-defined]

    def forward(
        self, x: Tensor, hx: Any = None, lengths: Any = None
    ) -> tuple[Tensor, Any]:
        if lengths is None:
            return super().forward(x, hx)  # type: ignore[misc]
        lengths = torch.as_tensor(lengths, dtype=torch.int64).cpu()
        total = x.shape[1 if self.batch_first else 0]  # type: ignore[attr-defined]
        packed = nn.utils.rnn.pack_padded_sequence(
            x,
            lengths,
            batch_first=self.batch_first,  # type: ignore[attr-defined]
            enforce_sorted=False,
        )
        out, h_n = super().forward(packed, hx)  # type: ignore[misc]
        out, _ = nn.utils.rnn.pad_packed_sequence(
            out,
            batch_first=self.batch_first,  # type: ignore[attr-defined]
            total_length=total,
        )
        return out, h_n


class TorchNNRNN(_TorchNNMixin, nn.RNN):
    """``torch.nn.RNN`` (one compiled kernel for the whole sequence) behind rnnbook's layer interface."""


class TorchNNLSTM(_TorchNNMixin, nn.LSTM):
    """``torch.nn.LSTM`` behind rnnbook's layer interface; the state is ``(h, c)``."""

    state_count = 2


class TorchNNGRU(_TorchNNMixin, nn.GRU):
    """``torch.nn.GRU`` (reset gate after the recurrent product, as in cuDNN) behind rnnbook's interface."""


TORCH_NN_LAYERS = {"rnn": TorchNNRNN, "lstm": TorchNNLSTM, "gru": TorchNNGRU}
"""Cell name -> torch.nn's layer behind rnnbook's interface (``make_recurrent(impl="torch.nn")``)."""


class SequenceModel(nn.Module):
    """Recurrent layer plus linear read-out, batch-first.

    Args:
        input_size: d_x for float inputs; ignored (set to ``vocab_size``) for token inputs.
        hidden_size: d_h.
        output_size: d_y, the read-out's width (1 for regression, the class count for classification).
        cell: ``"rnn"``, ``"lstm"``, ``"gru"``, ``"mingru"``, ``"minlstm"`` (a recurrent layer,
            attribute ``rnn``), or ``"tcn"`` / ``"transformer"`` (a :class:`~rnnbook.torch.TCN` or
            :class:`~rnnbook.torch.CausalTransformer` of width ``hidden_size``, attribute ``body``);
            extra keyword arguments go to the layer (``num_layers``, ``bidirectional``,
            ``nonlinearity``, ``num_levels``, ``kernel_size``, ``num_heads``, ``dtype``, ...).
        readout: ``"last"`` (output ``(N, d_y)``) or ``"all"`` (output ``(N, T, d_y)``).
        vocab_size: if given, inputs are integer tokens ``(N, T)`` in ``[0, vocab_size)``.
        impl: ``"rnnbook"`` (the book's layer) or ``"torch.nn"`` (torch.nn's fused layer of the same
            cell and parameters, for long sweeps); see :func:`make_recurrent`.

    Parameters: ``rnn.*`` as in torch.nn (or ``body.*``); ``decoder.weight`` = W_hy ``(d_y, D * d_h)``,
    ``decoder.bias`` = b_y. With ``readout="last"`` and a bidirectional layer, the read-out sees
    the forward direction's h_T and the backward direction's h_1 (its final state); a TCN or
    Transformer is read at its last step.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        output_size: int,
        cell: str = "lstm",
        readout: str = "last",
        vocab_size: int | None = None,
        impl: str = "rnnbook",
        **layer_kwargs: Any,
    ) -> None:
        super().__init__()
        if readout not in ("last", "all"):
            raise ValueError(f"readout must be 'last' or 'all', got {readout!r}")
        if vocab_size is not None and vocab_size < 1:
            raise ValueError(f"vocab_size must be >= 1, got {vocab_size}")
        self.readout = readout
        self.vocab_size = vocab_size
        d_in = vocab_size if vocab_size is not None else input_size
        self.cell = cell
        width = hidden_size
        if cell == "tcn":
            from .tcn import TCN

            self.body: nn.Module = TCN(d_in, hidden_size, **layer_kwargs)
        elif cell == "transformer":
            from .transformer import CausalTransformer

            self.body = CausalTransformer(d_in, hidden_size, **layer_kwargs)
        else:
            self.rnn = make_recurrent(
                cell, d_in, hidden_size, impl=impl, batch_first=True, **layer_kwargs
            )
            width = self.rnn.num_directions * hidden_size
        factory = {
            "dtype": layer_kwargs.get("dtype"),
            "device": layer_kwargs.get("device"),
        }
        self.decoder = nn.Linear(width, output_size, **factory)

    def encode_input(self, x: Tensor) -> Tensor:
        """Tokens ``(N, T)`` -> one-hot ``(N, T, V)`` in the layer's dtype; float inputs pass through."""
        if self.vocab_size is None:
            return x
        if x.dtype not in (torch.int32, torch.int64) or x.dim() != 2:
            raise TypeError(
                f"token input must be an integer tensor (N, T), got {x.dtype} of shape {tuple(x.shape)}"
            )
        if x.numel() and (int(x.min()) < 0 or int(x.max()) >= self.vocab_size):
            raise ValueError(
                f"tokens must lie in [0, {self.vocab_size}), got values in [{int(x.min())}, {int(x.max())}]"
            )
        return F.one_hot(x, self.vocab_size).to(self.decoder.weight.dtype)

    def forward(self, x: Tensor, hx: Any = None, lengths: Any = None) -> Tensor:
        """``(N, T, d_x)`` floats or ``(N, T)`` tokens -> ``(N, d_y)`` (``readout="last"``) or ``(N, T, d_y)``.

        ``lengths`` ``(N,)`` (optional) marks steps ``t >= lengths[n]`` as padding (see the layer's
        ``forward``): ``"last"`` then reads each sequence's own final state, and ``"all"`` gives
        ``b_y`` (the read-out of a zero state) on padded steps, which a loss should mask.
        """
        if self.cell in FEEDFORWARD_CELLS:
            if hx is not None or lengths is not None:
                raise ValueError(
                    f"a {self.cell!r} model takes no hx or lengths (it sees the whole sequence at once)"
                )
            features = self.body(self.encode_input(x))  # (N, T, hidden_size)
            return self.decoder(features if self.readout == "all" else features[:, -1])
        output, h_n = self.rnn(self.encode_input(x), hx, lengths)
        if self.readout == "all":
            return self.decoder(output)
        h = h_n[0] if isinstance(h_n, tuple) else h_n  # LSTM: (h_n, c_n)
        top = h[
            -self.rnn.num_directions :
        ]  # the top layer's final state, every direction: (D, N, d_h)
        return self.decoder(top.transpose(0, 1).reshape(top.shape[1], -1))
