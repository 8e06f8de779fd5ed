"""Each implementation against its own floor: how close a training step comes to its matrix products.

A backend's *floor* is the time of the matrix products its training step must make, and nothing
else (:func:`benchmarks.core.matmul_only_step`): ``matmuls only (NumPy)`` for :mod:`rnnbook.numpy`
and for the CS231n-style peer (:mod:`benchmarks.peer`), ``matmuls only (torch.mm)`` for
:mod:`rnnbook.torch`. The ratio ``time / floor``, both measured in the same run, on the same
machine, in the same process, a moment apart, is what this module reports: everything above 1 is
element-wise work, memory traffic and Python overhead, the part of a step that is ours to remove.
Unlike a ratio to ``torch.nn``, which moves with the processor and with load (oneDNN's fused LSTM
on one machine, ATen's loop on another), the floor ratio compares an implementation with the same
library calls it makes itself.

Measured for the RNN, LSTM and GRU, forward plus backward, at two sizes:

* ``main`` (N=32, T=100, d_x=128, d_h=256, float32), where the products dominate; target 1.15;
* ``small`` (N=8, T=100, d_x=32, d_h=64), where per-step overhead dominates; target 1.5;

with one thread and with the machine's thread count (BLAS threads set with threadpoolctl, torch's
with ``torch.set_num_threads``). The peer row (LSTM only) gives the peer's time over
rnnbook.numpy's: the issue asks for at least 1.5 with one thread.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import torch
from threadpoolctl import threadpool_limits

from . import core
from .core import PEER

#: ``(N, T, d_x, d_h)`` of the two sizes of the floor measurement.
FLOOR_SIZES = {"main": (32, 100, 128, 256), "small": (8, 100, 32, 64)}
QUICK_FLOOR_SIZES = {"main": (3, 6, 4, 8), "small": (2, 4, 3, 5)}

#: Each implementation and the floor it is measured against.
OWN_FLOOR = {
    core.RNNBOOK_NUMPY: core.MATMULS_NUMPY,
    core.RNNBOOK_TORCH: core.MATMULS_TORCH,
    PEER: core.MATMULS_NUMPY,
}
#: The largest allowed ratio to the floor, per size.
FLOOR_TARGETS = {"main": 1.15, "small": 1.5}
#: The peer's time over rnnbook.numpy's, single-threaded, at least this (LSTM, both sizes).
PEER_TARGET = 1.5


def thread_counts() -> tuple[int, ...]:
    """One thread, and the machine's (``os.cpu_count()``) if that is more."""
    n = os.cpu_count() or 1
    return (1, n) if n > 1 else (1,)


def _implementations(cell: str) -> tuple[str, ...]:
    impls = (
        core.RNNBOOK_NUMPY,
        core.MATMULS_NUMPY,
        core.RNNBOOK_TORCH,
        core.MATMULS_TORCH,
    )
    return impls + ((PEER,) if cell == "LSTM" else ())


def floor_rows(times: Mapping[str, list[float]], **fields: Any) -> list[dict[str, Any]]:
    """One row per implementation with a floor: its times, its floor's, and the two ratios."""
    rows = []
    for impl, floor in OWN_FLOOR.items():
        if impl not in times:
            continue
        mine, base = core.summarize(times[impl]), core.summarize(times[floor])
        rows.append(
            {
                **fields,
                "impl": impl,
                "floor": floor,
                **mine,
                "floor_min_s": base["min_s"],
                "floor_median_s": base["median_s"],
                "ratio_min": mine["min_s"] / base["min_s"],
                "ratio_median": mine["median_s"] / base["median_s"],
                "repeats": len(times[impl]),
            }
        )
    return rows


def run_floors(
    sizes: Mapping[str, tuple[int, int, int, int]] = FLOOR_SIZES,
    threads: Iterable[int] | None = None,
    cells: Iterable[str] = core.CELLS,
    repeats: int = 20,
    log: Callable[[str], Any] = print,
) -> list[dict[str, Any]]:
    """Floor ratios of every implementation, cell, size and thread count (see the module docstring)."""
    rows: list[dict[str, Any]] = []
    before = torch.get_num_threads()
    try:
        for n in thread_counts() if threads is None else tuple(threads):
            torch.set_num_threads(n)
            with threadpool_limits(limits=n):
                for label, (N, T, d_x, d_h) in sizes.items():
                    for cell in cells:
                        steps = core.make_steps(
                            cell, N, T, d_x, d_h, _implementations(cell)
                        )
                        new = floor_rows(
                            core.time_steps(steps, repeats),
                            threads=n,
                            size=label,
                            cell=cell,
                            N=N,
                            T=T,
                            d_x=d_x,
                            d_h=d_h,
                        )
                        rows += new
                        log(
                            f"  {n} thread(s) {label:5s} {cell:4s} "
                            + "  ".join(
                                f"{r['impl']} {r['ratio_min']:.2f}x floor" for r in new
                            )
                        )
    finally:
        torch.set_num_threads(before)
    return rows


def peer_ratios(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per thread count and size: the peer's time over rnnbook.numpy's LSTM (min and median)."""
    rows = list(rows)
    out = []
    for r in rows:
        if r["impl"] != PEER:
            continue
        ours = next(
            o
            for o in rows
            if o["impl"] == core.RNNBOOK_NUMPY
            and o["cell"] == "LSTM"
            and o["threads"] == r["threads"]
            and o["size"] == r["size"]
        )
        out.append(
            {
                "threads": r["threads"],
                "size": r["size"],
                "speedup_min": r["min_s"] / ours["min_s"],
                "speedup_median": r["median_s"] / ours["median_s"],
            }
        )
    return out


def check_floor_targets(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every rnnbook row against :data:`FLOOR_TARGETS`, and the peer against :data:`PEER_TARGET`."""
    rows = list(rows)
    out = [
        {
            "what": f"{r['impl']} {r['cell']}",
            "threads": r["threads"],
            "size": r["size"],
            "limit": FLOOR_TARGETS[r["size"]],
            "value": r["ratio_min"],
            "met": bool(r["ratio_min"] <= FLOOR_TARGETS[r["size"]]),
        }
        for r in rows
        if r["impl"] in (core.RNNBOOK_NUMPY, core.RNNBOOK_TORCH)
        and r["size"] in FLOOR_TARGETS
    ]
    out += [
        {
            "what": "peer / rnnbook.numpy LSTM",
            "threads": p["threads"],
            "size": p["size"],
            "limit": PEER_TARGET,
            "value": p["speedup_min"],
            "met": bool(p["speedup_min"] >= PEER_TARGET),
        }
        for p in peer_ratios(rows)
        if p["threads"] == 1
    ]
    return out
