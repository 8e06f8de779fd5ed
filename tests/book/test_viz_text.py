"""rnnbook.viz.draw_text_activations: one coloured cell per character, in reading order."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib import colormaps  # noqa: E402

from rnnbook.viz import draw_text_activations  # noqa: E402


def _cells(ax):
    return {
        p.get_gid(): p for p in ax.patches if (p.get_gid() or "").startswith("char:")
    }


def test_one_cell_per_character_laid_out_in_lines():
    text = "ab\ncde fgh"
    values = np.linspace(-1, 1, len(text))
    fig, ax = plt.subplots()
    draw_text_activations(text, values, ax=ax, width=4)
    cells = _cells(ax)
    assert len(cells) == len(text)
    xy = [cells[f"char:{i}"].get_xy() for i in range(len(text))]
    # 'a', 'b' and the newline on row 0; "cde " on row 1; "fgh" wraps to row 2 at width 4.
    assert [(int(x), int(-y - 1)) for x, y in xy] == [
        (0, 0),
        (1, 0),
        (2, 0),
        (0, 1),
        (1, 1),
        (2, 1),
        (3, 1),
        (0, 2),
        (1, 2),
        (2, 2),
    ]
    glyphs = [t for t in ax.texts if (t.get_gid() or "").startswith("glyph:")]
    assert sorted(t.get_text() for t in glyphs) == sorted(
        "abcdefgh"
    )  # spaces and newlines have no glyph
    plt.close(fig)


def test_colours_follow_the_values():
    text = "xyz"
    fig, ax = plt.subplots()
    draw_text_activations(text, [-1.0, 0.0, 5.0], ax=ax, cmap="coolwarm")
    cmap = colormaps["coolwarm"]
    cells = _cells(ax)
    np.testing.assert_allclose(cells["char:0"].get_facecolor(), cmap(0.0))
    np.testing.assert_allclose(cells["char:1"].get_facecolor(), cmap(0.5))
    np.testing.assert_allclose(
        cells["char:2"].get_facecolor(), cmap(1.0)
    )  # clipped at vmax
    plt.close(fig)


def test_bad_input():
    with pytest.raises(ValueError, match="one entry per character"):
        draw_text_activations("abc", [0.0, 1.0])
    with pytest.raises(ValueError, match="non-empty"):
        draw_text_activations("", [])
    with pytest.raises(ValueError, match="vmin < vmax"):
        draw_text_activations("ab", [0, 1], vmin=1, vmax=1)
