"""A fully connected layer in NumPy, forward and backward, mirroring ``torch.nn.Linear``.

In the book it is the output layer of a recurrent network, applied at every time step::

    y_t = W_hy h_t + b_y        W_hy = weight (d_y, d_h),  b_y = bias (d_y,)

Backward, with ``dL/dy_t`` the upstream gradient::

    dL/dW_hy = sum_t dL/dy_t h_t^T     dL/db_y = sum_t dL/dy_t     dL/dh_t = W_hy^T dL/dy_t
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._shapes import check_same_shape, format_shape, positive_int
from ._params import copy_into, float_dtype

__all__ = ["Linear", "LinearCache"]

Array = NDArray[np.floating]


@dataclass
class LinearCache:
    """What :meth:`Linear.backward` needs from one ``forward`` call (``layer.cache``).

    Attributes:
        x: the input, cast to the layer's dtype, ``(..., in_features)``.
        output_shape: the shape of ``y``, ``(..., out_features)``.
    """

    x: Array
    output_shape: tuple[int, ...]


class Linear:
    """``y = x W^T + b`` on the last axis of ``x``, with torch.nn.Linear's arguments and parameter names.

    ``Linear(in_features, out_features, bias=True, dtype=np.float64, seed=None)``

    Parameters (``params``; ``grads`` after ``backward`` holds dL/d each):
        ``weight``: ``(out_features, in_features)``, the book's ``W_hy`` when used as the output layer;
        ``bias``: ``(out_features,)``, ``b_y`` (absent when ``bias=False``).

    ``forward(x)`` accepts any leading shape ``(..., in_features)`` (for example ``(T, N, d_h)``)
    and returns ``(..., out_features)``; ``backward(d_y)`` returns dL/dx in ``x``'s shape.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        dtype: Any = np.float64,
        seed: int | None = None,
    ) -> None:
        for name, value in (
            ("in_features", in_features),
            ("out_features", out_features),
        ):
            positive_int(name, value)
        dtype = float_dtype(dtype)
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        self.bias = bool(bias)
        self.dtype = dtype
        self.params: dict[str, Array] = {}
        self.reset_parameters(seed)
        self.grads: dict[str, Array] = {
            k: np.zeros_like(v) for k, v in self.params.items()
        }
        self.cache: LinearCache | None = None  # the last forward's; see backward

    def _param_shapes(self) -> dict[str, tuple[int, ...]]:
        shapes = {"weight": (self.out_features, self.in_features)}
        if self.bias:
            shapes["bias"] = (self.out_features,)
        return shapes

    def reset_parameters(self, seed: int | None = None) -> None:
        """torch.nn.Linear's default: weight and bias from U(-1/sqrt(in_features), 1/sqrt(in_features)).

        (torch draws the weight with ``kaiming_uniform_(a=sqrt(5))``, whose bound
        ``sqrt(6 / ((1 + a^2) fan_in))`` is exactly ``1/sqrt(fan_in)``.)
        """
        rng = np.random.default_rng(seed)
        bound = 1.0 / np.sqrt(self.in_features)
        self.params = {
            name: rng.uniform(-bound, bound, size=shape).astype(self.dtype)
            for name, shape in self._param_shapes().items()
        }

    def state_dict(self) -> dict[str, Array]:
        """A copy of the parameters, keyed ``weight`` and ``bias`` as in torch.nn.Linear."""
        return {k: v.copy() for k, v in self.params.items()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Load NumPy arrays or torch tensors keyed like torch.nn.Linear's state dict (checked, copied in place)."""
        copy_into(self.params, state)
        self.cache = None

    def _as_input(self, x: ArrayLike, name: str) -> Array:
        arr = np.asarray(x)
        if arr.dtype == bool or not (
            np.issubdtype(arr.dtype, np.floating)
            or np.issubdtype(arr.dtype, np.integer)
        ):
            raise TypeError(
                f"{name} must be a real floating-point array, got dtype {arr.dtype}"
            )
        return arr.astype(self.dtype, copy=False)

    def forward(self, x: ArrayLike) -> Array:
        """``y = x W^T + b``: ``x`` ``(..., in_features)`` -> ``y`` ``(..., out_features)``."""
        arr = self._as_input(x, "input")
        if arr.ndim < 1 or arr.shape[-1] != self.in_features:
            raise ValueError(
                f"input must have shape (..., {self.in_features}) (last axis in_features), got shape {format_shape(arr.shape)}"
            )
        y = arr @ self.params["weight"].T
        if self.bias:
            y = y + self.params["bias"]
        self.cache = LinearCache(arr, y.shape)
        return y

    __call__ = forward

    def backward(self, d_y: ArrayLike, cache: LinearCache | None = None) -> Array:
        """Gradients for a ``forward`` call: fills ``grads`` and returns dL/dx ``(..., in_features)``.

        Args:
            d_y: dL/dy with the shape ``forward`` returned, ``(..., out_features)``.
            cache: that call's :class:`LinearCache` (``layer.cache`` right after it); None: the
                last forward's, ``self.cache``.
        """
        cache = self.cache if cache is None else cache
        if cache is None:
            raise RuntimeError("backward() needs a forward() call first")
        x, y_shape = cache.x, cache.output_shape
        d = self._as_input(d_y, "d_y")
        check_same_shape(d.shape, y_shape, "d_y")
        d_flat = d.reshape(
            -1, self.out_features
        )  # every leading position is one "sample"
        grads = {"weight": d_flat.T @ x.reshape(-1, self.in_features)}
        if self.bias:
            grads["bias"] = d_flat.sum(axis=0)
        self.grads = grads
        return d @ self.params["weight"]

    def __repr__(self) -> str:
        extra = "" if self.bias else ", bias=False"
        return f"Linear(in_features={self.in_features}, out_features={self.out_features}{extra}, dtype={self.dtype.name})"
