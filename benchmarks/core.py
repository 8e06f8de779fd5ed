"""The measurements behind ``python -m benchmarks``: FLOP counts, timing, the machine's peak, each part.

Everything returns plain dicts and lists (JSON-ready); :mod:`benchmarks.run` writes them to a file
and :mod:`benchmarks.report` turns them into the table and figures of the appendix.
"""

from __future__ import annotations

import datetime
import os
import platform
import statistics
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import torch

import rnnbook.numpy as rnp
import rnnbook.torch as rtorch

#: Rows of ``weight_ih`` per hidden unit: how many gate blocks one matmul computes.
GATES = {"RNN": 1, "GRU": 3, "LSTM": 4}
CELLS = ("RNN", "LSTM", "GRU")

#: ``(N, T, d_x, d_h)``: the target size and one smaller and one larger.
SIZES = {
    "small": (16, 50, 64, 128),
    "main": (32, 100, 128, 256),
    "large": (64, 100, 256, 512),
}
#: Tiny sizes for ``--quick`` (a smoke test of the harness, not a measurement).
QUICK_SIZES = {"small": (2, 4, 3, 5), "main": (3, 6, 4, 8), "large": (4, 8, 6, 12)}

TORCH_NN = "torch.nn"
TORCH_NN_NATIVE = "torch.nn (oneDNN off)"
RNNBOOK_TORCH = "rnnbook.torch"
RNNBOOK_NUMPY = "rnnbook.numpy"
FUSED = "rnnbook.torch fused"
PEER = "CS231n-style NumPy LSTM"  # benchmarks.peer
IMPLEMENTATIONS = (TORCH_NN, TORCH_NN_NATIVE, RNNBOOK_TORCH, RNNBOOK_NUMPY)
#: Floors: steps that do only the matrix products of a training step (see :func:`matmul_only_step`).
MATMULS_NUMPY = "matmuls only (NumPy)"
MATMULS_TORCH = "matmuls only (torch.mm)"
FLOORS = (MATMULS_NUMPY, MATMULS_TORCH)
#: The NumPy rows are measured again with these OpenBLAS kernels on an AVX-512 processor whose
#: OpenBLAS runs others (see ``benchmarks.run``); each rerun row is named :func:`rerun_name`.
AVX512_CORETYPE = "SkylakeX"
_RERUN_MARK = " (OPENBLAS_CORETYPE="


def rerun_name(impl: str, coretype: str = AVX512_CORETYPE) -> str:
    """The name of ``impl``'s row measured again with ``OPENBLAS_CORETYPE=coretype``."""
    return f"{impl}{_RERUN_MARK}{coretype})"


def split_rerun(impl: str) -> tuple[str, str | None]:
    """``(implementation, coretype)`` of a row's name; coretype is None for a row of the main process."""
    base, mark, rest = impl.partition(_RERUN_MARK)
    return (base, rest[:-1]) if mark else (impl, None)


def floor_of(impl: str) -> str | None:
    """The floor measured for ``impl`` (for a rerun under other BLAS kernels, the rerun's floor), or None."""
    base, coretype = split_rerun(impl)
    floor = {RNNBOOK_NUMPY: MATMULS_NUMPY, RNNBOOK_TORCH: MATMULS_TORCH}.get(base)
    return (
        None
        if floor is None
        else (floor if coretype is None else rerun_name(floor, coretype))
    )


def is_floor(impl: str) -> bool:
    """Whether a row's implementation is a matmul floor (or a rerun of one)."""
    return split_rerun(impl)[0] in FLOORS


#: What the main part measures by default: the implementations and their floors.
MEASURED = IMPLEMENTATIONS + FLOORS
#: What the rerun measures: torch.nn again (the rerun's ratios come from its own process), NumPy and its floor.
RERUN = (TORCH_NN, RNNBOOK_NUMPY, MATMULS_NUMPY)
#: CPU flag and OpenBLAS kernel names for the AVX-512 rerun of the NumPy rows (see ``benchmarks.run``).
AVX512_FLAG = "avx512f"
AVX512_OPENBLAS_CORES = ("SkylakeX", "Cooperlake", "SapphireRapids")

#: The issue's targets at the main size: (implementation, cells, the largest allowed time ratio to torch.nn).
TARGETS = ((RNNBOOK_NUMPY, ("LSTM", "GRU"), 1.1), (RNNBOOK_TORCH, CELLS, 1.5))

#: Default pause before each block of timed calls (see :func:`time_steps`); ``--quick`` sets it to 0.
SETTLE_S = 0.2


# ----------------------------------------------------------------------------- FLOP counts
def matmul_flops(
    cell: str, N: int, T: int, d_x: int, d_h: int, backward: bool = True
) -> int:
    """Matmul FLOPs of one layer over a sequence: of the forward pass, or of forward + backward.

    Forward, with ``G = GATES[cell]`` gate blocks, every step multiplies the input
    ``(N, d_x)`` by ``W_ih^T`` ``(d_x, G d_h)`` and the state ``(N, d_h)`` by ``W_hh^T``
    ``(d_h, G d_h)``: ``2 N G d_h (d_x + d_h)`` per step, counting a multiply and an add for
    each of the ``m n k`` products of an ``(m, k) @ (k, n)`` matmul. The backward pass of each
    product ``Y = X W^T`` does two of the same size, ``dX = dY W`` and ``dW = dY^T X``, so the
    training step costs 3 times the forward. Element-wise work (gates, state updates) is not
    counted.
    """
    G = GATES[cell]
    forward = 2 * T * N * G * d_h * (d_x + d_h)
    return 3 * forward if backward else forward


# ----------------------------------------------------------------------------- timing
def time_steps(
    steps: Mapping[str, Callable[[], Any]],
    repeats: int,
    warmup: int = 1,
    passes: int = 2,
    settle_s: float | None = None,
    sync: Callable[[], Any] | None = None,
) -> dict[str, list[float]]:
    """Seconds per call of each step: ``repeats`` timed calls each, in blocks of consecutive calls.

    Each of ``passes`` passes runs every step in turn: a pause of ``settle_s`` seconds (default
    :data:`SETTLE_S`), ``warmup``
    untimed calls (caches, lazy allocations, compilation), then its share of the timed calls back
    to back, the way a training loop calls it. The pause matters: after a NumPy call, OpenBLAS's
    worker threads keep spinning for a while and take a core from whatever runs next (measured on
    2 cores: torch.nn.LSTM right after a NumPy LSTM step took twice its usual time). Several passes
    spread a burst of load from other processes over all the steps instead of charging it to one.
    ``sync`` (for CUDA, ``torch.cuda.synchronize``) is called before each clock reading so that
    asynchronous work is counted.
    """
    if repeats < 1 or passes < 1:
        raise ValueError(f"repeats and passes must be >= 1, got {repeats} and {passes}")
    sync = sync or (lambda: None)
    settle_s = SETTLE_S if settle_s is None else settle_s
    times: dict[str, list[float]] = {name: [] for name in steps}
    for p in range(passes):
        count = repeats // passes + (1 if p < repeats % passes else 0)
        if count == 0:
            continue
        for name, step in steps.items():
            sync()
            if settle_s > 0:
                time.sleep(settle_s)
            for _ in range(warmup):
                step()
            for _ in range(count):
                sync()
                start = time.perf_counter()
                step()
                sync()
                times[name].append(time.perf_counter() - start)
    return times


def summarize(times: Iterable[float]) -> dict[str, float]:
    """``{"min_s", "median_s"}`` of a list of seconds."""
    values = list(times)
    return {"min_s": min(values), "median_s": statistics.median(values)}


# ----------------------------------------------------------------------------- implementations
def _torch_step(
    module: torch.nn.Module,
    x: torch.Tensor,
    native: bool = False,
    **forward_kwargs: Any,
) -> Callable[[], Any]:
    """A training step of a torch module: forward, ``output.sum()``, backward into every parameter and ``x``."""
    x = x.detach().clone().requires_grad_(True)

    def run() -> torch.Tensor:
        module.zero_grad(set_to_none=True)
        x.grad = None
        out, _ = module(x, **forward_kwargs)
        loss = out.sum()
        loss.backward()
        return loss.detach()

    def run_native() -> torch.Tensor:
        with (
            warnings.catch_warnings()
        ):  # flags() warns that TF32 on oneDNN needs an Intel GPU
            warnings.simplefilter("ignore")
            with torch.backends.mkldnn.flags(enabled=False):
                return run()

    return run_native if native else run


def _numpy_step(layer: Any, x: np.ndarray) -> Callable[[], Any]:
    """A training step of a rnnbook.numpy layer: ``forward``, then ``backward`` with dL/doutput = 1 (the loss ``output.sum()``)."""
    d_out: list[np.ndarray] = []

    def step() -> np.ndarray:
        out, _ = layer.forward(x)
        if not d_out:
            d_out.append(np.ones_like(out))
        layer.backward(d_out[0])
        return out

    return step


def make_steps(
    cell: str,
    N: int,
    T: int,
    d_x: int,
    d_h: int,
    implementations: Iterable[str] = IMPLEMENTATIONS,
    seed: int = 0,
    device: str = "cpu",
) -> dict[str, Callable[[], Any]]:
    """Training steps of ``cell`` for each implementation, all on torch.nn's random weights and one input."""
    torch.manual_seed(seed)
    reference = getattr(torch.nn, cell)(d_x, d_h).to(device=device, dtype=torch.float32)
    state = reference.state_dict()
    x = torch.randn(T, N, d_x, device=device)
    steps: dict[str, Callable[[], Any]] = {}
    for name in implementations:
        if name == TORCH_NN:
            steps[name] = _torch_step(reference, x)
        elif name == TORCH_NN_NATIVE:
            steps[name] = _torch_step(reference, x, native=True)
        elif name == RNNBOOK_TORCH:
            ours = getattr(rtorch, cell)(d_x, d_h, device=device, dtype=torch.float32)
            ours.load_state_dict(state)
            steps[name] = _torch_step(ours, x)
        elif name == RNNBOOK_NUMPY:
            layer = getattr(rnp, cell)(d_x, d_h, dtype=np.float32)
            layer.load_state_dict(state)
            steps[name] = _numpy_step(layer, x.cpu().numpy())
        elif name in FLOORS:
            steps[name] = matmul_only_step(
                cell,
                N,
                T,
                d_x,
                d_h,
                "numpy" if name == MATMULS_NUMPY else "torch",
                seed=seed,
            )
        elif name == PEER:
            from .peer import peer_step

            if cell != "LSTM":
                raise ValueError(f"{PEER} is an LSTM, got cell {cell!r}")
            steps[name] = peer_step(state, x.cpu().numpy())
        elif name == FUSED:
            from rnnbook.torch.fused import FusedLSTM

            if cell != "LSTM":
                raise ValueError(f"{FUSED} is an LSTM, got cell {cell!r}")
            fused = FusedLSTM(d_x, d_h, device=device, dtype=torch.float32)
            fused.load_state_dict(state)
            steps[name] = _torch_step(fused, x)
        else:
            raise ValueError(
                f"unknown implementation {name!r}; expected one of {MEASURED + (FUSED, PEER)}"
            )
    return steps


def matmul_only_step(
    cell: str,
    N: int,
    T: int,
    d_x: int,
    d_h: int,
    library: str = "numpy",
    mm: Callable[[Any, Any], Any] | None = None,
    seed: int = 0,
) -> Callable[[], Any]:
    """A step that does only the matrix products of a training step: a floor under the layer's time.

    The products are those of :func:`matmul_flops`, at the layer's shapes, in the order the layer
    runs them, on random float32 data: the input projection of all ``T`` steps as one
    ``(T N, d_x) @ (d_x, G d_h)`` product; ``T`` forward recurrent products ``(N, d_h) @ (d_h, G
    d_h)``, one after the other; ``T`` backward products ``dL/dh_{t-1} = dL/da_t W_hh``; and the
    weight and input gradients. ``library="numpy"`` follows :mod:`rnnbook.numpy`, which computes
    ``dL/dW_hh`` as one product over all steps after the loop; ``library="torch"`` follows
    autograd in :mod:`rnnbook.torch`, which computes it step by step, ``T`` products ``(d_h, N) @
    (N, G d_h)``. No element-wise work, no allocation beyond the products' results: a layer that
    calls the BLAS once per product cannot be faster than this. ``mm`` replaces the library's
    matrix product (the tests count FLOPs with it).
    """
    if library not in ("numpy", "torch"):
        raise ValueError(f"library must be 'numpy' or 'torch', got {library!r}")
    G = GATES[cell]
    rng = np.random.default_rng(seed)
    shapes = {
        "x": (T * N, d_x),
        "w_ih": (G * d_h, d_x),
        "w_hh": (G * d_h, d_h),
        "h": (N, d_h),
        "da": (T, N, G * d_h),
        "hs": (T, N, d_h),
    }
    arrays = {
        k: rng.standard_normal(shape).astype(np.float32) for k, shape in shapes.items()
    }
    if library == "torch":
        arrays = {k: torch.from_numpy(v) for k, v in arrays.items()}
    mm = mm or (np.matmul if library == "numpy" else torch.mm)
    x, w_ih, w_hh, h, da, hs = (
        arrays[k] for k in ("x", "w_ih", "w_hh", "h", "da", "hs")
    )
    da_all, hs_all = da.reshape(T * N, G * d_h), hs.reshape(T * N, d_h)

    def step() -> Any:
        mm(x, w_ih.T)  # W_ih x_t for every t
        for _ in range(T):
            mm(h, w_hh.T)  # forward: W_hh h_{t-1}, step by step
        for t in range(T):
            mm(da[t], w_hh)  # backward: dL/dh_{t-1}, step by step
        if library == "torch":
            for t in range(T):
                mm(hs[t].T, da[t])  # autograd: dL/dW_hh, one term per step
        else:
            mm(da_all.T, hs_all)  # dL/dW_hh over all steps at once
        mm(da_all.T, x)  # dL/dW_ih
        return mm(da_all, w_ih)  # dL/dx

    return step


# ----------------------------------------------------------------------------- the machine's limit
def _best_seconds(
    fn: Callable[[], Any], repeats: int, sync: Callable[[], Any] | None = None
) -> float:
    return min(time_steps({"f": fn}, repeats, warmup=2, passes=1, sync=sync)["f"])


ONEDNN = "oneDNN linear"


def _onednn_product(a: np.ndarray, b: np.ndarray) -> Callable[[], Any] | None:
    """``a @ b`` through oneDNN (``torch.utils.mkldnn``'s linear layer on oneDNN tensors); None without oneDNN.

    ``torch.mm`` on the CPU calls MKL; oneDNN is the library behind ``torch.nn.LSTM``'s fused
    kernel, and where MKL does not use a processor's widest vector instructions (AVX-512 on AMD
    processors) the two differ by a factor of about 2.
    """
    if not torch.backends.mkldnn.is_available():
        return None
    linear = torch.nn.Linear(a.shape[1], b.shape[1], bias=False)
    with torch.no_grad():
        linear.weight.copy_(torch.from_numpy(np.ascontiguousarray(b.T)))
    with warnings.catch_warnings():  # torch.utils.mkldnn builds TorchScript modules, and torch.jit warns that it is deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        from torch.utils import mkldnn as mkldnn_utils

        layer = mkldnn_utils.to_mkldnn(linear)
    x = torch.from_numpy(a).to_mkldnn()

    def product() -> Any:
        with torch.no_grad():
            return layer(x)

    return product


def measure_peak(
    step_shapes: Iterable[tuple[int, int, int]] = (),
    size: int = 1024,
    repeats: int = 10,
) -> dict[str, Any]:
    """This machine's float32 matmul throughput in GFLOP/s, measured now.

    Times ``(size, size) @ (size, size)`` products with ``torch.mm`` (MKL), ``numpy.matmul``
    (OpenBLAS) and oneDNN (:func:`_onednn_product`) and, for each ``(m, k, n)`` in
    ``step_shapes``, the same at the shape of one time step's recurrent product, where a small
    ``m = N`` keeps a BLAS from reaching its peak. ``peak_gflops`` is the best large square rate
    of any library (entries with ``"square": True``): the reference for every "fraction of peak".
    """
    gemms: list[dict[str, Any]] = []
    rng = np.random.default_rng(0)
    for m, k, n in [(size, size, size), *step_shapes]:
        a = rng.standard_normal((m, k)).astype(np.float32)
        b = rng.standard_normal((k, n)).astype(np.float32)
        out = np.empty((m, n), np.float32)
        ta, tb, tout = torch.from_numpy(a), torch.from_numpy(b), torch.empty(m, n)
        flops = 2 * m * n * k
        products = {
            "torch.mm": lambda: torch.mm(ta, tb, out=tout),
            "numpy.matmul": lambda: np.matmul(a, b, out=out),
        }
        onednn = _onednn_product(a, b)
        if onednn is not None:
            products[ONEDNN] = onednn
        for library, product in products.items():
            s = _best_seconds(product, repeats)
            gemms.append(
                {
                    "library": library,
                    "m": m,
                    "k": k,
                    "n": n,
                    "square": m == k == n == size,
                    "seconds": s,
                    "gflops": flops / s / 1e9,
                }
            )
    return {"peak_gflops": peak_of(gemms), "gemms": gemms}


def peak_of(gemms: Iterable[dict[str, Any]]) -> float:
    """The best rate among the large square products of a :func:`measure_peak` list."""
    return max(g["gflops"] for g in gemms if g["square"])


def merge_peaks(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    """The better of two :func:`measure_peak` results, product by product (a run measures before and after the parts)."""
    gemms = [
        max(a, b, key=lambda g: g["gflops"])
        for a, b in zip(first["gemms"], second["gemms"], strict=True)
    ]
    return {"peak_gflops": peak_of(gemms), "gemms": gemms}


def apply_peak(rows: Iterable[dict[str, Any]], peak: float) -> None:
    """Recompute every row's ``frac_peak`` against ``peak``."""
    for row in rows:
        if "frac_peak" in row:
            row["frac_peak"] = row["gflops"] / peak


# ----------------------------------------------------------------------------- the parts
def _rows(
    times: dict[str, list[float]],
    flops: int,
    peak: float,
    reference: str | None,
    **fields: Any,
) -> list[dict[str, Any]]:
    """One JSON row per implementation: times, GFLOP/s, fraction of peak, ratios to ``reference``."""
    ref = summarize(times[reference]) if reference in times else None
    rows = []
    for name, ts in times.items():
        row: dict[str, Any] = {
            **fields,
            "impl": name,
            "flops": flops,
            **summarize(ts),
            "repeats": len(ts),
        }
        row["gflops"] = flops / row["min_s"] / 1e9
        row["frac_peak"] = row["gflops"] / peak
        if ref is not None:
            row["ratio_min"] = row["min_s"] / ref["min_s"]
            row["ratio_median"] = row["median_s"] / ref["median_s"]
        rows.append(row)
    return rows


def run_main(
    peak: float,
    sizes: Mapping[str, tuple[int, int, int, int]] = SIZES,
    cells: Iterable[str] = CELLS,
    repeats: int = 20,
    implementations: Iterable[str] = MEASURED,
    log: Callable[[str], Any] = print,
) -> list[dict[str, Any]]:
    """Every cell at every size, each implementation (default: all, and the floors), ratios to torch.nn."""
    implementations = tuple(implementations)
    rows = []
    for label, (N, T, d_x, d_h) in sizes.items():
        for cell in cells:
            times = time_steps(
                make_steps(cell, N, T, d_x, d_h, implementations), repeats
            )
            flops = matmul_flops(cell, N, T, d_x, d_h)
            new = _rows(
                times,
                flops,
                peak,
                TORCH_NN,
                size=label,
                cell=cell,
                N=N,
                T=T,
                d_x=d_x,
                d_h=d_h,
            )
            rows += new
            log(
                f"  {label:5s} {cell:4s} "
                + "  ".join(
                    f"{r['impl']} {r['min_s'] * 1e3:.1f} ms ({r['ratio_min']:.2f}x)"
                    for r in new
                )
            )
    return rows


def run_scaling(
    peak: float,
    base: tuple[int, int, int, int] = SIZES["main"],
    Ts: Iterable[int] = (25, 50, 100, 200, 400),
    d_hs: Iterable[int] = (64, 128, 256, 512),
    cell: str = "LSTM",
    repeats: int = 7,
    implementations: Iterable[str] = (TORCH_NN, RNNBOOK_TORCH, RNNBOOK_NUMPY),
    log: Callable[[str], Any] = print,
) -> list[dict[str, Any]]:
    """``cell``'s step time against ``T`` (other sizes as ``base``) and against ``d_h``."""
    N, T0, d_x, d_h0 = base
    implementations = tuple(implementations)
    rows = []
    for axis, values in (("T", Ts), ("d_h", d_hs)):
        for value in values:
            T, d_h = (value, d_h0) if axis == "T" else (T0, value)
            times = time_steps(
                make_steps(cell, N, T, d_x, d_h, implementations), repeats
            )
            flops = matmul_flops(cell, N, T, d_x, d_h)
            rows += _rows(
                times,
                flops,
                peak,
                TORCH_NN,
                axis=axis,
                cell=cell,
                N=N,
                T=T,
                d_x=d_x,
                d_h=d_h,
            )
            log(
                f"  scaling {axis}={value}: "
                + ", ".join(f"{n} {min(ts) * 1e3:.1f} ms" for n, ts in times.items())
            )
    return rows


def run_mingru(
    Ts: Iterable[int] = (16, 64, 256, 1024, 4096),
    N: int = 8,
    d_x: int = 64,
    d_h: int = 64,
    repeats: int = 5,
    device: str = "cpu",
    log: Callable[[str], Any] = print,
) -> dict[str, Any]:
    """minGRU training steps (forward + backward), parallel scan against the sequential loop, for each ``T``."""
    MinGRU = getattr(rtorch, "MinGRU", None)
    if MinGRU is None:
        return {"measured": False, "reason": "rnnbook.torch has no MinGRU", "rows": []}
    sync = torch.cuda.synchronize if device == "cuda" else None
    rows = []
    for T in Ts:
        torch.manual_seed(0)
        layer = MinGRU(d_x, d_h, device=device, dtype=torch.float32)
        x = torch.randn(T, N, d_x, device=device)
        steps = {
            mode: _torch_step(layer, x, mode=mode)
            for mode in ("parallel", "sequential")
        }
        count = max(2, repeats if T <= 1024 else repeats // 2)
        stats = {
            mode: summarize(ts)
            for mode, ts in time_steps(steps, count, sync=sync).items()
        }
        row = {
            "T": T,
            "N": N,
            "d_x": d_x,
            "d_h": d_h,
            "device": device,
            **{f"{mode}_{k}": v for mode, s in stats.items() for k, v in s.items()},
        }
        row["speedup_min"] = row["sequential_min_s"] / row["parallel_min_s"]
        row["speedup_median"] = row["sequential_median_s"] / row["parallel_median_s"]
        rows.append(row)
        log(
            f"  minGRU {device} T={T}: parallel {row['parallel_min_s'] * 1e3:.2f} ms, "
            f"sequential {row['sequential_min_s'] * 1e3:.2f} ms, speed-up {row['speedup_min']:.1f}x"
        )
    return {"measured": True, "rows": rows}


def run_gpu(
    sizes: Mapping[str, tuple[int, int, int, int]] = SIZES,
    repeats: int = 20,
    log: Callable[[str], Any] = print,
) -> dict[str, Any]:
    """On CUDA: LSTM training steps of cuDNN's torch.nn.LSTM, rnnbook.torch.LSTM and the fused LSTM; minGRU's scan.

    Returns ``{"measured": False, "reason": ...}`` without CUDA; nothing is estimated.
    """
    if not torch.cuda.is_available():
        return {
            "measured": False,
            "reason": "no CUDA device (torch.cuda.is_available() is False)",
        }
    sync = torch.cuda.synchronize
    rows = []
    for label, (N, T, d_x, d_h) in sizes.items():
        steps = make_steps(
            "LSTM", N, T, d_x, d_h, (TORCH_NN, RNNBOOK_TORCH, FUSED), device="cuda"
        )
        times = time_steps(steps, repeats, warmup=2, sync=sync)
        new = _rows(
            times,
            matmul_flops("LSTM", N, T, d_x, d_h),
            float("nan"),
            TORCH_NN,
            size=label,
            cell="LSTM",
            N=N,
            T=T,
            d_x=d_x,
            d_h=d_h,
        )
        for row in new:
            del row["frac_peak"]
        rows += new
        log(
            f"  cuda {label} LSTM "
            + "  ".join(
                f"{r['impl']} {r['min_s'] * 1e3:.2f} ms ({r['ratio_min']:.2f}x)"
                for r in new
            )
        )
    return {
        "measured": True,
        "device_name": torch.cuda.get_device_name(0),
        "rows": rows,
        "mingru": run_mingru(device="cuda", log=log),
    }


# ----------------------------------------------------------------------------- targets and metadata
def check_targets(
    main_rows: Iterable[dict[str, Any]], size: str = "main"
) -> list[dict[str, Any]]:
    """Each target of :data:`TARGETS` with the measured ratios at ``size``; ``met`` judges the best-of-rounds ratio."""
    rows = [r for r in main_rows if r["size"] == size]
    out = []
    for impl, cells, limit in TARGETS:
        for cell in cells:
            # The implementation itself, then its reruns under other BLAS kernels.
            for row in (
                r
                for r in rows
                if r["cell"] == cell and split_rerun(r["impl"])[0] == impl
            ):
                out.append(
                    {
                        "impl": row["impl"],
                        "cell": cell,
                        "limit": limit,
                        "ratio_min": row["ratio_min"],
                        "ratio_median": row["ratio_median"],
                        "met": bool(row["ratio_min"] <= limit),
                    }
                )
    return out


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def cpu_flags() -> set[str]:
    """The processor's feature flags from ``/proc/cpuinfo`` (empty where there is none)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def openblas_core() -> str:
    """The kernel family NumPy's OpenBLAS chose at run time (``"Haswell"``, ``"SkylakeX"``, ...), or ``"unknown"``.

    OpenBLAS picks its kernels when it loads, from the processor it detects; the environment
    variable ``OPENBLAS_CORETYPE`` overrides the choice. Read through threadpoolctl when it is
    installed (it comes with scikit-learn, the book's ``data`` extra).
    """
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown"
    cores = [
        i.get("architecture")
        for i in threadpool_info()
        if i.get("internal_api") == "openblas"
    ]
    return cores[0] if cores and cores[0] else "unknown"


def avx512_kernels_unused() -> bool:
    """True when the processor has AVX-512 but NumPy's OpenBLAS runs other kernels.

    That happens when OpenBLAS does not recognise the processor, or when the environment sets
    ``OPENBLAS_CORETYPE`` to an older family (the machines this book is built on set
    ``OPENBLAS_CORETYPE=Haswell``, AVX2 kernels, on AVX-512 processors).
    """
    core = (
        openblas_core()
    )  # "unknown" (no threadpoolctl): no claim either way, and no rerun
    return (
        AVX512_FLAG in cpu_flags()
        and core != "unknown"
        and core not in AVX512_OPENBLAS_CORES
    )


def _numpy_blas() -> str:
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:  # noqa: BLE001  (show_config's layout is not a stable API)
        return "unknown"


def machine_info() -> dict[str, Any]:
    """Where and with what the numbers were measured."""
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "numpy_blas": _numpy_blas(),
        "openblas_core": openblas_core(),
        "openblas_coretype_env": os.environ.get("OPENBLAS_CORETYPE"),
        "avx512": AVX512_FLAG in cpu_flags(),
        "torch_threads": torch.get_num_threads(),
        "omp_num_threads_env": os.environ.get("OMP_NUM_THREADS"),
        "onednn_enabled": bool(
            torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled
        ),
        "cuda": torch.cuda.is_available(),
        "dtype": "float32",
    }
