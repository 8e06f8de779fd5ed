"""Greedy and beam-search decoding, shared by both backends' encoder-decoders.

A model supplies two functions on its own decoder state (whatever it needs: recurrent state,
annotations, padding mask, all with the batch on a known axis):

* ``step(tokens, state) -> (log_probs, state, alpha)``: feed ``tokens`` ``(B,)`` (the previous
  outputs) and return ``log p(y_t = k | y_<t, x)`` as a NumPy ``(B, V)`` array, the new state and
  the attention weights ``(B, S)`` (None without attention);
* ``select(state, index) -> state``: the state of the batch rows ``index`` (repeats allowed).

Scores are sums of log-probabilities of the produced tokens, EOS included; no length
normalisation, so the score of a sequence is exactly its log-probability under the model and
longer outputs pay for every extra token. A hypothesis that reaches ``max_len`` tokens without
EOS is finished as it stands (truncated). Every token of the vocabulary may be produced.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._shapes import positive_int

StepFn = Callable[
    [NDArray[np.int64], Any],
    tuple[NDArray[np.floating], Any, NDArray[np.floating] | None],
]
SelectFn = Callable[[Any, NDArray[np.int64]], Any]


def check_decode_args(
    max_len: Any, bos: Any, eos: Any, vocab_size: int, beam_width: Any = 1
) -> None:
    """Reject a ``max_len`` or ``beam_width`` below 1 and ``bos`` / ``eos`` outside the target vocabulary."""
    positive_int("max_len", max_len)
    positive_int("beam_width", beam_width)
    for name, value in (("bos", bos), ("eos", eos)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise TypeError(
                f"{name} must be an int token id, got {type(value).__name__}"
            )
        if not 0 <= value < vocab_size:
            raise ValueError(
                f"{name} must be a token in [0, {vocab_size}) (the target vocabulary), got {value}"
            )


def greedy_decode(
    step: StepFn, state: Any, batch: int, max_len: int, bos: int, eos: int
) -> tuple[
    list[NDArray[np.int64]], NDArray[np.float64], list[NDArray[np.floating]] | None
]:
    """Pick the most probable token at every step, for a whole batch at once.

    Returns ``(sequences, scores, attention)``: per source, the tokens after BOS up to and including
    the first EOS (or ``max_len`` tokens), their summed log-probability, and the attention weights
    of each produced token ``(len, S)`` (None without attention). Ties go to the lowest token id.
    """
    tokens = np.full(batch, bos, dtype=np.int64)
    done = np.zeros(batch, dtype=bool)
    lengths = np.zeros(batch, dtype=np.int64)
    scores = np.zeros(batch, dtype=np.float64)
    produced: list[NDArray[np.int64]] = []
    alphas: list[Any] = []
    for _ in range(max_len):
        log_probs, state, alpha = step(tokens, state)
        tokens = np.argmax(log_probs, axis=1)
        live = ~done
        scores[live] += log_probs[live, tokens[live]]
        lengths[live] += 1
        produced.append(tokens)
        alphas.append(alpha)
        done |= tokens == eos
        if done.all():
            break
    table = np.stack(produced, axis=1)  # (N, steps)
    sequences = [table[n, : lengths[n]] for n in range(batch)]
    attention = None
    if alphas[0] is not None:
        weights = np.stack(alphas, axis=1)  # (N, steps, S)
        attention = [weights[n, : lengths[n]] for n in range(batch)]
    return sequences, scores, attention


def beam_decode(
    step: StepFn,
    select: SelectFn,
    state: Any,
    beam_width: int,
    max_len: int,
    bos: int,
    eos: int,
) -> tuple[NDArray[np.int64], float, NDArray[np.floating] | None]:
    """Beam search for ONE source (``state`` holds a batch of 1): the best sequence, its score, its attention.

    Every step extends each live hypothesis by every token and keeps the ``beam_width`` best
    extensions by total log-probability (ties to the earlier hypothesis, then the lower token id).
    An extension that ends in EOS, or reaches ``max_len`` tokens, is finished and leaves the beam,
    so the beam may shrink. The search stops when no hypothesis is live, or when the best finished
    score is at least every live score: log-probabilities are <= 0, so a live hypothesis can only
    lose score and none could overtake. With ``beam_width = 1`` this is greedy decoding; with a
    width of at least ``V^(max_len - 1)`` every prefix survives until the last step, so the result
    is the most probable sequence of all (exact search).
    """
    seqs = np.zeros((1, 0), dtype=np.int64)
    scores = np.zeros(1, dtype=np.float64)
    history: NDArray[np.floating] | None = None  # attention rows so far: (B, t, S)
    last = np.array([bos], dtype=np.int64)
    finished: list[tuple[float, NDArray[np.int64], Any]] = []
    for t in range(max_len):
        log_probs, state, alpha = step(last, state)
        vocab = log_probs.shape[1]
        total = (scores[:, None] + log_probs).ravel()
        order = np.argsort(-total, kind="stable")[:beam_width]
        parent, token = np.divmod(order, vocab)
        seqs = np.concatenate([seqs[parent], token[:, None]], axis=1)
        scores = total[order]
        if alpha is not None:
            rows = alpha[parent][:, None, :]
            history = (
                rows
                if history is None
                else np.concatenate([history[parent], rows], axis=1)
            )
        ends = (token == eos) | (t == max_len - 1)
        for i in np.flatnonzero(ends):
            finished.append(
                (float(scores[i]), seqs[i], None if history is None else history[i])
            )
        live = np.flatnonzero(~ends)
        if live.size == 0:
            break
        if finished and max(f[0] for f in finished) >= scores[live].max():
            break  # nothing live can still overtake the best finished sequence
        state = select(state, parent[live])
        seqs, scores, last = seqs[live], scores[live], token[live]
        history = None if history is None else history[live]
    best = max(
        range(len(finished)), key=lambda i: (finished[i][0], -i)
    )  # highest score, earliest on ties
    return finished[best][1], finished[best][0], finished[best][2]


def beam_decode_each(
    step: StepFn,
    select: SelectFn,
    whole: Any,
    num_sources: int,
    beam_width: int,
    max_len: int,
    bos: int,
    eos: int,
) -> tuple[list[NDArray[np.int64]], NDArray[np.float64], list[Any]]:
    """:func:`beam_decode` run on each of ``num_sources`` sources in turn (``select(whole, [n])`` picks one).

    Returns ``(sequences, scores, attention)``: one decoded sequence, its summed log-probability
    and its attention weights (or None) per source.
    """
    seqs, scores, attention = [], [], []
    for n in range(num_sources):
        seq, score, alpha = beam_decode(
            step, select, select(whole, np.array([n])), beam_width, max_len, bos, eos
        )
        seqs.append(seq)
        scores.append(score)
        attention.append(alpha)
    return seqs, np.array(scores, dtype=np.float64), attention
