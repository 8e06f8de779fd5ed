"""Additive attention (Bahdanau, Cho, Bengio 2015) in NumPy, forward and backward, with padding masks.

At decoder step t, with the decoder's previous state s_{t-1} (the query) and the encoder's
annotations h_1 .. h_S (the values; only j < length are real)::

    e_tj     = v^T tanh(W_a s_{t-1} + U_a h_j + b_a)     scores, (N, S)
    alpha_tj = exp(e_tj) / sum_{k < length} exp(e_tk)   for j < length, exactly 0 on padding
    c_t      = sum_j alpha_tj h_j                       the context vector, (N, d_k)

Parameters (names as in :class:`rnnbook.torch.AdditiveAttention`, three bias-free / biased
``torch.nn.Linear`` s)::

    W_a = query.weight  (d_a, d_q)      U_a = key.weight  (d_a, d_k)
    b_a = key.bias      (d_a,)          v   = energy.weight (1, d_a)

``U_a h_j + b_a`` does not depend on t, so it is computed once per source (:meth:`AdditiveAttention.project_keys`).
Backward through one step, with ``z_tj = tanh(...)`` and dL/dc_t given::

    dL/dalpha_tj = h_j . dL/dc_t            dL/dh_j += alpha_tj dL/dc_t
    dL/de_tj     = alpha_tj (dL/dalpha_tj - sum_k alpha_tk dL/dalpha_tk)     (0 on padding)
    dL/dpre_tj   = dL/de_tj v * (1 - z_tj^2)
    dL/ds_{t-1}  = W_a^T sum_j dL/dpre_tj    dL/dW_a = sum_j dL/dpre_tj s_{t-1}^T
    dL/dv        = sum_j dL/de_tj z_tj
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._shapes import positive_int
from ._params import copy_into
from .activations import tanh

__all__ = ["AdditiveAttention", "masked_softmax"]

Array = NDArray[np.floating]


def masked_softmax(scores: ArrayLike, mask: ArrayLike, axis: int = -1) -> Array:
    """Softmax of ``scores`` over the positions where ``mask`` is True; exactly 0 where it is False.

    Masked scores become ``-inf`` before the stable softmax (``exp(e - max e)`` with the maximum
    taken over the real positions), so ``exp(-inf) = 0`` gives padding exactly zero weight whatever
    its score, and no real weight underflows to 0 because the largest term is ``e^0 = 1``. Every
    row needs at least one True: ValueError otherwise (a softmax over nothing is undefined).
    """
    e = np.asarray(scores)
    m = np.broadcast_to(np.asarray(mask, dtype=bool), e.shape)
    if not np.all(np.any(m, axis=axis)):
        raise ValueError(
            "every row of the mask needs at least one real (True) position: a softmax over nothing is undefined"
        )
    masked = np.where(m, e, -np.inf)
    w = np.exp(masked - np.max(masked, axis=axis, keepdims=True))
    return w / np.sum(w, axis=axis, keepdims=True)


class AdditiveAttention:
    """Bahdanau attention ``e_tj = v^T tanh(W_a s_{t-1} + U_a h_j + b_a)`` with a masked softmax.

    ``AdditiveAttention(query_size, key_size, attention_size, dtype=np.float64, seed=None)``:
    ``query_size`` is d_q (the decoder's d_h), ``key_size`` d_k (the annotations' width,
    ``D * d_h`` for an encoder with D directions), ``attention_size`` d_a. Parameters are
    initialised as torch.nn.Linear's, U(-1/sqrt(fan_in), 1/sqrt(fan_in)).

    Stateless per step: :meth:`step` returns its cache and :meth:`step_backward` takes it back, so a
    decoder can run many steps before backpropagating through them in reverse order.
    """

    def __init__(
        self,
        query_size: int,
        key_size: int,
        attention_size: int,
        dtype: Any = np.float64,
        seed: int | None = None,
    ) -> None:
        for name, value in (
            ("query_size", query_size),
            ("key_size", key_size),
            ("attention_size", attention_size),
        ):
            positive_int(name, value)
        self.query_size, self.key_size, self.attention_size = (
            int(query_size),
            int(key_size),
            int(attention_size),
        )
        self.dtype = np.dtype(dtype)
        rng = np.random.default_rng(seed)
        self.params: dict[str, Array] = {}
        for name, shape in self._param_shapes().items():
            bound = 1.0 / np.sqrt(self.key_size if name == "key.bias" else shape[1])
            self.params[name] = rng.uniform(-bound, bound, size=shape).astype(
                self.dtype
            )
        self.grads: dict[str, Array] = {
            k: np.zeros_like(v) for k, v in self.params.items()
        }

    def _param_shapes(self) -> dict[str, tuple[int, ...]]:
        d_a = self.attention_size
        return {
            "query.weight": (d_a, self.query_size),
            "key.weight": (d_a, self.key_size),
            "key.bias": (d_a,),
            "energy.weight": (1, d_a),
        }

    def state_dict(self) -> dict[str, Array]:
        return {k: v.copy() for k, v in self.params.items()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Load arrays or tensors keyed like ``state_dict()``, checked first, copied in place."""
        copy_into(self.params, state)

    # ----------------------------------------------------------------- forward
    def project_keys(self, values: Array) -> Array:
        """``U_a h_j + b_a`` for every annotation: ``(N, S, d_k)`` -> ``(N, S, d_a)``, once per source."""
        return values @ self.params["key.weight"].T + self.params["key.bias"]

    def step(
        self, query: Array, keys: Array, values: Array, mask: NDArray[np.bool_]
    ) -> tuple[Array, Array, Any]:
        """One decoder step of attention.

        Args:
            query: ``(N, d_q)``, ``s_{t-1}``.
            keys: ``(N, S, d_a)`` from :meth:`project_keys`; values: ``(N, S, d_k)``, the annotations ``h_j``.
            mask: ``(N, S)`` bool, True on real source positions ``j < length``.

        Returns:
            ``(context, alpha, cache)``: ``c_t`` ``(N, d_k)``, the weights ``alpha_t`` ``(N, S)``
            (rows sum to 1, exactly 0 on padding), and what :meth:`step_backward` needs.
        """
        z = tanh(
            (query @ self.params["query.weight"].T)[:, None, :] + keys
        )  # (N, S, d_a)
        scores = z @ self.params["energy.weight"][0]  # e_tj: (N, S)
        alpha = masked_softmax(scores, mask)
        context = np.einsum("ns,nsd->nd", alpha, values)
        return context, alpha, (query, values, z, alpha)

    # ----------------------------------------------------------------- backward
    def step_backward(
        self, d_context: Array, cache: Any
    ) -> tuple[Array, Array, Array, dict[str, Array]]:
        """Backward through one :meth:`step`.

        Returns ``(d_query, d_keys, d_values, grads)``: gradients for ``s_{t-1}`` ``(N, d_q)``, the
        projected keys ``(N, S, d_a)`` and the annotations ``(N, S, d_k)``, and this step's
        ``{"query.weight": dL/dW_a, "energy.weight": dL/dv}`` (the caller sums them over steps).
        """
        query, values, z, alpha = cache
        d_alpha = np.einsum("nd,nsd->ns", d_context, values)
        d_values = alpha[:, :, None] * d_context[:, None, :]
        d_scores = alpha * (
            d_alpha - np.sum(alpha * d_alpha, axis=1, keepdims=True)
        )  # softmax backward; 0 on padding
        d_pre = (
            d_scores[:, :, None] * self.params["energy.weight"][0] * (1.0 - z**2)
        )  # (N, S, d_a)
        d_q = d_pre.sum(axis=1)  # the query is broadcast over j
        grads = {
            "query.weight": d_q.T @ query,
            "energy.weight": np.einsum("ns,nsa->a", d_scores, z)[None, :],
        }
        return d_q @ self.params["query.weight"], d_pre, d_values, grads

    def keys_backward(
        self, d_keys: Array, values: Array
    ) -> tuple[Array, dict[str, Array]]:
        """Backward through :meth:`project_keys`: ``(dL/dvalues, {"key.weight": ..., "key.bias": ...})``."""
        flat = d_keys.reshape(-1, self.attention_size)
        grads = {
            "key.weight": flat.T @ values.reshape(-1, self.key_size),
            "key.bias": flat.sum(axis=0),
        }
        return d_keys @ self.params["key.weight"], grads

    def __repr__(self) -> str:
        return f"AdditiveAttention(query_size={self.query_size}, key_size={self.key_size}, attention_size={self.attention_size})"
