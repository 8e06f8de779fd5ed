"""The benchmark harness at tiny sizes: FLOP formula, timing protocol, ratios, targets, report. No timing assertions."""

import json

import matplotlib
import numpy as np
import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

import rnnbook.torch as rtorch
from benchmarks import core, floors, peer, report
from benchmarks.run import main as run_main
from conftest import LAYER_NAMES

matplotlib.use("Agg")


@pytest.mark.parametrize("cell", LAYER_NAMES)
@pytest.mark.parametrize("sizes", [(2, 3, 4, 5), (3, 5, 7, 2)])
def test_matmul_flops_equals_torchs_count_of_a_training_step(cell, sizes):
    # An independent count: torch's FlopCounterMode adds up every mm/addmm that autograd runs,
    # forward and backward, through rnnbook.torch's layer written from the equations.
    N, T, d_x, d_h = sizes
    layer = getattr(rtorch, cell)(d_x, d_h)
    x = torch.randn(T, N, d_x, requires_grad=True)
    h0 = torch.randn(
        1, N, d_h, requires_grad=True
    )  # so that the first step's dL/dh_0 product runs too
    hx = (h0, torch.randn(1, N, d_h)) if cell == "LSTM" else h0
    with FlopCounterMode(display=False) as forward_only:
        with torch.no_grad():
            layer(x, hx)
    with FlopCounterMode(display=False) as counter:
        out, _ = layer(x, hx)
        out.sum().backward()
    assert forward_only.get_total_flops() == core.matmul_flops(
        cell, N, T, d_x, d_h, backward=False
    )
    assert counter.get_total_flops() == core.matmul_flops(cell, N, T, d_x, d_h)


def test_time_steps_runs_blocks_of_calls_in_passes():
    calls = []
    steps = {"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}
    times = core.time_steps(steps, repeats=3, warmup=1, passes=2, settle_s=0)
    # pass 1: a warm-up + 2 timed, b likewise; pass 2: a warm-up + 1 timed, b likewise
    assert calls == ["a"] * 3 + ["b"] * 3 + ["a"] * 2 + ["b"] * 2
    assert {k: len(v) for k, v in times.items()} == {"a": 3, "b": 3}
    assert all(t >= 0 for v in times.values() for t in v)
    with pytest.raises(ValueError, match="repeats"):
        core.time_steps(steps, repeats=0)


def test_rows_give_ratios_to_the_reference_and_fraction_of_peak():
    times = {core.TORCH_NN: [2.0, 1.0, 3.0], core.RNNBOOK_NUMPY: [1.5, 3.0, 6.0]}
    rows = {
        r["impl"]: r
        for r in core._rows(
            times,
            flops=4e9,
            peak=8.0,
            reference=core.TORCH_NN,
            cell="LSTM",
            size="main",
        )
    }
    ref, ours = rows[core.TORCH_NN], rows[core.RNNBOOK_NUMPY]
    assert (ref["min_s"], ref["median_s"], ref["ratio_min"], ref["ratio_median"]) == (
        1.0,
        2.0,
        1.0,
        1.0,
    )
    assert ours["ratio_min"] == pytest.approx(1.5) and ours[
        "ratio_median"
    ] == pytest.approx(1.5)
    assert ours["gflops"] == pytest.approx(4 / 1.5) and ours[
        "frac_peak"
    ] == pytest.approx(4 / 1.5 / 8)
    assert ours["cell"] == "LSTM" and ours["repeats"] == 3


def test_check_targets_judges_each_listed_cell_at_the_main_size():
    def row(impl, cell, ratio, size="main"):
        return {
            "impl": impl,
            "cell": cell,
            "size": size,
            "ratio_min": ratio,
            "ratio_median": ratio + 1,
        }

    rows = [
        row(core.RNNBOOK_NUMPY, "LSTM", 1.09),
        row(core.RNNBOOK_NUMPY, "GRU", 1.11),
        row(core.RNNBOOK_NUMPY, "RNN", 5.0),
        row(core.RNNBOOK_TORCH, "RNN", 1.5),
        row(core.RNNBOOK_TORCH, "LSTM", 0.5, size="large"),
    ]
    got = {(t["impl"], t["cell"]): t["met"] for t in core.check_targets(rows)}
    assert got == {
        (core.RNNBOOK_NUMPY, "LSTM"): True,
        (core.RNNBOOK_NUMPY, "GRU"): False,
        (core.RNNBOOK_TORCH, "RNN"): True,
    }


def test_every_implementation_trains_the_same_layer():
    # The steps compared by the benchmark run the same weights on the same input: equal outputs' sums.
    steps = core.make_steps("GRU", 2, 3, 4, 5)
    assert set(steps) == set(core.IMPLEMENTATIONS)
    losses = [float(step().sum()) for step in steps.values()]
    assert losses == pytest.approx([losses[0]] * len(losses), rel=1e-5)
    with pytest.raises(ValueError, match="unknown implementation"):
        core.make_steps("GRU", 2, 3, 4, 5, ["nope"])


RERUN_SUFFIX = f" (OPENBLAS_CORETYPE={core.AVX512_CORETYPE})"


def expected_rows(sizes, rerun):
    """(size, cell, impl) of a complete main part: every implementation and floor, and the NumPy reruns if any."""
    impls = core.MEASURED + (
        tuple(i + RERUN_SUFFIX for i in core.RERUN if i != core.TORCH_NN)
        if rerun
        else ()
    )
    return {(s, c, i) for s in sizes for c in core.CELLS for i in impls}


def test_quick_run_writes_json_that_the_report_reads(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert (
        run_main(["--quick", "--parts", "main", "mingru", "gpu", "--out", str(out)])
        == 0
    )
    results = json.loads(out.read_text())
    assert results["meta"]["quick"] and results["meta"]["torch_threads"] >= 1
    assert results["peak"]["peak_gflops"] == max(
        g["gflops"] for g in results["peak"]["gemms"] if g["square"]
    )
    rerun = (
        core.avx512_kernels_unused()
    )  # on an AVX-512 processor whose OpenBLAS runs other kernels
    assert {
        (r["size"], r["cell"], r["impl"]) for r in results["main"]
    } == expected_rows(core.QUICK_SIZES, rerun)
    assert ("rerun" in results) == rerun
    if rerun:
        assert (
            results["rerun"]["openblas_core"] == core.AVX512_CORETYPE
        )  # the child process really ran other kernels
        assert any(
            g["library"] == "numpy.matmul" + RERUN_SUFFIX
            for g in results["peak"]["gemms"]
        )
    assert all(
        r["ratio_min"] == 1.0 for r in results["main"] if r["impl"] == core.TORCH_NN
    )
    assert len(results["targets"]) == 5 + (2 if rerun else 0)
    if not torch.cuda.is_available():
        assert results["gpu"] == {
            "measured": False,
            "reason": "no CUDA device (torch.cuda.is_available() is False)",
        }
    assert [r["T"] for r in results["mingru"]["rows"]] == [4, 16]
    text = report.format_report(results)
    assert "x torch.nn (min)" in text and "wrote" in capsys.readouterr().out
    report.plot_main(results)
    report.plot_mingru(results["mingru"])


def test_quick_run_can_skip_the_rerun_and_choose_implementations(tmp_path):
    out = tmp_path / "r.json"
    assert (
        run_main(
            [
                "--quick",
                "--parts",
                "main",
                "--no-rerun",
                "--implementations",
                core.TORCH_NN,
                core.MATMULS_NUMPY,
                "--out",
                str(out),
            ]
        )
        == 0
    )
    results = json.loads(out.read_text())
    assert {r["impl"] for r in results["main"]} == {
        core.TORCH_NN,
        core.MATMULS_NUMPY,
    } and "rerun" not in results
    with pytest.raises(SystemExit, match="unknown implementations"):
        run_main(["--quick", "--parts", "main", "--implementations", "nope"])


def test_committed_results_are_complete():
    results = report.load()
    assert not results["meta"]["quick"]
    rerun = "rerun" in results
    blas_core = results["meta"]["openblas_core"]
    assert rerun == (
        results["meta"]["avx512"]
        and blas_core != "unknown"
        and blas_core not in core.AVX512_OPENBLAS_CORES
    )
    assert {
        (r["size"], r["cell"], r["impl"]) for r in results["main"]
    } == expected_rows(core.SIZES, rerun)
    for r in results["main"]:
        N, T, d_x, d_h = core.SIZES[r["size"]]
        assert r["flops"] == core.matmul_flops(r["cell"], N, T, d_x, d_h)
        assert r["gflops"] == pytest.approx(r["flops"] / r["min_s"] / 1e9)
    assert results["targets"] == core.check_targets(results["main"])


def test_committed_floor_ratios_are_complete():
    """benchmarks/results/floors.json: both thread counts of the machine that measured, both sizes, every cell."""
    from benchmarks.run import FLOORS_OUT

    results = report.load(FLOORS_OUT)
    assert not results["meta"]["quick"]
    threads = {1, results["meta"]["cpu_count"]}
    assert {
        (r["threads"], r["size"], r["cell"], r["impl"]) for r in results["floors"]
    } == {
        (n, s, c, i)
        for n in threads
        for s in floors.FLOOR_SIZES
        for c in core.CELLS
        for i in floors.OWN_FLOOR
        if i != core.PEER or c == "LSTM"
    }
    for r in results["floors"]:
        assert (r["N"], r["T"], r["d_x"], r["d_h"]) == floors.FLOOR_SIZES[r["size"]]
        assert r["ratio_min"] == pytest.approx(r["min_s"] / r["floor_min_s"])


def test_fused_step_trains_the_same_lstm(monkeypatch):
    # The GPU part's third implementation, on the CPU and uncompiled (compiling is tested in test_fused.py).
    import rnnbook.torch.fused as fused

    monkeypatch.setattr(
        fused, "compiled_cell", lambda backend="inductor": fused.lstm_cell
    )
    steps = core.make_steps("LSTM", 2, 3, 4, 5, [core.TORCH_NN, core.FUSED])
    losses = [float(step()) for step in steps.values()]
    assert losses[1] == pytest.approx(losses[0], rel=1e-5)
    with pytest.raises(ValueError, match="is an LSTM"):
        core.make_steps("GRU", 2, 3, 4, 5, [core.FUSED])


@pytest.mark.parametrize("library", ["numpy", "torch"])
@pytest.mark.parametrize("cell", LAYER_NAMES)
def test_matmul_floor_does_exactly_the_training_steps_products(library, cell):
    # Count 2 m n k for every product the floor runs: the total must be matmul_flops, and the
    # number of products 2 T + 4 (NumPy: one dL/dW_hh product) or 3 T + 3 (torch: one per step).
    N, T, d_x, d_h = 3, 5, 4, 6
    counted = []

    def counting_mm(a, b):
        counted.append(2 * a.shape[0] * a.shape[1] * b.shape[1])
        return (np.matmul if library == "numpy" else torch.mm)(a, b)

    core.matmul_only_step(cell, N, T, d_x, d_h, library, mm=counting_mm)()
    assert sum(counted) == core.matmul_flops(cell, N, T, d_x, d_h)
    assert len(counted) == (2 * T + 4 if library == "numpy" else 3 * T + 3)
    with pytest.raises(ValueError, match="library"):
        core.matmul_only_step(cell, N, T, d_x, d_h, "jax")


def test_floors_belong_to_their_implementations():
    assert core.floor_of(core.RNNBOOK_NUMPY) == core.MATMULS_NUMPY
    assert core.floor_of(core.RNNBOOK_TORCH) == core.MATMULS_TORCH
    assert (
        core.floor_of(core.RNNBOOK_NUMPY + RERUN_SUFFIX)
        == core.MATMULS_NUMPY + RERUN_SUFFIX
    )
    assert core.floor_of(core.TORCH_NN) is None and core.floor_of(core.FUSED) is None
    assert core.is_floor(core.MATMULS_TORCH) and core.is_floor(
        core.MATMULS_NUMPY + RERUN_SUFFIX
    )
    assert not core.is_floor(core.RNNBOOK_NUMPY)


def test_peak_is_the_best_square_product_of_any_library():
    gemms = [
        {"library": "a", "square": True, "gflops": 10.0},
        {"library": "b", "square": True, "gflops": 30.0},
        {"library": "b", "square": False, "gflops": 50.0},
    ]
    assert core.peak_of(gemms) == 30.0
    later = [
        dict(g, gflops=g["gflops"] + (5 if g["library"] == "a" else -5)) for g in gemms
    ]
    merged = core.merge_peaks({"gemms": gemms}, {"gemms": later})
    assert [g["gflops"] for g in merged["gemms"]] == [15.0, 30.0, 50.0] and merged[
        "peak_gflops"
    ] == 30.0


def test_check_targets_judges_reruns_under_another_blas_kernel_too():
    rows = [
        {
            "impl": core.RNNBOOK_NUMPY + RERUN_SUFFIX,
            "cell": "LSTM",
            "size": "main",
            "ratio_min": 1.05,
            "ratio_median": 1.2,
        }
    ]
    assert core.check_targets(rows) == [
        {
            "impl": core.RNNBOOK_NUMPY + RERUN_SUFFIX,
            "cell": "LSTM",
            "limit": 1.1,
            "ratio_min": 1.05,
            "ratio_median": 1.2,
            "met": True,
        }
    ]


@pytest.mark.parametrize(
    "impl, expected",
    [
        (core.RNNBOOK_NUMPY, "lstm_step_forward"),
        (core.RNNBOOK_TORCH, "aten::addmm"),
        (core.MATMULS_TORCH, "aten::mm"),
    ],
)
def test_profile_names_where_the_step_spends_its_time(impl, expected):
    from benchmarks.profile import main as profile_main
    from benchmarks.profile import profile_step

    text = profile_step("LSTM", impl, core.QUICK_SIZES["main"], calls=2, rows=30)
    assert expected in text
    with pytest.raises(SystemExit):
        profile_main(["LSTM", impl, "--calls", "0"])


@pytest.mark.parametrize(
    "flags, blas_core, expected",
    [
        ({"avx512f", "avx2"}, "Haswell", True),
        ({"avx512f"}, "SkylakeX", False),
        ({"avx2"}, "Haswell", False),
        ({"avx512f"}, "unknown", False),
    ],
)
def test_rerun_only_where_avx512_kernels_go_unused(
    monkeypatch, flags, blas_core, expected
):
    monkeypatch.setattr(core, "cpu_flags", lambda: flags)
    monkeypatch.setattr(core, "openblas_core", lambda: blas_core)
    assert core.avx512_kernels_unused() is expected


def test_short_names_keep_the_kernel_family_and_the_narrow_table_its_columns():
    assert (
        report.short_name(core.RNNBOOK_NUMPY + RERUN_SUFFIX)
        == "rnnbook.numpy [SkylakeX]"
    )
    assert (
        report.short_name(core.MATMULS_NUMPY + RERUN_SUFFIX)
        == "matmuls only (NumPy) [SkylakeX]"
    )
    assert report.short_name(core.TORCH_NN_NATIVE) == core.TORCH_NN_NATIVE
    row = {
        "size": "main",
        "N": 1,
        "T": 2,
        "d_x": 3,
        "d_h": 4,
        "impl": core.RNNBOOK_NUMPY + RERUN_SUFFIX,
        "cell": "GRU",
        "min_s": 0.002,
        "median_s": 0.003,
        "ratio_min": 0.5,
        "ratio_median": 0.75,
        "gflops": 10.0,
        "frac_peak": 0.25,
    }
    narrow, wide = (
        report.main_table({"main": [row]}, "main"),
        report.main_table({"main": [row]}),
    )
    assert narrow.splitlines()[2].split() == [
        "rnnbook.numpy",
        "[SkylakeX]",
        "GRU",
        "2.0",
        "3.0",
        "0.50",
        "10",
        "25%",
    ]
    assert wide.splitlines()[2].split()[-4:] == ["0.50", "0.75", "10", "25%"]


def test_peer_is_an_lstm_equal_to_torch_nn():
    """The CS231n-style peer computes torch.nn.LSTM's outputs and gradients (float64, random weights)."""
    torch.manual_seed(3)
    N, T, D, H = 3, 6, 4, 5
    ref = torch.nn.LSTM(D, H).double()
    x = torch.randn(T, N, D, dtype=torch.float64, requires_grad=True)
    out, _ = ref(x)
    out.sum().backward()
    Wx, Wh, b = peer.weights_from_torch(ref.state_dict())
    h, caches = peer.lstm_forward(
        np.swapaxes(x.detach().numpy(), 0, 1), np.zeros((N, H)), Wx, Wh, b
    )
    np.testing.assert_allclose(np.swapaxes(h, 0, 1), out.detach().numpy(), atol=1e-13)
    dx, _, dWx, dWh, db = peer.lstm_backward(np.ones_like(h), caches)
    np.testing.assert_allclose(np.swapaxes(dx, 0, 1), x.grad.numpy(), atol=1e-12)

    def reordered(g):  # torch's gate order i, f, g, o -> the peer's i, f, o, g
        i, f, gg, o = np.split(g, 4, axis=0)
        return np.concatenate([i, f, o, gg], axis=0)

    np.testing.assert_allclose(
        dWh, reordered(ref.weight_hh_l0.grad.numpy()).T, atol=1e-12
    )
    np.testing.assert_allclose(
        dWx, reordered(ref.weight_ih_l0.grad.numpy()).T, atol=1e-12
    )
    np.testing.assert_allclose(
        db, reordered(ref.bias_ih_l0.grad.numpy()[:, None])[:, 0], atol=1e-12
    )
    # As a benchmark step, on the same weights and input as the other implementations.
    steps = core.make_steps("LSTM", 2, 3, 4, 5, [core.TORCH_NN, core.PEER])
    a, p = (float(step().sum()) for step in steps.values())
    assert p == pytest.approx(a, rel=1e-5)
    with pytest.raises(ValueError, match="is an LSTM"):
        core.make_steps("GRU", 2, 3, 4, 5, [core.PEER])


def test_floor_rows_divide_by_each_implementations_own_floor():
    times = {
        core.RNNBOOK_NUMPY: [3.0, 2.0, 4.0],
        core.MATMULS_NUMPY: [1.0, 1.0, 2.0],
        core.RNNBOOK_TORCH: [6.0, 5.0],
        core.MATMULS_TORCH: [2.0, 4.0],
        core.PEER: [8.0, 9.0, 10.0],
    }
    rows = {
        r["impl"]: r
        for r in floors.floor_rows(times, threads=1, size="main", cell="LSTM")
    }
    assert set(rows) == set(floors.OWN_FLOOR)
    assert rows[core.RNNBOOK_NUMPY]["ratio_min"] == 2.0
    assert rows[core.RNNBOOK_NUMPY]["ratio_median"] == 3.0
    assert (
        rows[core.RNNBOOK_TORCH]["ratio_min"] == 2.5
    )  # 5 / 2, against torch.mm's floor
    assert rows[core.PEER]["floor"] == core.MATMULS_NUMPY
    (peer_row,) = floors.peer_ratios(rows.values())
    assert peer_row["speedup_min"] == 4.0  # 8 / 2: the peer's time over rnnbook.numpy's
    verdicts = {
        (t["what"], t["met"]) for t in floors.check_floor_targets(rows.values())
    }
    assert verdicts == {
        ("rnnbook.numpy LSTM", False),  # 2.0 > 1.15
        ("rnnbook.torch LSTM", False),
        ("peer / rnnbook.numpy LSTM", True),  # 4.0 >= 1.5
    }


def test_quick_floors_and_compare_print_ratios_beside_the_committed_ones(capsys):
    assert run_main(["--quick", "--compare"]) == 0
    text = capsys.readouterr().out
    assert "Time over the implementation's own matmul floor" in text
    assert "Floor ratios now, and [in brackets] in the committed results" in text
    from benchmarks.run import FLOORS_OUT

    committed = report.load(FLOORS_OUT)["floors"]
    first = next(r for r in committed if r["impl"] == core.RNNBOOK_NUMPY)
    assert f"[{first['ratio_min']:.2f}]" in text
