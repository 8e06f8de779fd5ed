"""Optimisers and gradient-norm clipping for NumPy parameters, with torch.optim's update rules.

An optimiser holds ``params``, a dict ``name -> array``, and ``step(grads)`` updates those
arrays IN PLACE from ``grads``, a dict with the same names and shapes. Written with ``p`` a
parameter, ``g`` its gradient, ``lr`` the learning rate and ``t`` the step number (from 1)::

    SGD      v = mu v + g                  p = p - lr v     (v = 0 at first; mu = 0: plain SGD)
    Adagrad  G = G + g^2                   p = p - lr g / (sqrt(G) + eps)
    Adam     m = b1 m + (1 - b1) g         v = b2 v + (1 - b2) g^2
             m_hat = m / (1 - b1^t)        v_hat = v / (1 - b2^t)
             p = p - lr m_hat / (sqrt(v_hat) + eps)

These are exactly :mod:`torch.optim`'s formulas (no weight decay, no dampening, no Nesterov).
``state_dict()`` returns plain numbers (hyperparameters, the step count) and NumPy arrays
(the buffers, keyed ``"<buffer>/<parameter name>"`` with torch.optim's buffer names), so a
checkpoint can store it without pickling.

:func:`clip_grad_norm_` rescales all gradients together when their global L2 norm exceeds a
threshold (Pascanu, Mikolov, Bengio 2013), with ``torch.nn.utils.clip_grad_norm_``'s formula.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._shapes import format_shape

__all__ = ["Optimizer", "SGD", "Adagrad", "Adam", "clip_grad_norm_", "snap_to_float32_"]

Array = NDArray[np.floating]


def _check_positive(name: str, value: Any) -> float:
    """``value`` as a float, or ValueError unless it is finite and > 0."""
    if isinstance(value, bool) or not isinstance(
        value, int | float | np.integer | np.floating
    ):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value}")
    return float(value)


def _check_unit_interval(name: str, value: Any) -> float:
    """``value`` as a float, or ValueError unless ``0 <= value < 1``."""
    if isinstance(value, bool) or not isinstance(
        value, int | float | np.integer | np.floating
    ):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {value}")
    return float(value)


def _check_non_negative(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(
        value, int | float | np.integer | np.floating
    ):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value}")
    return float(value)


def _check_names(
    got: Mapping[str, Any], expected: Mapping[str, Any], what: str
) -> None:
    missing = sorted(set(expected) - set(got))
    unexpected = sorted(set(got) - set(expected))
    if missing or unexpected:
        raise ValueError(
            f"{what} keys do not match the parameters: missing {missing}, unexpected {unexpected}"
        )


class Optimizer:
    """Base class: holds ``params`` and per-parameter buffers; subclasses define ``_update``.

    Args:
        params: ``name -> array`` (for example ``model.params``); the arrays themselves are
            kept and updated in place, so the model sees every step.
        lr: learning rate, a finite number > 0.

    Subclasses list their hyperparameters in ``hyperparameters`` and their buffers (arrays of
    each parameter's shape, zero at the start) in ``buffers``.
    """

    hyperparameters: tuple[str, ...] = ("lr",)
    buffers: tuple[str, ...] = ()
    _validators: dict[str, Any] = {"lr": _check_positive}

    def __init__(
        self, params: Mapping[str, Array], lr: float, **hyperparameters: Any
    ) -> None:
        if not isinstance(params, Mapping) or not params:
            raise ValueError(
                "params must be a non-empty dict name -> array (for example model.params)"
            )
        for name, p in params.items():
            if not isinstance(p, np.ndarray) or not np.issubdtype(p.dtype, np.floating):
                raise TypeError(
                    f"parameter {name!r} must be a floating-point numpy array, got {type(p).__name__}"
                )
        self.params: dict[str, Array] = dict(params)
        self.__dict__.update(self._check_hyperparameters({"lr": lr, **hyperparameters}))
        self.step_count = 0
        self.state: dict[str, dict[str, Array]] = {
            b: {name: np.zeros_like(p) for name, p in self.params.items()}
            for b in self.buffers
        }

    def _check_grads(self, grads: Mapping[str, Any]) -> dict[str, Array]:
        _check_names(grads, self.params, "grads")
        checked = {}
        for name, p in self.params.items():
            g = np.asarray(grads[name])
            if g.shape != p.shape:
                raise ValueError(
                    f"grads[{name!r}] must have shape {format_shape(p.shape)} (the parameter's), got {format_shape(g.shape)}"
                )
            checked[name] = g
        return checked

    def step(self, grads: Mapping[str, Any]) -> None:
        """Update every parameter in place from ``grads`` (same names and shapes as ``params``)."""
        checked = self._check_grads(grads)
        self.step_count += 1
        for name, p in self.params.items():
            self._update(name, p, checked[name])

    def _update(self, name: str, p: Array, g: Array) -> None:
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        """Hyperparameters and ``"step"`` as numbers; buffers as array copies keyed ``"<buffer>/<name>"``."""
        out: dict[str, Any] = {h: getattr(self, h) for h in self.hyperparameters}
        out["step"] = self.step_count
        for b, arrays in self.state.items():
            out.update({f"{b}/{name}": a.copy() for name, a in arrays.items()})
        return out

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned (numbers may come as 0-d arrays).

        Every key, shape and hyperparameter is checked before anything changes; buffers are
        copied into the existing arrays.
        """
        expected = {*self.hyperparameters, "step"} | {
            f"{b}/{n}" for b in self.buffers for n in self.params
        }
        _check_names(state, dict.fromkeys(expected), "optimizer state dict")
        hyper = self._check_hyperparameters(
            {h: _scalar(state[h]) for h in self.hyperparameters}
        )
        step = _scalar(state["step"])
        if (
            isinstance(step, bool)
            or not isinstance(step, int | float)
            or not float(step).is_integer()
            or step < 0
        ):
            raise ValueError(f"step must be an integer >= 0, got {step}")
        for b in self.buffers:
            for name, p in self.params.items():
                value = np.asarray(state[f"{b}/{name}"])
                if value.shape != p.shape:
                    raise ValueError(
                        f"{b}/{name} must have shape {format_shape(p.shape)}, got {format_shape(value.shape)}"
                    )
        self.__dict__.update(hyper)
        self.step_count = int(step)
        for b in self.buffers:
            for name in self.params:
                np.copyto(
                    self.state[b][name],
                    np.asarray(state[f"{b}/{name}"]),
                    casting="unsafe",
                )

    @classmethod
    def _check_hyperparameters(cls, values: Mapping[str, Any]) -> dict[str, float]:
        """Each hyperparameter checked by its validator in ``_validators``; returns them as floats."""
        return {h: cls._validators[h](h, values[h]) for h in cls.hyperparameters}

    def __repr__(self) -> str:
        hyper = ", ".join(f"{h}={getattr(self, h)}" for h in self.hyperparameters)
        return f"{type(self).__name__}({len(self.params)} parameters, {hyper})"


def _scalar(value: Any) -> Any:
    """A Python number from a number or a 0-d array (as np.load returns)."""
    arr = np.asarray(value)
    if arr.shape != ():
        raise ValueError(
            f"expected a number, got an array of shape {format_shape(arr.shape)}"
        )
    return arr.item()


class SGD(Optimizer):
    """Stochastic gradient descent with (heavy-ball) momentum, as torch.optim.SGD.

    ``v = mu v + g; p = p - lr v`` with ``mu = momentum`` (buffer ``momentum_buffer``, zero at
    first, so the first step is ``p - lr g``); ``momentum=0`` is plain ``p = p - lr g``.
    """

    hyperparameters = ("lr", "momentum")
    buffers = ("momentum_buffer",)

    _validators = {"lr": _check_positive, "momentum": _check_unit_interval}

    def __init__(
        self, params: Mapping[str, Array], lr: float, momentum: float = 0.0
    ) -> None:
        super().__init__(params, lr, momentum=momentum)

    def _update(self, name: str, p: Array, g: Array) -> None:
        v = self.state["momentum_buffer"][name]
        v *= self.momentum
        v += g
        p -= self.lr * v


class Adagrad(Optimizer):
    """Adagrad (Duchi et al. 2011), as torch.optim.Adagrad with its defaults.

    ``G = G + g^2; p = p - lr g / (sqrt(G) + eps)``: each coordinate's step shrinks with the
    sum of its squared gradients so far (buffer ``sum``, zero at first).
    """

    hyperparameters = ("lr", "eps")
    buffers = ("sum",)

    _validators = {"lr": _check_positive, "eps": _check_non_negative}

    def __init__(
        self, params: Mapping[str, Array], lr: float, eps: float = 1e-10
    ) -> None:
        super().__init__(params, lr, eps=eps)

    def _update(self, name: str, p: Array, g: Array) -> None:
        G = self.state["sum"][name]
        G += g * g
        p -= self.lr * (g / (np.sqrt(G) + self.eps))


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015) with bias correction, as torch.optim.Adam.

    With ``(b1, b2) = betas`` and ``t`` the step number (from 1)::

        m = b1 m + (1 - b1) g            (buffer exp_avg: running mean of g)
        v = b2 v + (1 - b2) g^2          (buffer exp_avg_sq: running mean of g^2)
        p = p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)

    which is ``p - lr m_hat / (sqrt(v_hat) + eps)`` with the bias-corrected ``m_hat``,
    ``v_hat``, written in the order torch evaluates it.
    """

    hyperparameters = ("lr", "beta1", "beta2", "eps")
    buffers = ("exp_avg", "exp_avg_sq")
    _validators = {
        "lr": _check_positive,
        "beta1": _check_unit_interval,
        "beta2": _check_unit_interval,
        "eps": _check_non_negative,
    }

    def __init__(
        self,
        params: Mapping[str, Array],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        if not isinstance(betas, tuple | list) or len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        super().__init__(params, lr, beta1=betas[0], beta2=betas[1], eps=eps)

    @property
    def betas(self) -> tuple[float, float]:
        return (self.beta1, self.beta2)

    def _update(self, name: str, p: Array, g: Array) -> None:
        m, v = self.state["exp_avg"][name], self.state["exp_avg_sq"][name]
        t = self.step_count
        m *= self.beta1
        m += (1.0 - self.beta1) * g
        v *= self.beta2
        v += (1.0 - self.beta2) * (g * g)
        step_size = self.lr / (1.0 - self.beta1**t)
        denom = np.sqrt(v) / math.sqrt(1.0 - self.beta2**t) + self.eps
        p -= step_size * (m / denom)


def clip_grad_norm_(grads: Mapping[str, Array], max_norm: float) -> float:
    """Clip the global L2 norm of all gradients, in place; return the norm before clipping.

    With ``||g|| = sqrt(sum over every gradient array of sum(g^2))``, every array is multiplied
    by ``max_norm / (||g|| + 1e-6)`` when that factor is below 1 (that is, when ``||g||``
    exceeds ``max_norm``, up to the 1e-6 that guards against division by zero), and left alone
    otherwise: the rule of Pascanu, Mikolov, Bengio (2013), ``g <- threshold g / ||g||``, with
    exactly ``torch.nn.utils.clip_grad_norm_``'s formula. The direction of the update is kept;
    only its length is capped. ``max_norm=inf`` only measures.

    Args:
        grads: ``name -> array`` (for example ``model.grads``), modified in place.
        max_norm: the threshold, > 0 (``inf`` allowed).
    """
    if isinstance(max_norm, bool) or not isinstance(
        max_norm, int | float | np.integer | np.floating
    ):
        raise TypeError(f"max_norm must be a number, got {type(max_norm).__name__}")
    if math.isnan(max_norm) or max_norm <= 0:
        raise ValueError(f"max_norm must be > 0, got {max_norm}")
    arrays = list(grads.values())
    for name, g in grads.items():
        if not isinstance(g, np.ndarray) or not np.issubdtype(g.dtype, np.floating):
            raise TypeError(
                f"grads[{name!r}] must be a floating-point numpy array, got {type(g).__name__}"
            )
    # Per-array norms in float64 first (no overflow of g^2 for float32 gradients), then the norm of those.
    norms = np.array(
        [np.linalg.norm(g.astype(np.float64, copy=False).ravel()) for g in arrays]
    )
    total = float(np.linalg.norm(norms)) if arrays else 0.0
    coef = max_norm / (total + 1e-6)
    if coef < 1.0:
        for g in arrays:
            g *= coef
    return total


def snap_to_float32_(params: Mapping[str, Array]) -> None:
    """Round every float64 array of ``params``, in place, to the nearest float32 value.

    The NumPy twin of :func:`rnnbook.torch.optim.snap_to_float32_`, which explains why the book's
    training loops call it after each update: last-bit differences between CPUs' kernels (about
    1e-16 of a value) vanish in the rounding (a grid of about 6e-8), so every machine continues
    from bit-identical parameters. Values beyond float32's range are left as they are; arrays of
    other dtypes are not touched.
    """
    limit = float(np.finfo(np.float32).max)
    for array in params.values():
        if isinstance(array, np.ndarray) and array.dtype == np.float64:
            with np.errstate(over="ignore"):
                rounded = array.astype(np.float32).astype(np.float64)
            np.copyto(array, rounded, where=np.abs(array) <= limit)
