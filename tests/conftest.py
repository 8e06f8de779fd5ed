"""Shared helpers: run torch.nn and both rnnbook backends on the same weights, inputs and upstream gradients."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

#: The recurrent cells that both backends implement, as the ``cell=`` arguments and the CLI's
#: ``--cell`` name them. Every test that runs over all cells takes this list, so a new cell is
#: added here once (and to the package's registries), not in each test file.
CELLS = ("rnn", "lstm", "gru")
#: The same cells as the layer classes of ``rnnbook.numpy``, ``rnnbook.torch`` and ``torch.nn``.
LAYER_NAMES = tuple(cell.upper() for cell in CELLS)


@dataclass
class Result:
    """Everything a parity test compares, as float64 NumPy arrays."""

    output: np.ndarray
    h_n: tuple[np.ndarray, ...]
    d_x: np.ndarray
    d_hx: tuple[np.ndarray, ...]
    grads: dict[str, np.ndarray]


def _np(t: Any) -> np.ndarray:
    return t.detach().cpu().double().numpy()


def _as_tuple(value: Any) -> tuple[Any, ...]:
    return tuple(value) if isinstance(value, tuple | list) else (value,)


def run_torch_module(
    module: Any,
    x: np.ndarray,
    hx: tuple[np.ndarray, ...],
    d_out: np.ndarray,
    d_hn: tuple[np.ndarray, ...],
    device: str = "cpu",
) -> Result:
    """Forward and backward of a torch module (torch.nn's or rnnbook.torch's) with loss sum(R*out) + sum(S*h_n)."""
    dtype = next(module.parameters()).dtype
    module.zero_grad()
    xt = torch.tensor(x, dtype=dtype, device=device, requires_grad=True)
    hts = [torch.tensor(h, dtype=dtype, device=device, requires_grad=True) for h in hx]
    out, h_n = module(xt, hts[0] if len(hts) == 1 else tuple(hts))
    finals = _as_tuple(h_n)
    loss = (out * torch.tensor(d_out, dtype=dtype, device=device)).sum()
    for f, s in zip(finals, d_hn):
        loss = loss + (f * torch.tensor(s, dtype=dtype, device=device)).sum()
    loss.backward()
    return Result(
        _np(out),
        tuple(_np(f) for f in finals),
        _np(xt.grad),
        tuple(_np(h.grad) for h in hts),
        {name: _np(p.grad) for name, p in module.named_parameters()},
    )


def run_numpy_layer(
    layer: Any,
    x: np.ndarray,
    hx: tuple[np.ndarray, ...],
    d_out: np.ndarray,
    d_hn: tuple[np.ndarray, ...],
) -> Result:
    """The same computation through a rnnbook.numpy layer's forward and hand-written backward."""
    out, h_n = layer.forward(x, hx[0] if len(hx) == 1 else hx)
    d_x, d_hx = layer.backward(d_out, d_hn[0] if len(d_hn) == 1 else d_hn)
    as64 = lambda a: np.asarray(a, dtype=np.float64)  # noqa: E731
    return Result(
        as64(out),
        tuple(as64(f) for f in _as_tuple(h_n)),
        as64(d_x),
        tuple(as64(d) for d in _as_tuple(d_hx)),
        {k: as64(v) for k, v in layer.grads.items()},
    )


def assert_results_close(got: Result, want: Result, atol: float) -> None:
    """Max abs error of every compared tensor at most ``atol``; the message names the tensor."""
    pairs = [("output", got.output, want.output), ("d_x", got.d_x, want.d_x)]
    pairs += [
        (f"h_n[{i}]", a, b)
        for i, (a, b) in enumerate(zip(got.h_n, want.h_n, strict=True))
    ]
    pairs += [
        (f"d_hx[{i}]", a, b)
        for i, (a, b) in enumerate(zip(got.d_hx, want.d_hx, strict=True))
    ]
    assert sorted(got.grads) == sorted(want.grads)
    pairs += [(f"grad {k}", got.grads[k], want.grads[k]) for k in want.grads]
    for name, a, b in pairs:
        assert a.shape == b.shape, f"{name}: shape {a.shape} != {b.shape}"
        err = float(np.max(np.abs(a - b))) if a.size else 0.0
        assert err <= atol, f"{name}: max abs error {err:.3e} > {atol:.0e}"


def random_case(
    seed: int,
    batch_first: bool,
    num_layers: int,
    bidirectional: bool,
    state_count: int = 1,
    unbatched: bool = False,
) -> dict[str, Any]:
    """Random sizes, input, initial state and upstream gradients drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    T, N, d_x, d_h = (int(v) for v in rng.integers(1, [8, 5, 7, 7]))
    D = 2 if bidirectional else 1
    x_shape = (T, d_x) if unbatched else ((N, T, d_x) if batch_first else (T, N, d_x))
    s_shape = (D * num_layers, d_h) if unbatched else (D * num_layers, N, d_h)
    out_shape = x_shape[:-1] + (D * d_h,)
    return {
        "sizes": (T, N, d_x, d_h),
        "x": rng.standard_normal(x_shape),
        "hx": tuple(rng.standard_normal(s_shape) for _ in range(state_count)),
        "d_out": rng.standard_normal(out_shape),
        "d_hn": tuple(rng.standard_normal(s_shape) for _ in range(state_count)),
    }
