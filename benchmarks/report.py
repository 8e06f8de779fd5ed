"""Tables and figures from a results dict (as ``python -m benchmarks`` writes it): used by the CLI and the appendix."""

from __future__ import annotations

import json
import pathlib
from collections.abc import Iterable
from typing import Any

from .core import (
    CELLS,
    RNNBOOK_NUMPY,
    RNNBOOK_TORCH,
    TORCH_NN,
    TORCH_NN_NATIVE,
    floor_of,
    is_floor,
    split_rerun,
)
from .floors import FLOOR_TARGETS, OWN_FLOOR, check_floor_targets

RESULTS = pathlib.Path(__file__).resolve().parent / "results" / "cpu.json"
#: One colour per implementation in every figure (matplotlib's default cycle); others take the next ones.
COLOURS = {
    TORCH_NN: "C0",
    TORCH_NN_NATIVE: "C1",
    RNNBOOK_TORCH: "C2",
    RNNBOOK_NUMPY: "C3",
}


def colour(impl: str, impls: list[str]) -> str:
    """``impl``'s colour in :data:`COLOURS`; the implementations of ``impls`` not listed there take the next ones."""
    if impl in COLOURS:
        return COLOURS[impl]
    others = [i for i in impls if i not in COLOURS]
    return f"C{len(COLOURS) + others.index(impl)}"


def load(path: str | pathlib.Path = RESULTS) -> dict[str, Any]:
    """The results dict stored by ``python -m benchmarks`` (default: the committed CPU run)."""
    return json.loads(pathlib.Path(path).read_text(encoding="utf-8"))


def _table(header: list[str], rows: Iterable[list[str]], left: int = 0) -> str:
    """Columns padded to their widest entry: columns ``0..left`` left-aligned, the rest right-aligned."""
    rows = [header, *rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = [
        "  ".join(
            c.ljust(w) if i <= left else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths))
        )
        for r in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def short_name(impl: str) -> str:
    """An implementation's name for narrow tables: ``"... (OPENBLAS_CORETYPE=SkylakeX)"`` becomes ``"... [SkylakeX]"``."""
    base, coretype = split_rerun(impl)
    return impl if coretype is None else f"{base} [{coretype}]"


def main_table(results: dict[str, Any], size: str | None = None) -> str:
    """One line per (size, cell, implementation): times, ratios to torch.nn, GFLOP/s, fraction of peak.

    With ``size``, only that size, without the size column and the median ratio (narrow enough for a page).
    """
    rows = []
    for r in results["main"]:
        if size is not None and r["size"] != size:
            continue
        line = (
            [f"{r['size']} ({r['N']},{r['T']},{r['d_x']},{r['d_h']})"]
            if size is None
            else []
        )
        line += [
            short_name(r["impl"]),
            r["cell"],
            f"{r['min_s'] * 1e3:.1f}",
            f"{r['median_s'] * 1e3:.1f}",
            f"{r['ratio_min']:.2f}",
        ]
        line += [f"{r['ratio_median']:.2f}"] if size is None else []
        line += [f"{r['gflops']:.0f}", f"{r['frac_peak']:.0%}"]
        rows.append(line)
    header = (["size (N,T,d_x,d_h)"] if size is None else []) + [
        "implementation",
        "cell",
        "min ms",
        "median ms",
        "x torch.nn (min)",
    ]
    header += (["x torch.nn (median)"] if size is None else []) + ["GFLOP/s", "of peak"]
    return _table(header, rows, left=1 if size is None else 0)


def targets_table(results: dict[str, Any]) -> str:
    """Each target at the main size: the limit, the measured ratios, met or not."""
    rows = [
        [
            short_name(t["impl"]),
            t["cell"],
            f"<= {t['limit']:.1f}x",
            f"{t['ratio_min']:.2f}x",
            f"{t['ratio_median']:.2f}x",
            "met" if t["met"] else "NOT met",
        ]
        for t in results.get("targets", [])
    ]
    return _table(
        ["implementation", "cell", "target", "measured (min)", "measured (median)", ""],
        rows,
    )


def floors_table(
    rows: Iterable[dict[str, Any]], compare: Iterable[dict[str, Any]] = ()
) -> str:
    """One line per (threads, size, cell): each implementation's time over its own floor.

    With ``compare`` (the rows of another run, e.g. the committed one), each ratio is followed by
    that run's in brackets, so a slowdown shows.
    """
    rows = list(rows)
    other = {(r["threads"], r["size"], r["cell"], r["impl"]): r for r in compare}
    impls = [i for i in OWN_FLOOR if any(r["impl"] == i for r in rows)]
    keys = sorted(
        {(r["threads"], r["size"], r["cell"]) for r in rows},
        key=lambda k: (
            k[0],
            list(FLOOR_TARGETS).index(k[1]) if k[1] in FLOOR_TARGETS else 9,
            CELLS.index(k[2]),
        ),
    )
    lines = []
    for threads, size, cell in keys:
        line = [str(threads), size, cell]
        for impl in impls:
            r = next(
                (
                    r
                    for r in rows
                    if (r["threads"], r["size"], r["cell"], r["impl"])
                    == (threads, size, cell, impl)
                ),
                None,
            )
            if r is None:
                line.append("")
                continue
            text = f"{r['ratio_min']:.2f}"
            old = other.get((threads, size, cell, impl))
            if old is not None:
                text += f" [{old['ratio_min']:.2f}]"
            line.append(text)
        lines.append(line)
    header = ["threads", "size", "cell"] + [f"{i} / floor" for i in impls]
    return _table(header, lines, left=2)


def floor_targets_table(rows: Iterable[dict[str, Any]]) -> str:
    """Every floor target (see :func:`benchmarks.floors.check_floor_targets`): limit, value, met or not."""
    lines = [
        [
            t["what"],
            str(t["threads"]),
            t["size"],
            (">= " if t["what"].startswith("peer") else "<= ") + f"{t['limit']:.2f}",
            f"{t['value']:.2f}",
            "met" if t["met"] else "NOT met",
        ]
        for t in check_floor_targets(rows)
    ]
    return _table(["target", "threads", "size", "limit", "measured", ""], lines)


def mingru_table(part: dict[str, Any]) -> str:
    """minGRU: parallel scan and sequential loop against T."""
    if not part.get("measured"):
        return f"minGRU: not measured ({part.get('reason', '')})"
    rows = [
        [
            str(r["T"]),
            f"{r['parallel_min_s'] * 1e3:.2f}",
            f"{r['sequential_min_s'] * 1e3:.2f}",
            f"{r['speedup_min']:.1f}x",
        ]
        for r in part["rows"]
    ]
    return _table(["T", "parallel ms", "sequential ms", "speed-up"], rows)


def format_report(results: dict[str, Any]) -> str:
    """Everything in a results dict as text: machine, peak, main table, targets, scaling, minGRU, GPU."""
    meta = results["meta"]
    out = [
        f"{meta['date']}  {meta['cpu']}  ({meta['cpu_count']} cores, torch threads {meta['torch_threads']})",
        f"torch {meta['torch']}, numpy {meta['numpy']} ({meta['numpy_blas']}, {meta.get('openblas_core', '?')} kernels), float32",
        f"float32 matmul peak: {results['peak']['peak_gflops']:.1f} GFLOP/s",
    ]
    for g in results["peak"]["gemms"]:
        out.append(
            f"  {g['library']:13s} ({g['m']}x{g['k']}) @ ({g['k']}x{g['n']}): {g['gflops']:.1f} GFLOP/s"
        )
    if "rerun" in results:
        out.append(
            f"NumPy rows rerun with OPENBLAS_CORETYPE={results['rerun']['coretype']} "
            f"(OpenBLAS kernels: {results['rerun']['openblas_core']})"
        )
    if "main" in results:
        out += ["", main_table(results), "", targets_table(results)]
    if "floors" in results:
        out += [
            "",
            "Time over the implementation's own matmul floor (min of the timed calls):",
            floors_table(results["floors"]),
            "",
            floor_targets_table(results["floors"]),
        ]
    if "scaling" in results:
        rows = [
            [
                f"{r['axis']}={r[r['axis']]}",
                r["impl"],
                f"{r['min_s'] * 1e3:.1f}",
                f"{r['ratio_min']:.2f}",
                f"{r['gflops']:.0f}",
            ]
            for r in results["scaling"]
        ]
        out += [
            "",
            _table(
                ["LSTM scaling", "implementation", "min ms", "x torch.nn", "GFLOP/s"],
                rows,
            ),
        ]
    if "mingru" in results:
        out += ["", mingru_table(results["mingru"])]
    if "gpu" in results:
        gpu = results["gpu"]
        if not gpu.get("measured"):
            out += ["", f"GPU: not measured ({gpu.get('reason', '')})"]
        else:
            rows = [
                [
                    r["size"],
                    r["impl"],
                    f"{r['min_s'] * 1e3:.2f}",
                    f"{r['ratio_min']:.2f}",
                    f"{r['gflops']:.0f}",
                ]
                for r in gpu["rows"]
            ]
            out += [
                "",
                f"GPU: {gpu['device_name']}",
                _table(
                    ["size", "implementation", "min ms", "x cuDNN", "GFLOP/s"], rows
                ),
                mingru_table(gpu["mingru"]),
            ]
    return "\n".join(out)


# ----------------------------------------------------------------------------- figures
def plot_main(
    results: dict[str, Any], size: str = "main", axes: Any = None, targets: bool = True
) -> Any:
    """Two panels at one size: time ratio to torch.nn (black ticks: each implementation's matmul floor), and GFLOP/s against the peak.

    ``targets`` draws the targets of :data:`benchmarks.core.TARGETS` as dashed lines on the ratio panel.
    """
    import matplotlib.pyplot as plt

    rows = [r for r in results["main"] if r["size"] == size]
    by_key = {(r["impl"], r["cell"]): r for r in rows}
    impls = [i for i in dict.fromkeys(r["impl"] for r in rows) if not is_floor(i)]
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    width = 0.8 / len(impls)
    peak = results["peak"]["peak_gflops"]
    floor_label = "matmuls only (floor)"
    for k, impl in enumerate(impls):
        xs = [c + (k - (len(impls) - 1) / 2) * width for c in range(len(CELLS))]
        axes[0].bar(
            xs,
            [by_key[(impl, c)]["ratio_min"] for c in CELLS],
            width,
            label=impl,
            color=colour(impl, impls),
        )
        axes[1].bar(
            xs,
            [by_key[(impl, c)]["gflops"] for c in CELLS],
            width,
            label=impl,
            color=colour(impl, impls),
        )
        floor = floor_of(impl)
        for x, cell in zip(xs, CELLS):
            if (floor, cell) in by_key:
                axes[0].hlines(
                    by_key[(floor, cell)]["ratio_min"],
                    x - width / 2,
                    x + width / 2,
                    colors="black",
                    lw=2,
                    label=floor_label,
                )
                floor_label = None
    r0 = rows[0]
    title = f"N={r0['N']}, T={r0['T']}, d_x={r0['d_x']}, d_h={r0['d_h']}"
    axes[0].axhline(1.0, color="black", lw=0.8)
    for limit, impl in ((1.1, RNNBOOK_NUMPY), (1.5, RNNBOOK_TORCH)) if targets else ():
        axes[0].axhline(limit, color="gray", ls="--", lw=0.8)
        axes[0].text(
            len(CELLS) - 0.5,
            limit,
            f" target {impl} {limit}x",
            va="bottom",
            ha="right",
            fontsize=8,
        )
    axes[0].set(
        ylabel=f"time / {TORCH_NN} time (best of rounds)",
        title=f"Training step time relative to {TORCH_NN}\n{title}",
    )
    axes[1].axhline(peak, color="black", ls="--", lw=0.8)
    axes[1].text(-0.45, peak, " float32 matmul peak", va="bottom", fontsize=8)
    axes[1].set(ylabel="matmul GFLOP/s", title=f"Achieved matmul throughput\n{title}")
    for ax in axes:
        ax.set_xticks(range(len(CELLS)), CELLS)
    top = max([r["ratio_min"] for r in rows] + [1.5])
    axes[0].set_ylim(0, 1.55 * top)  # room above the bars for the legend
    axes[0].legend(fontsize=7, loc="upper center", ncol=2)
    return axes


def plot_scaling(results: dict[str, Any], axes: Any = None) -> Any:
    """LSTM training step time per time step against ``T`` and GFLOP/s against ``d_h``, per implementation."""
    import matplotlib.pyplot as plt

    rows = results["scaling"]
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    impls = list(dict.fromkeys(r["impl"] for r in rows))
    for impl in impls:
        by_T = [r for r in rows if r["axis"] == "T" and r["impl"] == impl]
        axes[0].plot(
            [r["T"] for r in by_T],
            [r["min_s"] / r["T"] * 1e3 for r in by_T],
            "o-",
            label=impl,
            color=colour(impl, impls),
        )
        by_dh = [r for r in rows if r["axis"] == "d_h" and r["impl"] == impl]
        axes[1].plot(
            [r["d_h"] for r in by_dh],
            [r["gflops"] for r in by_dh],
            "o-",
            label=impl,
            color=colour(impl, impls),
        )
    peak = results["peak"]["peak_gflops"]
    axes[1].axhline(peak, color="black", ls="--", lw=0.8)
    axes[0].set(
        xscale="log",
        xlabel="T",
        ylabel="ms per time step",
        title="LSTM step time per time step against T",
    )
    axes[1].set(
        xscale="log",
        xlabel="d_h",
        ylabel="matmul GFLOP/s",
        title="LSTM throughput against d_h (dashed: peak)",
    )
    for ax, axis in zip(axes, ("T", "d_h")):
        values = sorted({r[axis] for r in rows if r["axis"] == axis})
        ax.set_xticks(
            values, [str(v) for v in values]
        )  # the measured values, not powers of ten
        ax.minorticks_off()
        ax.legend(fontsize=8)
    return axes


def plot_mingru(part: dict[str, Any], ax: Any = None) -> Any:
    """minGRU training step time against T, parallel scan and sequential loop (log-log)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 3.8))
    rows = part["rows"]
    Ts = [r["T"] for r in rows]
    for mode in ("sequential", "parallel"):
        ax.plot(Ts, [r[f"{mode}_min_s"] * 1e3 for r in rows], "o-", label=mode)
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="T",
        ylabel="ms per training step",
        title=f"minGRU on {rows[0]['device']}: parallel scan vs loop",
    )
    ax.legend()
    return ax
