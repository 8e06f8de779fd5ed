"""Text pipeline: vocabulary, corpus, contiguous split, streams and BPTT windows."""

import numpy as np
import pytest

from rnnbook.data.text import (
    UNK,
    Vocabulary,
    batchify,
    bptt_windows,
    load_corpus,
    read_text,
    split_train_val,
    window_at,
)


# ----------------------------------------------------------------------------- vocabulary
def test_vocabulary_indices_and_round_trip():
    vocab = Vocabulary("hello world")
    assert vocab.itos == [UNK, " ", "d", "e", "h", "l", "o", "r", "w"]
    assert len(vocab) == 9 and vocab.unk_index == 0 and "h" in vocab
    ids = vocab.encode("hello")
    assert ids.dtype == np.int64 and ids.tolist() == [4, 3, 5, 5, 6]
    assert vocab.decode(ids) == "hello"
    assert vocab.decode(vocab.encode("world hello")) == "world hello"


def test_unknown_characters_map_to_unk_or_raise_in_strict_mode():
    vocab = Vocabulary("abc")
    assert vocab.encode("abxcy").tolist() == [1, 2, 0, 3, 0]
    assert vocab.decode(vocab.encode("abxcy")) == f"ab{UNK}c{UNK}"
    with pytest.raises(
        ValueError,
        match=r"2 character\(s\) not in the vocabulary of 4 symbols: 'x', 'y' \(3 occurrence",
    ):
        vocab.encode("axyx", strict=True)
    assert vocab.encode("cab", strict=True).tolist() == [3, 1, 2]
    assert vocab.encode(UNK, strict=True).tolist() == [0]  # <unk> itself is known


def test_non_ascii_and_astral_characters():
    text = "naïve café — 😀 ok"
    vocab = Vocabulary(text)
    assert vocab.decode(vocab.encode(text, strict=True)) == text


def test_vocabulary_json_round_trip():
    vocab = Vocabulary("the quick brown fox — ünïcode")
    again = Vocabulary.from_json(vocab.to_json())
    assert again == vocab and again.stoi == vocab.stoi
    text = "brown ünï"
    np.testing.assert_array_equal(again.encode(text), vocab.encode(text))
    with pytest.raises(ValueError, match="not a vocabulary"):
        Vocabulary.from_json('{"itos": ["a", "b"]}')


def test_vocabulary_errors():
    with pytest.raises(ValueError, match="text is empty"):
        Vocabulary("")
    with pytest.raises(TypeError, match="text must be a str, got bytes"):
        Vocabulary(b"abc")
    vocab = Vocabulary("abc")
    with pytest.raises(
        ValueError, match=r"ids must lie in \[0, 4\), got values in \[0, 7\]"
    ):
        vocab.decode([0, 7])
    with pytest.raises(TypeError, match="integer array"):
        vocab.decode([0.5])


# ----------------------------------------------------------------------------- corpus and files
def test_load_corpus_is_the_python_reference_manual():
    from pydoc_data.topics import topics

    text = load_corpus()
    assert text == "".join(topics[k] for k in sorted(topics))
    assert len(text) > 100_000 and 'The "assert" statement' in text
    assert load_corpus(max_chars=1000) == text[:1000]
    with pytest.raises(ValueError, match="max_chars must be >= 1"):
        load_corpus(max_chars=0)


def test_read_text(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("héllo\nwörld\n", encoding="utf-8")
    assert read_text(path) == "héllo\nwörld\n"
    with pytest.raises(FileNotFoundError, match="text file not found"):
        read_text(tmp_path / "missing.txt")
    (tmp_path / "empty.txt").write_text("")
    with pytest.raises(ValueError, match="is empty"):
        read_text(tmp_path / "empty.txt")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(ValueError, match="not valid UTF-8 text"):
        read_text(tmp_path / "latin1.txt")
    with pytest.raises(ValueError, match="not a regular file"):
        read_text(tmp_path)


# ----------------------------------------------------------------------------- split, streams, windows
def test_split_is_contiguous_with_validation_at_the_end():
    ids = np.arange(1000)
    train, val = split_train_val(ids, 0.1)
    np.testing.assert_array_equal(train, np.arange(900))
    np.testing.assert_array_equal(val, np.arange(900, 1000))
    with pytest.raises(ValueError, match="text too short to split: 10 tokens"):
        split_train_val(np.arange(10), 0.1)
    with pytest.raises(ValueError, match=r"val_fraction must be a number in \(0, 1\)"):
        split_train_val(ids, 1.0)


def test_batchify_makes_contiguous_columns():
    streams = batchify(
        np.arange(23), 4
    )  # 23 // 4 = 5 rows; the last 3 tokens are dropped
    assert streams.shape == (5, 4) and streams.dtype == np.int64
    for n in range(4):
        np.testing.assert_array_equal(streams[:, n], np.arange(5 * n, 5 * n + 5))
    with pytest.raises(
        ValueError,
        match=r"text too short for batch_size=4: 7 tokens .* at least 8 tokens",
    ):
        batchify(np.arange(7), 4)
    with pytest.raises(ValueError, match="batch_size must be >= 1, got 0"):
        batchify(np.arange(7), 0)
    with pytest.raises(TypeError, match="integer array"):
        batchify(np.linspace(0, 1, 10), 2)


def test_windows_never_cross_the_train_validation_boundary():
    ids = np.arange(
        2000
    )  # token value = position: train tokens are < 1800, validation tokens >= 1800
    train, val = split_train_val(ids, 0.1)
    boundary = len(train)
    for part, inside in (
        (train, lambda a: a < boundary),
        (val, lambda a: a >= boundary),
    ):
        for inputs, targets in bptt_windows(batchify(part, 7), 16):
            assert inside(inputs).all() and inside(targets).all()


def test_targets_are_inputs_shifted_by_one_and_windows_continue_each_stream():
    ids = np.arange(1000)
    streams = batchify(ids, 6)  # (166, 6)
    windows = list(bptt_windows(streams, 20))
    assert [w[0].shape for w in windows] == [(20, 6)] * 8 + [
        (5, 6)
    ]  # 165 input steps = 8 * 20 + 5
    for inputs, targets in windows:
        np.testing.assert_array_equal(
            targets, inputs + 1
        )  # the next token of the same stream
    for (prev, _), (nxt, _) in zip(windows, windows[1:]):
        np.testing.assert_array_equal(
            nxt[0], prev[-1] + 1
        )  # window k+1 starts where window k stopped
    np.testing.assert_array_equal(np.concatenate([w[0] for w in windows]), streams[:-1])
    np.testing.assert_array_equal(np.concatenate([w[1] for w in windows]), streams[1:])


def test_window_at_matches_the_iterator():
    streams = batchify(np.arange(300), 3)
    for k, (inputs, targets) in enumerate(bptt_windows(streams, 16)):
        a, b = window_at(streams, 16 * k, 16)
        np.testing.assert_array_equal(a, inputs)
        np.testing.assert_array_equal(b, targets)
    with pytest.raises(ValueError, match=r"start must be an int in \[0, 99\)"):
        window_at(streams, 99, 16)


def test_window_errors():
    streams = batchify(np.arange(100), 4)  # (25, 4): at most 24 input steps
    assert len(list(bptt_windows(streams, 24))) == 1
    with pytest.raises(
        ValueError,
        match=r"seq_len=25 is longer than the data: each of the 4 streams has 25 tokens, so at most 24",
    ):
        list(bptt_windows(streams, 25))
    with pytest.raises(ValueError, match="seq_len must be >= 1, got 0"):
        list(bptt_windows(streams, 0))
    with pytest.raises(ValueError, match="streams must have 2 dimension"):
        list(bptt_windows(np.arange(10), 2))
