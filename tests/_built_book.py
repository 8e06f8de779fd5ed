"""Shared helpers for the tests that read the built HTML book (_build/html).

These tests need the book built first (README's first command). Locally, a missing build
or a missing browser skips them; in CI (CI=true) nothing may be skipped, so the same
condition fails the test instead.
"""

import os
import pathlib

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
IN_CI = os.environ.get("CI") == "true"


def unavailable(reason):
    """Skip the test locally; fail it in CI, where every check must run."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this test must run, not skip)", pytrace=False)
    pytest.skip(reason)


def require_built_book():
    """The path of _build/html, or skip (locally) / fail (CI) when it is not built."""
    if not (HTML / "index.html").is_file():
        unavailable(f"the book is not built: {HTML / 'index.html'} is missing "
                    "(run README's first command: jupyter-book build . -W -n --keep-going)")
    return HTML


def _toc_files(entry):
    if isinstance(entry, dict):
        for key, value in entry.items():
            if key in ("root", "file"):
                yield value
            else:
                yield from _toc_files(value)
    elif isinstance(entry, list):
        for item in entry:
            yield from _toc_files(item)


def toc_pages():
    """Every page of _toc.yml, as a path without suffix relative to the root (book/gru)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    return [str(pathlib.PurePosixPath(entry).with_suffix("")) for entry in _toc_files(toc)]


def toc_notebooks():
    """The pages of _toc.yml that are notebooks (book/gru.ipynb exists), as Paths."""
    return [ROOT / f"{page}.ipynb" for page in toc_pages() if (ROOT / f"{page}.ipynb").is_file()]
