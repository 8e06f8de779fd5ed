"""The comparison models of chapters 11-13: minGRU/minLSTM, TCN, causal Transformer, perceptrons.

Each property is checked against an independent computation: the parallel scan against a plain
loop over the equations, causality by perturbing future inputs, the receptive field by the
Jacobian's support, the KV cache by counting its tensors, the perceptron rule by hand.
"""

import math

import numpy as np
import pytest
import torch

import rnnbook.numpy as rn
import rnnbook.torch as rt
from rnnbook.data.synthetic import SELECTIVE_RECALL, selective_copy
from rnnbook.torch.minimal import g, log_g
from rnnbook.training.supervised import fit

F64 = torch.float64


def _g_reference(v):
    return np.where(v >= 0, v + 0.5, 1.0 / (1.0 + np.exp(-v)))


def _min_reference(layer, x, h0, kind):
    """Direct transcription of Feng et al.'s equations, one layer, time-major, in NumPy float64."""
    W = layer.weight_ih_l0.detach().numpy()
    b = layer.bias_ih_l0.detach().numpy()
    H = layer.hidden_size
    sig = lambda a: 1.0 / (1.0 + np.exp(-a))  # noqa: E731
    h = h0.copy()
    out = []
    for x_t in x:
        u = x_t @ W.T + b
        if kind == "mingru":
            z, cand = sig(u[:, :H]), _g_reference(u[:, H:])
            h = (1 - z) * h + z * cand
        else:
            f, i, cand = (
                sig(u[:, :H]),
                sig(u[:, H : 2 * H]),
                _g_reference(u[:, 2 * H :]),
            )
            h = f / (f + i) * h + i / (f + i) * cand
        out.append(h)
    return np.stack(out)


@pytest.mark.parametrize("cls,kind", [(rt.MinGRU, "mingru"), (rt.MinLSTM, "minlstm")])
@pytest.mark.parametrize("seed", range(3))
def test_minimal_matches_the_equations_in_both_modes(cls, kind, seed):
    rng = np.random.default_rng(seed)
    T, N, d_x, d_h = (
        rng.integers(1, 30),
        rng.integers(1, 5),
        rng.integers(1, 6),
        rng.integers(1, 9),
    )
    torch.manual_seed(seed)
    layer = cls(int(d_x), int(d_h), dtype=F64)
    x = rng.standard_normal((T, N, d_x)) * 2
    h0 = rng.standard_normal((N, d_h))  # any sign: h_0 enters the scan linearly
    ref = _min_reference(layer, x, h0, kind)
    for mode in ("parallel", "sequential"):
        out, h_n = layer(torch.tensor(x), torch.tensor(h0)[None], mode=mode)
        np.testing.assert_allclose(out.detach().numpy(), ref, rtol=0, atol=1e-10)
        np.testing.assert_allclose(h_n[0].detach().numpy(), ref[-1], rtol=0, atol=1e-10)


@pytest.mark.parametrize("cls", [rt.MinGRU, rt.MinLSTM])
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"num_layers": 2},
        {"bidirectional": True},
        {"num_layers": 2, "bidirectional": True, "batch_first": True},
    ],
)
def test_parallel_equals_sequential_values_and_gradients(cls, kwargs):
    torch.manual_seed(0)
    layer = cls(3, 5, dtype=F64, **kwargs)
    D = 2 if kwargs.get("bidirectional") else 1
    L = kwargs.get("num_layers", 1)
    x = (
        torch.randn(6, 40, 3, dtype=F64)
        if kwargs.get("batch_first")
        else torch.randn(40, 6, 3, dtype=F64)
    )
    h0 = torch.randn(D * L, 6, 5, dtype=F64)
    results = {}
    for mode in ("parallel", "sequential"):
        layer.zero_grad()
        xi, hi = x.clone().requires_grad_(), h0.clone().requires_grad_()
        out, h_n = layer(xi, hi, mode=mode)
        (out.sin().sum() + h_n.cos().sum()).backward()
        results[mode] = [out, h_n, xi.grad, hi.grad] + [
            p.grad.clone() for p in layer.parameters()
        ]
    for a, b in zip(results["parallel"], results["sequential"]):
        assert torch.allclose(a, b, rtol=0, atol=1e-10), (a - b).abs().max()


@pytest.mark.parametrize("cls", [rt.MinGRU, rt.MinLSTM])
def test_parallel_scan_is_stable_on_long_sequences(cls):
    """T = 3000 with strongly forgetting gates: A_t underflows to 0 and the log-space scan still agrees."""
    torch.manual_seed(1)
    layer = cls(2, 4, dtype=F64)
    x = 3 * torch.randn(3000, 2, 2, dtype=F64)
    par, _ = layer(x, mode="parallel")
    seq, _ = layer(x, mode="sequential")
    assert torch.isfinite(par).all()
    assert torch.allclose(par, seq, rtol=1e-9, atol=1e-10)


def test_parallel_scan_log_against_a_loop():
    rng = np.random.default_rng(3)
    a = rng.uniform(0.01, 1.0, (50, 3, 4))
    b = rng.uniform(0.0, 2.0, (50, 3, 4))
    b[7] = 0.0  # log b = -inf must work
    h0 = rng.standard_normal((3, 4))
    with np.errstate(divide="ignore"):
        h = rt.parallel_scan_log(
            torch.tensor(np.log(a)), torch.tensor(np.log(b)), torch.tensor(h0)
        ).numpy()
    ref, state = [], h0
    for t in range(50):
        state = a[t] * state + b[t]
        ref.append(state)
    np.testing.assert_allclose(h, np.stack(ref), rtol=1e-12, atol=1e-12)


def test_minimal_lengths_match_running_each_sequence_alone():
    torch.manual_seed(2)
    layer = rt.MinGRU(3, 4, dtype=F64, bidirectional=True)
    x = torch.randn(9, 3, 3, dtype=F64)
    lengths = [9, 4, 1]
    for mode in ("parallel", "sequential"):
        out, h_n = layer(x, lengths=lengths, mode=mode)
        for n, length in enumerate(lengths):
            alone, h_alone = layer(x[:length, n : n + 1], mode=mode)
            assert torch.allclose(out[:length, n], alone[:, 0], atol=1e-12)
            assert torch.all(out[length:, n] == 0)
            assert torch.allclose(h_n[:, n], h_alone[:, 0], atol=1e-12)


def test_minimal_parameters_and_counts():
    d_x, d_h = 7, 5
    gru, lstm = rt.MinGRU(d_x, d_h), rt.MinLSTM(d_x, d_h)
    assert {n: tuple(p.shape) for n, p in gru.named_parameters()} == {
        "weight_ih_l0": (2 * d_h, d_x),
        "bias_ih_l0": (2 * d_h,),
    }
    assert sum(p.numel() for p in lstm.parameters()) == 3 * d_h * (d_x + 1)
    assert (
        sum(p.numel() for p in rt.MinGRU(d_x, d_h, bias=False).parameters())
        == 2 * d_h * d_x
    )


def test_g_is_positive_continuous_and_log_g_matches():
    v = torch.linspace(-30, 30, 2001, dtype=F64)
    assert torch.all(g(v) > 0)
    assert torch.allclose(torch.exp(log_g(v)), g(v), rtol=1e-12, atol=0)
    assert torch.allclose(
        g(torch.tensor([0.0], dtype=F64)), torch.sigmoid(torch.tensor([0.0], dtype=F64))
    )


def test_minimal_bad_mode_is_rejected():
    with pytest.raises(ValueError, match="mode must be one of"):
        rt.MinGRU(2, 3)(torch.randn(4, 1, 2), mode="scan")


# ----------------------------------------------------------------------------------------- TCN
@pytest.mark.parametrize("kernel_size,levels", [(2, 1), (2, 4), (3, 3), (5, 2)])
def test_tcn_receptive_field_is_the_jacobian_support(kernel_size, levels):
    torch.manual_seed(0)
    tcn = rt.TCN(2, 3, levels, kernel_size=kernel_size, dtype=F64)
    with (
        torch.no_grad()
    ):  # positive weights and inputs keep every ReLU active, so no path is cut
        for p in tcn.parameters():
            p.uniform_(0.1, 0.5)
    R = rt.tcn_receptive_field(kernel_size, levels)
    assert R == 1 + 2 * (kernel_size - 1) * (2**levels - 1) == tcn.receptive_field
    T = R + 10
    x = torch.rand(1, T, 2, dtype=F64, requires_grad=True)
    t = T - 1
    tcn(x)[0, t].sum().backward()
    reach = (x.grad[0].abs().sum(dim=1) > 0).numpy()
    assert reach[t - R + 1 : t + 1].all() and not reach[: t - R + 1].any()


def test_tcn_is_causal():
    torch.manual_seed(1)
    tcn = rt.TCN(3, 4, 3, kernel_size=3)
    x = torch.randn(2, 30, 3)
    y = tcn(x)
    x2 = x.clone()
    x2[:, 17:] = torch.randn(2, 13, 3)
    y2 = tcn(x2)
    assert torch.equal(y[:, :17], y2[:, :17])
    assert not torch.allclose(y[:, 17:], y2[:, 17:])


@pytest.mark.parametrize("seed", range(6))
def test_causal_conv_equals_a_left_padded_conv1d(seed):
    # The taps-as-one-matrix-product forward against PyTorch's convolution, values and gradients.
    gen = torch.Generator().manual_seed(seed)
    c_in, c_out, k, d, n, steps = (
        int(v) for v in torch.randint(1, 6, (6,), generator=gen)
    )
    d, steps = int(2 ** (d % 4)), steps + 3
    torch.manual_seed(seed)
    conv = rt.tcn.CausalConv1d(c_in, c_out, k, d, dtype=F64, bias=seed % 2 == 0)
    x = torch.randn(n, c_in, steps, dtype=F64, requires_grad=True)
    y = conv(x)
    ref = torch.nn.functional.conv1d(
        torch.nn.functional.pad(x, ((k - 1) * d, 0)), conv.weight, conv.bias, dilation=d
    )
    assert y.shape == ref.shape == (n, c_out, steps)
    torch.testing.assert_close(y, ref, rtol=0, atol=1e-12)
    up = torch.randn_like(y)
    grads = torch.autograd.grad((y * up).sum(), [x, *conv.parameters()])
    ref_grads = torch.autograd.grad((ref * up).sum(), [x, *conv.parameters()])
    for got, want in zip(grads, ref_grads):
        torch.testing.assert_close(got, want, rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="groups=1 and stride=1"):
        rt.tcn.CausalConv1d(4, 4, 2, 1, groups=2)


def test_tcn_bad_input():
    tcn = rt.TCN(3, 4, 2)
    with pytest.raises(ValueError, match=r"\(N, T, 3\)"):
        tcn(torch.randn(2, 5, 4))
    with pytest.raises(TypeError, match="dtype"):
        tcn(torch.randn(2, 5, 3, dtype=F64))


# --------------------------------------------------------------------------------- Transformer
def test_positional_encoding_formula():
    pe = rt.transformer.sinusoidal_positional_encoding(7, 6, dtype=F64)
    for t in range(7):
        for i in range(3):
            assert pe[t, 2 * i].item() == pytest.approx(
                math.sin(t / 10000 ** (2 * i / 6)), abs=1e-14
            )
            assert pe[t, 2 * i + 1].item() == pytest.approx(
                math.cos(t / 10000 ** (2 * i / 6)), abs=1e-14
            )


def test_transformer_is_causal_and_attention_is_lower_triangular():
    torch.manual_seed(0)
    model = rt.CausalTransformer(3, 8, num_heads=2, num_layers=2, dtype=F64)
    x = torch.randn(2, 12, 3, dtype=F64)
    y = model(x)
    for A in model.attention_maps():
        assert A.shape == (2, 2, 12, 12)
        assert torch.allclose(A.sum(-1), torch.ones((), dtype=F64))
        assert torch.all(torch.triu(A, diagonal=1) == 0)
    x2 = x.clone()
    x2[:, 5:] += torch.randn(2, 7, 3, dtype=F64)
    y2 = model(x2)
    assert torch.allclose(y[:, :5], y2[:, :5], rtol=0, atol=1e-12)
    assert not torch.allclose(y[:, 5:], y2[:, 5:])


def test_without_the_mask_the_past_would_see_the_future():
    """The causality test above can fail: with the mask removed, early outputs change."""
    torch.manual_seed(0)
    model = rt.CausalTransformer(3, 8, num_heads=2, num_layers=1, dtype=F64)
    x = torch.randn(1, 6, 3, dtype=F64)
    x2 = x.clone()
    x2[:, 4:] += 1.0
    h = model.input_proj(x) + rt.transformer.sinusoidal_positional_encoding(
        6, 8, dtype=F64
    )
    h2 = model.input_proj(x2) + rt.transformer.sinusoidal_positional_encoding(
        6, 8, dtype=F64
    )
    unmasked, _ = model.blocks[0](h, None)
    unmasked2, _ = model.blocks[0](h2, None)
    assert not torch.allclose(unmasked[:, :4], unmasked2[:, :4])


@pytest.mark.parametrize("layers,d_model,heads", [(1, 4, 1), (2, 8, 2), (3, 12, 3)])
def test_streaming_steps_equal_the_full_pass_and_the_cache_matches_the_formula(
    layers, d_model, heads
):
    torch.manual_seed(layers)
    model = rt.CausalTransformer(
        5, d_model, num_heads=heads, num_layers=layers, dtype=F64
    )
    N, T = 3, 9
    x = torch.randn(N, T, 5, dtype=F64)
    full = model(x)
    cache = None
    for t in range(T):
        y_t, cache = model.step(x[:, t], cache)
        assert torch.allclose(y_t, full[:, t], rtol=0, atol=1e-10)
        assert rt.cache_numel(cache) == N * rt.kv_cache_size(layers, d_model, t + 1)


def test_recurrent_state_size_counts_a_real_state():
    for cell, cls in [
        ("rnn", rt.RNN),
        ("gru", rt.GRU),
        ("lstm", rt.LSTM),
        ("mingru", rt.MinGRU),
    ]:
        _, state = cls(3, 7, num_layers=2)(torch.randn(50, 1, 3))
        numel = (
            sum(s.numel() for s in state) if isinstance(state, tuple) else state.numel()
        )
        assert numel == rt.recurrent_state_size(cell, 2, 7)
    with pytest.raises(ValueError, match="cell must be one of"):
        rt.recurrent_state_size("tcn", 1, 4)


def test_transformer_bad_input():
    model = rt.CausalTransformer(3, 8)
    with pytest.raises(ValueError, match="d_x = 3"):
        model(torch.randn(1, 4, 2))
    with pytest.raises(ValueError, match="no empty axis"):
        model(torch.randn(1, 0, 3))
    with pytest.raises(ValueError, match="divisible"):
        rt.CausalTransformer(3, 10, num_heads=3)


# --------------------------------------------------------------------------------- perceptrons
def test_numpy_perceptron_rule_by_hand():
    p = rn.Perceptron(2, lr=0.5)
    x = np.array([[1.0, 2.0], [-1.0, 0.5]])
    y = np.array([1, -1])
    mistakes = p.fit(x, y, epochs=1, seed=None)
    # example 0: score 0 -> mistake, w = 0.5 * [1, 2], b = 0.5; example 1: 0.5*(-1) + 1*0.5 + 0.5 = 0.5 > 0 but y = -1
    # -> mistake, w = [0.5, 1] - 0.5 * [-1, 0.5] = [1, 0.75], b = 0
    assert mistakes == [2]
    np.testing.assert_allclose(p.w, [1.0, 0.75])
    assert p.b == 0.0


def test_numpy_perceptron_separates_separable_data():
    rng = np.random.default_rng(0)
    w_true = rng.standard_normal(5)
    x = rng.standard_normal((300, 5))
    score = x @ w_true
    keep = np.abs(score) > 0.2  # a margin
    x, y = x[keep], np.where(score[keep] > 0, 1, -1)
    p = rn.Perceptron(5)
    mistakes = p.fit(x, y, epochs=200)
    assert mistakes[-1] == 0 and len(mistakes) < 200
    assert np.array_equal(p.predict(x), y)


def test_numpy_perceptron_bad_input():
    p = rn.Perceptron(3)
    with pytest.raises(ValueError, match=r"\(n, 3\)"):
        p.fit(np.zeros((4, 2)), np.ones(4))
    with pytest.raises(ValueError, match="labels in"):
        p.fit(np.zeros((4, 3)), np.array([0, 1, 1, 0]))
    with pytest.raises(ValueError, match="finite"):
        p.predict(np.array([[np.nan, 0, 0]]))


def test_torch_perceptron_is_a_linear_map_of_the_flattened_sequence():
    torch.manual_seed(0)
    model = rt.FlatMLP(3, 4, 2, dtype=F64)
    x = torch.randn(5, 4, 3, dtype=F64)
    W, b = model.layers[0].weight, model.layers[0].bias
    assert torch.allclose(model(x), x.reshape(5, 12) @ W.T + b)
    mlp = rt.FlatMLP(3, 4, 2, hidden_sizes=(6,))
    assert sum(p.numel() for p in mlp.parameters()) == 12 * 6 + 6 + 6 * 2 + 2
    with pytest.raises(ValueError, match=r"\(N, 4, 3\)"):
        model(torch.randn(5, 5, 3, dtype=F64))


# ------------------------------------------------------------------------ task models and fit
@pytest.mark.parametrize(
    "cell,kwargs",
    [
        ("mingru", {}),
        ("minlstm", {}),
        ("tcn", {"num_levels": 3}),
        ("transformer", {"num_heads": 2}),
    ],
)
def test_sequence_models_learn_to_recall_the_last_marked_value(cell, kwargs):
    """A short regression that needs memory: predict the input value that was marked 3 steps ago."""
    rng = np.random.default_rng(0)
    N, T = 512, 8
    values = rng.uniform(-1, 1, (N, T))
    marks = np.zeros((N, T))
    marks[:, T - 4] = 1.0
    x = np.stack([values, marks], axis=-1)
    y = values[:, T - 4]
    torch.manual_seed(0)
    model = rt.SequenceModel(2, 16, 1, cell=cell, **kwargs)
    history = fit(
        model,
        x,
        y,
        loss="mse",
        steps=150,
        batch_size=64,
        lr=1e-2,
        eval_data=(x, y),
        progress=False,
    )
    assert history.eval_loss[-1] < 0.1 * np.var(
        y
    )  # far below the best constant predictor


def test_feedforward_sequence_models_reject_state_and_lengths():
    model = rt.SequenceModel(2, 8, 1, cell="tcn", num_levels=2)
    with pytest.raises(ValueError, match="takes no hx or lengths"):
        model(torch.randn(1, 5, 2), lengths=[5])


def test_selective_copy_layout():
    x, y = selective_copy(50, 12, num_tokens=3, seed=4)
    assert x.shape == y.shape == (50, 15)
    assert np.all(x[:, 12:] == SELECTIVE_RECALL) and np.all(y[:, :12] == 0)
    for xi, yi in zip(x, y):
        data = xi[:12][xi[:12] != 0]
        assert np.array_equal(data, yi[12:]) and np.all((data >= 1) & (data <= 8))
    assert (
        len({tuple(np.flatnonzero(xi[:12])) for xi in x}) > 1
    )  # positions vary between samples
    with pytest.raises(ValueError, match="num_tokens must be at most"):
        selective_copy(2, 3, num_tokens=4)
