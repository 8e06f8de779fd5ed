"""Run independent experiments on every core: one process per run, the results in order.

The book's experiments train small models, whose time goes into many tiny operations that
one core runs as fast as several. Independent runs (seeds, cells, sequence lengths) are the
parallelism that pays: :func:`parallel_map` runs ``fn(item)`` for each item in a pool of worker
processes and returns the results in the order of the items. A run's result does not depend
on which worker ran it or on how many there are, since every run seeds itself.

Workers are started with ``spawn`` (a fresh interpreter, safe with OpenMP thread pools, unlike
``fork``), so ``fn`` and the items must be picklable: functions and classes defined in a
module, ``functools.partial`` of them, arrays, numbers. A lambda or a function defined in a
notebook cell is not: with ``processes=1`` everything runs in this process instead. Each
item runs with the PyTorch default dtype that was set here when the call was made.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import multiprocessing
import os
import pickle
import signal
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

__all__ = [
    "parallel_map",
    "parallel_submit",
    "Pending",
    "PendingValue",
    "default_processes",
]

T = TypeVar("T")
R = TypeVar("R")

_POOLS: dict[int, concurrent.futures.ProcessPoolExecutor] = {}


def default_processes() -> int:
    """The number of processes to use: ``RNNBOOK_PROCESSES`` if set, else the CPUs this process may use."""
    env = os.environ.get("RNNBOOK_PROCESSES")
    if env:
        try:
            value = int(env)
        except ValueError:
            raise ValueError(
                f"RNNBOOK_PROCESSES must be a positive int, got {env!r}"
            ) from None
        if value < 1:
            raise ValueError(f"RNNBOOK_PROCESSES must be a positive int, got {env!r}")
        return value
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _pool(processes: int) -> concurrent.futures.ProcessPoolExecutor:
    """A pool of ``processes`` spawned workers, kept for later calls (starting one costs seconds)."""
    pool = _POOLS.get(processes)
    if pool is None:
        pool = concurrent.futures.ProcessPoolExecutor(
            processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
        )
        _POOLS[processes] = pool
    return pool


def _init_worker() -> None:
    """Runs first in each worker. Workers leave Ctrl-C (and a notebook's interrupt, sent to the
    whole process group) to the caller, which cancels the pending runs and shuts the pool down.
    Each worker computes with one thread, unless the environment says otherwise: the workers
    already fill the cores, and more threads per worker only oversubscribe them. (Spawned
    workers have not loaded torch or NumPy yet, so their thread pools read these variables.)"""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(name, "1")


@atexit.register
def _shutdown() -> None:
    for pool in _POOLS.values():
        pool.shutdown(wait=False, cancel_futures=True)
    _POOLS.clear()


def _call(payload: tuple[Callable[[Any], Any], Any, Any]) -> Any:
    """Worker side: set the caller's default dtype, then run ``fn(item)``."""
    fn, item, dtype = payload
    if dtype is not None:
        import torch

        torch.set_default_dtype(dtype)
    return fn(item)


def _torch_default_dtype() -> Any:
    import sys

    torch = sys.modules.get("torch")
    return None if torch is None else torch.get_default_dtype()


def _checked_processes(processes: Any) -> int:
    """``processes``, or :func:`default_processes` for None; ValueError unless a positive int."""
    if processes is None:
        return default_processes()
    if isinstance(processes, bool) or not isinstance(processes, int) or processes < 1:
        raise ValueError(f"processes must be a positive int, got {processes!r}")
    return processes


class Pending(Generic[R]):
    """Results that worker processes are computing: :meth:`result` waits for them.

    What :func:`parallel_submit` returns. A long run started early keeps one core busy while
    the cells in between use the other; ``result()`` then returns what :func:`parallel_map`
    would have returned, in the order of the items.
    """

    def __init__(
        self,
        futures: list[Any] | None = None,
        processes: int = 1,
        done: list[R] | None = None,
    ) -> None:
        self._futures = futures or []
        self._processes = processes
        self._done = done

    def then(self, finish: Callable[[list[R]], Any]) -> PendingValue:
        """A pending value: ``finish(self.result())``, computed (once) when its ``result()`` is asked for."""
        return PendingValue(self, finish)

    def done(self) -> bool:
        """True once every result is ready (``result()`` will not wait)."""
        return self._done is not None or all(f.done() for f in self._futures)

    def result(self) -> list[R]:
        """Wait for the workers and return ``[fn(item) for item in items]``; a run's exception is
        raised here. An interrupt while waiting cancels the runs not yet started."""
        if self._done is None:
            try:
                self._done = [f.result() for f in self._futures]
            except BaseException:
                # An interrupt or a failed run: drop the pool (and its queued runs) rather than reuse it.
                pool = _POOLS.pop(self._processes, None)
                if pool is not None:
                    pool.shutdown(wait=False, cancel_futures=True)
                raise
        return self._done


class PendingValue:
    """``finish(pending.result())``, computed once when :meth:`result` is first called
    (what :meth:`Pending.then` returns)."""

    def __init__(self, pending: Pending, finish: Callable[[list[Any]], Any]) -> None:
        self._pending, self._finish, self._value, self._has_value = (
            pending,
            finish,
            None,
            False,
        )

    def done(self) -> bool:
        """True once the workers have finished (``result()`` will not wait for them)."""
        return self._pending.done()

    def result(self) -> Any:
        """Wait for the workers (see :meth:`Pending.result`), then return ``finish`` of their results."""
        if not self._has_value:
            self._value, self._has_value = self._finish(self._pending.result()), True
        return self._value


def parallel_submit(
    fn: Callable[[T], R], items: Sequence[T], processes: int | None = None
) -> Pending[R]:
    """Start ``fn(item)`` for every item on up to ``processes`` worker processes; return at once.

    The same as :func:`parallel_map` (``parallel_map(...) == parallel_submit(...).result()``),
    but the caller goes on while the workers compute. Runs queue in the order submitted, so
    a later :func:`parallel_map` call shares the workers with them. With ``processes=1`` the
    items run here, before this returns; otherwise even a single item goes to a worker.
    """
    items = list(items)
    processes = _checked_processes(processes)
    if processes <= 1 or len(items) == 0:
        return Pending(done=[fn(item) for item in items])
    dtype = _torch_default_dtype()
    payloads = [(fn, item, dtype) for item in items]
    for part in (fn, *(getattr(item, "func", None) for item in items[:1])):
        if (
            getattr(part, "__module__", None) == "__main__"
            or getattr(getattr(part, "func", None), "__module__", None) == "__main__"
        ):
            raise TypeError(
                f"{processes} worker processes cannot run {part!r}: it is defined in "
                "__main__ (a notebook or script); define it in a module, or use processes=1"
            )
    try:
        pickle.dumps(payloads[0])
    except (pickle.PicklingError, AttributeError, TypeError) as error:
        raise TypeError(
            f"{processes} worker processes need a picklable fn and items (a module-level "
            f"function or functools.partial, not a lambda or a notebook function): {error}"
        ) from None
    # The pool's size is the machine's process count, whatever this call needs, so that every
    # call shares one pool: runs queued earlier (parallel_submit) keep their place.
    pool = _pool(processes)
    return Pending([pool.submit(_call, payload) for payload in payloads], processes)


def parallel_map(
    fn: Callable[[T], R], items: Sequence[T], processes: int | None = None
) -> list[R]:
    """``[fn(item) for item in items]``, computed by up to ``processes`` worker processes.

    ``processes`` defaults to :func:`default_processes`; with 1, or one item, everything runs
    here. ``fn`` and the items must be picklable when workers are used; if they are not,
    TypeError says which. :func:`parallel_submit` starts the same work without waiting for it.
    """
    items = list(items)
    processes = _checked_processes(processes)
    if len(items) <= 1:
        return [fn(item) for item in items]
    return parallel_submit(fn, items, processes).result()
