"""``impl="torch.nn"``: torch.nn's fused layers behind rnnbook's layer interface agree with the book's layers."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import rnnbook.torch as rt  # noqa: E402
from conftest import CELLS  # noqa: E402


def _pair(cell, seed, **kwargs):
    """A SequenceModel of each impl with the same weights (random, drawn from ``seed``)."""
    torch.manual_seed(seed)
    ours = rt.SequenceModel(3, 5, 2, cell=cell, dtype=torch.float64, **kwargs)
    fused = rt.SequenceModel(
        3, 5, 2, cell=cell, dtype=torch.float64, impl="torch.nn", **kwargs
    )
    fused.load_state_dict(
        ours.state_dict()
    )  # the same names and shapes, or this raises
    return ours, fused


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("readout", ["last", "all"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_same_outputs_and_gradients(cell, readout, bidirectional):
    ours, fused = _pair(
        cell, 1, readout=readout, num_layers=2, bidirectional=bidirectional
    )
    rng = np.random.default_rng(2)
    x = torch.tensor(rng.standard_normal((4, 7, 3)))
    lengths = torch.tensor([7, 3, 5, 1])
    results = []
    for model in (ours, fused):
        model.zero_grad()
        out = model(x, lengths=lengths)
        out.pow(2).sum().backward()
        results.append(
            (out.detach(), {k: p.grad.clone() for k, p in model.named_parameters()})
        )
    (out_a, grads_a), (out_b, grads_b) = results
    torch.testing.assert_close(out_b, out_a, atol=1e-10, rtol=0)
    assert grads_a.keys() == grads_b.keys()
    for name in grads_a:
        torch.testing.assert_close(
            grads_b[name], grads_a[name], atol=1e-10, rtol=0, msg=name
        )


@pytest.mark.parametrize("cell", CELLS)
def test_charmodel_fused_matches(cell):
    torch.manual_seed(0)
    ours = rt.CharModel(11, 6, cell=cell, num_layers=2, dtype=torch.float64)
    fused = rt.CharModel(
        11, 6, cell=cell, num_layers=2, dtype=torch.float64, impl="torch.nn"
    )
    fused.load_state_dict(ours.state_dict())
    ids = torch.randint(0, 11, (9, 4))
    (la, sa), (lb, sb) = ours(ids), fused(ids)
    torch.testing.assert_close(lb, la, atol=1e-10, rtol=0)
    for a, b in zip(
        sa if isinstance(sa, tuple) else (sa,), sb if isinstance(sb, tuple) else (sb,)
    ):
        torch.testing.assert_close(b, a, atol=1e-10, rtol=0)


def test_unknown_impl_is_rejected():
    with pytest.raises(ValueError, match="impl must be one of"):
        rt.SequenceModel(2, 4, 1, cell="lstm", impl="cudnn")


def test_fused_has_no_minimal_cells():
    with pytest.raises(ValueError, match="impl='torch.nn' has the cells"):
        rt.make_recurrent("mingru", 2, 4, impl="torch.nn")


def test_fused_gru_needs_reset_after():
    with pytest.raises(ValueError, match="reset_after=False needs impl='rnnbook'"):
        rt.SequenceModel(2, 4, 1, cell="gru", impl="torch.nn", reset_after=False)
