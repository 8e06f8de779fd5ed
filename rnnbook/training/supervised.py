"""Supervised training of Torch task models on fixed arrays: the trainer behind the task experiments.

The chapters on the gradient problem, gating, bidirectional and deep RNNs train
:class:`rnnbook.torch.SequenceModel` s on seeded synthetic tasks (:mod:`rnnbook.data.synthetic`). This
module is their trainer: mini-batches drawn by a seeded generator (:func:`train_minibatches`,
which the encoder-decoders' trainer shares), a loss
(``"mse"`` for regression such as the adding problem, ``"cross_entropy"`` for classes at the
last step or at every step such as copy memory), optional global-norm clipping (Pascanu et
al. 2013), and periodic evaluation on held-out data, all run by :func:`rnnbook.training.loop.run_steps`,
the loop that the language-model trainer (:mod:`rnnbook.training.lm`, windows of text with the
state carried) runs too.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import torch
from numpy.typing import ArrayLike
from torch import Tensor
from torch.nn import functional as F

from ..torch.optim import clip_grad_norm_, snap_to_float32_
from .loop import History, run_steps
from .parallel import parallel_map
from .stats import Spread, spread

__all__ = [
    "fit",
    "train_minibatches",
    "evaluate_task",
    "task_loss",
    "as_tensor_like",
    "SeedRuns",
    "Run",
    "fit_many",
    "fit_seeds",
    "train_runs",
]

K = TypeVar("K")

LOSSES = ("mse", "cross_entropy")


def as_tensor_like(a: ArrayLike, like: Tensor) -> Tensor:
    arr = np.asarray(a)
    if np.issubdtype(arr.dtype, np.integer):
        return torch.as_tensor(arr, dtype=torch.int64, device=like.device)
    return torch.as_tensor(arr, dtype=like.dtype, device=like.device)


def evaluate_task(
    model: torch.nn.Module,
    x: ArrayLike,
    y: ArrayLike,
    loss: str,
    batch_size: int = 1024,
) -> tuple[float, float]:
    """Mean loss and accuracy of ``model`` on all of ``(x, y)``, in chunks, without gradients."""
    like = next(model.parameters())
    n = len(x)  # type: ignore[arg-type]
    if n == 0:
        raise ValueError("cannot evaluate on an empty data set")
    total_loss = total_acc = 0.0
    was_training = model.training
    model.eval()
    with torch.no_grad():
        for start in range(0, n, batch_size):
            xb = as_tensor_like(x[start : start + batch_size], like)  # type: ignore[index]
            yb = as_tensor_like(y[start : start + batch_size], like)  # type: ignore[index]
            value, acc = task_loss(model(xb), yb, loss)
            total_loss += float(value) * len(xb)
            total_acc += acc * len(xb)
    model.train(was_training)
    return total_loss / n, total_acc / n


def train_minibatches(
    model: torch.nn.Module,
    num_samples: int,
    batch_loss: Callable[[np.ndarray], Tensor],
    evaluate: Callable[[], tuple[float, float]] | None,
    *,
    steps: int,
    batch_size: int,
    lr: float,
    optimizer: torch.optim.Optimizer | None,
    clip: float | None,
    eval_every: int | None,
    seed: int,
    progress: bool | None,
    snap: bool = True,
) -> History:
    """The loop shared by :func:`fit` and :func:`rnnbook.training.seq2seq.fit_seq2seq`.

    Each step draws ``batch_size`` sample indices without replacement from
    ``np.random.default_rng(seed)``, takes ``batch_loss(indices)``, backpropagates, records the
    global gradient norm (clipping it to ``clip`` if given), steps the optimiser (Adam with
    ``lr`` by default), rounds float64 parameters to the float32 grid if ``snap`` (see
    :func:`rnnbook.torch.optim.snap_to_float32_`), and calls ``evaluate()`` every ``eval_every`` steps and after the last.
    """
    for name, value in (("steps", steps), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    if not (isinstance(lr, int | float) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a finite number > 0, got {lr!r}")
    if batch_size > num_samples:
        raise ValueError(
            f"batch_size must be at most the number of samples ({num_samples}), got {batch_size}"
        )
    opt = (
        optimizer
        if optimizer is not None
        else torch.optim.Adam(model.parameters(), lr=lr)
    )
    rng = np.random.default_rng(seed)

    def step() -> tuple[float, float]:
        value = batch_loss(rng.choice(num_samples, size=batch_size, replace=False))
        opt.zero_grad()
        value.backward()
        norm = clip_grad_norm_(model.parameters(), math.inf if clip is None else clip)
        opt.step()
        if snap:
            snap_to_float32_(model.parameters())  # the same trajectory on every CPU
        return float(value.detach()), norm

    model.train()
    return run_steps(
        step, steps=steps, evaluate=evaluate, eval_every=eval_every, progress=progress
    )


def fit(
    model: torch.nn.Module,
    x: ArrayLike,
    y: ArrayLike,
    *,
    loss: str,
    steps: int,
    batch_size: int,
    lr: float = 1e-3,
    optimizer: torch.optim.Optimizer | None = None,
    clip: float | None = 1.0,
    eval_data: tuple[ArrayLike, ArrayLike] | None = None,
    eval_every: int | None = None,
    seed: int = 0,
    progress: bool | None = None,
    snap: bool = True,
) -> History:
    """Train ``model`` on ``(x, y)`` for ``steps`` mini-batch steps and return the history.

    Args:
        model: a Torch module mapping a batch of ``x`` to outputs (e.g. :class:`rnnbook.torch.SequenceModel`).
        x, y: the training set, first axis the sample (float inputs are cast to the model's
            dtype, integer ones to int64).
        loss: ``"mse"`` or ``"cross_entropy"`` (see :func:`task_loss`).
        steps, batch_size: number of optimiser steps; samples per step, drawn without
            replacement within a step by ``np.random.default_rng(seed)``.
        lr: learning rate of the default optimiser, Adam, used when ``optimizer`` is None.
        clip: clip the global gradient norm to this value (Pascanu et al. 2013); the default 1.0 is
            the book's standard for every task model, None trains unclipped (the norm is still recorded).
        eval_data, eval_every: held-out ``(x, y)`` scored every ``eval_every`` steps and after the last.
        progress: tqdm bar if True, none if False; None shows one only when stderr is a terminal.
        snap: after each step, round float64 parameters to the nearest float32 value
            (:func:`rnnbook.torch.optim.snap_to_float32_`), so that runs on different CPUs
            follow the same trajectory; False keeps full float64 parameters.
    """
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    n = len(x)  # type: ignore[arg-type]
    if n != len(y):  # type: ignore[arg-type]
        raise ValueError(
            f"x and y must have the same number of samples, got {n} and {len(y)}"
        )  # type: ignore[arg-type]
    like = next(model.parameters())
    x_all, y_all = as_tensor_like(x, like), as_tensor_like(y, like)

    def batch_loss(indices: np.ndarray) -> Tensor:
        idx = torch.as_tensor(indices, device=like.device)
        return task_loss(model(x_all[idx]), y_all[idx], loss)[0]

    evaluate = (
        None
        if eval_data is None
        else (lambda: evaluate_task(model, eval_data[0], eval_data[1], loss))
    )
    return train_minibatches(
        model,
        n,
        batch_loss,
        evaluate,
        steps=steps,
        batch_size=batch_size,
        lr=lr,
        optimizer=optimizer,
        clip=clip,
        eval_every=eval_every,
        seed=seed,
        progress=progress,
        snap=snap,
    )


@dataclass
class SeedRuns:
    """The same experiment trained from several seeds: one model and one :class:`~rnnbook.training.loop.History` per seed."""

    seeds: tuple[int, ...]
    models: list[torch.nn.Module]
    histories: list[History]

    def final(self, metric: str = "eval_loss") -> Spread:
        """The last recorded value of ``metric`` (a list field of :class:`~rnnbook.training.loop.History`) over the seeds."""
        if metric not in History.__dataclass_fields__ or metric in (
            "steps",
            "eval_steps",
        ):
            raise ValueError(
                f"metric must be a recorded loss, accuracy or norm of History, got {metric!r}"
            )
        return spread(getattr(h, metric)[-1] for h in self.histories)

    def curves(self, metric: str = "eval_loss") -> np.ndarray:
        """``metric`` over training, one row per seed: ``(len(seeds), number of records)``."""
        return np.array([getattr(h, metric) for h in self.histories], dtype=np.float64)


@dataclass(frozen=True)
class Run:
    """One training run for :func:`fit_many`: ``torch.manual_seed(seed)``, ``model = build()``, then
    ``fit(model, x, y, seed=seed, **fit_kwargs)``. ``build`` must be picklable (a class or
    ``functools.partial`` of one) when the runs go to worker processes."""

    build: Callable[[], torch.nn.Module]
    x: Any
    y: Any
    seed: int = 0
    fit_kwargs: dict[str, Any] = field(default_factory=dict)


def _fit_run(run: Run) -> tuple[dict[str, Tensor], History]:
    torch.manual_seed(run.seed)
    model = run.build()
    history = fit(
        model, run.x, run.y, seed=run.seed, **{"progress": False, **run.fit_kwargs}
    )
    return model.state_dict(), history


def fit_many(
    runs: Mapping[K, Run], processes: int | None = None
) -> dict[K, tuple[torch.nn.Module, History]]:
    """Train every :class:`Run` and return ``{key: (model, history)}`` in the order given.

    The runs are independent, so up to ``processes`` worker processes train them at once
    (default: one per CPU, see :func:`rnnbook.training.parallel.parallel_map`); the results are the same
    for any number of processes, since each run seeds itself. The trained weights come back from
    the workers and are loaded into a fresh ``build()``.
    """
    return train_runs(_fit_run, runs, processes)


def train_runs(
    worker: Callable[[Any], tuple[dict, History]],
    runs: dict[K, Any],
    processes: int | None = None,
) -> dict[K, tuple[torch.nn.Module, History]]:
    """Run ``worker(run)`` for every run on worker processes; rebuild each model (``run.build()``
    under ``run.seed``) and load the weights it sent back. Shared by :func:`fit_many` and
    :func:`rnnbook.training.seq2seq.fit_seq2seq_many`."""
    keys = list(runs)
    results = parallel_map(worker, [runs[k] for k in keys], processes)
    out: dict[K, tuple[torch.nn.Module, History]] = {}
    for key, (state, history) in zip(keys, results):
        torch.manual_seed(runs[key].seed)
        model = runs[key].build()
        model.load_state_dict(state)
        out[key] = (model, history)
    return out


def fit_seeds(
    build: Callable[[], torch.nn.Module],
    x: ArrayLike,
    y: ArrayLike,
    *,
    seeds: tuple[int, ...] = (0, 1, 2),
    processes: int | None = None,
    **fit_kwargs: Any,
) -> SeedRuns:
    """Train one model per seed: ``torch.manual_seed(seed)``, ``model = build()``, ``fit(model, ..., seed=seed)``.

    The seed fixes both the initial weights and the order of the mini-batches. ``fit_kwargs`` go
    to :func:`fit` (``loss``, ``steps``, ``batch_size``, ``lr``, ``clip``, ``eval_data``, ...).
    With ``processes`` other than 1 the seeds train in parallel (see :func:`fit_many`).
    """
    if not seeds:
        raise ValueError("seeds must name at least one seed")
    done = fit_many(
        {seed: Run(build, x, y, seed, fit_kwargs) for seed in seeds}, processes
    )
    return SeedRuns(
        tuple(seeds), [done[s][0] for s in seeds], [done[s][1] for s in seeds]
    )


def task_loss(output: Tensor, target: Tensor, loss: str) -> tuple[Tensor, float]:
    """The mean loss of a batch and its accuracy.

    ``"mse"``: ``output`` ``(N, 1)`` or ``(N,)`` against real ``target`` ``(N,)``; accuracy NaN.
    ``"cross_entropy"``: logits ``(N, C)`` against classes ``(N,)``, or ``(N, T, C)`` against
    ``(N, T)`` (averaged over all ``N T`` steps); accuracy is the fraction of arg-max hits.
    """
    if loss == "mse":
        pred = output.reshape(output.shape[0], -1)
        if pred.shape[1] != 1 or target.shape != (output.shape[0],):
            raise ValueError(
                f"mse needs output (N, 1) and target (N,), got {tuple(output.shape)} and {tuple(target.shape)}"
            )
        return F.mse_loss(pred[:, 0], target), math.nan
    if loss == "cross_entropy":
        if output.shape[:-1] != target.shape:
            raise ValueError(
                f"cross_entropy needs logits (..., C) and targets (...), got {tuple(output.shape)} and {tuple(target.shape)}"
            )
        logits = output.reshape(-1, output.shape[-1])
        flat = target.reshape(-1)
        accuracy = float((logits.argmax(dim=1) == flat).double().mean())
        return F.cross_entropy(logits, flat), accuracy
    raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
