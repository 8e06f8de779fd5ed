"""Character language models: NumPy against Torch, gradient check, perplexity and sampling."""

import math

import numpy as np
import pytest
import torch

import rnnbook.numpy as rnp
import rnnbook.torch as rtorch
from conftest import CELLS
from rnnbook.analysis.language import sample
from rnnbook.data.text import Vocabulary
from rnnbook.numpy import numerical_gradient, relative_error
from rnnbook.training.metrics import perplexity

# The cells both backends provide (LSTM and GRU join as soon as the modules export them).


def _pair(cell, vocab_size=7, hidden=5, layers=1, seed=0):
    """A float64 torch model and a NumPy model loaded with its weights."""
    torch.manual_seed(seed)
    tm = rtorch.CharModel(
        vocab_size, hidden, cell=cell, num_layers=layers, dtype=torch.float64
    )
    nm = rnp.CharModel(vocab_size, hidden, cell=cell, num_layers=layers)
    nm.load_state_dict(tm.state_dict())
    return tm, nm


def _window(seed, T=6, N=3, V=7):
    rng = np.random.default_rng(seed)
    return rng.integers(0, V, size=(T, N)), rng.integers(0, V, size=(T, N))


def _random_state(model, N, seed):
    rng = np.random.default_rng(seed)
    state = model.init_state(N)
    return (
        tuple(rng.standard_normal(s.shape) * 0.5 for s in state)
        if isinstance(state, tuple)
        else rng.standard_normal(state.shape) * 0.5
    )


def _as_tuple(s):
    return s if isinstance(s, tuple) else (s,)


@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("cell", CELLS)
def test_numpy_model_matches_torch_model(cell, layers):
    tm, nm = _pair(cell, layers=layers, seed=layers)
    inputs, targets = _window(1)
    state = _random_state(nm, 3, 2)

    t_state = (
        tuple(torch.tensor(s) for s in state)
        if isinstance(state, tuple)
        else torch.tensor(state)
    )
    logits, t_final = tm(torch.from_numpy(inputs), t_state)
    loss = torch.nn.functional.cross_entropy(
        logits.reshape(-1, 7), torch.from_numpy(targets).reshape(-1)
    )
    loss.backward()

    n_logits, _ = nm.forward(inputs, state)
    np.testing.assert_allclose(n_logits, logits.detach().numpy(), rtol=0, atol=1e-10)
    n_loss, n_final = nm.loss_and_grads(inputs, targets, state)
    assert abs(n_loss - loss.item()) <= 1e-10
    for a, b in zip(_as_tuple(n_final), _as_tuple(t_final), strict=True):
        np.testing.assert_allclose(a, b.detach().numpy(), rtol=0, atol=1e-10)
    assert sorted(nm.grads) == sorted(name for name, _ in tm.named_parameters())
    for name, p in tm.named_parameters():
        np.testing.assert_allclose(
            nm.grads[name], p.grad.numpy(), rtol=0, atol=1e-10, err_msg=name
        )


@pytest.mark.parametrize("cell", CELLS)
def test_numpy_model_gradients_match_finite_differences(cell):
    model = rnp.CharModel(5, 4, cell=cell, num_layers=2, seed=0)
    inputs, targets = _window(3, T=4, N=2, V=5)
    state = _random_state(model, 2, 4)
    model.loss_and_grads(inputs, targets, state)
    analytic = {k: v.copy() for k, v in model.grads.items()}
    for name, value in model.params.items():
        numeric = numerical_gradient(
            lambda: model.loss(inputs, targets, state)[0], value
        )
        assert relative_error(analytic[name], numeric) < 1e-6, name


def test_parameter_names_and_shapes_match_torch():
    for cell in CELLS:
        tm = rtorch.CharModel(11, 6, cell=cell, num_layers=2)
        nm = rnp.CharModel(11, 6, cell=cell, num_layers=2, seed=0)
        assert {k: v.shape for k, v in nm.params.items()} == {
            k: tuple(v.shape) for k, v in tm.state_dict().items()
        }
        assert nm.num_parameters() == tm.num_parameters()
        assert nm.decoder.params["weight"].shape == (
            11,
            6,
        )  # W_hy: (d_y, d_h) with d_y = V


def test_state_carries_across_windows():
    """Two windows with the state carried give the same logits as one window of their concatenation."""
    for cell in CELLS:
        tm, nm = _pair(cell)
        ids = np.random.default_rng(5).integers(0, 7, size=(10, 2))
        whole, _ = nm.forward(ids)
        first, state = nm.forward(ids[:4])
        second, _ = nm.forward(ids[4:], state)
        np.testing.assert_allclose(
            np.concatenate([first, second]), whole, rtol=0, atol=1e-13
        )
        t_first, t_state = tm(torch.from_numpy(ids[:4]))
        t_second, _ = tm(torch.from_numpy(ids[4:]), t_state)
        np.testing.assert_allclose(
            torch.cat([t_first, t_second]).detach().numpy(), whole, rtol=0, atol=1e-12
        )


def test_load_state_dict_keeps_the_arrays_an_optimiser_holds():
    from rnnbook.numpy.optim import SGD

    model = rnp.CharModel(5, 4, seed=0)
    opt = SGD(model.params, lr=0.1)
    other = rnp.CharModel(5, 4, seed=1)
    model.load_state_dict(other.state_dict())
    assert all(opt.params[k] is v for k, v in model.params.items())
    for k, v in other.params.items():
        np.testing.assert_array_equal(model.params[k], v)
    with pytest.raises(ValueError, match=r"missing \['decoder.bias'\]"):
        model.load_state_dict(
            {k: v for k, v in other.state_dict().items() if k != "decoder.bias"}
        )
    with pytest.raises(
        ValueError, match=r"rnn.weight_hh_l0 must have shape \(4, 4\), got \(3, 3\)"
    ):
        model.load_state_dict(
            {**other.state_dict(), "rnn.weight_hh_l0": np.zeros((3, 3))}
        )


def test_init_state_shapes():
    for cell in CELLS:
        state = rnp.CharModel(5, 4, cell=cell, num_layers=2, seed=0).init_state(3)
        t_state = rtorch.CharModel(5, 4, cell=cell, num_layers=2).init_state(3)
        parts = 2 if cell == "lstm" else 1
        assert len(_as_tuple(state)) == len(_as_tuple(t_state)) == parts
        assert all(s.shape == (2, 3, 4) and not s.any() for s in _as_tuple(state))
        assert all(tuple(s.shape) == (2, 3, 4) for s in _as_tuple(t_state))


def test_bad_input():
    model = rnp.CharModel(5, 4, seed=0)
    with pytest.raises(
        ValueError,
        match=r"ids must lie in \[0, 5\) \(vocab_size\), got values in \[0, 5\]",
    ):
        model.forward(np.array([[0], [5]]))
    with pytest.raises(ValueError, match=r"ids must have shape \(T, N\)"):
        model.forward(np.array([0, 1]))
    with pytest.raises(
        TypeError, match="integer array of character indices, got dtype float64"
    ):
        model.forward(np.zeros((2, 1)))
    with pytest.raises(
        ValueError, match=r"targets must have the inputs' shape \(2, 1\), got \(2, 2\)"
    ):
        model.loss_and_grads(np.zeros((2, 1), int), np.zeros((2, 2), int))
    with pytest.raises(
        ValueError,
        match=r"cell must be one of \['gru', 'lstm', 'mingru', 'minlstm', 'rnn'\], got 'tcn'",
    ):
        rnp.CharModel(5, 4, cell="tcn")
    tm = rtorch.CharModel(5, 4)
    with pytest.raises(TypeError, match="torch.int64, got torch.int32"):
        tm(torch.zeros(2, 1, dtype=torch.int32))
    with pytest.raises(ValueError, match=r"ids must lie in \[0, 5\)"):
        tm(torch.full((2, 1), 9))
    with pytest.raises(ValueError, match="cell must be one of"):
        rtorch.CharModel(5, 4, cell="tcn")


def test_missing_cell_class_is_reported(monkeypatch):
    monkeypatch.delattr(rnp, "GRU", raising=False)
    with pytest.raises(
        ValueError, match="cell 'gru' is not available: rnnbook.numpy has no GRU class"
    ):
        rnp.CharModel(5, 4, cell="gru")


# ----------------------------------------------------------------------------- perplexity and sampling
def test_perplexity():
    assert perplexity(0.0) == 1.0
    assert perplexity(math.log(7)) == pytest.approx(7.0)
    model = rnp.CharModel(7, 3, seed=0)
    for p in model.decoder.params.values():
        p[...] = 0.0  # zero logits: the uniform distribution over V = 7 characters
    loss, _ = model.loss(*_window(0))
    assert perplexity(loss) == pytest.approx(7.0, rel=1e-12)
    assert perplexity(1e6) == math.inf
    with pytest.raises(ValueError, match="cross-entropy >= 0"):
        perplexity(-0.1)


VOCAB = Vocabulary("abcdefgh ")


def test_sample_is_seeded_and_starts_with_the_prefix():
    model = rnp.CharModel(len(VOCAB), 8, seed=0)
    text = sample(model, VOCAB, "ab", 50, temperature=1.0, seed=3)
    assert len(text) == 52 and text.startswith("ab")
    assert set(text) <= set(VOCAB.itos)
    assert sample(model, VOCAB, "ab", 50, temperature=1.0, seed=3) == text
    assert sample(model, VOCAB, "ab", 50, temperature=1.0, seed=4) != text
    assert sample(model, VOCAB, "ab", 0) == "ab"


@pytest.mark.parametrize("cell", CELLS)
def test_sample_is_the_same_for_both_backends(cell):
    tm, nm = _pair(cell, vocab_size=len(VOCAB), hidden=8)
    for temperature in (0.5, 1.0, 2.0):
        assert sample(nm, VOCAB, "a b", 40, temperature, seed=1) == sample(
            tm, VOCAB, "a b", 40, temperature, seed=1
        )
    assert tm.training  # sampling puts a torch model back in its mode


def test_low_temperature_approaches_greedy_decoding():
    model = rnp.CharModel(len(VOCAB), 8, seed=2)
    ids = list(VOCAB.encode("ab"))
    logits, state = model.forward(np.array(ids)[:, None])
    for _ in range(20):  # greedy: always the arg max
        ids.append(int(np.argmax(logits[-1, 0])))
        logits, state = model.forward(np.array([[ids[-1]]]), state)
    assert sample(model, VOCAB, "ab", 20, temperature=1e-3, seed=0) == VOCAB.decode(
        np.array(ids)
    )


def test_sample_errors():
    model = rnp.CharModel(len(VOCAB), 8, seed=0)
    for bad in (0.0, -1.0, math.inf):
        with pytest.raises(ValueError, match="temperature must be a finite number > 0"):
            sample(model, VOCAB, "a", 5, temperature=bad)
    with pytest.raises(ValueError, match=r"character\(s\) not in the vocabulary.*'z'"):
        sample(model, VOCAB, "az", 5)
    with pytest.raises(ValueError, match="prefix must be a non-empty string"):
        sample(model, VOCAB, "", 5)
    with pytest.raises(
        ValueError, match="vocabulary has 4 symbols but the model has vocab_size=10"
    ):
        sample(model, Vocabulary("abc"), "a", 5)
