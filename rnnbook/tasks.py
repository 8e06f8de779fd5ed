"""Seeded synthetic long-memory tasks in the form Bai, Kolter, Koltun (2018) benchmark them.

* Adding problem (Hochreiter & Schmidhuber 1997): a sequence of random numbers and a marker
  channel with two 1s; predict the sum of the two marked numbers. The distance between the
  markers is the dependency length.
* Copy memory (Hochreiter & Schmidhuber 1997; Arjovsky et al. 2016): read 10 digits, wait
  ``T`` steps, then write the 10 digits back.

Each function draws everything from ``numpy.random.default_rng(seed)``, so the same seed
gives the same data on every machine. Both also give the score of the best predictor that
remembers nothing, the line a recurrent network must get below to show it has memory.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "adding_problem", "adding_problem_baseline_mse", "copy_memory", "copy_memory_chance_loss",
    "COPY_DIGITS", "COPY_BLANK", "COPY_DELIMITER", "COPY_VOCAB_SIZE",
]

COPY_DIGITS = 10
"""How many digits the copy-memory task asks to remember."""
COPY_BLANK = 0
"""The blank symbol of the copy-memory task (input padding, and the target before recall)."""
COPY_DELIMITER = 9
"""The symbol that tells the copy-memory model to start writing the digits back."""
COPY_VOCAB_SIZE = 10
"""Symbols 0..9: blank, the digits 1..8, the delimiter."""


def _check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def adding_problem(
    num_samples: int, T: int, seed: int | None = 0, dtype: Any = np.float64, markers: str = "halves"
) -> tuple[NDArray[np.floating], NDArray[np.floating]]:
    """The adding problem: ``x`` ``(N, T, 2)`` and ``y`` ``(N,)``, batch first.

    Channel 0 of ``x`` holds values drawn from U(0, 1); channel 1 is a marker channel, 0
    everywhere except exactly two 1s. With ``markers="halves"`` (the default, the widely used
    form) one marker is drawn uniformly from the first half ``[0, T // 2)`` and one from the
    second half ``[T // 2, T)``, so the first marked value must be held for 1 to ``T - 1``
    steps. With ``markers="anywhere"`` they are two distinct positions drawn uniformly from
    ``[0, T)``, as in Bai et al.'s released code. The target is the sum of the two marked
    values, ``y in [0, 2]``, for either placement.

    Args:
        num_samples: ``N``; T: sequence length, at least 2; seed: for ``default_rng``;
        dtype: of ``x`` and ``y``; markers: ``"halves"`` or ``"anywhere"``.
    """
    n = _check_int("num_samples", num_samples, 1)
    t = _check_int("T", T, 2)
    if markers not in ("halves", "anywhere"):
        raise ValueError(f"markers must be 'halves' or 'anywhere', got {markers!r}")
    rng = np.random.default_rng(seed)
    values = rng.uniform(0.0, 1.0, size=(n, t))
    if markers == "halves":
        first = rng.integers(0, t // 2, size=n)
        second = rng.integers(t // 2, t, size=n)
    else:  # a uniform pair of distinct positions
        first = rng.integers(0, t, size=n)
        second = rng.integers(0, t - 1, size=n)
        second += second >= first
    rows = np.arange(n)
    marker_channel = np.zeros((n, t))
    marker_channel[rows, first] = 1.0
    marker_channel[rows, second] = 1.0
    x = np.stack([values, marker_channel], axis=-1).astype(dtype)
    y = (values[rows, first] + values[rows, second]).astype(dtype)
    return x, y


def adding_problem_baseline_mse() -> float:
    """The mean squared error of always predicting 1 on the adding problem: ``1/6``.

    Derivation: the target is ``U1 + U2`` with ``U1, U2`` independent U(0, 1). The constant
    that minimises the expected squared error is the mean, ``E[U1 + U2] = 1``, and its error
    is the variance, ``Var(U1 + U2) = Var(U1) + Var(U2) = 1/12 + 1/12 = 1/6 ~ 0.167``
    (``Var(U) = E[U^2] - E[U]^2 = 1/3 - 1/4 = 1/12``). A model above this line has learned
    nothing about the marked values; Bai et al. report 0.164 to 0.177 for LSTM and the plain
    RNN at T = 600, that is, no better than this.
    """
    return 1.0 / 6.0


def copy_memory(
    num_samples: int, T: int, seed: int | None = 0, fill_recall_with_delimiter: bool = False
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The copy-memory task: ``x`` and ``y``, both ``(N, T + 20)`` int64, batch first.

    Input ``x``: 10 digits drawn uniformly from {1, ..., 8}, then ``T - 1`` blanks (0), then the
    delimiter 9, then 10 blanks during which the model must answer. Target ``y``: ``T + 10``
    blanks, then the 10 digits. So the last digit must be carried ``T + 10`` steps. Symbols
    are 0..9 (:data:`COPY_VOCAB_SIZE`); train with cross-entropy over all ``T + 20`` steps.

    Args:
        num_samples: ``N``; T: the blank length, at least 1; seed: for ``default_rng``.
        fill_recall_with_delimiter: Bai et al.'s released code feeds 9 at all 11 last input
            steps (the delimiter, then 9 instead of blanks while recalling); True does that.
            It changes no target and no chance level.
    """
    n = _check_int("num_samples", num_samples, 1)
    t = _check_int("T", T, 1)
    rng = np.random.default_rng(seed)
    digits = rng.integers(1, 9, size=(n, COPY_DIGITS))  # 1..8
    x = np.full((n, t + 2 * COPY_DIGITS), COPY_BLANK, dtype=np.int64)
    x[:, :COPY_DIGITS] = digits
    recall_start = COPY_DIGITS + t - 1  # the delimiter's position
    x[:, recall_start] = COPY_DELIMITER
    if fill_recall_with_delimiter:
        x[:, recall_start:] = COPY_DELIMITER
    y = np.full_like(x, COPY_BLANK)
    y[:, t + COPY_DIGITS :] = digits
    return x, y


def copy_memory_chance_loss(T: int) -> float:
    """The best memoryless predictor's cross-entropy, nats per step over all ``T + 20`` steps: ``10 ln 8 / (T + 20)``.

    Derivation: a model that remembers no digit can still learn the layout: predict the blank
    with probability 1 wherever the target is blank (``T + 10`` steps, loss ``-ln 1 = 0``), and
    during the 10 recall steps spread probability uniformly over the 8 digits (loss ``ln 8``
    each, the best possible without memory because the digits are uniform and independent).
    The mean over the ``T + 20`` steps is ``10 ln 8 / (T + 20)``: 0.0204 for T = 1000, the loss
    at which Bai et al. report LSTM, GRU and plain RNN all stuck.
    """
    t = _check_int("T", T, 1)
    return COPY_DIGITS * math.log(8) / (t + 2 * COPY_DIGITS)
