"""Loading parameters: one checked copy shared by every NumPy model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .._shapes import format_shape


def float_dtype(dtype: Any) -> np.dtype:
    """``dtype`` as a NumPy dtype, or ``TypeError`` unless it is float32 or float64 (the layers' parameter types)."""
    dtype = np.dtype(dtype)
    if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"dtype must be float32 or float64, got {dtype}")
    return dtype


def to_numpy(value: Any) -> np.ndarray:
    """An array from a NumPy array, a list or a torch tensor (without importing torch)."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def copy_into(params: Mapping[str, np.ndarray], state: Mapping[str, Any]) -> None:
    """Copy ``state`` (NumPy arrays or torch tensors) into the arrays of ``params``, in place.

    Keys, shapes and dtypes are all checked before anything is copied, so a bad mapping leaves
    ``params`` unchanged. Copying into the existing arrays (converting to their dtype) keeps
    every reference to them valid, such as an optimiser built on ``params``.
    """
    missing = sorted(set(params) - set(state))
    unexpected = sorted(set(state) - set(params))
    if missing or unexpected:
        raise ValueError(
            f"state dict keys do not match: missing {missing}, unexpected {unexpected}"
        )
    values = {}
    for name, target in params.items():
        value = to_numpy(state[name])
        if value.shape != target.shape:
            raise ValueError(
                f"{name} must have shape {format_shape(target.shape)}, got {format_shape(value.shape)}"
            )
        if not np.issubdtype(value.dtype, np.number) or np.issubdtype(
            value.dtype, np.complexfloating
        ):
            raise TypeError(f"{name} must hold real numbers, got dtype {value.dtype}")
        values[name] = value
    for name, value in values.items():
        np.copyto(params[name], value, casting="unsafe")
