"""Real data from installed packages: matplotlib's sample recordings, scikit-learn's digits, forecasting windows."""

import numpy as np
import pytest

from rnnbook.data.recordings import (
    SERIES,
    Normalization,
    chronological_split,
    forecast_windows,
    load_digit_sequences,
    load_sample_series,
    make_windows,
)


# ----------------------------------------------------------------------------- windows
@pytest.mark.parametrize("window,horizon", [(1, 1), (3, 1), (4, 2), (5, 7)])
def test_windows_are_the_series_slices(window, horizon):
    series = np.random.default_rng(0).standard_normal(23)
    x, y = make_windows(series, window, horizon)
    n = len(series) - window - horizon + 1
    assert x.shape == (n, window, 1) and y.shape == (n,)
    for i in range(n):  # an independent loop over every window
        np.testing.assert_array_equal(x[i, :, 0], series[i : i + window])
        assert y[i] == series[i + window + horizon - 1]


def test_windows_are_copies_not_views():
    series = np.arange(10.0)
    x, y = make_windows(series, 3)
    x[0, 0, 0] = y[0] = -1.0
    assert series[0] == 0.0 and series[3] == 3.0


def test_shortest_series_gives_one_window_and_shorter_raises():
    x, y = make_windows(np.arange(5.0), 3, 2)
    assert x.shape == (1, 3, 1) and y.tolist() == [4.0]
    with pytest.raises(ValueError, match="too short for window=3 and horizon=3"):
        make_windows(np.arange(5.0), 3, 3)


@pytest.mark.parametrize(
    "series,window,horizon,match",
    [
        (np.arange(10.0), 0, 1, "window must be >= 1"),
        (np.arange(10.0), 2, 0, "horizon must be >= 1"),
        (np.zeros((10, 2)), 2, 1, r"one channel of shape \(L,\)"),
        (np.array([0.0, np.nan, 1.0, 2.0]), 1, 1, "finite"),
    ],
)
def test_make_windows_rejects_bad_arguments(series, window, horizon, match):
    with pytest.raises(ValueError, match=match):
        make_windows(series, window, horizon)


def test_make_windows_rejects_non_numbers():
    with pytest.raises(TypeError, match="window must be an int"):
        make_windows(np.arange(10.0), 2.0, 1)
    with pytest.raises(TypeError, match="array of numbers"):
        make_windows(np.array(["a", "b", "c"]), 1)


# ----------------------------------------------------------------------------- splits and normalisation
def test_chronological_split_keeps_time_order_and_covers_the_series():
    series = np.arange(100.0)
    train, val, test = chronological_split(series, 0.2, 0.1)
    assert (len(train), len(val), len(test)) == (70, 20, 10)
    np.testing.assert_array_equal(np.concatenate([train, val, test]), series)
    assert (
        train.max() < val.min() and val.max() < test.min()
    )  # every training value comes first


@pytest.mark.parametrize(
    "val,test", [(0.0, 0.1), (0.1, 1.0), (-0.1, 0.2), (True, 0.1), ("0.1", 0.1)]
)
def test_chronological_split_rejects_bad_fractions(val, test):
    with pytest.raises(ValueError, match="fraction must be a number in"):
        chronological_split(np.arange(100.0), val, test)


def test_chronological_split_rejects_a_series_too_short():
    with pytest.raises(ValueError, match="too short to split"):
        chronological_split(np.arange(5.0), 0.15, 0.15)


def test_normalization_uses_training_statistics_only():
    rng = np.random.default_rng(1)
    series = rng.standard_normal(200) * 3.0 + 5.0
    data = forecast_windows(series, 4, 1, 0.2, 0.2)
    train = series[:120]
    assert data.norm.mean == pytest.approx(np.sum(train) / len(train), abs=1e-12)
    assert data.norm.std == pytest.approx(
        np.sqrt(np.mean((train - np.sum(train) / 120) ** 2)), abs=1e-12
    )
    changed = series.copy()
    changed[120:] = 1e6  # whatever comes later must not move the normalisation
    assert forecast_windows(changed, 4, 1, 0.2, 0.2).norm == data.norm
    z = data.norm.transform(series)
    np.testing.assert_allclose(data.norm.inverse(z), series, rtol=0, atol=1e-12)
    np.testing.assert_allclose(
        data.train[0][0, :, 0],
        (series[:4] - data.norm.mean) / data.norm.std,
        atol=1e-12,
    )


def test_normalization_refuses_constant_or_bad_training_data():
    with pytest.raises(ValueError, match="constant"):
        Normalization.fit(np.full(10, 3.0))
    with pytest.raises(ValueError, match="at least 2 values"):
        Normalization.fit(np.array([1.0]))
    with pytest.raises(ValueError, match="finite"):
        Normalization.fit(np.array([1.0, np.inf]))


@pytest.mark.parametrize("horizon", [1, 3])
def test_no_window_crosses_a_split_boundary(horizon):
    index = np.arange(300.0)  # each value is its own time index
    data = forecast_windows(index, 8, horizon, 0.15, 0.15)
    assert data.bounds == (210, 255)
    start_val, start_test = data.bounds
    seen = {}
    for name, (x, y) in (("train", data.train), ("val", data.val), ("test", data.test)):
        t_x, t_y = (
            np.rint(data.norm.inverse(x)).astype(int),
            np.rint(data.norm.inverse(y)).astype(int),
        )
        seen[name] = (t_x.min(), max(t_x.max(), t_y.max()))
        assert np.all(t_y == t_x[:, -1, 0] + horizon)
    assert seen["train"][1] < start_val and seen["val"] == (start_val, start_test - 1)
    assert seen["test"] == (start_test, 299)
    assert len(data.test[1]) == 45 - 8 - horizon + 1


# ----------------------------------------------------------------------------- matplotlib's sample data
mpl_cbook = pytest.importorskip("matplotlib.cbook")


def _raw(filename, dtype):
    return np.fromfile(
        mpl_cbook.get_sample_data(filename, asfileobj=False), dtype=dtype
    )


def test_membrane_is_the_gallery_reading_in_millivolts():
    s = load_sample_series("membrane")
    np.testing.assert_allclose(
        s.values,
        100.0 * _raw("membrane.dat", np.float32).astype(np.float64),
        rtol=0,
        atol=1e-12,
    )
    assert s.values.shape == (12000,) and s.sampling_rate == 2000.0 and s.unit == "mV"
    np.testing.assert_allclose(np.diff(s.times), 0.0005)
    assert (
        -80.0 < s.values.min() < -60.0 and -5.0 < s.values.max() < 10.0
    )  # rest near -67 mV, spikes near 0 mV


def test_eeg_has_four_channels_of_800_samples():
    s = load_sample_series("eeg")
    np.testing.assert_array_equal(s.values, _raw("eeg.dat", np.float64).reshape(800, 4))
    assert s.channels == ("PG3", "PG5", "PG7", "PG9") and s.sampling_rate == 80.0
    np.testing.assert_array_equal(s.channel("PG7"), s.values[:, 2])
    assert s.times[-1] == pytest.approx(10.0 - 1 / 80)
    with pytest.raises(ValueError, match="channel must be one of"):
        s.channel("Cz")


def test_price_series_are_dated_in_increasing_order():
    goog = load_sample_series("goog")
    assert (
        goog.values.shape == (1047,)
        and goog.sampling_rate is None
        and np.all(np.isfinite(goog.values))
    )
    assert np.all(np.diff(goog.times) > np.timedelta64(0, "D"))
    stocks = load_sample_series("stocks")
    assert (
        stocks.values.shape == (len(stocks.times), 10) and stocks.channels[0] == "IBM"
    )
    assert np.all(np.diff(stocks.times) > np.timedelta64(0, "D"))
    assert (
        np.isnan(stocks.channel("GOOGL")[0])
        and np.isfinite(stocks.channel("IBM")).all()
    )
    assert not np.isnan(stocks.values).all(axis=1).any()  # no dated row without a price


def test_unknown_series_name_raises():
    with pytest.raises(ValueError, match="name must be one of"):
        load_sample_series("sunspots")
    assert set(SERIES) == {"membrane", "eeg", "goog", "stocks"}


# ----------------------------------------------------------------------------- digits as sequences
def test_digit_sequences_are_image_rows_and_a_seeded_partition():
    datasets = pytest.importorskip("sklearn.datasets")
    digits = datasets.load_digits()
    d = load_digit_sequences(val_fraction=0.2, test_fraction=0.3, seed=3)
    n = len(digits.target)
    assert (len(d.y_val), len(d.y_test)) == (round(0.2 * n), round(0.3 * n))
    assert d.x_train.shape == (n - len(d.y_val) - len(d.y_test), 8, 8)
    everything = np.concatenate([d.index_train, d.index_val, d.index_test])
    np.testing.assert_array_equal(
        np.sort(everything), np.arange(n)
    )  # disjoint and complete
    for x, y, idx in (
        (d.x_train, d.y_train, d.index_train),
        (d.x_test, d.y_test, d.index_test),
    ):
        np.testing.assert_array_equal(y, digits.target[idx])
        k = 5
        np.testing.assert_array_equal(
            x[k, 2], digits.data[idx[k], 16:24] / 16.0
        )  # step t = 2 is pixel row 2
    assert d.x_train.min() == 0.0 and d.x_train.max() == 1.0
    again, other = (
        load_digit_sequences(0.2, 0.3, seed=3),
        load_digit_sequences(0.2, 0.3, seed=4),
    )
    np.testing.assert_array_equal(again.index_test, d.index_test)
    assert not np.array_equal(other.index_test, d.index_test)


@pytest.mark.parametrize("val,test", [(0.5, 0.5), (0.0, 0.2), (0.2, 1.2)])
def test_digit_sequences_reject_bad_fractions(val, test):
    pytest.importorskip("sklearn")
    with pytest.raises(ValueError, match="fraction"):
        load_digit_sequences(val, test)
