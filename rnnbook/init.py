"""Initialisations for the recurrent weights, working on both backends.

Each function takes a layer from :mod:`rnnbook.numpy` (parameters in ``layer.params``) or
:mod:`rnnbook.torch` / :mod:`torch.nn` (parameters as ``named_parameters()``), changes its
parameters in place and returns the layer. Every gate block of ``weight_hh`` (one for RNN, four
for LSTM, three for GRU) is treated as its own ``d_h x d_h`` matrix W_hh.

* :func:`scale_recurrent_` rescales W_hh to a chosen largest singular value sigma_max, the
  quantity in Pascanu et al. 2013's conditions for vanishing and exploding gradients.
* :func:`orthogonal_recurrent_` draws W_hh orthogonal (all singular values equal ``gain``).
* :func:`identity_recurrent_` sets W_hh = scale * I and the biases to 0: the IRNN of Le, Jaitly
  and Hinton 2015 (meant for ``nonlinearity="relu"``).
* :func:`forget_gate_bias_` sets an LSTM's forget-gate bias b_f (Gers et al. 2000 and
  Jozefowicz et al. 2015 recommend a positive value such as 1); :func:`with_forget_gate_bias`
  does it to a freshly built model, in a form that can be sent to a worker process.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = [
    "scale_recurrent_",
    "orthogonal_recurrent_",
    "identity_recurrent_",
    "forget_gate_bias_",
    "with_forget_gate_bias",
    "spectral_norms",
]


def _params(layer: Any) -> dict[str, np.ndarray]:
    """Copies of the layer's parameters as NumPy arrays."""
    if hasattr(layer, "params"):
        return {k: np.array(v) for k, v in layer.params.items()}
    if hasattr(layer, "named_parameters"):
        return {k: p.detach().cpu().numpy().copy() for k, p in layer.named_parameters()}
    raise TypeError(
        f"expected an rnnbook or torch recurrent layer, got {type(layer).__name__}"
    )


def _assign(layer: Any, name: str, value: np.ndarray) -> None:
    if hasattr(layer, "params"):
        layer.params[name][...] = value
        return
    import torch

    param = dict(layer.named_parameters())[name]
    with torch.no_grad():
        param.copy_(torch.as_tensor(value, dtype=param.dtype, device=param.device))


def _map_hh_blocks(layer: Any, f: Callable[[np.ndarray, int], np.ndarray]) -> Any:
    """Replace every ``d_h x d_h`` block ``k`` of every ``weight_hh_*`` by ``f(block, k)``."""
    for name, w in _params(layer).items():
        if name.startswith("weight_hh"):
            H = w.shape[1]
            blocks = [f(w[k * H : (k + 1) * H], k) for k in range(w.shape[0] // H)]
            _assign(layer, name, np.concatenate(blocks))
    return layer


def spectral_norms(layer: Any) -> dict[str, list[float]]:
    """The largest singular value sigma_max of every W_hh gate block, per ``weight_hh_*`` parameter."""
    out: dict[str, list[float]] = {}
    for name, w in _params(layer).items():
        if name.startswith("weight_hh"):
            H = w.shape[1]
            out[name] = [
                float(np.linalg.norm(w[k * H : (k + 1) * H], 2))
                for k in range(w.shape[0] // H)
            ]
    return out


def scale_recurrent_(layer: Any, sigma_max: float) -> Any:
    """Rescale each W_hh block so that its largest singular value is ``sigma_max`` (> 0)."""
    if not np.isfinite(sigma_max) or sigma_max <= 0:
        raise ValueError(f"sigma_max must be a finite number > 0, got {sigma_max}")

    def rescale(block: np.ndarray, _: int) -> np.ndarray:
        norm = np.linalg.norm(block, 2)
        if norm == 0:
            raise ValueError("cannot rescale an all-zero W_hh")
        return block * (sigma_max / norm)

    return _map_hh_blocks(layer, rescale)


def orthogonal_recurrent_(
    layer: Any, gain: float = 1.0, seed: int | None = None
) -> Any:
    """Draw each W_hh block as ``gain`` times a random orthogonal matrix (QR of a Gaussian, sign-fixed)."""
    rng = np.random.default_rng(seed)

    def orthogonal(block: np.ndarray, _: int) -> np.ndarray:
        q, r = np.linalg.qr(rng.standard_normal(block.shape))
        return (
            gain * q * np.sign(np.diag(r))
        )  # sign fix makes Q uniformly (Haar) distributed

    return _map_hh_blocks(layer, orthogonal)


def identity_recurrent_(layer: Any, scale: float = 1.0) -> Any:
    """IRNN initialisation: each W_hh block = ``scale * I`` and every bias = 0 (Le et al. 2015)."""
    _map_hh_blocks(
        layer, lambda block, _: scale * np.eye(block.shape[0], dtype=block.dtype)
    )
    for name, b in _params(layer).items():
        if name.startswith("bias"):
            _assign(layer, name, np.zeros_like(b))
    return layer


def forget_gate_bias_(layer: Any, value: float = 1.0) -> Any:
    """Set an LSTM's forget-gate bias b_f (rows d_h:2 d_h, gate order i, f, g, o) to ``value``.

    torch.nn keeps two biases whose sum is b_f: ``bias_ih`` gets ``value`` and ``bias_hh`` 0.
    """
    params = _params(layer)
    names = [n for n in params if n.startswith("bias_ih")]
    if not names:
        raise ValueError("the layer has no biases (bias=False)")
    for name in names:
        suffix = name[len("bias_ih") :]  # "_l0", "_l1_reverse", ...
        H = params["weight_hh" + suffix].shape[1]
        if params[name].shape[0] != 4 * H:
            raise ValueError(
                "forget_gate_bias_ needs an LSTM layer (four gate blocks i, f, g, o)"
            )
        for prefix, fill in (("bias_ih", value), ("bias_hh", 0.0)):
            b = params[prefix + suffix]
            b[H : 2 * H] = fill
            _assign(layer, prefix + suffix, b)
    return layer


def with_forget_gate_bias(build: Callable[[], Any], value: float = 1.0) -> Any:
    """``build()``, then :func:`forget_gate_bias_` with ``value`` on its recurrent layer.

    The layer is the model's ``rnn`` attribute (as in :class:`rnnbook.torch.SequenceModel`) or
    the built object itself. With ``build`` a class or ``functools.partial``,
    ``functools.partial(with_forget_gate_bias, build, 1.0)`` is a picklable builder, so
    :func:`rnnbook.training.supervised.fit_seeds` and :func:`rnnbook.training.supervised.fit_many` can train such models in
    worker processes.
    """
    model = build()
    forget_gate_bias_(getattr(model, "rnn", model), value)
    return model
