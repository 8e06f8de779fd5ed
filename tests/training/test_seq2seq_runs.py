"""rnnbook.training.seq2seq: scores per source length, and encoder-decoders trained over seeds in workers."""

import functools

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import rnnbook.torch as rtorch  # noqa: E402
from rnnbook.data.synthetic import SEQ_EOS, SEQ_VOCAB_SIZE, reverse_digits  # noqa: E402
from rnnbook.training.seq2seq import (  # noqa: E402
    LengthScores,
    Seq2SeqRun,
    decode_accuracy,
    decode_by_length,
    fit_seq2seq,
    fit_seq2seq_many,
    fit_seq2seq_seeds,
)


class ShortOnly:
    """Decodes a source of length <= 3 perfectly; a longer one as its target with the first digit
    wrong, and a source of length 5 also one token too long (an extra digit before EOS)."""

    def greedy(self, src, src_lengths, max_len, bos, eos):
        seqs = []
        for row, length in zip(np.asarray(src), np.asarray(src_lengths)):
            target = list(row[:length][::-1]) + [eos]
            if length > 3:
                target[0] = (
                    3 if target[0] != 3 else 4
                )  # a digit token that is not the right one
            if length == 5:
                target = target[:-1] + [5, eos]
            seqs.append(np.array(target, dtype=np.int64))
        return seqs, np.zeros(len(seqs))


def test_decode_by_length_scores_each_length_by_hand():
    data = reverse_digits(300, 1, 6, seed=3)
    scores = decode_by_length(ShortOnly(), data)
    assert isinstance(scores, LengthScores)
    assert scores.lengths.tolist() == [1, 2, 3, 4, 5, 6]
    assert scores.counts.sum() == 300
    assert scores.counts.tolist() == [
        int(np.sum(data.src_lengths == L)) for L in range(1, 7)
    ]
    # exact: perfect up to 3, never beyond
    assert scores.exact.tolist() == [1.0, 1.0, 1.0, 0.0, 0.0, 0.0]
    # token: a length-L target has L + 1 tokens (EOS included); one is wrong from L = 4 on; at L = 5
    # the extra digit shifts EOS, so EOS is wrong too
    expected_token = [1.0, 1.0, 1.0, 4 / 5, 4 / 6, 6 / 7]
    assert scores.token == pytest.approx(expected_token, abs=1e-12)
    assert scores.right_length.tolist() == [1.0, 1.0, 1.0, 1.0, 0.0, 1.0]
    # overall scores weigh the pairs (exact, right length) or the tokens (token accuracy)
    n = scores.counts
    assert scores.overall_exact == pytest.approx(n[:3].sum() / n.sum())
    assert scores.overall_right_length == pytest.approx((n.sum() - n[4]) / n.sum())
    tokens = n * (scores.lengths + 1)
    assert scores.overall_token == pytest.approx(
        float(np.sum(tokens * scores.token) / tokens.sum())
    )
    assert (scores.overall_exact, scores.overall_token) == pytest.approx(
        decode_accuracy(ShortOnly(), data)
    )
    assert scores.at(5) == (0.0, pytest.approx(4 / 6), 0.0)
    with pytest.raises(KeyError, match="no source of length 9"):
        scores.at(9)


def test_decode_by_length_agrees_with_decode_accuracy_on_a_real_model():
    data = reverse_digits(40, 2, 5, seed=4)
    torch.manual_seed(0)
    model = rtorch.Seq2Seq(
        SEQ_VOCAB_SIZE, SEQ_VOCAB_SIZE, 6, attention=True, dtype=torch.float64
    )
    for width in (1, 2):
        scores = decode_by_length(model, data, beam_width=width)
        for i, length in enumerate(scores.lengths):
            subset = data.take(data.src_lengths == length)
            exact, token = decode_accuracy(model, subset, beam_width=width)
            assert (scores.exact[i], scores.token[i]) == (exact, token)
        seqs, _ = (
            model.greedy(data.src, data.src_lengths, max_len=data.tgt_out.shape[1])
            if width == 1
            else model.beam_search(
                data.src, data.src_lengths, beam_width=2, max_len=data.tgt_out.shape[1]
            )
        )
        right = np.mean(
            [
                len(s) == L + 1 and s[-1] == SEQ_EOS
                for s, L in zip(seqs, data.src_lengths)
            ]
        )
        assert scores.overall_right_length == pytest.approx(right)


def _build():
    return functools.partial(
        rtorch.Seq2Seq,
        SEQ_VOCAB_SIZE,
        SEQ_VOCAB_SIZE,
        5,
        attention=True,
        dtype=torch.float64,
    )


def test_fit_seq2seq_seeds_same_in_one_or_two_processes_and_as_one_fit():
    train, held_out = reverse_digits(64, 1, 4, seed=0), reverse_digits(16, 1, 4, seed=1)
    kwargs = dict(steps=4, batch_size=8, lr=0.02, eval_data=held_out)
    one = fit_seq2seq_seeds(_build(), train, seeds=(0, 1, 2), processes=1, **kwargs)
    two = fit_seq2seq_seeds(_build(), train, seeds=(0, 1, 2), processes=2, **kwargs)
    assert [h.train_loss for h in one.histories] == [
        h.train_loss for h in two.histories
    ]
    for a, b in zip(one.models, two.models):
        for (name, p), q in zip(a.named_parameters(), b.parameters()):
            assert torch.equal(p, q), name
    # Each run is exactly: seed the weights, build, fit_seq2seq with the same seed (clip 1 by default).
    torch.manual_seed(1)
    alone = _build()()
    history = fit_seq2seq(alone, train, seed=1, **kwargs)
    assert history.train_loss == one.histories[1].train_loss
    for (name, p), q in zip(alone.named_parameters(), one.models[1].parameters()):
        assert torch.equal(p, q), name
    finals = [h.eval_loss[-1] for h in one.histories]
    assert len(set(finals)) == 3  # different seeds, different runs
    assert one.final("eval_loss").median == sorted(finals)[1]
    with pytest.raises(ValueError, match="seeds must name"):
        fit_seq2seq_seeds(_build(), train, seeds=(), **kwargs)


def test_fit_seq2seq_many_keeps_keys_and_order():
    train = reverse_digits(32, 1, 3, seed=0)
    runs = {
        ("plain", 3): Seq2SeqRun(
            functools.partial(
                rtorch.Seq2Seq, SEQ_VOCAB_SIZE, SEQ_VOCAB_SIZE, 4, dtype=torch.float64
            ),
            train,
            3,
            {"steps": 2, "batch_size": 4},
        ),
        ("attention", 0): Seq2SeqRun(_build(), train, 0, {"steps": 3, "batch_size": 4}),
    }
    done = fit_seq2seq_many(runs, processes=2)
    assert list(done) == [("plain", 3), ("attention", 0)]
    assert done[("plain", 3)][1].steps == [1, 2] and done[("attention", 0)][
        1
    ].steps == [1, 2, 3]
    assert (
        not done[("plain", 3)][0].attention_enabled
        and done[("attention", 0)][0].attention_enabled
    )
    with pytest.raises(TypeError, match="__main__|picklable"):
        fit_seq2seq_many(
            {0: Seq2SeqRun(lambda: _build()(), train, 0, {"steps": 1, "batch_size": 4})}
            | {1: Seq2SeqRun(_build(), train, 1, {"steps": 1, "batch_size": 4})},
            processes=2,
        )
