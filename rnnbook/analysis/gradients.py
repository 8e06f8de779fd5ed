"""The gradient problem, measured: a one-unit RNN's loss surface, training traces per parameter.

Three tools of the chapter on vanishing and exploding gradients:

* :func:`one_unit_rnn` evaluates the loss of the smallest recurrent network, one tanh unit
  ``h_t = tanh(w h_{t-1} + b)`` run for ``T`` steps from ``h_0``, scored by
  ``L = (h_T - target)^2``, together with its exact gradient, on a whole grid of ``(w, b)`` at
  once (vectorised NumPy). For ``w > 1`` the unit has two stable fixed points, and ``h_T``
  switches from one to the other across a line in the ``(w, b)`` plane: the loss jumps there,
  the "cliff" of Pascanu, Mikolov and Bengio 2013, and its gradient is as large as the
  switch is steep. :func:`descend` follows gradient descent on that surface, with or without
  norm clipping.
* :func:`trace_sgd` trains a task model with plain SGD (optionally clipped) and records, at
  every step, the gradient norm of each parameter before clipping and each parameter's norm
  after the step, in the book's symbols ``W_xh, W_hh, b_h, W_hy, b_y``: what is needed to see
  *which* gradient explodes. :func:`trace_many` runs several traces on every core.
* :func:`initialised_model` builds a :class:`~rnnbook.torch.SequenceModel` whose recurrent
  weights start from a named initialisation (PyTorch's default, orthogonal, identity, or the
  default rescaled to a chosen largest singular value). It is a module-level function, so
  ``functools.partial(initialised_model, ...)`` can be sent to worker processes
  (:func:`rnnbook.training.supervised.fit_many`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import torch
from numpy.typing import ArrayLike

from ..init import identity_recurrent_, orthogonal_recurrent_, scale_recurrent_
from ..torch.optim import snap_to_float32_
from ..training.loop import run_steps
from ..training.parallel import parallel_map
from ..training.supervised import as_tensor_like, evaluate_task, task_loss

__all__ = [
    "one_unit_rnn",
    "descend",
    "initialised_model",
    "INITS",
    "Trace",
    "trace_sgd",
    "trace_many",
    "BOOK_SYMBOLS",
    "decay_per_step",
]

K = TypeVar("K")


def one_unit_rnn(
    w: ArrayLike, b: ArrayLike, *, T: int, h0: float, target: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Loss and exact gradient of a one-unit tanh RNN, for every ``(w, b)`` at once.

    The unit runs ``h_t = tanh(w h_{t-1} + b)`` for ``t = 1, ..., T`` from ``h_0 = h0`` (one
    unit with a constant input ``x_t = 1`` whose weight is ``b``) and is scored by
    ``L = (h_T - target)^2``. ``w`` and ``b`` are arrays of any shapes that broadcast (for
    example the two outputs of :func:`numpy.meshgrid`); each entry is its own network.

    The gradient is computed forward in time, alongside ``h_t`` (forward-mode
    differentiation, exact, no finite differences):
    ``dh_t/dw = (1 - h_t^2) (h_{t-1} + w dh_{t-1}/dw)`` and
    ``dh_t/db = (1 - h_t^2) (1 + w dh_{t-1}/db)``, both 0 at ``t = 0``.

    Returns ``(loss, dL/dw, dL/db)``, arrays of the broadcast shape (float64).
    """
    if isinstance(T, bool) or not isinstance(T, int) or T < 1:
        raise ValueError(f"T must be a positive int, got {T!r}")
    w_arr, b_arr = np.broadcast_arrays(
        np.asarray(w, dtype=np.float64), np.asarray(b, dtype=np.float64)
    )
    h = np.full(w_arr.shape, float(h0))
    dh_dw = np.zeros(w_arr.shape)
    dh_db = np.zeros(w_arr.shape)
    for _ in range(T):
        h_next = np.tanh(w_arr * h + b_arr)
        slope = 1.0 - h_next**2
        dh_dw, dh_db = slope * (h + w_arr * dh_dw), slope * (1.0 + w_arr * dh_db)
        h = h_next
    residual = h - float(target)
    return residual**2, 2.0 * residual * dh_dw, 2.0 * residual * dh_db


def descend(
    w0: float,
    b0: float,
    *,
    lr: float,
    steps: int,
    clip: float | None = None,
    T: int,
    h0: float,
    target: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradient descent on :func:`one_unit_rnn`'s loss from ``(w0, b0)``.

    Each step computes the gradient ``g = (dL/dw, dL/db)``, rescales it to norm ``clip`` if
    ``clip`` is given and ``||g|| > clip`` (Pascanu et al.'s norm clipping), and moves
    ``(w, b) -= lr * g``.

    Returns ``(path, grad_norms, losses)``: the points visited ``(steps + 1, 2)``, starting
    with ``(w0, b0)``; the gradient norm before clipping at each step ``(steps,)``; and the
    loss at every point of the path ``(steps + 1,)``.
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive int, got {steps!r}")
    if not (math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a finite number > 0, got {lr!r}")
    if clip is not None and not (math.isfinite(clip) and clip > 0):
        raise ValueError(f"clip must be None or a finite number > 0, got {clip!r}")
    point = np.array([w0, b0], dtype=np.float64)
    path, norms, losses = [point.copy()], [], []
    for _ in range(steps):
        loss, gw, gb = one_unit_rnn(point[0], point[1], T=T, h0=h0, target=target)
        grad = np.array([float(gw), float(gb)])
        norm = float(np.hypot(grad[0], grad[1]))
        if clip is not None and norm > clip:
            grad *= clip / norm
        losses.append(float(loss))
        norms.append(norm)
        point = point - lr * grad
        path.append(point.copy())
    losses.append(float(one_unit_rnn(point[0], point[1], T=T, h0=h0, target=target)[0]))
    return np.array(path), np.array(norms), np.array(losses)


#: The initialisations :func:`initialised_model` knows.
INITS = ("default", "orthogonal", "identity", "scaled")


def initialised_model(
    init: str = "default",
    *,
    hidden_size: int = 32,
    input_size: int = 2,
    output_size: int = 1,
    nonlinearity: str = "tanh",
    sigma_max: float | None = None,
    init_seed: int = 0,
    impl: str = "rnnbook",
) -> torch.nn.Module:
    """A one-layer RNN :class:`~rnnbook.torch.SequenceModel` whose W_hh starts from ``init``.

    ``"default"``: PyTorch's uniform draw from ``±1/sqrt(d_h)`` for every parameter.
    ``"orthogonal"``: then W_hh replaced by a random orthogonal matrix
    (:func:`rnnbook.init.orthogonal_recurrent_`, drawn with ``init_seed``).
    ``"identity"``: then W_hh = I and the biases 0 (the IRNN of Le et al. 2015 when
    ``nonlinearity="relu"``). ``"scaled"``: then W_hh rescaled to largest singular value
    ``sigma_max`` (:func:`rnnbook.init.scale_recurrent_`).

    Every other parameter comes from the default draw, so seed the global generator
    (``torch.manual_seed``) first, as :func:`rnnbook.training.supervised.fit_many` does.
    """
    from ..torch import SequenceModel

    if init not in INITS:
        raise ValueError(f"init must be one of {INITS}, got {init!r}")
    if (init == "scaled") != (sigma_max is not None):
        raise ValueError("sigma_max is needed with init='scaled' and only then")
    model = SequenceModel(
        input_size,
        hidden_size,
        output_size,
        cell="rnn",
        nonlinearity=nonlinearity,
        impl=impl,
    )
    if init == "orthogonal":
        orthogonal_recurrent_(model.rnn, 1.0, seed=init_seed)
    elif init == "identity":
        identity_recurrent_(model.rnn)
    elif init == "scaled":
        scale_recurrent_(model.rnn, float(sigma_max))  # type: ignore[arg-type]
    return model


#: torch.nn parameter names of a one-layer SequenceModel -> the book's symbols. The two torch
#: biases both receive dL/db_h, so ``b_h`` is traced once (from ``bias_ih_l0``).
BOOK_SYMBOLS = {
    "rnn.weight_ih_l0": "W_xh",
    "rnn.weight_hh_l0": "W_hh",
    "rnn.bias_ih_l0": "b_h",
    "decoder.weight": "W_hy",
    "decoder.bias": "b_y",
}


@dataclass
class Trace:
    """What :func:`trace_sgd` recorded.

    ``grad_norm[symbol]``: the L2 norm of that parameter's gradient at each step, before
    clipping; ``total_grad_norm``: the global norm over all parameters (what clipping
    compares with the threshold); ``param_norm[symbol]``: the parameter's Frobenius norm after
    each step (``param_norm_start``: before the first); ``loss``: the mini-batch loss;
    ``eval_steps`` / ``eval_loss``: held-out loss every ``eval_every`` steps and after the last.
    Every per-step array has one entry per step, step ``k`` at index ``k - 1``.
    """

    steps: np.ndarray
    loss: np.ndarray
    total_grad_norm: np.ndarray
    grad_norm: dict[str, np.ndarray]
    param_norm: dict[str, np.ndarray]
    param_norm_start: dict[str, float]
    eval_steps: list[int] = field(default_factory=list)
    eval_loss: list[float] = field(default_factory=list)


def trace_sgd(
    build: Callable[[], torch.nn.Module],
    x: ArrayLike,
    y: ArrayLike,
    *,
    seed: int = 0,
    steps: int,
    lr: float,
    batch_size: int = 64,
    clip: float | None = None,
    eval_data: tuple[ArrayLike, ArrayLike] | None = None,
    eval_every: int | None = None,
) -> Trace:
    """Train ``build()`` (after ``torch.manual_seed(seed)``) by SGD on the MSE, tracing each parameter.

    The loop is :func:`rnnbook.training.supervised.fit`'s (the same mini-batches for the same ``seed``, drawn
    without replacement by ``np.random.default_rng(seed)``; clipping of the global norm to
    ``clip`` when given; float64 parameters rounded to the float32 grid after each step, see
    :func:`rnnbook.torch.optim.snap_to_float32_`), with ``torch.optim.SGD(lr)`` and with a record, per step, of every
    parameter's gradient norm before clipping and every parameter's norm after the step (see
    :class:`Trace`). The model must be a one-layer RNN ``SequenceModel`` (parameters as in
    :data:`BOOK_SYMBOLS`). Non-finite values are recorded as they come: an exploding run is
    traced to the end.
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive int, got {steps!r}")
    if clip is not None and not (math.isfinite(clip) and clip > 0):
        raise ValueError(f"clip must be None or a finite number > 0, got {clip!r}")
    torch.manual_seed(seed)
    model = build()
    params = dict(model.named_parameters())
    missing = sorted(set(BOOK_SYMBOLS) - set(params))
    w_hh = params.get("rnn.weight_hh_l0")
    if missing or w_hh is None or w_hh.shape[0] != w_hh.shape[1]:
        raise ValueError(
            f"trace_sgd needs a one-layer RNN SequenceModel (parameters {sorted(BOOK_SYMBOLS)}, "
            f"a square W_hh); got {sorted(params)}"
        )
    like = next(model.parameters())
    x_all, y_all = as_tensor_like(x, like), as_tensor_like(y, like)
    n = len(x_all)
    if batch_size > n:
        raise ValueError(
            f"batch_size must be at most the number of samples ({n}), got {batch_size}"
        )
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    rng = np.random.default_rng(seed)
    start = {BOOK_SYMBOLS[k]: float(params[k].detach().norm()) for k in BOOK_SYMBOLS}
    grads: dict[str, list[float]] = {s: [] for s in BOOK_SYMBOLS.values()}
    norms: dict[str, list[float]] = {s: [] for s in BOOK_SYMBOLS.values()}

    def step() -> tuple[float, float]:
        idx = torch.as_tensor(rng.choice(n, size=batch_size, replace=False))
        value, _ = task_loss(model(x_all[idx]), y_all[idx], "mse")
        opt.zero_grad()
        value.backward()
        with torch.no_grad():
            per_param = [
                p.grad.norm() for p in model.parameters() if p.grad is not None
            ]
            total = float(torch.linalg.vector_norm(torch.stack(per_param)))
            for name, symbol in BOOK_SYMBOLS.items():
                grads[symbol].append(float(params[name].grad.norm()))  # type: ignore[union-attr]
            if clip is not None and total > clip:
                for p in model.parameters():
                    if p.grad is not None:
                        p.grad.mul_(clip / total)
        opt.step()
        snap_to_float32_(model.parameters())  # the same trajectory on every CPU
        with torch.no_grad():
            for name, symbol in BOOK_SYMBOLS.items():
                norms[symbol].append(float(params[name].norm()))
        return float(value.detach()), total

    def evaluate() -> tuple[float, float]:
        assert eval_data is not None
        return evaluate_task(model, eval_data[0], eval_data[1], "mse")

    model.train()
    history = run_steps(
        step,
        steps=steps,
        evaluate=None if eval_data is None else evaluate,
        eval_every=eval_every,
        progress=False,
    )
    return Trace(
        steps=np.arange(1, steps + 1),
        loss=np.array(history.train_loss),
        total_grad_norm=np.array(history.grad_norm),
        grad_norm={s: np.array(v) for s, v in grads.items()},
        param_norm={s: np.array(v) for s, v in norms.items()},
        param_norm_start=start,
        eval_steps=history.eval_steps,
        eval_loss=history.eval_loss,
    )


def _trace_call(kwargs: dict[str, Any]) -> Trace:
    return trace_sgd(**kwargs)


def trace_many(
    runs: Mapping[K, dict[str, Any]], processes: int | None = None
) -> dict[K, Trace]:
    """Run :func:`trace_sgd` ``(**kwargs)`` for every entry of ``runs``, on up to ``processes``
    worker processes (:func:`rnnbook.training.parallel.parallel_map`); ``{key: Trace}`` in the order given.

    Each run seeds itself, so the result does not depend on the number of processes. ``build``
    must be picklable (``functools.partial(initialised_model, ...)``).
    """
    keys = list(runs)
    return dict(
        zip(keys, parallel_map(_trace_call, [dict(runs[k]) for k in keys], processes))
    )


def decay_per_step(norms: Any, lags: Any = None) -> float:
    """The per-step factor ``exp(slope)`` of a line fitted to ``log norms`` against the lag.

    Args:
        norms: gradient norms indexed by lag ``k = 0, 1, ...`` (the distance back from the loss):
            shape ``(K,)``, or ``(K, N)`` for ``N`` sequences, whose log-norms are averaged over
            ``N`` first (their geometric mean).
        lags: the lags to fit (default: all ``K``); leave out lags where the norm is exactly 0
            or not yet in its steady decay.

    A factor below 1 is a vanishing gradient (``0.9`` loses 10 % per step), above 1 an exploding
    one. ValueError for fewer than two lags, or a zero, negative or non-finite norm among them.
    """
    arr = np.asarray(norms, dtype=np.float64)
    if arr.ndim not in (1, 2):
        raise ValueError(f"norms must have shape (K,) or (K, N), got {arr.shape}")
    k = np.arange(arr.shape[0]) if lags is None else np.asarray(lags, dtype=np.int64)
    if k.ndim != 1 or k.size < 2:
        raise ValueError(f"need at least two lags to fit a line, got {k.size}")
    picked = arr[k]
    if not np.all(np.isfinite(picked)) or np.any(picked <= 0):
        raise ValueError(
            "every fitted norm must be finite and > 0 (leave zero lags out with lags=)"
        )
    logs = np.log(picked)
    if logs.ndim == 2:
        logs = logs.mean(axis=1)
    return float(np.exp(np.polyfit(k, logs, 1)[0]))
