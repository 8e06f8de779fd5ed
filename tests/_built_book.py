"""Shared helpers for the tests that read the built HTML book (_build/html).

These tests need the book built first (README's first command). Locally, a missing build
or a missing browser skips them; in CI (CI=true) nothing may be skipped, so the same
condition fails the test instead.
"""

import os
import pathlib

import pytest

from tools.toc import toc_notebooks, toc_pages  # noqa: F401  (re-exported for the tests)

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
