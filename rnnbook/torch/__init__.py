"""Recurrent networks as ``torch.nn.Module`` s written from the equations, on CPU or CUDA.

Same class names, constructor arguments, parameter names and shapes as :mod:`torch.nn`
and :mod:`rnnbook.numpy`; none of them calls torch.nn's recurrent layers or kernels.
"""

from .recurrent import RecurrentBase
from .gru import GRU, gru_step
from .lstm import LSTM, lstm_step
from .models import SequenceModel, make_recurrent
from .rnn import RNN, rnn_step
from .charlm import CharModel
from .seq2seq import AdditiveAttention, Seq2Seq

__all__ = [
    "RNN", "LSTM", "GRU", "RecurrentBase", "rnn_step", "lstm_step", "gru_step", "SequenceModel", "make_recurrent", "CharModel",
    "AdditiveAttention", "Seq2Seq",
]
