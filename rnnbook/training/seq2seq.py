"""Training and scoring of encoder-decoders on padded source/target pairs (:class:`rnnbook.data.synthetic.Seq2SeqData`).

:func:`rnnbook.training.supervised.fit` trains models that map one input array to one output; an encoder-decoder
needs five arrays per batch (source, source lengths, decoder inputs, targets, target mask), so it
has this trainer of its own on the same :func:`rnnbook.training.supervised.train_minibatches`: the
same seeded mini-batches, Adam by default, global-norm clipping and
periodic held-out evaluation, recorded in the same :class:`rnnbook.training.loop.History`.

* :func:`fit_seq2seq` trains a :class:`rnnbook.torch.Seq2Seq` with teacher forcing;
* :func:`evaluate_seq2seq` gives the teacher-forced loss and token accuracy on a data set;
* :func:`decode_accuracy` decodes (greedy or beam) and scores the outputs against the targets with
  :func:`rnnbook.training.metrics.exact_match` and :func:`rnnbook.training.metrics.token_accuracy`; it works for the NumPy
  model too;
* :func:`decode_by_length` decodes once and scores per source length (exact match, token accuracy
  and the fraction of outputs of the right length), as :class:`LengthScores`;
* :func:`fit_seq2seq_seeds` and :func:`fit_seq2seq_many` train several runs (seeds, variants) in
  worker processes, as :func:`rnnbook.training.supervised.fit_seeds` and :func:`rnnbook.training.supervised.fit_many` do for
  :func:`rnnbook.training.supervised.fit`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import torch
from numpy.typing import NDArray
from torch.nn import functional as F

from ..data.synthetic import SEQ_BOS, SEQ_EOS, Seq2SeqData
from .loop import History
from .metrics import exact_match, token_accuracy
from .supervised import SeedRuns, train_minibatches, train_runs

__all__ = [
    "fit_seq2seq",
    "evaluate_seq2seq",
    "decode_accuracy",
    "LengthScores",
    "decode_by_length",
    "Seq2SeqRun",
    "fit_seq2seq_many",
    "fit_seq2seq_seeds",
]

K = TypeVar("K")


def _as_data(data: Any, name: str) -> Seq2SeqData:
    if not isinstance(data, tuple) or len(data) != 5:
        raise TypeError(
            f"{name} must be a Seq2SeqData (src, src_lengths, tgt_in, tgt_out, tgt_mask), got {type(data).__name__}"
        )
    out = Seq2SeqData(*(np.asarray(a) for a in data))
    n = out.src.shape[0] if out.src.ndim else 0
    if n == 0 or any(np.asarray(a).shape[:1] != (n,) for a in out):
        raise ValueError(
            f"{name}: every array needs the same non-zero number of pairs, got shapes {[np.shape(a) for a in out]}"
        )
    return out


def evaluate_seq2seq(
    model: torch.nn.Module, data: Any, batch_size: int = 512
) -> tuple[float, float]:
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
            target = torch.as_tensor(
                b.tgt_out, dtype=torch.int64, device=logits.device
            )[keep]
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
    predicted = _decode_all(model, d, beam_width, limit, bos, eos, batch_size)
    targets = d.targets()
    return exact_match(predicted, targets), token_accuracy(predicted, targets)


def _decode_all(
    model: Any,
    d: Seq2SeqData,
    beam_width: int,
    limit: int,
    bos: int,
    eos: int,
    batch_size: int,
) -> list[Any]:
    predicted: list[Any] = []
    for start in range(0, d.num_pairs, batch_size):
        b = d.take(slice(start, start + batch_size))
        if beam_width == 1:
            seqs, _ = model.greedy(
                b.src, b.src_lengths, max_len=limit, bos=bos, eos=eos
            )
        else:
            seqs, _ = model.beam_search(
                b.src,
                b.src_lengths,
                beam_width=beam_width,
                max_len=limit,
                bos=bos,
                eos=eos,
            )
        predicted.extend(seqs)
    return predicted


@dataclass(frozen=True)
class LengthScores:
    """Scores of decoded sequences grouped by source length (what :func:`decode_by_length` returns).

    One entry per source length present, in increasing order: ``lengths``, ``counts`` (pairs of
    that length), ``exact`` (:func:`rnnbook.training.metrics.exact_match`), ``token``
    (:func:`rnnbook.training.metrics.token_accuracy`) and ``right_length`` (the fraction of outputs that stop
    where their target stops: as many tokens, the last one EOS). ``overall_*`` score all pairs together.
    """

    lengths: NDArray[np.int64]
    counts: NDArray[np.int64]
    exact: NDArray[np.float64]
    token: NDArray[np.float64]
    right_length: NDArray[np.float64]
    overall_exact: float
    overall_token: float
    overall_right_length: float

    def at(self, length: int) -> tuple[float, float, float]:
        """``(exact, token, right_length)`` at one source length (KeyError if none has it)."""
        hits = np.flatnonzero(self.lengths == length)
        if hits.size == 0:
            raise KeyError(
                f"no source of length {length}; lengths are {self.lengths.tolist()}"
            )
        i = int(hits[0])
        return float(self.exact[i]), float(self.token[i]), float(self.right_length[i])


def decode_by_length(
    model: Any,
    data: Any,
    beam_width: int = 1,
    max_len: int | None = None,
    bos: int = SEQ_BOS,
    eos: int = SEQ_EOS,
    batch_size: int = 512,
) -> LengthScores:
    """Decode every source once (as :func:`decode_accuracy` does) and score the outputs per source length.

    Returns a :class:`LengthScores`. The source length is ``data.src_lengths``; a model that keeps
    its accuracy as the sources grow has flat ``exact`` and ``token`` rows, one whose summary is a
    bottleneck loses accuracy with length. Works for both backends (and any object with
    ``greedy`` / ``beam_search``), so it can run in a worker of :func:`rnnbook.training.parallel.parallel_map`
    as ``functools.partial(decode_by_length, data=..., beam_width=...)``.
    """
    d = _as_data(data, "data")
    limit = int(d.tgt_out.shape[1]) if max_len is None else max_len
    predicted = _decode_all(model, d, beam_width, limit, bos, eos, batch_size)
    targets = d.targets()
    src_lengths = np.asarray(d.src_lengths, dtype=np.int64)
    lengths = np.unique(src_lengths)
    rows: list[tuple[float, float, float]] = []
    counts = []
    for length in lengths:
        idx = np.flatnonzero(src_lengths == length)
        p = [predicted[i] for i in idx]
        t = [targets[i] for i in idx]
        rows.append((exact_match(p, t), token_accuracy(p, t), _right_length(p, t)))
        counts.append(idx.size)
    table = np.array(rows, dtype=np.float64).reshape(-1, 3)
    return LengthScores(
        lengths,
        np.array(counts, dtype=np.int64),
        table[:, 0],
        table[:, 1],
        table[:, 2],
        exact_match(predicted, targets),
        token_accuracy(predicted, targets),
        _right_length(predicted, targets),
    )


def _right_length(predicted: list[Any], targets: list[Any]) -> float:
    """The fraction of predictions that end (with the target's last token, EOS) where their target ends."""
    right = 0
    for p, t in zip(predicted, targets):
        p, t = np.asarray(p).reshape(-1), np.asarray(t).reshape(-1)
        right += p.size == t.size and p.size > 0 and p[-1] == t[-1]
    return right / len(targets)


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
) -> History:
    """Train an encoder-decoder with teacher forcing for ``steps`` mini-batch steps.

    Args:
        model: a Torch module with ``loss(src, src_lengths, tgt_in, tgt_out, tgt_mask)`` and
            ``forward(src, src_lengths, tgt_in)`` (:class:`rnnbook.torch.Seq2Seq`).
        data: a :class:`rnnbook.data.synthetic.Seq2SeqData` (or the same five arrays as a tuple).
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
    return train_minibatches(
        model,
        d.num_pairs,
        lambda indices: model.loss(*d.take(indices)),
        evaluate,
        steps=steps,
        batch_size=batch_size,
        lr=lr,
        optimizer=optimizer,
        clip=clip,
        eval_every=eval_every,
        seed=seed,
        progress=progress,
    )


@dataclass(frozen=True)
class Seq2SeqRun:
    """One training run for :func:`fit_seq2seq_many`: ``torch.manual_seed(seed)``, ``model = build()``,
    then ``fit_seq2seq(model, data, seed=seed, **fit_kwargs)``. ``build`` must be picklable (a class
    or ``functools.partial`` of one, e.g. ``partial(Seq2Seq, 13, 13, 64, attention=True)``) when the
    runs go to worker processes."""

    build: Callable[[], torch.nn.Module]
    data: Any
    seed: int = 0
    fit_kwargs: dict[str, Any] = field(default_factory=dict)


def _fit_seq2seq_run(run: Seq2SeqRun) -> tuple[dict[str, torch.Tensor], History]:
    torch.manual_seed(run.seed)
    model = run.build()
    history = fit_seq2seq(
        model, run.data, seed=run.seed, **{"progress": False, **run.fit_kwargs}
    )
    return model.state_dict(), history


def fit_seq2seq_many(
    runs: Mapping[K, Seq2SeqRun], processes: int | None = None
) -> dict[K, tuple[torch.nn.Module, History]]:
    """Train every :class:`Seq2SeqRun` and return ``{key: (model, history)}`` in the order given.

    Up to ``processes`` worker processes (default: one per CPU, see
    :func:`rnnbook.training.parallel.parallel_map`) train the runs at once; each run seeds itself, so the
    results are the same for any number of processes. The trained weights come back from the
    workers and are loaded into a fresh ``build()``.
    """
    return train_runs(_fit_seq2seq_run, runs, processes)


def fit_seq2seq_seeds(
    build: Callable[[], torch.nn.Module],
    data: Any,
    *,
    seeds: tuple[int, ...] = (0, 1, 2),
    processes: int | None = None,
    **fit_kwargs: Any,
) -> SeedRuns:
    """One encoder-decoder per seed: ``torch.manual_seed(seed)``, ``build()``, ``fit_seq2seq(..., seed=seed)``.

    The seed fixes the initial weights and the order of the mini-batches; ``fit_kwargs`` go to
    :func:`fit_seq2seq` (``steps``, ``batch_size``, ``lr``, ``clip``, ``eval_data``, ...). Returns a
    :class:`rnnbook.training.supervised.SeedRuns`, as :func:`rnnbook.training.supervised.fit_seeds` does.
    """
    if not seeds:
        raise ValueError("seeds must name at least one seed")
    done = fit_seq2seq_many(
        {seed: Seq2SeqRun(build, data, seed, fit_kwargs) for seed in seeds}, processes
    )
    return SeedRuns(
        tuple(seeds), [done[s][0] for s in seeds], [done[s][1] for s in seeds]
    )
