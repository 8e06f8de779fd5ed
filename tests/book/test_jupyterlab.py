"""Running the chapters locally: README's JupyterLab command serves every chapter, offline.

A Jupyter server is started headless on 127.0.0.1 with the repository's jupyter_lab_config.py
(no news feed, no update check, no PyPI queries), as README's command starts it. Its contents
API must list every notebook of _toc.yml, and JupyterLab must open a chapter in Chromium with
no request leaving localhost, no console error, and the notebook's cells rendered.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from _built_book import ROOT, chromium_path, toc_notebooks, unavailable, watch_offline

TOKEN = "rnnbook-test-token"
CHAPTER = "book/deep_rnns.ipynb"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def jupyter():
    jupyter = Path(sys.executable).with_name("jupyter")
    if (
        not jupyter.exists()
        or shutil.which("jupyter-lab", path=str(jupyter.parent)) is None
    ):
        unavailable(
            "JupyterLab is not installed in this environment (requirements.txt pins it)"
        )
    port = _free_port()
    command = [
        str(jupyter),
        "lab",
        f"--config={ROOT / 'jupyter_lab_config.py'}",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={TOKEN}",
        f"--ServerApp.root_dir={ROOT}",
    ]
    if (
        os.geteuid() == 0
    ):  # CI containers run as root, which Jupyter refuses unless told
        command.append("--allow-root")
    proc = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            _get(f"{base}/api/status?token={TOKEN}")
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                output = proc.stdout.read() if proc.stdout else ""
                pytest.fail(f"the Jupyter server did not start:\n{output[-3000:]}")
            time.sleep(0.5)
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_contents_api_lists_every_chapter(jupyter):
    listing = _get(f"{jupyter}/api/contents/book?token={TOKEN}")
    served = {item["name"] for item in listing["content"] if item["type"] == "notebook"}
    chapters = {path.name for path in toc_notebooks()}
    assert chapters and chapters <= served, f"not served: {sorted(chapters - served)}"
    kernels = _get(f"{jupyter}/api/kernelspecs?token={TOKEN}")
    assert kernels["default"] == "python3"
    argv0 = kernels["kernelspecs"]["python3"]["spec"]["argv"][0]
    assert (
        Path(argv0).resolve() == Path(sys.executable).resolve() or argv0 == "python"
    ), argv0


def test_jupyterlab_opens_a_chapter_offline(jupyter):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright for Python is not installed (requirements.txt pins it)")
    executable = chromium_path()
    if executable is None:
        unavailable(
            "Chromium is not installed (apt-get install chromium; .ci/run does it)"
        )
    expected_cells = len(
        json.loads((ROOT / CHAPTER).read_text(encoding="utf-8"))["cells"]
    )
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True)
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        tab = context.new_page()
        watch_offline(context, tab, problems)
        try:
            tab.goto(
                f"{jupyter}/lab/tree/{CHAPTER}?token={TOKEN}",
                wait_until="load",
                timeout=90_000,
            )
            tab.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=90_000)
            # JupyterLab renders cells lazily as they scroll into view; count the cell widgets.
            tab.wait_for_function(
                f"() => document.querySelectorAll('.jp-NotebookPanel .jp-Cell').length >= "
                f"{expected_cells}",
                timeout=60_000,
            )
            rendered = tab.evaluate(
                "() => document.querySelectorAll('.jp-NotebookPanel .jp-Cell').length"
            )
            heading = tab.evaluate(
                "() => { const h = document.querySelector('.jp-NotebookPanel h1');"
                " return h ? h.textContent : null; }"
            )
            shots = ROOT / "_build" / "screenshots"
            shots.mkdir(parents=True, exist_ok=True)
            tab.screenshot(path=str(shots / "jupyterlab_deep_rnns.png"))
        finally:
            context.close()
            browser.close()
    assert not problems, "\n".join(problems)
    assert rendered >= expected_cells
    assert heading and "Deep" in heading, heading
