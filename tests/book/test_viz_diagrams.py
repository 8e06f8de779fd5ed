"""The architecture diagrams of rnnbook.viz: each draws the symbols it claims, in the book's colours,
with labels large enough to read at the book's width, and rejects bad arguments."""

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

from rnnbook import viz  # noqa: E402
from rnnbook.viz.style import COLOURS, MAX_FIG_WIDTH_IN, MIN_FONT_PT  # noqa: E402

#: The narrowest the book shows a figure at (px): its text column at 1400 px wide.
COLUMN_PX = 760


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _figure(drawn):
    return drawn if isinstance(drawn, matplotlib.figure.Figure) else drawn.figure


def _texts(drawn):
    return [t.get_text() for ax in _figure(drawn).axes for t in ax.texts] + [
        ax.get_title() for ax in _figure(drawn).axes
    ]


def _patches(drawn, prefix):
    return [
        p
        for ax in _figure(drawn).axes
        for p in ax.patches
        if (p.get_gid() or "").startswith(prefix)
    ]


def _legible(drawn):
    """Every label's size in pixels when the figure is shown COLUMN_PX wide (or at its natural size)."""
    fig = _figure(drawn)
    width_in = fig.get_size_inches()[0]
    shown_px = min(
        COLUMN_PX, width_in * 100
    )  # the notebook's figures are stored at 100 dpi
    sizes = [t.get_fontsize() for ax in fig.axes for t in ax.texts]
    return min(sizes) / 72 * shown_px / width_in


DIAGRAMS = {
    "lstm_cell": (
        lambda: viz.draw_lstm_cell(),
        [
            "$c_{t-1}$",
            "$c_t$",
            "$h_{t-1}$",
            "$h_t$",
            "$x_t$",
            "$f_t$",
            "$i_t$",
            "$g_t$",
            "$o_t$",
            r"$\sigma$",
            r"$\tanh$",
            r"$\times$",
            "$+$",
        ],
    ),
    "gru_cells": (
        lambda: viz.draw_gru_cells(),
        [
            "$h_{t-1}$",
            "$h_t$",
            "$x_t$",
            "$r_t$",
            "$z_t$",
            "$n_t$",
            "$W_{hn}$",
            "$1-$",
            r"$n_t = \tanh(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn}))$",
            r"$n_t = \tanh(W_{in} x_t + b_{in} + W_{hn} (r_t \odot h_{t-1}) + b_{hn})$",
        ],
    ),
    "bptt": (
        lambda: viz.draw_bptt(T=4),
        [
            "$h_0$",
            "$h_{4}$",
            "$L_{1}$",
            "$L_{4}$",
            "$y_{2}$",
            r"$J_{2}^\top$",
            r"$J_{4}^\top$",
        ],
    ),
    "stacked": (
        lambda: viz.draw_stacked_rnn(num_layers=3, T=4),
        [
            "$h_{1}^{(1)}$",
            "$h_{4}^{(3)}$",
            "$W_{hh}^{(2)}$",
            "$W_{xh}^{(3)}$",
            "$W_{hy}$",
            "$x_{1}$",
            "$y_{4}$",
        ],
    ),
    "bidirectional": (
        lambda: viz.draw_bidirectional_rnn(T=4),
        [
            r"$\overrightarrow{h}_{1}$",
            r"$\overleftarrow{h}_{4}$",
            "$x_{3}$",
            "$y_{2}$",
            "forward",
            "backward",
        ],
    ),
    "encoder_decoder": (
        lambda: viz.draw_encoder_decoder(S=4, L=3),
        [
            "$x_{1}$",
            "$h_{4}$",
            "$h_S = s_0$",
            "$s_{1}$",
            "$y_0$",
            "$y_{3}$",
            "encoder",
            "decoder",
        ],
    ),
    "attention": (
        lambda: viz.draw_attention(),
        [
            "$h_{1}$",
            "$h_{6}$",
            "$c_{3}$",
            "$s_{3}$",
            "$s_{2}$",
            r"$\alpha_{34} = 0.62$",
        ],
    ),
    "scan": (
        lambda: viz.draw_parallel_scan(T=8),
        ["$a_{1}, b_{1}$", "$a_{8}, b_{8}$", "$h_{1}$", "$h_{8}$"],
    ),
    "unrolled": (
        lambda: viz.draw_unrolled_rnn(T=4),
        ["$h_0$", "$x_{1}$", "$h_{4}$", "$y_{4}$", "$W_{hh}$"],
    ),
}


@pytest.mark.parametrize("name", DIAGRAMS)
def test_diagram_draws_its_symbols(name):
    draw, symbols = DIAGRAMS[name]
    drawn = draw()
    texts = _texts(drawn)
    missing = [s for s in symbols if s not in texts]
    assert not missing, (
        f"{name}: labels {missing} not drawn; drawn: {sorted(set(texts))[:40]}"
    )


@pytest.mark.parametrize("name", DIAGRAMS)
def test_labels_are_legible_at_the_books_width(name):
    drawn = DIAGRAMS[name][0]()
    fig = _figure(drawn)
    assert fig.get_size_inches()[0] <= MAX_FIG_WIDTH_IN
    assert min(t.get_fontsize() for ax in fig.axes for t in ax.texts) >= (
        MIN_FONT_PT if name != "unrolled" else 11
    )
    assert _legible(drawn) >= 10.0, (
        f"{name}: smallest label {_legible(drawn):.1f} px at the book's width"
    )


@pytest.mark.parametrize("name", DIAGRAMS)
def test_one_colour_per_symbol(name):
    """A box of x, h, c or y has that symbol's colour in every diagram."""
    drawn = DIAGRAMS[name][0]()
    kinds = {
        "x": ["box:x_"],
        "c": ["box:c_"],
        "y": ["box:y_"],
        "h": ["box:h_", "box:enc_", "box:dec_", "box:fwd_", "box:bwd_"],
    }
    checked = 0
    for kind, prefixes in kinds.items():
        for prefix in prefixes:
            for patch in _patches(drawn, prefix):
                if prefix == "box:dec_" and "dec_in" in patch.get_gid():
                    continue  # the decoder's inputs are target tokens: y's colour
                assert to_hex(patch.get_facecolor()) == COLOURS[kind], (
                    name,
                    patch.get_gid(),
                )
                checked += 1
    assert checked > 0


def test_scan_tree_has_log2_T_rounds_and_the_right_edges():
    for T in (2, 4, 8, 16):
        drawn = viz.draw_parallel_scan(T=T)
        rounds = int(math.log2(T))
        nodes = [
            p for p in _patches(drawn, "node:") if not p.get_gid().startswith("node:0:")
        ]
        edges = _patches(drawn, "edge:")
        assert len(nodes) == rounds * T
        assert len(edges) == sum(T - 2 ** (k - 1) for k in range(1, rounds + 1))
        assert {e.get_gid() for e in edges} >= {f"edge:{rounds}:{T}"}


def test_attention_draws_the_weights_it_is_given():
    weights = np.array([0.1, 0.7, 0.2])
    drawn = viz.draw_attention(weights, step=2)
    widths = [
        p.get_linewidth()
        for p in sorted(_patches(drawn, "weight:"), key=lambda p: p.get_gid())
    ]
    assert np.argsort(widths).tolist() == np.argsort(weights).tolist()
    assert r"$\alpha_{22} = 0.70$" in _texts(drawn)


def test_bptt_draws_one_backward_path_per_step():
    drawn = viz.draw_bptt(T=5)
    assert (
        len(_patches(drawn, "grad:local:")) == 5
        and len(_patches(drawn, "grad:back:")) == 4
    )
    assert all(isinstance(p, FancyArrowPatch) for p in _patches(drawn, "grad:"))


def test_gru_placements_differ_only_in_where_the_reset_multiplies():
    after, before = viz.draw_gru_cell(True), viz.draw_gru_cell(False)
    mul = {
        d: next(p for p in _patches(d, "op:reset")).center[0] for d in (after, before)
    }
    mat = {d: next(p for p in _patches(d, "box:W_hn")).get_x() for d in (after, before)}
    assert mat[after] < mul[after] and mul[before] < mat[before]
    assert "torch.nn" in after.get_title() and "Cho" in before.get_title()


def test_lstm_cell_state_path_has_one_product_and_one_sum():
    drawn = viz.draw_lstm_cell()
    ops = {p.get_gid() for p in _patches(drawn, "op:")}
    assert {"op:forget", "op:add", "op:input", "op:output", "op:tanh_c"} <= ops
    assert len(_patches(drawn, "gate:")) == 4
    assert all(isinstance(p, FancyBboxPatch) for p in _patches(drawn, "gate:"))


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: viz.draw_bptt(T=0), ValueError, "T must be >= 1"),
        (
            lambda: viz.draw_stacked_rnn(num_layers=2.5),
            TypeError,
            "num_layers must be an int",
        ),
        (lambda: viz.draw_parallel_scan(T=6), ValueError, "power of 2"),
        (lambda: viz.draw_attention([0.5, 0.6]), ValueError, "distribution"),
        (lambda: viz.draw_encoder_decoder(S=0), ValueError, "S must be >= 1"),
    ],
)
def test_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()
