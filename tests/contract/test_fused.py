"""rnnbook.torch.fused.FusedLSTM: equal to rnnbook.torch.LSTM and torch.nn.LSTM, compiled or not, on CPU and (if present) CUDA."""

import shutil

import pytest
import torch

import rnnbook.torch as rtorch
from conftest import assert_results_close, random_case, run_torch_module
from rnnbook.torch.fused import FusedLSTM, compiled_cell

CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
COMPILER = pytest.mark.skipif(
    shutil.which("c++") is None and shutil.which("g++") is None,
    reason="torch.compile on the CPU needs a C++ compiler",
)


def _compare(backend, dtype, atol, device="cpu", bidirectional=True, seed=0):
    case = random_case(
        seed,
        batch_first=False,
        num_layers=2,
        bidirectional=bidirectional,
        state_count=2,
    )
    _, _, d_x, d_h = case["sizes"]
    torch.manual_seed(seed)
    ref = torch.nn.LSTM(d_x, d_h, num_layers=2, bidirectional=bidirectional).to(
        device=device, dtype=dtype
    )
    want = run_torch_module(
        ref, case["x"], case["hx"], case["d_out"], case["d_hn"], device=device
    )
    fused = FusedLSTM(
        d_x,
        d_h,
        num_layers=2,
        bidirectional=bidirectional,
        device=device,
        dtype=dtype,
        backend=backend,
    )
    fused.load_state_dict(ref.state_dict())
    assert_results_close(
        run_torch_module(
            fused, case["x"], case["hx"], case["d_out"], case["d_hn"], device=device
        ),
        want,
        atol,
    )


@pytest.mark.parametrize("seed", range(3))
def test_uncompiled_fused_lstm_matches_torch_nn(seed):
    _compare("eager", torch.float64, 1e-10, seed=seed)


def test_the_fused_cell_is_the_books_lstm_cell():
    # No third copy of the LSTM equations: FusedLSTM compiles rnnbook.torch.lstm_cell itself.
    assert compiled_cell("eager") is rtorch.lstm_cell


def test_lstm_cell_is_the_lstm_step_after_its_input_matmul():
    torch.manual_seed(0)
    N, D, H = 3, 2, 5
    x, h, c = (
        torch.randn(N, D, dtype=torch.float64),
        torch.randn(N, H, dtype=torch.float64),
        torch.randn(N, H, dtype=torch.float64),
    )
    w_ih = torch.randn(4 * H, D, dtype=torch.float64)
    w_hh = torch.randn(4 * H, H, dtype=torch.float64)
    want = rtorch.lstm_step_forward(x @ w_ih.T, h, c, w_hh, None)
    got = rtorch.lstm_cell(x, h, c, w_ih, w_hh)
    for a, b in zip(got, want):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-14)


def test_lengths_and_parameters_follow_rnnbook_lstm():
    torch.manual_seed(1)
    ours = rtorch.LSTM(3, 4, batch_first=True, dtype=torch.float64)
    fused = FusedLSTM(3, 4, batch_first=True, dtype=torch.float64, backend="eager")
    assert list(fused.state_dict()) == list(ours.state_dict())
    fused.load_state_dict(ours.state_dict())
    x = torch.randn(2, 6, 3, dtype=torch.float64)
    (y1, (h1, c1)), (y2, (h2, c2)) = ours(x, lengths=[6, 2]), fused(x, lengths=[6, 2])
    for a, b in ((y1, y2), (h1, h2), (c1, c2)):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12)
    assert "backend='eager'" in repr(fused)


@COMPILER
def test_compiled_fused_lstm_matches_torch_nn_on_cpu():
    # One small case: compiling the cell (forward and backward kernels) takes a while.
    _compare("inductor", torch.float64, 1e-10, bidirectional=False)


@CUDA
@pytest.mark.parametrize("dtype, atol", [(torch.float64, 1e-10), (torch.float32, 1e-5)])
def test_compiled_fused_lstm_matches_torch_nn_on_cuda(dtype, atol, monkeypatch):
    monkeypatch.setattr(torch.backends.cuda.matmul, "allow_tf32", False)
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", False)
    _compare("inductor", dtype, atol, device="cuda")
