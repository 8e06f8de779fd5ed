"""Put the Colab install cell first in every chapter notebook (idempotent).

A chapter opened on Google Colab (the launch button at the top of each page) runs in
Colab's own environment, which has PyTorch and matplotlib but not `rnnbook` or myst-nb
(whose `glue` the chapters use to put numbers in the text). The first code cell of every
notebook listed in _toc.yml therefore installs them, but only on Colab: anywhere else
(Jupyter, Binder, nbval, tools/execute_notebooks.py) it does nothing and prints nothing, so
the stored outputs stay empty and nbval passes.

The cell carries the tag `remove-cell`: the HTML book leaves it out entirely (it has no
output to show and is of no use to someone reading the page), while anyone who opens the
notebook itself sees it first.

Usage, from the repository root:

    python tools/colab_cell.py                    # every notebook of _toc.yml
    python tools/colab_cell.py book/gru.ipynb     # just some
    python tools/colab_cell.py --check            # exit 1 if a notebook lacks the cell

Running it again changes nothing. It inserts the cell (or replaces an older version of
it, recognised by its tag COLAB_CELL_ID) without executing anything: re-execute the
notebooks afterwards (tools/execute_notebooks.py), since the new cell shifts the
execution counts. tests/book/test_launch.py checks that every chapter starts with this cell.
"""

import argparse
import json
import pathlib
import sys

import nbformat

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tools.toc import toc_notebooks  # noqa: E402

REPOSITORY = "https://github.com/rnnbook/rnnbook"
BRANCH = "main"
#: The tags of the cell: one for the HTML book, one that identifies it for this tool.
COLAB_CELL_ID = "colab-install"
TAGS = ["remove-cell", COLAB_CELL_ID]

CLONE = "/content/rnnbook"
SOURCE = f"""\
# On Google Colab: fetch the book's repository and install rnnbook (with its extras)
# and myst-nb. Anywhere else: do nothing.
import sys

if "google.colab" in sys.modules:
    import os
    import subprocess

    root = "{CLONE}"
    if not os.path.exists(root):
        clone = ["git", "clone", "--quiet", "--depth", "1", "--branch", "{BRANCH}"]
        subprocess.run([*clone, "{REPOSITORY}", root], check=True)
    pip = [sys.executable, "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, f"{{root}}[data,torch,viz]", "myst-nb==1.4.0"], check=True)
    sys.path.insert(0, root)  # the repository's benchmarks package (appendix)
    os.chdir(f"{{root}}/book")  # run from book/, as the notebooks do locally"""


def colab_cell():
    """The cell (never executed: no outputs, no execution count)."""
    cell = nbformat.v4.new_code_cell(source=SOURCE, metadata={"tags": list(TAGS)})
    cell["id"] = COLAB_CELL_ID  # a fixed id: re-running the tool changes nothing
    return cell


def is_colab_cell(cell):
    return cell.get("cell_type") == "code" and COLAB_CELL_ID in cell.get(
        "metadata", {}
    ).get("tags", [])


def has_current_cell(notebook):
    """True if the notebook's first cell is exactly the current Colab cell (outputs aside)."""
    cells = notebook.get("cells", [])
    if not cells or not is_colab_cell(cells[0]):
        return False
    first = cells[0]
    return (
        "".join(first.get("source", "")) == SOURCE
        and first["metadata"].get("tags") == TAGS
    )


def add_cell(path):
    """Insert or update the cell in one notebook; return True if the file changed."""
    text = path.read_text(encoding="utf-8")
    notebook = nbformat.reads(text, as_version=4)
    if has_current_cell(notebook):
        return False
    notebook.cells = [colab_cell()] + [
        cell for cell in notebook.cells if not is_colab_cell(cell)
    ]
    nbformat.validate(notebook)
    nbformat.write(
        notebook, str(path)
    )  # as tools/execute_notebooks.py writes notebooks
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "notebooks",
        nargs="*",
        type=pathlib.Path,
        help="notebooks to update (default: every notebook in _toc.yml)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="change nothing; exit 1 if a notebook does not start with the cell",
    )
    args = parser.parse_args(argv)
    paths = [path.resolve() for path in args.notebooks] or toc_notebooks()
    if args.check:
        missing = [
            path
            for path in paths
            if not has_current_cell(json.loads(path.read_text(encoding="utf-8")))
        ]
        for path in missing:
            print(f"missing or outdated Colab cell: {path.relative_to(ROOT)}")
        return 1 if missing else 0
    for path in paths:
        changed = add_cell(path)
        print(f"{'updated  ' if changed else 'unchanged'} {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
