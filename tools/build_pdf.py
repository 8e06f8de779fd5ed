"""Build the PDF of the book offline with XeLaTeX, and put it beside the HTML book.

Usage (from the repository root, after the HTML build of README's first command):

    .venv/bin/python tools/build_pdf.py

It runs ``jupyter-book build . --builder pdflatex`` (Sphinx's LaTeX writer with the jupyterBook
class, XeLaTeX, latexmk) into ``_build/pdf``, then copies the result to
``_build/html/book/rnnbook.pdf``, where the preface links to it, and prints its page count and
the time it took. It needs TeX Live from Debian's packages:

    apt-get install texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended \\
        texlive-xetex latexmk fonts-freefont-otf tex-gyre poppler-utils

Without them it says so and exits 0, leaving the HTML book as it is, except with ``CI=true``,
where the PDF must be built (exit 1). Nothing is downloaded: TeX Live, the fonts and MathJax
are all local.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
OUT = ROOT / "_build" / "pdf"
PDF = OUT / "_build" / "latex" / "rnnbook.pdf"
#: Where the HTML book links to the PDF (the preface's link is relative: rnnbook.pdf).
PUBLISHED = ROOT / "_build" / "html" / "book" / "rnnbook.pdf"
NEEDED = ("xelatex", "latexmk", "pdfinfo")


def missing_tools() -> list[str]:
    return [tool for tool in NEEDED if shutil.which(tool) is None]


def page_count(pdf: pathlib.Path) -> int:
    info = subprocess.run(
        ["pdfinfo", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    return int(
        next(line.split()[1] for line in info.splitlines() if line.startswith("Pages:"))
    )


def main() -> int:
    missing = missing_tools()
    if missing:
        message = f"build_pdf: {', '.join(missing)} not found: install TeX Live (see this file's docstring)"
        if os.environ.get("CI") == "true":
            print(f"error: {message}", file=sys.stderr)
            return 1
        print(f"note: {message}; the PDF is not built")
        return 0
    jupyter_book = pathlib.Path(sys.executable).with_name("jupyter-book")
    start = time.perf_counter()
    result = subprocess.run(
        [
            str(jupyter_book),
            "build",
            str(ROOT),
            "--builder",
            "pdflatex",
            "--path-output",
            str(OUT),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    if result.returncode != 0 or not PDF.is_file():
        print(result.stdout[-4000:], result.stderr[-4000:], sep="\n", file=sys.stderr)
        print(
            f"error: the PDF build failed after {seconds:.0f} s (its log: {OUT / '_build' / 'latex'})",
            file=sys.stderr,
        )
        return 1
    PUBLISHED.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(PDF, PUBLISHED)
    print(
        f"PDF: {page_count(PDF)} pages, {PDF.stat().st_size / 2**20:.1f} MiB, built in {seconds:.0f} s; "
        f"copied to {PUBLISHED.relative_to(ROOT)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
