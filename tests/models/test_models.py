"""The Torch task model: read-outs, token inputs, shapes, bad input."""

import pytest
import torch

from conftest import CELLS
from rnnbook.torch import SequenceModel


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_last_readout_uses_the_final_state_of_each_direction(cell, bidirectional):
    torch.manual_seed(0)
    model = SequenceModel(
        3,
        4,
        2,
        cell=cell,
        readout="last",
        bidirectional=bidirectional,
        num_layers=2,
        dtype=torch.float64,
    )
    x = torch.randn(5, 7, 3, dtype=torch.float64)
    y = model(x)
    assert y.shape == (5, 2)
    out, _ = model.rnn(x)
    # forward direction: h_T is the last output; backward direction: its final state is the output at t = 1
    last = (
        out[:, -1, :4]
        if not bidirectional
        else torch.cat([out[:, -1, :4], out[:, 0, 4:]], dim=1)
    )
    torch.testing.assert_close(y, model.decoder(last), rtol=0, atol=1e-14)


def test_all_readout_and_token_inputs():
    torch.manual_seed(0)
    model = SequenceModel(
        0, 6, 10, cell="gru", readout="all", vocab_size=10, dtype=torch.float64
    )
    tokens = torch.randint(0, 10, (3, 8))
    y = model(tokens)
    assert y.shape == (3, 8, 10)
    onehot = torch.nn.functional.one_hot(tokens, 10).double()
    torch.testing.assert_close(y, model.decoder(model.rnn(onehot)[0]), rtol=0, atol=0)


def test_bad_input():
    with pytest.raises(ValueError, match="cell must be one of"):
        SequenceModel(3, 4, 1, cell="attention")
    with pytest.raises(ValueError, match="readout must be"):
        SequenceModel(3, 4, 1, readout="mean")
    model = SequenceModel(0, 4, 5, vocab_size=5)
    with pytest.raises(ValueError, match=r"\[0, 5\), got values in \[0, 7\]"):
        model(torch.tensor([[0, 7]]))
    with pytest.raises(TypeError, match="integer tensor"):
        model(torch.zeros(2, 3))
