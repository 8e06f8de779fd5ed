"""Re-run the book's notebooks under perturbed numeric environments and report every cell
whose output differs from the committed one.

Usage (from the repository root, with the project's virtualenv):

    .venv/bin/python tools/check_reproducible.py [NOTEBOOK ...] [--envs NAME,...] [--jobs N]
    .venv/bin/python tools/check_reproducible.py --list        # the environments and what they set

The committed outputs must not depend on the machine: not on the CPU vendor, the vector
width that PyTorch's kernels use, the BLAS kernel family, or the thread count. Each
environment below changes one of those through a documented variable, so a single machine
can see what another would: a cell that differs under any of them would differ on some
reader's machine. Each environment runs ``pytest --nbval`` (strict, with the project's
sanitizers: exactly the comparison of ``python -m pytest``) in a fresh process whose
environment carries the variables, over the given notebooks (default: every chapter of
_toc.yml).

The report is a table, notebook x environment, of the number of cells that differ (0
everywhere is a pass), followed by the cells. Exit status 1 if any cell differs or a run
fails to start. Environments that the CPU cannot run (AVX-512 kernels without AVX-512) are
left out and named.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import pathlib
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tools.toc import toc_notebooks  # noqa: E402

#: Thread-count variables: OpenMP (PyTorch's intra-op pool, MKL) and OpenBLAS (NumPy).
THREADS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
#: With two threads in each of the worker processes that fill the cores, OpenMP's idle threads
#: spin and take the cores from the busy ones (a training loop: 5 s alone, 17 s beside a second
#: one); passive waiting brings it back to 5 s. It changes when threads sleep, not what they compute.
PASSIVE = {"OMP_WAIT_POLICY": "PASSIVE"}


@dataclass(frozen=True)
class Environment:
    """One numeric environment: variables added to the kernel's environment."""

    name: str
    variables: dict[str, str]
    what: str
    needs: tuple[str, ...] = field(
        default=()
    )  # CPU flags (from /proc/cpuinfo) it needs


ENVIRONMENTS = [
    Environment(
        "default", {}, "the pinned kernel environment (conftest.KERNEL_ENV) as it is"
    ),
    Environment(
        "aten-default",
        {"ATEN_CPU_CAPABILITY": "default"},
        "PyTorch's scalar (unvectorised) CPU kernels",
    ),
    Environment(
        "aten-avx2",
        {"ATEN_CPU_CAPABILITY": "avx2"},
        "PyTorch's AVX2 kernels",
        ("avx2",),
    ),
    Environment(
        "aten-avx512",
        {"ATEN_CPU_CAPABILITY": "avx512"},
        "PyTorch's AVX-512 kernels",
        ("avx512f", "avx512bw", "avx512vl", "avx512dq"),
    ),
    Environment(
        "mkl-avx2",
        {"MKL_CBWR": "AVX2"},
        "MKL's AVX2 code path (PyTorch's matmuls)",
        ("avx2",),
    ),
    Environment(
        "mkl-compatible",
        {"MKL_CBWR": "COMPATIBLE"},
        "MKL's conditional-reproducibility SSE2 path",
    ),
    Environment(
        "openblas-haswell",
        {"OPENBLAS_CORETYPE": "Haswell"},
        "OpenBLAS's Haswell (AVX2) kernels (NumPy's matmuls)",
        ("avx2", "fma"),
    ),
    Environment(
        "openblas-skylakex",
        {"OPENBLAS_CORETYPE": "SkylakeX"},
        "OpenBLAS's SkylakeX (AVX-512) kernels",
        ("avx512f", "avx512bw", "avx512vl"),
    ),
    Environment(
        "openblas-sandybridge",
        {"OPENBLAS_CORETYPE": "Sandybridge"},
        "OpenBLAS's Sandybridge (AVX) kernels",
        ("avx",),
    ),
    Environment(
        "threads-2",
        {**dict.fromkeys(THREADS, "2"), **PASSIVE},
        "two threads in every pool",
    ),
    Environment(
        "perturbed",
        {
            "ATEN_CPU_CAPABILITY": "default",
            "MKL_CBWR": "AVX2",
            "OPENBLAS_CORETYPE": "Sandybridge",
            **dict.fromkeys(THREADS, "2"),
            **PASSIVE,
        },
        "all at once: scalar PyTorch kernels, MKL's AVX2 path, OpenBLAS's AVX kernels, 2 threads "
        "(CI runs this one)",
        ("avx", "avx2"),
    ),
]

#: The environments run when --envs is not given.
DEFAULT_ENVS = (
    "default",
    "aten-default",
    "aten-avx2",
    "mkl-avx2",
    "openblas-haswell",
    "openblas-sandybridge",
    "threads-2",
)


def cpu_flags() -> set[str]:
    """The flags of the first processor in /proc/cpuinfo (empty where there is none)."""
    try:
        text = pathlib.Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def runnable(env: Environment, flags: set[str]) -> bool:
    return all(flag in flags for flag in env.needs)


def environment(name: str) -> Environment:
    """The environment called ``name``; ValueError naming the known ones otherwise."""
    for env in ENVIRONMENTS:
        if env.name == name:
            return env
    raise ValueError(
        f"unknown environment {name!r}; known: {', '.join(e.name for e in ENVIRONMENTS)}"
    )


def _notebook(case: ET.Element) -> str:
    """The notebook path of one of nbval's JUnit test cases: classname "book.gru.ipynb" -> "book/gru.ipynb"."""
    classname = case.get("classname", "")
    return classname.replace(".", "/", classname.count(".") - 1)


def failed_cells(junit_xml: pathlib.Path) -> dict[str, list[str]]:
    """{notebook: [cell, ...]} of every failed or errored test in a pytest JUnit report."""
    failures: dict[str, list[str]] = {}
    for case in ET.parse(junit_xml).getroot().iter("testcase"):
        if case.find("failure") is None and case.find("error") is None:
            continue
        # nbval's items are named "Cell 12".
        failures.setdefault(_notebook(case), []).append(
            case.get("name", "?").replace("Cell ", "")
        )
    return failures


def notebook_seconds(junit_xml: pathlib.Path) -> dict[str, float]:
    """{notebook: seconds its cells took} from a pytest JUnit report."""
    seconds: dict[str, float] = {}
    for case in ET.parse(junit_xml).getroot().iter("testcase"):
        notebook = _notebook(case)
        seconds[notebook] = seconds.get(notebook, 0.0) + float(case.get("time", 0.0))
    return seconds


LOGS = ROOT / "_build" / "reproducibility"  # one pytest log per environment


def run_environment(
    env: Environment, notebooks: list[pathlib.Path]
) -> tuple[dict[str, list[str]], float, str]:
    """Run nbval over ``notebooks`` under ``env``; the differing cells, seconds, and any error text."""
    with tempfile.TemporaryDirectory() as tmp:
        report = pathlib.Path(tmp) / "report.xml"
        command = [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--no-header",
            f"--junitxml={report}",
            *(str(p.relative_to(ROOT)) for p in notebooks),
        ]
        start = time.perf_counter()
        run = subprocess.run(
            command,
            cwd=ROOT,
            env={**os.environ, **env.variables},
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - start
        # nbval's report of each differing cell (what was stored, what came): read it to see
        # which digits moved.
        LOGS.mkdir(parents=True, exist_ok=True)
        (LOGS / f"{env.name}.log").write_text(run.stdout + run.stderr)
        if not report.exists():
            return {}, seconds, run.stdout[-2000:] + run.stderr[-2000:]
        (LOGS / f"{env.name}.xml").write_bytes(
            report.read_bytes()
        )  # with each cell's seconds
        per_notebook = ", ".join(
            f"{pathlib.Path(k).stem} {v:.0f} s"
            for k, v in notebook_seconds(report).items()
        )
        print(f"{env.name}: seconds per notebook: {per_notebook}", flush=True)
        return failed_cells(report), seconds, ""


def table(
    results: dict[str, dict[str, list[str]]],
    notebooks: list[pathlib.Path],
    envs: list[str],
) -> str:
    """A Markdown table: one row per notebook, one column per environment, differing cells."""
    names = [
        str(p.relative_to(ROOT / "book")).removesuffix(".ipynb") for p in notebooks
    ]
    lines = ["| notebook | " + " | ".join(envs) + " |", "|---" * (len(envs) + 1) + "|"]
    for path, name in zip(notebooks, names):
        key = str(path.relative_to(ROOT))
        lines.append(
            f"| {name} | "
            + " | ".join(str(len(results[e].get(key, []))) for e in envs)
            + " |"
        )
    totals = [sum(len(v) for v in results[e].values()) for e in envs]
    lines.append("| **total** | " + " | ".join(str(t) for t in totals) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "notebooks",
        nargs="*",
        type=pathlib.Path,
        metavar="NOTEBOOK",
        help="notebooks to check (default: every notebook of _toc.yml)",
    )
    parser.add_argument(
        "--envs",
        default=",".join(DEFAULT_ENVS),
        help="comma-separated environments (default: %(default)s); 'all' for every one",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="environments run at once (default 1; each is single-threaded unless it "
        "sets threads)",
    )
    parser.add_argument(
        "--list", action="store_true", help="list the environments and exit"
    )
    args = parser.parse_args(argv)

    flags = cpu_flags()
    if args.list:
        for env in ENVIRONMENTS:
            can = "" if runnable(env, flags) else "   (not on this CPU)"
            sets = " ".join(f"{k}={v}" for k, v in env.variables.items()) or "(nothing)"
            print(f"{env.name:22s} {env.what}{can}\n{'':22s} {sets}")
        return 0
    try:
        wanted = (
            [e.name for e in ENVIRONMENTS]
            if args.envs == "all"
            else args.envs.split(",")
        )
        envs = [environment(name.strip()) for name in wanted if name.strip()]
    except ValueError as error:
        parser.error(str(error))
    skipped = [e.name for e in envs if not runnable(e, flags)]
    envs = [e for e in envs if runnable(e, flags)]
    if skipped:
        print(f"not run (this CPU lacks their instructions): {', '.join(skipped)}")
    notebooks = [p.resolve() for p in args.notebooks] or toc_notebooks()
    missing = [str(p) for p in notebooks if not p.is_file()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)}")

    start = time.perf_counter()
    results: dict[str, dict[str, list[str]]] = {}
    errors: dict[str, str] = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {pool.submit(run_environment, env, notebooks): env for env in envs}
        for future in concurrent.futures.as_completed(futures):
            env = futures[future]
            results[env.name], seconds, error = future.result()
            if error:
                errors[env.name] = error
            n = sum(len(v) for v in results[env.name].values())
            print(
                f"{env.name}: {n} differing cells, {seconds:.0f} s (log: {LOGS.relative_to(ROOT) / (env.name + '.log')})"
                + (" (the run failed to start)" if error else ""),
                flush=True,
            )
    names = [e.name for e in envs]
    print()
    print(table(results, notebooks, names))
    for name in names:
        for notebook, cells in sorted(results[name].items()):
            print(f"{name}: {notebook}: cells {', '.join(cells)}")
    for name, error in errors.items():
        print(f"{name}: no report\n{error}")
    print(
        f"total {time.perf_counter() - start:.0f} s for {len(notebooks)} notebooks x {len(envs)} environments"
    )
    differing = any(cells for env in results.values() for cells in env.values())
    return 1 if differing or errors else 0


if __name__ == "__main__":
    sys.exit(main())
