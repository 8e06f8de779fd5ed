"""Helpers the chapters share: glue numbers as printed, and show source code with line numbers.

The book's prose quotes measured numbers through myst-nb's ``glue``, and nbval compares every
stored glue record in full when it re-runs a notebook. So a glued number must be the number
*as printed*, rounded to the digits that hold on any machine, never the raw float whose last
digits depend on the CPU's kernels: :func:`glue_value` takes the format spec that the chapter
prints with and glues the value rounded by it. :func:`glue_spread` does the same for a metric
over seeds (median, least, greatest).

:func:`show_source` prints a package function with line numbers, and :func:`line_of` finds a
line in it, so that a chapter's text can point at the line that implements an equation.

Needs myst-nb (installed with the book) for the glue functions only.
"""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable, Sequence
from typing import Any

from ..training.stats import Spread

__all__ = [
    "glue_value",
    "glue_spread",
    "rounded",
    "show_source",
    "line_of",
    "hard_wrap",
    "markdown_table",
]


def rounded(value: Any, fmt: str) -> Any:
    """``value`` as the format spec ``fmt`` prints it, as a number again.

    ``rounded(0.0123456, ".2g") == 0.012``, ``rounded(7.4744, ".2f") == 7.47``; an int with an
    integer spec (``"d"``, ``","``) stays an int.
    """
    text = format(value, fmt).replace(",", "").replace("_", "")
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        try:
            return int(text)
        except ValueError:
            pass
    return float(text.rstrip("%")) / (100 if text.endswith("%") else 1)


def _glue(name: str, value: Any) -> None:
    from myst_nb import glue

    glue(name, value, display=False)


def glue_value(name: str, value: Any, fmt: str | None = None) -> Any:
    """Glue ``value`` under ``name`` for the prose (``{glue:text}`name```), as printed with ``fmt``.

    Floats need ``fmt`` (for example ``".3g"`` or ``".2f"``): the glued number is the value
    rounded as ``format(value, fmt)`` shows it, so the stored record holds only digits that
    the chapter has decided are meaningful. Ints (``fmt`` optional), strings and bools are
    glued as they are. Returns what was glued.
    """
    if isinstance(value, bool) or isinstance(value, str):
        glued: Any = value
    elif isinstance(value, numbers.Integral):
        glued = int(value) if fmt is None else rounded(int(value), fmt)
    elif isinstance(value, numbers.Real):
        if fmt is None:
            raise TypeError(
                f"glue_value({name!r}, {value!r}): a float needs fmt, the digits the text prints"
            )
        glued = rounded(float(value), fmt)
    else:
        raise TypeError(
            f"glue_value({name!r}, ...) takes a number, str or bool, got {type(value).__name__}"
        )
    _glue(name, glued)
    return glued


def glue_spread(name: str, value: Spread, fmt: str) -> Spread:
    """Glue a metric over seeds: ``name`` (the median), ``name_low``, ``name_high``, each rounded with
    ``fmt``, and ``name_range``, the text ``"median (low to high)"``. Returns the rounded spread."""
    if not isinstance(value, Spread):
        raise TypeError(
            f"glue_spread({name!r}, ...) takes a Spread, got {type(value).__name__}"
        )
    parts = {
        key: rounded(getattr(value, key), fmt) for key in ("median", "low", "high")
    }
    _glue(name, parts["median"])
    _glue(f"{name}_low", parts["low"])
    _glue(f"{name}_high", parts["high"])
    _glue(f"{name}_range", format(value, fmt))
    return Spread(
        tuple(rounded(v, fmt) for v in value.values),
        parts["median"],
        parts["low"],
        parts["high"],
    )


def show_source(fn: Callable[..., Any]) -> None:
    """Print ``fn``'s source with line numbers, so the text can point at its lines."""
    for number, line in enumerate(inspect.getsource(fn).splitlines(), start=1):
        print(f"{number:2d}  {line}")


def line_of(fn: Callable[..., Any], text: str) -> int:
    """The line number (as :func:`show_source` prints it) of the first line of ``fn`` containing ``text``.

    ValueError if no line contains it, so a chapter that points at a line fails loudly when the
    code changes under it.
    """
    for number, line in enumerate(inspect.getsource(fn).splitlines(), start=1):
        if text in line:
            return number
    raise ValueError(f"no line of {fn.__qualname__} contains {text!r}")


def hard_wrap(text: str, width: int = 100) -> str:
    """``text`` with every line longer than ``width`` characters cut into pieces of ``width``.

    For printing generated text (a language model's samples) within the book's line width:
    unlike :func:`textwrap.fill`, nothing is moved, dropped or added except the line breaks
    inserted at every ``width``-th character of a long line, so ``hard_wrap(t).replace("\\n", "")``
    equals ``t.replace("\\n", "")``. Existing line breaks stay where they are.
    """
    if isinstance(width, bool) or not isinstance(width, int) or width < 1:
        raise ValueError(f"width must be an int >= 1, got {width!r}")
    pieces = []
    for line in text.split("\n"):
        pieces.extend([line[i : i + width] for i in range(0, len(line), width)] or [""])
    return "\n".join(pieces)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table: ``header`` then one line per row; cells are converted with ``str``, ``|`` escaped."""
    width = len(header)
    if width == 0:
        raise ValueError("header must name at least one column")
    for i, row in enumerate(rows):
        if len(row) != width:
            raise ValueError(f"row {i} has {len(row)} cells, the header has {width}")

    def line(cells: Sequence[Any]) -> str:
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"

    return "\n".join([line(header), "|" + "---|" * width, *(line(r) for r in rows)])
