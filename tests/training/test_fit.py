"""The supervised task loop: it learns, it is deterministic, it matches a hand-written loop, it rejects bad input."""

import math

import numpy as np
import pytest
import torch

from rnnbook.data.synthetic import adding_problem
from rnnbook.torch import SequenceModel
from rnnbook.torch.optim import snap_to_float32_
from rnnbook.training.supervised import evaluate_task, fit, task_loss


def _adding_model(seed=0):
    torch.manual_seed(seed)
    return SequenceModel(2, 16, 1, cell="lstm", dtype=torch.float64)


def test_fit_matches_a_hand_written_loop_exactly():
    x, y = adding_problem(64, 10, seed=0)
    a, b = _adding_model(), _adding_model()
    history = fit(a, x, y, loss="mse", steps=5, batch_size=8, lr=1e-2, clip=0.5, seed=3)
    opt = torch.optim.Adam(b.parameters(), lr=1e-2)
    rng = np.random.default_rng(3)
    xt, yt = torch.tensor(x), torch.tensor(y)
    for step in range(5):
        idx = torch.as_tensor(rng.choice(64, size=8, replace=False))
        loss = ((b(xt[idx])[:, 0] - yt[idx]) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(b.parameters(), 0.5)
        opt.step()
        snap_to_float32_(
            b.parameters()
        )  # fit keeps float64 parameters on the float32 grid
        assert history.train_loss[step] == pytest.approx(
            float(loss.detach()), abs=1e-12
        )
        assert history.grad_norm[step] == pytest.approx(float(norm), abs=1e-12)
    for p, q in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(p, q, rtol=0, atol=1e-12)


def test_fit_learns_the_adding_problem_and_evaluates():
    x, y = adding_problem(1024, 10, seed=0)
    xv, yv = adding_problem(256, 10, seed=1)
    torch.manual_seed(0)
    model = SequenceModel(2, 16, 1, cell="gru")
    history = fit(
        model,
        x,
        y,
        loss="mse",
        steps=300,
        batch_size=64,
        lr=1e-2,
        eval_data=(xv, yv),
        eval_every=100,
        seed=0,
    )
    assert history.eval_steps == [100, 200, 300]
    # Always predicting 1 scores 1/6 (rnnbook.data.synthetic); a model that learned to add must do far better on held-out data.
    from rnnbook.data.synthetic import adding_problem_baseline_mse

    assert history.eval_loss[-1] < 0.2 * adding_problem_baseline_mse()
    assert history.eval_loss[-1] == pytest.approx(
        evaluate_task(model, xv, yv, "mse")[0], rel=1e-6
    )


def test_fit_is_deterministic():
    x, y = adding_problem(64, 8, seed=0)
    h1 = fit(_adding_model(), x, y, loss="mse", steps=4, batch_size=16, seed=1)
    h2 = fit(_adding_model(), x, y, loss="mse", steps=4, batch_size=16, seed=1)
    assert h1.train_loss == h2.train_loss


def test_task_loss_accuracy_and_shapes():
    logits = torch.tensor([[[2.0, 0.0], [0.0, 1.0]], [[0.0, 3.0], [1.0, 0.0]]])
    value, acc = task_loss(logits, torch.tensor([[0, 1], [0, 0]]), "cross_entropy")
    assert acc == 0.75
    want = torch.nn.functional.cross_entropy(
        logits.reshape(-1, 2), torch.tensor([0, 1, 0, 0])
    )
    assert float(value) == pytest.approx(float(want))
    value, acc = task_loss(
        torch.tensor([[1.0], [3.0]]), torch.tensor([0.0, 1.0]), "mse"
    )
    assert float(value) == pytest.approx(2.5) and math.isnan(acc)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"loss": "hinge"}, "loss must be one of"),
        ({"steps": 0}, "steps must be a positive int"),
        ({"batch_size": 100}, "at most the number of samples"),
        ({"lr": -1.0}, "lr must be a finite number > 0"),
    ],
)
def test_fit_bad_arguments(kwargs, match):
    x, y = adding_problem(16, 4, seed=0)
    args = {"loss": "mse", "steps": 1, "batch_size": 4, **kwargs}
    with pytest.raises(ValueError, match=match):
        fit(_adding_model(), x, y, **args)
    with pytest.raises(ValueError, match="mse needs output"):
        task_loss(torch.zeros(3, 2), torch.zeros(3), "mse")
    with pytest.raises(ValueError, match="empty"):
        evaluate_task(_adding_model(), x[:0], y[:0], "mse")


class _NoisyAdam(torch.optim.Adam):
    """Adam whose gradients carry a relative error of ``noise``: another CPU's last bits."""

    def __init__(self, params, lr, noise):
        super().__init__(params, lr=lr)
        self.noise = noise

    def step(self, closure=None):
        with torch.no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        p.grad.mul_(1 + self.noise * torch.randn_like(p.grad))
        return super().step(closure)


def _train_with_noise(noise, snap):
    from rnnbook.analysis.gradients import initialised_model

    x, y = adding_problem(1024, 10, seed=0)
    torch.manual_seed(1)
    # an IRNN (ReLU, W_hh = I) at a large learning rate: a chaotic training run
    dtype = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        model = initialised_model("identity", nonlinearity="relu", impl="torch.nn")
    finally:
        torch.set_default_dtype(dtype)
    torch.manual_seed(123)  # the noise
    opt = _NoisyAdam(model.parameters(), lr=1e-2, noise=noise)
    fit(
        model,
        x,
        y,
        loss="mse",
        steps=600,
        batch_size=64,
        optimizer=opt,
        seed=2,
        snap=snap,
    )
    return torch.cat([p.detach().flatten() for p in model.parameters()])


def test_snapping_removes_last_bit_differences_between_runs():
    """Two runs whose gradients differ by 1e-15 of their size (as two CPUs' kernels do) end with
    bit-identical parameters, because fit rounds them to the float32 grid after each step; without
    the rounding, training amplifies the difference far beyond the last bits."""
    clean = _train_with_noise(0.0, snap=True)
    noisy = _train_with_noise(1e-15, snap=True)
    assert torch.equal(clean, noisy)
    clean_raw = _train_with_noise(0.0, snap=False)
    noisy_raw = _train_with_noise(1e-15, snap=False)
    assert float((clean_raw - noisy_raw).abs().max()) > 1e-6


def test_snap_to_float32_rounds_float64_only():
    big = 1e300
    p = torch.tensor([1 / 3, -2.0 / 7, big, float("nan")], dtype=torch.float64)
    snap_to_float32_([p])
    assert p[0].item() == float(np.float32(1 / 3)) and p[1].item() == float(
        np.float32(-2.0 / 7)
    )
    assert p[2].item() == big and math.isnan(
        p[3].item()
    )  # beyond float32's range: untouched
    q = torch.tensor([1 / 3], dtype=torch.float32)
    before = q.clone()
    snap_to_float32_(q)
    assert torch.equal(q, before)


def test_numpy_snap_matches_torch():
    from rnnbook.numpy.optim import snap_to_float32_ as numpy_snap_to_float32_

    a = np.random.default_rng(0).normal(size=(4, 5))
    a[0, 0] = 1e300
    t = torch.tensor(a)
    numpy_snap_to_float32_({"a": a, "i": np.arange(3)})
    snap_to_float32_(t)
    assert np.array_equal(a, t.numpy())
    assert a[0, 0] == 1e300 and np.array_equal(
        a[1:], a[1:].astype(np.float32).astype(np.float64)
    )
