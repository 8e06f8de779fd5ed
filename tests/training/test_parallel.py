"""rnnbook.training.parallel.parallel_map and rnnbook.training.supervised.fit_seeds: the results do not depend on the process count."""

import functools
import math
import time

import pytest

torch = pytest.importorskip("torch")

import rnnbook.torch as rt  # noqa: E402
from rnnbook.data.synthetic import adding_problem  # noqa: E402
from rnnbook.training.parallel import default_processes, parallel_map  # noqa: E402
from rnnbook.training.supervised import fit_seeds  # noqa: E402


def test_parallel_map_keeps_order_in_workers():
    assert parallel_map(math.factorial, [5, 3, 4, 1], processes=2) == [120, 6, 24, 1]
    assert parallel_map(math.factorial, [5, 3], processes=1) == [120, 6]


def test_parallel_map_refuses_what_a_worker_cannot_import():
    with pytest.raises(TypeError, match="picklable|__main__"):
        parallel_map(lambda v: v, [1, 2], processes=2)
    assert parallel_map(lambda v: v + 1, [1, 2], processes=1) == [
        2,
        3,
    ]  # in this process: fine


def test_parallel_map_bad_processes():
    with pytest.raises(ValueError, match="processes must be a positive int"):
        parallel_map(abs, [1], processes=0)


def test_default_processes_env(monkeypatch):
    monkeypatch.setenv("RNNBOOK_PROCESSES", "3")
    assert default_processes() == 3
    monkeypatch.setenv("RNNBOOK_PROCESSES", "zero")
    with pytest.raises(ValueError, match="RNNBOOK_PROCESSES"):
        default_processes()


def test_fit_seeds_same_in_one_or_two_processes():
    x, y = adding_problem(256, 8, seed=0)
    xv, yv = adding_problem(64, 8, seed=1)
    build = functools.partial(
        rt.SequenceModel, 2, 4, 1, cell="gru", dtype=torch.float64
    )
    kwargs = dict(
        loss="mse", steps=5, batch_size=16, lr=1e-2, clip=1.0, eval_data=(xv, yv)
    )
    one = fit_seeds(build, x, y, seeds=(0, 1, 2), processes=1, **kwargs)
    two = fit_seeds(build, x, y, seeds=(0, 1, 2), processes=2, **kwargs)
    assert [h.eval_loss for h in one.histories] == [h.eval_loss for h in two.histories]
    for a, b in zip(one.models, two.models):
        for (name, p), q in zip(a.named_parameters(), b.parameters()):
            assert torch.equal(p, q), name
    # Different seeds give different runs, and the spread summarises the final losses.
    finals = [h.eval_loss[-1] for h in one.histories]
    assert len(set(finals)) == 3
    s = one.final("eval_loss")
    assert s.low == min(finals) and s.high == max(finals)
    with pytest.raises(ValueError, match="metric"):
        one.final("steps")


def _threads(_):
    import torch

    return torch.get_num_threads()


def test_workers_compute_with_one_thread_each(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    from rnnbook.training import parallel

    assert parallel.parallel_map(_threads, [0, 1], processes=2) == [1, 1]


def _sleep_then(value):
    import time

    time.sleep(0.5)
    return value


def test_parallel_submit_returns_before_the_runs_end_and_result_waits():
    from rnnbook.training.parallel import parallel_submit

    parallel_map(
        abs, [1, -2], processes=2
    )  # the pool is started (a cold start takes seconds)
    start = time.monotonic()
    pending = parallel_submit(_sleep_then, [3, 1, 2], processes=2)
    assert time.monotonic() - start < 0.4 and not pending.done()
    # A later call shares the workers: it queues behind the runs submitted before it.
    assert parallel_map(math.factorial, [3, 4], processes=2) == [6, 24]
    assert pending.result() == [3, 1, 2] and pending.done()
    assert pending.result() == [3, 1, 2]  # asked again: the same list, no new runs


def test_parallel_submit_in_this_process_and_its_errors():
    from rnnbook.training.parallel import parallel_submit

    ran = []
    pending = parallel_submit(lambda v: ran.append(v) or v * 2, [1, 2], processes=1)
    assert (
        ran == [1, 2] and pending.done() and pending.result() == [2, 4]
    )  # ran before returning
    assert parallel_submit(abs, [], processes=2).result() == []
    with pytest.raises(TypeError, match="picklable|__main__"):
        parallel_submit(lambda v: v, [1, 2], processes=2)
    with pytest.raises(ValueError, match="processes"):
        parallel_submit(abs, [1], processes=0)
    failing = parallel_submit(
        math.factorial, [3, -1], processes=2
    )  # factorial(-1) raises
    with pytest.raises(ValueError, match="negative"):
        failing.result()
    assert parallel_map(math.factorial, [3, 4], processes=2) == [
        6,
        24,
    ]  # a new pool after the failure


def test_then_finishes_once():
    from rnnbook.training.parallel import parallel_submit

    calls = []
    value = parallel_submit(abs, [-1, -2], processes=2).then(
        lambda r: calls.append(r) or sum(r)
    )
    assert (
        value.result() == 3
        and value.result() == 3
        and calls == [[1, 2]]
        and value.done()
    )
