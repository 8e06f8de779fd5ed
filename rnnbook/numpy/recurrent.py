"""What every NumPy recurrent layer shares: parameters, stacking, directions, layouts, checks.

A subclass (``RNN``; later ``LSTM`` and ``GRU``) supplies only the recurrence of one layer
in one direction over a whole sequence, forward and backward:

* ``_sequence_forward(x, state0, w, mask)`` with ``x`` of shape ``(T, N, d_in)``
  returns ``(out, state_T, cache)``: ``out`` is ``(T, N, d_h)``;
* ``_sequence_backward(d_out, d_state_T, cache)`` returns ``(d_x, d_state0, d_w, d_states)``,
  where ``d_states`` holds the total gradient reaching each state at every step, a tuple of
  ``(T, N, d_h)`` arrays (dL/dh_t; LSTM also dL/dc_t), kept in ``state_grads`` for analysis.

States are tuples of ``(N, d_h)`` arrays: ``(h,)`` for RNN and GRU, ``(h, c)`` for LSTM.
This base class runs those two methods layer by layer and direction by direction, reversing
time for the ``_reverse`` direction, and handles ``batch_first``, unbatched input and the
torch.nn parameter names.

Variable-length sequences (``forward(x, hx, lengths)``, the semantics of torch.nn.utils.rnn's
``pack_padded_sequence``): ``mask`` is ``(T, N, 1)``, ``m_t = 1`` on real steps ``t < length``
and 0 on padding (None when every sequence is real throughout). Every cell freezes its state on
padding with :func:`keep_state`,

    h_t = m_t * cell(x_t, h_{t-1}) + (1 - m_t) * h_{t-1}     (and c_t likewise for the LSTM)

so the final state is each sequence's state at its own last real step; its backward step sends
``m_t * dL/dh_t`` into the cell and ``(1 - m_t) * dL/dh_t`` straight on to ``h_{t-1}``. This class
zeroes the outputs at padded steps (so nothing flows back from them) and, for the ``_reverse``
direction, reverses each sequence within its own length by an index gather, so that it starts at
the sequence's last real token.

The forward pass's cache is an explicit, public value (the CS231n pattern, kept on the layer for
convenience): ``forward`` stores a :class:`RecurrentCache` in ``layer.cache`` (None before the first
forward), and ``backward(d_output, d_h_n, cache=None)`` differentiates the forward that produced
``cache`` (default: the last one). A caller that runs the layer several times and goes back through
an earlier call (the attention decoder of :class:`~rnnbook.numpy.Seq2Seq`, one call per step) keeps
each call's ``layer.cache`` and passes it back.

Dropout (``dropout=p``, torch.nn's semantics): in training mode (``train()``, the default; ``eval()``
turns it off, ``training`` says which), the outputs of every layer but the last are multiplied by
a mask of ``0`` (probability ``p``) and ``1 / (1 - p)`` entries before they enter the next layer.
The masks are drawn from the layer's own generator, ``layer.generator``
(``np.random.default_rng(seed)``), kept in the cache, and backward multiplies by the same masks.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._cells import resolve_cell
from .._shapes import (
    check_layer_sizes,
    check_lengths,
    check_same_shape,
    check_sequence_shape,
    check_state_shape,
    padding_mask_and_reversal,
    state_shape,
)
from ._params import copy_into, float_dtype

Array = NDArray[np.floating]
State = tuple[Array, ...]
Weights = dict[str, Array | None]
Mask = (
    NDArray[np.bool_] | None
)  # (T, N, 1): True on real steps, False on padding; None: no padding

_WEIGHT_KINDS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def keep_state(mask: Mask, t: int, new: Array, old: Array | float) -> Array:
    """``m_t * new + (1 - m_t) * old`` for the 0/1 step mask ``m_t = mask[t]`` ``(N, 1)``; ``new`` if no mask.

    Forward, ``keep_state(mask, t, h_new, h_prev)`` freezes the state on padded steps; backward,
    ``keep_state(mask, t, dh, 0.0)`` is the gradient that enters the cell and
    ``keep_state(mask, t, dh_prev, dh)`` the one that reaches ``h_{t-1}``. Written as a selection
    (``np.where``), which equals the product for a 0/1 mask and never turns ``0 * inf`` into NaN.
    """
    return new if mask is None else np.where(mask[t], new, old)


def all_steps_matmul(a: Array, weight: Array) -> Array:
    """``a @ weight.T`` for ``a`` ``(T, N, k)`` and ``weight`` ``(m, k)``: ``(T, N, m)``, as one 2-D matmul.

    The same numbers as ``a @ weight.T``, but NumPy runs that stacked product as T small
    ``(N, k) @ (k, m)`` matmuls; flattening time and batch into ``T N`` rows gives the BLAS one
    large product, which is faster (the appendix "Performance" times the two).
    """
    return (a.reshape(-1, a.shape[-1]) @ weight.T).reshape(
        *a.shape[:-1], weight.shape[0]
    )


def gate_blocks(a: Array, count: int) -> tuple[Array, ...]:
    """The ``count`` gate blocks of ``a`` ``(N, count d_h)``, each ``(N, d_h)``: views, so writing one writes ``a``.

    ``np.split(a, count, axis=1)`` gives the same views, at several times the Python overhead.
    """
    H = a.shape[-1] // count
    return tuple(a[..., k * H : (k + 1) * H] for k in range(count))


@dataclass
class RecurrentCache:
    """What :meth:`RecurrentBase.backward` needs from one ``forward`` call (``layer.cache``).

    Attributes:
        caches: one entry per layer and direction, index ``layer * D + direction``: what the
            subclass's ``_sequence_forward`` returned for it (its inputs, states and gates).
        batched: whether the input had a batch axis.
        output_shape: the shape of ``output`` as ``forward`` returned it.
        state_shape: the shape of ``h_n`` (of each part, for LSTM).
        mask: ``(T, N, 1)`` bool, True on real steps (None: no ``lengths``).
        reverse: ``(T, N)`` time indices that reverse each sequence within its length (None: no
            ``lengths``).
        dropout_masks: one entry per layer: the dropout mask multiplied into that layer's input
            ``(T, N, D d_h)`` (None for layer 0, and for every layer when no dropout was applied).
    """

    caches: list[Any]
    batched: bool
    output_shape: tuple[int, ...]
    state_shape: tuple[int, ...]
    mask: Mask
    reverse: NDArray[np.int64] | None
    dropout_masks: list[Array | None]


def check_dropout(dropout: Any, num_layers: int) -> float:
    """``dropout`` as a float in [0, 1] (ValueError otherwise, as torch.nn); warns, as torch.nn does, when it cannot act."""
    if (
        isinstance(dropout, bool)
        or not isinstance(dropout, int | float | np.integer | np.floating)
        or not 0.0 <= float(dropout) <= 1.0
    ):
        raise ValueError(
            f"dropout should be a number in range [0, 1] representing the probability of an "
            f"element being zeroed, got {dropout!r}"
        )
    if dropout > 0 and num_layers == 1:
        warnings.warn(
            "dropout option adds dropout after all but last recurrent layer, so non-zero "
            f"dropout expects num_layers greater than 1, but got dropout={dropout} and "
            f"num_layers={num_layers}",
            stacklevel=3,
        )
    return float(dropout)


class RecurrentBase:
    """Base class of the NumPy recurrent layers; see the module docstring.

    Subclasses set ``gate_count`` (rows of ``weight_ih`` per hidden unit: 1 for RNN, 3 for
    GRU, 4 for LSTM) and ``state_count`` (1, or 2 for LSTM's ``(h, c)``).

    Public state besides ``params`` and ``grads``: ``cache`` (a :class:`RecurrentCache`, the last
    forward's, None before one), ``state_grads`` (after ``backward``), ``training`` (set by
    :meth:`train` / :meth:`eval`) and ``generator`` (the dropout masks' random generator).
    """

    gate_count: int = 1
    state_count: int = 1

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        dtype: Any = np.float64,
        seed: int | None = None,
    ) -> None:
        check_layer_sizes(input_size, hidden_size, num_layers)
        self.dropout = check_dropout(dropout, num_layers)
        dtype = float_dtype(dtype)
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bool(bias)
        self.batch_first = bool(batch_first)
        self.bidirectional = bool(bidirectional)
        self.num_directions = 2 if bidirectional else 1
        self.dtype = dtype
        self.params: dict[str, Array] = {}
        self.reset_parameters(seed)
        self.grads: dict[str, Array] = {
            k: np.zeros_like(v) for k, v in self.params.items()
        }
        self.cache: RecurrentCache | None = None
        self.state_grads: dict[int, tuple[Array, ...]] = {}
        self.training = True
        self.generator = np.random.default_rng(seed)

    def train(self, mode: bool = True) -> RecurrentBase:
        """Training mode (``mode=True``: dropout acts) or evaluation mode; returns the layer, as torch."""
        self.training = bool(mode)
        return self

    def eval(self) -> RecurrentBase:
        """Evaluation mode: ``train(False)`` (no dropout)."""
        return self.train(False)

    # ----------------------------------------------------------------- parameters
    def _suffixes(self) -> tuple[str, ...]:
        return ("", "_reverse")[: self.num_directions]

    def _param_names(self, layer: int, suffix: str) -> dict[str, str]:
        kinds = _WEIGHT_KINDS if self.bias else _WEIGHT_KINDS[:2]
        return {kind: f"{kind}_l{layer}{suffix}" for kind in kinds}

    def _param_shapes(self) -> dict[str, tuple[int, ...]]:
        rows = self.gate_count * self.hidden_size
        shapes: dict[str, tuple[int, ...]] = {}
        for layer in range(self.num_layers):
            d_in = (
                self.input_size
                if layer == 0
                else self.num_directions * self.hidden_size
            )
            for suffix in self._suffixes():
                names = self._param_names(layer, suffix)
                shapes[names["weight_ih"]] = (rows, d_in)
                shapes[names["weight_hh"]] = (rows, self.hidden_size)
                if self.bias:
                    shapes[names["bias_ih"]] = (rows,)
                    shapes[names["bias_hh"]] = (rows,)
        return shapes

    def reset_parameters(self, seed: int | None = None) -> None:
        """Draw every parameter from U(-1/sqrt(d_h), 1/sqrt(d_h)), torch.nn's default."""
        rng = np.random.default_rng(seed)
        bound = 1.0 / np.sqrt(self.hidden_size)
        self.params = {
            name: rng.uniform(-bound, bound, size=shape).astype(self.dtype)
            for name, shape in self._param_shapes().items()
        }

    def state_dict(self) -> dict[str, Array]:
        """A copy of the parameters as NumPy arrays, keyed by torch.nn's names."""
        return {k: v.copy() for k, v in self.params.items()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Load parameters from NumPy arrays or torch tensors keyed by torch.nn's names.

        Everything is checked before anything is copied (a bad mapping leaves the layer
        unchanged), and values are copied INTO the existing arrays, converted to the layer's
        dtype, so an optimiser holding ``self.params`` keeps working.
        """
        copy_into(self.params, state)
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.cache = None

    def _weights(self, layer: int, suffix: str) -> Weights:
        names = self._param_names(layer, suffix)
        return {
            kind: (self.params[names[kind]] if kind in names else None)
            for kind in _WEIGHT_KINDS
        }

    # ----------------------------------------------------------------- layouts and checks
    def _as_array(self, value: ArrayLike, name: str) -> Array:
        arr = np.asarray(value)
        if (
            not (
                np.issubdtype(arr.dtype, np.floating)
                or np.issubdtype(arr.dtype, np.integer)
            )
            or arr.dtype == bool
        ):
            raise TypeError(
                f"{name} must hold integers or floats (cast to the layer's {self.dtype}), got dtype {arr.dtype}"
            )
        arr = arr.astype(self.dtype, copy=False)
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} contains NaN or infinity")
        return arr

    def _state_shape(self, batch: int, batched: bool) -> tuple[int, ...]:
        return state_shape(
            self.num_layers, self.num_directions, batch, self.hidden_size, batched
        )

    def _check_states(self, hx: Any, batch: int, batched: bool) -> State:
        """Initial states as a tuple of ``(D * num_layers, N, d_h)`` arrays (zeros when ``hx`` is None)."""
        shape = self._state_shape(batch, batched)
        if hx is None:
            return tuple(
                np.zeros((shape[0], batch, self.hidden_size), self.dtype)
                for _ in range(self.state_count)
            )
        parts = (hx,) if self.state_count == 1 else hx
        if self.state_count > 1 and (
            not isinstance(hx, tuple | list) or len(hx) != self.state_count
        ):
            raise ValueError(
                f"hx must be a tuple of {self.state_count} arrays (h_0, c_0), got {type(hx).__name__}"
            )
        names = ("hx",) if self.state_count == 1 else ("h_0", "c_0")
        states = []
        for name, part in zip(names, parts):
            arr = self._as_array(part, name)
            check_state_shape(arr.shape, shape, name)
            states.append(arr if batched else arr[:, None, :])
        return tuple(states)

    def _to_time_major(self, x: Array, batched: bool) -> Array:
        if not batched:
            return x[:, None, :]
        return np.swapaxes(x, 0, 1) if self.batch_first else x

    def _from_time_major(self, y: Array, batched: bool) -> Array:
        if not batched:
            return y[:, 0, :]
        return np.ascontiguousarray(np.swapaxes(y, 0, 1)) if self.batch_first else y

    def _pack_states(self, states: State, batched: bool) -> Any:
        out = tuple(s if batched else s[:, 0, :] for s in states)
        return out[0] if self.state_count == 1 else out

    @staticmethod
    def _flip(a: Array, reverse: NDArray[np.int64] | None) -> Array:
        """Reverse time in a time-major ``(T, N, ...)`` array: whole sequences, or each within its length."""
        return a[::-1] if reverse is None else a[reverse, np.arange(a.shape[1])]

    # ----------------------------------------------------------------- forward and backward
    def forward(
        self, x: ArrayLike, hx: Any = None, lengths: ArrayLike | None = None
    ) -> tuple[Array, Any]:
        """Run the stacked (and possibly bidirectional) layer over a sequence.

        Args:
            x: ``(T, N, d_x)``, or ``(N, T, d_x)`` if ``batch_first``, or ``(T, d_x)`` unbatched.
                Any array-like of integers or floats (lists, int64, float16, ...), cast to the
                layer's dtype; bool, complex and non-numeric input raise TypeError, and NaN or
                infinity raise ValueError (as in :mod:`rnnbook.torch`, whose layers, like
                torch.nn's, take only a tensor of the layer's own dtype and device).
            hx: initial state ``(D * num_layers, N, d_h)`` (``(D * num_layers, d_h)`` unbatched),
                zeros if None; for LSTM a tuple ``(h_0, c_0)``. ``D`` is 2 if bidirectional.
                Cast and checked like ``x``.
            lengths: None (every sequence has ``T`` real steps), or integers ``(N,)`` in ``[1, T]``
                (a single length for unbatched input): sequence ``n`` is real at steps
                ``t < lengths[n]`` and padded after, as with ``pack_padded_sequence(x, lengths,
                enforce_sorted=False)``. Padded steps never influence anything.

        Stores what ``backward`` needs in ``self.cache`` (a :class:`RecurrentCache`).

        Returns:
            ``(output, h_n)``: ``output`` is ``(T, N, D * d_h)`` (in ``x``'s layout), the top
            layer's hidden states with both directions concatenated (0 at padded steps); ``h_n``
            is the final state of every layer and direction, index ``layer * D + direction``
            (LSTM: ``(h_n, c_n)``): with ``lengths``, the forward direction's state at each
            sequence's last real step, and the reverse direction's state once it has read back
            to the first token.
        """
        x_arr = self._as_array(x, "input")
        batched, T, batch = check_sequence_shape(
            x_arr.shape, self.input_size, self.batch_first
        )
        states0 = self._check_states(hx, batch, batched)
        lengths_arr = check_lengths(lengths, T, batch, batched)
        mask: Mask = None
        reverse: NDArray[np.int64] | None = None
        if lengths_arr is not None:
            step_mask, reverse = padding_mask_and_reversal(lengths_arr, T)
            mask = step_mask[..., None]  # (T, N, 1), broadcasts over d_h

        layer_input = self._to_time_major(x_arr, batched)
        finals: list[State] = []
        caches: list[Any] = []
        dropout_masks: list[Array | None] = [None] * self.num_layers
        for layer in range(self.num_layers):
            if layer > 0 and self.dropout > 0 and self.training:
                dropout_masks[layer] = self._dropout_mask(layer_input.shape)
                layer_input = layer_input * dropout_masks[layer]
            outputs = []
            for direction, suffix in enumerate(self._suffixes()):
                index = layer * self.num_directions + direction
                seq = (
                    layer_input if direction == 0 else self._flip(layer_input, reverse)
                )
                out, final, cache = self._sequence_forward(
                    seq,
                    tuple(s[index] for s in states0),
                    self._weights(layer, suffix),
                    mask,
                )
                if mask is not None:
                    out = np.where(mask, out, 0.0)  # no output on padding
                outputs.append(out if direction == 0 else self._flip(out, reverse))
                finals.append(final)
                caches.append(cache)
            layer_input = (
                outputs[0] if len(outputs) == 1 else np.concatenate(outputs, axis=-1)
            )

        h_n = tuple(np.stack([f[k] for f in finals]) for k in range(self.state_count))
        output = self._from_time_major(layer_input, batched)
        self.cache = RecurrentCache(
            caches=caches,
            batched=batched,
            output_shape=output.shape,
            state_shape=self._state_shape(batch, batched),
            mask=mask,
            reverse=reverse,
            dropout_masks=dropout_masks,
        )
        return output, self._pack_states(h_n, batched)

    def _dropout_mask(self, shape: tuple[int, ...]) -> Array:
        """Inverted dropout: 0 with probability ``p``, else ``1 / (1 - p)``; drawn from ``self.generator``."""
        keep = self.generator.random(shape) >= self.dropout
        if self.dropout == 1.0:
            return np.zeros(shape, self.dtype)
        return keep.astype(self.dtype) / self.dtype.type(1.0 - self.dropout)

    __call__ = forward

    def backward(
        self,
        d_output: ArrayLike,
        d_h_n: Any = None,
        cache: RecurrentCache | None = None,
    ) -> tuple[Array, Any]:
        """Backpropagation through time for the ``forward`` call that produced ``cache``.

        Args:
            d_output: dL/d output, the shape ``forward`` returned for ``output``.
            d_h_n: dL/d h_n (LSTM: a tuple ``(dL/dh_n, dL/dc_n)``), the shape of ``h_n``;
                None means the loss does not depend on the final state.
            cache: the :class:`RecurrentCache` of the forward call to differentiate (``layer.cache``
                right after that call); None: the last forward's, ``self.cache``.

        Returns:
            ``(d_x, d_hx)``: dL/dx in ``x``'s shape and dL/dh_0 in ``hx``'s shape (LSTM: a tuple),
            returned also when ``hx`` was None (the gradient at the zero initial state). With
            ``lengths``, ``d_output`` at padded steps is ignored and dL/dx there is 0.
            ``self.grads`` is overwritten with dL/d(parameter) for every name in ``self.params``, and
            ``self.state_grads[layer * D + direction]`` with the total gradient reaching each state at
            every step: a tuple of time-major ``(T, N, d_h)`` arrays, dL/dh_t (LSTM: and dL/dc_t), in
            the direction's own time order reversed back to input order. This is what chapter 5
            plots against the lag ``T - t``.
        """
        cache = self.cache if cache is None else cache
        if cache is None:
            raise RuntimeError("backward() needs a forward() call first")
        batched = cache.batched
        d_out = self._as_array(d_output, "d_output")
        check_same_shape(d_out.shape, cache.output_shape, "d_output")
        d_finals = self._check_d_final(d_h_n, cache.state_shape, batched)

        grads: dict[str, Array] = {}
        state_grads: dict[int, tuple[Array, ...]] = {}
        d_hx = tuple(np.empty_like(d) for d in d_finals)
        d_layer_out = self._to_time_major(d_out, batched)
        caches = iter(reversed(cache.caches))
        mask, reverse = cache.mask, cache.reverse
        hidden = self.hidden_size
        for layer in reversed(range(self.num_layers)):
            d_layer_in: Array | float = 0.0
            for direction in reversed(range(self.num_directions)):
                index = layer * self.num_directions + direction
                d_seq = d_layer_out[..., direction * hidden : (direction + 1) * hidden]
                if mask is not None:
                    d_seq = np.where(
                        mask, d_seq, 0.0
                    )  # the outputs on padding are constant zeros
                if direction == 1:
                    d_seq = self._flip(d_seq, reverse)
                d_x, d_state0, d_w, d_states = self._sequence_backward(
                    d_seq, tuple(d[index] for d in d_finals), next(caches)
                )
                d_layer_in = d_layer_in + (
                    d_x if direction == 0 else self._flip(d_x, reverse)
                )
                state_grads[index] = tuple(
                    d if direction == 0 else self._flip(d, reverse) for d in d_states
                )
                for k in range(self.state_count):
                    d_hx[k][index] = d_state0[k]
                names = self._param_names(layer, self._suffixes()[direction])
                grads.update({names[kind]: d_w[kind] for kind in names})
            dropout_mask = cache.dropout_masks[layer]
            if (
                dropout_mask is not None
            ):  # the layer read mask * (the layer below's output)
                d_layer_in = d_layer_in * dropout_mask
            d_layer_out = d_layer_in  # type: ignore[assignment]
        self.grads = {name: grads[name] for name in self.params}
        self.state_grads = dict(sorted(state_grads.items()))
        return self._from_time_major(d_layer_out, batched), self._pack_states(
            d_hx, batched
        )  # type: ignore[arg-type]

    def _check_d_final(
        self, d_h_n: Any, shape: tuple[int, ...], batched: bool
    ) -> State:
        batch = shape[1] if batched else 1
        zeros_shape = (shape[0], batch, self.hidden_size)
        if d_h_n is None:
            return tuple(
                np.zeros(zeros_shape, self.dtype) for _ in range(self.state_count)
            )
        parts = (d_h_n,) if self.state_count == 1 else d_h_n
        if self.state_count > 1 and (
            not isinstance(d_h_n, tuple | list) or len(d_h_n) != self.state_count
        ):
            raise ValueError(
                f"d_h_n must be a tuple of {self.state_count} arrays (d_h_n, d_c_n)"
            )
        out = []
        for part in parts:
            arr = self._as_array(part, "d_h_n")
            check_same_shape(arr.shape, shape, "d_h_n")
            out.append(arr if batched else arr[:, None, :])
        return tuple(out)

    # ----------------------------------------------------------------- subclass hooks
    def _sequence_forward(
        self, x: Array, state0: State, w: Weights, mask: Mask = None
    ) -> tuple[Array, State, Any]:
        raise NotImplementedError

    def _sequence_backward(
        self, d_out: Array, d_state_T: State, cache: Any
    ) -> tuple[Array, State, Weights, State]:
        raise NotImplementedError

    def __repr__(self) -> str:
        extra = ""
        if self.num_layers != 1:
            extra += f", num_layers={self.num_layers}"
        if not self.bias:
            extra += ", bias=False"
        if self.batch_first:
            extra += ", batch_first=True"
        if self.dropout:
            extra += f", dropout={self.dropout}"
        if self.bidirectional:
            extra += ", bidirectional=True"
        return f"{type(self).__name__}({self.input_size}, {self.hidden_size}{extra}, dtype={self.dtype.name})"


def make_recurrent(cell: str, input_size: int, hidden_size: int, **kwargs: Any) -> Any:
    """Build a recurrent layer by name: ``"rnn"``, ``"lstm"`` or ``"gru"``.

    The mirror of :func:`rnnbook.torch.recurrent.make_recurrent` (which also has ``impl=``); both
    look the class up with ``rnnbook._cells.resolve_cell`` (ValueError for an unknown cell or
    one this backend lacks). ``kwargs`` go to the layer's constructor.
    """
    import rnnbook.numpy as backend

    return resolve_cell(backend, cell)(input_size, hidden_size, **kwargs)
