"""Every chapter can be launched on Binder and Colab, and runs there.

* The built pages carry launch buttons with the exact Binder and Colab URLs of their
  notebook in the book's repository and branch (the built-HTML check is skipped locally
  without a build, and fails in CI).
* binder/ installs the same versions as requirements.txt, with the CPU build of torch,
  and everything the notebooks import.
* Every notebook of _toc.yml starts with the Colab cell of tools/colab_cell.py, which
  installs rnnbook on Colab and does nothing anywhere else.
"""

import ast
import json
import re
import subprocess
import sys
import tomllib
import types

import pytest
import yaml
from _built_book import ROOT, require_built_book, toc_notebooks

sys.path.insert(0, str(ROOT / "tools"))
import colab_cell  # noqa: E402

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
REPOSITORY = PYPROJECT["project"]["urls"]["Repository"]  # https://github.com/OWNER/NAME
BRANCH = "main"
NOTEBOOKS = toc_notebooks()
# Import name -> distribution name, where they differ.
DISTRIBUTION = {"sklearn": "scikit-learn", "myst_nb": "myst-nb", "IPython": "ipython"}


def notebook_id(path):
    return path.relative_to(ROOT).as_posix()


def pins(path):
    """{distribution name (lower case): version} of the `name==version` lines of a requirements file."""
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==(\S+)", line)
        if match:
            found[match.group(1).lower().replace("_", "-")] = match.group(3)
    return found


def test_config_points_at_the_repository():
    repository = CONFIG["repository"]
    assert repository["url"] == REPOSITORY
    assert repository["branch"] == BRANCH
    assert repository.get("path_to_book", "") == ""
    assert CONFIG["launch_buttons"]["binderhub_url"] == "https://mybinder.org"
    assert CONFIG["launch_buttons"]["colab_url"] == "https://colab.research.google.com"
    assert colab_cell.REPOSITORY == REPOSITORY and colab_cell.BRANCH == BRANCH


def test_every_chapter_is_a_notebook():
    assert len(NOTEBOOKS) >= 10, (
        f"only {len(NOTEBOOKS)} notebooks found through _toc.yml"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_launch_buttons_point_at_the_notebook(path):
    html = require_built_book()
    page = html / path.relative_to(ROOT).with_suffix(".html")
    assert page.is_file(), f"{page} was not built"
    text = page.read_text(encoding="utf-8")
    owner_name = REPOSITORY.removeprefix("https://github.com/")
    notebook = path.relative_to(ROOT).as_posix()
    binder = (
        f"https://mybinder.org/v2/gh/{owner_name}/{BRANCH}?urlpath=lab/tree/{notebook}"
    )
    colab = f"https://colab.research.google.com/github/{owner_name}/blob/{BRANCH}/{notebook}"
    hrefs = set(re.findall(r'href="([^"]+)"', text))
    assert binder in hrefs, f"no Binder launch link {binder} in {page.name}"
    assert colab in hrefs, f"no Colab launch link {colab} in {page.name}"


def test_binder_pins_agree_with_requirements():
    binder = pins(ROOT / "binder" / "requirements.txt")
    main = pins(ROOT / "requirements.txt")
    assert binder, "binder/requirements.txt pins nothing"
    torch = binder.pop("torch")
    assert torch == f"{main['torch']}+cpu", (
        f"binder torch {torch} is not the CPU build of {main['torch']}"
    )
    disagree = {
        name: (version, main.get(name))
        for name, version in binder.items()
        if main.get(name) != version
    }
    assert not disagree, (
        f"binder pins that differ from requirements.txt (binder, main): {disagree}"
    )


def test_binder_uses_the_cpu_wheels_python_and_installs_rnnbook():
    text = (ROOT / "binder" / "requirements.txt").read_text(encoding="utf-8")
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in text.splitlines()
    assert (ROOT / "binder" / "runtime.txt").read_text(
        encoding="utf-8"
    ).strip() == "python-3.11"
    post_build = ROOT / "binder" / "postBuild"
    assert post_build.stat().st_mode & 0o111, "binder/postBuild must be executable"
    extras = set(PYPROJECT["project"]["optional-dependencies"])
    match = re.search(
        r'pip install .*-e "\.\[([a-z,]+)\]"', post_build.read_text(encoding="utf-8")
    )
    assert match, "binder/postBuild does not install rnnbook (-e .[extras])"
    assert set(match.group(1).split(",")) == extras, (
        f"install rnnbook with all its extras {extras}"
    )


def notebook_imports(path):
    """Top-level module names imported by the notebook's code cells (magics skipped)."""
    names = set()
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "\n".join(
            line
            for line in "".join(cell["source"]).splitlines()
            if not line.lstrip().startswith(("%", "!"))
        )
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names


def test_binder_installs_everything_the_notebooks_import():
    binder = set(pins(ROOT / "binder" / "requirements.txt")) | {"rnnbook"}
    # Packages of the repository itself (benchmarks/): Binder runs in a clone of it.
    binder |= {path.name for path in ROOT.iterdir() if (path / "__init__.py").is_file()}
    third_party = set()
    for path in NOTEBOOKS:
        for name in notebook_imports(path) - set(sys.stdlib_module_names):
            third_party.add(DISTRIBUTION.get(name, name).lower())
    # google.colab only on Colab (the first cell); IPython comes with Binder's Jupyter.
    missing = sorted(third_party - binder - {"google", "ipython"})
    assert not missing, (
        f"notebooks import packages that binder/requirements.txt does not install: {missing}"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_first_cell_is_the_colab_cell(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    first_code = next(cell for cell in notebook["cells"] if cell["cell_type"] == "code")
    assert notebook["cells"][0] is first_code and colab_cell.has_current_cell(
        notebook
    ), (
        f"{notebook_id(path)} does not start with the current Colab cell: run "
        "`python tools/colab_cell.py` and re-execute the notebook (tools/execute_notebooks.py)"
    )
    assert not first_code.get("outputs"), (
        "the Colab cell must print nothing outside Colab"
    )


def run_colab_cell(on_colab):
    """Execute the cell's source with subprocess.run, os.chdir and sys.path recorded; return the calls."""
    calls = []
    fake_modules = dict(sys.modules)
    if on_colab:
        fake_modules["google.colab"] = types.ModuleType("google.colab")
    else:
        fake_modules.pop("google.colab", None)
    fake_sys = types.SimpleNamespace(
        modules=fake_modules, executable=sys.executable, path=[]
    )
    fake_subprocess = types.SimpleNamespace(
        run=lambda *args, **kwargs: calls.append(("run", args, kwargs))
    )
    fake_os = types.SimpleNamespace(
        chdir=lambda path: calls.append(("chdir", path)),
        path=types.SimpleNamespace(exists=lambda path: False),
    )
    real_import = (
        __builtins__["__import__"]
        if isinstance(__builtins__, dict)
        else __builtins__.__import__
    )

    def fake_import(name, *args, **kwargs):
        return {"sys": fake_sys, "subprocess": fake_subprocess, "os": fake_os}.get(
            name
        ) or real_import(name, *args, **kwargs)

    builtins = dict(
        __builtins__ if isinstance(__builtins__, dict) else vars(__builtins__)
    )
    builtins["__import__"] = fake_import
    exec(compile(colab_cell.SOURCE, "<colab cell>", "exec"), {"__builtins__": builtins})
    if fake_sys.path:
        calls.append(("sys.path", fake_sys.path))
    return calls


def test_colab_cell_does_nothing_outside_colab(capfd):
    assert run_colab_cell(on_colab=False) == []
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_colab_cell_installs_rnnbook_on_colab():
    calls = run_colab_cell(on_colab=True)
    assert [c[0] for c in calls] == ["run", "run", "chdir", "sys.path"]
    (clone,), kwargs = calls[0][1:]
    assert clone[:2] == ["git", "clone"] and clone[-2:] == [
        REPOSITORY,
        colab_cell.CLONE,
    ]
    assert clone[clone.index("--branch") + 1] == BRANCH and kwargs == {"check": True}
    (install,), kwargs = calls[1][1:]
    assert install[:4] == [sys.executable, "-m", "pip", "install"] and kwargs == {
        "check": True
    }
    extras = ",".join(sorted(PYPROJECT["project"]["optional-dependencies"]))
    assert f"{colab_cell.CLONE}[{extras}]" in install
    myst_nb = pins(ROOT / "requirements.txt")["myst-nb"]
    assert f"myst-nb=={myst_nb}" in install
    assert calls[2] == ("chdir", f"{colab_cell.CLONE}/book")
    assert calls[3] == ("sys.path", [colab_cell.CLONE])


def test_colab_cell_tool_is_idempotent(tmp_path):
    source = NOTEBOOKS[-1]
    copy = tmp_path / source.name
    copy.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    colab_cell.add_cell(copy)
    once = copy.read_text(encoding="utf-8")
    assert colab_cell.add_cell(copy) is False
    assert copy.read_text(encoding="utf-8") == once
    cells = json.loads(once)["cells"]
    assert sum(colab_cell.is_colab_cell(cell) for cell in cells) == 1
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "colab_cell.py"), "--check", str(copy)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
