"""The two published placements of the GRU's reset gate, checked against direct transcriptions.

Cho et al. 2014 apply r_t to h_{t-1} before the recurrent matmul; torch.nn and cuDNN apply it
after. torch.nn has no layer for the first, so both backends' ``reset_after=False`` are compared
with a step-by-step transcription of the paper's equations written here with autograd.
"""

import numpy as np
import pytest
import torch

import rnnbook.numpy as rnp
import rnnbook.torch as rtorch


def cho_gru_transcription(x, h0, W_ih, W_hh, b_ih, b_hh):
    """r = s(W_xr x + b_xr + W_hr h + b_hr); z likewise; n = tanh(W_xn x + b_xn + W_hn (r*h) + b_hn); h = (1-z) n + z h."""
    W_xr, W_xz, W_xn = W_ih.chunk(3)
    W_hr, W_hz, W_hn = W_hh.chunk(3)
    b_xr, b_xz, b_xn = b_ih.chunk(3)
    b_hr, b_hz, b_hn = b_hh.chunk(3)
    h, hs = h0, []
    for x_t in x:
        r = torch.sigmoid(x_t @ W_xr.T + b_xr + h @ W_hr.T + b_hr)
        z = torch.sigmoid(x_t @ W_xz.T + b_xz + h @ W_hz.T + b_hz)
        n = torch.tanh(x_t @ W_xn.T + b_xn + (r * h) @ W_hn.T + b_hn)
        h = (1 - z) * n + z * h
        hs.append(h)
    return torch.stack(hs)


@pytest.fixture
def case():
    rng = np.random.default_rng(0)
    T, N, d_x, d_h = 6, 3, 4, 5
    layer = rnp.GRU(d_x, d_h, reset_after=False, seed=1)
    params = {k: torch.tensor(v, requires_grad=True) for k, v in layer.params.items()}
    x = rng.standard_normal((T, N, d_x))
    h0 = rng.standard_normal((1, N, d_h))
    d_out = rng.standard_normal((T, N, d_h))
    xt = torch.tensor(x, requires_grad=True)
    h0t = torch.tensor(h0[0], requires_grad=True)
    out = cho_gru_transcription(
        xt,
        h0t,
        params["weight_ih_l0"],
        params["weight_hh_l0"],
        params["bias_ih_l0"],
        params["bias_hh_l0"],
    )
    (out * torch.tensor(d_out)).sum().backward()
    return (
        layer,
        x,
        h0,
        d_out,
        out.detach().numpy(),
        xt.grad.numpy(),
        h0t.grad.numpy(),
        {k: p.grad.numpy() for k, p in params.items()},
    )


def test_numpy_cho_gru_matches_transcription(case):
    layer, x, h0, d_out, out, d_x, d_h0, grads = case
    got, _ = layer.forward(x, h0)
    np.testing.assert_allclose(got, out, rtol=0, atol=1e-12)
    got_dx, got_dh0 = layer.backward(d_out)
    np.testing.assert_allclose(got_dx, d_x, rtol=0, atol=1e-12)
    np.testing.assert_allclose(got_dh0[0], d_h0, rtol=0, atol=1e-12)
    for name, g in grads.items():
        np.testing.assert_allclose(
            layer.grads[name], g, rtol=0, atol=1e-12, err_msg=name
        )


def test_torch_cho_gru_matches_transcription(case):
    layer, x, h0, d_out, out, d_x, d_h0, grads = case
    ours = rtorch.GRU(x.shape[-1], h0.shape[-1], reset_after=False, dtype=torch.float64)
    ours.load_state_dict({k: torch.tensor(v) for k, v in layer.params.items()})
    xt, h0t = torch.tensor(x, requires_grad=True), torch.tensor(h0, requires_grad=True)
    got, _ = ours(xt, h0t)
    np.testing.assert_allclose(got.detach().numpy(), out, rtol=0, atol=1e-12)
    (got * torch.tensor(d_out)).sum().backward()
    np.testing.assert_allclose(xt.grad.numpy(), d_x, rtol=0, atol=1e-12)
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(
            p.grad.numpy(), grads[name], rtol=0, atol=1e-12, err_msg=name
        )


def test_the_two_placements_differ():
    """Same weights, different equations: the outputs must not coincide (else the option does nothing)."""
    after = rnp.GRU(3, 4, seed=0)
    before = rnp.GRU(3, 4, seed=0, reset_after=False)
    x = np.random.default_rng(1).standard_normal((5, 2, 3))
    assert np.max(np.abs(after.forward(x)[0] - before.forward(x)[0])) > 1e-3
