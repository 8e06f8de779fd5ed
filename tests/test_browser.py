"""Open every page of the table of contents in a real browser, with no network.

_build/html is served on 127.0.0.1 and each page of _toc.yml is loaded in headless
Chromium (Debian's `chromium`, driven by Playwright; .ci/run installs it). A page fails if

* it requests anything that is not on this local server (a CDN, a web font, analytics):
  the request is aborted and reported, so the book must work offline;
* a request fails or answers with an HTTP error status (a missing file);
* the browser console logs an error, or a script raises;
* its <title> is empty or does not start with the page's heading;
* it has math (Sphinx's `class="math"` elements) and, once MathJax has finished, some
  equation has no MathJax output or MathJax reports a TeX error in it.

Screenshots of a few chapters go to _build/screenshots/ for a person to look at.
Without the built book or the browser the test is skipped locally, and fails in CI.
"""

import functools
import http.server
import os
import shutil
import threading
import urllib.parse

import pytest

try:
    from playwright.sync_api import Error as PlaywrightError
except ImportError:  # the browser fixture skips (or fails in CI) before it is needed
    PlaywrightError = Exception

from _built_book import HTML, ROOT, require_built_book, toc_pages, unavailable

SCREENSHOTS = ROOT / "_build" / "screenshots"
# Chapters photographed (top of the page, then the first displayed equation).
SCREENSHOT_PAGES = {"book/recurrent_formulation", "book/lstm", "book/encoder_decoder", "book/notation"}
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
# URL schemes that never leave the page (inline data, blobs made by scripts).
LOCAL_SCHEMES = {"data", "blob", "about"}
PAGE_TIMEOUT_MS = 30_000
MATHJAX_TIMEOUT_MS = 15_000

# For every element with class "math": does it hold MathJax output without a TeX error?
MATH_STATUS_JS = """
() => Array.from(document.querySelectorAll('.math')).map((el, i) => ({
    index: i,
    source: el.textContent.slice(0, 80),
    typeset: el.querySelector('mjx-container') !== null,
    error: el.querySelector('mjx-merror') !== null,
}))
"""

# The page heading's text, without Sphinx's "#" permalink.
HEADING_JS = """
() => {
    const h1 = document.querySelector('main h1, article h1, h1');
    if (!h1) return null;
    const copy = h1.cloneNode(true);
    copy.querySelectorAll('.headerlink').forEach(a => a.remove());
    return copy.textContent.replace(/\\s+/g, ' ').trim();
}
"""


def chromium_path():
    """Debian's Chromium binary (the /usr/bin/chromium wrapper script also works)."""
    candidates = [os.environ.get("RNNBOOK_CHROMIUM"), "/usr/lib/chromium/chromium",
                  "/usr/bin/chromium", shutil.which("chromium")]
    return next((c for c in candidates if c and os.path.isfile(c) and os.access(c, os.X_OK)), None)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def server():
    """Serve _build/html on 127.0.0.1 at an ephemeral port for this module's tests."""
    html = require_built_book()
    handler = functools.partial(_QuietHandler, directory=str(html))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        unavailable("Playwright for Python is not installed (requirements.txt pins it)")
    executable = chromium_path()
    if executable is None:
        unavailable("Chromium is not installed (apt-get install chromium; .ci/run does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, headless=True)
        yield instance
        instance.close()


def page_url(base, page):
    return f"{base}/{page}.html"


def is_local(url):
    parts = urllib.parse.urlsplit(url)
    return parts.scheme in LOCAL_SCHEMES or parts.hostname in LOCAL_HOSTS


@pytest.mark.parametrize("page", toc_pages())
def test_page_loads_offline_and_renders(page, server, browser):
    html_file = HTML / f"{page}.html"
    assert html_file.is_file(), f"{page} is in _toc.yml but {html_file} was not built"

    problems = []
    context = browser.new_context(viewport={"width": 1280, "height": 900})

    def route(route_obj):
        url = route_obj.request.url
        if is_local(url):
            route_obj.continue_()
        else:
            problems.append(f"request leaves localhost: {url}")
            route_obj.abort()

    context.route("**/*", route)
    tab = context.new_page()
    tab.on("console", lambda msg: msg.type == "error" and problems.append(
        f"console error: {msg.text} (at {msg.location.get('url', '?')})"))
    tab.on("pageerror", lambda err: problems.append(f"uncaught script error: {err}"))
    tab.on("requestfailed", lambda req: is_local(req.url) and problems.append(
        f"request failed: {req.url} ({req.failure})"))
    tab.on("response", lambda resp: resp.status >= 400 and problems.append(
        f"HTTP {resp.status} for {resp.url}"))
    try:
        response = tab.goto(page_url(server, page), wait_until="load", timeout=PAGE_TIMEOUT_MS)
        assert response is not None and response.ok, f"could not load {page}"

        has_math = 'class="math' in html_file.read_text(encoding="utf-8")
        math = []
        if has_math:
            # MathJax.startup.promise resolves once the initial typesetting is done.
            try:
                tab.wait_for_function("() => window.MathJax && window.MathJax.startup "
                                      "&& window.MathJax.startup.promise", timeout=MATHJAX_TIMEOUT_MS)
                tab.evaluate("() => window.MathJax.startup.promise.then(() => true)")
            except PlaywrightError as err:
                problems.append(f"MathJax did not start or finish: {str(err).splitlines()[0]}")
            math = tab.evaluate(MATH_STATUS_JS)
        tab.wait_for_load_state("networkidle", timeout=PAGE_TIMEOUT_MS)

        title = tab.title().strip()
        heading = tab.evaluate(HEADING_JS)
        if page in SCREENSHOT_PAGES:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            name = page.replace("/", "_")
            tab.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
            if has_math:
                tab.locator("div.math").first.scroll_into_view_if_needed()
                tab.screenshot(path=str(SCREENSHOTS / f"{name}_math.png"))
    finally:
        context.close()

    assert not problems, f"{page}:\n  " + "\n  ".join(problems)
    assert title, f"{page} has an empty <title>"
    assert heading, f"{page} has no <h1> heading"
    assert title.startswith(heading), f"{page}: title {title!r} does not start with its heading {heading!r}"
    if has_math:
        assert math, f"{page} has math in its HTML but no .math element in the page"
        untypeset = [m for m in math if not m["typeset"]]
        errors = [m for m in math if m["error"]]
        assert not untypeset, f"{page}: {len(untypeset)} of {len(math)} equations not typeset, e.g. {untypeset[:3]}"
        assert not errors, f"{page}: MathJax reports TeX errors in {errors[:3]}"


def test_no_page_references_a_cdn():
    """The HTML itself loads MathJax (and every other script) from _static, not the web."""
    html = require_built_book()
    offenders = []
    for path in sorted(html.rglob("*.html")):
        text = path.read_text(encoding="utf-8", errors="replace")
        if "cdn.jsdelivr.net" in text or "mathjax@" in text.lower():
            offenders.append(str(path.relative_to(html)))
    assert not offenders, f"pages that reference a CDN: {offenders}"
    mathjax = html / "_static" / "mathjax" / "tex-chtml.js"
    assert mathjax.is_file(), f"the local MathJax is missing: {mathjax}"

