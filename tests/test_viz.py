"""The computation-graph figures: the right boxes and arrows, shared matrices, clear errors."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from rnnbook.viz import draw_folded_rnn, draw_unrolled_rnn  # noqa: E402


def _gids(ax):
    return [p.get_gid() for p in ax.patches]


@pytest.mark.parametrize("T", [1, 3, 7])
@pytest.mark.parametrize("show_outputs", [True, False])
def test_unrolled_graph_has_one_box_per_symbol_and_each_matrix_t_times(T, show_outputs):
    fig, ax = plt.subplots()
    draw_unrolled_rnn(T, ax=ax, show_outputs=show_outputs)
    gids = _gids(ax)
    boxes = [g for g in gids if g.startswith("box:")]
    assert len(boxes) == (T + 1) + T + (T if show_outputs else 0)
    assert {f"box:h_{t}" for t in range(T + 1)} <= set(boxes)
    for matrix, expected in (("W_xh", T), ("W_hh", T), ("W_hy", T if show_outputs else 0)):
        assert sum(g.startswith(f"arrow:{matrix}:") for g in gids) == expected
    labels = [t.get_text() for t in ax.texts]
    assert labels.count("$W_{hh}$") == T  # the same matrix labels every recurrent arrow
    plt.close(fig)


def test_folded_graph_has_one_arrow_per_matrix():
    fig, ax = plt.subplots()
    draw_folded_rnn(ax=ax)
    assert sorted(g for g in _gids(ax) if g.startswith("arrow:")) == ["arrow:W_hh", "arrow:W_hy", "arrow:W_xh"]
    plt.close(fig)


def test_bad_arguments():
    with pytest.raises(ValueError, match="T must be >= 1.*got T=0"):
        draw_unrolled_rnn(0)
    with pytest.raises(TypeError, match="T must be an int.*got float"):
        draw_unrolled_rnn(2.5)
    with pytest.raises(ValueError, match="unknown keys"):
        draw_unrolled_rnn(2, labels={"z": "z"})
