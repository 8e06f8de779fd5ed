"""Real data that installed packages ship, shaped for the book's applications: time series and digit sequences.

Nothing is downloaded. Two sources:

* **matplotlib's sample data** (``matplotlib.cbook.get_sample_data``, the files in
  ``mpl-data/sample_data``), read the way matplotlib's own gallery examples read them:

  - ``"membrane"``: ``membrane.dat``, 12000 float32 samples of a neuron's membrane potential
    sampled every 0.5 ms (2 kHz); the gallery scales it by 100 to millivolts. A current step
    makes the cell fire a train of action potentials ("spikes").
  - ``"eeg"``: ``eeg.dat``, 800 x 4 float64 samples of four EEG channels (labelled PG3, PG5,
    PG7, PG9 in the gallery, which spreads the 800 samples over 10 s: 80 Hz); arbitrary units.
  - ``"goog"``: ``goog.npz``, 1047 trading days of Google's share price (adjusted close, USD), 2004-2008.
  - ``"stocks"``: ``Stocks.csv``, monthly prices of eight stocks and two indices from 1990 to 2022
    (NaN before a ticker's first price; the file's dated rows without any price are left out).

* **scikit-learn's 8 x 8 digits** (``sklearn.datasets.load_digits``, 1797 images shipped with the
  package), read row by row as sequences of T = 8 steps with d_x = 8 inputs each.

The forecasting pipeline, with the shapes at each stage::

    series (L,) --chronological_split--> train (L_1,), val (L_2,), test (L_3,)  (time order)
      --Normalization.fit(train)--> z = (s - mean_train) / std_train   (train statistics)
      --make_windows(z, window, horizon)--> x (N, window, 1), y (N,)   (within one part)

``x[i] = s[i : i + window]`` and ``y[i] = s[i + window + horizon - 1]``: the model sees ``window``
consecutive values and predicts the value ``horizon`` steps after the last one. Windows are cut
inside each part, so no window of the test part contains a training value, and the normalisation
knows only the training part. :func:`forecast_windows` runs the whole pipeline.

matplotlib (for the series) and scikit-learn (for the digits) are imported only when a loader
that needs them is called.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._shapes import positive_int

__all__ = [
    "SERIES",
    "SampleSeries",
    "load_sample_series",
    "chronological_split",
    "Normalization",
    "make_windows",
    "ForecastData",
    "forecast_windows",
    "DigitSequences",
    "load_digit_sequences",
]

FloatArray = NDArray[np.float64]

SERIES = ("membrane", "eeg", "goog", "stocks")
"""Names :func:`load_sample_series` accepts."""


@dataclass(frozen=True)
class SampleSeries:
    """A recorded series and what is known about it.

    Attributes:
        name: the name it was loaded by (one of :data:`SERIES`).
        values: float64, ``(L,)`` for one channel or ``(L, C)`` for ``C`` channels, in time order.
        times: ``(L,)``: seconds from the start (float64) for recordings with a sampling rate,
            dates (``datetime64[D]``) for prices.
        sampling_rate: samples per second, or None where samples are dated (trading days, months).
        unit: the unit of ``values`` (``"mV"``, ``"a.u."`` for arbitrary units, ``"USD"``).
        channels: one name per column of a multi-channel series (empty for one channel).
        source: the file in matplotlib's sample data.
        description: one sentence on what was recorded.
    """

    name: str
    values: FloatArray
    times: NDArray[Any]
    sampling_rate: float | None
    unit: str
    source: str
    description: str
    channels: tuple[str, ...] = field(default=())

    def channel(self, name: str) -> FloatArray:
        """One column of a multi-channel series, ``(L,)``, by its name in :attr:`channels`."""
        if name not in self.channels:
            raise ValueError(f"channel must be one of {self.channels}, got {name!r}")
        return self.values[:, self.channels.index(name)]


def _sample_bytes(filename: str) -> bytes:
    from matplotlib import cbook

    path = cbook.get_sample_data(
        filename, asfileobj=False
    )  # the file's path (a file object would be unpacked)
    with open(path, "rb") as handle:
        return handle.read()


def load_sample_series(name: str) -> SampleSeries:
    """Load one of matplotlib's sample recordings as a :class:`SampleSeries` (see the module docstring).

    ``"membrane"``: ``(12000,)`` membrane potential in mV at 2000 Hz. ``"eeg"``: ``(800, 4)`` EEG
    channels PG3, PG5, PG7, PG9 at 80 Hz, arbitrary units. ``"goog"``: ``(1047,)`` daily adjusted
    closing price in USD, dated. ``"stocks"``: ``(L, 10)`` monthly prices in USD of eight stocks and two indices (index points for
    ``^GSPC`` and ``^IXIC``), dated, NaN before a ticker's first price.
    """
    if name == "membrane":
        raw = np.frombuffer(_sample_bytes("membrane.dat"), dtype=np.float32)
        values = 100.0 * raw.astype(
            np.float64
        )  # matplotlib's gallery: 1000 * 0.1 * x is in mV
        rate = 2000.0  # "0.0005 is the sample interval"
        return SampleSeries(
            name,
            values,
            np.arange(len(values)) / rate,
            rate,
            "mV",
            "membrane.dat",
            "Membrane potential of a neuron driven by a current step, firing action potentials.",
        )
    if name == "eeg":
        values = (
            np.frombuffer(_sample_bytes("eeg.dat"), dtype=np.float64)
            .reshape(800, 4)
            .copy()
        )
        rate = (
            80.0  # the gallery's mri_with_eeg example spreads the 800 samples over 10 s
        )
        return SampleSeries(
            name,
            values,
            np.arange(len(values)) / rate,
            rate,
            "a.u.",
            "eeg.dat",
            "Four channels of an electroencephalogram (EEG).",
            ("PG3", "PG5", "PG7", "PG9"),
        )
    if name == "goog":
        with np.load(io.BytesIO(_sample_bytes("goog.npz"))) as archive:
            prices = archive["price_data"]
        order = np.argsort(prices["date"], kind="stable")
        return SampleSeries(
            name,
            prices["adj_close"][order].astype(np.float64),
            prices["date"][order].astype("datetime64[D]"),
            None,
            "USD",
            "goog.npz",
            "Daily adjusted closing price of Google shares.",
        )
    if name == "stocks":
        rows = list(
            csv.reader(
                line
                for line in _sample_bytes("Stocks.csv").decode("utf-8").splitlines()
                if not line.startswith("#")
            )
        )
        header, body = (
            rows[0],
            [r for r in rows[1:] if any(r[1:])],
        )  # the file has some dated rows with no price
        dates = np.array([r[0] for r in body], dtype="datetime64[D]")
        values = np.array(
            [[float(v) if v else math.nan for v in r[1:]] for r in body],
            dtype=np.float64,
        )
        order = np.argsort(dates, kind="stable")
        return SampleSeries(
            name,
            values[order],
            dates[order],
            None,
            "USD",
            "Stocks.csv",
            "Monthly prices of eight stocks and two indices (index points for ^GSPC and ^IXIC).",
            tuple(header[1:]),
        )
    raise ValueError(f"name must be one of {SERIES}, got {name!r}")


def _as_series(series: ArrayLike, name: str = "series") -> FloatArray:
    arr = np.asarray(series)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{name} must be an array of numbers, got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(
            f"{name} must be one channel of shape (L,), got shape {arr.shape}"
        )
    arr = arr.astype(np.float64, copy=False)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return arr


def _fraction(name: str, value: Any) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not 0.0 < value < 1.0
    ):
        raise ValueError(f"{name} must be a number in (0, 1), got {value!r}")
    return float(value)


def chronological_split(
    series: ArrayLike, val_fraction: float = 0.15, test_fraction: float = 0.15
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Cut a series ``(L,)`` into train, validation and test parts, in that order in time.

    ``L_val = round(val_fraction * L)``, ``L_test = round(test_fraction * L)``, the rest (the
    beginning) is for training. No shuffling: the model is scored on a later stretch of the
    recording than it was fitted on, as it would be used. Returns three views of the series.
    """
    arr = _as_series(series)
    val_fraction, test_fraction = (
        _fraction("val_fraction", val_fraction),
        _fraction("test_fraction", test_fraction),
    )
    n_val, n_test = (
        int(round(val_fraction * len(arr))),
        int(round(test_fraction * len(arr))),
    )
    n_train = len(arr) - n_val - n_test
    if min(n_train, n_val, n_test) < 2:
        raise ValueError(
            f"series too short to split: {len(arr)} values with val_fraction={val_fraction}, test_fraction={test_fraction} "
            f"give {n_train}, {n_val} and {n_test}; each part needs at least 2"
        )
    return arr[:n_train], arr[n_train : n_train + n_val], arr[n_train + n_val :]


@dataclass(frozen=True)
class Normalization:
    """``z = (s - mean) / std`` with ``mean`` and ``std`` measured on the training part only."""

    mean: float
    std: float

    @classmethod
    def fit(cls, train: ArrayLike) -> Normalization:
        """The mean and (population) standard deviation of ``train`` ``(L,)``; a constant series is refused."""
        arr = _as_series(train, "train")
        if len(arr) < 2:
            raise ValueError(
                f"train must hold at least 2 values to measure a spread, got {len(arr)}"
            )
        std = float(arr.std())
        if not std > 0:
            raise ValueError(
                "train is constant (standard deviation 0): it cannot be normalised"
            )
        return cls(float(arr.mean()), std)

    def transform(self, values: ArrayLike) -> FloatArray:
        """``(values - mean) / std``, any shape."""
        return (np.asarray(values, dtype=np.float64) - self.mean) / self.std

    def inverse(self, values: ArrayLike) -> FloatArray:
        """``values * std + mean``: back to the series' units."""
        return np.asarray(values, dtype=np.float64) * self.std + self.mean


def make_windows(
    series: ArrayLike, window: int, horizon: int = 1
) -> tuple[FloatArray, FloatArray]:
    """Every input window of a series ``(L,)`` and the value to forecast after it.

    Returns ``x`` ``(N, window, 1)`` (batch-first, d_x = 1, ready for a ``SequenceModel``) and ``y``
    ``(N,)`` with ``N = L - window - horizon + 1``: ``x[i, :, 0] = series[i : i + window]`` and
    ``y[i] = series[i + window + horizon - 1]`` (``horizon = 1``: the next value).
    """
    arr = _as_series(series)
    window, horizon = positive_int("window", window), positive_int("horizon", horizon)
    n = len(arr) - window - horizon + 1
    if n < 1:
        raise ValueError(
            f"series of length {len(arr)} is too short for window={window} and horizon={horizon} (needs at least {window + horizon})"
        )
    x = np.lib.stride_tricks.sliding_window_view(arr, window)[:n].copy()
    return x[:, :, None], arr[window + horizon - 1 :].copy()


@dataclass(frozen=True)
class ForecastData:
    """Windows of the three chronological parts of a series, normalised with training statistics.

    ``train``, ``val``, ``test``: ``(x (N, window, 1), y (N,))`` each, in normalised units;
    ``norm`` turns them back (``norm.inverse``); ``bounds``: the indices where the validation
    and test parts start in the original series.
    """

    train: tuple[FloatArray, FloatArray]
    val: tuple[FloatArray, FloatArray]
    test: tuple[FloatArray, FloatArray]
    norm: Normalization
    bounds: tuple[int, int]


def forecast_windows(
    series: ArrayLike,
    window: int,
    horizon: int = 1,
    val_fraction: float = 0.15,
    test_fraction: float = 0.15,
) -> ForecastData:
    """Split a series ``(L,)`` in time (:func:`chronological_split`), fit :class:`Normalization` on the
    training part, and cut windows (:func:`make_windows`) inside each part."""
    train, val, test = chronological_split(series, val_fraction, test_fraction)
    norm = Normalization.fit(train)
    parts = [
        make_windows(norm.transform(p), window, horizon) for p in (train, val, test)
    ]
    return ForecastData(
        parts[0], parts[1], parts[2], norm, (len(train), len(train) + len(val))
    )


@dataclass(frozen=True)
class DigitSequences:
    """scikit-learn's digits as sequences: image rows are time steps.

    ``x_*``: float64 ``(N, 8, 8)``, ``x[n, t]`` is row ``t`` of image ``n`` (T = 8, d_x = 8), pixel
    intensities 0..16 divided by 16. ``y_*``: int64 ``(N,)`` digits 0..9. ``index_*``: the rows of
    ``sklearn.datasets.load_digits()`` that each part holds (disjoint, together all 1797).
    """

    x_train: FloatArray
    y_train: NDArray[np.int64]
    x_val: FloatArray
    y_val: NDArray[np.int64]
    x_test: FloatArray
    y_test: NDArray[np.int64]
    index_train: NDArray[np.int64]
    index_val: NDArray[np.int64]
    index_test: NDArray[np.int64]


def load_digit_sequences(
    val_fraction: float = 0.15, test_fraction: float = 0.25, seed: int = 0
) -> DigitSequences:
    """The 1797 8 x 8 digits of ``sklearn.datasets.load_digits`` as ``(N, T=8, d_x=8)`` row sequences.

    The images are shuffled by ``np.random.default_rng(seed)`` and cut into train, validation and
    test parts of sizes ``L - L_val - L_test``, ``round(val_fraction * L)`` and
    ``round(test_fraction * L)`` (the digits have no time order, so a random split is the right one).
    """
    from sklearn.datasets import load_digits

    val_fraction, test_fraction = (
        _fraction("val_fraction", val_fraction),
        _fraction("test_fraction", test_fraction),
    )
    if val_fraction + test_fraction >= 1.0:
        raise ValueError(
            f"val_fraction + test_fraction must be < 1, got {val_fraction} + {test_fraction}"
        )
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    digits = load_digits()
    images = digits.images.astype(np.float64) / 16.0
    labels = digits.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(images))
    n_val, n_test = (
        int(round(val_fraction * len(images))),
        int(round(test_fraction * len(images))),
    )
    n_train = len(images) - n_val - n_test
    idx = order[:n_train], order[n_train : n_train + n_val], order[n_train + n_val :]
    return DigitSequences(
        images[idx[0]],
        labels[idx[0]],
        images[idx[1]],
        labels[idx[1]],
        images[idx[2]],
        labels[idx[2]],
        idx[0].astype(np.int64),
        idx[1].astype(np.int64),
        idx[2].astype(np.int64),
    )
