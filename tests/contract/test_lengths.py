"""Variable-length sequences (``forward(x, hx, lengths)``) in both backends.

Reference: torch.nn.RNN / LSTM / GRU on ``pack_padded_sequence(x, lengths, enforce_sorted=False)``,
outputs read back with ``pad_packed_sequence``. Compared: outputs, h_n, and the gradients of
``sum(R * output) + sum(S * h_n)`` with respect to the input, the initial state and every parameter.
Then: garbage after each length changes nothing, a padded batch equals its sequences run one by
one, the NumPy backward passes a gradient check with lengths, and bad lengths raise clear errors.
"""

import itertools

import numpy as np
import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

import rnnbook.numpy as rnp
import rnnbook.torch as rtorch
from conftest import LAYER_NAMES, Result, assert_results_close
from rnnbook.numpy import check_layer_gradients

LAYOUTS = list(itertools.product([1, 2], [False, True]))  # num_layers, bidirectional
CASES = [(name, *layout) for name, layout in itertools.product(LAYER_NAMES, LAYOUTS)]
IDS = [f"{n}-L{L}-{'bi' if bi else 'uni'}" for n, L, bi in CASES]


def _np(t):
    return t.detach().cpu().double().numpy()


def _tuple(v):
    return tuple(v) if isinstance(v, tuple | list) else (v,)


def _case(
    seed, num_layers, bidirectional, state_count, batch_first, d_x=None, d_h=None
):
    """Random sizes, lengths (at least one full-length and one length-1 sequence), input, states, upstream grads."""
    rng = np.random.default_rng(seed)
    T, N = 6, 4
    d_x = int(rng.integers(1, 5)) if d_x is None else d_x
    d_h = int(rng.integers(1, 5)) if d_h is None else d_h
    lengths = np.concatenate([[T, 1], rng.integers(1, T + 1, size=N - 2)])
    rng.shuffle(lengths)  # unsorted, as enforce_sorted=False allows
    D = 2 if bidirectional else 1
    x_shape = (N, T, d_x) if batch_first else (T, N, d_x)
    s_shape = (D * num_layers, N, d_h)
    return {
        "sizes": (T, N, d_x, d_h),
        "lengths": lengths,
        "x": rng.standard_normal(x_shape),
        "hx": tuple(rng.standard_normal(s_shape) for _ in range(state_count)),
        "d_out": rng.standard_normal(x_shape[:-1] + (D * d_h,)),
        "d_hn": tuple(rng.standard_normal(s_shape) for _ in range(state_count)),
    }


def run_torch_nn_packed(module, case, batch_first):
    """torch.nn on a packed batch: the reference semantics for ``lengths``."""
    module.zero_grad()
    T = case["sizes"][0]
    xt = torch.tensor(case["x"], requires_grad=True)
    hts = [torch.tensor(h, requires_grad=True) for h in case["hx"]]
    packed = pack_padded_sequence(
        xt,
        torch.as_tensor(case["lengths"]),
        batch_first=batch_first,
        enforce_sorted=False,
    )
    out, h_n = module(packed, hts[0] if len(hts) == 1 else tuple(hts))
    out, _ = pad_packed_sequence(out, batch_first=batch_first, total_length=T)
    finals = _tuple(h_n)
    loss = (out * torch.tensor(case["d_out"])).sum() + sum(
        (f * torch.tensor(s)).sum() for f, s in zip(finals, case["d_hn"])
    )
    loss.backward()
    return Result(
        _np(out),
        tuple(map(_np, finals)),
        _np(xt.grad),
        tuple(_np(h.grad) for h in hts),
        {n: _np(p.grad) for n, p in module.named_parameters()},
    )


def run_ours_torch(module, case, lengths):
    module.zero_grad()
    xt = torch.tensor(case["x"], requires_grad=True)
    hts = [torch.tensor(h, requires_grad=True) for h in case["hx"]]
    out, h_n = module(xt, hts[0] if len(hts) == 1 else tuple(hts), lengths)
    finals = _tuple(h_n)
    loss = (out * torch.tensor(case["d_out"])).sum() + sum(
        (f * torch.tensor(s)).sum() for f, s in zip(finals, case["d_hn"])
    )
    loss.backward()
    return Result(
        _np(out),
        tuple(map(_np, finals)),
        _np(xt.grad),
        tuple(_np(h.grad) for h in hts),
        {n: _np(p.grad) for n, p in module.named_parameters()},
    )


def run_ours_numpy(layer, case, lengths):
    out, h_n = layer.forward(
        case["x"], case["hx"][0] if len(case["hx"]) == 1 else case["hx"], lengths
    )
    d_x, d_hx = layer.backward(
        case["d_out"], case["d_hn"][0] if len(case["d_hn"]) == 1 else case["d_hn"]
    )
    return Result(out, _tuple(h_n), d_x, _tuple(d_hx), dict(layer.grads))


@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize("name, num_layers, bidirectional", CASES, ids=IDS)
def test_matches_torch_nn_on_packed_sequences(backend, name, num_layers, bidirectional):
    index = CASES.index((name, num_layers, bidirectional))
    batch_first = bool(index % 2)  # both layouts, alternating over the cases
    torch.manual_seed(index)
    case = _case(
        index, num_layers, bidirectional, 2 if name == "LSTM" else 1, batch_first
    )
    _, _, d_x, d_h = case["sizes"]
    kwargs = dict(
        num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first
    )
    ref = getattr(torch.nn, name)(d_x, d_h, **kwargs).double()
    want = run_torch_nn_packed(ref, case, batch_first)
    if backend == "numpy":
        layer = getattr(rnp, name)(d_x, d_h, **kwargs)
        layer.load_state_dict(ref.state_dict())
        got = run_ours_numpy(layer, case, case["lengths"])
    else:
        ours = getattr(rtorch, name)(d_x, d_h, dtype=torch.float64, **kwargs)
        ours.load_state_dict(ref.state_dict())
        got = run_ours_torch(ours, case, torch.as_tensor(case["lengths"]))
    assert_results_close(got, want, 1e-10)
    # padded steps: zero output, zero input gradient
    pad = np.arange(case["sizes"][0])[:, None] >= case["lengths"][None, :]  # (T, N)
    if batch_first:
        pad = pad.T
    assert np.all(got.output[pad] == 0) and np.all(got.d_x[pad] == 0)


def _numpy_and_torch(name, d_x, d_h, **kwargs):
    layer = getattr(rnp, name)(d_x, d_h, seed=3, **kwargs)
    ours = getattr(rtorch, name)(d_x, d_h, dtype=torch.float64, **kwargs)
    ours.load_state_dict(
        {k: torch.from_numpy(v) for k, v in layer.state_dict().items()}
    )
    return layer, ours


@pytest.mark.parametrize("name", LAYER_NAMES)
def test_garbage_after_the_length_changes_nothing(name):
    """Zeros or huge random values on padded steps (and in d_output there): identical results, both backends."""
    layer, ours = _numpy_and_torch(name, 3, 4, num_layers=2, bidirectional=True)
    case = _case(11, 2, True, layer.state_count, False, d_x=3, d_h=4)
    T = 6
    pad = (np.arange(T)[:, None] >= case["lengths"][None, :])[..., None]
    clean = dict(
        case, x=np.where(pad, 0.0, case["x"]), d_out=np.where(pad, 0.0, case["d_out"])
    )
    rng = np.random.default_rng(1)
    dirty = dict(
        case,
        x=np.where(pad, 1e3 * rng.standard_normal(case["x"].shape), case["x"]),
        d_out=np.where(
            pad, 1e3 * rng.standard_normal(case["d_out"].shape), case["d_out"]
        ),
    )
    for run, module in ((run_ours_numpy, layer), (run_ours_torch, ours)):
        a, b = run(module, clean, case["lengths"]), run(module, dirty, case["lengths"])
        np.testing.assert_array_equal(a.output, b.output)
        np.testing.assert_array_equal(a.d_x, b.d_x)
        for u, v in zip(a.h_n + a.d_hx, b.h_n + b.d_hx):
            np.testing.assert_array_equal(u, v)
        for k in a.grads:
            np.testing.assert_array_equal(a.grads[k], b.grads[k])
        assert not np.any(b.d_x[np.broadcast_to(pad, b.d_x.shape)])


@pytest.mark.parametrize("name", LAYER_NAMES)
@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_padded_batch_equals_sequences_run_one_by_one(name, backend):
    """Each sequence alone, unpadded and unbatched, gives its column of the padded batch's results."""
    layer, ours = _numpy_and_torch(name, 3, 4, num_layers=2, bidirectional=True)
    module, run = (
        (layer, run_ours_numpy) if backend == "numpy" else (ours, run_ours_torch)
    )
    case = _case(12, 2, True, layer.state_count, False, d_x=3, d_h=4)
    whole = run(module, case, case["lengths"])
    total_grads = {k: 0.0 for k in whole.grads}
    for n, length in enumerate(case["lengths"]):
        alone = {
            "x": case["x"][:length, n],
            "d_out": case["d_out"][:length, n],
            "hx": tuple(h[:, n] for h in case["hx"]),
            "d_hn": tuple(d[:, n] for d in case["d_hn"]),
        }
        got = run(module, alone, None)
        np.testing.assert_allclose(
            got.output, whole.output[:length, n], rtol=0, atol=1e-12
        )
        np.testing.assert_allclose(got.d_x, whole.d_x[:length, n], rtol=0, atol=1e-12)
        for u, v in zip(got.h_n + got.d_hx, whole.h_n + whole.d_hx):
            np.testing.assert_allclose(u, v[:, n], rtol=0, atol=1e-12)
        for k in total_grads:
            total_grads[k] = total_grads[k] + got.grads[k]
    for k, g in total_grads.items():  # parameter gradients add up over the batch
        np.testing.assert_allclose(g, whole.grads[k], rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", LAYER_NAMES)
def test_full_lengths_equal_no_lengths(name):
    layer = getattr(rnp, name)(
        3, 4, num_layers=2, bidirectional=True, batch_first=True, seed=0
    )
    x = np.random.default_rng(0).standard_normal((3, 5, 3))
    a, ha = layer.forward(x)
    b, hb = layer.forward(x, None, [5, 5, 5])
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-15)
    for u, v in zip(_tuple(ha), _tuple(hb)):
        np.testing.assert_allclose(u, v, rtol=0, atol=1e-15)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize("length", [2, np.int64(2), [2], np.array([2])])
def test_unbatched_input_takes_a_single_length(backend, length):
    layer, ours = _numpy_and_torch("GRU", 3, 4, bidirectional=True)
    x = np.random.default_rng(0).standard_normal((5, 3))
    if backend == "numpy":
        out, h_n = layer.forward(x, None, length)
        want_out, want_h = layer.forward(x[:2])
    else:
        out, h_n = (_np(v) for v in ours(torch.tensor(x), None, length))
        want_out, want_h = (_np(v) for v in ours(torch.tensor(x[:2])))
    np.testing.assert_allclose(out[:2], want_out, atol=1e-14)
    np.testing.assert_array_equal(out[2:], 0.0)
    np.testing.assert_allclose(h_n, want_h, atol=1e-14)


GRAD_CASES = [
    ("RNN", {"nonlinearity": "tanh"}),
    ("RNN", {"nonlinearity": "relu", "num_layers": 2, "bidirectional": True}),
    ("LSTM", {"num_layers": 2, "bidirectional": True}),
    ("LSTM", {"batch_first": True}),
    ("GRU", {"num_layers": 2, "bidirectional": True}),
    ("GRU", {"reset_after": False, "bidirectional": True, "batch_first": True}),
]


@pytest.mark.parametrize(
    "name, kwargs", GRAD_CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(GRAD_CASES)]
)
def test_numpy_backward_with_lengths_matches_finite_differences(name, kwargs):
    layer = getattr(rnp, name)(2, 3, seed=0, **kwargs)
    rng = np.random.default_rng(1)
    T, N = 4, 3
    x = rng.standard_normal((N, T, 2) if kwargs.get("batch_first") else (T, N, 2))
    shape = (layer.num_directions * layer.num_layers, N, 3)
    hx = tuple(rng.standard_normal(shape) * 0.5 for _ in range(layer.state_count))
    errors = check_layer_gradients(
        layer, x, hx if layer.state_count > 1 else hx[0], lengths=np.array([2, 4, 1])
    )
    worst = max(errors, key=errors.get)
    assert errors[worst] <= 1e-6, f"{worst}: relative error {errors[worst]:.2e}"


def test_a_wrong_padding_rule_is_caught():
    """The parity test can fail: running the reverse direction over the whole padded sequence differs from torch.nn."""
    case = _case(5, 1, True, 1, False)
    _, _, d_x, d_h = case["sizes"]
    ref = torch.nn.GRU(d_x, d_h, bidirectional=True).double()
    want = run_torch_nn_packed(ref, case, False)
    layer = rnp.GRU(d_x, d_h, bidirectional=True)
    layer.load_state_dict(ref.state_dict())
    got = run_ours_numpy(layer, case, None)  # ignores the lengths
    with pytest.raises(AssertionError):
        assert_results_close(got, want, 1e-10)


BAD_LENGTHS = [
    ([1, 2], ValueError, r"lengths must have shape \(N,\) = \(3\).*got shape \(2\)"),
    (
        [[1, 2, 3]],
        ValueError,
        r"lengths must have shape \(N,\) = \(3\).*got shape \(1, 3\)",
    ),
    (
        [1, 6, 2],
        ValueError,
        r"lengths must lie in \[1, T\] = \[1, 5\].*got values in \[1, 6\]",
    ),
    (
        [0, 5, 2],
        ValueError,
        r"lengths must lie in \[1, T\] = \[1, 5\].*got values in \[0, 5\]",
    ),
    (
        [-1, 5, 2],
        ValueError,
        r"lengths must lie in \[1, T\] = \[1, 5\].*got values in \[-1, 5\]",
    ),
    ([1.0, 2.0, 3.0], TypeError, r"lengths must be integers.*got dtype float"),
    ([True, True, False], TypeError, r"lengths must be integers.*got dtype bool"),
]


@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize(
    "lengths, error, pattern", BAD_LENGTHS, ids=[str(c[0]) for c in BAD_LENGTHS]
)
def test_bad_lengths_raise_clear_errors(backend, lengths, error, pattern):
    layer, ours = _numpy_and_torch("LSTM", 3, 4)
    x = np.zeros((5, 3, 3))
    with pytest.raises(error, match=pattern):
        if backend == "numpy":
            layer.forward(x, None, lengths)
        else:
            ours(torch.tensor(x), None, torch.tensor(lengths))


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_unbatched_input_rejects_several_lengths(backend):
    layer, ours = _numpy_and_torch("RNN", 3, 4)
    x = np.zeros((5, 3))
    with pytest.raises(
        ValueError, match=r"single length for unbatched input, got shape \(2\)"
    ):
        layer.forward(x, None, [2, 3]) if backend == "numpy" else ours(
            torch.tensor(x), None, [2, 3]
        )
    with pytest.raises(
        ValueError, match=r"\[1, T\] = \[1, 5\].*got values in \[7, 7\]"
    ):
        layer.forward(x, None, 7) if backend == "numpy" else ours(
            torch.tensor(x), None, 7
        )


def test_sequence_model_reads_each_sequences_own_final_state():
    torch.manual_seed(0)
    model = rtorch.SequenceModel(
        0,
        5,
        3,
        cell="gru",
        readout="last",
        vocab_size=4,
        bidirectional=True,
        dtype=torch.float64,
    )
    x = torch.randint(0, 4, (3, 6))
    lengths = [6, 2, 4]
    batched = model(x, None, torch.tensor(lengths))
    for n, length in enumerate(lengths):
        alone = model(x[n : n + 1, :length])
        torch.testing.assert_close(batched[n : n + 1], alone, rtol=0, atol=1e-12)
