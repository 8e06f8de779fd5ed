"""Figures of the Elman RNN's computation graph, drawn with matplotlib.

Two views of the same network (book notation; the torch.nn names of the matrices are in
:mod:`rnnbook.numpy.rnn`)::

    h_t = f(W_xh x_t + W_hh h_{t-1} + b_h)        y_t = W_hy h_t + b_y

* :func:`draw_folded_rnn`: one input, one state and one output box, with the recurrent
  matrix ``W_hh`` drawn as a loop from the state back to itself;
* :func:`draw_unrolled_rnn`: the loop unrolled over ``T`` steps, ``h_0`` to ``h_T``, with
  every arrow labelled by the matrix it applies. The same three matrices label every
  step (one colour per matrix): the parameters are shared across time.

Every box is a :class:`~matplotlib.patches.FancyBboxPatch` and every arrow a
:class:`~matplotlib.patches.FancyArrowPatch`; each carries a ``gid`` such as ``"box:h_2"``
or ``"arrow:W_hh:2"`` so that tests (and readers) can find them.

This module needs matplotlib, a dependency of the book but not of the NumPy core:
``rnnbook.numpy`` never imports it.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping

from matplotlib.axes import Axes
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.path import Path

from .style import COLOURS, MATRIX_COLOURS
from .style import new_axes as _new_axes

__all__ = ["draw_unrolled_rnn", "draw_folded_rnn", "DEFAULT_LABELS"]

#: The math-text symbol (without ``$``) drawn for each kind of box and each matrix.
DEFAULT_LABELS: dict[str, str] = {
    "x": "x",
    "h": "h",
    "y": "y",
    "W_xh": "W_{xh}",
    "W_hh": "W_{hh}",
    "W_hy": "W_{hy}",
}

# One fill colour per kind of box and one colour per matrix (equal colour = same parameters),
# the same in every figure of the book (rnnbook.viz.style).
_BOX_COLOURS = COLOURS
_ARROW_COLOURS = MATRIX_COLOURS

_BOX_W, _BOX_H = 0.9, 0.6  # box width and height in data units
_DX = 1.8  # distance between time steps
_ROW_Y = {"x": 0.0, "h": 1.6, "y": 3.2}  # centre heights of the three rows


def _check_T(T: object) -> int:
    """``T`` as an int, or ``TypeError`` / ``ValueError`` naming what came."""
    if isinstance(T, bool) or not isinstance(T, numbers.Integral):
        raise TypeError(
            f"T must be an int (the number of time steps), got {type(T).__name__} {T!r}"
        )
    if T < 1:
        raise ValueError(f"T must be >= 1 (the number of time steps), got T={T}")
    return int(T)


def _merge_labels(labels: Mapping[str, str] | None) -> dict[str, str]:
    """The default symbols updated with ``labels``; unknown keys raise ``ValueError``."""
    merged = dict(DEFAULT_LABELS)
    if labels is not None:
        unknown = sorted(set(labels) - set(DEFAULT_LABELS))
        if unknown:
            raise ValueError(
                f"labels has unknown keys {unknown}; allowed keys are {sorted(DEFAULT_LABELS)}"
            )
        merged.update(labels)
    return merged


def _box(
    ax: Axes, cx: float, cy: float, text: str, kind: str, gid: str, dashed: bool = False
) -> None:
    """A rounded box centred at ``(cx, cy)`` with a math-text label."""
    patch = FancyBboxPatch(
        (cx - _BOX_W / 2, cy - _BOX_H / 2),
        _BOX_W,
        _BOX_H,
        boxstyle="round,pad=0.02,rounding_size=0.12",
        facecolor=_BOX_COLOURS[kind],
        edgecolor="black",
        linewidth=1.2,
        linestyle="--" if dashed else "-",
        zorder=2,
    )
    patch.set_gid(gid)
    ax.add_patch(patch)
    ax.text(
        cx,
        cy,
        f"${text}$",
        ha="center",
        va="center",
        fontsize=13,
        zorder=3,
        gid=f"label:{gid}",
    )


def _arrow(
    ax: Axes,
    points: list[tuple[float, float]],
    matrix: str,
    text: str,
    text_xy: tuple[float, float],
    gid: str,
    ha: str = "left",
) -> None:
    """An arrow that applies ``matrix``, labelled at ``text_xy``.

    ``points`` is ``[start, end]`` for a straight arrow, or ``[start, c1, c2, end]`` for a
    cubic Bezier curve with control points ``c1`` and ``c2``.
    """
    colour = _ARROW_COLOURS[matrix]
    codes = (
        [Path.MOVETO, Path.LINETO]
        if len(points) == 2
        else [Path.MOVETO] + [Path.CURVE4] * 3
    )
    patch = FancyArrowPatch(
        path=Path(points, codes),
        arrowstyle="-|>",
        mutation_scale=14,
        linewidth=1.6,
        color=colour,
        zorder=1,
    )
    patch.set_gid(gid)
    ax.add_patch(patch)
    ax.text(
        *text_xy,
        f"${text}$",
        ha=ha,
        va="center",
        fontsize=11,
        color=colour,
        zorder=3,
        gid=f"label:{gid}",
    )


def _finish(ax: Axes, xmin: float, xmax: float, ymin: float, ymax: float) -> Axes:
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def draw_unrolled_rnn(
    T: int = 4,
    ax: Axes | None = None,
    show_outputs: bool = True,
    labels: Mapping[str, str] | None = None,
) -> Axes:
    """Draw the Elman RNN unrolled over ``T`` time steps.

    Boxes: ``h_0`` (dashed, the initial state) and, for ``t = 1..T``, ``x_t``, ``h_t`` and,
    if ``show_outputs``, ``y_t``. Arrows: ``x_t -> h_t`` labelled ``W_xh``,
    ``h_{t-1} -> h_t`` labelled ``W_hh`` and ``h_t -> y_t`` labelled ``W_hy``, each drawn
    ``T`` times in one colour per matrix, because the same matrices act at every step.
    So the figure has ``(T + 1) + T + T * show_outputs`` boxes and
    ``2 T + T * show_outputs`` arrows.

    Args:
        T: number of time steps, an int >= 1.
        ax: the Axes to draw into; a new figure is made when None.
        show_outputs: draw the output row ``y_t`` and the ``W_hy`` arrows.
        labels: math-text symbols (without ``$``) replacing the defaults in
            :data:`DEFAULT_LABELS`, for example ``{"y": r"\\hat y"}``; keys among
            ``x, h, y, W_xh, W_hh, W_hy``.

    Returns:
        The Axes drawn into (axis lines off, equal aspect).

    Raises:
        TypeError: ``T`` is not an int. ValueError: ``T < 1``, or an unknown key in ``labels``.
    """
    T = _check_T(T)
    sym = _merge_labels(labels)
    ax = _new_axes(ax, figsize=(1.5 + 1.45 * T, 3.4 if show_outputs else 2.3))
    half_w, half_h = _BOX_W / 2, _BOX_H / 2
    y_x, y_h, y_y = _ROW_Y["x"], _ROW_Y["h"], _ROW_Y["y"]

    _box(ax, 0.0, y_h, f"{sym['h']}_0", "h", "box:h_0", dashed=True)
    for t in range(1, T + 1):
        cx = t * _DX
        _box(ax, cx, y_x, f"{sym['x']}_{{{t}}}", "x", f"box:x_{t}")
        _box(ax, cx, y_h, f"{sym['h']}_{{{t}}}", "h", f"box:h_{t}")
        _arrow(
            ax,
            [(cx, y_x + half_h), (cx, y_h - half_h)],
            "W_xh",
            sym["W_xh"],
            (cx + 0.08, (y_x + y_h) / 2),
            f"arrow:W_xh:{t}",
        )
        _arrow(
            ax,
            [(cx - _DX + half_w, y_h), (cx - half_w, y_h)],
            "W_hh",
            sym["W_hh"],
            (cx - _DX / 2, y_h + 0.2),
            f"arrow:W_hh:{t}",
            ha="center",
        )
        if show_outputs:
            _box(ax, cx, y_y, f"{sym['y']}_{{{t}}}", "y", f"box:y_{t}")
            _arrow(
                ax,
                [(cx, y_h + half_h), (cx, y_y - half_h)],
                "W_hy",
                sym["W_hy"],
                (cx + 0.08, (y_h + y_y) / 2),
                f"arrow:W_hy:{t}",
            )
    top = (y_y if show_outputs else y_h) + half_h + 0.15
    return _finish(ax, -half_w - 0.15, T * _DX + half_w + 0.6, y_x - half_h - 0.15, top)


def draw_folded_rnn(
    ax: Axes | None = None,
    show_outputs: bool = True,
    labels: Mapping[str, str] | None = None,
) -> Axes:
    """Draw the folded (rolled-up) Elman RNN: ``x_t -> h_t -> y_t`` with a ``W_hh`` loop on ``h_t``.

    The loop from ``h_t`` back to itself stands for "``h_t`` becomes ``h_{t-1}`` at the
    next step"; :func:`draw_unrolled_rnn` shows the same network with the loop unrolled.
    Draws 2 or 3 boxes and 2 or 3 arrows (one per matrix); arguments and return value as
    in :func:`draw_unrolled_rnn`.
    """
    sym = _merge_labels(labels)
    ax = _new_axes(ax, figsize=(2.6, 3.4 if show_outputs else 2.3))
    half_w, half_h = _BOX_W / 2, _BOX_H / 2
    y_x, y_h, y_y = _ROW_Y["x"], _ROW_Y["h"], _ROW_Y["y"]

    _box(ax, 0.0, y_x, f"{sym['x']}_t", "x", "box:x_t")
    _box(ax, 0.0, y_h, f"{sym['h']}_t", "h", "box:h_t")
    _arrow(
        ax,
        [(0.0, y_x + half_h), (0.0, y_h - half_h)],
        "W_xh",
        sym["W_xh"],
        (0.08, (y_x + y_h) / 2),
        "arrow:W_xh",
    )
    # The recurrent loop: out of the right side of h_t and back into it, bulging to the right.
    loop = [
        (half_w, y_h + 0.15),
        (half_w + 0.9, y_h + 0.75),
        (half_w + 0.9, y_h - 0.75),
        (half_w, y_h - 0.15),
    ]
    _arrow(ax, loop, "W_hh", sym["W_hh"], (half_w + 0.8, y_h), "arrow:W_hh")
    if show_outputs:
        _box(ax, 0.0, y_y, f"{sym['y']}_t", "y", "box:y_t")
        _arrow(
            ax,
            [(0.0, y_h + half_h), (0.0, y_y - half_h)],
            "W_hy",
            sym["W_hy"],
            (0.08, (y_h + y_y) / 2),
            "arrow:W_hy",
        )
    top = (y_y if show_outputs else y_h) + half_h + 0.15
    return _finish(ax, -half_w - 0.15, half_w + 1.35, y_x - half_h - 0.15, top)
