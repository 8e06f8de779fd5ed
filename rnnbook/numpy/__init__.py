"""From-scratch NumPy recurrent networks with hand-written backward passes.

Class names, constructor arguments, parameter names and shapes follow :mod:`torch.nn`, so
weights load across ``rnnbook.numpy``, ``rnnbook.torch`` and ``torch.nn``; the constructors add
``seed`` and default ``dtype`` to float64 (see :mod:`rnnbook` for why). ``make_recurrent``,
``RecurrentBase``, the cell functions (``rnn_cell``, ``lstm_cell``, ``gru_cell``) and the step
functions have the same names as in :mod:`rnnbook.torch`.
"""

from .activations import (
    d_relu,
    d_sigmoid,
    d_tanh,
    log_softmax,
    logsumexp,
    relu,
    relu_grad_from_output,
    sigmoid,
    sigmoid_grad_from_output,
    softmax,
    tanh,
    tanh_grad_from_output,
)
from .attention import AdditiveAttention, masked_softmax
from .charlm import CharModel
from .embedding import Embedding
from .gradcheck import check_layer_gradients, numerical_gradient, relative_error
from .gru import GRU, gru_cell, gru_step_backward, gru_step_forward
from .linear import Linear
from .losses import cross_entropy
from .lstm import LSTM, lstm_cell, lstm_step_backward, lstm_step_forward
from .perceptron import Perceptron
from .recurrent import RecurrentBase, make_recurrent
from .rnn import RNN, rnn_cell, rnn_step_backward, rnn_step_forward
from .seq2seq import Seq2Seq

__all__ = [
    "RNN",
    "LSTM",
    "GRU",
    "RecurrentBase",
    "make_recurrent",
    "rnn_cell",
    "lstm_cell",
    "gru_cell",
    "rnn_step_forward",
    "rnn_step_backward",
    "lstm_step_forward",
    "lstm_step_backward",
    "gru_step_forward",
    "gru_step_backward",
    "tanh",
    "d_tanh",
    "tanh_grad_from_output",
    "sigmoid",
    "d_sigmoid",
    "sigmoid_grad_from_output",
    "relu",
    "d_relu",
    "relu_grad_from_output",
    "logsumexp",
    "softmax",
    "log_softmax",
    "cross_entropy",
    "numerical_gradient",
    "relative_error",
    "check_layer_gradients",
    "Linear",
    "CharModel",
    "Embedding",
    "AdditiveAttention",
    "masked_softmax",
    "Seq2Seq",
    "Perceptron",
]
