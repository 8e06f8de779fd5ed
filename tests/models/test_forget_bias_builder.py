"""rnnbook.init.with_forget_gate_bias: a picklable builder of models whose LSTM starts with b_f set."""

import functools
import math
import pickle

import pytest
import torch

from rnnbook.init import with_forget_gate_bias
from rnnbook.torch import SequenceModel


@pytest.mark.parametrize("impl", ["rnnbook", "torch.nn"])
def test_only_the_forget_block_changes(impl):
    build = functools.partial(SequenceModel, 2, 5, 1, cell="lstm", impl=impl)
    torch.manual_seed(3)
    plain = build().state_dict()
    torch.manual_seed(3)
    biased = with_forget_gate_bias(build, 1.5).state_dict()
    H = 5
    for name, value in plain.items():
        if name in ("rnn.bias_ih_l0", "rnn.bias_hh_l0"):
            fill = 1.5 if name == "rnn.bias_ih_l0" else 0.0
            assert torch.all(biased[name][H : 2 * H] == fill)
            assert torch.equal(biased[name][:H], value[:H]) and torch.equal(
                biased[name][2 * H :], value[2 * H :]
            )
        else:
            assert torch.equal(biased[name], value), name


def test_forget_gate_value_in_a_step():
    """With every weight and every other bias zero, c_0 = 1 and x = 0: g_1 = tanh(0) = 0, so
    c_1 = f_1 c_0 + i_1 g_1 = sigmoid(b_f)."""
    build = functools.partial(torch.nn.LSTM, 1, 3, batch_first=True)
    layer = with_forget_gate_bias(build, 2.0)
    with torch.no_grad():
        for name, p in layer.named_parameters():
            if name.startswith("weight"):
                p.zero_()
            else:  # keep only the forget block (rows 3:6, gate order i, f, g, o) of the biases
                p[:3] = 0.0
                p[6:] = 0.0
    _, (_, c_1) = layer(
        torch.zeros(1, 1, 1, dtype=torch.float32),
        (torch.zeros(1, 1, 3), torch.ones(1, 1, 3)),
    )
    sigmoid_2 = 1 / (1 + math.exp(-2.0))
    assert torch.allclose(c_1, torch.full_like(c_1, sigmoid_2), rtol=0, atol=1e-6)


def test_the_builder_pickles_and_rebuilds_the_same_model():
    builder = functools.partial(
        with_forget_gate_bias,
        functools.partial(SequenceModel, 2, 4, 1, cell="lstm", impl="torch.nn"),
        1.0,
    )
    again = pickle.loads(pickle.dumps(builder))
    torch.manual_seed(0)
    a = builder().state_dict()
    torch.manual_seed(0)
    b = again().state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_refuses_a_model_without_an_lstm():
    with pytest.raises(ValueError, match="needs an LSTM"):
        with_forget_gate_bias(
            functools.partial(SequenceModel, 2, 4, 1, cell="gru"), 1.0
        )
