"""The training loop every trainer in the package runs, and the one record it keeps.

:func:`run_steps` takes ``steps`` optimiser steps, evaluates every ``eval_every`` steps and
after the last, shows a progress bar when asked, and fills a :class:`History`. What a step
*is* (a window of text with carried state, a mini-batch of a task, a batch of source/target
pairs) is the caller's ``step`` function: :func:`rnnbook.training.lm.train` (character
language models, both backends), :func:`rnnbook.training.supervised.fit` (task models),
:func:`rnnbook.training.seq2seq.fit_seq2seq` (encoder-decoders) and
:func:`rnnbook.analysis.gradients.trace_sgd` (SGD traced per parameter) all pass theirs here.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["History", "run_steps", "progress_bar", "is_torch_model"]


def is_torch_model(model: Any) -> bool:
    """True for a ``torch.nn.Module``; never imports torch (if torch is not loaded, it cannot be one)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(model, torch.nn.Module)


@dataclass
class History:
    """What one training call measured.

    Per step (equal lengths): ``steps`` (the global step number, from 1; a resumed language-model
    run continues its count), ``train_loss`` (the loss of that step's batch or window) and
    ``grad_norm`` (the global gradient L2 norm before clipping).

    Per evaluation (equal lengths): ``eval_steps``, ``eval_loss`` (the mean loss on the held-out
    data: nats per character for a language model) and ``eval_accuracy`` (the fraction of
    correct classes; NaN where the loop measures none: language models and ``"mse"`` tasks).
    ``eval_perplexity`` is ``exp(eval_loss)``, for language models.

    ``state``: where the run stopped, for loops that can continue one (the language-model loop's
    :class:`rnnbook.training.lm.TrainState`: pass it back as ``state=``); None otherwise.
    """

    steps: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)
    eval_steps: list[int] = field(default_factory=list)
    eval_loss: list[float] = field(default_factory=list)
    eval_accuracy: list[float] = field(default_factory=list)
    state: Any = field(default=None, repr=False)

    @property
    def eval_perplexity(self) -> list[float]:
        """``exp(eval_loss)`` per evaluation (see :func:`rnnbook.training.metrics.perplexity`)."""
        from .metrics import perplexity

        return [perplexity(loss) for loss in self.eval_loss]

    def as_dict(self) -> dict[str, list[Any]]:
        """The measured lists (not ``state``), for plotting or JSON."""
        out = asdict(self)
        out.pop("state")
        return out


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def set_postfix(self, **kwargs: Any) -> None:
        pass

    def close(self) -> None:
        pass


def progress_bar(progress: bool | None, total: int, first_step: int = 0) -> Any:
    """A tqdm bar on stderr if ``progress`` (None: only when stderr is a terminal), else a no-op.

    So a training call run interactively shows its progress, and the same call in an executed
    notebook (whose stderr is not a terminal) prints nothing into the committed outputs.
    """
    if progress is None:
        progress = sys.stderr.isatty()
    if not progress:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(
        total=total,
        desc=f"training from step {first_step}",
        unit="step",
        dynamic_ncols=True,
    )


def run_steps(
    step: Callable[[], tuple[float, float]],
    *,
    steps: int,
    evaluate: Callable[[], tuple[float, float]] | None = None,
    eval_every: int | None = None,
    first_step: int = 0,
    progress: bool | None = None,
    history: History | None = None,
    after_step: Callable[[History], None] | None = None,
    after_eval: Callable[[History], None] | None = None,
) -> History:
    """Take ``steps`` training steps; evaluate every ``eval_every`` steps and after the last.

    Args:
        step: one optimiser step (draw the data, forward, backward, clip, update); returns
            ``(train_loss, grad_norm)``, recorded under the step number.
        steps: how many steps to take; step numbers run from ``first_step + 1``.
        evaluate: returns ``(eval_loss, eval_accuracy)`` (accuracy NaN if not measured); called
            when the step number is a multiple of ``eval_every`` (None or 0: never) and after the
            last step. None: no evaluation.
        first_step: the number of steps taken before (a resumed run continues its count).
        progress: a tqdm bar if True, none if False, None: only when stderr is a terminal.
        history: the record to append to (a new :class:`History` if None).
        after_step, after_eval: called with the history after a step, or an evaluation, has
            been recorded (to stop a diverging run, write a checkpoint, print progress).
            An exception they raise ends the loop and propagates (the bar is closed).

    Returns:
        The history.
    """
    history = History() if history is None else history
    bar = progress_bar(progress, steps, first_step)
    try:
        for i in range(steps):
            number = first_step + i + 1
            loss, norm = step()
            history.steps.append(number)
            history.train_loss.append(loss)
            history.grad_norm.append(norm)
            bar.update(1)
            if after_step is not None:
                after_step(history)
            if evaluate is None or not (
                i == steps - 1 or (eval_every and number % eval_every == 0)
            ):
                bar.set_postfix(loss=f"{loss:.4g}")
                continue
            eval_loss, eval_accuracy = evaluate()
            history.eval_steps.append(number)
            history.eval_loss.append(eval_loss)
            history.eval_accuracy.append(eval_accuracy)
            bar.set_postfix(loss=f"{loss:.4g}", eval_loss=f"{eval_loss:.4g}")
            if after_eval is not None:
                after_eval(history)
    finally:
        bar.close()
    return history
