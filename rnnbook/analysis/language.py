"""A trained character language model read back: sampling with temperature, hidden states.

Perplexity and bits per character are in :mod:`rnnbook.training.metrics`.

:func:`sample` works with :class:`rnnbook.numpy.CharModel` and :class:`rnnbook.torch.CharModel`
alike (it dispatches on the model's type, and imports nothing from torch for a NumPy model).
Both draw the next character with the same NumPy generator from the same probabilities, so
two models with equal weights give the same text for the same seed.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..data.text import Vocabulary
from ..numpy.activations import softmax
from ..training.loop import is_torch_model

__all__ = ["sample", "hidden_states"]


def _draw(probs: NDArray[np.floating], rng: np.random.Generator) -> int:
    """One index drawn from ``probs`` ``(V,)`` by inverting the cumulative distribution."""
    cdf = np.cumsum(np.asarray(probs, dtype=np.float64))
    index = int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right"))
    return min(index, len(cdf) - 1)


def _numpy_next_probs(model: Any, temperature: float) -> Any:
    """A closure: feed ``(T, 1)`` ids, carry the state, return the softmax of the last logits ``(V,)``."""
    state = None

    def step(ids: NDArray[np.int64]) -> NDArray[np.floating]:
        nonlocal state
        logits, state = model.forward(ids[:, None], state)
        return softmax(logits[-1, 0], temperature=temperature)

    return step


def _torch_next_probs(model: Any, temperature: float) -> Any:
    import torch

    device = next(model.parameters()).device
    state = None

    def step(ids: NDArray[np.int64]) -> NDArray[np.floating]:
        nonlocal state
        with torch.no_grad():
            logits, state = model(torch.as_tensor(ids[:, None], device=device), state)
            probs = torch.softmax(logits[-1, 0].double() / temperature, dim=-1)
        return probs.cpu().numpy()

    return step


def hidden_states(
    model: Any, vocab: Vocabulary, text: str, chunk: int = 512
) -> NDArray[np.float64]:
    """The top layer's state ``h_t`` after reading each character of ``text``: ``(len(text), d_h)``.

    Row ``t`` is the state from which the model predicts character ``t + 1``: the text is read
    as one stream from a zero state, in windows of ``chunk`` characters with the state carried
    (the result does not depend on ``chunk``). For an LSTM it is ``h_t``, not the cell state.
    Works for :class:`rnnbook.numpy.CharModel` and :class:`rnnbook.torch.CharModel`; returns
    float64 NumPy. The tool for looking for interpretable units (Karpathy et al. 2015): correlate
    each column with a property of the text, such as the position in the line.
    """
    if not isinstance(text, str) or not text:
        raise ValueError("text must be a non-empty string")
    if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
        raise ValueError(f"chunk must be an int >= 1, got {chunk!r}")
    if len(vocab) != model.vocab_size:
        raise ValueError(
            f"vocabulary has {len(vocab)} symbols but the model has vocab_size={model.vocab_size}"
        )
    ids = vocab.encode(text)
    parts: list[NDArray[np.float64]] = []
    state = None
    if is_torch_model(model):
        import torch

        weight = next(model.parameters())
        was_training = model.training
        model.eval()
        try:
            with torch.no_grad():
                for start in range(0, len(ids), chunk):
                    x = torch.as_tensor(
                        np.eye(model.vocab_size)[ids[start : start + chunk, None]],
                        dtype=weight.dtype,
                        device=weight.device,
                    )
                    out, state = model.rnn(x, state)
                    parts.append(out[:, 0].double().cpu().numpy())
        finally:
            model.train(was_training)
    else:
        for start in range(0, len(ids), chunk):
            x = np.eye(model.vocab_size, dtype=model.dtype)[
                ids[start : start + chunk, None]
            ]
            out, state = model.rnn.forward(x, state)
            parts.append(np.asarray(out[:, 0], dtype=np.float64))
    return np.concatenate(parts)


def sample(
    model: Any,
    vocab: Vocabulary,
    prefix: str,
    length: int,
    temperature: float = 1.0,
    seed: int = 0,
) -> str:
    """Generate ``length`` characters after ``prefix``; returns ``prefix`` followed by them.

    The prefix is fed through the model (warming up the hidden state); then at every step the
    next character is drawn from ``softmax(y_t / temperature)`` and fed back in. Temperature
    below 1 sharpens the distribution (more likely, more repetitive text), above 1 flattens it.

    Args:
        model: a :class:`rnnbook.numpy.CharModel` or :class:`rnnbook.torch.CharModel` over ``vocab``.
        vocab: the vocabulary the model was trained with; every prefix character must be in it.
        prefix: at least one character.
        length: how many characters to generate, >= 0.
        temperature: > 0.
        seed: seeds the NumPy generator that draws the characters (same seed, same text).
    """
    numeric = isinstance(temperature, int | float) and not isinstance(temperature, bool)
    if not numeric or not math.isfinite(temperature) or temperature <= 0:
        raise ValueError(
            f"temperature must be a finite number > 0, got {temperature!r}"
        )
    if isinstance(length, bool) or not isinstance(length, int) or length < 0:
        raise ValueError(f"length must be an int >= 0, got {length!r}")
    if not isinstance(prefix, str) or not prefix:
        raise ValueError(
            "prefix must be a non-empty string: sampling starts from at least one character"
        )
    if len(vocab) != model.vocab_size:
        raise ValueError(
            f"vocabulary has {len(vocab)} symbols but the model has vocab_size={model.vocab_size}"
        )
    ids = vocab.encode(prefix, strict=True)
    rng = np.random.default_rng(seed)
    torch_model = is_torch_model(model)
    step = (
        _torch_next_probs(model, temperature)
        if torch_model
        else _numpy_next_probs(model, temperature)
    )
    was_training = bool(getattr(model, "training", False))
    if torch_model:
        model.eval()
    try:
        generated: list[int] = []
        probs = step(ids)
        for i in range(length):
            generated.append(_draw(probs, rng))
            if i + 1 < length:
                probs = step(np.array(generated[-1:], dtype=np.int64))
    finally:
        if torch_model:
            model.train(was_training)
    return prefix + vocab.decode(np.array(generated, dtype=np.int64))
