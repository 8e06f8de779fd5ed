"""rnnbook.book.exercises: the reference solutions pass, and typical wrong answers fail with a precise message."""

import numpy as np
import pytest

from rnnbook.book import exercises as ex

# ----------------------------------------------------------------------------- right answers


def rnn_forward(x, h_prev, W_xh, W_hh, b_h):
    return np.tanh(x @ W_xh.T + h_prev @ W_hh.T + b_h)


def rnn_backward(dh, x, h_prev, h, W_xh, W_hh):
    da = dh * (1 - h**2)
    return da @ W_xh, da @ W_hh, da.T @ x, da.T @ h_prev, da.sum(axis=0)


def lstm_backward(dh, dc, x, h_prev, c_prev, W_ih, W_hh, b):
    a = x @ W_ih.T + h_prev @ W_hh.T + b
    ai, af, ag, ao = np.split(a, 4, axis=1)
    i, f, g, o = (
        1 / (1 + np.exp(-ai)),
        1 / (1 + np.exp(-af)),
        np.tanh(ag),
        1 / (1 + np.exp(-ao)),
    )
    c = f * c_prev + i * g
    dct = dc + dh * o * (1 - np.tanh(c) ** 2)
    da = np.hstack(
        [
            dct * g * i * (1 - i),
            dct * c_prev * f * (1 - f),
            dct * i * (1 - g**2),
            dh * np.tanh(c) * o * (1 - o),
        ]
    )
    return da @ W_ih, da @ W_hh, dct * f, da.T @ x, da.T @ h_prev, da.sum(0)


def gru(x, h_prev, W_ih, W_hh, b_ih, b_hh):
    H = h_prev.shape[1]
    gx, gh = x @ W_ih.T + b_ih, h_prev @ W_hh.T + b_hh
    r = 1 / (1 + np.exp(-(gx[:, :H] + gh[:, :H])))
    z = 1 / (1 + np.exp(-(gx[:, H : 2 * H] + gh[:, H : 2 * H])))
    n = np.tanh(gx[:, 2 * H :] + r * gh[:, 2 * H :])
    return (1 - z) * n + z * h_prev


def beam(scores, log_probs, k):
    total = (scores[:, None] + log_probs).ravel()
    order = np.argsort(-total, kind="stable")[:k]
    return total[order], order // log_probs.shape[1], order % log_probs.shape[1]


@pytest.mark.parametrize(
    "check, fn",
    [
        (ex.check_rnn_step_forward, rnn_forward),
        (ex.check_rnn_step_backward, rnn_backward),
        (ex.check_lstm_step_backward, lstm_backward),
        (ex.check_gru_step, gru),
        (ex.check_beam_step, beam),
    ],
)
def test_right_answers_pass(check, fn):
    report = check(fn)
    assert isinstance(report, ex.Passed) and report.cases == 5
    assert "correct on all 5 random cases" in repr(report)


# ----------------------------------------------------------------------------- wrong answers
def _fails(check, fn, *patterns):
    with pytest.raises(ex.ExerciseError) as info:
        check(fn)
    message = str(info.value)
    for pattern in patterns:
        assert pattern in message, message
    return message


def test_rnn_forward_mistakes():
    _fails(
        ex.check_rnn_step_forward,
        lambda x, h, Wx, Wh, b: np.tanh(x @ Wx.T + h @ Wh.T),
        "h_t is wrong by up to",
        "without the b_h term",
    )
    _fails(
        ex.check_rnn_step_forward,
        lambda x, h, Wx, Wh, b: np.tanh(x @ Wx.T + h @ Wh + b),
        "W_hh transposed",
    )
    _fails(
        ex.check_rnn_step_forward,
        lambda x, h, Wx, Wh, b: np.tanh(x @ Wx + h @ Wh.T + b),
        "raised ValueError",
    )  # W_xh is (d_h, d_x) with d_x != d_h: x @ W_xh cannot be formed
    _fails(
        ex.check_rnn_step_forward,
        lambda x, h, Wx, Wh, b: x @ Wx.T + h @ Wh.T + b,
        "without tanh",
    )
    _fails(
        ex.check_rnn_step_forward,
        lambda x, h, Wx, Wh, b: np.tanh(x @ Wx.T + b),
        "W_hh h_{t-1} term",
    )


def test_rnn_backward_mistakes():
    def no_tanh_grad(dh, x, hp, h, Wx, Wh):
        return dh @ Wx, dh @ Wh, dh.T @ x, dh.T @ hp, dh.sum(0)

    _fails(
        ex.check_rnn_step_backward,
        no_tanh_grad,
        "dx is wrong",
        "without the tanh derivative",
    )

    def h_for_h_prev(dh, x, hp, h, Wx, Wh):
        da = dh * (1 - h**2)
        return da @ Wx, da @ Wh, da.T @ x, da.T @ h, da.sum(0)

    _fails(
        ex.check_rnn_step_backward, h_for_h_prev, "dW_hh is wrong", "it needs h_{t-1}"
    )

    def transposed_dW(dh, x, hp, h, Wx, Wh):
        da = dh * (1 - h**2)
        return da @ Wx, da @ Wh, x.T @ da, da.T @ hp, da.sum(0)

    _fails(ex.check_rnn_step_backward, transposed_dW, "dW_xh has shape", "transpose")

    def mean_bias(dh, x, hp, h, Wx, Wh):
        da = dh * (1 - h**2)
        return da @ Wx, da @ Wh, da.T @ x, da.T @ hp, da.mean(0)

    _fails(ex.check_rnn_step_backward, mean_bias, "db_h", "mean over the batch")

    def wrong_arity(dh, x, hp, h, Wx, Wh):
        return dh, dh

    _fails(ex.check_rnn_step_backward, wrong_arity, "must return 5 values")


def test_lstm_backward_mistakes():
    def without_dc(dh, dc, *rest):
        return lstm_backward(dh, np.zeros_like(dc), *rest)

    _fails(ex.check_lstm_step_backward, without_dc, "without the incoming dL/dc_t")

    def no_forget(dh, dc, x, hp, cp, Wi, Wh, b):
        out = list(lstm_backward(dh, dc, x, hp, cp, Wi, Wh, b))
        f = 1 / (1 + np.exp(-np.split(x @ Wi.T + hp @ Wh.T + b, 4, axis=1)[1]))
        out[2] = out[2] / f
        return tuple(out)

    _fails(
        ex.check_lstm_step_backward, no_forget, "dc_prev is wrong", "multiplies by f_t"
    )

    def in_place(dh, dc, x, hp, cp, Wi, Wh, b):
        out = lstm_backward(dh, dc, x, hp, cp, Wi, Wh, b)
        dc *= 2
        return out

    _fails(ex.check_lstm_step_backward, in_place, "changed its argument dc in place")

    def transposed_hh(dh, dc, x, hp, cp, Wi, Wh, b):
        out = list(lstm_backward(dh, dc, x, hp, cp, Wi, Wh, b))
        out[4] = out[4].T
        return tuple(out)

    _fails(ex.check_lstm_step_backward, transposed_hh, "dW_hh has shape", "transpose")


def test_gru_mistakes():
    def swapped_z(x, hp, Wi, Wh, bi, bh):
        H = hp.shape[1]
        gx, gh = x @ Wi.T + bi, hp @ Wh.T + bh
        r = 1 / (1 + np.exp(-(gx[:, :H] + gh[:, :H])))
        z = 1 / (1 + np.exp(-(gx[:, H : 2 * H] + gh[:, H : 2 * H])))
        n = np.tanh(gx[:, 2 * H :] + r * gh[:, 2 * H :])
        return z * n + (1 - z) * hp

    _fails(ex.check_gru_step, swapped_z, "roles of z_t are swapped")

    def reset_before(x, hp, Wi, Wh, bi, bh):
        H = hp.shape[1]
        gx, gh = x @ Wi.T + bi, hp @ Wh.T + bh
        r = 1 / (1 + np.exp(-(gx[:, :H] + gh[:, :H])))
        z = 1 / (1 + np.exp(-(gx[:, H : 2 * H] + gh[:, H : 2 * H])))
        n = np.tanh(gx[:, 2 * H :] + (r * hp) @ Wh[2 * H :].T + bh[2 * H :])
        return (1 - z) * n + z * hp

    _fails(ex.check_gru_step, reset_before, "Cho et al.'s placement")

    def zrn_order(x, hp, Wi, Wh, bi, bh):
        H = hp.shape[1]
        perm = np.r_[H : 2 * H, 0:H, 2 * H : 3 * H]
        return gru(x, hp, Wi[perm], Wh[perm], bi[perm], bh[perm])

    _fails(ex.check_gru_step, zrn_order, "order z, r, n")
    _fails(
        ex.check_gru_step,
        lambda x, hp, Wi, Wh, bi, bh: gru(x, hp, Wi, Wh, bi, bh)[:, :-1],
        "has shape",
    )


def test_beam_mistakes():
    def no_scores(scores, log_probs, k):
        return beam(np.zeros_like(scores), log_probs, k)

    _fails(ex.check_beam_step, no_scores, "add each hypothesis's score")

    def swapped(scores, log_probs, k):
        s, p, t = beam(scores, log_probs, k)
        return s, t, p

    _fails(ex.check_beam_step, swapped, "parent is wrong", "index // V")

    def unstable(scores, log_probs, k):
        total = (scores[:, None] + log_probs).ravel()
        order = np.argsort(-total, kind="quicksort")[::-1][::-1][:k]
        order = order[
            np.lexsort((-order, -total[order]))
        ]  # ties to the later hypothesis: wrong
        return total[order], order // log_probs.shape[1], order % log_probs.shape[1]

    _fails(ex.check_beam_step, unstable, "is wrong")
    _fails(ex.check_beam_step, lambda s, lp, k: beam(s, lp, k + 1), "has shape")
