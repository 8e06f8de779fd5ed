"""NumPy optimisers and gradient clipping: hand-computed steps, then parity with torch.optim and torch.nn.utils."""

import math

import numpy as np
import pytest
import torch

from rnnbook.numpy.optim import SGD, Adagrad, Adam, clip_grad_norm_
from rnnbook.torch import optim as torch_optim

# A 2-element parameter and two gradients, small enough to follow the formulas by hand.
P0 = [1.0, -2.0]
G1 = [0.5, 1.0]
G2 = [-1.0, 0.25]


def _run(make, grads):
    p = np.array(P0)
    opt = make({"p": p})
    for g in grads:
        opt.step({"p": np.array(g)})
    return p


# ----------------------------------------------------------------------------- hand computations
def test_sgd_by_hand():
    # Plain SGD, lr = 0.1: p = p - lr g = [1 - 0.05, -2 - 0.1].
    np.testing.assert_allclose(
        _run(lambda ps: SGD(ps, lr=0.1), [G1]), [0.95, -2.1], rtol=0, atol=1e-15
    )
    # Momentum 0.9. Step 1: v = g1 = [0.5, 1.0], p = [0.95, -2.1].
    # Step 2: v = 0.9 [0.5, 1.0] + [-1.0, 0.25] = [-0.55, 1.15]; p = [0.95 + 0.055, -2.1 - 0.115] = [1.005, -2.215].
    np.testing.assert_allclose(
        _run(lambda ps: SGD(ps, lr=0.1, momentum=0.9), [G1, G2]),
        [1.005, -2.215],
        rtol=0,
        atol=1e-15,
    )


def test_adagrad_by_hand():
    # Step 1: G = g^2 = [0.25, 1.0], sqrt(G) = |g|, so every coordinate moves by lr * sign(g) = 0.1:
    # p = [0.9, -2.1] (up to eps = 1e-10 in the denominator).
    np.testing.assert_allclose(
        _run(lambda ps: Adagrad(ps, lr=0.1), [G1]), [0.9, -2.1], rtol=0, atol=1e-10
    )
    # Step 2: G = [0.25 + 1.0, 1.0 + 0.0625] = [1.25, 1.0625];
    # p = [0.9 - 0.1 (-1.0) / sqrt(1.25), -2.1 - 0.1 (0.25) / sqrt(1.0625)].
    want = [0.9 + 0.1 / math.sqrt(1.25), -2.1 - 0.025 / math.sqrt(1.0625)]
    np.testing.assert_allclose(
        _run(lambda ps: Adagrad(ps, lr=0.1), [G1, G2]), want, rtol=0, atol=1e-9
    )


def test_adam_by_hand():
    # Step 1 (b1 = 0.9, b2 = 0.999): m = 0.1 g, v = 0.001 g^2; bias correction divides by 0.1 and
    # 0.001, so m_hat = g, v_hat = g^2 and the step is lr g / (|g| + eps): lr * sign(g) again.
    np.testing.assert_allclose(
        _run(lambda ps: Adam(ps, lr=0.1), [G1]), [0.9, -2.1], rtol=0, atol=1e-8
    )
    # Step 2, first coordinate: m = 0.9 (0.05) + 0.1 (-1.0) = -0.055;
    # v = 0.999 (0.00025) + 0.001 (1.0) = 0.00124975;
    # m_hat = -0.055 / (1 - 0.9^2) = -0.055 / 0.19; v_hat = 0.00124975 / (1 - 0.999^2) = 0.00124975 / 0.001999.
    # Second coordinate: m = 0.9 (0.1) + 0.1 (0.25) = 0.115; v = 0.999 (0.001) + 0.001 (0.0625) = 0.0010615.
    m_hat = np.array([-0.055, 0.115]) / 0.19
    v_hat = np.array([0.00124975, 0.0010615]) / 0.001999
    want = np.array([0.9, -2.1]) - 0.1 * m_hat / (np.sqrt(v_hat) + 1e-8)
    got = _run(lambda ps: Adam(ps, lr=0.1), [G1, G2])
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-8)
    assert abs(got[0] - 0.93661) < 1e-5  # 0.9 + 0.1 * 0.28947 / 0.79069


def test_clip_by_hand():
    # ||g|| = sqrt(3^2 + 4^2) = 5 over two arrays; max_norm 1 scales by 1 / (5 + 1e-6).
    grads = {"a": np.array([3.0]), "b": np.array([4.0])}
    assert clip_grad_norm_(grads, 1.0) == 5.0
    np.testing.assert_allclose([grads["a"][0], grads["b"][0]], [0.6, 0.8], rtol=1e-6)


# ----------------------------------------------------------------------------- parity with torch
def _random_problem(seed):
    rng = np.random.default_rng(seed)
    params = {"w": rng.standard_normal((3, 4)), "b": rng.standard_normal(5)}
    grads = [
        {k: rng.standard_normal(v.shape) for k, v in params.items()} for _ in range(25)
    ]
    return params, grads


OPTIMISERS = [
    ("sgd", lambda ps: SGD(ps, lr=0.05), lambda ts: torch.optim.SGD(ts, lr=0.05)),
    (
        "sgd-momentum",
        lambda ps: SGD(ps, lr=0.05, momentum=0.9),
        lambda ts: torch.optim.SGD(ts, lr=0.05, momentum=0.9),
    ),
    (
        "adagrad",
        lambda ps: Adagrad(ps, lr=0.1),
        lambda ts: torch.optim.Adagrad(ts, lr=0.1),
    ),
    ("adam", lambda ps: Adam(ps, lr=0.01), lambda ts: torch.optim.Adam(ts, lr=0.01)),
    (
        "adam-betas",
        lambda ps: Adam(ps, lr=0.03, betas=(0.8, 0.99), eps=1e-6),
        lambda ts: torch.optim.Adam(ts, lr=0.03, betas=(0.8, 0.99), eps=1e-6),
    ),
]


@pytest.mark.parametrize(
    "name, ours, theirs", OPTIMISERS, ids=[o[0] for o in OPTIMISERS]
)
def test_multi_step_parity_with_torch_optim(name, ours, theirs):
    params, grads = _random_problem(sum(map(ord, name)))  # a fixed seed per optimiser
    tensors = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    opt, ref = (
        ours({k: v.copy() for k, v in params.items()}),
        theirs(list(tensors.values())),
    )
    for g in grads:
        opt.step(g)
        for k, t in tensors.items():
            t.grad = torch.tensor(g[k])
        ref.step()
    for k, t in tensors.items():
        np.testing.assert_allclose(
            opt.params[k], t.detach().numpy(), rtol=1e-12, atol=1e-13, err_msg=k
        )


@pytest.mark.parametrize(
    "name, ours, theirs", OPTIMISERS, ids=[o[0] for o in OPTIMISERS]
)
def test_state_dict_round_trip_resumes_exactly(name, ours, theirs):
    params, grads = _random_problem(1)
    straight = ours({k: v.copy() for k, v in params.items()})
    for g in grads:
        straight.step(g)
    first = ours({k: v.copy() for k, v in params.items()})
    for g in grads[:10]:
        first.step(g)
    saved = first.state_dict()
    assert all(isinstance(v, np.ndarray | int | float) for v in saved.values())
    second = ours(
        {k: v.copy() for k, v in first.params.items()}
    )  # fresh object, same parameter values
    second.load_state_dict(
        {k: np.asarray(v) for k, v in saved.items()}
    )  # numbers as 0-d arrays, as np.load gives
    for g in grads[10:]:
        second.step(g)
    for k in params:
        np.testing.assert_array_equal(second.params[k], straight.params[k])


def test_step_updates_the_callers_arrays_in_place():
    p = np.zeros(3)
    opt = Adam({"p": p}, lr=0.1)
    opt.step({"p": np.ones(3)})
    assert opt.params["p"] is p and np.all(p < 0)


@pytest.mark.parametrize("max_norm", [0.5, 3.0, 100.0])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_clip_matches_torch(max_norm, dtype):
    rng = np.random.default_rng(3)
    grads = {
        "a": rng.standard_normal((4, 3)).astype(dtype),
        "b": rng.standard_normal(7).astype(dtype),
    }
    before = {k: v.copy() for k, v in grads.items()}
    tensors = [
        torch.zeros(
            v.shape, dtype=torch.float64 if dtype == np.float64 else torch.float32
        )
        for v in grads.values()
    ]
    for t, g in zip(tensors, grads.values()):
        t.grad = torch.tensor(g)
    want = float(torch.nn.utils.clip_grad_norm_(tensors, max_norm))
    got = clip_grad_norm_(grads, max_norm)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    assert got == pytest.approx(want, rel=tol)
    for t, (k, g) in zip(tensors, grads.items()):
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=tol, atol=0, err_msg=k)
    if max_norm == 100.0:  # norm about 4: below the threshold, nothing changes at all
        for k in grads:
            np.testing.assert_array_equal(grads[k], before[k])


@pytest.mark.parametrize("max_norm", [0.5, 100.0])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_torch_clip_matches_torch_nn_utils(max_norm, dtype):
    gen = torch.Generator().manual_seed(4)
    grads = [
        torch.randn(4, 3, generator=gen, dtype=dtype),
        torch.randn(7, generator=gen, dtype=dtype),
        None,
    ]
    ours = [
        torch.zeros(4, 3, dtype=dtype),
        torch.zeros(7, dtype=dtype),
        torch.zeros(2, dtype=dtype),
    ]
    ref = [p.clone() for p in ours]
    for a, b, g in zip(ours, ref, grads):
        a.grad = None if g is None else g.clone()
        b.grad = None if g is None else g.clone()
    got = torch_optim.clip_grad_norm_(ours, max_norm)
    want = float(torch.nn.utils.clip_grad_norm_(ref, max_norm))
    assert got == want
    for a, b in zip(ours, ref):
        if b.grad is not None:
            torch.testing.assert_close(a.grad, b.grad, rtol=0, atol=0)
    assert ours[2].grad is None


def test_torch_clip_of_a_single_tensor_and_of_no_gradients():
    p = torch.zeros(2)
    p.grad = torch.tensor([3.0, 4.0])
    assert torch_optim.clip_grad_norm_(p, 1.0) == 5.0
    torch.testing.assert_close(p.grad, torch.tensor([0.6, 0.8]))
    assert torch_optim.clip_grad_norm_([torch.zeros(2)], 1.0) == 0.0


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("cls", [SGD, Adagrad, Adam])
@pytest.mark.parametrize("lr", [0.0, -0.1, math.nan, math.inf])
def test_non_positive_or_non_finite_lr_is_rejected(cls, lr):
    with pytest.raises(ValueError, match="lr must be a finite number > 0"):
        cls({"p": np.zeros(2)}, lr=lr)


def test_bad_hyperparameters_and_params():
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\), got 1.0"):
        SGD({"p": np.zeros(2)}, lr=0.1, momentum=1.0)
    with pytest.raises(ValueError, match=r"beta2 must be in \[0, 1\), got 1.5"):
        Adam({"p": np.zeros(2)}, betas=(0.9, 1.5))
    with pytest.raises(ValueError, match="eps must be a finite number >= 0"):
        Adagrad({"p": np.zeros(2)}, lr=0.1, eps=-1.0)
    with pytest.raises(
        TypeError, match="parameter 'p' must be a floating-point numpy array, got list"
    ):
        SGD({"p": [1.0, 2.0]}, lr=0.1)
    with pytest.raises(ValueError, match="non-empty dict"):
        SGD({}, lr=0.1)


def test_grads_must_match_params():
    opt = SGD({"w": np.zeros((2, 3)), "b": np.zeros(2)}, lr=0.1)
    with pytest.raises(ValueError, match=r"missing \['b'\], unexpected \['c'\]"):
        opt.step({"w": np.zeros((2, 3)), "c": np.zeros(2)})
    with pytest.raises(
        ValueError, match=r"grads\['w'\] must have shape \(2, 3\).*got \(3, 2\)"
    ):
        opt.step({"w": np.zeros((3, 2)), "b": np.zeros(2)})


def test_bad_state_dict_changes_nothing():
    opt = Adam({"p": np.zeros(2)}, lr=0.1)
    opt.step({"p": np.ones(2)})
    good = opt.state_dict()
    with pytest.raises(ValueError, match=r"exp_avg/p must have shape \(2\), got \(3\)"):
        opt.load_state_dict({**good, "lr": 0.5, "exp_avg/p": np.zeros(3)})
    with pytest.raises(ValueError, match="lr must be a finite number > 0"):
        opt.load_state_dict({**good, "lr": -1.0})
    with pytest.raises(ValueError, match=r"missing \['step'\]"):
        opt.load_state_dict({k: v for k, v in good.items() if k != "step"})
    assert opt.lr == 0.1 and opt.step_count == 1


def test_clip_rejects_bad_thresholds():
    for bad in (0.0, -1.0, math.nan):
        with pytest.raises(ValueError, match="max_norm must be > 0"):
            clip_grad_norm_({"a": np.ones(2)}, bad)
        with pytest.raises(ValueError, match="max_norm must be > 0"):
            torch_optim.clip_grad_norm_([], bad)
    assert clip_grad_norm_({"a": np.array([3.0, 4.0])}, math.inf) == 5.0
