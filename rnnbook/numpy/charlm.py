"""A character-level language model in NumPy: one-hot input, a recurrent layer, a linear output layer.

For characters ``c_1 .. c_T`` from a vocabulary of size ``V`` (= d_x = d_y), at every step::

    x_t = onehot(c_t)                            (V,)   W_xh x_t = column c_t of W_xh
    h_t = RNN / LSTM / GRU step(x_t, h_{t-1})    (d_h,)
    y_t = W_hy h_t + b_y                         (V,)   logits for c_{t+1}
    L   = mean over t and the batch of cross-entropy(y_t, c_{t+1})

Parameters are the recurrent layer's, prefixed ``rnn.`` (``rnn.weight_ih_l0`` = W_xh,
``rnn.weight_hh_l0`` = W_hh, ...), and the output layer's, ``decoder.weight`` = W_hy
``(V, d_h)`` and ``decoder.bias`` = b_y ``(V,)``: the names of :class:`rnnbook.torch.CharModel`'s
state dict, so weights move between the backends unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._shapes import format_shape
from ._params import copy_into
from .linear import Linear
from .losses import cross_entropy
from .recurrent import make_recurrent

__all__ = ["CharModel"]

Array = NDArray[np.floating]


def _check_ids(ids: ArrayLike, vocab_size: int, name: str) -> NDArray[np.int64]:
    """``ids`` as an int64 ``(T, N)`` array of indices in ``[0, V)``, or a clear error."""
    arr = np.asarray(ids)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(
            f"{name} must be an integer array of character indices, got dtype {arr.dtype}"
        )
    if arr.ndim != 2 or 0 in arr.shape:
        raise ValueError(
            f"{name} must have shape (T, N) with T, N >= 1, got shape {format_shape(arr.shape)}"
        )
    if arr.min() < 0 or arr.max() >= vocab_size:
        raise ValueError(
            f"{name} must lie in [0, {vocab_size}) (vocab_size), got values in [{arr.min()}, {arr.max()}]"
        )
    return arr.astype(np.int64, copy=False)


class CharModel:
    """Character language model: one-hot ``x_t`` -> recurrent layer -> ``y_t = W_hy h_t + b_y``.

    ``CharModel(vocab_size, hidden_size, cell="rnn", num_layers=1, dtype=np.float64, seed=None)``

    Args:
        vocab_size: ``V``, the number of symbols (input size and number of logits).
        hidden_size: ``d_h``.
        cell: ``"rnn"``, ``"lstm"`` or ``"gru"``: the class ``rnnbook.numpy.RNN`` / ``LSTM`` /
            ``GRU``, looked up when the model is built.
        num_layers: stacked recurrent layers.
        seed: seeds the recurrent layer's and the output layer's initialisation.

    Attributes:
        rnn: the recurrent layer; decoder: the :class:`Linear` output layer.
        params / grads: ``name -> array`` with torch names (``rnn.weight_ih_l0``, ``decoder.weight``,
            ...). ``params`` holds the layers' own arrays, so an optimiser built on it updates the
            model; ``grads`` is filled by :meth:`loss_and_grads`.
    """

    def __init__(
        self,
        vocab_size: int,
        hidden_size: int,
        cell: str = "rnn",
        num_layers: int = 1,
        dtype: Any = np.float64,
        seed: int | None = None,
    ) -> None:
        rnn_seed, decoder_seed = (
            int(s) for s in np.random.default_rng(seed).integers(0, 2**63 - 1, size=2)
        )
        self.cell = cell
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.rnn = make_recurrent(
            cell,
            vocab_size,
            hidden_size,
            num_layers=num_layers,
            dtype=dtype,
            seed=rnn_seed,
        )
        self.decoder = Linear(hidden_size, vocab_size, dtype=dtype, seed=decoder_seed)
        self.dtype = self.rnn.dtype
        self.grads: dict[str, Array] = {
            k: np.zeros_like(v) for k, v in self.params.items()
        }

    # ----------------------------------------------------------------- parameters
    @property
    def params(self) -> dict[str, Array]:
        """``name -> array``, the layers' own arrays (not copies), with torch's prefixed names."""
        out = {f"rnn.{k}": v for k, v in self.rnn.params.items()}
        out.update({f"decoder.{k}": v for k, v in self.decoder.params.items()})
        return out

    def num_parameters(self) -> int:
        """Total number of scalar parameters."""
        return int(sum(v.size for v in self.params.values()))

    def state_dict(self) -> dict[str, Array]:
        """A copy of every parameter, keyed like :class:`rnnbook.torch.CharModel`'s state dict."""
        return {k: v.copy() for k, v in self.params.items()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Load arrays or torch tensors (for example a torch CharModel's state dict), checked first.

        Values are copied into the existing arrays, so an optimiser built on ``params`` keeps
        updating the model after a load.
        """
        copy_into(self.params, state)

    # ----------------------------------------------------------------- forward and backward
    def init_state(self, batch: int) -> Any:
        """The zero state for ``batch`` sequences: ``(num_layers, N, d_h)`` (LSTM: a tuple ``(h, c)``)."""

        def zeros() -> np.ndarray:
            return np.zeros(
                (self.num_layers, batch, self.hidden_size), dtype=self.dtype
            )

        count = getattr(self.rnn, "state_count", 1)
        return zeros() if count == 1 else tuple(zeros() for _ in range(count))

    def forward(self, ids: ArrayLike, state: Any = None) -> tuple[Array, Any]:
        """Logits for the next character at every step.

        Args:
            ids: ``(T, N)`` integer character indices.
            state: the recurrent state carried from the previous window, ``(num_layers, N, d_h)``
                (LSTM: ``(h, c)``); None means zeros.

        Returns:
            ``(logits, state)``: logits ``y_t`` of shape ``(T, N, V)`` and the final state.
        """
        arr = _check_ids(ids, self.vocab_size, "ids")
        x = np.eye(self.vocab_size, dtype=self.dtype)[arr]  # one-hot x_t: (T, N, V)
        hidden, new_state = self.rnn.forward(x, state)  # h_t: (T, N, d_h)
        return self.decoder.forward(hidden), new_state

    __call__ = forward

    def _targets(self, logits: Array, targets: ArrayLike) -> NDArray[np.int64]:
        arr = _check_ids(targets, self.vocab_size, "targets")
        if arr.shape != logits.shape[:2]:
            raise ValueError(
                f"targets must have the inputs' shape {format_shape(logits.shape[:2])}, got {format_shape(arr.shape)}"
            )
        return arr

    def loss(
        self, inputs: ArrayLike, targets: ArrayLike, state: Any = None
    ) -> tuple[float, Any]:
        """Mean cross-entropy over the ``T * N`` predictions, without gradients: ``(loss, final state)``."""
        logits, new_state = self.forward(inputs, state)
        value, _ = cross_entropy(logits, self._targets(logits, targets))
        return value, new_state

    def loss_and_grads(
        self, inputs: ArrayLike, targets: ArrayLike, state: Any = None
    ) -> tuple[float, Any]:
        """Forward, cross-entropy and backpropagation through the window; fills ``grads``.

        Args:
            inputs, targets: ``(T, N)`` character indices; ``targets[t]`` is the character after
                ``inputs[t]``.
            state: initial state (None: zeros). Its gradient is not propagated further back:
                this is where truncated BPTT cuts.

        Returns:
            ``(loss, final state)``; pass the state to the next window's call.
        """
        logits, new_state = self.forward(inputs, state)
        value, d_logits = cross_entropy(
            logits, self._targets(logits, targets)
        )  # d_logits = (y_hat - y) / (T N)
        d_hidden = self.decoder.backward(
            d_logits
        )  # dL/dh_t from the output at t: (T, N, d_h)
        self.rnn.backward(
            d_hidden
        )  # BPTT inside the window; the final state gets no gradient
        grads = {f"rnn.{k}": v for k, v in self.rnn.grads.items()}
        grads.update({f"decoder.{k}": v for k, v in self.decoder.grads.items()})
        self.grads = grads
        return value, new_state

    def __repr__(self) -> str:
        return (
            f"CharModel(vocab_size={self.vocab_size}, hidden_size={self.hidden_size}, cell={self.cell!r}, "
            f"num_layers={self.num_layers}, dtype={self.dtype.name})"
        )
