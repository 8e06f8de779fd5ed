"""Rosenblatt's perceptron and its learning rule (Rosenblatt 1958), in NumPy.

A single linear threshold unit classifies ``x`` ``(d_x)`` as ``sign(w . x + b)`` in ``{-1, +1}``.
The learning rule visits the examples one at a time and changes the weights only on a mistake:

    if y_i (w . x_i + b) <= 0:    w <- w + lr * y_i x_i,    b <- b + lr * y_i

For linearly separable data it stops making mistakes after finitely many updates (Novikoff's
theorem: at most ``(R / gamma)^2``, ``R`` the largest ``|x_i|`` and ``gamma`` the margin). There is
no gradient, no loss and no memory: this is the unit that an RNN chains through time.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._shapes import positive_int

__all__ = ["Perceptron"]


class Perceptron:
    """``Perceptron(input_size, lr=1.0)``: weights ``w`` ``(d_x)`` and bias ``b``, both starting at 0."""

    def __init__(self, input_size: int, lr: float = 1.0) -> None:
        self.input_size = positive_int("input_size", input_size)
        if not (np.isfinite(lr) and lr > 0):
            raise ValueError(f"lr must be a finite number > 0, got {lr!r}")
        self.lr = float(lr)
        self.w = np.zeros(input_size)
        self.b = 0.0

    def _check_x(self, x: ArrayLike) -> NDArray[np.float64]:
        arr = np.asarray(x, dtype=np.float64)
        if arr.ndim != 2 or arr.shape[1] != self.input_size or arr.shape[0] == 0:
            raise ValueError(
                f"x must have shape (n, {self.input_size}) with n >= 1, got {arr.shape}"
            )
        if not np.all(np.isfinite(arr)):
            raise ValueError("x must be finite (no NaN or inf)")
        return arr

    def decision_function(self, x: ArrayLike) -> NDArray[np.float64]:
        """``w . x_i + b`` for every row of ``x`` ``(n, d_x)``: shape ``(n,)``."""
        return self._check_x(x) @ self.w + self.b

    def predict(self, x: ArrayLike) -> NDArray[np.int64]:
        """Labels in ``{-1, +1}`` ``(n,)`` (a score of exactly 0 counts as -1)."""
        return np.where(self.decision_function(x) > 0, 1, -1)

    def fit(
        self, x: ArrayLike, y: ArrayLike, epochs: int = 10, seed: int | None = 0
    ) -> list[int]:
        """Run the learning rule for up to ``epochs`` passes; return the number of mistakes in each pass.

        ``y`` ``(n,)`` holds labels in ``{-1, +1}``. Examples are visited in an order shuffled by
        ``np.random.default_rng(seed)`` each pass (``seed=None``: in the given order). Training
        stops early after a pass with no mistake.
        """
        xs = self._check_x(x)
        ys = np.asarray(y)
        if ys.shape != (xs.shape[0],) or not np.all(np.isin(ys, (-1, 1))):
            raise ValueError(
                f"y must be {xs.shape[0]} labels in {{-1, +1}}, got shape {ys.shape} with values {np.unique(ys)[:5]}"
            )
        positive_int("epochs", epochs)
        rng = None if seed is None else np.random.default_rng(seed)
        mistakes_per_epoch = []
        for _ in range(epochs):
            order = np.arange(len(xs)) if rng is None else rng.permutation(len(xs))
            mistakes = 0
            for i in order:
                if ys[i] * (xs[i] @ self.w + self.b) <= 0:
                    self.w += self.lr * ys[i] * xs[i]
                    self.b += self.lr * ys[i]
                    mistakes += 1
            mistakes_per_epoch.append(mistakes)
            if mistakes == 0:
                break
        return mistakes_per_epoch
