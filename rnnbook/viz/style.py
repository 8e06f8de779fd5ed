"""What every figure of the book shares: one colour per symbol, legible labels, and the drawing primitives.

The same colour always means the same kind of quantity, in every diagram of the book:

========  ====================  =================================
symbol    fill                  meaning
========  ====================  =================================
``x``     blue                  an input ``x_t``
``h``     orange                a hidden state ``h_t`` (``s_t``)
``c``     purple                an LSTM cell state ``c_t``, a context ``c_t``
``y``     green                 an output ``y_t``
``gate``  yellow                a gate (``sigma``) or candidate (``tanh``) layer
``op``    white circle          an element-wise operation (``x``, ``+``, ``1-``)
========  ====================  =================================

Every box, circle and arrow carries a ``gid`` (``"box:h_2"``, ``"op:times:f"``,
``"arrow:W_hh:2"``) so that tests (and readers) can find it, and every label is a text
artist whose string holds the book's symbol in math text (``$h_{t-1}$``). Labels are at
least ``MIN_FONT_PT`` points in a figure drawn at most ``MAX_FIG_WIDTH_IN`` inches
wide, which keeps them at 10 pixels or more when the page shows the figure at the book's
text width.
"""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch
from matplotlib.path import Path

#: Fill colour of each kind of box; the same symbol has the same colour in every figure.
COLOURS: dict[str, str] = {
    "x": "#dbe9f6",
    "h": "#fde0c5",
    "c": "#e6dcf3",
    "y": "#d9f0d3",
    "gate": "#fff3b0",
    "op": "#ffffff",
    "ctx": "#e6dcf3",
}
#: Line colour of each path (the state's colour, darker).
LINES: dict[str, str] = {
    "x": "#1f77b4",
    "h": "#d9731a",
    "c": "#7b4fb4",
    "y": "#2ca02c",
    "grad": "#c62828",
    "plain": "#444444",
}
#: Colour of each matrix's arrows in the Elman graphs (equal colour = the same parameters).
MATRIX_COLOURS: dict[str, str] = {
    "W_xh": "#1f77b4",
    "W_hh": "#d62728",
    "W_hy": "#2ca02c",
}

MIN_FONT_PT = 11.0
MAX_FIG_WIDTH_IN = 11.5
LABEL_PT = 13.0
SMALL_PT = 11.0


def new_axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    """``ax``, or the axes of a new figure of ``figsize`` inches, at most ``MAX_FIG_WIDTH_IN`` wide
    (a wider figure would be shrunk on the page until its labels are too small to read)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt  # only when we have to make a figure

    width, height = figsize
    if width > MAX_FIG_WIDTH_IN:
        width, height = MAX_FIG_WIDTH_IN, height * MAX_FIG_WIDTH_IN / width
    _, new_ax = plt.subplots(figsize=(width, height))
    return new_ax


def box(
    ax: Axes,
    cx: float,
    cy: float,
    text: str,
    kind: str,
    gid: str,
    w: float = 0.9,
    h: float = 0.6,
    dashed: bool = False,
    fontsize: float = LABEL_PT,
) -> None:
    """A rounded box of ``kind``'s colour centred at ``(cx, cy)``, labelled with math text ``text``."""
    patch = FancyBboxPatch(
        (cx - w / 2, cy - h / 2),
        w,
        h,
        boxstyle="round,pad=0.02,rounding_size=0.12",
        facecolor=COLOURS[kind],
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
        text,
        ha="center",
        va="center",
        fontsize=fontsize,
        zorder=3,
        gid=f"label:{gid}",
    )


def op(ax: Axes, cx: float, cy: float, text: str, gid: str, r: float = 0.22) -> None:
    """A circle for an element-wise operation, labelled ``text`` (``$\\times$``, ``$+$``, ``$1-$``)."""
    patch = Circle(
        (cx, cy), r, facecolor=COLOURS["op"], edgecolor="black", linewidth=1.2, zorder=4
    )
    patch.set_gid(gid)
    ax.add_patch(patch)
    ax.text(
        cx,
        cy,
        text,
        ha="center",
        va="center",
        fontsize=SMALL_PT,
        zorder=5,
        gid=f"label:{gid}",
    )


def arrow(
    ax: Axes,
    points: Sequence[tuple[float, float]],
    colour: str,
    gid: str,
    style: str = "-|>",
    width: float = 1.6,
    dashed: bool = False,
    head: bool = True,
) -> None:
    """A polyline (or, with four points and ``curve``, a Bezier) arrow through ``points``."""
    codes = [Path.MOVETO] + [Path.LINETO] * (len(points) - 1)
    patch = FancyArrowPatch(
        path=Path(list(points), codes),
        arrowstyle=style if head else "-",
        mutation_scale=14,
        linewidth=width,
        color=colour,
        linestyle="--" if dashed else "-",
        zorder=1,
        shrinkA=0,
        shrinkB=0,
    )
    patch.set_gid(gid)
    ax.add_patch(patch)


def curve(
    ax: Axes,
    points: Sequence[tuple[float, float]],
    colour: str,
    gid: str,
    dashed: bool = False,
) -> None:
    """A cubic Bezier arrow: ``[start, control 1, control 2, end]``."""
    patch = FancyArrowPatch(
        path=Path(list(points), [Path.MOVETO] + [Path.CURVE4] * 3),
        arrowstyle="-|>",
        mutation_scale=14,
        linewidth=1.6,
        color=colour,
        linestyle="--" if dashed else "-",
        zorder=1,
    )
    patch.set_gid(gid)
    ax.add_patch(patch)


def label(
    ax: Axes,
    x: float,
    y: float,
    text: str,
    gid: str,
    colour: str = "black",
    fontsize: float = SMALL_PT,
    ha: str = "center",
    va: str = "center",
) -> None:
    ax.text(
        x, y, text, ha=ha, va=va, fontsize=fontsize, color=colour, zorder=6, gid=gid
    )


def finish(
    ax: Axes,
    xmin: float,
    xmax: float,
    ymin: float,
    ymax: float,
    title: str | None = None,
) -> Axes:
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=LABEL_PT)
    return ax
