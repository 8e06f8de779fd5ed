"""Diagrams of how recurrent layers are put together and trained.

* :func:`draw_bptt`: the unrolled graph with the gradient paths of backpropagation through
  time, the recursion ``dL/dh_t = dL_t/dh_t + (dh_{t+1}/dh_t)^T dL/dh_{t+1}``;
* :func:`draw_stacked_rnn`: ``L`` layers over ``T`` steps, each layer's states the next one's inputs;
* :func:`draw_bidirectional_rnn`: a forward and a backward layer over the same inputs, joined at
  every output;
* :func:`draw_encoder_decoder`: an encoder whose last state is the summary (context) vector that
  starts the decoder;
* :func:`draw_attention`: one decoder step's alignment weights over the encoder states;
* :func:`draw_parallel_scan`: the tree of a parallel prefix scan, which computes minGRU's linear
  recurrence in ``log2 T`` rounds.

Colours and drawing primitives: :mod:`rnnbook.viz.style` (``x`` blue, ``h`` orange, ``c``
purple, ``y`` green, gradients red).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes

from .style import (
    LINES,
    MATRIX_COLOURS,
    SMALL_PT,
    arrow,
    box,
    curve,
    finish,
    label,
    new_axes,
    op,
)

__all__ = [
    "draw_bptt",
    "draw_stacked_rnn",
    "draw_bidirectional_rnn",
    "draw_encoder_decoder",
    "draw_attention",
    "draw_parallel_scan",
]

_W, _H = 0.9, 0.6
_DX = 1.9


def _count(name: str, value: object, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def draw_bptt(T: int = 4, ax: Axes | None = None) -> Axes:
    """The unrolled RNN with the two ways the gradient reaches ``h_t`` (red, dashed, right to left).

    Forward (grey): ``h_{t-1} -> h_t`` through ``W_hh``, ``h_t -> y_t -> L_t``. Backward (red):
    each loss ``L_t`` sends ``dL_t/dh_t`` down to its own state, and each state sends
    ``J_{t+1}^T dL/dh_{t+1}`` back to the one before, with the Jacobian ``J_{t+1} = dh_{t+1}/dh_t =
    diag(1 - h_{t+1}^2) W_hh``: the total ``dL/dh_t`` is their sum, computed from ``t = T`` down to 1.
    Gids: ``box:h_t``,
    ``box:L_t``, ``grad:local:t``, ``grad:back:t`` (from ``t+1`` to ``t``).
    """
    T = _count("T", T)
    ax = new_axes(ax, figsize=(1.8 + 2.1 * T, 4.6))
    y_x, y_h, y_y, y_l = 0.0, 1.7, 3.4, 4.9
    grey, red = LINES["plain"], LINES["grad"]
    box(ax, 0.0, y_h, "$h_0$", "h", "box:h_0", dashed=True)
    for t in range(1, T + 1):
        cx = t * 2.1
        box(ax, cx, y_x, f"$x_{{{t}}}$", "x", f"box:x_{t}")
        box(ax, cx, y_h, f"$h_{{{t}}}$", "h", f"box:h_{t}")
        box(ax, cx, y_y, f"$y_{{{t}}}$", "y", f"box:y_{t}")
        box(ax, cx, y_l, f"$L_{{{t}}}$", "op", f"box:L_{t}")
        arrow(ax, [(cx, y_x + _H / 2), (cx, y_h - _H / 2)], grey, f"fwd:x:{t}")
        arrow(
            ax,
            [(cx - 2.1 + _W / 2, y_h + 0.12), (cx - _W / 2, y_h + 0.12)],
            grey,
            f"fwd:h:{t}",
        )
        arrow(
            ax,
            [(cx - 0.15, y_h + _H / 2), (cx - 0.15, y_y - _H / 2)],
            grey,
            f"fwd:y:{t}",
        )
        arrow(
            ax,
            [(cx - 0.15, y_y + _H / 2), (cx - 0.15, y_l - _H / 2)],
            grey,
            f"fwd:L:{t}",
        )
        # dL_t/dh_t: straight down from the loss to its state.
        arrow(
            ax,
            [(cx + 0.2, y_l - _H / 2), (cx + 0.2, y_h + _H / 2)],
            red,
            f"grad:local:{t}",
            dashed=True,
        )
        label(
            ax,
            cx + 0.3,
            (y_y + y_l) / 2 + 0.05,
            rf"$\frac{{\partial L_{{{t}}}}}{{\partial h_{{{t}}}}}$",
            f"label:grad:local:{t}",
            colour=red,
            fontsize=SMALL_PT + 1,
            ha="left",
        )
        if (
            t < T
        ):  # from h_{t+1} back to h_t, through the Jacobian J_{t+1} = dh_{t+1}/dh_t
            arrow(
                ax,
                [(cx + 2.1 - _W / 2, y_h - 0.14), (cx + _W / 2, y_h - 0.14)],
                red,
                f"grad:back:{t}",
                dashed=True,
            )
            label(
                ax,
                cx + 1.05,
                y_h - 0.55,
                rf"$J_{{{t + 1}}}^\top$",
                f"label:grad:back:{t}",
                colour=red,
                fontsize=SMALL_PT + 1,
            )
    label(
        ax,
        2.1 * (T + 1) / 2,
        -1.0,
        r"$\frac{\partial L}{\partial h_t} = \frac{\partial L_t}{\partial h_t} + J_{t+1}^\top "
        r"\frac{\partial L}{\partial h_{t+1}}$ for $t = T, \dots, 1$,   "
        r"$J_{t+1} = \frac{\partial h_{t+1}}{\partial h_t} = \mathrm{diag}(1 - h_{t+1}^2)\, W_{hh}$",
        "label:recursion",
        fontsize=SMALL_PT + 1,
    )
    return finish(ax, -_W / 2 - 0.2, T * 2.1 + 1.1, -1.5, y_l + 0.5)


def draw_stacked_rnn(num_layers: int = 3, T: int = 4, ax: Axes | None = None) -> Axes:
    """``num_layers`` recurrent layers over ``T`` steps: ``h_t^{(l)}`` reads ``h_t^{(l-1)}`` (below, through
    ``W_xh^{(l)}``) and ``h_{t-1}^{(l)}`` (left, through ``W_hh^{(l)}``); ``y_t`` reads the top layer only.
    Gids: ``box:h_t^l``, ``arrow:W_hh:l:t``, ``arrow:W_xh:l:t``."""
    L, T = _count("num_layers", num_layers), _count("T", T)
    ax = new_axes(ax, figsize=(1.8 + 1.75 * T, 1.9 + 1.25 * (L + 1)))
    dy = 1.45
    top = (L + 1) * dy
    for t in range(1, T + 1):
        cx = t * _DX
        box(ax, cx, 0.0, f"$x_{{{t}}}$", "x", f"box:x_{t}")
        box(ax, cx, top, f"$y_{{{t}}}$", "y", f"box:y_{t}")
        arrow(
            ax,
            [(cx, L * dy + _H / 2), (cx, top - _H / 2)],
            MATRIX_COLOURS["W_hy"],
            f"arrow:W_hy:{t}",
        )
        for layer in range(1, L + 1):
            cy = layer * dy
            box(ax, cx, cy, f"$h_{{{t}}}^{{({layer})}}$", "h", f"box:h_{t}^{layer}")
            arrow(
                ax,
                [(cx, cy - dy + _H / 2), (cx, cy - _H / 2)],
                MATRIX_COLOURS["W_xh"],
                f"arrow:W_xh:{layer}:{t}",
            )
            arrow(
                ax,
                [(cx - _DX + _W / 2, cy), (cx - _W / 2, cy)],
                MATRIX_COLOURS["W_hh"],
                f"arrow:W_hh:{layer}:{t}",
            )
    for layer in range(1, L + 1):
        cy = layer * dy
        box(ax, 0.0, cy, f"$h_0^{{({layer})}}$", "h", f"box:h_0^{layer}", dashed=True)
        label(
            ax,
            _DX / 2,
            cy + 0.3,
            f"$W_{{hh}}^{{({layer})}}$",
            f"label:W_hh:{layer}",
            colour=MATRIX_COLOURS["W_hh"],
        )
        label(
            ax,
            _DX + 0.12,
            cy - dy / 2,
            f"$W_{{xh}}^{{({layer})}}$",
            f"label:W_xh:{layer}",
            colour=MATRIX_COLOURS["W_xh"],
            ha="left",
        )
    label(
        ax,
        _DX + 0.12,
        top - dy / 2,
        "$W_{hy}$",
        "label:W_hy",
        colour=MATRIX_COLOURS["W_hy"],
        ha="left",
    )
    label(
        ax,
        T * _DX + 0.75,
        (L + 1) * dy / 2,
        "depth\n" + r"$l = 1 \dots L$",
        "label:depth",
        ha="left",
    )
    return finish(ax, -_W / 2 - 0.2, T * _DX + 2.2, -_H / 2 - 0.2, top + _H / 2 + 0.2)


def draw_bidirectional_rnn(T: int = 4, ax: Axes | None = None) -> Axes:
    """A forward layer (left to right, ``h_t`` with a right arrow) and a backward layer (right to left)
    over the same inputs; ``y_t`` reads both states at step ``t``, ``[h_t^fwd; h_t^bwd]``. So ``y_1``
    already depends on ``x_T``: nothing can be output before the whole input is read. Gids:
    ``box:fwd_t``, ``box:bwd_t``, ``arrow:fwd:t``, ``arrow:bwd:t``."""
    T = _count("T", T)
    ax = new_axes(ax, figsize=(1.8 + 1.75 * T, 4.6))
    y_x, y_b, y_f, y_y = 0.0, 1.5, 3.0, 4.5
    orange, grey = LINES["h"], LINES["plain"]
    fwd, bwd = r"\overrightarrow{h}", r"\overleftarrow{h}"
    box(ax, 0.0, y_f, f"${fwd}_0$", "h", "box:fwd_0", dashed=True)
    box(
        ax,
        (T + 1) * _DX,
        y_b,
        f"${bwd}_{{{T + 1}}}$",
        "h",
        f"box:bwd_{T + 1}",
        dashed=True,
    )
    for t in range(1, T + 1):
        cx = t * _DX
        box(ax, cx, y_x, f"$x_{{{t}}}$", "x", f"box:x_{t}")
        box(ax, cx, y_b, f"${bwd}_{{{t}}}$", "h", f"box:bwd_{t}")
        box(ax, cx, y_f, f"${fwd}_{{{t}}}$", "h", f"box:fwd_{t}")
        box(ax, cx, y_y, f"$y_{{{t}}}$", "y", f"box:y_{t}")
        arrow(
            ax, [(cx - _DX + _W / 2, y_f), (cx - _W / 2, y_f)], orange, f"arrow:fwd:{t}"
        )
        arrow(
            ax, [(cx + _DX - _W / 2, y_b), (cx + _W / 2, y_b)], orange, f"arrow:bwd:{t}"
        )
        arrow(
            ax,
            [(cx - 0.3, y_x + _H / 2), (cx - 0.3, y_b - _H / 2)],
            LINES["x"],
            f"arrow:x_bwd:{t}",
        )
        curve(
            ax,
            [
                (cx - 0.3, y_x + _H / 2),
                (cx - 0.75, y_b),
                (cx - 0.75, y_b + 0.6),
                (cx - 0.3, y_f - _H / 2),
            ],
            LINES["x"],
            f"arrow:x_fwd:{t}",
        )
        curve(
            ax,
            [
                (cx + 0.3, y_b + _H / 2),
                (cx + 0.75, y_f - 0.4),
                (cx + 0.75, y_f + 0.6),
                (cx + 0.25, y_y - _H / 2),
            ],
            grey,
            f"arrow:bwd_y:{t}",
        )
        arrow(ax, [(cx, y_f + _H / 2), (cx, y_y - _H / 2)], grey, f"arrow:fwd_y:{t}")
    label(ax, (T + 1) * _DX + 0.65, y_f, "forward", "label:forward", ha="left")
    label(ax, -0.65, y_b, "backward", "label:backward", ha="right")
    label(
        ax,
        (T + 1) * _DX / 2,
        y_y + 0.75,
        rf"$y_t = W_{{hy}} [{fwd}_t ; {bwd}_t] + b_y$",
        "label:eq",
        fontsize=SMALL_PT + 1,
    )
    return finish(ax, -2.1, (T + 1) * _DX + 2.0, -_H / 2 - 0.2, y_y + 1.1)


def draw_encoder_decoder(S: int = 4, L: int = 3, ax: Axes | None = None) -> Axes:
    """An encoder over ``x_1..x_S`` whose last state ``h_S`` is the summary (context) vector, the decoder's
    initial state ``s_0``; the decoder reads the previous target token (teacher forcing: ``y_0`` is
    BOS) and writes ``y_1..y_L``. Everything the decoder knows about the source passes through
    the one vector ``h_S``. Gids: ``box:enc_j``, ``box:dec_t``, ``box:context``."""
    S, L = _count("S", S), _count("L", L)
    ax = new_axes(ax, figsize=(2.4 + 1.6 * (S + L), 4.4))
    y_in, y_h, y_out = 0.0, 1.6, 3.2
    orange, grey = LINES["h"], LINES["plain"]
    for j in range(1, S + 1):
        cx = j * _DX
        box(ax, cx, y_in, f"$x_{{{j}}}$", "x", f"box:x_{j}")
        box(ax, cx, y_h, f"$h_{{{j}}}$", "h", f"box:enc_{j}")
        arrow(
            ax,
            [(cx, y_in + _H / 2), (cx, y_h - _H / 2)],
            LINES["x"],
            f"arrow:enc_in:{j}",
        )
        if j > 1:
            arrow(
                ax,
                [(cx - _DX + _W / 2, y_h), (cx - _W / 2, y_h)],
                orange,
                f"arrow:enc:{j}",
            )
    ctx_x = (S + 1) * _DX
    box(ax, ctx_x, y_h, r"$h_S = s_0$", "ctx", "box:context", w=1.3, h=0.75)
    arrow(
        ax,
        [(S * _DX + _W / 2, y_h), (ctx_x - 0.65, y_h)],
        orange,
        "arrow:to_context",
        width=2.6,
    )
    label(ax, ctx_x, y_h + 0.75, "summary\nvector", "label:context", fontsize=SMALL_PT)
    start = ctx_x + 0.4
    for t in range(1, L + 1):
        cx = start + t * _DX
        prev = "y_0" if t == 1 else f"y_{{{t - 1}}}"
        box(ax, cx, y_in, f"${prev}$", "y", f"box:dec_in_{t}")
        box(ax, cx, y_h, f"$s_{{{t}}}$", "h", f"box:dec_{t}")
        box(ax, cx, y_out, f"$y_{{{t}}}$", "y", f"box:y_{t}")
        arrow(
            ax,
            [(cx, y_in + _H / 2), (cx, y_h - _H / 2)],
            LINES["y"],
            f"arrow:dec_in:{t}",
        )
        arrow(
            ax, [(cx, y_h + _H / 2), (cx, y_out - _H / 2)], grey, f"arrow:dec_out:{t}"
        )
        left = ctx_x + 0.65 if t == 1 else cx - _DX + _W / 2
        arrow(
            ax,
            [(left, y_h), (cx - _W / 2, y_h)],
            orange,
            f"arrow:dec:{t}",
            width=2.6 if t == 1 else 1.6,
        )
        if t < L:  # teacher forcing: the true y_t is the next input
            arrow(
                ax,
                [
                    (cx + _W / 2, y_out),
                    (cx + 0.75, y_out),
                    (cx + 0.75, y_in - 0.5),
                    (cx + _DX, y_in - 0.5),
                    (cx + _DX, y_in - _H / 2),
                ],
                grey,
                f"arrow:feed:{t}",
                dashed=True,
            )
    label(
        ax, (S + 1) * _DX / 2, y_out, "encoder", "label:encoder", fontsize=SMALL_PT + 2
    )
    label(
        ax,
        start + (L + 1) * _DX / 2,
        y_out + 0.85,
        "decoder",
        "label:decoder",
        fontsize=SMALL_PT + 2,
    )
    return finish(ax, _DX - _W / 2 - 0.2, start + L * _DX + 1.0, -1.0, y_out + 1.25)


def draw_attention(
    weights: Sequence[float] | None = None, step: int = 3, ax: Axes | None = None
) -> Axes:
    """One decoder step ``t`` of additive attention: its alignment weights ``alpha_{tj}`` over the encoder
    states ``h_1..h_S`` (line width and shade proportional to the weight), summed into the context
    ``c_t = sum_j alpha_{tj} h_j`` that the step reads with ``s_{t-1}``.

    Args:
        weights: ``alpha_{t1..tS}``, non-negative and summing to 1 (default: a peaked example over
            ``S = 6`` states); pass a row of a trained model's attention to draw that.
        step: the decoder step ``t`` shown in the labels.
    Gids: ``box:enc_j``, ``weight:j``, ``box:context``, ``box:dec``.
    """
    alpha = np.array(
        [0.03, 0.05, 0.12, 0.62, 0.13, 0.05] if weights is None else weights,
        dtype=np.float64,
    )
    if (
        alpha.ndim != 1
        or alpha.size < 1
        or np.any(alpha < 0)
        or not math.isclose(alpha.sum(), 1.0, abs_tol=1e-6)
    ):
        raise ValueError(
            f"weights must be a 1-D distribution (>= 0, summing to 1), got {alpha}"
        )
    t = _count("step", step)
    S = alpha.size
    ax = new_axes(ax, figsize=(1.6 + 1.6 * S, 5.0))
    y_h, y_c, y_s = 0.0, 2.9, 4.4
    xs = [j * 1.6 for j in range(1, S + 1)]
    mid = (xs[0] + xs[-1]) / 2
    purple = LINES["c"]
    for j, (cx, a) in enumerate(zip(xs, alpha), start=1):
        box(ax, cx, y_h, f"$h_{{{j}}}$", "h", f"box:enc_{j}")
        arrow(
            ax,
            [(cx, y_h + _H / 2), (mid + (cx - mid) * 0.12, y_c - 0.38)],
            purple,
            f"weight:{j}",
            width=0.6 + 9.0 * a,
            head=False,
        )
        label(
            ax,
            cx,
            y_h - 0.65,
            rf"$\alpha_{{{t}{j}}} = {a:.2f}$",
            f"label:weight:{j}",
            colour=purple,
            fontsize=SMALL_PT,
            ha="center",
        )
        if j > 1:
            arrow(
                ax,
                [(cx - 1.6 + _W / 2, y_h), (cx - _W / 2, y_h)],
                LINES["h"],
                f"arrow:enc:{j}",
            )
    box(ax, mid, y_c, f"$c_{{{t}}}$", "ctx", "box:context")
    box(ax, mid, y_s, f"$s_{{{t}}}$", "h", "box:dec")
    box(ax, mid - 2.0, y_s, f"$s_{{{t - 1}}}$", "h", "box:dec_prev")
    arrow(ax, [(mid, y_c + _H / 2), (mid, y_s - _H / 2)], purple, "arrow:context")
    arrow(ax, [(mid - 2.0 + _W / 2, y_s), (mid - _W / 2, y_s)], LINES["h"], "arrow:dec")
    label(
        ax,
        mid + 0.8,
        y_s + 0.05,
        rf"$e_{{{t}j}} = v^\top \tanh(W_a s_{{{t - 1}}} + U_a h_j + b_a)$"
        + "\n"
        + rf"$\alpha_{{{t}j}} = \mathrm{{softmax}}_j(e_{{{t}j}})$",
        "label:scores",
        ha="left",
        fontsize=SMALL_PT,
    )
    label(
        ax,
        mid + 1.2,
        y_c,
        rf"$c_{{{t}}} = \sum_j \alpha_{{{t}j}} h_j$",
        "label:eq",
        ha="left",
        fontsize=SMALL_PT + 1,
    )
    return finish(ax, xs[0] - 1.1, xs[-1] + 1.1, -1.1, y_s + 0.6)


def draw_parallel_scan(T: int = 8, ax: Axes | None = None) -> Axes:
    """The Hillis-Steele parallel prefix scan over ``T`` steps (a power of 2), the idea behind minGRU's
    parallel mode.

    minGRU's recurrence ``h_t = a_t * h_{t-1} + b_t`` (``a_t = 1 - z_t``, ``b_t = z_t * h~_t``) composes
    as pairs: applying ``(a, b)`` then ``(a', b')`` is ``(a a', a' b + b')``, an associative operation.
    So ``h_1..h_T`` are prefix "sums" of the pairs, and ``log2 T`` rounds suffice: in round ``k`` every
    position combines with the one ``2^(k-1)`` to its left (if any). Each round is one element-wise
    operation over all positions at once; a loop needs ``T`` dependent steps. Gids: ``node:k:t``
    (round ``k``, position ``t``), ``edge:k:t`` (from ``t - 2^(k-1)``).
    """
    T = _count("T", T, minimum=2)
    if T & (T - 1):
        raise ValueError(f"T must be a power of 2, got {T}")
    rounds = int(math.log2(T))
    ax = new_axes(ax, figsize=(1.4 + 1.15 * T, 1.6 + 1.25 * (rounds + 2)))
    dx, dy = 1.15, 1.3
    grey, orange = LINES["plain"], LINES["h"]
    for t in range(1, T + 1):
        box(
            ax,
            t * dx,
            0.0,
            f"$a_{{{t}}}, b_{{{t}}}$",
            "x",
            f"node:0:{t}",
            w=0.98,
            fontsize=SMALL_PT,
        )
    for k in range(1, rounds + 1):
        span = 2 ** (k - 1)
        y = k * dy
        for t in range(1, T + 1):
            lo = max(1, t - 2 * span + 1)
            name = f"{lo}{{:}}{t}" if lo < t else f"{t}"
            op(ax, t * dx, y, "", f"node:{k}:{t}", r=0.17)
            arrow(
                ax,
                [(t * dx, y - dy + 0.3), (t * dx, y - 0.17)],
                grey,
                f"keep:{k}:{t}",
                width=1.0,
            )
            if t - span >= 1:
                arrow(
                    ax,
                    [((t - span) * dx, y - dy + 0.3), (t * dx - 0.12, y - 0.12)],
                    orange,
                    f"edge:{k}:{t}",
                    width=1.4,
                )
            if k == rounds:
                box(ax, t * dx, y + dy, f"$h_{{{t}}}$", "h", f"box:h_{t}", w=0.75)
                arrow(
                    ax,
                    [(t * dx, y + 0.17), (t * dx, y + dy - 0.3)],
                    grey,
                    f"out:{t}",
                    width=1.0,
                )
            del name
        label(
            ax,
            (T + 0.75) * dx,
            y,
            f"round {k}: combine with\n" + rf"$t - {span}$",
            f"label:round:{k}",
            ha="left",
            fontsize=SMALL_PT,
        )
    label(
        ax,
        (T + 1) * dx / 2,
        -0.85,
        r"$(a, b) \circ (a', b') = (a a',\ a' b + b')$:  $h_t = a_t h_{t-1} + b_t$ for all $t$ in "
        + rf"$\log_2 {T} = {rounds}$ rounds",
        "label:combine",
        fontsize=SMALL_PT + 1,
    )
    return finish(ax, 0.2, (T + 3.2) * dx, -1.3, (rounds + 1) * dy + 0.6)
