"""Look up a recurrent layer class by cell name in a backend module, at call time.

Both backends' models name their cell ``"rnn"``, ``"lstm"``, ``"gru"`` (or, in rnnbook.torch, ``"mingru"`` / ``"minlstm"``); the class is found
with ``getattr`` on :mod:`rnnbook.numpy` or :mod:`rnnbook.torch` when the model is built, so
a backend gains a cell as soon as its module exports the class.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

CELLS = {
    "rnn": "RNN",
    "lstm": "LSTM",
    "gru": "GRU",
    "mingru": "MinGRU",
    "minlstm": "MinLSTM",
}
"""Cell name -> class name in each backend module (the minimal recurrences exist in rnnbook.torch only)."""


def resolve_cell(backend: ModuleType, cell: str) -> Any:
    """The class ``backend.<CELLS[cell]>``; ValueError for an unknown cell or one the backend lacks."""
    if cell not in CELLS:
        raise ValueError(f"cell must be one of {sorted(CELLS)}, got {cell!r}")
    cls = getattr(backend, CELLS[cell], None)
    if cls is None:
        raise ValueError(
            f"cell {cell!r} is not available: {backend.__name__} has no {CELLS[cell]} class"
        )
    return cls
