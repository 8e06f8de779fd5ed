"""Every internal link of the built HTML book resolves: zero broken links.

For each page under _build/html (Sphinx's own _static and _sources folders aside), every
<a href>, <img src>, <link href>, <script src> and <source src> that stays inside the
book (not http(s), mailto, data, javascript) must name a file that exists, and a
`#fragment` must be the id (or <a name>) of an element in the target page. Links that
point at the web are left to the browser test (tests/book/test_browser.py), which only checks
that a page loads nothing from outside.

Without the built book the test is skipped locally, and fails in CI.

It also checks, in the sources, that every chapter notebook links the notation page.
"""

import html.parser
import json
import pathlib
import posixpath
import re
import urllib.parse

import pytest
from _built_book import IN_CI, ROOT, require_built_book, toc_notebooks

LINK_ATTRIBUTES = {
    "a": "href",
    "img": "src",
    "link": "href",
    "script": "src",
    "source": "src",
}
EXTERNAL_SCHEMES = {"http", "https", "mailto", "data", "javascript", "tel", "ftp"}
SKIPPED_DIRS = {"_static", "_sources"}


class _PageParser(html.parser.HTMLParser):
    """Collect the ids (anchors) of a page and the links it makes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids = set()
        self.links = []  # (tag, url)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("name"):
            self.ids.add(attrs["name"])
        wanted = LINK_ATTRIBUTES.get(tag)
        if wanted and attrs.get(wanted) is not None:
            self.links.append((tag, attrs[wanted]))

    handle_startendtag = handle_starttag


def parse(path, cache={}):  # noqa: B006 - one cache for the whole test run
    if path not in cache:
        parser = _PageParser()
        parser.feed(path.read_text(encoding="utf-8", errors="replace"))
        cache[path] = parser
    return cache[path]


def pages(root):
    return sorted(
        path
        for path in root.rglob("*.html")
        if not SKIPPED_DIRS.intersection(path.relative_to(root).parts)
    )


def broken_links(root):
    """(page, tag, url, why) for every internal link of the book that does not resolve."""
    broken = []
    for page in pages(root):
        page_rel = page.relative_to(root).as_posix()
        for tag, url in parse(page).links:
            parts = urllib.parse.urlsplit(url.strip())
            if parts.scheme in EXTERNAL_SCHEMES or parts.netloc:
                continue
            if parts.scheme:
                broken.append(
                    (page_rel, tag, url, f"unexpected URL scheme {parts.scheme!r}")
                )
                continue
            if parts.path:
                joined = posixpath.normpath(
                    posixpath.join(
                        posixpath.dirname(page_rel), urllib.parse.unquote(parts.path)
                    )
                )
                if joined.startswith(".."):
                    broken.append((page_rel, tag, url, "points outside the built book"))
                    continue
                target = root / joined
                if target.is_dir() or parts.path.endswith("/"):
                    target = target / "index.html"
            else:
                target = page  # "#fragment" or "" (this page)
            if not target.is_file():
                broken.append(
                    (
                        page_rel,
                        tag,
                        url,
                        f"no file {target.relative_to(root).as_posix()}",
                    )
                )
                continue
            fragment = urllib.parse.unquote(parts.fragment)
            if (
                fragment
                and target.suffix == ".html"
                and fragment not in parse(target).ids
            ):
                broken.append(
                    (
                        page_rel,
                        tag,
                        url,
                        f"no id {fragment!r} in {target.relative_to(root).as_posix()}",
                    )
                )
    return broken


def test_book_has_pages():
    root = require_built_book()
    assert len(pages(root)) > 1, f"no pages under {root}"


#: The PDF of the book, which the preface links to: built by tools/build_pdf.py where TeX Live is.
PDF_TARGET = "book/rnnbook.pdf"


def test_no_broken_internal_links():
    root = require_built_book()
    broken = broken_links(root)
    if (
        not IN_CI and not (root / PDF_TARGET).is_file()
    ):  # no TeX Live here: the PDF was not built
        broken = [b for b in broken if not b[3].endswith(f"no file {PDF_TARGET}")]
    listing = "\n".join(
        f"  {page}: <{tag}> {url!r}: {why}" for page, tag, url, why in broken
    )
    assert not broken, f"{len(broken)} broken internal links:\n{listing}"


def test_checker_finds_a_broken_link(tmp_path):
    """The checker itself: a missing page, a missing id and a good link, in a tiny site."""
    (tmp_path / "a.html").write_text(
        '<h1 id="top">A</h1><a href="b.html#here">ok</a> <a href="b.html#gone">bad id</a>'
        ' <a href="missing.html">bad page</a> <img src="img/x.png"> <a href="#top">self</a>'
        ' <a href="https://example.org/x.html">external</a>',
        encoding="utf-8",
    )
    (tmp_path / "b.html").write_text(
        '<p><span id="here">B</span></p>', encoding="utf-8"
    )
    found = {
        (url, why.split(" ")[1])
        for _, _, url, why in broken_links(pathlib.Path(tmp_path))
    }
    assert found == {
        ("b.html#gone", "id"),
        ("missing.html", "file"),
        ("img/x.png", "file"),
    }


# {doc}`notation`, {doc}`text <notation>`, or a Markdown link to notation.md / notation.
NOTATION_LINK = re.compile(
    r"\{doc\}`(?:[^`<]*<)?(?:\./)?notation>?`|\]\((?:\./)?notation(?:\.md)?\)"
)


@pytest.mark.parametrize(
    "path", toc_notebooks(), ids=lambda p: p.relative_to(ROOT).as_posix()
)
def test_chapter_links_the_notation_page(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    markdown = "\n".join(
        "".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown"
    )
    assert NOTATION_LINK.search(markdown), (
        f"{path.name} has no link to the notation page ({{doc}}`notation`)"
    )
