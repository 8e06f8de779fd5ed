"""Re-execute the book's notebooks in place, each top to bottom in a fresh kernel.

Usage (from the repository root, with the project's virtualenv):

    .venv/bin/python tools/execute_notebooks.py [NOTEBOOK ...] [--check-time SECONDS]

With no NOTEBOOK, every notebook in _toc.yml is run, in the book's order. Each one runs
in a new "python3" kernel (this interpreter's ipykernel) whose working directory is the
notebook's folder, with conftest.py's kernel_environment() (PYTHONHASHSEED=0 and
OMP_NUM_THREADS=1 unless the environment sets them, as nbval's kernels get) and a 600 s limit per cell. Its outputs and
execution counts (1, 2, 3, ...) are written back into the file; the notebook and cell
metadata are kept. A notebook in which a cell raises (or times out, or kills the
kernel) is not written, and the command exits 1 once the others have run. With
--check-time it also exits 1 when a notebook took longer than SECONDS. Commit the
re-executed notebooks: nbval (python -m pytest) compares every cell against these
stored outputs.
"""

import argparse
import datetime
import os
import pathlib
import resource
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from conftest import kernel_environment  # noqa: E402  (the same kernel environment as nbval's)
from tools.toc import toc_notebooks  # noqa: E402

CELL_TIMEOUT_S = 600


def execute(path):
    """Run one notebook in a fresh kernel; write it back unless a cell failed.

    Returns an error message, or None on success.
    """
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        # nbclient leaves blank code cells alone: drop any stale count or output there.
        if cell.cell_type == "code" and not cell.source.strip():
            cell.execution_count = None
            cell.outputs = []
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},  # the kernel's cwd
        record_timing=True,  # read below for the slowest cells, then removed
    )
    try:
        client.execute(env=kernel_environment())
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as error:
        return str(error)
    counts = [
        cell.execution_count
        for cell in nb.cells
        if cell.cell_type == "code" and cell.source.strip()
    ]
    if counts != list(range(1, len(counts) + 1)):
        # e.g. a cell tagged skip-execution: nbval would still run it.
        return f"execution counts {counts} are not 1, 2, 3, ..."
    slow = []
    for number, cell in enumerate(nb.cells):
        timing = cell.get("metadata", {}).pop(
            "execution", None
        )  # not in the committed file
        if (
            timing
            and "iopub.execute_input" in timing
            and "shell.execute_reply" in timing
        ):
            began, ended = (
                datetime.datetime.fromisoformat(timing[key].replace("Z", "+00:00"))
                for key in ("iopub.execute_input", "shell.execute_reply")
            )
            slow.append(((ended - began).total_seconds(), number))
    nbformat.write(nb, path)
    slowest = ", ".join(
        f"cell {number} {secs:.0f} s" for secs, number in sorted(slow, reverse=True)[:6]
    )
    print(f"{os.path.relpath(path)}: slowest cells: {slowest}", flush=True)
    return None


def _children_cpu_seconds():
    """User + system CPU time of this process's finished children (the kernels and the processes they
    waited for): unlike wall time, it does not grow when other programs share the machine."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "notebooks",
        nargs="*",
        type=pathlib.Path,
        metavar="NOTEBOOK",
        help="notebooks to run (default: all in _toc.yml, in order)",
    )
    parser.add_argument(
        "--check-time",
        type=float,
        metavar="SECONDS",
        help="fail if any notebook takes longer than SECONDS",
    )
    args = parser.parse_args()

    notebooks = [path.resolve() for path in args.notebooks] or toc_notebooks()
    if not notebooks:
        parser.error("no notebooks given and none found in _toc.yml")
    missing = [str(path) for path in notebooks if not path.is_file()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)}")
    failed, too_slow = [], []
    start_all = time.perf_counter()
    for path in notebooks:
        name = os.path.relpath(path)
        # Own lines: the kernel's log messages (stderr) may appear in between.
        print(f"{name}: running", flush=True)
        start, cpu_start = time.perf_counter(), _children_cpu_seconds()
        error = execute(path)
        seconds = time.perf_counter() - start
        cpu = _children_cpu_seconds() - cpu_start
        if error:
            failed.append(name)
            print(f"{name}: FAILED after {seconds:.1f} s (not written)\n{error}")
            continue
        print(
            f"{name}: {seconds:.1f} s ({cpu:.1f} s of CPU in the kernel and its workers)"
        )
        if args.check_time is not None and seconds > args.check_time:
            too_slow.append(name)
    print(
        f"total {time.perf_counter() - start_all:.1f} s for {len(notebooks)} notebooks"
    )
    if failed:
        print(f"cell errors in: {', '.join(failed)}")
    if too_slow:
        print(f"longer than {args.check_time:g} s: {', '.join(too_slow)}")
    return 1 if failed or too_slow else 0


if __name__ == "__main__":
    sys.exit(main())
