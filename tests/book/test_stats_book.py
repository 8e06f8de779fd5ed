"""rnnbook.training.stats (spread over seeds, significant digits) and rnnbook.book.display (glue as printed, source listings)."""

import math

import pytest

from rnnbook.book import display as book
from rnnbook.training.stats import Spread, round_sig, spread


def test_round_sig():
    assert round_sig(0.0123456, 2) == 0.012
    assert round_sig(123456.0, 3) == 123000.0
    assert round_sig(-0.0009876, 1) == -0.001
    assert round_sig(0.0) == 0.0
    assert math.isnan(round_sig(math.nan))
    with pytest.raises(ValueError, match="digits"):
        round_sig(1.0, 0)


def test_spread_median_and_range():
    s = spread([3.0, 1.0, 2.0, 10.0])
    assert (s.median, s.low, s.high) == (2.5, 1.0, 10.0)
    assert s.values == (3.0, 1.0, 2.0, 10.0)
    assert s.error_bar() == (1.5, 7.5)
    assert format(s, ".2f") == "2.50 (1.00 to 10.00)"
    assert s.rounded(1) == Spread((3.0, 1.0, 2.0, 10.0), 2.0, 1.0, 10.0)


def test_spread_nan_and_empty():
    assert math.isnan(spread([1.0, math.nan]).median)
    with pytest.raises(ValueError, match="at least one"):
        spread([])


def test_rounded_keeps_only_printed_digits():
    assert book.rounded(7.474350688916682, ".2f") == 7.47
    assert book.rounded(0.00428104, ".3g") == 0.00428
    assert book.rounded(12345, ",") == 12345 and isinstance(
        book.rounded(12345, ","), int
    )
    assert book.rounded(0.8254, ".1%") == pytest.approx(0.825)


@pytest.fixture
def glued(monkeypatch):
    store = {}
    monkeypatch.setattr(book, "_glue", store.__setitem__)
    return store


def test_glue_value_rounds_floats_to_the_format(glued):
    assert book.glue_value("ppl", 7.474350688916682, ".2f") == 7.47
    assert book.glue_value("n", 38629) == 38629
    assert book.glue_value("ratio", "3/4") == "3/4"
    assert glued == {"ppl": 7.47, "n": 38629, "ratio": "3/4"}


def test_glue_value_refuses_a_float_without_digits(glued):
    with pytest.raises(TypeError, match="needs fmt"):
        book.glue_value("x", 0.1)
    with pytest.raises(TypeError, match="takes a number"):
        book.glue_value("x", [0.1], ".2f")
    assert glued == {}


def test_glue_spread(glued):
    out = book.glue_spread("mse", spread([0.000412, 0.000677, 0.000301]), ".1g")
    assert glued == {
        "mse": 0.0004,
        "mse_low": 0.0003,
        "mse_high": 0.0007,
        "mse_range": "0.0004 (0.0003 to 0.0007)",
    }
    assert out.median == 0.0004
    with pytest.raises(TypeError, match="takes a Spread"):
        book.glue_spread("mse", [1.0], ".1g")


def _example(a, b):
    total = a + b
    return total * 2


def test_show_source_and_line_of(capsys):
    book.show_source(_example)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == " 1  def _example(a, b):"
    assert book.line_of(_example, "total * 2") == 3
    assert "total * 2" in lines[book.line_of(_example, "total * 2") - 1]
    with pytest.raises(ValueError, match="no line of _example contains"):
        book.line_of(_example, "not there")


def test_decay_per_step_recovers_a_geometric_rate():
    import numpy as np

    from rnnbook.analysis.gradients import decay_per_step

    lag = np.arange(40)
    assert decay_per_step(3.0 * 0.9**lag) == pytest.approx(0.9, rel=1e-12)
    # Two sequences with different scales: the geometric mean keeps the rate.
    two = np.stack([2.0 * 1.1**lag, 0.5 * 1.1**lag], axis=1)
    assert decay_per_step(two) == pytest.approx(1.1, rel=1e-12)
    # A zero at lag 0 (nothing reaches that state yet) is left out with lags=.
    with_zero = np.concatenate([[0.0], 0.8 ** lag[1:]])
    with pytest.raises(ValueError, match="finite and > 0"):
        decay_per_step(with_zero)
    assert decay_per_step(with_zero, lags=range(1, 40)) == pytest.approx(0.8, rel=1e-12)
    with pytest.raises(ValueError, match="two lags"):
        decay_per_step([1.0])
