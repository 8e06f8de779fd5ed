"""Where a training step spends its time: ``python -m benchmarks.profile CELL IMPLEMENTATION``.

Profiles the same training step that :mod:`benchmarks.run` times (same sizes, weights and input):
``rnnbook.numpy`` with the standard library's ``cProfile`` (time per Python function, so the
step functions, the activations and NumPy's own wrappers show up by name), and ``rnnbook.torch``,
``torch.nn`` or a floor with ``torch.profiler`` (time per ATen operator: ``aten::mm``,
``aten::tanh``, autograd's backward nodes). A first, untimed call warms up caches and
allocations. Examples, from the repository root::

    .venv/bin/python -m benchmarks.profile LSTM rnnbook.numpy
    .venv/bin/python -m benchmarks.profile LSTM rnnbook.torch --calls 10 --rows 25

Profilers slow what they watch (``cProfile`` adds a fixed cost to every Python call), so read
the shares, not the absolute times; the benchmark's timings come from :mod:`benchmarks.run`.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
from typing import Any

from benchmarks import core


def profile_step(
    cell: str,
    impl: str,
    size: tuple[int, int, int, int] = core.SIZES["main"],
    calls: int = 5,
    rows: int = 15,
) -> str:
    """The profile of ``calls`` training steps of ``impl``'s ``cell`` at ``size`` = ``(N, T, d_x, d_h)``, as text."""
    import torch

    step = core.make_steps(cell, *size, implementations=(impl,))[impl]
    step()  # warm-up

    def run() -> Any:
        for _ in range(calls):
            step()

    if impl == core.RNNBOOK_NUMPY or impl == core.MATMULS_NUMPY:
        profiler = cProfile.Profile()
        profiler.runcall(run)
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(rows)
        return out.getvalue()
    with torch.profiler.profile(
        activities=[torch.profiler.ProfilerActivity.CPU]
    ) as prof:
        run()
    return prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.profile", description=__doc__.splitlines()[0]
    )
    parser.add_argument("cell", choices=core.CELLS)
    parser.add_argument("implementation", choices=core.MEASURED)
    parser.add_argument(
        "--size",
        choices=sorted(core.SIZES),
        default="main",
        help="one of the benchmark's sizes (default main)",
    )
    parser.add_argument(
        "--calls", type=int, default=5, help="profiled training steps (default 5)"
    )
    parser.add_argument(
        "--rows",
        type=int,
        default=15,
        help="lines of the profile to print (default 15)",
    )
    args = parser.parse_args(argv)
    if args.calls < 1 or args.rows < 1:
        parser.error("--calls and --rows must be >= 1")
    N, T, d_x, d_h = core.SIZES[args.size]
    print(
        f"{args.implementation} {args.cell}, N={N}, T={T}, d_x={d_x}, d_h={d_h}: {args.calls} training steps"
    )
    print(
        profile_step(
            args.cell, args.implementation, core.SIZES[args.size], args.calls, args.rows
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
