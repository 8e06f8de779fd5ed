"""rnnbook.numpy.Linear against torch.nn.Linear, and its backward against finite differences."""

import numpy as np
import pytest
import torch

from rnnbook.numpy import Linear, numerical_gradient, relative_error


@pytest.mark.parametrize(
    "leading", [(5,), (4, 3), (2, 3, 2)], ids=["(N,)", "(T,N)", "(A,T,N)"]
)
@pytest.mark.parametrize("bias", [True, False])
def test_matches_torch_nn_linear(leading, bias):
    torch.manual_seed(0)
    ref = torch.nn.Linear(6, 4, bias=bias).double()
    layer = Linear(6, 4, bias=bias)
    layer.load_state_dict(ref.state_dict())
    rng = np.random.default_rng(1)
    x = rng.standard_normal((*leading, 6))
    d_y = rng.standard_normal((*leading, 4))
    xt = torch.tensor(x, requires_grad=True)
    yt = ref(xt)
    (yt * torch.tensor(d_y)).sum().backward()
    y = layer.forward(x)
    d_x = layer.backward(d_y)
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(d_x, xt.grad.numpy(), rtol=0, atol=1e-12)
    assert sorted(layer.grads) == sorted(name for name, _ in ref.named_parameters())
    for name, p in ref.named_parameters():
        np.testing.assert_allclose(
            layer.grads[name], p.grad.numpy(), rtol=0, atol=1e-12, err_msg=name
        )


def test_backward_matches_finite_differences():
    layer = Linear(3, 5, seed=0)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 2, 3))
    r = rng.standard_normal((4, 2, 5))

    def loss() -> float:
        return float(np.sum(r * layer.forward(x)))

    loss()
    d_x = layer.backward(r)
    analytic = {"input": d_x, **{k: v.copy() for k, v in layer.grads.items()}}
    numeric = {
        "input": numerical_gradient(loss, x),
        **{k: numerical_gradient(loss, v) for k, v in layer.params.items()},
    }
    for name in analytic:
        assert relative_error(analytic[name], numeric[name]) < 1e-8, name


def test_default_initialisation_is_torch_nn_linear_bounds():
    layer = Linear(16, 300, seed=0)
    bound = 1 / np.sqrt(16)
    for name in ("weight", "bias"):
        values = layer.params[name]
        assert values.min() >= -bound and values.max() <= bound
        assert values.min() < -0.9 * bound and values.max() > 0.9 * bound, name
    assert layer.params["weight"].shape == tuple(torch.nn.Linear(16, 300).weight.shape)
    np.testing.assert_array_equal(
        Linear(16, 300, seed=0).params["weight"], layer.params["weight"]
    )
    assert not np.array_equal(
        Linear(16, 300, seed=1).params["weight"], layer.params["weight"]
    )


def test_load_state_dict_copies_into_the_existing_arrays():
    layer = Linear(3, 2, seed=0)
    weight = layer.params["weight"]
    layer.load_state_dict({"weight": np.ones((2, 3)), "bias": np.zeros(2)})
    assert layer.params["weight"] is weight
    np.testing.assert_array_equal(weight, np.ones((2, 3)))


def test_float32_stays_float32():
    layer = Linear(3, 2, dtype=np.float32, seed=0)
    y = layer.forward(np.ones((4, 3)))
    assert y.dtype == np.float32
    assert layer.backward(np.ones_like(y)).dtype == np.float32
    assert all(g.dtype == np.float32 for g in layer.grads.values())


def test_bad_input_raises_clear_errors():
    layer = Linear(3, 2, seed=0)
    with pytest.raises(
        ValueError, match=r"input must have shape \(\.\.\., 3\).*got shape \(4, 5\)"
    ):
        layer.forward(np.zeros((4, 5)))
    with pytest.raises(RuntimeError, match="forward"):
        layer.backward(np.zeros((4, 2)))
    layer.forward(np.zeros((4, 3)))
    with pytest.raises(
        ValueError, match=r"d_y must have shape \(4, 2\).*got shape \(4, 3\)"
    ):
        layer.backward(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="in_features must be >= 1, got 0"):
        Linear(0, 2)
    with pytest.raises(TypeError, match="out_features must be an int, got float"):
        Linear(3, 2.0)
    with pytest.raises(
        ValueError, match=r"weight must have shape \(2, 3\), got \(3, 2\)"
    ):
        layer.load_state_dict({"weight": np.zeros((3, 2)), "bias": np.zeros(2)})
    with pytest.raises(ValueError, match=r"missing \['bias'\]"):
        layer.load_state_dict({"weight": np.zeros((2, 3))})
