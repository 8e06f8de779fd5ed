"""Data-parallel training (DistributedDataParallel over gloo, 2 CPU processes) equals one process with
the same global batch; checkpoints move between process counts; a killed rank fails the run cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.distributed as dist  # noqa: E402

from rnnbook.cli import main  # noqa: E402
from rnnbook.data.text import Vocabulary, load_corpus, split_train_val  # noqa: E402
from rnnbook.training.checkpoint import checkpoint_info  # noqa: E402

pytestmark = pytest.mark.skipif(
    not dist.is_available(), reason="torch.distributed is not available"
)

TEXT = load_corpus(6000)
VOCAB = Vocabulary(TEXT)
TRAIN, VAL = split_train_val(VOCAB.encode(TEXT))
LOOP = dict(seq_len=8, batch_size=4, steps=12, eval_every=4, progress=False)


def _model_and_optimizer():
    import rnnbook.torch as rt

    torch.manual_seed(3)
    model = rt.CharModel(len(VOCAB), 12, cell="lstm", dtype=torch.float64)
    return model, torch.optim.Adam(model.parameters(), lr=0.01)


def _single_process():
    from rnnbook.training.lm import train

    model, opt = _model_and_optimizer()
    history = train(model, TRAIN, VAL, optimizer=opt, **LOOP)
    return history, {k: v.detach().clone() for k, v in model.state_dict().items()}


def _worker(rank, world, port, out):
    """One rank of a data-parallel run of the same training; rank 0 writes what it measured to ``out``."""
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    try:
        from torch.nn.parallel import DistributedDataParallel

        from rnnbook.training.lm import train

        model, opt = _model_and_optimizer()
        history = train(
            DistributedDataParallel(model), TRAIN, VAL, optimizer=opt, **LOOP
        )
        if rank == 0:
            torch.save(
                {
                    "train_loss": history.train_loss,
                    "grad_norm": history.grad_norm,
                    "val_loss": history.eval_loss,
                    "hidden": history.state.hidden,
                    "params": model.state_dict(),
                },
                out,
            )
    finally:
        dist.destroy_process_group()


def _free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_processes_give_the_loss_curve_of_one(tmp_path):
    out = tmp_path / "rank0.pt"
    torch.multiprocessing.spawn(
        _worker, args=(2, _free_port(), str(out)), nprocs=2, join=True
    )
    got = torch.load(out, weights_only=True)
    history, params = _single_process()
    np.testing.assert_allclose(
        got["train_loss"], history.train_loss, rtol=1e-11, atol=0
    )
    np.testing.assert_allclose(got["grad_norm"], history.grad_norm, rtol=1e-10, atol=0)
    np.testing.assert_allclose(got["val_loss"], history.eval_loss, rtol=1e-11, atol=0)
    for name, value in params.items():
        torch.testing.assert_close(
            got["params"][name], value, rtol=1e-10, atol=1e-12, msg=name
        )
    # The carried state comes back whole: every stream's (h, c), in stream order.
    for a, b in zip(got["hidden"], history.state.hidden):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


# ----------------------------------------------------------------------------- the command line under torchrun
ARGS = [
    "--backend",
    "torch",
    "--cell",
    "gru",
    "--hidden",
    "16",
    "--max-chars",
    "6000",
    "--batch-size",
    "4",
    "--seq-len",
    "8",
    "--eval-every",
    "5",
    "--dtype",
    "float64",
    "--sample",
    "0",
    "--no-progress",
]


def _torchrun(tmp_path, nproc, *argv, timeout=240):
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        f"--nproc_per_node={nproc}",
        "-m",
        "rnnbook",
        "train",
        *map(str, argv),
    ]
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=tmp_path,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )


def _params(path):
    return torch.load(path, weights_only=True)["model"]


def _same_params(a, b):
    pa, pb = _params(a), _params(b)
    assert pa.keys() == pb.keys()
    for name in pa:
        torch.testing.assert_close(pa[name], pb[name], rtol=1e-9, atol=1e-11, msg=name)


def test_checkpoints_move_between_process_counts(tmp_path, capsys):
    straight, two, one = (
        tmp_path / "straight.ckpt",
        tmp_path / "two.ckpt",
        tmp_path / "one.ckpt",
    )
    assert main(["train", *ARGS, "--steps", "15", "--save", str(straight)]) == 0
    # 10 steps in 2 processes, then 5 more in 1 process ...
    result = _torchrun(tmp_path, 2, *ARGS, "--steps", "10", "--save", two)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "data parallel: 2 processes (gloo), 2 of the 4 streams each" in result.stdout
    assert (
        result.stdout.count("final validation perplexity") == 1
    )  # rank 0 reports, rank 1 is quiet
    assert (
        main(
            [
                "train",
                "--resume",
                str(two),
                "--steps",
                "5",
                "--save",
                str(two),
                "--no-progress",
                "--sample",
                "0",
            ]
        )
        == 0
    )
    # ... and 10 steps in 1 process, then 5 more in 2 processes: both equal 15 steps straight.
    assert main(["train", *ARGS, "--steps", "10", "--save", str(one)]) == 0
    result = _torchrun(
        tmp_path,
        2,
        "--resume",
        one,
        "--steps",
        "5",
        "--save",
        one,
        "--no-progress",
        "--sample",
        "0",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "resuming at step 10" in result.stdout
    assert checkpoint_info(two)["step"] == checkpoint_info(one)["step"] == 15
    _same_params(two, straight)
    _same_params(one, straight)
    capsys.readouterr()


def test_a_killed_rank_ends_the_run_without_hanging(tmp_path):
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node=2",
        "-m",
        "rnnbook",
        "train",
        *ARGS,
        "--steps",
        "100000",
        "--eval-every",
        "2",
    ]
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if line.startswith("step"):
                break
        assert proc.poll() is None
        workers = subprocess.run(
            ["pgrep", "-f", "-P", str(proc.pid), "rnnbook"],
            capture_output=True,
            text=True,
        )
        pids = [int(p) for p in workers.stdout.split()]
        assert len(pids) == 2, workers.stdout
        os.kill(pids[1], signal.SIGKILL)
        start = time.monotonic()
        proc.wait(timeout=120)  # a hang would time out here
        elapsed = time.monotonic() - start
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode != 0
    assert elapsed < 120


def test_numpy_backend_stays_in_one_process(capsys, monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "0")
    code = main(["train", "--backend", "numpy", "--max-chars", "3000", "--steps", "1"])
    err = capsys.readouterr().err
    assert (
        code == 2
        and "the NumPy backend trains in one process, not 2" in err
        and "torchrun" in err
    )
