"""rnnbook.numpy.RNN and rnnbook.torch.RNN against torch.nn.RNN with the same random weights.

Compared: outputs, final states, dL/dx, dL/dh_0 and every parameter gradient, for the loss
sum(R * output) + sum(S * h_n) with random R, S; random sizes per case.
"""

import itertools

import numpy as np
import pytest
import torch
from conftest import assert_results_close, random_case, run_numpy_layer, run_torch_module

import rnnbook.numpy as rnp
import rnnbook.torch as rtorch

ATOL = {torch.float64: 1e-10, torch.float32: 1e-5}
NP_DTYPE = {torch.float64: np.float64, torch.float32: np.float32}
CONFIGS = list(itertools.product(["tanh", "relu"], [1, 2], [False, True], [False, True]))


def _reference(seed, nonlinearity, num_layers, batch_first, bidirectional, dtype, device="cpu"):
    torch.manual_seed(seed)
    case = random_case(seed, batch_first, num_layers, bidirectional)
    _, _, d_x, d_h = case["sizes"]
    kwargs = dict(num_layers=num_layers, nonlinearity=nonlinearity, batch_first=batch_first, bidirectional=bidirectional)
    ref = torch.nn.RNN(d_x, d_h, **kwargs).to(device=device, dtype=dtype)
    return case, kwargs, ref


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("nonlinearity, num_layers, batch_first, bidirectional", CONFIGS)
def test_numpy_rnn_matches_torch_nn(nonlinearity, num_layers, batch_first, bidirectional, dtype):
    seed = CONFIGS.index((nonlinearity, num_layers, batch_first, bidirectional))
    case, kwargs, ref = _reference(seed, nonlinearity, num_layers, batch_first, bidirectional, dtype)
    want = run_torch_module(ref, case["x"], case["hx"], case["d_out"], case["d_hn"])
    layer = rnp.RNN(ref.input_size, ref.hidden_size, dtype=NP_DTYPE[dtype], **kwargs)
    layer.load_state_dict(ref.state_dict())
    cast = lambda a: a.astype(NP_DTYPE[dtype])  # noqa: E731
    got = run_numpy_layer(layer, cast(case["x"]), tuple(map(cast, case["hx"])), cast(case["d_out"]), tuple(map(cast, case["d_hn"])))
    assert_results_close(got, want, ATOL[dtype])


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("nonlinearity, num_layers, batch_first, bidirectional", CONFIGS)
def test_torch_rnn_matches_torch_nn(nonlinearity, num_layers, batch_first, bidirectional, dtype):
    seed = 100 + CONFIGS.index((nonlinearity, num_layers, batch_first, bidirectional))
    case, kwargs, ref = _reference(seed, nonlinearity, num_layers, batch_first, bidirectional, dtype)
    want = run_torch_module(ref, case["x"], case["hx"], case["d_out"], case["d_hn"])
    ours = rtorch.RNN(ref.input_size, ref.hidden_size, dtype=dtype, **kwargs)
    ours.load_state_dict(ref.state_dict())
    got = run_torch_module(ours, case["x"], case["hx"], case["d_out"], case["d_hn"])
    assert_results_close(got, want, ATOL[dtype])


@pytest.mark.parametrize("bidirectional", [False, True])
def test_unbatched_input_matches_torch_nn(bidirectional):
    case = random_case(7, False, 2, bidirectional, unbatched=True)
    _, _, d_x, d_h = case["sizes"]
    ref = torch.nn.RNN(d_x, d_h, num_layers=2, bidirectional=bidirectional).double()
    want = run_torch_module(ref, case["x"], case["hx"], case["d_out"], case["d_hn"])
    layer = rnp.RNN(d_x, d_h, num_layers=2, bidirectional=bidirectional)
    layer.load_state_dict(ref.state_dict())
    assert_results_close(run_numpy_layer(layer, case["x"], case["hx"], case["d_out"], case["d_hn"]), want, 1e-10)
    ours = rtorch.RNN(d_x, d_h, num_layers=2, bidirectional=bidirectional, dtype=torch.float64)
    ours.load_state_dict(ref.state_dict())
    assert_results_close(run_torch_module(ours, case["x"], case["hx"], case["d_out"], case["d_hn"]), want, 1e-10)


def test_parameter_names_and_shapes_match_torch_nn():
    kwargs = dict(num_layers=3, bidirectional=True, bias=True)
    ref = torch.nn.RNN(5, 7, **kwargs)
    want = {k: tuple(v.shape) for k, v in ref.state_dict().items()}
    assert {k: v.shape for k, v in rnp.RNN(5, 7, **kwargs).params.items()} == want
    assert {k: tuple(v.shape) for k, v in rtorch.RNN(5, 7, **kwargs).state_dict().items()} == want
    assert list(rtorch.RNN(5, 7, **kwargs).state_dict()) == list(want)
    no_bias = {k for k in torch.nn.RNN(5, 7, bias=False).state_dict()}
    assert set(rnp.RNN(5, 7, bias=False).params) == no_bias == set(rtorch.RNN(5, 7, bias=False).state_dict())


def test_weights_round_trip_between_backends():
    ours = rtorch.RNN(3, 4, num_layers=2, dtype=torch.float64)
    layer = rnp.RNN(3, 4, num_layers=2)
    layer.load_state_dict(ours.state_dict())
    back = rtorch.RNN(3, 4, num_layers=2, dtype=torch.float64)
    back.load_state_dict({k: torch.from_numpy(v) for k, v in layer.state_dict().items()})
    x = torch.randn(5, 2, 3, dtype=torch.float64)
    torch.testing.assert_close(back(x)[0], ours(x)[0], rtol=0, atol=0)


def test_default_initialisation_is_uniform_in_torch_nn_bounds():
    layer = rnp.RNN(10, 16, seed=0)
    bound = 1 / np.sqrt(16)
    values = np.concatenate([v.ravel() for v in layer.params.values()])
    assert values.min() >= -bound and values.max() <= bound
    assert values.min() < -0.9 * bound and values.max() > 0.9 * bound  # fills the range
    assert not np.array_equal(rnp.RNN(10, 16, seed=1).params["weight_hh_l0"], layer.params["weight_hh_l0"])
    np.testing.assert_array_equal(rnp.RNN(10, 16, seed=0).params["weight_hh_l0"], layer.params["weight_hh_l0"])


CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@CUDA
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("nonlinearity, num_layers, batch_first, bidirectional", CONFIGS)
def test_torch_rnn_matches_torch_nn_on_cuda(nonlinearity, num_layers, batch_first, bidirectional, dtype, monkeypatch):
    monkeypatch.setattr(torch.backends.cuda.matmul, "allow_tf32", False)
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", False)
    seed = 200 + CONFIGS.index((nonlinearity, num_layers, batch_first, bidirectional))
    case, kwargs, ref = _reference(seed, nonlinearity, num_layers, batch_first, bidirectional, dtype, device="cuda")
    want = run_torch_module(ref, case["x"], case["hx"], case["d_out"], case["d_hn"], device="cuda")
    ours = rtorch.RNN(ref.input_size, ref.hidden_size, dtype=dtype, device="cuda", **kwargs)
    ours.load_state_dict(ref.state_dict())
    got = run_torch_module(ours, case["x"], case["hx"], case["d_out"], case["d_hn"], device="cuda")
    assert_results_close(got, want, ATOL[dtype])
