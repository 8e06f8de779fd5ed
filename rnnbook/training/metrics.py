"""Scores of trained models: perplexity and bits per character, and sequence-level accuracies.

:func:`perplexity` and :func:`bits_per_char` read a mean cross-entropy in nats; :func:`exact_match`
and :func:`token_accuracy` score decoded sequences against their targets (the encoder-decoder
chapters); :func:`rnnbook.training.supervised.task_loss` gives the loss and accuracy of one batch of a
task model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["perplexity", "bits_per_char", "exact_match", "token_accuracy"]


def perplexity(mean_loss: float) -> float:
    """``exp(mean_loss)``: the perplexity of a mean cross-entropy in nats per token.

    It reads as the size of a uniform choice that would be as uncertain: a model that spreads
    its probability evenly over ``V`` characters has loss ``ln V`` and perplexity ``V``; a
    perfect model has loss 0 and perplexity 1. Overflow gives ``inf``.
    """
    value = float(mean_loss)
    if math.isnan(value) or value < 0:
        raise ValueError(f"mean_loss must be a cross-entropy >= 0, got {mean_loss}")
    return math.exp(value) if value < 709.0 else math.inf


def bits_per_char(mean_loss: float) -> float:
    """``mean_loss / ln 2``: a mean cross-entropy in nats per character, in bits per character.

    The same measurement as :func:`perplexity` on another scale: ``2 ** bits_per_char(L) ==
    perplexity(L)``. It reads as the average number of bits an ideal coder driven by the model
    would spend per character; a uniform model over ``V`` characters needs ``log2 V``.
    """
    value = float(mean_loss)
    if math.isnan(value) or value < 0:
        raise ValueError(f"mean_loss must be a cross-entropy >= 0, got {mean_loss}")
    return value / math.log(2.0)


def _pairs(
    predicted: Sequence[ArrayLike], target: Sequence[ArrayLike]
) -> list[tuple[np.ndarray, np.ndarray]]:
    if len(predicted) != len(target):
        raise ValueError(
            f"predicted and target must hold as many sequences, got {len(predicted)} and {len(target)}"
        )
    if len(target) == 0:
        raise ValueError("no sequences to score")
    return [
        (np.asarray(p).reshape(-1), np.asarray(t).reshape(-1))
        for p, t in zip(predicted, target)
    ]


def exact_match(predicted: Sequence[ArrayLike], target: Sequence[ArrayLike]) -> float:
    """The fraction of sequences predicted exactly: same length, same token at every position."""
    pairs = _pairs(predicted, target)
    return sum(p.shape == t.shape and bool(np.all(p == t)) for p, t in pairs) / len(
        pairs
    )


def token_accuracy(
    predicted: Sequence[ArrayLike], target: Sequence[ArrayLike]
) -> float:
    """The fraction of target tokens predicted at their position, over all target tokens.

    Position ``i`` of a target counts as right when the prediction has a token at ``i`` and it is
    the target's; a prediction that stops early loses the missing positions. Tokens a prediction
    has beyond its target's length are not counted (:func:`exact_match` penalises them).
    """
    pairs = _pairs(predicted, target)
    total = sum(len(t) for _, t in pairs)
    if total == 0:
        raise ValueError("the targets hold no tokens")
    right = sum(int(np.sum(p[: len(t)] == t[: len(p)])) for p, t in pairs)
    return right / total
