"""What every Torch recurrent layer shares: parameters, stacking, directions, layouts, checks.

The mirror of :mod:`rnnbook.numpy.recurrent`. A subclass supplies
``_sequence_forward(x, state0, w, mask) -> (out, state_T, cache)`` for one layer in one
direction, with ``x`` of shape ``(T, N, d_in)``, states as tuples of ``(N, d_h)`` tensors: the
NumPy base class's signature and return arity, with ``cache`` always ``None`` here, because
autograd records what the backward pass needs (there is no ``_sequence_backward``). Parameters are ``torch.nn.Parameter`` s with torch.nn's names and shapes, so
``load_state_dict`` accepts a ``torch.nn.RNN`` 's state dict unchanged.

Variable-length sequences (``forward(x, hx, lengths)``) work as in the NumPy base class: the
cells freeze their state on padded steps with :func:`keep_state`,
``h_t = m_t * cell(x_t, h_{t-1}) + (1 - m_t) * h_{t-1}``, this class zeroes the outputs there
and reverses each sequence within its own length for the ``_reverse`` direction: the results of
torch.nn's layers on ``pack_padded_sequence(x, lengths, enforce_sorted=False)``.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from .._cells import resolve_cell
from .._shapes import (
    check_layer_sizes,
    check_lengths,
    check_sequence_shape,
    check_state_shape,
    padding_mask_and_reversal,
    state_shape,
)

State = tuple[Tensor, ...]
Weights = dict[str, Tensor | None]
Mask = (
    Tensor | None
)  # (T, N, 1) bool: True on real steps, False on padding; None: no padding


def keep_state(mask: Mask, t: int, new: Tensor, old: Tensor) -> Tensor:
    """``m_t * new + (1 - m_t) * old`` for the 0/1 step mask ``m_t = mask[t]`` ``(N, 1)``; ``new`` if no mask.

    A selection (``torch.where``): equal to the product for a 0/1 mask, and autograd sends the
    gradient to ``new`` on real steps and to ``old`` (the frozen state) on padded ones.
    """
    return new if mask is None else torch.where(mask[t], new, old)


_WEIGHT_KINDS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


class RecurrentBase(nn.Module):
    """Base class of the Torch recurrent layers; see the module docstring.

    Subclasses set ``gate_count`` (1 for RNN, 3 for GRU, 4 for LSTM) and ``state_count``
    (1, or 2 for LSTM's ``(h, c)``). ``recurrent_weights = False`` (the minimal recurrences of
    :mod:`rnnbook.torch.minimal`) drops ``weight_hh`` and ``bias_hh``: every gate then depends
    on ``x_t`` alone.
    """

    gate_count: int = 1
    state_count: int = 1
    recurrent_weights: bool = True

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        check_layer_sizes(input_size, hidden_size, num_layers)
        if not 0.0 <= float(dropout) <= 1.0:
            raise ValueError(f"dropout must be in [0, 1], got {dropout}")
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bool(bias)
        self.batch_first = bool(batch_first)
        self.dropout = float(dropout)
        self.bidirectional = bool(bidirectional)
        self.num_directions = 2 if bidirectional else 1
        rows = self.gate_count * hidden_size
        factory = {"device": device, "dtype": dtype}
        for layer in range(num_layers):
            d_in = input_size if layer == 0 else self.num_directions * hidden_size
            for suffix in self._suffixes():
                names = self._param_names(layer, suffix)
                shapes = {
                    "weight_ih": (rows, d_in),
                    "weight_hh": (rows, hidden_size),
                    "bias_ih": (rows,),
                    "bias_hh": (rows,),
                }
                for kind, name in names.items():
                    setattr(
                        self, name, nn.Parameter(torch.empty(shapes[kind], **factory))
                    )
        self.reset_parameters()

    def _suffixes(self) -> tuple[str, ...]:
        return ("", "_reverse")[: self.num_directions]

    def _param_names(self, layer: int, suffix: str) -> dict[str, str]:
        kinds = [
            k
            for k in _WEIGHT_KINDS
            if (self.bias or "weight" in k)
            and (self.recurrent_weights or "hh" not in k)
        ]
        return {kind: f"{kind}_l{layer}{suffix}" for kind in kinds}

    def reset_parameters(self) -> None:
        """Draw every parameter from U(-1/sqrt(d_h), 1/sqrt(d_h)), torch.nn's default."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        with torch.no_grad():
            for p in self.parameters():
                p.uniform_(-bound, bound)

    def _weights(self, layer: int, suffix: str) -> Weights:
        names = self._param_names(layer, suffix)
        return {
            kind: (getattr(self, names[kind]) if kind in names else None)
            for kind in _WEIGHT_KINDS
        }

    def _check_input(self, x: Any, name: str) -> Tensor:
        if not isinstance(x, Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
        weight = self.weight_ih_l0
        if x.dtype != weight.dtype:
            raise TypeError(
                f"{name} must have the layer's dtype {weight.dtype}, got {x.dtype}"
            )
        if x.device != weight.device:
            raise ValueError(
                f"{name} must be on the layer's device {weight.device}, got {x.device}"
            )
        if x.numel() and not bool(torch.isfinite(x).all()):
            raise ValueError(f"{name} contains NaN or infinity")
        return x

    def _initial_states(self, hx: Any, x: Tensor, batch: int, batched: bool) -> State:
        shape = state_shape(
            self.num_layers, self.num_directions, batch, self.hidden_size, batched
        )
        if hx is None:
            zeros = x.new_zeros((shape[0], batch, self.hidden_size))
            return tuple(zeros for _ in range(self.state_count))
        if self.state_count > 1 and (
            not isinstance(hx, tuple | list) or len(hx) != self.state_count
        ):
            raise ValueError(
                f"hx must be a tuple of {self.state_count} tensors (h_0, c_0), got {type(hx).__name__}"
            )
        parts = (hx,) if self.state_count == 1 else tuple(hx)
        names = ("hx",) if self.state_count == 1 else ("h_0", "c_0")
        states = []
        for name, part in zip(names, parts):
            part = self._check_input(part, name)
            check_state_shape(part.shape, shape, name)
            states.append(part if batched else part.unsqueeze(1))
        return tuple(states)

    @staticmethod
    def _flip(a: Tensor, reverse: Tensor | None) -> Tensor:
        """Reverse time in a time-major ``(T, N, ...)`` tensor: whole sequences, or each within its length."""
        return (
            a.flip(0)
            if reverse is None
            else a[reverse, torch.arange(a.shape[1], device=a.device)]
        )

    def forward(
        self, x: Tensor, hx: Any = None, lengths: Any = None
    ) -> tuple[Tensor, Any]:
        """Run the stacked (and possibly bidirectional) layer over a sequence.

        Args:
            x: ``(T, N, d_x)``, or ``(N, T, d_x)`` if ``batch_first``, or ``(T, d_x)`` unbatched:
                a tensor of the layer's dtype on the layer's device (TypeError / ValueError
                otherwise, as torch.nn requires; nothing is cast), with no NaN or infinity
                (ValueError, as in :mod:`rnnbook.numpy`, which also casts array-likes of
                integers or floats to its dtype).
            hx: initial state ``(D * num_layers, N, d_h)`` (``(D * num_layers, d_h)`` unbatched),
                zeros if None; for LSTM a tuple ``(h_0, c_0)``. Checked like ``x``.
            lengths: None, or integers ``(N,)`` in ``[1, T]`` (a tensor on any device, a list or a
                NumPy array; a single length for unbatched input): steps ``t >= lengths[n]`` of
                sequence ``n`` are padding and influence nothing (pack_padded_sequence semantics).

        Returns:
            ``(output, h_n)`` with torch.nn's shapes: ``output`` ``(T, N, D * d_h)`` in ``x``'s
            layout (0 at padded steps); ``h_n`` ``(D * num_layers, N, d_h)``, index
            ``layer * D + direction``, each sequence's final state within its length.
        """
        x = self._check_input(x, "input")
        batched, T, batch = check_sequence_shape(
            tuple(x.shape), self.input_size, self.batch_first
        )
        states0 = self._initial_states(hx, x, batch, batched)
        lengths_arr = check_lengths(lengths, T, batch, batched)
        mask: Mask = None
        reverse: Tensor | None = None
        if lengths_arr is not None:
            step_mask, rev = padding_mask_and_reversal(lengths_arr, T)
            mask = torch.as_tensor(step_mask, device=x.device)[..., None]  # (T, N, 1)
            reverse = torch.as_tensor(rev, device=x.device)
        if not batched:
            x = x.unsqueeze(1)
        elif self.batch_first:
            x = x.transpose(0, 1)

        finals: list[State] = []
        layer_input = x
        for layer in range(self.num_layers):
            if layer > 0 and self.dropout > 0:
                layer_input = F.dropout(layer_input, self.dropout, self.training)
            outputs = []
            for direction, suffix in enumerate(self._suffixes()):
                index = layer * self.num_directions + direction
                seq = (
                    layer_input if direction == 0 else self._flip(layer_input, reverse)
                )
                out, final, _ = self._sequence_forward(
                    seq,
                    tuple(s[index] for s in states0),
                    self._weights(layer, suffix),
                    mask,
                )
                if mask is not None:
                    out = torch.where(
                        mask, out, torch.zeros((), dtype=out.dtype, device=out.device)
                    )  # no output on padding
                outputs.append(out if direction == 0 else self._flip(out, reverse))
                finals.append(final)
            layer_input = (
                outputs[0] if len(outputs) == 1 else torch.cat(outputs, dim=-1)
            )

        h_n = tuple(
            torch.stack([f[k] for f in finals]) for k in range(self.state_count)
        )
        output = layer_input
        if not batched:
            output, h_n = output.squeeze(1), tuple(h.squeeze(1) for h in h_n)
        elif self.batch_first:
            output = output.transpose(0, 1)
        return output, (h_n[0] if self.state_count == 1 else h_n)

    @staticmethod
    def _recur(
        x: Tensor, state0: State, w: Weights, mask: Mask, step: Any
    ) -> tuple[Tensor, State, None]:
        """The loop over time the RNN, LSTM and GRU share: ``(out, state_T, None)``.

        The input terms ``W_ih x_t + b_ih`` of every step come from one matmul; then
        ``step(xw_t, state)`` (the cell's ``*_step_forward``) gives the new state tuple, frozen on
        padded steps with :func:`keep_state`; ``out`` stacks ``h_t`` (the first part of the state).
        """
        xw = x @ w["weight_ih"].T  # every gate's input term for every t in one matmul
        if w["bias_ih"] is not None:
            xw = xw + w["bias_ih"]
        state, hs = state0, []
        # unbind, not xw[t]: the backward of T unbound views is one stack, while each xw[t] would
        # scatter its gradient into a zero-filled copy of the whole (T, N, gates d_h) tensor.
        for t, xw_t in enumerate(xw.unbind(0)):
            new = step(xw_t, state)
            state = tuple(keep_state(mask, t, n, s) for n, s in zip(new, state))
            hs.append(state[0])
        return torch.stack(hs), state, None

    def _sequence_forward(
        self, x: Tensor, state0: State, w: Weights, mask: Mask = None
    ) -> tuple[Tensor, State, None]:
        """One layer, one direction: ``(out (T, N, d_h), state_T, None)``; the cache is None (autograd)."""
        raise NotImplementedError

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


def make_recurrent(
    cell: str, input_size: int, hidden_size: int, impl: str = "rnnbook", **kwargs: Any
) -> Any:
    """Build a recurrent layer by name: ``"rnn"``, ``"lstm"``, ``"gru"``, ``"mingru"`` or ``"minlstm"``.

    The mirror of :func:`rnnbook.numpy.recurrent.make_recurrent`, plus ``impl``; both look the
    class up with ``rnnbook._cells.resolve_cell``. ``kwargs`` go to the layer's constructor.

    ``impl="rnnbook"`` (default) builds the book's layer, written from the equations with an
    explicit loop over time. ``impl="torch.nn"`` builds torch.nn's fused layer of the same cell
    (``"rnn"``, ``"lstm"`` or ``"gru"`` only, and the GRU only with ``reset_after=True``): the
    same parameters, names, shapes and results (the parity tests check it), computed by one
    compiled kernel, for the long training sweeps of the later chapters.
    """
    from .models import IMPLS, TORCH_NN_LAYERS  # models.py builds on this module

    if impl not in IMPLS:
        raise ValueError(f"impl must be one of {IMPLS}, got {impl!r}")
    if impl == "torch.nn":
        if cell not in TORCH_NN_LAYERS:
            raise ValueError(
                f"impl='torch.nn' has the cells {sorted(TORCH_NN_LAYERS)}, got {cell!r}"
            )
        if cell == "gru" and not kwargs.pop("reset_after", True):
            raise ValueError(
                "torch.nn's GRU applies the reset gate after the recurrent product: "
                "reset_after=False needs impl='rnnbook'"
            )
        return TORCH_NN_LAYERS[cell](input_size, hidden_size, **kwargs)
    import rnnbook.torch as backend

    layer: RecurrentBase = resolve_cell(backend, cell)(
        input_size, hidden_size, **kwargs
    )
    return layer
