"""The PDF of the book (tools/build_pdf.py, run by README's first command): built offline with
XeLaTeX, with every chapter, every figure and every table of the HTML book, and no LaTeX error.

Locally the tests skip when the PDF was not built (TeX Live missing); with CI=true they fail.
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from _built_book import HTML, ROOT, toc_pages, unavailable

LATEX = ROOT / "_build" / "pdf" / "_build" / "latex"
PDF = LATEX / "rnnbook.pdf"


@pytest.fixture(scope="module")
def pdf():
    if not PDF.is_file():
        unavailable(
            f"the PDF is not built: {PDF} is missing (tools/build_pdf.py needs TeX Live)"
        )
    return PDF


def _title(page: str) -> str:
    """The first heading of a page of the table of contents."""
    path = ROOT / f"{page}.ipynb"
    if path.is_file():
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        text = "\n".join(
            "".join(c["source"]) for c in cells if c["cell_type"] == "markdown"
        )
    else:
        text = (ROOT / f"{page}.md").read_text(encoding="utf-8")
    return re.search(r"^# (.+)$", text, re.M).group(1).strip()


def _pdf_text(pdf) -> str:
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # LaTeX sets typographic quotes: compare them as the plain ASCII ones the titles use.
    text = (
        text.replace("\u2019", "'")
        .replace("\u2018", "'")
        .replace("\u201c", '"')
        .replace("\u201d", '"')
    )
    return re.sub(r"\s+", " ", text)


def test_page_count(pdf):
    info = subprocess.run(
        ["pdfinfo", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    # Fourteen chapters with their code, outputs and figures, and the API reference: a few hundred
    # pages. Far fewer means chapters went missing; far more, that something repeats or runs wild.
    assert 150 <= pages <= 700, f"{pages} pages"


def test_every_chapter_is_in_the_pdf(pdf):
    text = _pdf_text(pdf)
    missing = [
        page for page in toc_pages() if _title(page).replace("`", "") not in text
    ]
    assert not missing, f"chapters whose title is not in the PDF: {missing}"


def _expected_figures() -> int:
    """Image outputs the HTML book shows: PNG outputs of code cells that are not removed."""
    count = 0
    for page in toc_pages():
        path = ROOT / f"{page}.ipynb"
        if not path.is_file():
            continue
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            tags = set(cell.get("metadata", {}).get("tags", []))
            if cell["cell_type"] != "code" or tags & {"remove-cell", "remove-output"}:
                continue
            count += sum(
                "image/png" in out.get("data", {}) for out in cell.get("outputs", [])
            )
    return count


def test_every_figure_is_in_the_pdf(pdf):
    listing = subprocess.run(
        ["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    images = [line for line in listing.splitlines()[2:] if line.split()[2] == "image"]
    expected = _expected_figures()
    assert expected > 0 and len(images) >= expected, (
        f"{len(images)} images in the PDF, {expected} figures in the book"
    )


def test_tables_and_maths_survive(pdf):
    tex = (LATEX / "rnnbook.tex").read_text(encoding="utf-8")
    markdown_tables = 0
    for page in toc_pages():
        path = ROOT / f"{page}.ipynb"
        sources = (
            [
                ("".join(c["source"]))
                for c in json.loads(path.read_text(encoding="utf-8"))["cells"]
                if c["cell_type"] == "markdown"
            ]
            if path.is_file()
            else [(ROOT / f"{page}.md").read_text()]
        )
        markdown_tables += sum(
            len(re.findall(r"^\|[\s:]*-{3,}", s, re.M)) for s in sources
        )
    tables = len(re.findall(r"\\begin\{(?:tabulary|longtable|tabular)\}", tex))
    assert tables >= markdown_tables > 0, (
        f"{tables} tables in the LaTeX, {markdown_tables} in the book's Markdown"
    )
    assert (
        tex.count(r"\begin{equation*}") + tex.count(r"\begin{split}") + tex.count(r"\[")
        > 20
    )
    log = (LATEX / "rnnbook.log").read_text(encoding="utf-8", errors="replace")
    errors = [line for line in log.splitlines() if line.startswith("! ")]
    assert not errors, f"LaTeX errors: {errors[:5]}"


def test_the_html_links_to_the_pdf(pdf):
    published = HTML / "book" / "rnnbook.pdf"
    assert published.is_file() and published.read_bytes() == pdf.read_bytes()
    preface = (HTML / "book" / "preface.html").read_text(encoding="utf-8")
    assert 'href="rnnbook.pdf"' in preface
