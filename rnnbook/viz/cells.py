"""Diagrams of the gated cells: the LSTM cell and the GRU cell with both reset-gate placements.

Drawn in the style readers know from Olah's "Understanding LSTM Networks": the state that is
carried from step to step runs along the top as a straight line, the gates sit below it and
act on it through element-wise operations (circles). In the book's notation and colours
(:mod:`rnnbook.viz.style`): ``x_t`` blue, ``h_t`` orange, ``c_t`` purple, gate layers yellow.
"""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.patches import FancyBboxPatch

from .style import LINES, SMALL_PT, arrow, box, finish, label, new_axes, op

__all__ = ["draw_lstm_cell", "draw_gru_cell", "draw_gru_cells"]

_GATE_W, _GATE_H = 0.95, 0.6


def _frame(ax: Axes, x0: float, y0: float, x1: float, y1: float, gid: str) -> None:
    patch = FancyBboxPatch(
        (x0, y0),
        x1 - x0,
        y1 - y0,
        boxstyle="round,pad=0.05,rounding_size=0.4",
        facecolor="#f4f4f4",
        edgecolor="#888888",
        linewidth=1.0,
        zorder=0,
    )
    patch.set_gid(gid)
    ax.add_patch(patch)


def _gate(
    ax: Axes, cx: float, cy: float, text: str, gid: str, w: float = _GATE_W
) -> None:
    box(ax, cx, cy, text, "gate", gid, w=w, h=_GATE_H, fontsize=SMALL_PT + 1)


def draw_lstm_cell(ax: Axes | None = None) -> Axes:
    """Draw one LSTM step: the cell-state path along the top, the four gate layers below it.

    ``c_{t-1}`` enters at the top left and leaves as ``c_t = f_t * c_{t-1} + i_t * g_t``: on
    its way it meets only a product with the forget gate ``f_t`` and a sum, which is why the
    gradient can travel along it. The four layers take ``[h_{t-1}, x_t]``: three sigmoid gates
    ``f_t``, ``i_t``, ``o_t`` and the tanh candidate ``g_t``; the output is
    ``h_t = o_t * tanh(c_t)``. Gids: ``box:c_prev``, ``box:c_t``, ``box:h_prev``, ``box:h_t``,
    ``box:x_t``, ``gate:f``, ``gate:i``, ``gate:g``, ``gate:o``, ``op:forget``, ``op:input``,
    ``op:add``, ``op:output``, ``op:tanh_c``, ``path:cell``. Returns the axes.
    """
    ax = new_axes(ax, figsize=(9.6, 6.4))
    _frame(ax, 0.0, 0.1, 10.0, 6.0, "frame:cell")
    y_c, y_bus, y_gate = 5.2, 0.8, 2.3
    purple, orange, blue, grey = LINES["c"], LINES["h"], LINES["x"], LINES["plain"]
    # Boxes at the edges: what comes in and what goes out.
    box(ax, -1.1, y_c, "$c_{t-1}$", "c", "box:c_prev", w=1.15)
    box(ax, 11.1, y_c, "$c_t$", "c", "box:c_t")
    box(ax, -1.1, y_bus, "$h_{t-1}$", "h", "box:h_prev", w=1.15)
    box(ax, 11.1, y_bus, "$h_t$", "h", "box:h_t")
    box(ax, 9.3, 7.3, "$h_t$", "h", "box:h_t_out")
    box(ax, 1.2, -1.1, "$x_t$", "x", "box:x_t")
    # The cell-state path: one product and one sum, nothing else.
    arrow(ax, [(-0.65, y_c), (10.65, y_c)], purple, "path:cell", width=3.0)
    op(ax, 2.5, y_c, r"$\times$", "op:forget")
    op(ax, 5.3, y_c, "$+$", "op:add")
    # The hidden state and the input join into the bus that feeds all four layers.
    arrow(ax, [(-0.65, y_bus), (7.0, y_bus)], orange, "path:bus", head=False, width=2.0)
    arrow(ax, [(1.2, -0.8), (1.2, y_bus)], blue, "path:x", head=False, width=2.0)
    label(ax, 3.7, y_bus - 0.45, r"$[h_{t-1}, x_t]$", "label:bus", fontsize=SMALL_PT)
    gates = {"f": 2.5, "i": 4.2, "g": 5.3, "o": 7.0}
    for name, gx in gates.items():
        arrow(ax, [(gx, y_bus), (gx, y_gate - _GATE_H / 2)], grey, f"path:to_{name}")
        _gate(
            ax, gx, y_gate, r"$\tanh$" if name == "g" else r"$\sigma$", f"gate:{name}"
        )
    # f_t scales the old cell state.
    arrow(ax, [(2.5, y_gate + _GATE_H / 2), (2.5, y_c - 0.22)], grey, "path:f")
    label(ax, 2.2, 3.6, "$f_t$", "label:f_t", fontsize=SMALL_PT + 1)
    # i_t * g_t is added to it.
    op(ax, 5.3, 3.7, r"$\times$", "op:input")
    arrow(ax, [(4.2, y_gate + _GATE_H / 2), (4.2, 3.7), (5.08, 3.7)], grey, "path:i")
    label(ax, 3.92, 3.2, "$i_t$", "label:i_t", fontsize=SMALL_PT + 1)
    arrow(ax, [(5.3, y_gate + _GATE_H / 2), (5.3, 3.48)], grey, "path:g")
    label(ax, 5.62, 3.05, "$g_t$", "label:g_t", fontsize=SMALL_PT + 1)
    arrow(ax, [(5.3, 3.92), (5.3, y_c - 0.22)], grey, "path:ig")
    # h_t = o_t * tanh(c_t).
    op(ax, 8.6, 3.9, r"$\tanh$", "op:tanh_c", r=0.34)
    arrow(ax, [(8.6, y_c), (8.6, 4.24)], purple, "path:c_to_tanh")
    op(ax, 8.6, y_gate, r"$\times$", "op:output")
    arrow(ax, [(8.6, 3.56), (8.6, y_gate + 0.22)], grey, "path:tanh_c")
    arrow(ax, [(7.0 + _GATE_W / 2, y_gate), (8.38, y_gate)], grey, "path:o")
    label(ax, 7.85, y_gate + 0.3, "$o_t$", "label:o_t", fontsize=SMALL_PT + 1)
    arrow(
        ax,
        [(8.6, y_gate - 0.22), (8.6, y_bus), (10.65, y_bus)],
        orange,
        "path:h",
        width=2.0,
    )
    arrow(ax, [(9.3, y_bus), (9.3, 7.0)], orange, "path:h_out", width=2.0)
    label(
        ax,
        5.0,
        6.45,
        r"$c_t = f_t \odot c_{t-1} + i_t \odot g_t$",
        "label:eq_c",
        fontsize=SMALL_PT,
    )
    label(
        ax, 5.0, -1.1, r"$h_t = o_t \odot \tanh(c_t)$", "label:eq_h", fontsize=SMALL_PT
    )
    return finish(ax, -1.8, 11.8, -1.6, 7.8)


def draw_gru_cell(reset_after: bool = True, ax: Axes | None = None) -> Axes:
    """Draw one GRU step with the reset gate where torch.nn puts it (``reset_after=True``) or where
    Cho et al. (2014) put it (``reset_after=False``).

    The state ``h_{t-1}`` runs along the top and becomes ``h_t = (1 - z_t) * n_t + z_t * h_{t-1}``:
    the update gate ``z_t`` mixes the old state with the candidate ``n_t``. The candidate sees
    the old state through ``W_hn`` and the reset gate ``r_t``, in the order the placement says:
    ``r_t * (W_hn h_{t-1} + b_hn)`` (after) or ``W_hn (r_t * h_{t-1})`` (before). Gids:
    ``box:h_prev``, ``box:h_t``, ``box:x_t``, ``gate:r``, ``gate:z``, ``gate:n``, ``box:W_hn``,
    ``op:reset``, ``op:keep``, ``op:one_minus``, ``op:new``, ``op:add``, ``path:state``.
    """
    ax = new_axes(ax, figsize=(9.6, 6.6))
    _frame(ax, 0.0, -0.4, 10.0, 6.0, "frame:cell")
    y_h, y_bus, y_gate, y_cand = 5.2, 0.6, 2.1, 1.35
    orange, blue, grey = LINES["h"], LINES["x"], LINES["plain"]
    box(ax, -1.1, y_h, "$h_{t-1}$", "h", "box:h_prev", w=1.15)
    box(ax, 11.1, y_h, "$h_t$", "h", "box:h_t")
    box(ax, 1.2, -1.5, "$x_t$", "x", "box:x_t")
    arrow(ax, [(-0.65, y_h), (10.65, y_h)], orange, "path:state", width=3.0)
    op(ax, 3.4, y_h, r"$\times$", "op:keep")
    op(ax, 7.8, y_h, "$+$", "op:add")
    # r_t and z_t read [h_{t-1}, x_t].
    arrow(
        ax,
        [(0.3, y_h), (0.3, y_bus), (3.4, y_bus)],
        orange,
        "path:bus",
        head=False,
        width=2.0,
    )
    arrow(ax, [(1.2, -1.2), (1.2, y_bus)], blue, "path:x_bus", head=False, width=2.0)
    for name, gx in (("r", 1.9), ("z", 3.4)):
        arrow(ax, [(gx, y_bus), (gx, y_gate - _GATE_H / 2)], grey, f"path:to_{name}")
        _gate(ax, gx, y_gate, r"$\sigma$", f"gate:{name}")
    # z_t keeps part of the old state, 1 - z_t lets the candidate in.
    arrow(ax, [(3.4, y_gate + _GATE_H / 2), (3.4, y_h - 0.22)], grey, "path:z")
    label(ax, 3.12, 4.45, "$z_t$", "label:z_t", fontsize=SMALL_PT + 1)
    op(ax, 5.6, 3.9, "$1-$", "op:one_minus", r=0.38)
    arrow(ax, [(3.4, 3.9), (5.22, 3.9)], grey, "path:z_branch")
    op(ax, 7.8, 3.9, r"$\times$", "op:new")
    arrow(ax, [(5.98, 3.9), (7.58, 3.9)], grey, "path:one_minus_z")
    arrow(ax, [(7.8, 4.12), (7.8, y_h - 0.22)], grey, "path:new")
    # The candidate: tanh of the input term plus the reset-gated recurrent term.
    _gate(ax, 7.8, y_cand, r"$\tanh$", "gate:n", w=1.2)
    arrow(ax, [(7.8, y_cand + _GATE_H / 2), (7.8, 3.68)], grey, "path:n")
    label(ax, 8.12, 2.6, "$n_t$", "label:n_t", fontsize=SMALL_PT + 1)
    arrow(
        ax,
        [(1.2, -1.5 + 0.3), (1.2, -0.9), (7.8, -0.9), (7.8, y_cand - _GATE_H / 2)],
        blue,
        "path:x_cand",
        width=2.0,
    )
    label(ax, 6.2, -0.6, r"$W_{in} x_t + b_{in}$", "label:W_in", fontsize=SMALL_PT)
    arrow(ax, [(4.7, y_h), (4.7, y_cand)], orange, "path:h_cand", head=False, width=2.0)
    # r_t's path to the candidate.
    y_r = 2.95
    mul_x = 6.35 if reset_after else 5.25
    mat_x = 5.35 if reset_after else 6.35
    arrow(
        ax,
        [(1.9, y_gate + _GATE_H / 2), (1.9, y_r), (mul_x, y_r), (mul_x, y_cand + 0.22)],
        grey,
        "path:r",
    )
    label(ax, 1.62, 2.75, "$r_t$", "label:r_t", fontsize=SMALL_PT + 1)
    op(ax, mul_x, y_cand, r"$\times$", "op:reset")
    box(
        ax,
        mat_x,
        y_cand,
        "$W_{hn}$",
        "gate",
        "box:W_hn",
        w=0.9,
        h=0.5,
        fontsize=SMALL_PT,
    )
    first, second = (mat_x, mul_x) if reset_after else (mul_x, mat_x)
    half = {
        mat_x: 0.45,
        mul_x: 0.22,
    }  # half-widths of the matrix box and the product circle
    arrow(
        ax,
        [(4.7, y_cand), (first - half[first], y_cand)],
        orange,
        "path:h_to_first",
        width=2.0,
    )
    arrow(
        ax,
        [(first + half[first], y_cand), (second - half[second], y_cand)],
        grey,
        "path:first_to_second",
    )
    arrow(ax, [(second + half[second], y_cand), (7.8 - 0.6, y_cand)], grey, "path:to_n")
    if reset_after:
        title = "reset after $W_{hn}$ (torch.nn, cuDNN)"
        eq = r"$n_t = \tanh(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn}))$"
    else:
        title = "reset before $W_{hn}$ (Cho et al. 2014)"
        eq = r"$n_t = \tanh(W_{in} x_t + b_{in} + W_{hn} (r_t \odot h_{t-1}) + b_{hn})$"
    label(
        ax,
        5.0,
        6.45,
        r"$h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}$",
        "label:eq_h",
        fontsize=SMALL_PT,
    )
    label(ax, 5.0, -2.35, eq, "label:eq_n", fontsize=SMALL_PT)
    return finish(ax, -1.8, 11.8, -2.75, 7.0, title=title)


def draw_gru_cells() -> object:
    """Both GRU placements side by side (a figure with two axes): torch.nn's on the left, Cho et al.'s on
    the right; everything else in the two cells is the same. Returns the figure."""
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11.5, 5.2))
    draw_gru_cell(True, left)
    draw_gru_cell(False, right)
    for ax in (
        left,
        right,
    ):  # two cells side by side: larger labels, to read as well as one cell
        for text in ax.texts:
            text.set_fontsize(text.get_fontsize() * 1.1)
    fig.tight_layout()
    return fig
