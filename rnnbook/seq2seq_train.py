"""Training and scoring of encoder-decoders on padded source/target pairs (:class:`rnnbook.tasks.Seq2SeqData`).

:func:`rnnbook.fit.fit` trains models that map one input array to one output; an encoder-decoder
needs five arrays per batch (source, source lengths, decoder inputs, targets, target mask), so it
has this loop of its own: the same seeded mini-batches, Adam by default, global-norm clipping and
periodic held-out evaluation, recorded in the same :class:`rnnbook.fit.FitHistory`.

* :func:`fit_seq2seq` trains a :class:`rnnbook.torch.Seq2Seq` with teacher forcing;
* :func:`evaluate_seq2seq` gives the teacher-forced loss and token accuracy on a data set;
* :func:`decode_accuracy` decodes (greedy or beam) and scores the outputs against the targets with
  :func:`rnnbook.tasks.exact_match` and :func:`rnnbook.tasks.token_accuracy`; it works for the NumPy
  model too.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from .fit import FitHistory, _train_loop
from .tasks import SEQ_BOS, SEQ_EOS, Seq2SeqData, exact_match, token_accuracy

__all__ = ["fit_seq2seq", "evaluate_seq2seq", "decode_accuracy"]


def _as_data(data: Any, name: str) -> Seq2SeqData:
    if not isinstance(data, tuple) or len(data) != 5:
        raise TypeError(f"{name} must be a Seq2SeqData (src, src_lengths, tgt_in, tgt_out, tgt_mask), got {type(data).__name__}")
    out = Seq2SeqData(*(np.asarray(a) for a in data))
    n = out.src.shape[0] if out.src.ndim else 0
    if n == 0 or any(np.asarray(a).shape[:1] != (n,) for a in out):
        raise ValueError(f"{name}: every array needs the same non-zero number of pairs, got shapes {[np.shape(a) for a in out]}")
    return out


def evaluate_seq2seq(model: torch.nn.Module, data: Any, batch_size: int = 512) -> tuple[float, float]:
    """Teacher-forced mean cross-entropy per real target token, and the fraction of real target tokens whose arg max is right."""
    d = _as_data(data, "data")
    total_loss = total_right = 0.0
    total_tokens = 0
    was_training = model.training
    model.eval()
    with torch.no_grad():
        for start in range(0, d.num_pairs, batch_size):
            b = d.take(slice(start, start + batch_size))
            logits = model(b.src, b.src_lengths, b.tgt_in)
            keep = torch.as_tensor(b.tgt_mask.astype(bool), device=logits.device)
            target = torch.as_tensor(b.tgt_out, dtype=torch.int64, device=logits.device)[keep]
            picked = logits[keep]
            total_loss += float(F.cross_entropy(picked, target, reduction="sum"))
            total_right += float((picked.argmax(dim=1) == target).sum())
            total_tokens += int(keep.sum())
    model.train(was_training)
    return total_loss / total_tokens, total_right / total_tokens


def decode_accuracy(
    model: Any,
    data: Any,
    beam_width: int = 1,
    max_len: int | None = None,
    bos: int = SEQ_BOS,
    eos: int = SEQ_EOS,
    batch_size: int = 512,
) -> tuple[float, float]:
    """Decode every source (greedy if ``beam_width == 1``, else beam search) and score against the targets.

    Returns ``(exact_match, token_accuracy)`` of the decoded sequences (EOS included) against
    ``y_1..y_L, EOS``. ``max_len`` defaults to the padded target width. Works for both backends.
    """
    d = _as_data(data, "data")
    limit = int(d.tgt_out.shape[1]) if max_len is None else max_len
    predicted: list[Any] = []
    for start in range(0, d.num_pairs, batch_size):
        b = d.take(slice(start, start + batch_size))
        if beam_width == 1:
            seqs, _ = model.greedy(b.src, b.src_lengths, max_len=limit, bos=bos, eos=eos)
        else:
            seqs, _ = model.beam_search(b.src, b.src_lengths, beam_width=beam_width, max_len=limit, bos=bos, eos=eos)
        predicted.extend(seqs)
    targets = d.targets()
    return exact_match(predicted, targets), token_accuracy(predicted, targets)


def fit_seq2seq(
    model: torch.nn.Module,
    data: Any,
    *,
    steps: int,
    batch_size: int,
    lr: float = 1e-3,
    optimizer: torch.optim.Optimizer | None = None,
    clip: float | None = 1.0,
    eval_data: Any = None,
    eval_every: int | None = None,
    seed: int = 0,
    progress: bool | None = None,
) -> FitHistory:
    """Train an encoder-decoder with teacher forcing for ``steps`` mini-batch steps.

    Args:
        model: a Torch module with ``loss(src, src_lengths, tgt_in, tgt_out, tgt_mask)`` and
            ``forward(src, src_lengths, tgt_in)`` (:class:`rnnbook.torch.Seq2Seq`).
        data: a :class:`rnnbook.tasks.Seq2SeqData` (or the same five arrays as a tuple).
        steps, batch_size: optimiser steps; pairs per step, drawn without replacement within a step
            by ``np.random.default_rng(seed)``.
        lr: Adam's learning rate when ``optimizer`` is None; clip: global gradient-norm threshold
            (default 1.0; None: no clipping, the norm is still recorded).
        eval_data, eval_every: held-out pairs scored by :func:`evaluate_seq2seq` every ``eval_every``
            steps and after the last; ``eval_accuracy`` is the teacher-forced token accuracy.
        progress: tqdm bar if True, none if False; None shows one only when stderr is a terminal.
    """
    d = _as_data(data, "data")
    held_out = None if eval_data is None else _as_data(eval_data, "eval_data")
    evaluate = None if held_out is None else (lambda: evaluate_seq2seq(model, held_out))
    return _train_loop(
        model, d.num_pairs, lambda indices: model.loss(*d.take(indices)), evaluate,
        steps=steps, batch_size=batch_size, lr=lr, optimizer=optimizer, clip=clip,
        eval_every=eval_every, seed=seed, progress=progress,
    )
