"""Text data for character-level language models: vocabulary, corpus, splits and BPTT windows (NumPy only).

The pipeline, with the shapes at each stage::

    text (str) --Vocabulary.encode--> ids (L_total,) int64
         --split_train_val--> train ids, val ids    (contiguous: val is the text's end)
         --batchify(ids, N)--> streams (L, N)       (column n: the n-th contiguous chunk)
         --bptt_windows(streams, T)--> (inputs (T, N), targets (T, N)), ...
                                                        (targets = inputs shifted by one step)

Consecutive windows continue every column where the previous window stopped, so the hidden
state at the end of one window is the right initial state for the next: truncated
backpropagation through time carries the state forward and cuts only the gradient.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._shapes import positive_int

__all__ = [
    "UNK",
    "Vocabulary",
    "load_corpus",
    "read_text",
    "split_train_val",
    "batchify",
    "window_at",
    "bptt_windows",
]

IntArray = NDArray[np.int64]

UNK = "\ufffd"
"""The unknown-character token (U+FFFD REPLACEMENT CHARACTER); always index 0 of a vocabulary."""


def _as_ids(ids: ArrayLike, name: str = "ids", ndim: int = 1) -> IntArray:
    arr = np.asarray(ids)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name} must be an integer array, got dtype {arr.dtype}")
    if arr.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {arr.shape}")
    return arr.astype(np.int64, copy=False)


class Vocabulary:
    """The characters of a text, each mapped to an index, plus ``<unk>`` for everything else.

    ``Vocabulary(text)``: index 0 is :data:`UNK` (``"\\ufffd"``), then the distinct characters
    of ``text`` in code-point order. ``len(vocab)`` is the model's ``V`` (= d_x = d_y for a
    one-hot character model).

    Attributes:
        itos: list of characters, ``itos[i]`` is the character with index ``i``.
        stoi: dict character -> index.
    """

    unk_index = 0

    def __init__(self, text: str) -> None:
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        if not text:
            raise ValueError("text is empty: a vocabulary needs at least one character")
        self._set_itos([UNK, *sorted(set(text) - {UNK})])

    def _set_itos(self, itos: list[str]) -> None:
        self.itos = list(itos)
        self.stoi = {c: i for i, c in enumerate(self.itos)}
        # Sorted code points of the known characters, for a vectorised lookup in encode().
        codes = np.array([ord(c) for c in self.itos[1:]], dtype=np.int64)
        order = np.argsort(codes)
        self._codes = codes[order]
        self._code_ids = order.astype(np.int64) + 1

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, char: object) -> bool:
        return char in self.stoi

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocabulary) and self.itos == other.itos

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} symbols: <unk> + {len(self) - 1} characters)"

    def encode(self, text: str, strict: bool = False) -> IntArray:
        """Character indices of ``text``, shape ``(len(text),)``, dtype int64.

        Characters not in the vocabulary map to ``unk_index`` (0), or, with ``strict=True``,
        raise ValueError naming them.
        """
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(
            np.int64
        )
        if len(self._codes):
            pos = np.minimum(np.searchsorted(self._codes, codes), len(self._codes) - 1)
            found = self._codes[pos] == codes
            ids = np.where(found, self._code_ids[pos], self.unk_index).astype(np.int64)
        else:  # only <unk> is known
            found = np.zeros(codes.shape, dtype=bool)
            ids = np.full(codes.shape, self.unk_index, dtype=np.int64)
        if strict and not found.all():
            unknown = sorted({chr(c) for c in codes[~found]} - {UNK})
            if unknown:
                shown = ", ".join(repr(c) for c in unknown[:20]) + (
                    ", ..." if len(unknown) > 20 else ""
                )
                raise ValueError(
                    f"{len(unknown)} character(s) not in the vocabulary of {len(self)} symbols: {shown} "
                    f"({int((~found).sum())} occurrence(s))"
                )
        return ids

    def decode(self, ids: ArrayLike) -> str:
        """The text for indices ``ids`` (shape ``(L,)``); ``<unk>`` decodes to ``"\\ufffd"``."""
        arr = _as_ids(ids, "ids")
        if arr.size and (arr.min() < 0 or arr.max() >= len(self)):
            raise ValueError(
                f"ids must lie in [0, {len(self)}), got values in [{arr.min()}, {arr.max()}]"
            )
        return "".join(self.itos[i] for i in arr.tolist())

    def to_json(self) -> str:
        """A JSON string ``{"itos": [...]}`` that :meth:`from_json` turns back into an equal vocabulary."""
        return json.dumps(
            {"format": "rnnbook-vocabulary", "itos": self.itos}, ensure_ascii=True
        )

    @classmethod
    def from_json(cls, text: str) -> Vocabulary:
        """The vocabulary that :meth:`to_json` wrote (the index order is kept exactly)."""
        data = json.loads(text)
        itos = data.get("itos") if isinstance(data, dict) else None
        if (
            not isinstance(itos, list)
            or not itos
            or itos[0] != UNK
            or not all(isinstance(c, str) and len(c) == 1 for c in itos)
            or len(set(itos)) != len(itos)
        ):
            raise ValueError(
                "not a vocabulary: expected JSON {'itos': [...]} of distinct characters starting with <unk>"
            )
        vocab = cls.__new__(cls)
        vocab._set_itos(itos)
        return vocab


def load_corpus(max_chars: int | None = None) -> str:
    """A real English corpus that ships with Python itself: the Python reference manual's topics.

    The standard library's ``pydoc_data.topics.topics`` is a dict ``topic -> text`` (the
    documentation that ``help("assert")`` prints, about 79 topics and 0.46 million characters
    in Python 3.11). Their texts are concatenated in sorted key order; each ends with a newline.
    The exact text depends on the Python version. Nothing is downloaded.

    Args:
        max_chars: keep only the first ``max_chars`` characters (None: all).
    """
    from pydoc_data.topics import topics

    text = "".join(topics[key] for key in sorted(topics))
    if max_chars is not None:
        text = text[: positive_int("max_chars", max_chars)]
    return text


def read_text(path: str | os.PathLike[str]) -> str:
    """The text of a UTF-8 file, with clear errors for a missing file, bad encoding or no text."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"text file not found: {str(p)!r}")
    if not p.is_file():
        raise ValueError(f"not a regular file: {str(p)!r}")
    data = p.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(
            f"{str(p)!r} is not valid UTF-8 text (byte {err.start}: {err.reason})"
        ) from None
    if not text:
        raise ValueError(
            f"{str(p)!r} is empty: a language model needs text to learn from"
        )
    return text


def split_train_val(
    ids: ArrayLike, val_fraction: float = 0.1
) -> tuple[IntArray, IntArray]:
    """Contiguous split: the first ``1 - val_fraction`` of ``ids`` for training, the rest for validation.

    No shuffling: validation text is text the model has not seen, continuing where training
    text stops. Both parts hold at least 2 tokens (one input and its target).

    Returns:
        ``(train, val)``, views of ``ids`` of shapes ``(L - L_val,)`` and ``(L_val,)`` with
        ``L_val = round(val_fraction * L)``.
    """
    arr = _as_ids(ids)
    if (
        isinstance(val_fraction, bool)
        or not isinstance(val_fraction, int | float)
        or not 0.0 < val_fraction < 1.0
    ):
        raise ValueError(
            f"val_fraction must be a number in (0, 1), got {val_fraction!r}"
        )
    n_val = int(round(val_fraction * len(arr)))
    if n_val < 2 or len(arr) - n_val < 2:
        raise ValueError(
            f"text too short to split: {len(arr)} tokens with val_fraction={val_fraction} gives "
            f"{len(arr) - n_val} training and {n_val} validation tokens; each part needs at least 2"
        )
    return arr[: len(arr) - n_val], arr[len(arr) - n_val :]


def batchify(ids: ArrayLike, batch_size: int) -> IntArray:
    """Cut ``ids`` into ``N = batch_size`` contiguous streams, one per column: shape ``(L, N)``.

    ``L = len(ids) // N``; the last ``len(ids) % N`` tokens are dropped (the classic Penn
    Treebank setup). Column ``n`` is ``ids[n L : (n + 1) L]``, so reading down a column reads
    the text, and each column is one sequence of the batch whose hidden state is carried.
    """
    arr = _as_ids(ids)
    n = positive_int("batch_size", batch_size)
    length = len(arr) // n
    if length < 2:
        raise ValueError(
            f"text too short for batch_size={n}: {len(arr)} tokens give streams of {length} token(s); "
            f"each of the {n} streams needs at least 2 (input and target), so at least {2 * n} tokens"
        )
    return np.ascontiguousarray(arr[: length * n].reshape(n, length).T)


def window_at(
    streams: ArrayLike, start: int, seq_len: int
) -> tuple[IntArray, IntArray]:
    """The BPTT window beginning at row ``start``: ``(inputs, targets)``, both ``(T, N)``.

    ``inputs = streams[start : start + T]`` and ``targets = streams[start + 1 : start + 1 + T]``
    with ``T = min(seq_len, L - 1 - start)`` (the last window of the data may be shorter).
    """
    arr = _as_ids(streams, "streams", ndim=2)
    seq_len = positive_int("seq_len", seq_len)
    if (
        isinstance(start, bool)
        or not isinstance(start, int | np.integer)
        or not 0 <= start < arr.shape[0] - 1
    ):
        raise ValueError(
            f"start must be an int in [0, {arr.shape[0] - 1}) (rows of streams less one), got {start!r}"
        )
    t = min(seq_len, arr.shape[0] - 1 - int(start))
    return arr[start : start + t], arr[start + 1 : start + 1 + t]


def bptt_windows(
    streams: ArrayLike, seq_len: int
) -> Iterator[tuple[IntArray, IntArray]]:
    """Consecutive windows ``(inputs (T, N), targets (T, N))`` covering ``streams`` ``(L, N)`` in order.

    Window ``k`` starts at row ``k * seq_len``; the last one may be shorter. Each column of a
    window continues that column of the previous window, so the final hidden state of one
    window is the initial state of the next. Every input row except the last is also a target.

    Raises:
        ValueError: ``seq_len`` < 1, or longer than the ``L - 1`` input steps available.
    """
    arr = _as_ids(streams, "streams", ndim=2)
    seq_len = positive_int("seq_len", seq_len)
    if arr.shape[0] < 2:
        raise ValueError(
            f"streams need at least 2 rows (input and target), got shape {arr.shape}"
        )
    if seq_len > arr.shape[0] - 1:
        raise ValueError(
            f"seq_len={seq_len} is longer than the data: each of the {arr.shape[1]} streams has "
            f"{arr.shape[0]} tokens, so at most {arr.shape[0] - 1} input steps"
        )
    for start in range(0, arr.shape[0] - 1, seq_len):
        yield window_at(arr, start, seq_len)
