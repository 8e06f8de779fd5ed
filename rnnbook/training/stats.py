"""Summaries of repeated runs: the median and range over seeds, and rounding to the digits that hold.

A conclusion drawn from training rests on several seeds, never on one lucky run, and a number
that the book prints must come out the same on any machine. Two small tools serve both:

* :class:`Spread`, what :func:`spread` returns: the median, lowest and highest of a metric
  over seeds (the book reports the median and the range, as error bars in plots);
* :func:`round_sig`: a value rounded to ``digits`` significant digits, the form in which
  the chapters print and glue their measurements.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

__all__ = ["Spread", "spread", "round_sig"]


def round_sig(value: float, digits: int = 3) -> float:
    """``value`` rounded to ``digits`` significant digits (``round_sig(0.0123456, 2) == 0.012``).

    Non-finite values come back unchanged; ``digits`` must be at least 1.
    """
    if isinstance(digits, bool) or not isinstance(digits, int) or digits < 1:
        raise ValueError(f"digits must be an int >= 1, got {digits!r}")
    value = float(value)
    if not math.isfinite(value) or value == 0.0:
        return value
    return float(f"{value:.{digits}g}")


@dataclass(frozen=True)
class Spread:
    """A metric over several runs: ``median``, ``low`` (the least) and ``high`` (the greatest).

    ``values`` keeps the runs in the order given (one per seed). ``format(spec)`` prints
    ``"median (low to high)"`` with the format spec applied to each, e.g. ``".2g"``.
    """

    values: tuple[float, ...]
    median: float
    low: float
    high: float

    def __format__(self, spec: str) -> str:
        spec = spec or ".3g"
        return f"{self.median:{spec}} ({self.low:{spec}} to {self.high:{spec}})"

    def __str__(self) -> str:
        return format(self, "")

    def error_bar(self) -> tuple[float, float]:
        """``(median - low, high - median)``: the asymmetric error bar of a plot (``yerr`` rows)."""
        return self.median - self.low, self.high - self.median

    def rounded(self, digits: int = 3) -> Spread:
        """The same spread with every number rounded to ``digits`` significant digits."""
        return Spread(
            tuple(round_sig(v, digits) for v in self.values),
            round_sig(self.median, digits),
            round_sig(self.low, digits),
            round_sig(self.high, digits),
        )


def spread(values: Iterable[float]) -> Spread:
    """The :class:`Spread` of one or more finite or non-finite numbers (NaN propagates to all three)."""
    arr = np.asarray([float(v) for v in values], dtype=np.float64)
    if arr.size == 0:
        raise ValueError("spread needs at least one value, got none")
    if np.isnan(arr).any():
        return Spread(tuple(arr.tolist()), math.nan, math.nan, math.nan)
    return Spread(
        tuple(arr.tolist()), float(np.median(arr)), float(arr.min()), float(arr.max())
    )
