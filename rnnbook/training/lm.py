"""Training of character language models of both backends: truncated BPTT with carried state.

The training text is cut into ``N = batch_size`` contiguous streams (:func:`rnnbook.data.text.batchify`,
shape ``(L, N)``) and read in consecutive windows of ``T = seq_len`` steps. Each step:

1. take the window at the current position: inputs and targets ``(T, N)``;
2. run the model from the state the previous window ended in, compute the mean
   cross-entropy and backpropagate through the ``T`` steps of this window only
   (truncated BPTT: the state is carried forward, its gradient is cut, ``detach`` in torch);
3. clip the global gradient norm (optional) and take an optimiser step;
4. move the position on by ``T``; at the end of the streams start again from the top with
   a zero state.

Every ``eval_every`` steps (and after the last one) the model is scored on the validation
text, also read in consecutive windows with the state carried, and a checkpoint can be
written. Each step is one step of :func:`rnnbook.training.loop.run_steps`, the loop every trainer
in the package runs. Torch is imported only for torch models, so the NumPy backend needs only NumPy
(and tqdm when a progress bar is asked for).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._shapes import positive_int
from ..data.text import Vocabulary, batchify, window_at
from .checkpoint import save_checkpoint
from .loop import History, is_torch_model, run_steps

__all__ = [
    "TrainState",
    "TrainingDiverged",
    "train",
    "evaluate",
    "CharRun",
    "CharResult",
    "build_charmodel",
    "train_charmodel",
    "train_charmodels",
    "submit_charmodels",
]

Ids = NDArray[np.int64]


@dataclass
class TrainState:
    """Where the training loop stands: what a checkpoint must hold besides weights and optimiser.

    Attributes:
        step: optimiser steps taken so far.
        position: the row of the training streams where the next window starts.
        hidden: the carried recurrent state (``(num_layers, N, d_h)``; LSTM ``(h, c)``), None for zeros.
    """

    step: int = 0
    position: int = 0
    hidden: Any = None

    def to_checkpoint(self) -> dict[str, Any]:
        """The ``state`` mapping for :func:`rnnbook.training.checkpoint.save_checkpoint` (the step is saved separately)."""
        return {"position": self.position, "hidden": self.hidden}

    @classmethod
    def from_checkpoint(cls, loaded: Any) -> TrainState:
        """From the dict :func:`rnnbook.training.checkpoint.load_checkpoint` returns."""
        state = loaded["state"]
        return cls(
            step=int(loaded["step"]),
            position=int(state["position"]),
            hidden=state["hidden"],
        )


class TrainingDiverged(FloatingPointError):
    """Training stopped because the loss left the range of a model that is learning.

    Raised by :func:`train` when a training loss is not finite, or a validation loss is not
    finite or exceeds ``max_loss`` (by default twice the uniform model's ``ln V`` nats per
    character: a model that bad has been thrown off by a too large step). It is raised before
    that evaluation's checkpoint is written, so the checkpoint on disk is the last good one.

    Attributes: ``step``, ``what`` (``"training loss"`` or ``"validation loss"``), ``loss``,
    ``max_loss`` (None when only non-finite losses stop the run) and ``history`` (the
    :class:`~rnnbook.training.loop.History` up to the stop).
    """

    def __init__(
        self,
        step: int,
        what: str,
        loss: float,
        max_loss: float | None,
        history: History,
    ) -> None:
        self.step, self.what, self.loss, self.max_loss, self.history = (
            step,
            what,
            loss,
            max_loss,
            history,
        )
        limit = (
            ""
            if max_loss is None or not math.isfinite(loss)
            else f" (more than {max_loss:.3g})"
        )
        super().__init__(
            f"training diverged at step {step}: {what} {loss:.4g} nats per character{limit}"
        )


# --------------------------------------------------------------------------- data parallelism
class _DataParallel:
    """What :func:`train` needs to know about a data-parallel run, and its collectives.

    A model wrapped in ``torch.nn.parallel.DistributedDataParallel`` (DDP) is trained by
    ``world`` processes at once, each on its own share of the ``N`` text streams: rank ``r`` reads
    streams ``r N / world`` to ``(r + 1) N / world - 1`` and carries their hidden states, which
    no other process needs. DDP averages the gradients over the processes in ``backward``, so
    every process takes the same optimiser step on the same parameters: the run equals one
    process reading all ``N`` streams. Rank 0 validates, logs and saves; to save, the hidden
    states of all streams are gathered, so a checkpoint does not depend on the process count.
    For any other model this object does nothing (``world == 1``).
    """

    def __init__(self, model: Any) -> None:
        self.model, self.rank, self.world = model, 0, 1
        if type(model).__name__ == "DistributedDataParallel":
            import torch.distributed as dist

            self.dist = dist
            self.model = model.module
            self.rank, self.world = dist.get_rank(), dist.get_world_size()

    def local_streams(self, streams: Ids) -> Ids:
        """This process's columns of the ``(L, N)`` training streams."""
        if self.world == 1:
            return streams
        n = streams.shape[1]
        if n % self.world:
            raise ValueError(
                f"batch_size={n} streams cannot be shared equally by {self.world} processes"
            )
        share = n // self.world
        return streams[:, self.rank * share : (self.rank + 1) * share]

    def _map(self, hidden: Any, fn: Any) -> Any:
        if hidden is None:
            return None
        return (
            tuple(fn(h) for h in hidden)
            if isinstance(hidden, tuple | list)
            else fn(hidden)
        )

    def local_state(self, hidden: Any) -> Any:
        """This process's streams of a full carried state ``(layers, N, d_h)``."""
        if self.world == 1:
            return hidden

        def part(h: Any) -> Any:
            share = h.shape[1] // self.world
            return h[:, self.rank * share : (self.rank + 1) * share].contiguous()

        return self._map(hidden, part)

    def full_state(self, hidden: Any) -> Any:
        """Every process's carried state, joined in stream order (a collective: all ranks call it)."""
        if self.world == 1 or hidden is None:
            return hidden
        import torch

        def gather(h: Any) -> Any:
            parts = [torch.empty_like(h) for _ in range(self.world)]
            self.dist.all_gather(parts, h.contiguous())
            return torch.cat(parts, dim=1)

        return self._map(hidden, gather)

    def mean(self, value: float) -> float:
        """The mean of ``value`` over the processes (each holds the mean loss of its streams)."""
        if self.world == 1:
            return value
        import torch

        t = torch.tensor([value], dtype=torch.float64)
        if self.dist.get_backend() == "nccl":
            t = t.cuda()
        self.dist.all_reduce(t)
        return float(t[0]) / self.world

    def from_rank0(self, value: float) -> float:
        """Rank 0's ``value`` on every process."""
        if self.world == 1:
            return value
        import torch

        t = torch.tensor([value if self.rank == 0 else 0.0], dtype=torch.float64)
        if self.dist.get_backend() == "nccl":
            t = t.cuda()
        self.dist.broadcast(t, src=0)
        return float(t[0])


# --------------------------------------------------------------------------- backends
class _NumpyBackend:
    """Training and evaluation steps for an :class:`rnnbook.numpy.CharModel`."""

    def __init__(self, model: Any, optimizer: Any = None) -> None:
        from ..numpy.optim import Optimizer

        self.model, self.optimizer = model, optimizer
        if optimizer is None:  # evaluation only
            return
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"a NumPy model needs an rnnbook.numpy.optim optimizer, got {type(optimizer).__name__}"
            )
        params = model.params
        if set(optimizer.params) != set(params) or any(
            optimizer.params[k] is not v for k, v in params.items()
        ):
            raise ValueError(
                "the optimizer must be built on model.params (the same arrays), e.g. Adam(model.params)"
            )

    def train_step(
        self, inputs: Ids, targets: Ids, hidden: Any, clip: float
    ) -> tuple[float, Any, float]:
        """One window: forward, backward, clip, update; returns ``(loss, final state, norm before clipping)``."""
        from ..numpy.optim import clip_grad_norm_, snap_to_float32_

        loss, hidden = self.model.loss_and_grads(inputs, targets, hidden)
        norm = clip_grad_norm_(self.model.grads, clip)
        self.optimizer.step(self.model.grads)
        snap_to_float32_(
            self.model.params
        )  # the same trajectory on every CPU (see there)
        return loss, hidden, norm

    def eval_loss(self, inputs: Ids, targets: Ids, hidden: Any) -> tuple[float, Any]:
        return self.model.loss(inputs, targets, hidden)

    def begin_eval(self) -> None:
        pass

    def end_eval(self) -> None:
        pass


class _TorchBackend:
    """Training and evaluation steps for a torch model ``ids (T, N) -> (logits (T, N, V), state)``."""

    def __init__(self, model: Any, optimizer: Any = None) -> None:
        import torch

        if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(
                f"a torch model needs a torch.optim optimizer, got {type(optimizer).__name__}"
            )
        self.torch = torch
        self.model, self.optimizer = model, optimizer
        self.eval_model = getattr(
            model, "module", model
        )  # a DDP wrapper's module: no gradient sync
        self.device = next(model.parameters()).device
        self._was_training = True

    def _detach(self, hidden: Any) -> Any:
        if hidden is None:
            return None
        return (
            tuple(h.detach() for h in hidden)
            if isinstance(hidden, tuple | list)
            else hidden.detach()
        )

    def _loss(
        self, inputs: Ids, targets: Ids, hidden: Any, model: Any = None
    ) -> tuple[Any, Any]:
        torch = self.torch
        x = torch.from_numpy(np.ascontiguousarray(inputs)).to(self.device)
        y = torch.from_numpy(np.ascontiguousarray(targets)).to(self.device)
        logits, hidden = (self.model if model is None else model)(x, hidden)
        loss = torch.nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), y.reshape(-1)
        )
        return loss, hidden

    def train_step(
        self, inputs: Ids, targets: Ids, hidden: Any, clip: float
    ) -> tuple[float, Any, float]:
        """One window: forward, backward, clip, update; returns ``(loss, detached final state, norm before clipping)``."""
        from ..torch.optim import clip_grad_norm_, snap_to_float32_

        self.model.train()
        loss, hidden = self._loss(inputs, targets, hidden)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        norm = clip_grad_norm_(self.model.parameters(), clip)
        self.optimizer.step()
        snap_to_float32_(
            self.model.parameters()
        )  # the same trajectory on every CPU (see there)
        return (
            float(loss.detach()),
            self._detach(hidden),
            norm,
        )  # detach: truncated BPTT cuts here

    def eval_loss(self, inputs: Ids, targets: Ids, hidden: Any) -> tuple[float, Any]:
        with self.torch.no_grad():
            loss, hidden = self._loss(inputs, targets, hidden, self.eval_model)
        return float(loss), hidden

    def begin_eval(self) -> None:
        self._was_training = self.eval_model.training
        self.eval_model.eval()

    def end_eval(self) -> None:
        self.eval_model.train(self._was_training)


def _backend(model: Any, optimizer: Any = None) -> Any:
    """The backend for ``model``'s type; ``optimizer=None`` for evaluation only."""
    return (
        _TorchBackend(model, optimizer)
        if is_torch_model(model)
        else _NumpyBackend(model, optimizer)
    )


# --------------------------------------------------------------------------- helpers
def _train_streams(train_ids: ArrayLike, batch_size: int, seq_len: int) -> Ids:
    """The training streams ``(L, N)``, checked to hold at least one full window."""
    streams = batchify(train_ids, batch_size)
    if seq_len > streams.shape[0] - 1:
        raise ValueError(
            f"seq_len={seq_len} is longer than the training data: {batch_size} streams of {streams.shape[0]} "
            f"tokens allow at most {streams.shape[0] - 1} steps per window (shorten seq_len or batch_size)"
        )
    return streams


def _start_state(state: TrainState | dict[str, Any] | None, rows: int) -> TrainState:
    """A fresh copy of the state to resume from (a TrainState or load_checkpoint's dict), checked."""
    if isinstance(state, dict):
        state = TrainState.from_checkpoint(state)
    st = (
        TrainState()
        if state is None
        else TrainState(int(state.step), int(state.position), state.hidden)
    )
    if not 0 <= st.position <= rows - 1:
        raise ValueError(
            f"state.position={st.position} lies outside the training streams (rows 0..{rows - 1}): other data?"
        )
    return st


def _val_streams(val_ids: ArrayLike, batch_size: int) -> Ids:
    try:
        return batchify(val_ids, batch_size)
    except ValueError as err:
        raise ValueError(f"validation text: {err}") from None


def evaluate(model: Any, ids: ArrayLike, *, seq_len: int, batch_size: int) -> float:
    """Mean cross-entropy per character (nats) of ``model`` on ``ids``, reading with carried state.

    ``ids`` is cut into ``batch_size`` contiguous streams; each is read in consecutive windows of
    ``seq_len`` steps from a zero state, the state carried from window to window, so every
    character is predicted from all the text before it in its stream. The mean is over all
    predicted characters (windows weighted by their size). No gradients, no parameter change.
    """
    streams = _val_streams(ids, positive_int("batch_size", batch_size))
    return _evaluate_streams(_backend(model), streams, positive_int("seq_len", seq_len))


def _evaluate_streams(backend: Any, streams: Ids, seq_len: int) -> float:
    backend.begin_eval()
    try:
        total, count, hidden = 0.0, 0, None
        for start in range(0, streams.shape[0] - 1, seq_len):
            inputs, targets = window_at(streams, start, seq_len)
            loss, hidden = backend.eval_loss(inputs, targets, hidden)
            total += loss * targets.size
            count += targets.size
    finally:
        backend.end_eval()
    return total / count


# --------------------------------------------------------------------------- the loop
def train(
    model: Any,
    train_ids: ArrayLike,
    val_ids: ArrayLike,
    *,
    seq_len: int,
    batch_size: int,
    steps: int,
    optimizer: Any,
    clip: float | None = 1.0,
    eval_every: int | None = 100,
    progress: bool | None = None,
    checkpoint: str | os.PathLike[str] | None = None,
    state: TrainState | dict[str, Any] | None = None,
    vocab: Vocabulary | None = None,
    extra: dict[str, Any] | None = None,
    max_loss: float | str | None = "auto",
    on_eval: Callable[[History], None] | None = None,
) -> History:
    """Train a character language model with truncated BPTT; the same loop for both backends.

    Args:
        model: :class:`rnnbook.numpy.CharModel` or :class:`rnnbook.torch.CharModel` (any model
            mapping ids ``(T, N)`` to ``(logits (T, N, V), state)`` with the same methods).
        train_ids, val_ids: 1-D integer arrays (for example from :func:`rnnbook.data.text.split_train_val`).
        seq_len: ``T``, steps per window (backpropagation reaches at most ``T`` steps back).
        batch_size: ``N``, parallel contiguous streams.
        steps: optimiser steps to take in this call.
        optimizer: an :mod:`rnnbook.numpy.optim` optimiser built on ``model.params`` (NumPy) or a
            ``torch.optim`` optimiser over ``model.parameters()`` (torch).
        clip: clip the global gradient norm to this value (default 1.0, the book's standard;
            None: no clipping; the norm is recorded either way).
        eval_every: evaluate every this many global steps (None: only after the last step).
        progress: tqdm bar if True, none if False; None shows one only when stderr is a terminal.
        checkpoint: a path to save a checkpoint to after every evaluation (None: no saving).
        state: where to resume: a :class:`TrainState`, or the dict
            :func:`rnnbook.training.checkpoint.load_checkpoint` returned (None: step 0, zero state).
        vocab, extra: stored in the checkpoints.
        max_loss: a validation loss above this (nats per character) stops the run with
            :class:`TrainingDiverged`, as does any non-finite loss; ``"auto"`` (default) is twice
            the uniform model's ``ln V`` (``V`` from ``model.vocab_size``), None checks only for
            non-finite losses.
        on_eval: called with the :class:`~rnnbook.training.loop.History` after every evaluation (and its checkpoint),
            e.g. to print progress.

    Returns:
        The :class:`~rnnbook.training.loop.History` of this call; ``history.state`` continues it.

    Raises:
        TrainingDiverged: see ``max_loss``; the last checkpoint written is kept.

    Deterministic: no randomness is drawn here, so equal models, optimisers and data give
    equal results, and resuming from a checkpoint reproduces an uninterrupted run exactly.
    """
    backend = _backend(model, optimizer)
    dp = _DataParallel(model)  # one process, or this process's share of a DDP run
    seq_len, batch_size = (
        positive_int("seq_len", seq_len),
        positive_int("batch_size", batch_size),
    )
    steps = positive_int("steps", steps)
    eval_every = None if eval_every is None else positive_int("eval_every", eval_every)
    if clip is not None and (
        isinstance(clip, bool)
        or not isinstance(clip, int | float)
        or math.isnan(clip)
        or clip <= 0
    ):
        raise ValueError(f"clip must be a number > 0 or None, got {clip!r}")
    if max_loss == "auto":
        vocab_size = getattr(dp.model, "vocab_size", None)
        max_loss = (
            2 * math.log(vocab_size)
            if isinstance(vocab_size, int) and vocab_size > 1
            else None
        )
    elif max_loss is not None and not (
        isinstance(max_loss, int | float) and max_loss > 0
    ):
        raise ValueError(
            f"max_loss must be a number > 0, 'auto' or None, got {max_loss!r}"
        )
    streams = dp.local_streams(_train_streams(train_ids, batch_size, seq_len))
    val_streams = _val_streams(val_ids, batch_size)
    st = _start_state(state, streams.shape[0])
    st.hidden = dp.local_state(st.hidden)

    def step() -> tuple[float, float]:
        if st.position >= streams.shape[0] - 1:
            st.position, st.hidden = 0, None  # end of the data: again from a zero state
        inputs, targets = window_at(streams, st.position, seq_len)
        loss, st.hidden, norm = backend.train_step(
            inputs, targets, st.hidden, math.inf if clip is None else clip
        )
        st.position += inputs.shape[0]
        st.step += 1
        return dp.mean(loss), norm

    def stop_if_diverged(history: History) -> None:
        if not math.isfinite(history.train_loss[-1]):
            raise TrainingDiverged(
                st.step, "training loss", history.train_loss[-1], max_loss, history
            )

    def validate() -> tuple[float, float]:
        val = dp.from_rank0(
            _evaluate_streams(backend, val_streams, seq_len) if dp.rank == 0 else 0.0
        )
        if not math.isfinite(val) or (max_loss is not None and val > max_loss):
            raise TrainingDiverged(st.step, "validation loss", val, max_loss, history)
        return val, math.nan

    def save_and_report(history: History) -> None:
        if checkpoint is not None:
            full = TrainState(st.step, st.position, dp.full_state(st.hidden))
            if dp.rank == 0:
                save_checkpoint(
                    checkpoint,
                    dp.model,
                    optimizer,
                    st.step,
                    full.to_checkpoint(),
                    vocab=vocab,
                    extra=extra,
                )
        if on_eval is not None and dp.rank == 0:
            on_eval(history)

    history = History(state=st)
    run_steps(
        step,
        steps=steps,
        evaluate=validate,
        eval_every=eval_every,
        first_step=st.step,
        progress=progress if dp.rank == 0 else False,
        history=history,
        after_step=stop_if_diverged,
        after_eval=save_and_report,
    )
    st.hidden = dp.full_state(
        st.hidden
    )  # history.state continues the run with any number of processes
    return history


# --------------------------------------------------------------------------- runs in worker processes
@dataclass(frozen=True)
class CharRun:
    """One training run of a :class:`rnnbook.torch.CharModel`, described by picklable values only.

    :func:`train_charmodel` builds the model (``torch.manual_seed(seed)``, then
    ``CharModel(vocab_size, hidden_size, cell, num_layers, impl=impl)`` in the default dtype),
    optionally loads ``init_state``, builds the optimiser and calls :func:`train`. So a run can
    be sent to a worker process (:func:`train_charmodels`) and gives the same result there.

    Attributes:
        train_ids, val_ids: 1-D integer arrays (the training and validation text).
        vocab_size, hidden_size, cell, num_layers, impl: the model (see :class:`rnnbook.torch.CharModel`).
        seed: seeds the initial weights (the data order is fixed: :func:`train` draws nothing).
        optimizer: ``"adam"``, ``"sgd"`` or ``"adagrad"`` (``torch.optim``), with ``lr``
            and, for SGD, ``momentum``.
        steps, seq_len, batch_size, clip, eval_every: as in :func:`train`.
        init_state: a ``state_dict`` to start from instead of the seeded initial weights.
    """

    train_ids: Any
    val_ids: Any
    vocab_size: int
    hidden_size: int = 128
    cell: str = "gru"
    num_layers: int = 1
    impl: str = "torch.nn"
    seed: int = 0
    optimizer: str = "adam"
    lr: float = 2e-3
    momentum: float = 0.0
    steps: int = 1000
    seq_len: int = 32
    batch_size: int = 32
    clip: float | None = 1.0
    eval_every: int | None = 100
    init_state: Any = None


@dataclass
class CharResult:
    """What :func:`train_charmodel` returns: the trained weights, the :class:`~rnnbook.training.loop.History`, and the
    run's wall-clock ``seconds`` (machine dependent: for timing cells only)."""

    state_dict: Any
    history: History
    seconds: float


_OPTIMIZERS = ("adam", "sgd", "adagrad")


def build_charmodel(run: CharRun) -> Any:
    """The model of ``run``: ``torch.manual_seed(run.seed)``, a :class:`rnnbook.torch.CharModel`,
    then ``run.init_state`` loaded if given."""
    import torch

    from ..torch.charlm import CharModel

    torch.manual_seed(run.seed)
    model = CharModel(
        run.vocab_size,
        run.hidden_size,
        cell=run.cell,
        num_layers=run.num_layers,
        impl=run.impl,
    )
    if run.init_state is not None:
        model.load_state_dict(run.init_state)
    return model


def _charrun_optimizer(run: CharRun, model: Any) -> Any:
    import torch

    params = model.parameters()
    if run.optimizer == "adam":
        return torch.optim.Adam(params, lr=run.lr)
    if run.optimizer == "sgd":
        return torch.optim.SGD(params, lr=run.lr, momentum=run.momentum)
    return torch.optim.Adagrad(params, lr=run.lr)


def train_charmodel(run: CharRun) -> CharResult:
    """Train the model that ``run`` describes; a module-level function, so
    :func:`rnnbook.training.parallel.parallel_map` can run it in a worker process."""
    import time

    if run.optimizer not in _OPTIMIZERS:
        raise ValueError(
            f"optimizer must be one of {_OPTIMIZERS}, got {run.optimizer!r}"
        )
    model = build_charmodel(run)
    optimizer = _charrun_optimizer(run, model)
    start = time.perf_counter()
    history = train(
        model,
        run.train_ids,
        run.val_ids,
        seq_len=run.seq_len,
        batch_size=run.batch_size,
        steps=run.steps,
        optimizer=optimizer,
        clip=run.clip,
        eval_every=run.eval_every,
        progress=False,
    )
    seconds = time.perf_counter() - start
    return CharResult(
        {k: v.detach().clone() for k, v in model.state_dict().items()}, history, seconds
    )


def train_charmodels(
    runs: Any, processes: int | None = None
) -> dict[Any, tuple[Any, CharResult]]:
    """Train every :class:`CharRun` of the mapping ``runs`` and return ``{key: (model, result)}``.

    The runs go to up to ``processes`` worker processes (default: one per CPU, see
    :func:`rnnbook.training.parallel.parallel_map`); each seeds itself, so the results do not depend on
    the number of processes. Each ``model`` is rebuilt here (:func:`build_charmodel`) with the
    trained weights loaded. :func:`submit_charmodels` starts the same runs without waiting.
    """
    from .parallel import parallel_map

    keys = list(runs)
    return _load_charmodels(
        runs, keys, parallel_map(train_charmodel, [runs[k] for k in keys], processes)
    )


def submit_charmodels(runs: Any, processes: int | None = None) -> Any:
    """Start :func:`train_charmodels` in worker processes and return at once.

    The value returned has ``result()``, which waits for the runs and then gives what
    ``train_charmodels(runs, processes)`` returns, and ``done()``. A long run started early
    trains on one core while the cells in between use the other (see
    :func:`rnnbook.training.parallel.parallel_submit`). With ``processes=1`` the runs train here, before
    this returns.
    """
    from .parallel import parallel_submit

    keys = list(runs)
    pending = parallel_submit(train_charmodel, [runs[k] for k in keys], processes)
    return pending.then(lambda results: _load_charmodels(runs, keys, results))


def _load_charmodels(
    runs: Any, keys: list[Any], results: list[CharResult]
) -> dict[Any, tuple[Any, CharResult]]:
    """``{key: (model, result)}``: each run's model rebuilt here with its trained weights."""
    out: dict[Any, tuple[Any, CharResult]] = {}
    for key, result in zip(keys, results):
        model = build_charmodel(runs[key])
        model.load_state_dict(result.state_dict)
        out[key] = (model, result)
    return out
