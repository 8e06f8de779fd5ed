"""Shape checks shared by both backends.

The checks work on shape tuples (and, for ``lengths``, on a small NumPy copy of the lengths),
so the NumPy and the Torch layers raise the same ``ValueError`` with the same message for the
same bad input.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def format_shape(shape: Sequence[int]) -> str:
    """``(2, 3)`` for a shape, as the error messages of both backends print it."""
    return "(" + ", ".join(str(int(s)) for s in shape) + ")"


def check_sequence_shape(
    shape: Sequence[int], input_size: int, batch_first: bool
) -> tuple[bool, int, int]:
    """Check an input sequence's shape and return ``(batched, T, N)``.

    Accepted shapes are torch.nn's: ``(T, N, d_x)``, or ``(N, T, d_x)`` when
    ``batch_first``, or ``(T, d_x)`` for one unbatched sequence (``N`` is then 1).
    """
    layout = "(N, T, {d})" if batch_first else "(T, N, {d})"
    expected = f"{layout.format(d=input_size)} or unbatched (T, {input_size})"
    if len(shape) not in (2, 3):
        raise ValueError(
            f"input must have 2 or 3 dimensions, expected {expected}, got shape {format_shape(shape)}"
        )
    if shape[-1] != input_size:
        raise ValueError(
            f"input feature size must be input_size={input_size}, expected {expected}, "
            f"got shape {format_shape(shape)}"
        )
    batched = len(shape) == 3
    if batched:
        n, t = (shape[0], shape[1]) if batch_first else (shape[1], shape[0])
    else:
        t, n = shape[0], 1
    if t == 0:
        raise ValueError(
            f"input sequence is empty (T=0): expected {expected} with T >= 1, got shape {format_shape(shape)}"
        )
    if n == 0:
        raise ValueError(
            f"input batch is empty (N=0): expected {expected} with N >= 1, got shape {format_shape(shape)}"
        )
    return batched, int(t), int(n)


def state_shape(
    num_layers: int, num_directions: int, batch: int, hidden_size: int, batched: bool
) -> tuple[int, ...]:
    """The shape of an initial or final state: ``(D * num_layers, N, d_h)``, or ``(D * num_layers, d_h)`` unbatched."""
    if batched:
        return (num_directions * num_layers, batch, hidden_size)
    return (num_directions * num_layers, hidden_size)


def check_state_shape(
    shape: Sequence[int], expected: Sequence[int], name: str = "hx"
) -> None:
    """Raise ``ValueError`` unless ``shape == expected``, naming both."""
    if tuple(int(s) for s in shape) != tuple(expected):
        layout = (
            "(D * num_layers, N, d_h)"
            if len(expected) == 3
            else "(D * num_layers, d_h) for unbatched input"
        )
        raise ValueError(
            f"{name} must have shape {format_shape(expected)} {layout}, got shape {format_shape(shape)}"
        )


def check_same_shape(shape: Sequence[int], expected: Sequence[int], name: str) -> None:
    """Raise ``ValueError`` unless an upstream gradient has the shape of the value it belongs to."""
    if tuple(int(s) for s in shape) != tuple(expected):
        raise ValueError(
            f"{name} must have shape {format_shape(expected)} (the shape forward returned), got shape {format_shape(shape)}"
        )


def positive_int(name: str, value: Any, minimum: int = 1) -> int:
    """``value`` as an int, or ``TypeError`` (not an int; bools are refused) / ``ValueError`` (below ``minimum``)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def check_layer_sizes(input_size: int, hidden_size: int, num_layers: int) -> None:
    """Reject non-positive or non-integer layer sizes with a clear message."""
    for name, value in (
        ("input_size", input_size),
        ("hidden_size", hidden_size),
        ("num_layers", num_layers),
    ):
        positive_int(name, value)


def check_lengths(
    lengths: Any, T: int, N: int, batched: bool, name: str = "lengths"
) -> np.ndarray | None:
    """Check per-sequence lengths and return them as an int64 ``(N,)`` array (None stays None).

    ``lengths[n]`` is the number of real steps of sequence ``n``; steps ``t >= lengths[n]`` are
    padding. Accepted: a list, a NumPy array or a torch tensor of integers with shape ``(N,)``
    and values in ``[1, T]``; for unbatched input a single length (an int, or shape ``()`` or ``(1,)``).
    """
    if lengths is None:
        return None
    if hasattr(lengths, "detach"):  # a torch tensor, without importing torch
        lengths = lengths.detach().cpu().numpy()
    arr = np.asarray(lengths)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(
            f"{name} must be integers (the number of real steps of each sequence), got dtype {arr.dtype}"
        )
    if not batched:
        if arr.shape not in ((), (1,)):
            raise ValueError(
                f"{name} must be None or a single length for unbatched input, got shape {format_shape(arr.shape)}"
            )
        arr = arr.reshape(1)
    elif arr.shape != (N,):
        raise ValueError(
            f"{name} must have shape (N,) = {format_shape((N,))}, one length per sequence, got shape {format_shape(arr.shape)}"
        )
    low, high = int(arr.min()), int(arr.max())
    if low < 1 or high > T:
        raise ValueError(
            f"{name} must lie in [1, T] = [1, {T}] (T is the padded sequence length), got values in [{low}, {high}]"
        )
    return arr.astype(np.int64)


def padding_mask_and_reversal(
    lengths: np.ndarray, T: int
) -> tuple[np.ndarray, np.ndarray]:
    """The step mask and the per-sequence time reversal for ``lengths`` ``(N,)``.

    Returns ``(mask, reverse)``, both ``(T, N)``: ``mask[t, n] = t < lengths[n]`` (True on real
    steps) and ``reverse[t, n] = lengths[n] - 1 - t`` on real steps, ``t`` on padding, so that
    ``x[reverse, arange(N)]`` reverses every sequence within its own length and leaves its padding
    in place. The reversal is its own inverse.
    """
    steps = np.arange(T)[:, None]
    mask = steps < lengths[None, :]
    return mask, np.where(mask, lengths[None, :] - 1 - steps, steps)
