"""Bad input raises a clear error that names what was expected and what came, and changes nothing."""

import numpy as np
import pytest
import torch

import rnnbook.numpy as rnp
import rnnbook.torch as rtorch
from conftest import LAYER_NAMES

# (description, input shape, hx shape or None, pattern the message must contain)
SHAPE_CASES = [
    (
        "rank 1",
        (5,),
        None,
        r"expected \(T, N, 3\) or unbatched \(T, 3\), got shape \(5\)",
    ),
    ("rank 4", (2, 5, 2, 3), None, r"expected \(T, N, 3\) .*got shape \(2, 5, 2, 3\)"),
    (
        "feature size",
        (5, 2, 4),
        None,
        r"input_size=3, expected \(T, N, 3\) .*got shape \(5, 2, 4\)",
    ),
    ("empty sequence", (0, 2, 3), None, r"empty \(T=0\).*got shape \(0, 2, 3\)"),
    ("empty unbatched sequence", (0, 3), None, r"empty \(T=0\).*got shape \(0, 3\)"),
    ("empty batch", (5, 0, 3), None, r"empty \(N=0\).*got shape \(5, 0, 3\)"),
    (
        "hx layers",
        (5, 2, 3),
        (1, 2, 4),
        r"hx must have shape \(2, 2, 4\).*got shape \(1, 2, 4\)",
    ),
    (
        "hx batch",
        (5, 2, 3),
        (2, 3, 4),
        r"hx must have shape \(2, 2, 4\).*got shape \(2, 3, 4\)",
    ),
    (
        "hx hidden",
        (5, 2, 3),
        (2, 2, 5),
        r"hx must have shape \(2, 2, 4\).*got shape \(2, 2, 5\)",
    ),
    (
        "hx rank for unbatched input",
        (5, 3),
        (2, 1, 4),
        r"hx must have shape \(2, 4\).*got shape \(2, 1, 4\)",
    ),
]


def _layer(backend, name):
    if backend == "numpy":
        return getattr(rnp, name)(3, 4, num_layers=2, seed=0), np.zeros
    return getattr(rtorch, name)(
        3, 4, num_layers=2, dtype=torch.float64
    ), lambda s: torch.zeros(s, dtype=torch.float64)


@pytest.mark.parametrize("name", LAYER_NAMES)
@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize(
    "what, x_shape, hx_shape, pattern", SHAPE_CASES, ids=[c[0] for c in SHAPE_CASES]
)
def test_bad_shapes_raise_value_error_naming_both_shapes(
    name, backend, what, x_shape, hx_shape, pattern
):
    layer, zeros = _layer(backend, name)
    hx = None if hx_shape is None else zeros(hx_shape)
    if name == "LSTM":  # the state is (h_0, c_0); the message names h_0
        pattern = pattern.replace("hx must", "h_0 must")
        hx = None if hx is None else (hx, hx)
    with pytest.raises(ValueError, match=pattern):
        layer(zeros(x_shape), hx)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_lstm_state_must_be_a_pair_of_matching_shapes(backend):
    layer, zeros = _layer(backend, "LSTM")
    x = zeros((5, 2, 3))
    with pytest.raises(ValueError, match=r"hx must be a tuple of 2 .*\(h_0, c_0\)"):
        layer(x, zeros((2, 2, 4)))
    with pytest.raises(
        ValueError, match=r"c_0 must have shape \(2, 2, 4\).*got shape \(2, 2, 3\)"
    ):
        layer(x, (zeros((2, 2, 4)), zeros((2, 2, 3))))


def test_batch_first_names_its_layout():
    layer = rnp.RNN(3, 4, batch_first=True)
    with pytest.raises(ValueError, match=r"expected \(N, T, 3\)"):
        layer.forward(np.zeros((2, 5, 7)))


@pytest.mark.parametrize("name", LAYER_NAMES)
@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_both_backends_reject_nan_and_inf(backend, name, bad):
    layer, zeros = _layer(backend, name)
    x = zeros((5, 2, 3))
    x[2, 1, 0] = bad
    with pytest.raises(ValueError, match="input contains NaN or infinity"):
        layer(x)
    hx = zeros((2, 2, 4))
    hx[0, 0, 0] = bad
    first = "h_0" if name == "LSTM" else "hx"
    with pytest.raises(ValueError, match=f"{first} contains NaN or infinity"):
        layer(zeros((5, 2, 3)), (hx, zeros((2, 2, 4))) if name == "LSTM" else hx)


def test_numpy_rejects_non_numeric_dtypes():
    layer = rnp.RNN(3, 4)
    with pytest.raises(TypeError, match="complex128"):
        layer.forward(np.zeros((5, 2, 3), dtype=complex))
    with pytest.raises(
        TypeError, match="must hold integers or floats .*got dtype bool"
    ):
        layer.forward(np.zeros((5, 2, 3), dtype=bool))
    # Integers and other float widths are cast to the layer's dtype (documented in both backends).
    out, _ = layer.forward(np.zeros((5, 2, 3), dtype=np.int64))
    assert out.dtype == np.float64
    out, _ = layer.forward(np.zeros((5, 2, 3), dtype=np.float16).tolist())
    assert out.dtype == np.float64


def test_torch_rejects_wrong_dtype_and_non_tensors():
    layer = rtorch.RNN(3, 4)  # float32 parameters
    with pytest.raises(TypeError, match=r"dtype torch.float32, got torch.float64"):
        layer(torch.zeros(5, 2, 3, dtype=torch.float64))
    with pytest.raises(TypeError, match="torch.Tensor, got ndarray"):
        layer(np.zeros((5, 2, 3), dtype=np.float32))


@pytest.mark.parametrize("cls", [rnp.RNN, rtorch.RNN])
@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"input_size": 0}, ValueError, "input_size must be >= 1, got 0"),
        ({"hidden_size": -2}, ValueError, "hidden_size must be >= 1, got -2"),
        ({"num_layers": 1.5}, TypeError, "num_layers must be an int, got float"),
        (
            {"nonlinearity": "gelu"},
            ValueError,
            r"one of \['relu', 'sigmoid', 'tanh'\], got 'gelu'",
        ),
    ],
)
def test_bad_constructor_arguments(cls, kwargs, error, match):
    args = {"input_size": 3, "hidden_size": 4, **kwargs}
    with pytest.raises(error, match=match):
        cls(**args)


def test_failed_forward_does_not_corrupt_the_cached_forward():
    layer = rnp.RNN(3, 4, seed=0)
    x = np.random.default_rng(0).standard_normal((5, 2, 3))
    out, h_n = layer.forward(x)
    d_x_before, _ = layer.backward(np.ones_like(out))
    with pytest.raises(ValueError):
        layer.forward(np.zeros((5, 2, 9)))
    d_x_after, _ = layer.backward(np.ones_like(out))
    np.testing.assert_array_equal(d_x_before, d_x_after)


def test_backward_checks_its_arguments():
    layer = rnp.RNN(3, 4, seed=0)
    with pytest.raises(RuntimeError, match="forward"):
        layer.backward(np.zeros((5, 2, 4)))
    out, h_n = layer.forward(np.zeros((5, 2, 3)))
    with pytest.raises(
        ValueError, match=r"d_output must have shape \(5, 2, 4\).*got shape \(5, 2, 3\)"
    ):
        layer.backward(np.zeros((5, 2, 3)))
    with pytest.raises(
        ValueError, match=r"d_h_n must have shape \(1, 2, 4\).*got shape \(2, 2, 4\)"
    ):
        layer.backward(out, np.zeros((2, 2, 4)))


def test_bad_state_dict_leaves_parameters_unchanged():
    layer = rnp.RNN(3, 4, seed=0)
    before = layer.state_dict()
    bad = dict(before)
    bad["weight_hh_l0"] = np.zeros((4, 5))
    with pytest.raises(
        ValueError, match=r"weight_hh_l0 must have shape \(4, 4\), got \(4, 5\)"
    ):
        layer.load_state_dict(bad)
    with pytest.raises(ValueError, match=r"missing \['bias_hh_l0'\]"):
        layer.load_state_dict({k: v for k, v in before.items() if k != "bias_hh_l0"})
    for k, v in before.items():
        np.testing.assert_array_equal(layer.params[k], v)


def test_load_state_dict_copies_into_the_arrays_an_optimiser_holds():
    layer = rnp.RNN(3, 4, seed=0)
    held = layer.params["weight_hh_l0"]
    new = rnp.RNN(3, 4, seed=1).state_dict()
    layer.load_state_dict(new)
    assert layer.params["weight_hh_l0"] is held
    np.testing.assert_array_equal(held, new["weight_hh_l0"])
