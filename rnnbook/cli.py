"""Command line: ``python -m rnnbook train`` trains a character language model and samples from it.

Examples::

    python -m rnnbook train --steps 500                         # NumPy RNN on the bundled corpus
    python -m rnnbook train --backend torch --cell lstm --text my.txt --save ck.pt
    python -m rnnbook train --resume ck.pt --steps 1000 --save ck.pt   # continue exactly

The bundled corpus is the Python reference manual's text that ships with Python
(:func:`rnnbook.data.load_corpus`). Bad input (a missing or empty file, text too short for
the batch, a non-positive learning rate, unknown characters with ``--strict``) ends with a
one-line message and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from .data import Vocabulary, load_corpus, read_text, split_train_val

__all__ = ["main", "build_parser"]

# Settings that fix the model, the optimiser's state layout or the hidden state's shape: on
# --resume they come from the checkpoint, and an explicit different value is an error.
ARCH_DEFAULTS: dict[str, Any] = {
    "backend": "numpy", "cell": "rnn", "hidden": 128, "layers": 1, "dtype": "float32",
    "optimizer": "adam", "batch_size": 32,
}


DEFAULT_LR = 0.002


class UsageError(ValueError):
    """A problem with the command line or its input data, reported without a traceback."""


def _number(kind: type, positive: bool) -> Any:
    """An argparse type: a finite ``kind`` (int or float) that is > 0 (``positive``) or >= 0."""
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
        if not np.isfinite(value) or value < 0 or (positive and value == 0):
            raise argparse.ArgumentTypeError(f"must be {'> 0' if positive else '>= 0'}, got {text!r}")
        return value

    parse.__name__ = kind.__name__
    return parse


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must lie strictly between 0 and 1, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m rnnbook``."""
    parser = argparse.ArgumentParser(prog="python -m rnnbook", description="rnnbook: recurrent networks from the book.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = commands.add_parser(
        "train",
        help="train a character language model (truncated BPTT) and sample from it",
        description="Train a character-level language model with truncated backpropagation through time, "
        "report validation perplexity and print a sample.",
    )
    pos_int, pos_float = _number(int, positive=True), _number(float, positive=True)
    nonneg_int, nonneg_float = _number(int, positive=False), _number(float, positive=False)
    arch = ARCH_DEFAULTS
    add = p.add_argument
    add("--text", metavar="PATH", help="UTF-8 text file to learn (default: the Python reference manual shipped with Python)")
    add("--max-chars", type=pos_int, metavar="N", help="use only the first N characters of the text")
    add("--backend", choices=["numpy", "torch"], help=f"implementation (default {arch['backend']})")
    add("--cell", choices=["rnn", "lstm", "gru"], help=f"recurrent cell (default {arch['cell']})")
    add("--hidden", type=pos_int, metavar="D_H", help=f"hidden size d_h (default {arch['hidden']})")
    add("--layers", type=pos_int, metavar="L", help=f"stacked recurrent layers (default {arch['layers']})")
    add("--dtype", choices=["float32", "float64"], help=f"floating-point type (default {arch['dtype']})")
    add("--device", default="cpu", help="torch device, e.g. cpu or cuda (default cpu)")
    add("--seq-len", type=pos_int, default=64, metavar="T", help="BPTT window length T (default 64)")
    add("--batch-size", type=pos_int, metavar="N", help=f"parallel text streams N (default {arch['batch_size']})")
    add("--steps", type=pos_int, default=500, help="optimiser steps to take (default 500)")
    add("--optimizer", choices=["adam", "sgd", "adagrad"], help=f"optimiser (default {arch['optimizer']})")
    add("--lr", type=pos_float, help=f"learning rate (default {DEFAULT_LR}; with --resume, the checkpoint's unless given)")
    add("--momentum", type=nonneg_float, default=0.0, help="SGD momentum (default 0; with --resume, the checkpoint's)")
    add("--clip", type=nonneg_float, default=1.0, help="clip the gradient norm to this; 0 disables (default 1.0)")
    add("--val-fraction", type=_fraction, default=0.1, help="share of the text, at its end, to validate on (default 0.1)")
    add("--eval-every", type=pos_int, default=100, metavar="K", help="validate (and save) every K steps (default 100)")
    add("--seed", type=int, default=0, help="seed of the initial weights and of the sample (default 0)")
    add("--save", metavar="CKPT", help="save a checkpoint here after every validation")
    add("--resume", metavar="CKPT", help="continue from this checkpoint (model, optimiser, data position, hidden state)")
    add("--strict", action="store_true", help="fail on characters outside the vocabulary instead of reading them as <unk>")
    add("--sample", type=nonneg_int, default=300, metavar="N", help="characters to sample at the end (default 300; 0: none)")
    add("--temperature", type=pos_float, default=0.8, help="sampling temperature (default 0.8)")
    add("--prompt", help="text to start the sample from (default: the first character of the text)")
    progress = p.add_mutually_exclusive_group()  # neither: a bar only when stderr is a terminal
    progress.add_argument("--progress", dest="progress", action="store_true", default=None, help="always show a bar")
    progress.add_argument("--no-progress", dest="progress", action="store_false", help="never show a bar")
    return parser


# --------------------------------------------------------------------------- pieces of `train`
def _settings(args: argparse.Namespace, checkpoint_config: dict[str, Any] | None) -> dict[str, Any]:
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
            raise UsageError(f"{flag} {given} does not match the checkpoint's {saved}; leave it out when resuming")
        settings[key] = saved
    return settings


def _load_text(args: argparse.Namespace) -> tuple[str, str]:
    text = load_corpus() if args.text is None else read_text(args.text)
    name = "the Python reference manual (pydoc_data)" if args.text is None else args.text
    if args.max_chars is not None:
        text = text[: args.max_chars]
    return text, name


def _build(settings: dict[str, Any], vocab_size: int, args: argparse.Namespace) -> tuple[Any, Any]:
    """The model and the optimiser for ``settings``."""
    lr = DEFAULT_LR if args.lr is None else args.lr
    if settings["backend"] == "numpy":
        import rnnbook.numpy as rnp
        from rnnbook.numpy import optim

        model = rnp.CharModel(vocab_size, settings["hidden"], cell=settings["cell"], num_layers=settings["layers"],
                              dtype=np.dtype(settings["dtype"]), seed=args.seed)
        params = model.params
        make = {"adam": lambda: optim.Adam(params, lr=lr), "adagrad": lambda: optim.Adagrad(params, lr=lr),
                "sgd": lambda: optim.SGD(params, lr=lr, momentum=args.momentum)}
        return model, make[settings["optimizer"]]()
    try:
        import torch
    except ImportError:
        raise UsageError("--backend torch needs PyTorch: pip install torch") from None
    import rnnbook.torch as rt

    torch.manual_seed(args.seed)
    model = rt.CharModel(vocab_size, settings["hidden"], cell=settings["cell"], num_layers=settings["layers"],
                         device=args.device, dtype=getattr(torch, settings["dtype"]))
    ps = list(model.parameters())
    make = {"adam": lambda: torch.optim.Adam(ps, lr=lr), "adagrad": lambda: torch.optim.Adagrad(ps, lr=lr),
            "sgd": lambda: torch.optim.SGD(ps, lr=lr, momentum=args.momentum)}
    return model, make[settings["optimizer"]]()


def _torch_device(name: str) -> Any:
    import torch

    try:
        device = torch.device(name)
    except RuntimeError:
        raise UsageError(f"--device {name!r} is not a torch device (e.g. cpu, cuda, cuda:1)") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise UsageError(f"--device {name}: this machine has no CUDA GPU that torch can use")
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


def _resume(
    args: argparse.Namespace, model: Any, optimizer: Any, data_id: str, config: dict[str, Any], out: Any
) -> dict[str, Any]:
    """Load ``--resume`` into the model and optimiser; restart the data position if the data changed."""
    from .checkpoint import load_checkpoint

    loaded = load_checkpoint(args.resume, model, optimizer)
    if args.lr is not None:  # an explicit --lr overrides the checkpoint's
        _set_lr(optimizer, args.lr)
    if config.get("data_id") != data_id:
        print("note: the text or its split differs from the checkpoint's; training restarts at its beginning", file=out)
        loaded["state"] = {"position": 0, "hidden": None}
    return loaded


def _report(history: Any, args: argparse.Namespace, out: Any) -> None:
    from .lm import perplexity

    for step, loss in zip(history.val_steps, history.val_loss):
        print(f"step {step:>6}: validation loss {loss:.4f} nats/char, perplexity {perplexity(loss):.3f}", file=out)
    print(f"final validation perplexity: {history.val_perplexity[-1]:.3f}", file=out)
    if args.save:
        print(f"checkpoint saved to {args.save}", file=out)


def _train_command(args: argparse.Namespace, out: Any) -> int:
    """``train``: data, model, optional resume, the loop, then the report and a sample."""
    from .checkpoint import checkpoint_info
    from .lm import sample
    from .train import train

    info = checkpoint_info(args.resume) if args.resume else None
    if info is not None and (info["vocab"] is None or not (info["extra"] or {}).get("config")):
        raise UsageError(f"{args.resume!r} was not written by `python -m rnnbook train` (no vocabulary or configuration)")
    config = None if info is None else info["extra"]["config"]
    settings = _settings(args, config)
    text, name = _load_text(args)
    vocab = Vocabulary(text) if info is None else info["vocab"]
    train_ids, val_ids = split_train_val(vocab.encode(text, strict=args.strict), args.val_fraction)
    prompt = text[0] if args.prompt is None else args.prompt
    prompt = vocab.decode(vocab.encode(prompt, strict=args.strict))  # checked before training; else unknown -> <unk>
    if settings["backend"] == "torch":
        _torch_device(args.device)
    model, optimizer = _build(settings, len(vocab), args)
    data_id = f"{zlib.crc32(text.encode('utf-8')):08x}/{args.val_fraction}"
    state = None if config is None else _resume(args, model, optimizer, data_id, config, out)
    print(f"text: {name}, {len(text):,} characters, vocabulary of {len(vocab)} symbols "
          f"({len(train_ids):,} for training, {len(val_ids):,} for validation)", file=out)
    print(f"model: {settings['backend']} {settings['cell']}, {settings['layers']} layer(s), d_h={settings['hidden']}, "
          f"{model.num_parameters():,} parameters; {settings['optimizer']} lr={_lr(optimizer)}"
          + (f", resuming at step {state['step']}" if state else ""), file=out)
    history = train(
        model, train_ids, val_ids, seq_len=args.seq_len, batch_size=settings["batch_size"], steps=args.steps,
        optimizer=optimizer, clip=args.clip or None, eval_every=args.eval_every, progress=args.progress,
        checkpoint=args.save, state=state, vocab=vocab, extra={"config": {**settings, "data_id": data_id}},
    )
    _report(history, args, out)
    if args.sample:
        print(f"--- sample, temperature {args.temperature} ---", file=out)
        print(sample(model, vocab, prompt, args.sample, temperature=args.temperature, seed=args.seed), file=out)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); returns the exit status.

    0 on success (and for ``--help``); 2 for a bad command line or bad input, with a one-line
    message on stderr; 130 when interrupted (checkpoints already written are kept).
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse exits on --help (0) and on usage errors (2)
        return int(exit_.code or 0)
    try:
        return _train_command(args, sys.stdout)
    except (ValueError, OSError) as err:
        print(f"python -m rnnbook {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
