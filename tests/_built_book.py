"""Shared helpers for the tests that read the built HTML book (_build/html).

These tests need the book built first (README's first command). Locally, a missing build
or a missing browser skips them; in CI (CI=true) nothing may be skipped, so the same
condition fails the test instead.
"""

import os
import pathlib
import shutil
import urllib.parse

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
        unavailable(
            f"the book is not built: {HTML / 'index.html'} is missing "
            "(run README's first command: jupyter-book build . -W -n --keep-going)"
        )
    return HTML


# ----------------------------------------------------------------------------- the browser
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
# URL schemes that never leave the page (inline data, blobs made by scripts).
LOCAL_SCHEMES = {"data", "blob", "about"}


def chromium_path():
    """Debian's Chromium binary (the /usr/bin/chromium wrapper script also works), or None."""
    candidates = [
        os.environ.get("RNNBOOK_CHROMIUM"),
        "/usr/lib/chromium/chromium",
        "/usr/bin/chromium",
        shutil.which("chromium"),
    ]
    return next(
        (c for c in candidates if c and os.path.isfile(c) and os.access(c, os.X_OK)),
        None,
    )


def is_local(url):
    parts = urllib.parse.urlsplit(url)
    return parts.scheme in LOCAL_SCHEMES or parts.hostname in LOCAL_HOSTS


def watch_offline(context, tab, problems):
    """Abort and report every request that leaves localhost; report console errors, script errors,
    failed local requests and HTTP errors. Everything goes to the list ``problems``."""

    def route(route_obj):
        url = route_obj.request.url
        if is_local(url):
            route_obj.continue_()
        else:
            problems.append(f"request leaves localhost: {url}")
            route_obj.abort()

    context.route("**/*", route)
    tab.on(
        "console",
        lambda msg: (
            msg.type == "error"
            and problems.append(
                f"console error: {msg.text} (at {msg.location.get('url', '?')})"
            )
        ),
    )
    tab.on("pageerror", lambda err: problems.append(f"uncaught script error: {err}"))
    tab.on(
        "requestfailed",
        lambda req: (
            is_local(req.url)
            and problems.append(f"request failed: {req.url} ({req.failure})")
        ),
    )
    tab.on(
        "response",
        lambda resp: (
            resp.status >= 400 and problems.append(f"HTTP {resp.status} for {resp.url}")
        ),
    )
