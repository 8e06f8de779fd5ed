"""Seeded synthetic long-memory tasks in the form Bai, Kolter, Koltun (2018) benchmark them.

* Adding problem (Hochreiter & Schmidhuber 1997): a sequence of random numbers and a marker
  channel with two 1s; predict the sum of the two marked numbers. The distance between the
  markers is the dependency length.
* Copy memory (Hochreiter & Schmidhuber 1997; Arjovsky et al. 2016): read 10 digits (or a
  shorter payload of ``num_digits``), wait ``T`` steps, then write the digits back.
* Selective copy (Gu & Dao 2024): like copy memory, but the digits are scattered at random
  positions among blanks, so what to remember depends on the content.

Each function draws everything from ``numpy.random.default_rng(seed)``, so the same seed
gives the same data on every machine. Both also give the score of the best predictor that
remembers nothing, the line a recurrent network must get below to show it has memory.

For the chapters on bidirectional RNNs and encoder-decoders:

* Digit transduction (:func:`reverse_digits`, :func:`sort_digits`): map a variable-length string
  of digits to its reversal or its sorted version. Every output token can depend on any input
  token, so an encoder-decoder must squeeze the whole input into its summary vector: the task
  gets harder as sequences get longer (the fixed-vector bottleneck), which attention relieves.
  Tokens: :data:`SEQ_PAD`, :data:`SEQ_BOS`, :data:`SEQ_EOS`, then the digits 0-9 as
  ``SEQ_FIRST_DIGIT + d``; :data:`SEQ_VOCAB_SIZE` in all, for source and target alike.
* Sequence labelling with future context (:func:`repeats_later`): label every position with
  whether its symbol occurs again later in the sequence. The label depends only on the future, so a
  left-to-right RNN can at best guess it from the position (:func:`repeats_later_causal_accuracy`
  gives that ceiling exactly) while a bidirectional one can be perfect.
* :func:`unpad`: padded rows cut to their lengths, for the scores of decoded sequences
  (:func:`rnnbook.training.metrics.exact_match`, :func:`rnnbook.training.metrics.token_accuracy`).

Held-out sets are drawn with a different seed (for example ``seed=0`` to train, ``seed=1`` to
test). With short sequences the same string can occur in both; with ``10^L`` strings of length
``L`` that is rare from ``L = 5`` on.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._shapes import positive_int

__all__ = [
    "adding_problem",
    "adding_problem_baseline_mse",
    "copy_memory",
    "copy_memory_chance_loss",
    "copy_memory_chance_accuracy",
    "anbn",
    "anbn_strings",
    "anbn_counted",
    "ANBN_PAD",
    "ANBN_A",
    "ANBN_B",
    "ANBN_END",
    "ANBN_VOCAB_SIZE",
    "selective_copy",
    "SELECTIVE_BLANK",
    "SELECTIVE_RECALL",
    "SELECTIVE_VOCAB_SIZE",
    "COPY_DIGITS",
    "COPY_BLANK",
    "COPY_DELIMITER",
    "COPY_VOCAB_SIZE",
    "SEQ_PAD",
    "SEQ_BOS",
    "SEQ_EOS",
    "SEQ_FIRST_DIGIT",
    "SEQ_VOCAB_SIZE",
    "Seq2SeqData",
    "reverse_digits",
    "sort_digits",
    "tokens_to_string",
    "repeats_later",
    "repeats_later_causal_accuracy",
    "unpad",
]

COPY_DIGITS = 10
"""How many digits the copy-memory task asks to remember."""
COPY_BLANK = 0
"""The blank symbol of the copy-memory task (input padding, and the target before recall)."""
COPY_DELIMITER = 9
"""The symbol that tells the copy-memory model to start writing the digits back."""
COPY_VOCAB_SIZE = 10
"""Ten symbols in all (0 to 9), namely the blank, the digits 1..8 and the delimiter."""


def adding_problem(
    num_samples: int,
    T: int,
    seed: int | None = 0,
    dtype: Any = np.float64,
    markers: str = "halves",
) -> tuple[NDArray[np.floating], NDArray[np.floating]]:
    """The adding problem: ``x`` ``(N, T, 2)`` and ``y`` ``(N,)``, batch first.

    Channel 0 of ``x`` holds values drawn from U(0, 1); channel 1 is a marker channel, 0
    everywhere except exactly two 1s. With ``markers="halves"`` (the default, the widely used
    form) one marker is drawn uniformly from the first half ``[0, T // 2)`` and one from the
    second half ``[T // 2, T)``, so the first marked value must be held for 1 to ``T - 1``
    steps. With ``markers="anywhere"`` they are two distinct positions drawn uniformly from
    ``[0, T)``, as in Bai et al.'s released code. The target is the sum of the two marked
    values, ``y in [0, 2]``, for either placement.

    Args:
        num_samples: ``N``; T: sequence length, at least 2; seed: for ``default_rng``;
        dtype: of ``x`` and ``y``; markers: ``"halves"`` or ``"anywhere"``.
    """
    n = positive_int("num_samples", num_samples, 1)
    t = positive_int("T", T, 2)
    if markers not in ("halves", "anywhere"):
        raise ValueError(f"markers must be 'halves' or 'anywhere', got {markers!r}")
    rng = np.random.default_rng(seed)
    values = rng.uniform(0.0, 1.0, size=(n, t))
    if markers == "halves":
        first = rng.integers(0, t // 2, size=n)
        second = rng.integers(t // 2, t, size=n)
    else:  # a uniform pair of distinct positions
        first = rng.integers(0, t, size=n)
        second = rng.integers(0, t - 1, size=n)
        second += second >= first
    rows = np.arange(n)
    marker_channel = np.zeros((n, t))
    marker_channel[rows, first] = 1.0
    marker_channel[rows, second] = 1.0
    x = np.stack([values, marker_channel], axis=-1).astype(dtype)
    y = (values[rows, first] + values[rows, second]).astype(dtype)
    return x, y


def adding_problem_baseline_mse() -> float:
    """The mean squared error of always predicting 1 on the adding problem: ``1/6``.

    Derivation: the target is ``U1 + U2`` with ``U1, U2`` independent U(0, 1). The constant
    that minimises the expected squared error is the mean, ``E[U1 + U2] = 1``, and its error
    is the variance, ``Var(U1 + U2) = Var(U1) + Var(U2) = 1/12 + 1/12 = 1/6 ~ 0.167``
    (``Var(U) = E[U^2] - E[U]^2 = 1/3 - 1/4 = 1/12``). A model above this line has learned
    nothing about the marked values; Bai et al. report 0.164 to 0.177 for LSTM and the plain
    RNN at T = 600, that is, no better than this.
    """
    return 1.0 / 6.0


def copy_memory(
    num_samples: int,
    T: int,
    seed: int | None = 0,
    fill_recall_with_delimiter: bool = False,
    num_digits: int = COPY_DIGITS,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The copy-memory task: ``x`` and ``y``, both ``(N, T + 2 K)`` int64, batch first, ``K = num_digits``.

    Input ``x``: ``K`` digits (10 by default, as in Bai et al.) drawn uniformly from {1, ..., 8},
    then ``T - 1`` blanks (0), then the delimiter 9, then ``K`` blanks during which the model
    must answer. Target ``y``: ``T + K`` blanks, then the ``K`` digits. So the last digit must be
    carried ``T + K`` steps. Symbols are 0..9 (:data:`COPY_VOCAB_SIZE`); train with
    cross-entropy over all ``T + 2 K`` steps.

    Args:
        num_samples: ``N``; T: the blank length (the delay), at least 1; seed: for ``default_rng``.
        fill_recall_with_delimiter: Bai et al.'s released code feeds 9 at all ``K + 1`` last input
            steps (the delimiter, then 9 instead of blanks while recalling); True does that.
            It changes no target and no chance level.
        num_digits: ``K``, the payload, at least 1 (default :data:`COPY_DIGITS` = 10).
    """
    n = positive_int("num_samples", num_samples, 1)
    t = positive_int("T", T, 1)
    k = positive_int("num_digits", num_digits, 1)
    rng = np.random.default_rng(seed)
    digits = rng.integers(1, 9, size=(n, k))  # 1..8
    x = np.full((n, t + 2 * k), COPY_BLANK, dtype=np.int64)
    x[:, :k] = digits
    recall_start = k + t - 1  # the delimiter's position
    x[:, recall_start] = COPY_DELIMITER
    if fill_recall_with_delimiter:
        x[:, recall_start:] = COPY_DELIMITER
    y = np.full_like(x, COPY_BLANK)
    y[:, t + k :] = digits
    return x, y


def copy_memory_chance_loss(T: int, num_digits: int = COPY_DIGITS) -> float:
    """The best memoryless predictor's cross-entropy, nats per step over all ``T + 2 K`` steps: ``K ln 8 / (T + 2 K)``.

    Derivation (``K = num_digits``, 10 by default): a model that remembers no digit can still
    learn the layout: predict the blank with probability 1 wherever the target is blank
    (``T + K`` steps, loss ``-ln 1 = 0``), and during the ``K`` recall steps spread probability
    uniformly over the 8 digits (loss ``ln 8`` each, the best possible without memory because
    the digits are uniform and independent). The mean over the ``T + 2 K`` steps is
    ``K ln 8 / (T + 2 K)``; for ``K = 10`` that is ``10 ln 8 / (T + 20)``, 0.0204 for T = 1000,
    the loss at which Bai et al. report LSTM, GRU and plain RNN all stuck.
    """
    t = positive_int("T", T, 1)
    k = positive_int("num_digits", num_digits, 1)
    return k * math.log(8) / (t + 2 * k)


def copy_memory_chance_accuracy(T: int, num_digits: int = COPY_DIGITS) -> float:
    """The memoryless predictor's accuracy over all ``T + 2 K`` steps: ``(T + K + K / 8) / (T + 2 K)``.

    It gets every blank right (``T + K`` steps) and, guessing among the 8 digits, one recalled
    digit in 8 on average.
    """
    t = positive_int("T", T, 1)
    k = positive_int("num_digits", num_digits, 1)
    return (t + k + k / 8) / (t + 2 * k)


# ----------------------------------------------------------------- counting: a^n b^n
ANBN_PAD = 0
"""Padding after the end symbol (also the target there) in the a^n b^n task."""
ANBN_A = 1
"""The symbol ``a``."""
ANBN_B = 2
"""The symbol ``b``."""
ANBN_END = 3
"""The end-of-string symbol ``$`` that follows the last ``b``."""
ANBN_VOCAB_SIZE = 4


def anbn_strings(
    ns: ArrayLike, length: int | None = None
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The strings ``a^n b^n $`` for the given ``n`` (one row each), as next-symbol prediction data.

    Returns ``(x, y)``, both ``(len(ns), L)`` int64 with ``L = length`` (default ``2 max(ns) + 1``):
    ``x`` is ``a`` (:data:`ANBN_A`) ``n`` times, ``b`` (:data:`ANBN_B`) ``n`` times, the end symbol
    (:data:`ANBN_END`), then padding (:data:`ANBN_PAD`); ``y[:, t] = x[:, t + 1]`` is the next
    symbol (padding after the last step). Each ``n`` must be at least 1, and ``length`` at least
    ``2 max(ns) + 1``.
    """
    n = np.asarray(ns)
    if n.ndim != 1 or n.size == 0 or not np.issubdtype(n.dtype, np.integer):
        raise ValueError(
            f"ns must be a non-empty 1-D array of ints, got {np.asarray(ns)!r}"
        )
    if n.min() < 1:
        raise ValueError(f"every n must be >= 1, got {int(n.min())}")
    need = 2 * int(n.max()) + 1
    total = need if length is None else positive_int("length", length, need)
    t = np.arange(total)[None, :]
    x = np.full((n.size, total), ANBN_PAD, dtype=np.int64)
    x[t < n[:, None]] = ANBN_A
    x[(t >= n[:, None]) & (t < 2 * n[:, None])] = ANBN_B
    x[t == 2 * n[:, None]] = ANBN_END
    y = np.full_like(x, ANBN_PAD)
    y[:, :-1] = x[:, 1:]
    return x, y


def anbn(
    num_samples: int,
    n_max: int,
    n_min: int = 1,
    seed: int | None = 0,
    length: int | None = None,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """The counting language ``a^n b^n`` (Gers & Schmidhuber 2001; Weiss et al. 2018) as next-symbol prediction.

    Draws ``n`` uniformly from ``[n_min, n_max]`` for each of ``num_samples`` strings with
    ``numpy.random.default_rng(seed)`` and returns ``(x, y, n)`` as :func:`anbn_strings` lays
    them out (``L = 2 n_max + 1`` unless ``length`` is given). Train with cross-entropy over all
    steps (a model with ``vocab_size=ANBN_VOCAB_SIZE`` and a read-out at every step).

    While the ``a`` s come, the next symbol is ``a`` or ``b`` by chance; once the first ``b`` has
    been read, every next symbol is determined: ``n - 1`` more ``b`` s and then the end. Predicting
    the end at the right step needs a count of the ``a`` s, which a finite-state machine cannot
    keep for every ``n``; :func:`anbn_counted` scores exactly these determined steps.
    """
    count = positive_int("num_samples", num_samples, 1)
    lo = positive_int("n_min", n_min, 1)
    hi = positive_int("n_max", n_max, 1)
    if hi < lo:
        raise ValueError(f"n_max must be >= n_min, got n_min={lo}, n_max={hi}")
    n = np.random.default_rng(seed).integers(lo, hi + 1, size=count)
    x, y = anbn_strings(n, 2 * hi + 1 if length is None else length)
    return x, y, n


def anbn_counted(predicted: ArrayLike, n: ArrayLike) -> NDArray[np.bool_]:
    """Whether each string's determined next symbols were all predicted: one bool per row.

    ``predicted`` ``(M, L)`` holds the predicted next symbol at every step (the arg-max of a
    model's output) for the strings ``a^n b^n $`` of :func:`anbn_strings`, ``n`` ``(M,)`` their
    ``n``. A row counts as right when, at every step from the first ``b`` on (0-based steps
    ``n .. 2 n - 1``), the prediction is the true next symbol: ``b`` for ``n - 1`` steps and then
    the end. The steps before are not scored, since there the next symbol is not determined.
    """
    pred = np.asarray(predicted)
    counts = np.asarray(n)
    if pred.ndim != 2 or counts.shape != (pred.shape[0],):
        raise ValueError(
            f"predicted must be (M, L) and n (M,), got shapes {pred.shape} and {counts.shape}"
        )
    if counts.min() < 1 or pred.shape[1] < 2 * int(counts.max()):
        raise ValueError(
            "every n must be >= 1 and predicted must cover the steps up to 2 n - 1"
        )
    t = np.arange(pred.shape[1])[None, :]
    scored = (t >= counts[:, None]) & (t < 2 * counts[:, None])
    truth = np.where(t < 2 * counts[:, None] - 1, ANBN_B, ANBN_END)
    return np.all((pred == truth) | ~scored, axis=1)


SELECTIVE_BLANK = 0
"""The selective-copy blank (noise) symbol, also the target wherever nothing is to be recalled."""
SELECTIVE_RECALL = 9
"""The selective-copy marker fed during the recall steps; data symbols are 1..8."""
SELECTIVE_VOCAB_SIZE = 10


def selective_copy(
    num_samples: int, T: int, num_tokens: int = 4, seed: int | None = 0
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The selective-copy task (Gu & Dao 2024; used by Feng et al. 2024): ``x``, ``y`` ``(N, T + K)`` int64.

    Input: ``T`` steps of blanks (0) in which ``K = num_tokens`` data symbols from {1, ..., 8} sit
    at random positions (different for every sample), then ``K`` recall markers (9). Target:
    blanks for the first ``T`` steps, then the ``K`` data symbols in the order they appeared.
    Unlike copy memory, the positions vary, so a model must decide *from the content* what to
    store: a fixed time-invariant filter cannot solve it. Accuracy is measured on the last ``K``
    steps; chance there is 1/8.
    """
    n = positive_int("num_samples", num_samples, 1)
    t = positive_int("T", T, 1)
    k = positive_int("num_tokens", num_tokens, 1)
    if k > t:
        raise ValueError(f"num_tokens must be at most T={t}, got {k}")
    rng = np.random.default_rng(seed)
    positions = np.sort(
        rng.random((n, t)).argsort(axis=1)[:, :k], axis=1
    )  # k distinct positions per row
    symbols = rng.integers(1, 9, size=(n, k))
    x = np.full((n, t + k), SELECTIVE_BLANK, dtype=np.int64)
    np.put_along_axis(x, positions, symbols, axis=1)
    x[:, t:] = SELECTIVE_RECALL
    y = np.full_like(x, SELECTIVE_BLANK)
    y[:, t:] = symbols
    return x, y


# ----------------------------------------------------------------- digit transduction (encoder-decoder)
SEQ_PAD = 0
"""Padding token of the transduction tasks (after each source and target sequence's end)."""
SEQ_BOS = 1
"""The beginning-of-sequence token, the decoder's first input."""
SEQ_EOS = 2
"""The end-of-sequence token, the decoder's last target; decoding stops when it is produced."""
SEQ_FIRST_DIGIT = 3
"""Digit ``d`` (0-9) is token ``SEQ_FIRST_DIGIT + d``."""
SEQ_VOCAB_SIZE = 13
"""PAD, BOS, EOS and the ten digits; the same vocabulary for sources and targets."""


class Seq2SeqData(NamedTuple):
    """A padded batch of source/target pairs, batch first, as :class:`rnnbook.numpy.Seq2Seq` consumes it.

    For a source ``x_1..x_S`` and a target ``y_1..y_L``::

        src      = x_1 .. x_S, PAD ...        (N, S_max)  int64
        tgt_in   = BOS, y_1 .. y_L, PAD ...   (N, T_max)  decoder inputs (teacher forcing)
        tgt_out  = y_1 .. y_L, EOS, PAD ...   (N, T_max)  what it must predict at each step
        tgt_mask = True on the L + 1 real target steps, False on padding  (N, T_max) bool
    """

    src: NDArray[np.int64]
    src_lengths: NDArray[np.int64]
    tgt_in: NDArray[np.int64]
    tgt_out: NDArray[np.int64]
    tgt_mask: NDArray[np.bool_]

    def take(self, index: Any) -> Seq2SeqData:
        """The pairs at ``index`` (an int array, a slice or a boolean mask over the batch)."""
        return Seq2SeqData(*(np.asarray(a)[index] for a in self))

    def targets(self) -> list[NDArray[np.int64]]:
        """The target sequences ``y_1 .. y_L, EOS`` without padding, one array per pair."""
        return unpad(self.tgt_out, self.tgt_mask.sum(axis=1))

    @property
    def num_pairs(self) -> int:
        """``N``, the number of source/target pairs (``len()`` counts the five fields, as for any tuple)."""
        return int(self.src.shape[0])


def _transduction(
    num_samples: int, min_len: int, max_len: int, seed: int | None, transform: Any
) -> Seq2SeqData:
    n = positive_int("num_samples", num_samples, 1)
    lo = positive_int("min_len", min_len, 1)
    hi = positive_int("max_len", max_len, 1)
    if hi < lo:
        raise ValueError(f"max_len must be >= min_len, got min_len={lo}, max_len={hi}")
    rng = np.random.default_rng(seed)
    lengths = rng.integers(lo, hi + 1, size=n)
    digits = rng.integers(0, 10, size=(n, hi))
    src = np.full((n, hi), SEQ_PAD, dtype=np.int64)
    tgt_in = np.full((n, hi + 1), SEQ_PAD, dtype=np.int64)
    tgt_out = np.full((n, hi + 1), SEQ_PAD, dtype=np.int64)
    for i, length in enumerate(lengths):
        x = digits[i, :length] + SEQ_FIRST_DIGIT
        y = transform(x)
        src[i, :length] = x
        tgt_in[i, 0], tgt_in[i, 1 : length + 1] = SEQ_BOS, y
        tgt_out[i, :length], tgt_out[i, length] = y, SEQ_EOS
    tgt_mask = np.arange(hi + 1)[None, :] <= lengths[:, None]
    return Seq2SeqData(src, lengths.astype(np.int64), tgt_in, tgt_out, tgt_mask)


def reverse_digits(
    num_samples: int, min_len: int, max_len: int, seed: int | None = 0
) -> Seq2SeqData:
    """Source: ``L`` random digits, ``L`` uniform in ``[min_len, max_len]``; target: the same digits reversed.

    The first output token is the last input token, so an encoder-decoder without attention must
    carry every digit to the end of the encoder and give them back in the opposite order. Arrays
    are padded to ``max_len`` (sources) and ``max_len + 1`` (targets, with BOS/EOS); see
    :class:`Seq2SeqData` for the layout and :data:`SEQ_VOCAB_SIZE` for the tokens.
    """
    return _transduction(num_samples, min_len, max_len, seed, lambda x: x[::-1])


def sort_digits(
    num_samples: int, min_len: int, max_len: int, seed: int | None = 0
) -> Seq2SeqData:
    """Source: ``L`` random digits; target: the same digits in ascending order (same layout as :func:`reverse_digits`)."""
    return _transduction(num_samples, min_len, max_len, seed, np.sort)


def tokens_to_string(tokens: ArrayLike) -> str:
    """Readable form of a token sequence: digits as ``0``-``9``, BOS ``^``, EOS ``$``, PAD ``_``."""
    names = {SEQ_PAD: "_", SEQ_BOS: "^", SEQ_EOS: "$"}
    return "".join(
        names.get(int(t), str(int(t) - SEQ_FIRST_DIGIT))
        for t in np.asarray(tokens).reshape(-1)
    )


# ----------------------------------------------------------------- labelling that needs the future
def repeats_later(
    num_samples: int,
    min_len: int,
    max_len: int,
    num_symbols: int = 10,
    seed: int | None = 0,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Label each position with whether its symbol occurs again LATER in the sequence.

    Returns ``(x, y, lengths)``, batch first: ``x`` ``(N, max_len)`` symbols drawn uniformly from
    ``1..num_symbols`` (token 0 is padding, so a model needs ``num_symbols + 1`` inputs), ``y``
    ``(N, max_len)`` with ``y[n, t] = 1`` if ``x[n, t]`` appears in ``x[n, t+1 : lengths[n]]`` and 0
    otherwise (also 0 on padding: score only ``t < lengths[n]``), ``lengths`` ``(N,)`` uniform in
    ``[min_len, max_len]``. The label is a function of the future alone; see
    :func:`repeats_later_causal_accuracy` for what a model that reads left to right can reach.
    """
    n = positive_int("num_samples", num_samples, 1)
    lo = positive_int("min_len", min_len, 1)
    hi = positive_int("max_len", max_len, 1)
    k = positive_int("num_symbols", num_symbols, 1)
    if hi < lo:
        raise ValueError(f"max_len must be >= min_len, got min_len={lo}, max_len={hi}")
    rng = np.random.default_rng(seed)
    lengths = rng.integers(lo, hi + 1, size=n)
    x = rng.integers(1, k + 1, size=(n, hi))
    real = np.arange(hi)[None, :] < lengths[:, None]
    x = np.where(real, x, 0).astype(np.int64)
    # later[n, t, u] = u > t and u is real; same[n, t, u] = x[n, t] == x[n, u]
    later = np.triu(np.ones((hi, hi), dtype=bool), k=1)[None] & real[:, None, :]
    y = ((x[:, :, None] == x[:, None, :]) & later).any(axis=2) & real
    return x, y.astype(np.int64), lengths.astype(np.int64)


def repeats_later_causal_accuracy(
    min_len: int, max_len: int, num_symbols: int = 10
) -> float:
    """The best token accuracy on :func:`repeats_later` of any predictor that sees only ``x_1..x_t``.

    Derivation: whether ``x_t`` recurs depends only on the ``L - 1 - t`` later symbols (0-based
    ``t``), each equal to ``x_t`` with probability ``1/k`` independently, so
    ``P(y_t = 1 | L) = 1 - (1 - 1/k)^(L - 1 - t)``. The past says nothing about those symbols, and
    about ``L`` only that ``L > t``, so the best causal guess at ``t`` is 1 iff
    ``p_t = E[P(y_t = 1 | L) | L > t] > 1/2``, right with probability ``max(p_t, 1 - p_t)``.
    Averaging over the real tokens (each sequence contributes ``L`` of them, ``L`` uniform):
    ``accuracy = sum_t P(L > t) max(p_t, 1 - p_t) / E[L]``. A bidirectional model can reach 1.
    """
    lo = positive_int("min_len", min_len, 1)
    hi = positive_int("max_len", max_len, 1)
    k = positive_int("num_symbols", num_symbols, 1)
    if hi < lo:
        raise ValueError(f"max_len must be >= min_len, got min_len={lo}, max_len={hi}")
    lengths = np.arange(lo, hi + 1)
    p_len = np.full(len(lengths), 1.0 / len(lengths))
    total = 0.0
    for t in range(hi):
        alive = lengths > t
        p_alive = float(p_len[alive].sum())
        p_repeat = (
            float(
                np.sum(
                    p_len[alive] * (1.0 - (1.0 - 1.0 / k) ** (lengths[alive] - 1 - t))
                )
            )
            / p_alive
        )
        total += p_alive * max(p_repeat, 1.0 - p_repeat)
    return total / float(np.sum(p_len * lengths))


# ----------------------------------------------------------------- scores for decoded sequences
def unpad(tokens: ArrayLike, lengths: ArrayLike) -> list[NDArray[np.int64]]:
    """Rows of a padded ``(N, T)`` array cut to their lengths: ``[tokens[n, :lengths[n]] for n]``."""
    arr = np.asarray(tokens)
    lens = np.asarray(lengths)
    if arr.ndim != 2 or lens.shape != (arr.shape[0],):
        raise ValueError(
            f"tokens must be (N, T) and lengths (N,), got shapes {arr.shape} and {lens.shape}"
        )
    return [arr[n, : int(lens[n])].astype(np.int64) for n in range(arr.shape[0])]
