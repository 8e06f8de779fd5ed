"""Command-line entry point: ``python -m benchmarks`` or ``python benchmarks/run.py`` (see the package docstring)."""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
import time
import warnings

ROOT = pathlib.Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "cpu.json"
PARTS = ("main", "scaling", "mingru", "gpu")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks",
                                     description="Time RNN/LSTM/GRU training steps of rnnbook against torch.nn.")
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS), help="what to measure (default: all)")
    parser.add_argument("--repeats", type=int, default=20, help="timed calls per implementation and size in the main table (default 20)")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch and BLAS threads (default: the machine's default, recorded in the results)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes and few repeats: checks the harness in seconds")
    parser.add_argument("--out", type=pathlib.Path, default=None,
                        help=f"JSON results file (default {DEFAULT_OUT.relative_to(ROOT)}; with --quick, none unless given)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.threads is not None:
        if args.threads < 1:
            raise SystemExit("--threads must be >= 1")
        # Before NumPy and torch load their thread pools.
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(args.threads)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import torch

    from benchmarks import core, report

    if args.threads is not None:
        torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore", message=".*TF32.*")  # torch.backends.mkldnn.flags warns about Intel GPUs

    quick = args.quick
    if quick:
        core.SETTLE_S = 0.0
    sizes = core.QUICK_SIZES if quick else core.SIZES
    repeats = 2 if quick else args.repeats
    start = time.perf_counter()
    results: dict = {"meta": {**core.machine_info(), "quick": quick, "repeats": repeats,
                              "command": "python -m benchmarks " + " ".join(argv if argv is not None else sys.argv[1:])}}
    print(f"threads: torch {results['meta']['torch_threads']}, cpu_count {results['meta']['cpu_count']}; "
          f"{results['meta']['cpu']}; torch {torch.__version__}", flush=True)
    main_shape = sizes["main"]
    N, _, _, d_h = main_shape
    step_shapes = [(N, d_h, core.GATES[c] * d_h) for c in ("LSTM", "GRU")]
    peak_kwargs = dict(size=64, repeats=2) if quick else dict(size=1024, repeats=10)
    results["peak"] = core.measure_peak(step_shapes, **peak_kwargs)
    print(f"float32 matmul peak: {results['peak']['peak_gflops']:.1f} GFLOP/s", flush=True)
    peak = results["peak"]["peak_gflops"]
    if "main" in args.parts:
        results["main"] = core.run_main(peak, sizes, repeats=repeats)
        results["targets"] = core.check_targets(results["main"])
    if "scaling" in args.parts:
        kwargs = dict(Ts=(4, 8), d_hs=(4, 8), repeats=2, base=main_shape) if quick else {}
        results["scaling"] = core.run_scaling(peak, **kwargs)
    if "mingru" in args.parts:
        kwargs = dict(Ts=(4, 16), N=2, d_x=3, d_h=4, repeats=2) if quick else {}
        results["mingru"] = core.run_mingru(**kwargs)
    if "gpu" in args.parts:
        results["gpu"] = core.run_gpu(sizes={"main": main_shape}, repeats=repeats)
    # The peak again at the end: on a shared machine, the better of the two is the machine's limit.
    results["peak"] = core.merge_peaks(results["peak"], core.measure_peak(step_shapes, **peak_kwargs))
    for part in ("main", "scaling"):
        core.apply_peak(results.get(part, []), results["peak"]["peak_gflops"])
    print(f"float32 matmul peak (best of start and end): {results['peak']['peak_gflops']:.1f} GFLOP/s", flush=True)
    results["meta"]["wall_s"] = time.perf_counter() - start

    print()
    print(report.format_report(results))
    out = args.out if args.out is not None else (None if quick else DEFAULT_OUT)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=1, sort_keys=False) + "\n", encoding="utf-8")
        print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
