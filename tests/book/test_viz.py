"""rnnbook.viz draws as many boxes and arrows as the unrolled graph has, one arrow per matrix per step."""

import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")  # no display needed

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

from rnnbook.viz import draw_folded_rnn, draw_unrolled_rnn  # noqa: E402


def _count(ax):
    """(boxes, arrows, list of text strings) drawn on ``ax``."""
    boxes = sum(isinstance(p, FancyBboxPatch) for p in ax.patches)
    arrows = sum(isinstance(p, FancyArrowPatch) for p in ax.patches)
    return boxes, arrows, [t.get_text() for t in ax.texts]


@pytest.mark.parametrize("show_outputs", [True, False])
@pytest.mark.parametrize("T", [1, 2, 5, 9])
def test_unrolled_graph_has_one_box_and_arrow_per_step(T, show_outputs):
    ax = draw_unrolled_rnn(T, show_outputs=show_outputs)
    boxes, arrows, texts = _count(ax)
    assert boxes == (T + 1) + T + T * show_outputs  # h_0..h_T, x_1..x_T, y_1..y_T
    assert arrows == 2 * T + T * show_outputs
    assert [s for s in texts if s.startswith("$h_")] == ["$h_0$"] + [
        f"$h_{{{t}}}$" for t in range(1, T + 1)
    ]
    # The same matrices at every step: each label appears exactly T times.
    assert texts.count("$W_{hh}$") == T
    assert texts.count("$W_{xh}$") == T
    assert texts.count("$W_{hy}$") == (T if show_outputs else 0)
    assert (
        len({p.get_gid() for p in ax.patches}) == boxes + arrows
    )  # every artist has its own gid
    plt.close(ax.figure)


def test_draws_into_given_axes_and_labels_can_be_replaced():
    fig, ax = plt.subplots()
    assert draw_unrolled_rnn(2, ax=ax, labels={"y": r"\hat y"}) is ax
    assert "$\\hat y_{2}$" in [t.get_text() for t in ax.texts]
    plt.close(fig)


def test_folded_graph_has_one_arrow_per_matrix():
    ax = draw_folded_rnn()
    boxes, arrows, texts = _count(ax)
    assert (boxes, arrows) == (3, 3)
    assert all(texts.count(s) == 1 for s in ("$W_{xh}$", "$W_{hh}$", "$W_{hy}$"))
    plt.close(ax.figure)


@pytest.mark.parametrize("bad", [0, -3])
def test_bad_T_raises_value_error_naming_it(bad):
    with pytest.raises(ValueError, match=f"T must be >= 1.*got T={bad}"):
        draw_unrolled_rnn(bad)


@pytest.mark.parametrize("bad", [2.5, "4", True])
def test_non_integer_T_raises_type_error(bad):
    with pytest.raises(TypeError, match="T must be an int"):
        draw_unrolled_rnn(bad)


def test_unknown_label_key_raises():
    with pytest.raises(ValueError, match=r"unknown keys \['z'\]"):
        draw_unrolled_rnn(2, labels={"z": "z"})
