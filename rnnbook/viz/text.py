"""Text coloured by a hidden unit's activation, the picture of an interpretable cell.

One character per grid cell, each on a background whose colour is the unit's value after
reading that character (Karpathy, Johnson and Fei-Fei 2015).
"""

from __future__ import annotations

import numbers

from matplotlib.axes import Axes

from .style import new_axes as _new_axes

__all__ = ["draw_text_activations"]


def draw_text_activations(
    text: str,
    values: object,
    ax: Axes | None = None,
    width: int = 80,
    cmap: str = "coolwarm",
    vmin: float = -1.0,
    vmax: float = 1.0,
    fontsize: float = 8.0,
) -> Axes:
    """Draw ``text`` in a character grid, each character on a background coloured by its value.

    The picture of Karpathy, Johnson and Fei-Fei (2015) for one hidden unit of a character
    model: ``values[i]`` (for example ``h_t`` of one unit after reading ``text[i]``) sets the
    colour behind ``text[i]`` through ``cmap`` on ``[vmin, vmax]``. Rows break after a newline
    (drawn as a coloured cell of its own, since the unit also reads it) and after ``width``
    characters. Each character's cell is a :class:`~matplotlib.patches.Rectangle` with
    ``gid="char:i"``; its text, if visible, carries ``gid="glyph:i"``. Returns the axes.
    """
    import numpy as np
    from matplotlib import colormaps
    from matplotlib.colors import Normalize
    from matplotlib.patches import Rectangle

    vals = np.asarray(values, dtype=float)
    if not isinstance(text, str) or not text:
        raise ValueError("text must be a non-empty string")
    if vals.shape != (len(text),):
        raise ValueError(
            f"values must have one entry per character, shape ({len(text)},), got {vals.shape}"
        )
    if isinstance(width, bool) or not isinstance(width, numbers.Integral) or width < 1:
        raise ValueError(f"width must be an int >= 1, got {width!r}")
    if not vmin < vmax:
        raise ValueError(f"need vmin < vmax, got {vmin} and {vmax}")
    colour = colormaps[cmap]
    norm = Normalize(vmin, vmax, clip=True)
    row, col, positions = 0, 0, []
    for char in text:
        if col >= width:
            row, col = row + 1, 0
        positions.append((row, col))
        if char == "\n":
            row, col = row + 1, 0
        else:
            col += 1
    rows = positions[-1][0] + 1
    ax = _new_axes(ax, figsize=(0.105 * width + 0.2, 0.17 * rows + 0.2))
    for i, (char, (r, c)) in enumerate(zip(text, positions)):
        cell = Rectangle(
            (c, -r - 1),
            1,
            1,
            facecolor=colour(norm(vals[i])),
            edgecolor="none",
            gid=f"char:{i}",
        )
        ax.add_patch(cell)
        if not char.isspace():
            ax.text(
                c + 0.5,
                -r - 0.5,
                char,
                ha="center",
                va="center",
                fontsize=fontsize,
                family="monospace",
                gid=f"glyph:{i}",
            )
    ax.set_xlim(0, width)
    ax.set_ylim(-rows, 0)
    ax.axis("off")
    return ax
