"""Figures of the book, drawn with matplotlib in the book's notation and colours.

One colour per symbol in every figure (:mod:`rnnbook.viz.style`): ``x`` blue, ``h`` orange,
``c`` purple, ``y`` green, gates yellow.

* :mod:`rnnbook.viz.graphs`: the Elman RNN folded and unrolled over time;
* :mod:`rnnbook.viz.cells`: the LSTM cell and the GRU cell with both reset-gate placements;
* :mod:`rnnbook.viz.architectures`: backpropagation through time, stacked and bidirectional
  RNNs, the encoder-decoder with its summary vector, attention weights, minGRU's parallel scan;
* :mod:`rnnbook.viz.text`: text coloured by a hidden unit's activation.

Every function draws into a given Axes or a new figure and returns it; boxes, arrows and
labels carry ``gid`` s so that tests (and readers) can find them. This package needs
matplotlib, a dependency of the book but not of the NumPy core: ``rnnbook.numpy`` never
imports it.
"""

from .architectures import (
    draw_attention,
    draw_bidirectional_rnn,
    draw_bptt,
    draw_encoder_decoder,
    draw_parallel_scan,
    draw_stacked_rnn,
)
from .cells import draw_gru_cell, draw_gru_cells, draw_lstm_cell
from .graphs import DEFAULT_LABELS, draw_folded_rnn, draw_unrolled_rnn
from .text import draw_text_activations

__all__ = [
    "draw_unrolled_rnn",
    "draw_folded_rnn",
    "DEFAULT_LABELS",
    "draw_lstm_cell",
    "draw_gru_cell",
    "draw_gru_cells",
    "draw_bptt",
    "draw_stacked_rnn",
    "draw_bidirectional_rnn",
    "draw_encoder_decoder",
    "draw_attention",
    "draw_parallel_scan",
    "draw_text_activations",
]
