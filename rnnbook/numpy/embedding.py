"""A token embedding in NumPy, forward and backward, mirroring ``torch.nn.Embedding``.

Token ``k`` is mapped to row ``k`` of a table ``E`` (``weight``, shape ``(V, d_e)``)::

    x_t = E[token_t] = E^T onehot(token_t)

so an embedding is a linear layer on one-hot vectors without the matmul. Backward, each row
collects the gradients of the positions that looked it up::

    dL/dE[k] = sum over positions with token_t = k of dL/dx_t
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._shapes import check_same_shape, positive_int
from ._params import copy_into, float_dtype, to_numpy

__all__ = ["Embedding", "EmbeddingCache", "check_tokens"]

Array = NDArray[np.floating]


def check_tokens(ids: Any, vocab_size: int, name: str) -> NDArray[np.int64]:
    """``ids`` as an int64 array of token indices in ``[0, vocab_size)``, or a clear TypeError / ValueError."""
    arr = to_numpy(ids)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(
            f"{name} must be an integer array of token indices, got dtype {arr.dtype}"
        )
    if arr.size and (arr.min() < 0 or arr.max() >= vocab_size):
        raise ValueError(
            f"{name} must lie in [0, {vocab_size}) (the vocabulary), got values in [{arr.min()}, {arr.max()}]"
        )
    return arr.astype(np.int64, copy=False)


@dataclass
class EmbeddingCache:
    """What :meth:`Embedding.backward` needs from one ``forward`` call (``layer.cache``): the token ids ``(...)``."""

    ids: NDArray[np.int64]


class Embedding:
    """Lookup table with torch.nn.Embedding's arguments, parameter name and initialisation.

    ``Embedding(num_embeddings, embedding_dim, dtype=np.float64, seed=None)``

    Parameters (``params``; ``grads`` after ``backward``): ``weight`` ``(V, d_e)``, the table
    ``E``, drawn from N(0, 1) as torch.nn.Embedding does. ``forward(ids)`` takes integer tokens
    of any shape ``(...)`` and returns ``(..., d_e)``; ``backward(d_x)`` fills ``grads["weight"]``.
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        dtype: Any = np.float64,
        seed: int | None = None,
    ) -> None:
        for name, value in (
            ("num_embeddings", num_embeddings),
            ("embedding_dim", embedding_dim),
        ):
            positive_int(name, value)
        dtype = float_dtype(dtype)
        self.num_embeddings = int(num_embeddings)
        self.embedding_dim = int(embedding_dim)
        self.dtype = dtype
        self.params: dict[str, Array] = {}
        self.reset_parameters(seed)
        self.grads: dict[str, Array] = {"weight": np.zeros_like(self.params["weight"])}
        self.cache: EmbeddingCache | None = None  # the last forward's; see backward

    def reset_parameters(self, seed: int | None = None) -> None:
        """torch.nn.Embedding's default: every entry from N(0, 1)."""
        rng = np.random.default_rng(seed)
        self.params = {
            "weight": rng.standard_normal(
                (self.num_embeddings, self.embedding_dim)
            ).astype(self.dtype)
        }

    def state_dict(self) -> dict[str, Array]:
        """A copy of the table, keyed ``weight`` as in torch.nn.Embedding."""
        return {"weight": self.params["weight"].copy()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Load a ``{"weight": (V, d_e)}`` mapping (arrays or tensors), checked first, copied in place."""
        copy_into(self.params, state)
        self.cache = None

    def forward(self, ids: ArrayLike) -> Array:
        """``E[ids]``: tokens ``(...)`` -> vectors ``(..., d_e)``."""
        arr = check_tokens(ids, self.num_embeddings, "ids")
        self.cache = EmbeddingCache(arr)
        return self.params["weight"][arr]

    __call__ = forward

    def backward(self, d_x: ArrayLike, cache: EmbeddingCache | None = None) -> None:
        """Fill ``grads["weight"]`` from dL/d(output) ``(..., d_e)``: row ``k`` sums the gradients of the positions holding ``k``.

        ``cache``: the :class:`EmbeddingCache` of the ``forward`` call to differentiate (None: the
        last one's, ``self.cache``).
        """
        cache = self.cache if cache is None else cache
        if cache is None:
            raise RuntimeError("backward() needs a forward() call first")
        ids = cache.ids
        d = np.asarray(d_x, dtype=self.dtype)
        check_same_shape(d.shape, (*ids.shape, self.embedding_dim), "d_x")
        grad = np.zeros_like(self.params["weight"])
        np.add.at(
            grad, ids.reshape(-1), d.reshape(-1, self.embedding_dim)
        )  # repeated tokens accumulate
        self.grads = {"weight": grad}

    def __repr__(self) -> str:
        return f"Embedding({self.num_embeddings}, {self.embedding_dim}, dtype={self.dtype.name})"
