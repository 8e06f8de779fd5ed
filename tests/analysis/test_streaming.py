"""rnnbook.analysis.streaming: stepping equals the whole-sequence forward, state sizes equal the formulas.

Each claim is checked against an independent computation: streamed outputs against one forward
call on the whole sequence (rnnbook.torch and torch.nn layers, the Transformer's masked forward),
state sizes against the closed-form counts and against shapes built by hand, byte counts against
numel times the element size, timings against a clock-counting fake.
"""

import math

import pytest
import torch

import rnnbook.torch as rt
from rnnbook.analysis import cost
from rnnbook.analysis import streaming as st

F64 = torch.float64


def _layers():
    torch.manual_seed(0)
    return {
        "rnn": rt.RNN(3, 5, num_layers=2, dtype=F64),
        "gru": rt.GRU(3, 5, dtype=F64),
        "lstm": rt.LSTM(3, 5, num_layers=2, batch_first=True, dtype=F64),
        "mingru": rt.MinGRU(3, 5, num_layers=2, dtype=F64),
        "minlstm": rt.MinLSTM(3, 5, batch_first=True, dtype=F64),
        "nn_gru": torch.nn.GRU(3, 5, num_layers=2, dtype=F64),
        "nn_lstm": torch.nn.LSTM(3, 5, batch_first=True, dtype=F64),
    }


@pytest.mark.parametrize("name", list(_layers()))
def test_streaming_a_recurrent_layer_equals_the_whole_sequence(name):
    layer = _layers()[name]
    x = torch.randn(
        4, 11, 3, dtype=F64, generator=torch.Generator().manual_seed(1)
    )  # (N, T, d_x)
    full, h_full = layer(x if layer.batch_first else x.transpose(0, 1))
    full = full if layer.batch_first else full.transpose(0, 1)
    out, state = st.stream(layer, x)
    assert out.shape == full.shape == (4, 11, 5)
    torch.testing.assert_close(out, full, rtol=0, atol=1e-12)
    for a, b in zip(st._tensors(state), st._tensors(h_full)):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12)


def test_streaming_a_recurrent_layer_continues_from_a_given_state():
    layer = _layers()["gru"]
    x = torch.randn(2, 9, 3, dtype=F64)
    full, _ = layer(x.transpose(0, 1))
    _, state = st.stream(layer, x[:, :4])
    rest, _ = st.stream(layer, x[:, 4:], state)
    torch.testing.assert_close(rest, full.transpose(0, 1)[:, 4:], rtol=0, atol=1e-12)


def test_streaming_a_transformer_equals_its_masked_forward_and_the_cache_formula():
    torch.manual_seed(0)
    model = rt.CausalTransformer(3, 8, num_heads=2, num_layers=3, dtype=F64)
    x = torch.randn(2, 7, 3, dtype=F64)
    out, cache = st.stream(model, x)
    torch.testing.assert_close(out, model(x), rtol=0, atol=1e-10)
    # per sequence: 2 (K and V) * layers * d_model * T; the batch holds N of them
    assert st.state_numel(cache) == 2 * rt.kv_cache_size(3, 8, 7) == 2 * (2 * 3 * 8 * 7)
    assert st.state_nbytes(cache) == 8 * st.state_numel(cache)  # float64


@pytest.mark.parametrize(
    "name,cell,layers",
    [
        ("rnn", "rnn", 2),
        ("gru", "gru", 1),
        ("lstm", "lstm", 2),
        ("mingru", "mingru", 2),
        ("minlstm", "minlstm", 1),
    ],
)
def test_recurrent_state_size_is_constant_and_matches_the_formula(name, cell, layers):
    layer = _layers()[name]
    x = torch.randn(1, 20, 3, dtype=F64)
    sizes = set()
    state = None
    for t in range(20):
        _, state = st.stream_step(layer, x[:, t], state)
        sizes.add(st.state_numel(state))
    assert sizes == {rt.recurrent_state_size(cell, layers, 5)}


def test_state_counts_by_hand():
    assert st.state_numel(None) == st.state_nbytes(None) == 0
    h = torch.zeros(2, 3, 4)
    c = torch.zeros(2, 3, 4, dtype=torch.float16)
    assert st.state_numel((h, c)) == 48
    assert st.state_nbytes((h, c)) == 24 * 4 + 24 * 2
    cache = [(torch.zeros(1, 2, 5, 3), torch.zeros(1, 2, 5, 3))] * 4
    assert st.state_numel(cache) == 4 * 2 * 30
    with pytest.raises(TypeError, match="state must be"):
        st.state_numel("h")


def test_latency_at_reports_each_context_with_the_state_it_started_from(monkeypatch):
    torch.manual_seed(0)
    model = rt.CausalTransformer(2, 4, num_heads=1, num_layers=2)
    x = torch.randn(1, 12, 2)
    ticks = iter(range(10_000))
    monkeypatch.setattr(
        cost.time, "perf_counter", lambda: float(next(ticks))
    )  # every timed call "takes" 1 s
    points = st.latency_at(model, x, contexts=[8, 3, 8], repeats=3, warmup=1)
    assert [p.context for p in points] == [3, 8]
    assert [p.state_numel for p in points] == [
        rt.kv_cache_size(2, 4, 3),
        rt.kv_cache_size(2, 4, 8),
    ]
    assert [p.state_nbytes for p in points] == [4 * p.state_numel for p in points]
    assert all(p.seconds == 1.0 for p in points)
    gru = rt.GRU(2, 6, num_layers=3)
    points = st.latency_at(gru, x, contexts=[1, 5, 11], repeats=2)
    assert [p.state_numel for p in points] == [18, 18, 18]


def test_median_seconds_calls_warmup_plus_repeats_times_and_takes_the_median(
    monkeypatch,
):
    calls = []
    clock = iter([0.0, 1.0, 10.0, 15.0, 20.0, 29.0])  # durations 1, 5, 9
    monkeypatch.setattr(cost.time, "perf_counter", lambda: next(clock))
    assert cost.median_seconds(lambda: calls.append(1), repeats=3, warmup=2) == 5.0
    assert len(calls) == 5


def test_parameter_count_and_bytes_against_the_closed_forms():
    d_x, d_h = 3, 16
    gru = rt.GRU(d_x, d_h)
    assert cost.count_parameters(gru) == 3 * d_h * (d_x + d_h + 2)
    assert cost.count_parameters(rt.MinGRU(d_x, d_h)) == 2 * d_h * (d_x + 1)
    assert cost.parameter_bytes(gru) == 4 * cost.count_parameters(gru)
    assert cost.parameter_bytes(gru, bits=8) == cost.count_parameters(gru)
    assert cost.parameter_bytes(rt.MinGRU(1, 1), bits=4) == math.ceil(4 * 4 / 8)
    with pytest.raises(ValueError, match="bits must be one of"):
        cost.parameter_bytes(gru, bits=12)
    with pytest.raises(TypeError, match="torch.nn.Module"):
        cost.count_parameters([1, 2])


def test_bad_input_is_refused_with_a_message():
    gru = rt.GRU(3, 4)
    with pytest.raises(ValueError, match="bidirectional layer cannot stream"):
        st.stream_step(rt.GRU(3, 4, bidirectional=True), torch.zeros(1, 3))
    with pytest.raises(TypeError, match="CausalTransformer"):
        st.stream_step(torch.nn.Linear(3, 4), torch.zeros(1, 3))
    with pytest.raises(ValueError, match=r"x_t must have shape \(N, d_x\)"):
        st.stream_step(gru, torch.zeros(1, 1, 3))
    with pytest.raises(TypeError, match="x_t must be a torch.Tensor"):
        st.stream_step(gru, [[0.0, 0.0, 0.0]])
    with pytest.raises(ValueError, match=r"x must have shape \(N, T, d_x\)"):
        st.stream(gru, torch.zeros(4, 3))
    with pytest.raises(ValueError, match="more steps than the longest context 4"):
        st.latency_at(gru, torch.zeros(1, 4, 3), [2, 4])
    with pytest.raises(ValueError, match="at least one context"):
        st.latency_at(gru, torch.zeros(1, 4, 3), [])
    with pytest.raises(ValueError, match="context must be >= 1"):
        st.latency_at(gru, torch.zeros(1, 4, 3), [0])
