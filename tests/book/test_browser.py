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
import threading

import pytest

try:
    from playwright.sync_api import Error as PlaywrightError
except ImportError:  # the browser fixture skips (or fails in CI) before it is needed
    PlaywrightError = Exception

from _built_book import (
    HTML,
    ROOT,
    chromium_path,
    require_built_book,
    toc_pages,
    unavailable,
    watch_offline,
)

SCREENSHOTS = ROOT / "_build" / "screenshots"
# Chapters photographed (top of the page, then the first displayed equation).
SCREENSHOT_PAGES = {
    "book/recurrent_formulation",
    "book/lstm",
    "book/encoder_decoder",
    "book/notation",
}
PAGE_TIMEOUT_MS = 30_000
# The width the book is read at: no code or output block may need a horizontal scroll bar there.
VIEWPORT_WIDTH = 1400

# Code and output blocks wider than their box (they would scroll sideways).
OVERFLOW_JS = """
() => Array.from(document.querySelectorAll(
        'main div.highlight pre, main div.cell_output pre, main div.output pre, main div.cell_output table'))
    .filter(el => el.offsetParent !== null && el.scrollWidth > el.clientWidth + 1)
    .map(el => ({kind: el.closest('.cell_output, .output') ? 'output' : 'code',
                 overflow: el.scrollWidth - el.clientWidth,
                 text: el.textContent.trim().split('\\n').sort((a, b) => b.length - a.length)[0].slice(0, 110)}))
"""

# Every image of the page: loaded, with a real size, and drawn at a known width.
IMAGES_JS = """
() => Array.from(document.querySelectorAll('main img')).map(img => ({
    src: img.getAttribute('src'), complete: img.complete, natural: img.naturalWidth, shown: img.clientWidth}))
"""
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
        unavailable(
            "Chromium is not installed (apt-get install chromium; .ci/run does it)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, headless=True)
        yield instance
        instance.close()


def page_url(base, page):
    return f"{base}/{page}.html"


@pytest.mark.parametrize("page", toc_pages())
def test_page_loads_offline_and_renders(page, server, browser):
    html_file = HTML / f"{page}.html"
    assert html_file.is_file(), f"{page} is in _toc.yml but {html_file} was not built"

    problems = []
    context = browser.new_context(viewport={"width": VIEWPORT_WIDTH, "height": 900})
    tab = context.new_page()
    watch_offline(context, tab, problems)
    try:
        response = tab.goto(
            page_url(server, page), wait_until="load", timeout=PAGE_TIMEOUT_MS
        )
        assert response is not None and response.ok, f"could not load {page}"

        has_math = 'class="math' in html_file.read_text(encoding="utf-8")
        math = []
        if has_math:
            # MathJax.startup.promise resolves once the initial typesetting is done.
            try:
                tab.wait_for_function(
                    "() => window.MathJax && window.MathJax.startup "
                    "&& window.MathJax.startup.promise",
                    timeout=MATHJAX_TIMEOUT_MS,
                )
                tab.evaluate("() => window.MathJax.startup.promise.then(() => true)")
            except PlaywrightError as err:
                problems.append(
                    f"MathJax did not start or finish: {str(err).splitlines()[0]}"
                )
            math = tab.evaluate(MATH_STATUS_JS)
        tab.wait_for_load_state("networkidle", timeout=PAGE_TIMEOUT_MS)

        tab.evaluate(
            "() => Promise.all(Array.from(document.images).map(i => i.decode().catch(() => null)))"
        )
        overflowing = tab.evaluate(OVERFLOW_JS)
        images = tab.evaluate(IMAGES_JS)
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

    problems += [
        f"{o['kind']} block scrolls sideways by {o['overflow']} px at {VIEWPORT_WIDTH} px: {o['text']!r}"
        for o in overflowing
    ]
    problems += [
        f"image not loaded or empty: {i['src']}"
        for i in images
        if not i["complete"] or i["natural"] == 0
    ]
    assert not problems, f"{page}:\n  " + "\n  ".join(problems)
    assert title, f"{page} has an empty <title>"
    assert heading, f"{page} has no <h1> heading"
    assert title.startswith(heading), (
        f"{page}: title {title!r} does not start with its heading {heading!r}"
    )
    if has_math:
        assert math, f"{page} has math in its HTML but no .math element in the page"
        untypeset = [m for m in math if not m["typeset"]]
        errors = [m for m in math if m["error"]]
        assert not untypeset, (
            f"{page}: {len(untypeset)} of {len(math)} equations not typeset, e.g. {untypeset[:3]}"
        )
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


# Chapters whose figures are photographed in the theme's dark mode.
DARK_PAGES = ["book/lstm", "book/recurrent_formulation"]

# The colour of each figure's top-left pixel, as the browser draws the image (alpha included);
# figures are the images of cell outputs (the header's launch buttons have logos too).
CORNER_JS = """
() => Array.from(document.querySelectorAll('main div.cell_output img')).filter(img => img.naturalWidth > 0).map(img => {
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
    const ctx = canvas.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const [r, g, b, a] = ctx.getImageData(2, 2, 1, 1).data;
    return {src: img.getAttribute('src'), r, g, b, a};
})
"""


@pytest.mark.parametrize("page", DARK_PAGES)
def test_figures_are_readable_in_dark_mode(page, server, browser):
    """In dark mode the page is dark, and every figure keeps its opaque light background, so its
    black text and lines stay readable (a transparent figure would put them on the dark page)."""
    context = browser.new_context(
        viewport={"width": VIEWPORT_WIDTH, "height": 900}, color_scheme="dark"
    )
    context.add_init_script(
        "localStorage.setItem('mode', 'dark'); localStorage.setItem('theme', 'dark');"
    )
    tab = context.new_page()
    try:
        tab.goto(page_url(server, page), wait_until="load", timeout=PAGE_TIMEOUT_MS)
        tab.wait_for_load_state("networkidle", timeout=PAGE_TIMEOUT_MS)
        theme = tab.evaluate("() => document.documentElement.dataset.theme")
        background = tab.evaluate(
            "() => getComputedStyle(document.body).backgroundColor"
        )
        corners = tab.evaluate(CORNER_JS)
        figure = tab.locator(
            "main div.cell_output img"
        ).first  # a figure, not a launch-button logo
        if figure.count():
            figure.scroll_into_view_if_needed()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(SCREENSHOTS / f"{page.replace('/', '_')}_dark.png"))
    finally:
        context.close()
    assert theme == "dark", (
        f"{page}: the theme did not switch to dark mode (data-theme={theme!r})"
    )
    rgb = [
        int(v)
        for v in background[background.index("(") + 1 : background.index(")")].split(
            ","
        )[:3]
    ]
    assert sum(rgb) < 3 * 80, f"{page}: dark mode background is not dark: {background}"
    assert corners, f"{page} has no figure to check"
    light = [c for c in corners if c["a"] == 255 and min(c["r"], c["g"], c["b"]) > 200]
    assert len(light) == len(corners), (
        f"{page}: figures without an opaque light background: "
        + str([c for c in corners if c not in light])
    )
