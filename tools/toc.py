"""The book's table of contents: the pages of _toc.yml in reading order, and which of them are notebooks.

One reader of _toc.yml for the tools (re-execution, the Colab cell) and the tests.
"""

from __future__ import annotations

import pathlib
from collections.abc import Iterator
from typing import Any

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _toc_files(entry: Any) -> Iterator[str]:
    """Every ``file:`` (and the ``root:``) of a parsed _toc.yml, in reading order."""
    if isinstance(entry, dict):
        for key, value in entry.items():
            if key in ("root", "file"):
                yield value
            else:
                yield from _toc_files(value)
    elif isinstance(entry, list):
        for item in entry:
            yield from _toc_files(item)


def toc_pages(root: pathlib.Path = ROOT) -> list[str]:
    """Every page of _toc.yml as a path without suffix, relative to the root (``book/gru``).

    jupyter-book accepts entries with or without the file suffix; both give the same page.
    """
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    return [
        str(pathlib.PurePosixPath(entry).with_suffix("")) for entry in _toc_files(toc)
    ]


def toc_notebooks(root: pathlib.Path = ROOT) -> list[pathlib.Path]:
    """The pages of _toc.yml that are notebooks (``book/gru.ipynb`` exists), as paths, in reading order."""
    return [
        root / f"{page}.ipynb"
        for page in toc_pages(root)
        if (root / f"{page}.ipynb").is_file()
    ]
