"""Command-line entry point: ``python -m benchmarks`` or ``python benchmarks/run.py`` (see the package docstring)."""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time
import warnings

ROOT = pathlib.Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "cpu.json"
PARTS = ("main", "floors", "scaling", "mingru", "gpu")
#: What runs without --parts: everything but the floors, which have a file of their own.
DEFAULT_PARTS = ("main", "scaling", "mingru", "gpu")
#: The committed floor ratios (``--parts floors --out`` this file), read by ``--compare``.
FLOORS_OUT = ROOT / "benchmarks" / "results" / "floors.json"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Time RNN/LSTM/GRU training steps of rnnbook against torch.nn.",
    )
    parser.add_argument(
        "--parts",
        nargs="+",
        choices=PARTS,
        default=list(DEFAULT_PARTS),
        help="what to measure (default: all but floors; the floor ratios are measured with "
        f"--parts floors --out {FLOORS_OUT.relative_to(ROOT)}, or re-measured by --compare)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=20,
        help="timed calls per implementation and size in the main table (default 20)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch and BLAS threads (default: the machine's default, recorded in the results)",
    )
    parser.add_argument(
        "--implementations",
        nargs="+",
        default=None,
        metavar="NAME",
        help="what the main part times (default: every implementation and the two matmul floors)",
    )
    parser.add_argument(
        "--no-rerun",
        action="store_true",
        help="on an AVX-512 processor whose OpenBLAS runs other kernels, do not measure the NumPy rows "
        "again with OpenBLAS's AVX-512 kernels (benchmarks.core.AVX512_CORETYPE)",
    )
    parser.add_argument(
        "--compare",
        action="store_true",
        help="re-measure the floor ratios (the floors part only) and print them beside the committed "
        "results' in brackets, so that a slowdown shows; writes no file unless --out is given",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny sizes and few repeats: checks the harness in seconds",
    )
    parser.add_argument(
        "--out",
        type=pathlib.Path,
        default=None,
        help=f"JSON results file (default {DEFAULT_OUT.relative_to(ROOT)}; with --quick, none unless given)",
    )
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
    warnings.filterwarnings(
        "ignore", message=".*TF32.*"
    )  # torch.backends.mkldnn.flags warns about Intel GPUs

    quick = args.quick
    if args.compare:
        args.parts = ["floors"]
    if quick:
        core.SETTLE_S = 0.0
    sizes = core.QUICK_SIZES if quick else core.SIZES
    repeats = 2 if quick else args.repeats
    start = time.perf_counter()
    results: dict = {
        "meta": {
            **core.machine_info(),
            "quick": quick,
            "repeats": repeats,
            "command": "python -m benchmarks "
            + " ".join(argv if argv is not None else sys.argv[1:]),
        }
    }
    print(
        f"threads: torch {results['meta']['torch_threads']}, cpu_count {results['meta']['cpu_count']}; "
        f"{results['meta']['cpu']}; torch {torch.__version__}",
        flush=True,
    )
    main_shape = sizes["main"]
    N, _, _, d_h = main_shape
    step_shapes = [(N, d_h, core.GATES[c] * d_h) for c in ("LSTM", "GRU")]
    peak_kwargs = dict(size=64, repeats=2) if quick else dict(size=1024, repeats=10)
    results["peak"] = core.measure_peak(step_shapes, **peak_kwargs)
    print(
        f"float32 matmul peak: {results['peak']['peak_gflops']:.1f} GFLOP/s", flush=True
    )
    peak = results["peak"]["peak_gflops"]
    implementations = tuple(args.implementations or core.MEASURED)
    unknown = set(implementations) - set(core.MEASURED)
    if unknown:
        raise SystemExit(
            f"unknown implementations {sorted(unknown)}; expected some of {list(core.MEASURED)}"
        )
    if "main" in args.parts:
        results["main"] = core.run_main(
            peak, sizes, repeats=repeats, implementations=implementations
        )
    if "floors" in args.parts:
        from benchmarks import floors

        results["floors"] = floors.run_floors(
            floors.QUICK_FLOOR_SIZES if quick else floors.FLOOR_SIZES, repeats=repeats
        )
    if "scaling" in args.parts:
        kwargs = (
            dict(Ts=(4, 8), d_hs=(4, 8), repeats=2, base=main_shape) if quick else {}
        )
        results["scaling"] = core.run_scaling(peak, **kwargs)
    if "mingru" in args.parts:
        kwargs = dict(Ts=(4, 16), N=2, d_x=3, d_h=4, repeats=2) if quick else {}
        results["mingru"] = core.run_mingru(**kwargs)
    if "gpu" in args.parts:
        results["gpu"] = core.run_gpu(sizes={"main": main_shape}, repeats=repeats)
    # The peak again at the end: on a shared machine, the better of the two is the machine's limit.
    results["peak"] = core.merge_peaks(
        results["peak"], core.measure_peak(step_shapes, **peak_kwargs)
    )
    if (
        "main" in args.parts
        and core.RNNBOOK_NUMPY in implementations
        and not args.no_rerun
        and core.avx512_kernels_unused()
    ):
        rerun_numpy(results, args, repeats)
    results["peak"]["peak_gflops"] = core.peak_of(results["peak"]["gemms"])
    for part in ("main", "scaling"):
        core.apply_peak(results.get(part, []), results["peak"]["peak_gflops"])
    if "main" in results:
        results["targets"] = core.check_targets(results["main"])
    print(
        f"float32 matmul peak (best of start and end): {results['peak']['peak_gflops']:.1f} GFLOP/s",
        flush=True,
    )
    results["meta"]["wall_s"] = time.perf_counter() - start

    print()
    print(report.format_report(results))
    if args.compare:
        committed = report.load(FLOORS_OUT).get("floors", [])
        print(
            "\nFloor ratios now, and [in brackets] in the committed results "
            f"({FLOORS_OUT.relative_to(ROOT)}):"
        )
        print(report.floors_table(results["floors"], compare=committed))
    if args.out is not None:
        out = args.out
    elif quick or args.compare:
        out = None
    else:  # the floors alone go to their own file, never over the main results
        out = FLOORS_OUT if list(args.parts) == ["floors"] else DEFAULT_OUT
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(
            json.dumps(results, indent=1, sort_keys=False) + "\n", encoding="utf-8"
        )
        print(f"\nwrote {out}")
    return 0


def rerun_numpy(results: dict, args: argparse.Namespace, repeats: int) -> None:
    """Measure the NumPy rows again in a child process whose OpenBLAS runs its AVX-512 kernels; add them to ``results``.

    OpenBLAS chooses its kernels once, when NumPy loads it, so another choice needs another
    process: ``python -m benchmarks --parts main`` with ``OPENBLAS_CORETYPE`` set, timing
    :data:`benchmarks.core.RERUN` (torch.nn again, so that the ratios come from one run). Its rows
    join the main table named by :func:`benchmarks.core.rerun_name`, its NumPy products join the
    peak measurements, and the child's own torch.nn rows are kept under ``results["rerun"]``.
    """
    from benchmarks import core

    coretype = core.AVX512_CORETYPE
    print(
        f"\nThe NumPy rows again, with OPENBLAS_CORETYPE={coretype} (AVX-512 kernels), in a child process:",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as tmp:
        out = pathlib.Path(tmp) / "rerun.json"
        command = [
            sys.executable,
            "-m",
            "benchmarks",
            "--parts",
            "main",
            "--implementations",
            *core.RERUN,
            "--repeats",
            str(repeats),
            "--out",
            str(out),
            "--no-rerun",
        ]
        command += ["--quick"] if args.quick else []
        command += ["--threads", str(args.threads)] if args.threads is not None else []
        subprocess.run(
            command,
            cwd=ROOT,
            env={**os.environ, "OPENBLAS_CORETYPE": coretype},
            check=True,
        )
        child = json.loads(out.read_text(encoding="utf-8"))
    results["main"] += [
        {**r, "impl": core.rerun_name(r["impl"], coretype)}
        for r in child["main"]
        if r["impl"] != core.TORCH_NN
    ]
    results["peak"]["gemms"] += [
        {**g, "library": core.rerun_name(g["library"], coretype)}
        for g in child["peak"]["gemms"]
        if g["library"] == "numpy.matmul"
    ]
    results["rerun"] = {
        "coretype": coretype,
        "openblas_core": child["meta"]["openblas_core"],
        "torch_nn": [r for r in child["main"] if r["impl"] == core.TORCH_NN],
    }
    sizes, cells = (
        list(dict.fromkeys(r["size"] for r in results["main"])),
        list(dict.fromkeys(r["cell"] for r in results["main"])),
    )
    results["main"].sort(
        key=lambda r: (sizes.index(r["size"]), cells.index(r["cell"]))
    )  # stable: reruns after their size and cell


if __name__ == "__main__":
    sys.exit(main())
