"""Character-model runs in worker processes (rnnbook.training.lm.CharRun / train_charmodel / train_charmodels),
bits per character, and the hidden states read for interpretable units (rnnbook.analysis.language.hidden_states)."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import rnnbook.numpy as rnp  # noqa: E402
import rnnbook.torch as rt  # noqa: E402
from rnnbook.analysis.language import hidden_states  # noqa: E402
from rnnbook.data.text import Vocabulary  # noqa: E402
from rnnbook.training.lm import (  # noqa: E402
    CharRun,
    build_charmodel,
    train,
    train_charmodel,
    train_charmodels,
)
from rnnbook.training.metrics import bits_per_char, perplexity  # noqa: E402

TEXT = "the cat sat on the mat; a cat and a rat. " * 12


@pytest.fixture(autouse=True)
def float64():
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


def _data():
    vocab = Vocabulary(TEXT)
    ids = vocab.encode(TEXT)
    return vocab, ids[:400], ids[400:]


def _run(**kwargs):
    vocab, tr, va = _data()
    settings = dict(
        hidden_size=5,
        cell="gru",
        num_layers=2,
        steps=4,
        seq_len=6,
        batch_size=3,
        eval_every=2,
        lr=1e-2,
    )
    settings.update(kwargs)
    return CharRun(tr, va, len(vocab), **settings)


def test_bits_per_char_is_perplexity_on_a_log2_scale():
    assert bits_per_char(math.log(101)) == pytest.approx(math.log2(101), rel=1e-14)
    for loss in (0.0, 0.7, 1.9, 4.6):
        assert 2.0 ** bits_per_char(loss) == pytest.approx(perplexity(loss), rel=1e-12)
    assert bits_per_char(math.log(2)) == pytest.approx(
        1.0, rel=1e-15
    )  # a fair coin per character: one bit
    with pytest.raises(ValueError, match="cross-entropy"):
        bits_per_char(-0.1)


@pytest.mark.parametrize(
    "optimizer,opt_cls,extra",
    [
        ("adam", torch.optim.Adam, {}),
        ("sgd", torch.optim.SGD, {"momentum": 0.9}),
        ("adagrad", torch.optim.Adagrad, {}),
    ],
)
def test_train_charmodel_is_the_seeded_train_call(optimizer, opt_cls, extra):
    run = _run(optimizer=optimizer, seed=3, **extra)
    result = train_charmodel(run)
    # The same run written out by hand: seed, model, optimiser, train().
    torch.manual_seed(3)
    model = rt.CharModel(run.vocab_size, 5, cell="gru", num_layers=2, impl="torch.nn")
    opt = opt_cls(model.parameters(), lr=1e-2, **extra)
    history = train(
        model,
        run.train_ids,
        run.val_ids,
        seq_len=6,
        batch_size=3,
        steps=4,
        optimizer=opt,
        eval_every=2,
        progress=False,
    )
    assert result.history.train_loss == history.train_loss
    assert (
        result.history.eval_steps == [2, 4]
        and result.history.eval_loss == history.eval_loss
    )
    for name, p in model.state_dict().items():
        assert torch.equal(result.state_dict[name], p), name
        assert result.state_dict[name].dtype == torch.float64
    assert result.seconds > 0


def test_train_charmodels_same_in_one_or_two_processes():
    runs = {
        (cell, seed): _run(cell=cell, seed=seed, num_layers=1)
        for cell in ("rnn", "lstm")
        for seed in (0, 1)
    }
    one = train_charmodels(runs, processes=1)
    two = train_charmodels(runs, processes=2)
    assert list(one) == list(runs) == list(two)
    for key in runs:
        (m1, r1), (m2, r2) = one[key], two[key]
        assert r1.history.eval_loss == r2.history.eval_loss
        for (name, p), q in zip(m1.named_parameters(), m2.parameters()):
            assert torch.equal(p, q), name
        assert m1.cell == key[0] and m1.impl == "torch.nn"
    # Seeds give different starts, hence different runs.
    assert one[("rnn", 0)][1].history.eval_loss != one[("rnn", 1)][1].history.eval_loss


def test_init_state_continues_from_given_weights():
    first = train_charmodel(_run(seed=0))
    model = build_charmodel(_run(seed=5, init_state=first.state_dict))
    for name, p in model.state_dict().items():
        assert torch.equal(p, first.state_dict[name]), name
    fresh = build_charmodel(_run(seed=0))
    assert not torch.equal(fresh.decoder.weight, model.decoder.weight)


def test_unknown_optimizer():
    with pytest.raises(ValueError, match="optimizer must be one of"):
        train_charmodel(_run(optimizer="rmsprop"))


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_hidden_states_torch_are_the_top_layer_read_by_the_decoder(cell):
    vocab, _, _ = _data()
    torch.manual_seed(0)
    model = rt.CharModel(len(vocab), 6, cell=cell, num_layers=2)
    text = TEXT[:50]
    states = hidden_states(model, vocab, text, chunk=7)
    assert states.shape == (50, 6) and states.dtype == np.float64
    # Chunks carry the state: the same states as one pass (up to the order of floating-point sums).
    np.testing.assert_allclose(
        states, hidden_states(model, vocab, text, chunk=50), rtol=0, atol=1e-14
    )
    ids = torch.as_tensor(vocab.encode(text)[:, None])
    with torch.no_grad():
        logits, _ = model(ids)
        # The decoder applied to each row gives the model's logits: the rows are the top layer's h_t.
        torch.testing.assert_close(
            model.decoder(torch.as_tensor(states)), logits[:, 0], rtol=0, atol=1e-12
        )
    if cell != "lstm":  # a state of a tanh or GRU unit lies in (-1, 1)
        assert np.all(np.abs(states) < 1)


def test_hidden_states_numpy():
    vocab, _, _ = _data()
    model = rnp.CharModel(len(vocab), 4, cell="rnn", dtype=np.float64, seed=1)
    text = TEXT[:30]
    states = hidden_states(model, vocab, text, chunk=4)
    logits, _ = model.forward(vocab.encode(text)[:, None])
    np.testing.assert_allclose(
        model.decoder.forward(states[:, None]), logits, rtol=0, atol=1e-12
    )
    with pytest.raises(ValueError, match="non-empty"):
        hidden_states(model, vocab, "")


def test_submit_charmodels_gives_what_train_charmodels_gives():
    from rnnbook.training.lm import submit_charmodels

    runs = {seed: _run(cell="gru", seed=seed, num_layers=1) for seed in (0, 1, 2)}
    pending = submit_charmodels(runs, processes=2)
    direct = train_charmodels(runs, processes=1)
    done = pending.result()
    assert list(done) == list(runs)
    for key in runs:
        assert done[key][1].history.eval_loss == direct[key][1].history.eval_loss
        for (name, p), q in zip(
            done[key][0].named_parameters(), direct[key][0].parameters()
        ):
            assert torch.equal(p, q), name
    assert submit_charmodels({}, processes=2).result() == {}
