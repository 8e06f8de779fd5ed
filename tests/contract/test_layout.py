"""The package's layout: imports flow one way between its groups, and no private name crosses modules.

Groups, in order (see ``rnnbook/__init__.py``): data, models, training, analysis, then the book's
helpers, figures and command line. A module may import from its own group and from earlier ones,
never from a later one; the check reads every import statement, including those inside
functions, so a lazy import cannot hide a backwards dependency.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "rnnbook"

GROUPS = [
    ("data", ("rnnbook._shapes", "rnnbook._cells", "rnnbook._decode", "rnnbook.data")),
    ("models", ("rnnbook.numpy", "rnnbook.torch", "rnnbook.init")),
    ("training", ("rnnbook.training",)),
    ("analysis", ("rnnbook.analysis",)),
    (
        "book",
        ("rnnbook.book", "rnnbook.viz", "rnnbook.cli", "rnnbook.__main__", "rnnbook"),
    ),
]


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _group(module: str) -> int:
    best, best_len = None, -1
    for index, (_, prefixes) in enumerate(GROUPS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(
                prefix
            ) > best_len:
                best, best_len = index, len(prefix)
    assert best is not None, f"{module} belongs to no group: add it to GROUPS"
    return best


def _imports(path: Path) -> list[tuple[str, list[str], int]]:
    """(absolute module, imported names, line) for every import of an rnnbook module in ``path``."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [a.name for a in node.names]
            if not node.module and node.level:  # from . import x: x is a module
                for name in names:
                    out.append((f"{target}.{name}", [], node.lineno))
                continue
            out.append((target, names, node.lineno))
        elif isinstance(node, ast.Import):
            out.extend((a.name, [], node.lineno) for a in node.names)
    return [(t, n, line) for t, n, line in out if t.split(".")[0] == "rnnbook"]


MODULES = sorted(ROOT.rglob("*.py"))


def test_every_module_belongs_to_a_group():
    assert len(MODULES) > 40
    for path in MODULES:
        _group(_module_name(path))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: _module_name(p))
def test_imports_flow_one_way(path):
    module = _module_name(path)
    own = _group(module)
    for target, _, line in _imports(path):
        assert _group(target) <= own, (
            f"{module} (group {GROUPS[own][0]}) imports {target} (group "
            f"{GROUPS[_group(target)][0]}) at line {line}: imports must flow from data to "
            "models, training, analysis and the book, never back"
        )


@pytest.mark.parametrize("path", MODULES, ids=lambda p: _module_name(p))
def test_no_private_name_crosses_modules(path):
    """``from other_module import _private`` is refused; private modules (``rnnbook._shapes``)
    are shared on purpose and export public names."""
    module = _module_name(path)
    for target, names, line in _imports(path):
        private = [n for n in names if n.startswith("_") and target != module]
        assert not private, (
            f"{module} imports private {private} from {target} (line {line})"
        )


def test_the_numpy_backend_and_the_language_model_loop_need_no_torch():
    """``import rnnbook.numpy`` needs only NumPy (README), and so do the data, the
    language-model loop, its scores and checkpoints, which serve the NumPy backend too."""
    code = (
        "import sys\n"
        "import rnnbook.numpy, rnnbook.data.text, rnnbook.data.synthetic\n"
        "import rnnbook.training.lm, rnnbook.training.metrics, rnnbook.training.checkpoint\n"
        "import rnnbook.analysis.language, rnnbook.book.exercises\n"
        "assert 'torch' not in sys.modules, sorted(m for m in sys.modules if 'torch' in m)\n"
    )
    import subprocess

    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT.parent
    )
    assert done.returncode == 0, done.stderr
