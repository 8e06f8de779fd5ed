"""The notebooks under book/ are committed executed, cleanly, and all in the table of contents.

nbval (configured in pyproject.toml) re-runs every notebook and compares each cell's
output with the stored one, so the stored outputs must come from one clean top-to-bottom
run: a cell never executed has nothing to compare, and a stored error would be the
"expected" output. Fix any failure here with `python tools/execute_notebooks.py`.
"""

import json
import pathlib

import pytest

from tools.toc import toc_pages

ROOT = pathlib.Path(__file__).resolve().parents[2]
BOOK = ROOT / "book"
SKIPPED_DIRS = {"_build", ".ipynb_checkpoints"}

NOTEBOOKS = sorted(
    path
    for path in BOOK.rglob("*.ipynb")
    if not SKIPPED_DIRS.intersection(path.relative_to(BOOK).parts)
)


def code_cells(path):
    """(index, cell, source) for every code cell of the notebook with non-blank source."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    for index, cell in enumerate(cells):
        source = "".join(cell.get("source", ""))
        if cell["cell_type"] == "code" and source.strip():
            yield index, cell, source


def notebook_id(path):
    return str(path.relative_to(ROOT))


def test_at_least_one_notebook():
    assert NOTEBOOKS, f"no notebooks found under {BOOK}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_every_code_cell_executed(path):
    never = [
        index
        for index, cell, _ in code_cells(path)
        if cell.get("execution_count") is None
    ]
    assert not never, f"code cells {never} were never executed"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_executed_in_order_in_one_kernel(path):
    counts = [cell.get("execution_count") for _, cell, _ in code_cells(path)]
    assert counts == list(range(1, len(counts) + 1)), (
        f"execution counts {counts} are not 1, 2, 3, ... top to bottom (one fresh kernel)"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_no_stored_errors(path):
    errors = [
        f"cell {index}: {output.get('ename')}: {output.get('evalue')}"
        for index, cell, _ in code_cells(path)
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert not errors, f"stored error outputs: {errors}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_no_trailing_semicolon(path):
    # A trailing ';' hides the result in Jupyter, but nbval still captures and compares
    # it, so the committed notebook and the test disagree; assign to `_` instead.
    offenders = []
    for index, _, source in code_cells(path):
        last = [line.strip() for line in source.splitlines() if line.strip()][-1]
        if last.endswith(";") and not last.startswith(("%", "!")):
            offenders.append(index)
    assert not offenders, f"code cells {offenders} end with ';'"


def test_toc_lists_exactly_the_notebooks():
    stems = (
        toc_pages()
    )  # without the file suffix, which jupyter-book lets entries have or omit
    missing = [
        stem
        for stem in stems
        if not any((ROOT / f"{stem}{suffix}").is_file() for suffix in (".ipynb", ".md"))
    ]
    assert not missing, f"_toc.yml entries with no notebook (or MyST page): {missing}"
    unlisted = [
        notebook_id(path)
        for path in NOTEBOOKS
        if path.relative_to(ROOT).with_suffix("").as_posix() not in stems
    ]
    assert not unlisted, f"notebooks missing from _toc.yml: {unlisted}"
