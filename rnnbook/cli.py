"""Command line: ``python -m rnnbook train`` trains a character language model and samples from it.

Examples::

    python -m rnnbook train --steps 500                         # NumPy RNN on the bundled corpus
    python -m rnnbook train --backend torch --cell lstm --text my.txt --save runs/my.ckpt
    python -m rnnbook train --resume runs/my.ckpt --steps 1000   # continue exactly, on my.txt

The bundled corpus is the Python reference manual's text that ships with Python
(:func:`rnnbook.data.text.load_corpus`). A checkpoint records the text it was trained on (path,
length and SHA-256), and ``--resume`` continues on that text, or refuses when it is missing or
changed.

Everything is checked before training starts: the text, the save path (its directory is
created if missing, and must be writable), the prompt, the device for the backend, and the
memory the model needs. Bad input ends with a one-line message and exit status 2, never a
traceback; a diverged run (a non-finite loss, or a validation loss above twice the uniform
model's) stops with exit status 1 and keeps the last good checkpoint; Ctrl-C exits with 130 and
says which step the checkpoint on disk holds. The NumPy backend runs in one process on the CPU;
the Torch backend runs on the CPU or a CUDA GPU.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .data.text import Vocabulary, load_corpus, read_text, split_train_val
from .training.checkpoint import remove_stale_temporaries

__all__ = ["main", "build_parser"]

# Settings that fix the model, the optimiser's state layout or the hidden state's shape: on
# --resume they come from the checkpoint, and an explicit different value is an error.
ARCH_DEFAULTS: dict[str, Any] = {
    "backend": "numpy",
    "cell": "rnn",
    "hidden": 128,
    "layers": 1,
    "dtype": "float32",
    "optimizer": "adam",
    "batch_size": 32,
}


DEFAULT_LR = 0.002
DEFAULT_SEQ_LEN = 64


class UsageError(ValueError):
    """A problem with the command line or its input data, reported without a traceback."""


def _number(kind: type, positive: bool) -> Any:
    """An argparse type: a finite ``kind`` (int or float) that is > 0 (``positive``) or >= 0."""

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"must be a number, got {text!r}"
            ) from None
        if not np.isfinite(value) or value < 0 or (positive and value == 0):
            raise argparse.ArgumentTypeError(
                f"must be {'> 0' if positive else '>= 0'}, got {text!r}"
            )
        return value

    parse.__name__ = kind.__name__
    return parse


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(
            f"must lie strictly between 0 and 1, got {text!r}"
        )
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m rnnbook``."""
    parser = argparse.ArgumentParser(
        prog="python -m rnnbook",
        description="rnnbook: recurrent networks from the book.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = commands.add_parser(
        "train",
        help="train a character language model (truncated BPTT) and sample from it",
        description="Train a character-level language model with truncated backpropagation through time, "
        "report validation perplexity and print a sample.",
    )
    pos_int, pos_float = _number(int, positive=True), _number(float, positive=True)
    nonneg_int, nonneg_float = (
        _number(int, positive=False),
        _number(float, positive=False),
    )
    arch = ARCH_DEFAULTS
    add = p.add_argument
    add(
        "--text",
        metavar="PATH",
        help="UTF-8 text file to learn (default: the Python reference manual shipped with "
        "Python; with --resume, the checkpoint's text)",
    )
    add(
        "--max-chars",
        type=pos_int,
        metavar="N",
        help="use only the first N characters of the text",
    )
    add(
        "--backend",
        choices=["numpy", "torch"],
        help=f"implementation (default {arch['backend']})",
    )
    add(
        "--cell",
        choices=["rnn", "lstm", "gru"],
        help=f"recurrent cell (default {arch['cell']})",
    )
    add(
        "--hidden",
        type=pos_int,
        metavar="D_H",
        help=f"hidden size d_h (default {arch['hidden']})",
    )
    add(
        "--layers",
        type=pos_int,
        metavar="L",
        help=f"stacked recurrent layers (default {arch['layers']})",
    )
    add(
        "--dtype",
        choices=["float32", "float64"],
        help=f"floating-point type (default {arch['dtype']})",
    )
    add(
        "--device",
        default="cpu",
        help="torch device, e.g. cpu or cuda (default cpu; the NumPy backend runs on the "
        "CPU only)",
    )
    add(
        "--seq-len",
        type=pos_int,
        metavar="T",
        help=f"BPTT window length T (default {DEFAULT_SEQ_LEN}; with --resume, "
        "the checkpoint's unless given)",
    )
    add(
        "--batch-size",
        type=pos_int,
        metavar="N",
        help=f"parallel text streams N (default {arch['batch_size']})",
    )
    add(
        "--steps",
        type=pos_int,
        default=500,
        help="optimiser steps to take (default 500)",
    )
    add(
        "--optimizer",
        choices=["adam", "sgd", "adagrad"],
        help=f"optimiser (default {arch['optimizer']})",
    )
    add(
        "--lr",
        type=pos_float,
        help=f"learning rate (default {DEFAULT_LR}; with --resume, the checkpoint's unless given)",
    )
    add(
        "--momentum",
        type=nonneg_float,
        default=0.0,
        help="SGD momentum (default 0; with --resume, the checkpoint's)",
    )
    add(
        "--clip",
        type=nonneg_float,
        default=1.0,
        help="clip the gradient norm to this; 0 disables (default 1.0)",
    )
    add(
        "--val-fraction",
        type=_fraction,
        help="share of the text, at its end, to validate on (default 0.1; "
        "with --resume, the checkpoint's)",
    )
    add(
        "--eval-every",
        type=pos_int,
        default=100,
        metavar="K",
        help="validate (and save) every K steps (default 100)",
    )
    add(
        "--seed",
        type=int,
        default=0,
        help="seed of the initial weights and of the sample (default 0)",
    )
    add(
        "--save",
        metavar="CKPT",
        help="save a checkpoint here after every validation (its directory is created "
        "if missing)",
    )
    add(
        "--resume",
        metavar="CKPT",
        help="continue from this checkpoint (model, optimiser, text, data position, "
        "hidden state)",
    )
    add(
        "--strict",
        action="store_true",
        help="fail on characters outside the vocabulary instead of reading them as <unk>",
    )
    add(
        "--sample",
        type=nonneg_int,
        default=300,
        metavar="N",
        help="characters to sample at the end (default 300; 0: none)",
    )
    add(
        "--temperature",
        type=pos_float,
        default=0.8,
        help="sampling temperature (default 0.8)",
    )
    add(
        "--prompt",
        help="text to start the sample from (default: the first character of the text)",
    )
    progress = (
        p.add_mutually_exclusive_group()
    )  # neither: a bar only when stderr is a terminal
    progress.add_argument(
        "--progress",
        dest="progress",
        action="store_true",
        default=None,
        help="always show a bar",
    )
    progress.add_argument(
        "--no-progress", dest="progress", action="store_false", help="never show a bar"
    )
    return parser


# --------------------------------------------------------------------------- pieces of `train`
def _settings(
    args: argparse.Namespace, checkpoint_config: dict[str, Any] | None
) -> dict[str, Any]:
    """The architecture settings: from the checkpoint when resuming, else from the flags or defaults."""
    settings = {}
    for key, default in ARCH_DEFAULTS.items():
        given = getattr(args, key)
        if checkpoint_config is None:
            settings[key] = default if given is None else given
            continue
        saved = checkpoint_config[key]
        if given is not None and given != saved:
            flag = "--" + key.replace("_", "-")
            raise UsageError(
                f"{flag} {given} does not match the checkpoint's {saved}; leave it out when resuming"
            )
        settings[key] = saved
    return settings


DEFAULT_VAL_FRACTION = 0.1


def _text_identity(
    text: str, path: str | None, max_chars: int | None, val_fraction: float
) -> dict[str, Any]:
    """What a checkpoint records about its text: where it came from, its length and its SHA-256."""
    return {
        "path": None if path is None else str(Path(path).resolve()),
        "chars": len(text),
        "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "max_chars": max_chars,
        "val_fraction": val_fraction,
    }


def _load_text(
    args: argparse.Namespace, saved: dict[str, Any] | None
) -> tuple[str, str, dict[str, Any]]:
    """The text to train on, its display name and its identity.

    Resuming (``saved`` is the checkpoint's record) reads the checkpoint's text unless ``--text``
    names one, and refuses a text that is missing or differs from the one it was trained on.
    """
    path = args.text
    if path is None and saved is not None:
        path = saved["path"]
        if path is not None and not Path(path).is_file():
            raise UsageError(
                f"{args.resume!r} was trained on {path!r}, which is missing: pass --text with that text"
            )
    max_chars = (
        args.max_chars
        if args.max_chars is not None or saved is None
        else saved["max_chars"]
    )
    val_fraction = args.val_fraction
    if saved is not None:
        if val_fraction is not None and val_fraction != saved["val_fraction"]:
            raise UsageError(
                f"--val-fraction {val_fraction} does not match the checkpoint's {saved['val_fraction']}; "
                "leave it out when resuming"
            )
        val_fraction = saved["val_fraction"]
    val_fraction = DEFAULT_VAL_FRACTION if val_fraction is None else val_fraction
    text = load_corpus() if path is None else read_text(path)
    name = "the Python reference manual (pydoc_data)" if path is None else path
    if max_chars is not None:
        text = text[:max_chars]
    identity = _text_identity(text, path, max_chars, val_fraction)
    if saved is not None and identity["sha256"] != saved["sha256"]:
        raise UsageError(
            f"{name} is not the text {args.resume!r} was trained on ({saved['chars']:,} characters, SHA-256 "
            f"{saved['sha256'][:12]}...; this one has {len(text):,}, {identity['sha256'][:12]}...): resuming would "
            "continue on other data"
        )
    return text, name, identity


def _check_save_path(path: str) -> None:
    """Make sure checkpoints can be written to ``path`` before any training is spent."""
    target = Path(path)
    if target.is_dir():
        raise UsageError(
            f"--save {path!r} is a directory; give a file name, e.g. {str(target / 'run.ckpt')!r}"
        )
    directory = target.parent if str(target.parent) else Path(".")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as err:
        raise UsageError(
            f"--save {path!r}: cannot write there ({err.strerror or err})"
        ) from None
    remove_stale_temporaries(target)


def _available_memory() -> int | None:
    """Bytes of memory available to new allocations (Linux's MemAvailable), or None if unknown."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _estimated_bytes(settings: dict[str, Any], vocab_size: int, seq_len: int) -> int:
    """A lower bound on the training memory: parameters, gradients and optimiser state, plus the
    activations of one window (every gate of every step, the logits and their gradient)."""
    gates = {"rnn": 1, "lstm": 4, "gru": 3}[settings["cell"]]
    d_h, layers, n = settings["hidden"], settings["layers"], settings["batch_size"]
    params = (
        gates * d_h * (vocab_size + d_h + 2)
        + (layers - 1) * gates * d_h * (2 * d_h + 2)
        + vocab_size * (d_h + 1)
    )
    copies = {"adam": 4, "adagrad": 3, "sgd": 3}[
        settings["optimizer"]
    ]  # weights, grads, state
    activations = seq_len * n * (layers * (gates + 2) * d_h + 2 * vocab_size)
    return (params * copies + activations) * np.dtype(settings["dtype"]).itemsize


def _check_memory(settings: dict[str, Any], vocab_size: int, seq_len: int) -> None:
    need, have = _estimated_bytes(settings, vocab_size, seq_len), _available_memory()
    if have is not None and need > have:
        raise UsageError(
            f"the model needs at least {need / 2**30:,.1f} GiB to train (--hidden {settings['hidden']}, --layers "
            f"{settings['layers']}, --batch-size {settings['batch_size']}), but {have / 2**30:,.1f} GiB are "
            "available: make it smaller"
        )


def _build(
    settings: dict[str, Any], vocab_size: int, args: argparse.Namespace
) -> tuple[Any, Any]:
    """The model and the optimiser for ``settings``."""
    lr = DEFAULT_LR if args.lr is None else args.lr
    if settings["backend"] == "numpy":
        import rnnbook.numpy as rnp
        from rnnbook.numpy import optim

        model = rnp.CharModel(
            vocab_size,
            settings["hidden"],
            cell=settings["cell"],
            num_layers=settings["layers"],
            dtype=np.dtype(settings["dtype"]),
            seed=args.seed,
        )
        params = model.params
        make = {
            "adam": lambda: optim.Adam(params, lr=lr),
            "adagrad": lambda: optim.Adagrad(params, lr=lr),
            "sgd": lambda: optim.SGD(params, lr=lr, momentum=args.momentum),
        }
        return model, make[settings["optimizer"]]()
    try:
        import torch
    except ImportError:
        raise UsageError("--backend torch needs PyTorch: pip install torch") from None
    import rnnbook.torch as rt

    torch.manual_seed(args.seed)
    model = rt.CharModel(
        vocab_size,
        settings["hidden"],
        cell=settings["cell"],
        num_layers=settings["layers"],
        device=args.device,
        dtype=getattr(torch, settings["dtype"]),
    )
    ps = list(model.parameters())
    make = {
        "adam": lambda: torch.optim.Adam(ps, lr=lr),
        "adagrad": lambda: torch.optim.Adagrad(ps, lr=lr),
        "sgd": lambda: torch.optim.SGD(ps, lr=lr, momentum=args.momentum),
    }
    return model, make[settings["optimizer"]]()


def _torch_device(name: str) -> Any:
    import torch

    try:
        device = torch.device(name)
    except RuntimeError:
        raise UsageError(
            f"--device {name!r} is not a torch device (e.g. cpu, cuda, cuda:1)"
        ) from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise UsageError(
            f"--device {name}: this machine has no CUDA GPU that torch can use"
        )
    return device


def _lr(optimizer: Any) -> float:
    groups = getattr(optimizer, "param_groups", None)
    return float(groups[0]["lr"]) if groups else float(optimizer.lr)


def _set_lr(optimizer: Any, lr: float) -> None:
    if hasattr(optimizer, "param_groups"):
        for group in optimizer.param_groups:
            group["lr"] = lr
    else:
        optimizer.lr = lr


def _resume(args: argparse.Namespace, model: Any, optimizer: Any) -> dict[str, Any]:
    """Load ``--resume`` into the model and optimiser."""
    from .training.checkpoint import load_checkpoint

    loaded = load_checkpoint(args.resume, model, optimizer)
    if args.lr is not None:  # an explicit --lr overrides the checkpoint's
        _set_lr(optimizer, args.lr)
    return loaded


def _progress_printer(args: argparse.Namespace, out: Any) -> Any:
    """The ``on_eval`` callback: one line per validation, printed as it happens (above a progress bar
    if one is shown), so a log file or a pipe sees progress too."""
    from .training.metrics import perplexity

    def report(history: Any) -> None:
        step, loss = history.eval_steps[-1], history.eval_loss[-1]
        line = f"step {step:>6}: validation loss {loss:.4f} nats/char, perplexity {perplexity(loss):.3f}"
        if args.save:
            line += " (saved)"
        if args.progress or (args.progress is None and sys.stderr.isatty()):
            from tqdm import tqdm

            tqdm.write(line, file=out)
        else:
            print(line, file=out, flush=True)

    return report


def _world() -> tuple[int, int, int]:
    """``(rank, world size, local rank)`` from the environment torchrun sets; ``(0, 1, 0)`` otherwise."""
    try:
        return tuple(
            int(os.environ.get(k, d))
            for k, d in (
                ("RANK", "0"),
                ("WORLD_SIZE", "1"),  # type: ignore[return-value]
                ("LOCAL_RANK", "0"),
            )
        )
    except ValueError:
        raise UsageError(
            "RANK, WORLD_SIZE and LOCAL_RANK must be integers (torchrun sets them)"
        ) from None


def _init_distributed(device: str) -> None:
    """Join the process group torchrun started: gloo on the CPU, NCCL on CUDA GPUs."""
    from datetime import timedelta

    import torch.distributed as dist

    if not dist.is_available():
        raise UsageError(
            "this PyTorch build has no torch.distributed: run in one process"
        )
    if device.startswith("cuda"):
        import torch

        torch.cuda.set_device(_world()[2])
    dist.init_process_group(
        "nccl" if device.startswith("cuda") else "gloo", timeout=timedelta(minutes=10)
    )


def _train_command(args: argparse.Namespace, out: Any) -> int:
    """``train``: check everything, then data, model, optional resume, the loop, the report and a sample."""
    from .analysis.language import sample
    from .training.checkpoint import checkpoint_info
    from .training.lm import TrainingDiverged, train
    from .training.metrics import perplexity

    info = checkpoint_info(args.resume) if args.resume else None
    if info is not None and (
        info["vocab"] is None
        or not (info["extra"] or {}).get("config")
        or "text" not in info["extra"]["config"]
    ):
        raise UsageError(
            f"{args.resume!r} was not written by `python -m rnnbook train` (no vocabulary, configuration "
            "or text record)"
        )
    config = None if info is None else info["extra"]["config"]
    settings = _settings(args, config)
    rank, world, local_rank = _world()
    if (
        args.seq_len is None
    ):  # resuming keeps the window length, so the run continues exactly
        args.seq_len = (
            DEFAULT_SEQ_LEN
            if config is None
            else config.get("seq_len", DEFAULT_SEQ_LEN)
        )
    if settings["backend"] == "numpy" and args.device != "cpu":
        raise UsageError(
            f"--device {args.device} needs --backend torch: the NumPy backend runs on the CPU only"
        )
    if world > 1:
        if settings["backend"] == "numpy":
            raise UsageError(
                f"the NumPy backend trains in one process, not {world}: use --backend torch for "
                "data-parallel training (torchrun --nproc_per_node N -m rnnbook train --backend torch ...)"
            )
        if settings["batch_size"] % world:
            raise UsageError(
                f"--batch-size {settings['batch_size']} streams cannot be shared equally by {world} "
                "processes: make it a multiple of the process count"
            )
        if args.device.startswith("cuda"):
            args.device = f"cuda:{local_rank}"  # one GPU per process
    if settings["backend"] == "torch":
        _torch_device(args.device)
    if args.sample and args.prompt == "":
        raise UsageError(
            "--prompt must not be empty (the sample continues it); leave it out to start from the "
            "text's first character"
        )
    if args.save and rank == 0:
        _check_save_path(args.save)
    if rank != 0:
        out = open(os.devnull, "w")  # noqa: SIM115 (closed with the process): only rank 0 reports
    text, name, identity = _load_text(args, None if config is None else config["text"])
    vocab = Vocabulary(text) if info is None else info["vocab"]
    train_ids, val_ids = split_train_val(
        vocab.encode(text, strict=args.strict), identity["val_fraction"]
    )
    prompt = text[0] if args.prompt is None else args.prompt
    prompt = vocab.decode(
        vocab.encode(prompt, strict=args.strict)
    )  # checked before training; else unknown -> <unk>
    _check_memory(settings, len(vocab), args.seq_len)
    model, optimizer = _build(settings, len(vocab), args)
    state = None if config is None else _resume(args, model, optimizer)
    print(
        f"text: {name}, {len(text):,} characters, vocabulary of {len(vocab)} symbols "
        f"({len(train_ids):,} for training, {len(val_ids):,} for validation)",
        file=out,
    )
    print(
        f"model: {settings['backend']} {settings['cell']}, {settings['layers']} layer(s), d_h={settings['hidden']}, "
        f"{model.num_parameters():,} parameters; {settings['optimizer']} lr={_lr(optimizer)}"
        + (f", resuming at step {state['step']}" if state else ""),
        file=out,
        flush=True,
    )
    if world > 1:
        import torch.distributed as dist
        from torch.nn.parallel import DistributedDataParallel

        print(
            f"data parallel: {world} processes ({dist.get_backend()}), {settings['batch_size'] // world} of the "
            f"{settings['batch_size']} streams each; gradients averaged, rank 0 validates and saves",
            file=out,
            flush=True,
        )
        module = model
        model = DistributedDataParallel(
            module, device_ids=[local_rank] if args.device.startswith("cuda") else None
        )
    else:
        module = model
    saved_step = None if state is None else state["step"]
    report = _progress_printer(args, out)

    def on_eval(history: Any) -> None:
        nonlocal saved_step
        if args.save:
            saved_step = history.eval_steps[-1]
        report(history)

    try:
        history = train(
            model,
            train_ids,
            val_ids,
            seq_len=args.seq_len,
            batch_size=settings["batch_size"],
            steps=args.steps,
            optimizer=optimizer,
            clip=args.clip or None,
            eval_every=args.eval_every,
            progress=args.progress,
            checkpoint=args.save,
            state=state,
            vocab=vocab,
            extra={"config": {**settings, "text": identity, "seq_len": args.seq_len}},
            on_eval=on_eval,
        )
    except TrainingDiverged as stop:
        kept = (
            f"; the checkpoint {args.save!r} (step {saved_step}) is kept"
            if args.save and saved_step is not None
            else ""
        )
        print(
            f"python -m rnnbook train: error: {stop} (the uniform model scores ln {len(vocab)} = "
            f"{np.log(len(vocab)):.2f}): lower --lr or clip the gradient (--clip 1){kept}",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        if args.save and saved_step is not None:
            where = f"the checkpoint {args.save!r} holds step {saved_step}: continue with --resume {args.save}"
        else:
            where = "no checkpoint was written" + ("" if args.save else " (no --save)")
        print(f"interrupted; {where}", file=sys.stderr)
        return 130
    print(
        f"final validation perplexity: {perplexity(history.eval_loss[-1]):.3f}",
        file=out,
    )
    if args.save:
        print(f"checkpoint saved to {args.save}", file=out)
    if args.sample and rank == 0:
        print(f"--- sample, temperature {args.temperature} ---", file=out)
        print(
            sample(
                module,
                vocab,
                prompt,
                args.sample,
                temperature=args.temperature,
                seed=args.seed,
            ),
            file=out,
        )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); returns the exit status.

    0 on success (and for ``--help``); 2 for a bad command line or bad input (a bad checkpoint
    included), with a one-line message on stderr; 1 when training diverged (the last good
    checkpoint is kept); 130 when interrupted (checkpoints already written are kept).
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse exits on --help (0) and on usage errors (2)
        return int(exit_.code or 0)
    rank, world = (
        int(os.environ.get("RANK", "0") or 0),
        int(os.environ.get("WORLD_SIZE", "1") or 1),
    )
    try:
        if world > 1 and args.backend != "numpy":
            _init_distributed(args.device)
        return _train_command(args, sys.stdout)
    except RuntimeError as err:
        if world == 1:
            raise
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        print(
            f"python -m rnnbook {args.command} [rank {rank}]: error: the data-parallel run failed, another "
            f"process may have died ({first[:200]})",
            file=sys.stderr,
        )
        return 1
    except (ValueError, OSError) as err:
        print(f"python -m rnnbook {args.command}: error: {err}", file=sys.stderr)
        return 2
    except MemoryError:
        print(
            f"python -m rnnbook {args.command}: error: out of memory: make the model or the batch smaller",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        if world > 1 and args.backend != "numpy":
            import torch.distributed as dist

            if dist.is_available() and dist.is_initialized():
                dist.destroy_process_group()
