"""Every chapter fits the book's boxes: code lines at most 88 characters (the formatter's width)
and printed lines at most 100, so no block scrolls sideways (tests/book/test_browser.py checks the
rendered pages at 1400 px; this finds the offending line without a browser). Cells removed from
the rendered page (the Colab install cell) are exempt."""

import json

import pytest

from tools.toc import toc_notebooks

CODE_WIDTH, OUTPUT_WIDTH = 88, 100


def _shown_code_cells(path):
    for index, cell in enumerate(json.loads(path.read_text(encoding="utf-8"))["cells"]):
        if cell["cell_type"] == "code" and "remove-cell" not in cell.get(
            "metadata", {}
        ).get("tags", []):
            yield index, cell


def _output_lines(cell):
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            yield from "".join(output["text"]).splitlines()
        elif "text/plain" in output.get("data", {}) and not any(
            kind.startswith("image/") or kind in ("text/html", "text/markdown")
            for kind in output["data"]
        ):
            yield from "".join(output["data"]["text/plain"]).splitlines()


@pytest.mark.parametrize("path", toc_notebooks(), ids=lambda p: p.stem)
def test_code_and_output_lines_fit(path):
    problems = []
    for index, cell in _shown_code_cells(path):
        problems += [
            f"cell {index}: code line of {len(line)} characters: {line[:60]!r}"
            for line in "".join(cell["source"]).splitlines()
            if len(line) > CODE_WIDTH
        ]
        problems += [
            f"cell {index}: printed line of {len(line)} characters: {line[:60]!r}"
            for line in _output_lines(cell)
            if len(line) > OUTPUT_WIDTH
        ]
    assert not problems, "\n".join(problems)
