"""tools/check_reproducible.py: its environments, the parsing of nbval's report, and its table."""

import pathlib

import pytest

from tools import check_reproducible as cr

REPORT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="4">
<testcase classname="book.deep_rnns.ipynb" name="Cell 3"><failure message="Cell outputs differ">x</failure></testcase>
<testcase classname="book.deep_rnns.ipynb" name="Cell 4"/>
<testcase classname="book.deep_rnns.ipynb" name="Cell 5"><failure message="Cell outputs differ">y</failure></testcase>
<testcase classname="book.lstm.ipynb" name="Cell 1"><error message="kernel died">z</error></testcase>
</testsuite></testsuites>
"""


def test_failed_cells_from_a_junit_report(tmp_path):
    path = tmp_path / "report.xml"
    path.write_text(REPORT)
    assert cr.failed_cells(path) == {
        "book/deep_rnns.ipynb": ["3", "5"],
        "book/lstm.ipynb": ["1"],
    }


def test_notebook_seconds_sum_the_cells(tmp_path):
    path = tmp_path / "report.xml"
    path.write_text(
        REPORT.replace('name="Cell 3"', 'name="Cell 3" time="1.5"')
        .replace('name="Cell 4"', 'name="Cell 4" time="2.0"')
        .replace('name="Cell 1"', 'name="Cell 1" time="0.25"')
    )
    assert cr.notebook_seconds(path) == {
        "book/deep_rnns.ipynb": 3.5,
        "book/lstm.ipynb": 0.25,
    }


def test_table_counts_cells_per_notebook_and_environment():
    root = cr.ROOT
    notebooks = [root / "book" / "deep_rnns.ipynb", root / "book" / "lstm.ipynb"]
    results = {"default": {}, "threads-2": {"book/deep_rnns.ipynb": ["3", "5"]}}
    table = cr.table(results, notebooks, ["default", "threads-2"]).splitlines()
    assert table[0] == "| notebook | default | threads-2 |"
    assert table[2] == "| deep_rnns | 0 | 2 |" and table[3] == "| lstm | 0 | 0 |"
    assert table[-1] == "| **total** | 0 | 2 |"


def test_environments():
    names = [e.name for e in cr.ENVIRONMENTS]
    assert len(names) == len(set(names))
    assert set(cr.DEFAULT_ENVS) <= set(names)
    with pytest.raises(ValueError, match="unknown environment 'avx9'"):
        cr.environment("avx9")
    perturbed = cr.environment("perturbed")
    # CI's environment changes every knob at once, with instructions any x86-64 CPU with AVX2 has.
    assert {
        "ATEN_CPU_CAPABILITY",
        "MKL_CBWR",
        "OPENBLAS_CORETYPE",
        "OMP_NUM_THREADS",
    } <= set(perturbed.variables)
    assert cr.runnable(perturbed, {"avx", "avx2", "sse2"}) and not cr.runnable(
        perturbed, {"avx", "sse2"}
    )
    assert not cr.runnable(cr.environment("aten-avx512"), {"avx2"})
    # every environment with two threads in its pools lets idle threads sleep (no spinning)
    for env in cr.ENVIRONMENTS:
        if env.variables.get("OMP_NUM_THREADS", "1") != "1":
            assert env.variables.get("OMP_WAIT_POLICY") == "PASSIVE", env.name


def test_thread_variables_reach_the_kernel(monkeypatch):
    """The kernel environment only supplies defaults, so a perturbed thread count is not overridden."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "root_conftest", cr.ROOT / "conftest.py"
    )
    conftest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conftest)
    env = conftest.kernel_environment({"OMP_NUM_THREADS": "2", "OTHER": "x"})
    assert (
        env["OMP_NUM_THREADS"] == "2"
        and env["PYTHONHASHSEED"] == "0"
        and env["OTHER"] == "x"
    )
    assert conftest.kernel_environment({})["OMP_NUM_THREADS"] == "1"


def test_list_runs(capsys):
    assert cr.main(["--list"]) == 0
    out = capsys.readouterr().out
    assert "perturbed" in out and "OPENBLAS_CORETYPE=Sandybridge" in out


def test_bad_arguments(capsys):
    with pytest.raises(SystemExit):
        cr.main(["--envs", "nope"])
    assert "unknown environment 'nope'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cr.main([str(pathlib.Path("book") / "missing.ipynb"), "--envs", "default"])
