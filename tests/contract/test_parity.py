"""rnnbook.numpy and rnnbook.torch RNN, LSTM and GRU against torch.nn with the same random weights.

Compared: outputs, final states, dL/dx, dL/d(initial states) and every parameter gradient, for
the loss sum(R * output) + sum(S * final states) with random R, S; random sizes per case.
"""

import itertools

import numpy as np
import pytest
import torch

import rnnbook.numpy as rnp
import rnnbook.torch as rtorch
from conftest import (
    LAYER_NAMES,
    assert_results_close,
    random_case,
    run_numpy_layer,
    run_torch_module,
)

ATOL = {torch.float64: 1e-10, torch.float32: 1e-5}
NP_DTYPE = {torch.float64: np.float64, torch.float32: np.float32}
CELLS = [
    ("RNN", {"nonlinearity": "tanh"}),
    ("RNN", {"nonlinearity": "relu"}),
    ("LSTM", {}),
    ("GRU", {}),
]
LAYOUTS = list(
    itertools.product([1, 2], [False, True], [False, True])
)  # num_layers, batch_first, bidirectional
CASES = [
    (name, extra, *layout)
    for (name, extra), layout in itertools.product(CELLS, LAYOUTS)
]
IDS = [
    f"{n}-{e.get('nonlinearity', '')}-L{L}-{'bf' if bf else 'tm'}-{'bi' if bi else 'uni'}"
    for n, e, L, bf, bi in CASES
]
DTYPES = pytest.mark.parametrize(
    "dtype", [torch.float64, torch.float32], ids=["float64", "float32"]
)


def _reference(
    index, name, extra, num_layers, batch_first, bidirectional, dtype, device="cpu"
):
    torch.manual_seed(index)
    state_count = 2 if name == "LSTM" else 1
    case = random_case(index, batch_first, num_layers, bidirectional, state_count)
    _, _, d_x, d_h = case["sizes"]
    kwargs = dict(
        num_layers=num_layers,
        batch_first=batch_first,
        bidirectional=bidirectional,
        **extra,
    )
    ref = getattr(torch.nn, name)(d_x, d_h, **kwargs).to(device=device, dtype=dtype)
    want = run_torch_module(
        ref, case["x"], case["hx"], case["d_out"], case["d_hn"], device=device
    )
    return case, kwargs, ref, want


@DTYPES
@pytest.mark.parametrize(
    "name, extra, num_layers, batch_first, bidirectional", CASES, ids=IDS
)
def test_numpy_matches_torch_nn(
    name, extra, num_layers, batch_first, bidirectional, dtype
):
    index = CASES.index((name, extra, num_layers, batch_first, bidirectional))
    case, kwargs, ref, want = _reference(
        index, name, extra, num_layers, batch_first, bidirectional, dtype
    )
    layer = getattr(rnp, name)(
        ref.input_size, ref.hidden_size, dtype=NP_DTYPE[dtype], **kwargs
    )
    layer.load_state_dict(ref.state_dict())
    cast = lambda a: a.astype(NP_DTYPE[dtype])  # noqa: E731
    got = run_numpy_layer(
        layer,
        cast(case["x"]),
        tuple(map(cast, case["hx"])),
        cast(case["d_out"]),
        tuple(map(cast, case["d_hn"])),
    )
    assert_results_close(got, want, ATOL[dtype])


@DTYPES
@pytest.mark.parametrize(
    "name, extra, num_layers, batch_first, bidirectional", CASES, ids=IDS
)
def test_torch_matches_torch_nn(
    name, extra, num_layers, batch_first, bidirectional, dtype
):
    index = 1000 + CASES.index((name, extra, num_layers, batch_first, bidirectional))
    case, kwargs, ref, want = _reference(
        index, name, extra, num_layers, batch_first, bidirectional, dtype
    )
    ours = getattr(rtorch, name)(ref.input_size, ref.hidden_size, dtype=dtype, **kwargs)
    ours.load_state_dict(ref.state_dict())
    got = run_torch_module(ours, case["x"], case["hx"], case["d_out"], case["d_hn"])
    assert_results_close(got, want, ATOL[dtype])


@pytest.mark.parametrize("name", LAYER_NAMES)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_unbatched_input_matches_torch_nn(name, bidirectional):
    case = random_case(
        7, False, 2, bidirectional, 2 if name == "LSTM" else 1, unbatched=True
    )
    _, _, d_x, d_h = case["sizes"]
    ref = getattr(torch.nn, name)(
        d_x, d_h, num_layers=2, bidirectional=bidirectional
    ).double()
    want = run_torch_module(ref, case["x"], case["hx"], case["d_out"], case["d_hn"])
    layer = getattr(rnp, name)(d_x, d_h, num_layers=2, bidirectional=bidirectional)
    layer.load_state_dict(ref.state_dict())
    assert_results_close(
        run_numpy_layer(layer, case["x"], case["hx"], case["d_out"], case["d_hn"]),
        want,
        1e-10,
    )
    ours = getattr(rtorch, name)(
        d_x, d_h, num_layers=2, bidirectional=bidirectional, dtype=torch.float64
    )
    ours.load_state_dict(ref.state_dict())
    assert_results_close(
        run_torch_module(ours, case["x"], case["hx"], case["d_out"], case["d_hn"]),
        want,
        1e-10,
    )


@pytest.mark.parametrize("name", LAYER_NAMES)
@pytest.mark.parametrize("bias", [True, False])
def test_parameter_names_and_shapes_match_torch_nn(name, bias):
    kwargs = dict(num_layers=3, bidirectional=True, bias=bias)
    want = {
        k: tuple(v.shape)
        for k, v in getattr(torch.nn, name)(5, 7, **kwargs).state_dict().items()
    }
    assert {
        k: v.shape for k, v in getattr(rnp, name)(5, 7, **kwargs).params.items()
    } == want
    ours = getattr(rtorch, name)(5, 7, **kwargs).state_dict()
    assert (
        list(ours) == list(want)
        and {k: tuple(v.shape) for k, v in ours.items()} == want
    )


def test_gru_has_three_quarters_of_an_lstms_parameters():
    count = lambda layer: sum(v.size for v in layer.params.values())  # noqa: E731
    for d_x, d_h in [(1, 1), (10, 32), (128, 256)]:
        assert 4 * count(rnp.GRU(d_x, d_h)) == 3 * count(rnp.LSTM(d_x, d_h))


@pytest.mark.parametrize("name", LAYER_NAMES)
def test_weights_round_trip_between_backends(name):
    ours = getattr(rtorch, name)(3, 4, num_layers=2, dtype=torch.float64)
    layer = getattr(rnp, name)(3, 4, num_layers=2)
    layer.load_state_dict(ours.state_dict())
    back = getattr(rtorch, name)(3, 4, num_layers=2, dtype=torch.float64)
    back.load_state_dict(
        {k: torch.from_numpy(v) for k, v in layer.state_dict().items()}
    )
    x = torch.randn(5, 2, 3, dtype=torch.float64)
    torch.testing.assert_close(back(x)[0], ours(x)[0], rtol=0, atol=0)


@pytest.mark.parametrize("name", LAYER_NAMES)
def test_default_initialisation_is_uniform_in_torch_nn_bounds(name):
    layer = getattr(rnp, name)(10, 16, seed=0)
    bound = 1 / np.sqrt(16)
    values = np.concatenate([v.ravel() for v in layer.params.values()])
    assert values.min() >= -bound and values.max() <= bound
    assert values.min() < -0.9 * bound and values.max() > 0.9 * bound  # fills the range
    other = getattr(rnp, name)(10, 16, seed=1).params["weight_hh_l0"]
    assert not np.array_equal(other, layer.params["weight_hh_l0"])
    np.testing.assert_array_equal(
        getattr(rnp, name)(10, 16, seed=0).params["weight_hh_l0"],
        layer.params["weight_hh_l0"],
    )


def test_lstm_rejects_projections():
    with pytest.raises(ValueError, match="proj_size must be 0"):
        rtorch.LSTM(3, 4, proj_size=2)


CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@CUDA
@DTYPES
@pytest.mark.parametrize(
    "name, extra, num_layers, batch_first, bidirectional", CASES, ids=IDS
)
def test_torch_matches_torch_nn_on_cuda(
    name, extra, num_layers, batch_first, bidirectional, dtype, monkeypatch
):
    monkeypatch.setattr(torch.backends.cuda.matmul, "allow_tf32", False)
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", False)
    index = 2000 + CASES.index((name, extra, num_layers, batch_first, bidirectional))
    case, kwargs, ref, want = _reference(
        index, name, extra, num_layers, batch_first, bidirectional, dtype, device="cuda"
    )
    ours = getattr(rtorch, name)(
        ref.input_size, ref.hidden_size, dtype=dtype, device="cuda", **kwargs
    )
    ours.load_state_dict(ref.state_dict())
    got = run_torch_module(
        ours, case["x"], case["hx"], case["d_out"], case["d_hn"], device="cuda"
    )
    assert_results_close(got, want, ATOL[dtype])
