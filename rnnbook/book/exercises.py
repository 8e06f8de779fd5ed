"""Implement-it-yourself exercises: checkers that grade a reader's function against the reference.

In the style of CS231n's assignments, a chapter asks the reader to write one step of a network,
forward or backward, and hands the function to a checker here. The checker calls it on several
random cases (random sizes, always with ``d_x != d_h`` so that a transposed input matrix has the
wrong shape, and a batch of more than one row), compares every output and every gradient with a
reference written from the book's equations, checks the reference's gradients against centred
finite differences (an independent check), and then either returns a :class:`Passed` report or
raises :class:`ExerciseError` saying exactly what is wrong: which output or gradient, in which
case, by how much, and, when it recognises the mistake, what the mistake probably is (a term left
out, a transposed weight, a wrong sign, ``h_t`` where ``h_{t-1}`` belongs).

Conventions (the book's code convention, batch in rows: ``W h`` is ``h @ W.T``):

* :func:`check_rnn_step_forward`: ``fn(x, h_prev, W_xh, W_hh, b_h) -> h``, with
  ``h = tanh(x W_xh^T + h_prev W_hh^T + b_h)``; ``x`` ``(N, d_x)``, ``h_prev`` ``(N, d_h)``,
  ``W_xh`` ``(d_h, d_x)``, ``W_hh`` ``(d_h, d_h)``, ``b_h`` ``(d_h,)``.
* :func:`check_rnn_step_backward`: ``fn(dh, x, h_prev, h, W_xh, W_hh) -> (dx, dh_prev, dW_xh,
  dW_hh, db_h)``, where ``h`` is the step's output and ``dh = dL/dh_t`` ``(N, d_h)``.
* :func:`check_lstm_step_backward`: ``fn(dh, dc, x, h_prev, c_prev, W_ih, W_hh, b) -> (dx,
  dh_prev, dc_prev, dW_ih, dW_hh, db)``, gates stacked ``i, f, g, o`` as in torch.nn:
  ``W_ih`` ``(4 d_h, d_x)``, ``W_hh`` ``(4 d_h, d_h)``, ``b`` ``(4 d_h,)``; :func:`lstm_step` is
  the forward step to call from it.
* :func:`check_gru_step`: ``fn(x, h_prev, W_ih, W_hh, b_ih, b_hh) -> h``, gates ``r, z, n`` as in
  torch.nn (reset gate applied after the recurrent product).
* :func:`check_beam_step`: ``fn(scores, log_probs, beam_width) -> (new_scores, parent, token)``:
  one step of beam search over ``B`` hypotheses and ``V`` tokens.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..numpy.gradcheck import numerical_gradient

__all__ = [
    "ExerciseError",
    "Passed",
    "lstm_step",
    "check_rnn_step_forward",
    "check_rnn_step_backward",
    "check_lstm_step_backward",
    "check_gru_step",
    "check_beam_step",
]

Array = NDArray[np.float64]


class ExerciseError(AssertionError):
    """The reader's function is wrong; the message says where, by how much, and (if recognised) why."""


@dataclass(frozen=True)
class Passed:
    """What a checker found when every case was right; shown as one line in a notebook."""

    exercise: str
    cases: int
    max_error: float
    checked: tuple[str, ...]

    def __repr__(self) -> str:
        # The tolerance, not max_error: the error's last digits depend on the CPU's kernels.
        return (
            f"{self.exercise}: correct on all {self.cases} random cases\n"
            f"  {', '.join(self.checked)}: equal to the reference within 1e-7 (relative)"
        )


# --------------------------------------------------------------------------- references (the book's equations)
def _sigmoid(z: Array) -> Array:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # the logistic function, stable for any z


def _rnn_forward(
    x: Array, h_prev: Array, W_xh: Array, W_hh: Array, b_h: Array
) -> Array:
    return np.tanh(x @ W_xh.T + h_prev @ W_hh.T + b_h)


def _rnn_backward(
    dh: Array, x: Array, h_prev: Array, h: Array, W_xh: Array, W_hh: Array
) -> tuple[Array, ...]:
    da = dh * (1.0 - h**2)  # tanh'(a) = 1 - tanh(a)^2 = 1 - h_t^2
    return da @ W_xh, da @ W_hh, da.T @ x, da.T @ h_prev, da.sum(axis=0)


def lstm_step(
    x: Array, h_prev: Array, c_prev: Array, W_ih: Array, W_hh: Array, b: Array
) -> tuple[Array, Array]:
    """The LSTM step of the book (gates ``i, f, g, o`` stacked as in torch.nn): ``(h_t, c_t)``.

    ``a = x W_ih^T + h_prev W_hh^T + b`` ``(N, 4 d_h)``; ``i, f, o = sigmoid(.)``, ``g = tanh(.)``;
    ``c_t = f * c_prev + i * g``; ``h_t = o * tanh(c_t)``.
    """
    a = x @ W_ih.T + h_prev @ W_hh.T + b
    i, f, g, o = np.split(a, 4, axis=1)
    i, f, g, o = _sigmoid(i), _sigmoid(f), np.tanh(g), _sigmoid(o)
    c = f * c_prev + i * g
    return o * np.tanh(c), c


def _lstm_backward(
    dh: Array,
    dc: Array,
    x: Array,
    h_prev: Array,
    c_prev: Array,
    W_ih: Array,
    W_hh: Array,
    b: Array,
) -> tuple[Array, ...]:
    a = x @ W_ih.T + h_prev @ W_hh.T + b
    i, f, g, o = np.split(a, 4, axis=1)
    i, f, g, o = _sigmoid(i), _sigmoid(f), np.tanh(g), _sigmoid(o)
    c = f * c_prev + i * g
    tc = np.tanh(c)
    dc_total = dc + dh * o * (1.0 - tc**2)
    da = np.concatenate(
        [
            dc_total * g * i * (1 - i),
            dc_total * c_prev * f * (1 - f),
            dc_total * i * (1 - g**2),
            dh * tc * o * (1 - o),
        ],
        axis=1,
    )
    return da @ W_ih, da @ W_hh, dc_total * f, da.T @ x, da.T @ h_prev, da.sum(axis=0)


def _gru_forward(
    x: Array, h_prev: Array, W_ih: Array, W_hh: Array, b_ih: Array, b_hh: Array
) -> Array:
    gx, gh = x @ W_ih.T + b_ih, h_prev @ W_hh.T + b_hh
    H = h_prev.shape[1]
    r = _sigmoid(gx[:, :H] + gh[:, :H])
    z = _sigmoid(gx[:, H : 2 * H] + gh[:, H : 2 * H])
    n = np.tanh(gx[:, 2 * H :] + r * gh[:, 2 * H :])
    return (1.0 - z) * n + z * h_prev


def _beam_step(
    scores: Array, log_probs: Array, beam_width: int
) -> tuple[Array, NDArray[np.int64], NDArray[np.int64]]:
    total = (scores[:, None] + log_probs).ravel()
    order = np.argsort(-total, kind="stable")[
        :beam_width
    ]  # ties: lower parent, then lower token
    parent, token = np.divmod(order, log_probs.shape[1])
    return total[order], parent, token


# --------------------------------------------------------------------------- comparing
def _sizes(rng: np.random.Generator) -> tuple[int, int, int]:
    N = int(rng.integers(2, 5))
    d_x = int(rng.integers(2, 7))
    d_h = int(rng.integers(3, 8))
    if d_h == d_x:
        d_h += 1
    return N, d_x, d_h


def _call(fn: Callable[..., Any], name: str, inputs: dict[str, Array]) -> Any:
    copies = {k: v.copy() for k, v in inputs.items()}
    try:
        result = fn(*copies.values())
    except (
        Exception
    ) as err:  # the reader's code raised: report it as the exercise's failure
        shapes = ", ".join(f"{k} {v.shape}" for k, v in inputs.items())
        raise ExerciseError(
            f"{name} raised {type(err).__name__}: {err} (called with {shapes})"
        ) from err
    for k, v in copies.items():
        if not np.array_equal(v, inputs[k]):
            raise ExerciseError(
                f"{name} changed its argument {k} in place; compute new arrays instead"
            )
    return result


def _outputs(result: Any, names: Sequence[str], exercise: str) -> list[Array]:
    if len(names) == 1:
        result = (result,)
    if not isinstance(result, tuple | list) or len(result) != len(names):
        got = (
            type(result).__name__
            if not isinstance(result, tuple | list)
            else f"{len(result)} values"
        )
        raise ExerciseError(
            f"{exercise} must return {len(names)} values ({', '.join(names)}), got {got}"
        )
    return [np.asarray(r, dtype=np.float64) for r in result]


def _diagnose(got: Array, want: Array, suspects: dict[str, Array]) -> str:
    """A hint naming the recognised mistake: the suspect whose value ``got`` equals."""
    for hint, value in suspects.items():
        if value.shape == got.shape and np.allclose(got, value, rtol=1e-6, atol=1e-9):
            return f" It equals {hint}."
    if got.shape == want.shape and np.allclose(got, -want, rtol=1e-6, atol=1e-9):
        return " It is the right value with the wrong sign."
    if (
        got.ndim == 2
        and got.T.shape == want.shape
        and np.allclose(got.T, want, rtol=1e-6, atol=1e-9)
    ):
        return " It is the transpose of the right value."
    return ""


def _compare(
    exercise: str,
    case: int,
    sizes: str,
    names: Sequence[str],
    got: Sequence[Array],
    want: Sequence[Array],
    suspects: dict[str, dict[str, Array]],
) -> float:
    worst = 0.0
    for name, g, w in zip(names, got, want):
        if g.shape != w.shape:
            hint = _diagnose(g, w, suspects.get(name, {}))
            if g.ndim == 2 and g.T.shape == w.shape and not hint:
                hint = " Its shape is the transpose of the right one: check which side each matrix multiplies on."
            raise ExerciseError(
                f"{exercise}, case {case} ({sizes}): {name} has shape {g.shape}, expected {w.shape}."
                + hint
            )
        err = float(np.max(np.abs(g - w))) if g.size else 0.0
        scale = 1.0 + float(np.max(np.abs(w))) if w.size else 1.0
        if not err <= 1e-7 * scale:
            hint = _diagnose(g, w, suspects.get(name, {}))
            raise ExerciseError(
                f"{exercise}, case {case} ({sizes}): {name} is wrong by up to {err:.3g} "
                f"(the right values are up to {scale - 1:.3g} in size).{hint}"
            )
        worst = max(worst, err)
    return worst


# --------------------------------------------------------------------------- the checkers
def check_rnn_step_forward(
    fn: Callable[..., Any], cases: int = 5, seed: int = 0
) -> Passed:
    """Grade ``fn(x, h_prev, W_xh, W_hh, b_h) -> h_t`` against ``tanh(x W_xh^T + h_prev W_hh^T + b_h)``."""
    rng = np.random.default_rng(seed)
    worst = 0.0
    for case in range(1, cases + 1):
        N, d_x, d_h = _sizes(rng)
        inputs = {
            "x": rng.standard_normal((N, d_x)),
            "h_prev": rng.standard_normal((N, d_h)),
            "W_xh": rng.standard_normal((d_h, d_x)) * 0.5,
            "W_hh": rng.standard_normal((d_h, d_h)) * 0.5,
            "b_h": rng.standard_normal(d_h),
        }
        x, h_prev, W_xh, W_hh, b_h = inputs.values()
        got = _outputs(
            _call(fn, "rnn_step_forward", inputs), ["h_t"], "rnn_step_forward"
        )
        want = [_rnn_forward(x, h_prev, W_xh, W_hh, b_h)]
        a = x @ W_xh.T + h_prev @ W_hh.T + b_h
        suspects = {
            "h_t": {
                "the pre-activation a_t without tanh: apply the nonlinearity": a,
                "tanh without the b_h term: add the bias": np.tanh(a - b_h),
                "tanh without the W_hh h_{t-1} term: the state must feed back": np.tanh(
                    a - h_prev @ W_hh.T
                ),
                "tanh without the W_xh x_t term: the input must enter": np.tanh(
                    a - x @ W_xh.T
                ),
                "the result with W_hh transposed (h_prev @ W_hh instead of h_prev @ W_hh.T)": np.tanh(
                    x @ W_xh.T + h_prev @ W_hh + b_h
                ),
                "sigmoid(a_t) instead of tanh(a_t)": _sigmoid(a),
            }
        }
        worst = max(
            worst,
            _compare(
                "rnn_step_forward",
                case,
                f"N={N}, d_x={d_x}, d_h={d_h}",
                ["h_t"],
                got,
                want,
                suspects,
            ),
        )
    return Passed("rnn_step_forward", cases, max(worst, 1e-16), ("h_t",))


def check_rnn_step_backward(
    fn: Callable[..., Any], cases: int = 5, seed: int = 0
) -> Passed:
    """Grade ``fn(dh, x, h_prev, h, W_xh, W_hh) -> (dx, dh_prev, dW_xh, dW_hh, db_h)``.

    The reference gradients are those of ``L = sum(dh * h_t)`` through one tanh step, checked against
    finite differences in every case.
    """
    names = ["dx", "dh_prev", "dW_xh", "dW_hh", "db_h"]
    rng = np.random.default_rng(seed)
    worst = 0.0
    for case in range(1, cases + 1):
        N, d_x, d_h = _sizes(rng)
        x, h_prev = rng.standard_normal((N, d_x)), rng.standard_normal((N, d_h))
        W_xh, W_hh, b_h = (
            rng.standard_normal((d_h, d_x)) * 0.5,
            rng.standard_normal((d_h, d_h)) * 0.5,
            rng.standard_normal(d_h),
        )
        dh = rng.standard_normal((N, d_h))
        h = _rnn_forward(x, h_prev, W_xh, W_hh, b_h)
        want = list(_rnn_backward(dh, x, h_prev, h, W_xh, W_hh))
        _check_reference(
            lambda: float(np.sum(dh * _rnn_forward(x, h_prev, W_xh, W_hh, b_h))),
            [x, h_prev, W_xh, W_hh, b_h],
            want,
            names,
        )
        inputs = {
            "dh": dh,
            "x": x,
            "h_prev": h_prev,
            "h": h,
            "W_xh": W_xh,
            "W_hh": W_hh,
        }
        got = _outputs(
            _call(fn, "rnn_step_backward", inputs), names, "rnn_step_backward"
        )
        da_no_tanh = dh  # the mistake of forgetting tanh' = 1 - h^2
        da = dh * (1.0 - h**2)
        suspects = {
            "dx": {
                "dh @ W_xh without the tanh derivative (1 - h_t^2)": da_no_tanh @ W_xh
            },
            "dh_prev": {
                "dh @ W_hh without the tanh derivative (1 - h_t^2)": da_no_tanh @ W_hh,
                "da @ W_hh.T: the transposed matrix (use da @ W_hh)": da @ W_hh.T,
            },
            "dW_xh": {
                "dh^T x without the tanh derivative (1 - h_t^2)": da_no_tanh.T @ x
            },
            "dW_hh": {
                "da^T h_t: it needs h_{t-1}, the input of W_hh, not h_t": da.T @ h,
                "dh^T h_{t-1} without the tanh derivative (1 - h_t^2)": da_no_tanh.T
                @ h_prev,
            },
            "db_h": {
                "the sum of dh without the tanh derivative (1 - h_t^2)": da_no_tanh.sum(
                    axis=0
                ),
                "the mean over the batch instead of the sum": da.mean(axis=0),
            },
        }
        worst = max(
            worst,
            _compare(
                "rnn_step_backward",
                case,
                f"N={N}, d_x={d_x}, d_h={d_h}",
                names,
                got,
                want,
                suspects,
            ),
        )
    return Passed("rnn_step_backward", cases, max(worst, 1e-16), tuple(names))


def check_lstm_step_backward(
    fn: Callable[..., Any], cases: int = 5, seed: int = 0
) -> Passed:
    """Grade ``fn(dh, dc, x, h_prev, c_prev, W_ih, W_hh, b) -> (dx, dh_prev, dc_prev, dW_ih, dW_hh, db)``.

    The reference gradients are those of ``L = sum(dh * h_t) + sum(dc * c_t)`` through
    :func:`lstm_step`, checked against finite differences in every case.
    """
    names = ["dx", "dh_prev", "dc_prev", "dW_ih", "dW_hh", "db"]
    rng = np.random.default_rng(seed)
    worst = 0.0
    for case in range(1, cases + 1):
        N, d_x, d_h = _sizes(rng)
        x, h_prev, c_prev = (
            rng.standard_normal((N, d_x)),
            rng.standard_normal((N, d_h)),
            rng.standard_normal((N, d_h)),
        )
        W_ih, W_hh = (
            rng.standard_normal((4 * d_h, d_x)) * 0.5,
            rng.standard_normal((4 * d_h, d_h)) * 0.5,
        )
        b = rng.standard_normal(4 * d_h)
        dh, dc = rng.standard_normal((N, d_h)), rng.standard_normal((N, d_h))

        def loss() -> float:
            h, c = lstm_step(x, h_prev, c_prev, W_ih, W_hh, b)
            return float(np.sum(dh * h) + np.sum(dc * c))

        want = list(_lstm_backward(dh, dc, x, h_prev, c_prev, W_ih, W_hh, b))
        _check_reference(loss, [x, h_prev, c_prev, W_ih, W_hh, b], want, names)
        inputs = {
            "dh": dh,
            "dc": dc,
            "x": x,
            "h_prev": h_prev,
            "c_prev": c_prev,
            "W_ih": W_ih,
            "W_hh": W_hh,
            "b": b,
        }
        got = _outputs(
            _call(fn, "lstm_step_backward", inputs), names, "lstm_step_backward"
        )
        no_dc = _lstm_backward(dh, np.zeros_like(dc), x, h_prev, c_prev, W_ih, W_hh, b)
        no_dh_path = _lstm_backward(
            np.zeros_like(dh), dc, x, h_prev, c_prev, W_ih, W_hh, b
        )
        suspects = {
            name: {
                "the gradient without the incoming dL/dc_t: add dc to the cell's total gradient": no_dc[
                    k
                ],
                "the gradient without the path through h_t = o_t tanh(c_t) into c_t": no_dh_path[
                    k
                ],
            }
            for k, name in enumerate(names)
        }
        f = _sigmoid(np.split(x @ W_ih.T + h_prev @ W_hh.T + b, 4, axis=1)[1])
        suspects["dc_prev"][
            "dL/dc_t before the product with f_t: the cell path multiplies by f_t"
        ] = want[2] / f
        worst = max(
            worst,
            _compare(
                "lstm_step_backward",
                case,
                f"N={N}, d_x={d_x}, d_h={d_h}",
                names,
                got,
                want,
                suspects,
            ),
        )
    return Passed("lstm_step_backward", cases, max(worst, 1e-16), tuple(names))


def check_gru_step(fn: Callable[..., Any], cases: int = 5, seed: int = 0) -> Passed:
    """Grade ``fn(x, h_prev, W_ih, W_hh, b_ih, b_hh) -> h_t``, the GRU step with gates ``r, z, n``:

    ``r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)``, ``z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)``,
    ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``, ``h_t = (1 - z) * n + z * h_{t-1}``.
    """
    rng = np.random.default_rng(seed)
    worst = 0.0
    for case in range(1, cases + 1):
        N, d_x, d_h = _sizes(rng)
        inputs = {
            "x": rng.standard_normal((N, d_x)),
            "h_prev": rng.standard_normal((N, d_h)),
            "W_ih": rng.standard_normal((3 * d_h, d_x)) * 0.5,
            "W_hh": rng.standard_normal((3 * d_h, d_h)) * 0.5,
            "b_ih": rng.standard_normal(3 * d_h),
            "b_hh": rng.standard_normal(3 * d_h),
        }
        x, h_prev, W_ih, W_hh, b_ih, b_hh = inputs.values()
        got = _outputs(_call(fn, "gru_step", inputs), ["h_t"], "gru_step")
        want = [_gru_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh)]
        gx, gh = x @ W_ih.T + b_ih, h_prev @ W_hh.T + b_hh
        H = d_h
        r, z = (
            _sigmoid(gx[:, :H] + gh[:, :H]),
            _sigmoid(gx[:, H : 2 * H] + gh[:, H : 2 * H]),
        )
        n = np.tanh(gx[:, 2 * H :] + r * gh[:, 2 * H :])
        n_before = np.tanh(
            gx[:, 2 * H :] + (r * h_prev) @ W_hh[2 * H :].T + b_hh[2 * H :]
        )
        suspects = {
            "h_t": {
                "z * n + (1 - z) * h_{t-1}: the roles of z_t are swapped (torch.nn keeps h_{t-1} where z_t is 1)": z
                * n
                + (1 - z) * h_prev,
                "the GRU with the reset gate before the recurrent product (Cho et al.'s placement); torch.nn "
                "applies r_t to W_hn h_{t-1} + b_hn": (1 - z) * n_before + z * h_prev,
                "the GRU without the reset gate (r_t = 1)": (1 - z)
                * np.tanh(gx[:, 2 * H :] + gh[:, 2 * H :])
                + z * h_prev,
                "the candidate n_t alone: mix it with h_{t-1} through z_t": n,
                "the result with the gate blocks in the order z, r, n (torch.nn stacks r, z, n)": _gru_forward(
                    x,
                    h_prev,
                    np.concatenate([W_ih[H : 2 * H], W_ih[:H], W_ih[2 * H :]]),
                    np.concatenate([W_hh[H : 2 * H], W_hh[:H], W_hh[2 * H :]]),
                    np.concatenate([b_ih[H : 2 * H], b_ih[:H], b_ih[2 * H :]]),
                    np.concatenate([b_hh[H : 2 * H], b_hh[:H], b_hh[2 * H :]]),
                ),
            }
        }
        worst = max(
            worst,
            _compare(
                "gru_step",
                case,
                f"N={N}, d_x={d_x}, d_h={d_h}",
                ["h_t"],
                got,
                want,
                suspects,
            ),
        )
    return Passed("gru_step", cases, max(worst, 1e-16), ("h_t",))


def check_beam_step(fn: Callable[..., Any], cases: int = 5, seed: int = 0) -> Passed:
    """Grade ``fn(scores, log_probs, beam_width) -> (new_scores, parent, token)``.

    ``scores`` ``(B,)`` are the hypotheses' summed log-probabilities, ``log_probs`` ``(B, V)`` the
    next token's; the step keeps the ``beam_width`` best extensions by total score, best first,
    ties to the lower hypothesis index and then the lower token id.
    """
    names = ["new_scores", "parent", "token"]
    rng = np.random.default_rng(seed)
    worst = 0.0
    for case in range(1, cases + 1):
        B, V = int(rng.integers(2, 5)), int(rng.integers(4, 9))
        k = int(rng.integers(2, B * V // 2 + 1))
        scores = -rng.exponential(2.0, size=B)
        logits = rng.standard_normal((B, V)) * 2
        log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        if case == cases:  # a tie: two extensions with the same total
            log_probs[1, 0] = log_probs[0, 1] = -0.5
            scores[0] = scores[1] = -1.0
        try:
            result = fn(scores.copy(), log_probs.copy(), k)
        except Exception as err:
            raise ExerciseError(
                f"beam_step raised {type(err).__name__}: {err} (B={B}, V={V}, beam_width={k})"
            ) from err
        got = _outputs(result, names, "beam_step")
        want_scores, want_parent, want_token = _beam_step(scores, log_probs, k)
        want = [
            want_scores,
            want_parent.astype(np.float64),
            want_token.astype(np.float64),
        ]
        only_probs = np.argsort(-log_probs.ravel(), kind="stable")[:k]
        suspects = {
            "new_scores": {
                "the best log-probabilities of the new token alone: add each hypothesis's score": log_probs.ravel()[
                    only_probs
                ]
            },
            "parent": {
                "the token ids: the parent is index // V": want_token.astype(np.float64)
            },
            "token": {
                "the parent indices: the token is index % V": want_parent.astype(
                    np.float64
                )
            },
        }
        worst = max(
            worst,
            _compare(
                "beam_step",
                case,
                f"B={B}, V={V}, beam_width={k}",
                names,
                got,
                want,
                suspects,
            ),
        )
    return Passed("beam_step", cases, max(worst, 1e-16), tuple(names))


def _check_reference(
    loss: Callable[[], float], params: list[Array], grads: list[Array], names: list[str]
) -> None:
    """Our reference gradients against centred finite differences (a bug here is ours, not the reader's)."""
    for name, p, g in zip(names, params, grads):
        numeric = numerical_gradient(loss, p)
        if not np.allclose(numeric, g, rtol=1e-5, atol=1e-7):
            raise RuntimeError(
                f"rnnbook's reference gradient {name} disagrees with finite differences"
            )
