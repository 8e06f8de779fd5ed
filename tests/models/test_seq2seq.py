"""Encoder-decoder models in both backends: gradients, parity, padding, decoding, attention, bad input, training."""

import itertools

import numpy as np
import pytest
import torch

import rnnbook.numpy as rnp
import rnnbook.torch as rtorch
from conftest import CELLS
from rnnbook.data.synthetic import SEQ_VOCAB_SIZE, Seq2SeqData, reverse_digits
from rnnbook.numpy import (
    AdditiveAttention,
    masked_softmax,
    numerical_gradient,
    relative_error,
)
from rnnbook.numpy.activations import log_softmax
from rnnbook.numpy.optim import Adam
from rnnbook.training.seq2seq import decode_accuracy, evaluate_seq2seq, fit_seq2seq

# (cell, attention, bidirectional encoder, num_layers)
CONFIGS = [
    ("gru", False, False, 1),
    ("gru", True, False, 1),
    ("lstm", True, True, 1),
    ("rnn", True, True, 2),
    ("lstm", False, True, 2),
    ("gru", True, False, 2),
]
IDS = [
    f"{c}-{'att' if a else 'noatt'}-{'bi' if b else 'uni'}-L{L}"
    for c, a, b, L in CONFIGS
]
V_SRC, V_TGT = 5, 6


def _models(cell, attention, bidirectional, num_layers, hidden=3, seed=1, sharpen=1.0):
    """A NumPy model and a torch model holding the same weights (float64)."""
    kwargs = dict(
        cell=cell,
        attention=attention,
        num_layers=num_layers,
        bidirectional_encoder=bidirectional,
        embedding_size=2,
    )
    model = rnp.Seq2Seq(V_SRC, V_TGT, hidden, seed=seed, **kwargs)
    for v in model.params.values():
        v *= sharpen
    twin = rtorch.Seq2Seq(V_SRC, V_TGT, hidden, dtype=torch.float64, **kwargs)
    twin.load_state_dict(
        {k: torch.from_numpy(v.copy()) for k, v in model.params.items()}
    )
    return model, twin


def _batch(seed=0, N=3, S=4, T=3):
    """Random tokens; source lengths include S and 1; the target mask has a full row and a length-1 row."""
    rng = np.random.default_rng(seed)
    src = rng.integers(0, V_SRC, (N, S))
    lengths = np.concatenate([[S, 1], rng.integers(1, S + 1, N - 2)])
    tgt_in, tgt_out = rng.integers(0, V_TGT, (N, T)), rng.integers(0, V_TGT, (N, T))
    mask = (
        np.arange(T)[None, :]
        < np.concatenate([[T, 1], rng.integers(1, T + 1, N - 2)])[:, None]
    )
    return src, lengths, tgt_in, tgt_out, mask


# ----------------------------------------------------------------- gradients
@pytest.mark.parametrize("cell, attention, bidirectional, num_layers", CONFIGS, ids=IDS)
def test_numpy_backward_matches_finite_differences(
    cell, attention, bidirectional, num_layers
):
    model = rnp.Seq2Seq(
        V_SRC,
        V_TGT,
        2 if num_layers == 2 else 3,
        cell=cell,
        attention=attention,
        num_layers=num_layers,
        bidirectional_encoder=bidirectional,
        embedding_size=2,
        seed=1,
    )
    for name, value in model.params.items():
        if name.startswith("attention."):
            value *= 3.0  # attention weights that vary, so that its gradients are well above finite-difference noise
    batch = _batch()
    model.loss_and_grads(*batch)
    analytic = {k: v.copy() for k, v in model.grads.items()}
    assert set(analytic) == set(model.params)
    errors = {}
    for name, value in model.params.items():
        numeric = numerical_gradient(lambda: model.loss(*batch), value, eps=1e-5)
        assert np.abs(numeric).max() > 1e-6, f"{name}: no gradient to check"
        errors[name] = relative_error(analytic[name], numeric)
    worst = max(errors, key=errors.get)
    assert errors[worst] <= 1e-6, f"{worst}: relative error {errors[worst]:.2e}"


def test_gradient_check_catches_a_missing_path():
    """Drop the attention's gradient to the query s_{t-1}: the check must notice."""
    model = rnp.Seq2Seq(V_SRC, V_TGT, 3, attention=True, embedding_size=2, seed=1)
    for name, value in model.params.items():
        if name.startswith("attention."):
            value *= 3.0
    original = model.attention.step_backward

    def broken(d_context, cache):
        d_query, d_keys, d_values, grads = original(d_context, cache)
        return 0 * d_query, d_keys, d_values, grads

    model.attention.step_backward = broken
    batch = _batch()
    model.loss_and_grads(*batch)
    w = model.params["decoder.weight_hh_l0"]
    numeric = numerical_gradient(lambda: model.loss(*batch), w, eps=1e-5)
    assert relative_error(model.grads["decoder.weight_hh_l0"], numeric) > 1e-3


@pytest.mark.parametrize("cell, attention, bidirectional, num_layers", CONFIGS, ids=IDS)
def test_torch_matches_numpy(cell, attention, bidirectional, num_layers):
    model, twin = _models(cell, attention, bidirectional, num_layers)
    assert list(twin.state_dict()) == list(model.params)  # same names, same order
    batch = _batch(seed=3)
    value = model.loss_and_grads(*batch)
    loss = twin.loss(*batch)
    loss.backward()
    assert abs(loss.item() - value) <= 1e-10
    for name, p in twin.named_parameters():
        err = np.abs(p.grad.numpy() - model.grads[name]).max()
        assert err <= 1e-10, f"{name}: max abs error {err:.2e}"
    np.testing.assert_allclose(
        twin(*batch[:2], batch[2]).detach().numpy(),
        model(*batch[:2], batch[2]),
        rtol=0,
        atol=1e-12,
    )
    if attention:
        np.testing.assert_allclose(
            twin.attention_weights, model.attention_weights, rtol=0, atol=1e-12
        )
    for decode, kwargs in (("greedy", {}), ("beam_search", {"beam_width": 3})):
        a_seqs, a_scores = getattr(model, decode)(
            batch[0], batch[1], max_len=5, bos=0, eos=1, **kwargs
        )
        b_seqs, b_scores = getattr(twin, decode)(
            batch[0], batch[1], max_len=5, bos=0, eos=1, **kwargs
        )
        assert [s.tolist() for s in a_seqs] == [s.tolist() for s in b_seqs]
        np.testing.assert_allclose(a_scores, b_scores, rtol=0, atol=1e-10)


def test_weights_round_trip_from_torch_to_numpy():
    twin = rtorch.Seq2Seq(
        V_SRC,
        V_TGT,
        4,
        cell="lstm",
        attention=True,
        bidirectional_encoder=True,
        dtype=torch.float64,
    )
    model = rnp.Seq2Seq(
        V_SRC, V_TGT, 4, cell="lstm", attention=True, bidirectional_encoder=True
    )
    model.load_state_dict(twin.state_dict())
    batch = _batch(seed=4)
    assert twin.loss(*batch).item() == pytest.approx(model.loss(*batch), abs=1e-12)
    with pytest.raises(ValueError, match=r"missing \['out.bias'\]"):
        model.load_state_dict(
            {k: v for k, v in twin.state_dict().items() if k != "out.bias"}
        )


# ----------------------------------------------------------------- padding
@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize(
    "cell, attention, bidirectional, num_layers", CONFIGS[1:4], ids=IDS[1:4]
)
def test_padded_batch_equals_sources_one_by_one(
    backend, cell, attention, bidirectional, num_layers
):
    """Encoder outputs, summaries and greedy / beam decodes of a padded batch (garbage in the padding) match
    those of each source alone, unpadded."""
    model, twin = _models(
        cell, attention, bidirectional, num_layers, hidden=4, sharpen=2.0
    )
    m = model if backend == "numpy" else twin
    as_np = (lambda v: v) if backend == "numpy" else (lambda v: v.detach().numpy())  # noqa: E731
    parts = lambda s: s if isinstance(s, tuple) else (s,)  # noqa: E731
    rng = np.random.default_rng(5)
    S, lengths = 6, np.array([6, 1, 3, 4])
    src = rng.integers(
        0, V_SRC, (4, S)
    )  # the padding holds random tokens: it must not matter
    values, summary = m.encode(src, lengths)
    greedy_seqs, greedy_scores = m.greedy(src, lengths, max_len=6, bos=0, eos=1)
    greedy_att = m.attention_weights
    beam_seqs, beam_scores = m.beam_search(
        src, lengths, beam_width=3, max_len=6, bos=0, eos=1
    )
    for n, length in enumerate(lengths):
        alone = src[n : n + 1, :length]
        v1, s1 = m.encode(alone, None)
        np.testing.assert_allclose(
            as_np(v1)[0], as_np(values)[n, :length], rtol=0, atol=1e-12
        )
        assert np.all(as_np(values)[n, length:] == 0)
        for a, b in zip(parts(s1), parts(summary)):
            np.testing.assert_allclose(
                as_np(a)[:, 0], as_np(b)[:, n], rtol=0, atol=1e-12
            )
        seqs, scores = m.greedy(alone, None, max_len=6, bos=0, eos=1)
        assert seqs[0].tolist() == greedy_seqs[n].tolist()
        assert scores[0] == pytest.approx(greedy_scores[n], abs=1e-12)
        if attention:
            np.testing.assert_allclose(
                m.attention_weights[0], greedy_att[n][:, :length], rtol=0, atol=1e-12
            )
        seqs, scores = m.beam_search(alone, None, beam_width=3, max_len=6, bos=0, eos=1)
        assert seqs[0].tolist() == beam_seqs[n].tolist()
        assert scores[0] == pytest.approx(beam_scores[n], abs=1e-12)


def test_target_padding_changes_neither_loss_nor_gradients():
    model, _ = _models("lstm", True, True, 1)
    src, lengths, tgt_in, tgt_out, mask = _batch(seed=6)
    value = model.loss_and_grads(src, lengths, tgt_in, tgt_out, mask)
    grads = {k: v.copy() for k, v in model.grads.items()}
    rng = np.random.default_rng(0)
    garbage_in = np.where(mask, tgt_in, rng.integers(0, V_TGT, tgt_in.shape))
    garbage_out = np.where(mask, tgt_out, rng.integers(0, V_TGT, tgt_out.shape))
    assert model.loss_and_grads(src, lengths, garbage_in, garbage_out, mask) == value
    for k, g in grads.items():
        np.testing.assert_array_equal(model.grads[k], g)


# ----------------------------------------------------------------- decoding
@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize("cell, attention, bidirectional, num_layers", CONFIGS, ids=IDS)
def test_beam_of_width_one_is_greedy(
    backend, cell, attention, bidirectional, num_layers
):
    model, twin = _models(cell, attention, bidirectional, num_layers, sharpen=2.0)
    m = model if backend == "numpy" else twin
    src, lengths, *_ = _batch(seed=7, N=4)
    g_seqs, g_scores = m.greedy(src, lengths, max_len=6, bos=0, eos=1)
    g_att = m.attention_weights
    b_seqs, b_scores = m.beam_search(
        src, lengths, beam_width=1, max_len=6, bos=0, eos=1
    )
    assert [s.tolist() for s in g_seqs] == [s.tolist() for s in b_seqs]
    np.testing.assert_allclose(g_scores, b_scores, rtol=0, atol=1e-12)
    if attention:
        for a, b in zip(g_att, m.attention_weights):
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-14)


def _all_sequences(vocab, max_len, eos):
    """Every output the decoders can return: ends in EOS (first EOS) or has max_len tokens without EOS."""
    words = [t for t in range(vocab) if t != eos]
    for length in range(1, max_len + 1):
        for prefix in itertools.product(words, repeat=length - 1):
            yield (*prefix, eos)
            if length == max_len:
                for last in words:
                    yield (*prefix, last)


def _log_prob(model, src, length, seq, bos):
    """log p(seq | src) by teacher forcing: an independent route from the decoders' step-by-step scores."""
    logits = model.forward(src[None, :length], None, np.array([[bos, *seq[:-1]]]))
    return float(
        np.sum(
            np.take_along_axis(
                log_softmax(logits[0], axis=1), np.array(seq)[:, None], axis=1
            )
        )
    )


@pytest.mark.parametrize("cell, attention", [("gru", True), ("lstm", False)])
def test_exhaustive_beam_finds_the_most_probable_sequence(cell, attention):
    """V_tgt = 4, max_len = 3: score all 40 possible outputs by brute force; beam search of width V^(max_len-1) finds the best."""
    vocab, max_len, bos, eos = 4, 3, 0, 1
    model = rnp.Seq2Seq(V_SRC, vocab, 4, cell=cell, attention=attention, seed=1)
    for v in model.params.values():
        v *= 1.5  # weights for which greedy decoding is not optimal (checked below)
    src = np.random.default_rng(8).integers(0, V_SRC, (6, 5))
    lengths = np.array([5, 1, 2, 3, 4, 5])
    candidates = list(_all_sequences(vocab, max_len, eos))
    assert len(candidates) == len(set(candidates)) == 1 + 3 + 9 + 27
    exhaustive, exhaustive_scores = model.beam_search(
        src,
        lengths,
        beam_width=vocab ** (max_len - 1),
        max_len=max_len,
        bos=bos,
        eos=eos,
    )
    greedy, greedy_scores = model.greedy(
        src, lengths, max_len=max_len, bos=bos, eos=eos
    )
    narrow, narrow_scores = model.beam_search(
        src, lengths, beam_width=2, max_len=max_len, bos=bos, eos=eos
    )
    greedy_was_beaten = False
    for n, length in enumerate(lengths):
        scores = {seq: _log_prob(model, src[n], length, seq, bos) for seq in candidates}
        assert sum(np.exp(list(scores.values()))) == pytest.approx(
            1.0, abs=1e-12
        )  # they cover every outcome
        best = max(scores, key=scores.get)
        assert tuple(exhaustive[n].tolist()) == best
        assert exhaustive_scores[n] == pytest.approx(scores[best], abs=1e-12)
        for seqs, found in (
            (greedy, greedy_scores),
            (narrow, narrow_scores),
        ):  # every score is the sequence's log-probability
            assert found[n] == pytest.approx(scores[tuple(seqs[n].tolist())], abs=1e-12)
            assert found[n] <= scores[best] + 1e-12
        greedy_was_beaten |= greedy_scores[n] < scores[best] - 1e-9
    assert (
        greedy_was_beaten
    )  # otherwise this test could not tell beam search from greedy decoding


def test_decoding_stops_at_eos_and_at_max_len():
    model, _ = _models("gru", True, False, 1, sharpen=2.0)
    src, lengths, *_ = _batch(seed=9, N=4)
    seqs, scores = model.greedy(src, lengths, max_len=4, bos=0, eos=1)
    for seq in seqs:
        assert 1 <= len(seq) <= 4
        assert (seq[-1] == 1 and 1 not in seq[:-1].tolist()) or (
            len(seq) == 4 and 1 not in seq.tolist()
        )
    assert np.all(scores <= 0)
    for n, att in enumerate(model.attention_weights):
        assert att.shape == (len(seqs[n]), src.shape[1])


# ----------------------------------------------------------------- attention weights
@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_attention_weights_sum_to_one_over_real_positions_and_are_zero_on_padding(
    backend,
):
    model, twin = _models("gru", True, True, 1, hidden=4, sharpen=3.0)
    m = model if backend == "numpy" else twin
    rng = np.random.default_rng(10)
    src, lengths = rng.integers(0, V_SRC, (4, 7)), np.array([7, 1, 3, 5])
    real = np.arange(7)[None, :] < lengths[:, None]
    m(src, lengths, rng.integers(0, V_TGT, (4, 5)))
    weights = m.attention_weights
    assert weights.shape == (4, 5, 7)
    np.testing.assert_allclose(weights.sum(axis=2), 1.0, rtol=0, atol=1e-12)
    assert np.all(weights[np.broadcast_to(~real[:, None, :], weights.shape)] == 0.0)
    assert np.all(weights[np.broadcast_to(real[:, None, :], weights.shape)] > 0.0)
    np.testing.assert_array_equal(
        weights[1, :, 0], 1.0
    )  # a one-token source: all weight on it
    for decode in ("greedy", "beam_search"):
        getattr(m, decode)(src, lengths, max_len=5)
        for n, w in enumerate(m.attention_weights):
            np.testing.assert_allclose(w.sum(axis=1), 1.0, rtol=0, atol=1e-12)
            assert np.all(w[:, lengths[n] :] == 0.0)


def test_masked_softmax_is_stable_and_exact_on_padding():
    scores = np.array(
        [[1e4, 1e4 - 1.0, -1e4, 5.0], [0.0, 0.0, 0.0, 0.0], [-1e4, 3.0, np.inf, np.nan]]
    )
    mask = np.array(
        [
            [True, True, True, False],
            [True, True, False, False],
            [True, True, False, False],
        ]
    )
    p = masked_softmax(scores, mask)
    assert np.all(np.isfinite(p))
    np.testing.assert_array_equal(p[~mask], 0.0)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=0, atol=1e-15)
    np.testing.assert_allclose(
        p[0, :2], [1 / (1 + np.exp(-1)), np.exp(-1) / (1 + np.exp(-1))], rtol=1e-14
    )
    np.testing.assert_allclose(p[1, :2], 0.5)
    with pytest.raises(ValueError, match="at least one real"):
        masked_softmax(
            np.zeros((2, 3)), np.array([[True, False, False], [False, False, False]])
        )


def test_attention_backward_matches_finite_differences_directly():
    rng = np.random.default_rng(0)
    att = AdditiveAttention(3, 4, 5, seed=0)
    for v in att.params.values():
        v *= 3.0
    query, values = rng.standard_normal((2, 3)), rng.standard_normal((2, 6, 4))
    mask = np.arange(6)[None, :] < np.array([[6], [2]])
    r = rng.standard_normal((2, 4))

    def loss():
        context, _, _ = att.step(query, att.project_keys(values), values, mask)
        return float(np.sum(r * context))

    _, _, cache = att.step(query, att.project_keys(values), values, mask)
    d_query, d_keys, d_values, grads = att.step_backward(r, cache)
    d_from_keys, key_grads = att.keys_backward(d_keys, values)
    grads.update(key_grads)
    assert relative_error(d_query, numerical_gradient(loss, query)) < 1e-8
    assert (
        relative_error(d_values + d_from_keys, numerical_gradient(loss, values)) < 1e-8
    )
    assert np.all(
        (d_values + d_from_keys)[1, 2:] == 0
    )  # padded annotations get no gradient
    for name, value in att.params.items():
        assert relative_error(grads[name], numerical_gradient(loss, value)) < 1e-8, name


# ----------------------------------------------------------------- bad input
def _bad_cases():
    src, lengths = np.zeros((2, 4), dtype=np.int64), np.array([4, 2])
    return [
        (
            "lengths longer than the source",
            dict(src=src, src_lengths=[5, 2]),
            ValueError,
            r"src_lengths must lie in \[1, T\] = \[1, 4\].*\[2, 5\]",
        ),
        (
            "zero length",
            dict(src=src, src_lengths=[0, 2]),
            ValueError,
            r"src_lengths must lie in \[1, T\] = \[1, 4\].*\[0, 2\]",
        ),
        (
            "lengths shape",
            dict(src=src, src_lengths=[4]),
            ValueError,
            r"src_lengths must have shape \(N,\) = \(2\).*got shape \(1\)",
        ),
        (
            "empty source",
            dict(src=np.zeros((2, 0), dtype=np.int64), src_lengths=None),
            ValueError,
            r"src must have shape \(N, S\) with N, S >= 1.*\(2, 0\)",
        ),
        (
            "no sources",
            dict(src=np.zeros((0, 3), dtype=np.int64), src_lengths=None),
            ValueError,
            r"src must have shape \(N, S\).*\(0, 3\)",
        ),
        (
            "1-d source",
            dict(src=np.zeros(3, dtype=np.int64), src_lengths=None),
            ValueError,
            r"src must have shape \(N, S\).*\(3\)",
        ),
        (
            "token too large",
            dict(src=np.full((2, 4), V_SRC), src_lengths=lengths),
            ValueError,
            rf"src must lie in \[0, {V_SRC}\).*\[{V_SRC}, {V_SRC}\]",
        ),
        (
            "negative token",
            dict(src=np.full((2, 4), -1), src_lengths=lengths),
            ValueError,
            r"src must lie in \[0, 5\).*\[-1, -1\]",
        ),
        (
            "float tokens",
            dict(src=np.zeros((2, 4)), src_lengths=lengths),
            TypeError,
            r"src must be an integer array.*float64",
        ),
        (
            "beam width 0",
            dict(src=src, src_lengths=lengths, beam_width=0),
            ValueError,
            r"beam_width must be >= 1, got 0",
        ),
        (
            "beam width -2",
            dict(src=src, src_lengths=lengths, beam_width=-2),
            ValueError,
            r"beam_width must be >= 1, got -2",
        ),
        (
            "beam width float",
            dict(src=src, src_lengths=lengths, beam_width=2.0),
            TypeError,
            r"beam_width must be an int, got float",
        ),
        (
            "max_len 0",
            dict(src=src, src_lengths=lengths, max_len=0),
            ValueError,
            r"max_len must be >= 1, got 0",
        ),
        (
            "eos outside vocabulary",
            dict(src=src, src_lengths=lengths, eos=V_TGT),
            ValueError,
            rf"eos must be a token in \[0, {V_TGT}\).*got {V_TGT}",
        ),
    ]


@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize(
    "what, kwargs, error, pattern", _bad_cases(), ids=[c[0] for c in _bad_cases()]
)
def test_bad_decoding_input_raises_clear_errors(backend, what, kwargs, error, pattern):
    model, twin = _models("gru", True, False, 1)
    m = model if backend == "numpy" else twin
    with pytest.raises(error, match=pattern):
        m.beam_search(**{"max_len": 3, **kwargs})
    if "beam_width" not in kwargs:
        with pytest.raises(error, match=pattern):
            m.greedy(**{"max_len": 3, **kwargs})


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_bad_training_input_raises_clear_errors(backend):
    model, twin = _models("lstm", True, False, 1)
    loss = model.loss if backend == "numpy" else twin.loss
    src, lengths, tgt_in, tgt_out, mask = _batch()
    with pytest.raises(
        ValueError,
        match=r"src_lengths must lie in \[1, T\] = \[1, 4\].*got values in \[1, 9\]",
    ):
        loss(src, [9, 1, 2], tgt_in, tgt_out, mask)
    with pytest.raises(ValueError, match=rf"tgt_out must lie in \[0, {V_TGT}\)"):
        loss(src, lengths, tgt_in, tgt_out + V_TGT, mask)
    with pytest.raises(ValueError, match=rf"tgt_in must lie in \[0, {V_TGT}\)"):
        loss(src, lengths, tgt_in - V_TGT, tgt_out, mask)
    with pytest.raises(
        ValueError,
        match=r"tgt_out must have tgt_in's shape \(3, 3\), got shape \(3, 2\)",
    ):
        loss(src, lengths, tgt_in, tgt_out[:, :2], mask)
    with pytest.raises(
        ValueError,
        match=r"tgt_in must have shape \(N, T\) with N = 3.*got shape \(2, 3\)",
    ):
        loss(src, lengths, tgt_in[:2], tgt_out[:2], mask[:2])
    with pytest.raises(
        ValueError,
        match=r"tgt_mask must have tgt_in's shape \(3, 3\), got shape \(3, 4\)",
    ):
        loss(src, lengths, tgt_in, tgt_out, np.ones((3, 4), dtype=bool))


@pytest.mark.parametrize("cell", [*CELLS, "minGRU"])
def test_constructor_checks(cell):
    if cell == "minGRU":
        with pytest.raises(
            ValueError,
            match=r"cell must be one of \['gru', 'lstm', 'mingru', 'minlstm', 'rnn'\], got 'minGRU'",
        ):
            rnp.Seq2Seq(5, 6, 3, cell=cell)
        return
    model = rnp.Seq2Seq(
        5,
        6,
        3,
        cell=cell,
        attention=True,
        bidirectional_encoder=True,
        num_layers=2,
        seed=0,
    )
    twin = rtorch.Seq2Seq(
        5, 6, 3, cell=cell, attention=True, bidirectional_encoder=True, num_layers=2
    )
    assert {k: v.shape for k, v in model.params.items()} == {
        k: tuple(v.shape) for k, v in twin.state_dict().items()
    }
    assert model.num_parameters() == twin.num_parameters()
    assert ("bridge_c.weight" in model.params) == (cell == "lstm")


# ----------------------------------------------------------------- training
def test_numpy_model_trains_with_its_own_gradients():
    data = reverse_digits(64, 1, 3, seed=0)
    model = rnp.Seq2Seq(SEQ_VOCAB_SIZE, SEQ_VOCAB_SIZE, 8, attention=True, seed=0)
    opt = Adam(model.params, lr=0.02)
    first = model.loss(*data)
    for _ in range(15):
        model.loss_and_grads(*data)
        opt.step(model.grads)
    assert model.loss(*data) < 0.8 * first


def test_fit_seq2seq_lowers_the_loss_and_is_seeded():
    train, held_out = (
        reverse_digits(128, 1, 3, seed=0),
        reverse_digits(32, 1, 3, seed=1),
    )

    def run(steps, **kwargs):
        torch.manual_seed(0)
        model = rtorch.Seq2Seq(SEQ_VOCAB_SIZE, SEQ_VOCAB_SIZE, 8, dtype=torch.float64)
        return model, fit_seq2seq(
            model, train, steps=steps, batch_size=16, lr=0.02, clip=1.0, **kwargs
        )

    model, history = run(25, eval_data=held_out, eval_every=10)
    assert history.steps == list(range(1, 26)) and history.eval_steps == [10, 20, 25]
    assert np.mean(history.train_loss[-5:]) < 0.8 * np.mean(history.train_loss[:5])
    assert history.eval_loss[-1] < history.eval_loss[0]
    loss, accuracy = evaluate_seq2seq(model, held_out)
    assert (
        loss == pytest.approx(history.eval_loss[-1])
        and accuracy == history.eval_accuracy[-1]
    )
    assert model.loss(*held_out).item() == pytest.approx(
        loss, rel=1e-12
    )  # one batch: the same token mean
    assert (
        run(5)[1].train_loss == history.train_loss[:5]
    )  # seeded: the same batches, the same losses
    with pytest.raises(
        ValueError,
        match=r"batch_size must be at most the number of samples \(128\), got 200",
    ):
        fit_seq2seq(model, train, steps=1, batch_size=200)
    with pytest.raises(TypeError, match="data must be a Seq2SeqData"):
        fit_seq2seq(model, (train.src, train.tgt_out), steps=1, batch_size=2)


def test_decode_accuracy_scores_decoded_sequences():
    data = reverse_digits(10, 1, 4, seed=2)

    class Oracle:  # decodes every source perfectly except the first, which it leaves empty-handed
        def greedy(self, src, src_lengths, max_len, bos, eos):
            targets = Seq2SeqData(*(np.asarray(a) for a in data)).targets()
            return [np.array([], dtype=np.int64)] + targets[1:], np.zeros(len(targets))

    exact, token = decode_accuracy(Oracle(), data)
    assert exact == 0.9
    assert token == pytest.approx(
        1 - len(data.targets()[0]) / sum(len(t) for t in data.targets())
    )
