"""Recurrent networks as ``torch.nn.Module`` s written from the equations, on CPU or CUDA.

Same class names, constructor arguments, parameter names and shapes as :mod:`torch.nn`
and :mod:`rnnbook.numpy`; none of them calls torch.nn's recurrent layers or kernels. (The
exception is opt-in: ``make_recurrent(..., impl="torch.nn")``, and ``SequenceModel`` and
``CharModel`` with ``impl="torch.nn"``, build :class:`TorchNNRNN`, :class:`TorchNNLSTM` or
:class:`TorchNNGRU`: torch.nn's fused layers behind the same interface, for long sweeps once
the parity tests have shown that the two agree.)

The comparison models of the later chapters live here too: the minimal parallel-trainable
recurrences :class:`MinGRU` and :class:`MinLSTM`, a temporal convolutional network :class:`TCN`,
a causal Transformer encoder :class:`CausalTransformer`, a multilayer perceptron over the
flattened window, :class:`FlatMLP`, and a small 2-D convolutional network for images,
:class:`ConvNet2d`.
"""

from .attention import AdditiveAttention, masked_softmax
from .charlm import CharModel
from .cnn import ConvNet2d, conv_receptive_field
from .gru import GRU, gru_cell, gru_step_forward
from .lstm import LSTM, lstm_cell, lstm_step_forward
from .minimal import MinGRU, MinLSTM, parallel_scan_log
from .mlp import FlatMLP
from .models import (
    IMPLS,
    SequenceModel,
    TorchNNGRU,
    TorchNNLSTM,
    TorchNNRNN,
)
from .recurrent import RecurrentBase, make_recurrent
from .rnn import RNN, rnn_cell, rnn_step_forward
from .seq2seq import Seq2Seq
from .tcn import TCN, CausalConv1d, tcn_receptive_field
from .transformer import (
    CausalTransformer,
    MultiHeadSelfAttention,
    cache_numel,
    causal_mask,
    kv_cache_size,
    recurrent_state_size,
)

__all__ = [
    "RNN",
    "LSTM",
    "GRU",
    "RecurrentBase",
    "rnn_cell",
    "lstm_cell",
    "gru_cell",
    "rnn_step_forward",
    "lstm_step_forward",
    "gru_step_forward",
    "SequenceModel",
    "make_recurrent",
    "CharModel",
    "IMPLS",
    "TorchNNRNN",
    "TorchNNLSTM",
    "TorchNNGRU",
    "AdditiveAttention",
    "masked_softmax",
    "Seq2Seq",
    "MinGRU",
    "MinLSTM",
    "parallel_scan_log",
    "TCN",
    "CausalConv1d",
    "tcn_receptive_field",
    "CausalTransformer",
    "MultiHeadSelfAttention",
    "causal_mask",
    "kv_cache_size",
    "recurrent_state_size",
    "cache_numel",
    "FlatMLP",
    "ConvNet2d",
    "conv_receptive_field",
]
