"""An encoder-decoder RNN as a ``torch.nn.Module``, with optional additive (Bahdanau) attention.

The mirror of :class:`rnnbook.numpy.Seq2Seq`: same equations, same constructor arguments, same
parameter names (so state dicts move between the backends), autograd for the backward pass::

    h_j = RNN_enc(E_src[x_j], h_{j-1})     annotations, 0 on padding (encoder with lengths)
    s_0 = h_n, or tanh(W_b [h_n fwd; h_n bwd] + b_b) for a bidirectional encoder
    alpha_t = masked softmax_j v^T tanh(W_a s_{t-1} + U_a h_j + b_a),   c_t = sum_j alpha_tj h_j
    s_t = RNN_dec([E_tgt[y_{t-1}]; c_t], s_{t-1}),     logits_t = W_o [s_t; c_t] + b_o

Modules: ``src_embed``, ``tgt_embed`` (``nn.Embedding``), ``encoder``, ``decoder`` (rnnbook.torch
layers, batch first), ``bridge_h`` / ``bridge_c`` (``nn.Linear``, bidirectional encoder only),
``attention`` (:class:`~rnnbook.torch.attention.AdditiveAttention`), ``out`` (``nn.Linear``). All inputs are batch first.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import Tensor, nn
from torch.nn import functional as F

from .._decode import beam_decode_each, check_decode_args, greedy_decode
from ..data.synthetic import SEQ_BOS, SEQ_EOS
from ..numpy.seq2seq import check_source, check_targets
from .attention import AdditiveAttention
from .recurrent import make_recurrent

__all__ = ["Seq2Seq"]

State = tuple[Tensor, ...]


class Seq2Seq(nn.Module):
    """Encoder-decoder RNN; see the module docstring and :class:`rnnbook.numpy.Seq2Seq` for the arguments.

    ``Seq2Seq(src_vocab, tgt_vocab, hidden_size, cell="gru", attention=False, num_layers=1,
    bidirectional_encoder=False, embedding_size=None, attention_size=None, device=None, dtype=None)``

    ``forward(src, src_lengths, tgt_in)`` gives teacher-forced logits ``(N, T, V_tgt)``;
    ``loss(src, src_lengths, tgt_in, tgt_out, tgt_mask)`` the mean cross-entropy over real target
    tokens (a scalar tensor to call ``backward`` on); ``greedy`` and ``beam_search`` decode (no
    gradients) and return ``(sequences, scores)`` as NumPy, like the NumPy model. Token inputs may be
    tensors or arrays. ``attention_weights`` as in the NumPy model (NumPy arrays).
    """

    def __init__(
        self,
        src_vocab: int,
        tgt_vocab: int,
        hidden_size: int,
        cell: str = "gru",
        attention: bool = False,
        num_layers: int = 1,
        bidirectional_encoder: bool = False,
        embedding_size: int | None = None,
        attention_size: int | None = None,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        d_h = hidden_size
        d_e = hidden_size if embedding_size is None else embedding_size
        D = 2 if bidirectional_encoder else 1
        factory = {"device": device, "dtype": dtype}
        self.cell, self.attention_enabled = cell, bool(attention)
        self.src_vocab, self.tgt_vocab, self.hidden_size, self.embedding_size = (
            src_vocab,
            tgt_vocab,
            d_h,
            d_e,
        )
        self.num_layers, self.bidirectional_encoder = (
            num_layers,
            bool(bidirectional_encoder),
        )
        self.src_embed = nn.Embedding(src_vocab, d_e, **factory)
        self.tgt_embed = nn.Embedding(tgt_vocab, d_e, **factory)
        self.encoder = make_recurrent(
            cell,
            d_e,
            d_h,
            num_layers=num_layers,
            batch_first=True,
            bidirectional=bidirectional_encoder,
            **factory,
        )
        context = D * d_h if attention else 0
        self.decoder = make_recurrent(
            cell, d_e + context, d_h, num_layers=num_layers, batch_first=True, **factory
        )
        if bidirectional_encoder:
            self.bridge_h = nn.Linear(2 * d_h, d_h, **factory)
            if self.decoder.state_count == 2:
                self.bridge_c = nn.Linear(2 * d_h, d_h, **factory)
        self.attention = (
            AdditiveAttention(
                d_h,
                D * d_h,
                d_h if attention_size is None else attention_size,
                **factory,
            )
            if attention
            else None
        )
        self.out = nn.Linear(d_h + context, tgt_vocab, **factory)
        self.attention_weights: Any = None

    # ----------------------------------------------------------------- inputs
    def _tokens(self, value: NDArray[np.int64]) -> Tensor:
        """Checked NumPy tokens as an int64 tensor on the model's device."""
        return torch.as_tensor(value, dtype=torch.int64, device=self.out.weight.device)

    def _source(self, src: Any, src_lengths: Any) -> tuple[Tensor, NDArray[np.int64]]:
        """The checks of the NumPy model (tokens in the vocabulary, lengths in ``[1, S]``), then a tensor."""
        arr, lengths = check_source(src, src_lengths, self.src_vocab)
        return self._tokens(arr), lengths

    # ----------------------------------------------------------------- encoder
    def _bridge(self, h_n: State) -> State:
        if not self.bidirectional_encoder:
            return h_n
        bridges = [self.bridge_h] + ([self.bridge_c] if len(h_n) == 2 else [])
        L, out = self.num_layers, []
        for bridge, part in zip(bridges, h_n):
            both = (
                part.reshape(L, 2, *part.shape[1:])
                .transpose(1, 2)
                .reshape(L, part.shape[1], -1)
            )  # [fwd; bwd]
            out.append(torch.tanh(bridge(both)))
        return tuple(out)

    def _encode(
        self, src: Tensor, lengths: NDArray[np.int64]
    ) -> tuple[dict[str, Any], State]:
        annotations, h_n = self.encoder(self.src_embed(src), None, lengths)
        memory = {
            "values": annotations,
            "keys": None if self.attention is None else self.attention.key(annotations),
            "mask": torch.arange(src.shape[1], device=src.device)[None, :]
            < torch.as_tensor(lengths, device=src.device)[:, None],
        }
        h_n = h_n if isinstance(h_n, tuple) else (h_n,)
        return memory, self._bridge(h_n)

    def encode(self, src: Any, src_lengths: Any = None) -> tuple[Tensor, Any]:
        """``(annotations (N, S, D d_h), summary)``: the encoder outputs and the decoder's initial state."""
        src_t, lengths = self._source(src, src_lengths)
        memory, state0 = self._encode(src_t, lengths)
        return memory["values"], state0[0] if len(state0) == 1 else state0

    # ----------------------------------------------------------------- decoder
    def _decoder_step(
        self, emb: Tensor, state: State, memory: dict[str, Any]
    ) -> tuple[Tensor, State, Tensor | None]:
        alpha = None
        x = emb
        if self.attention is not None:
            context, alpha = self.attention(
                state[0][-1], memory["keys"], memory["values"], memory["mask"]
            )
            x = torch.cat([emb, context], dim=1)
        out, new_state = self.decoder(
            x[:, None, :], state[0] if len(state) == 1 else state
        )
        features = (
            out[:, 0]
            if self.attention is None
            else torch.cat([out[:, 0], context], dim=1)
        )
        return (
            features,
            (new_state if isinstance(new_state, tuple) else (new_state,)),
            alpha,
        )

    def forward(self, src: Any, src_lengths: Any, tgt_in: Any) -> Tensor:
        """Teacher-forced logits ``(N, T, V_tgt)``; step t reads ``tgt_in[:, t]``."""
        src_t, lengths = self._source(src, src_lengths)
        (t_in,) = check_targets(tgt_in, None, None, src_t.shape[0], self.tgt_vocab)
        memory, state = self._encode(src_t, lengths)
        emb = self.tgt_embed(self._tokens(t_in))
        if (
            self.attention is None
        ):  # every decoder input is known in advance: one call over all T steps
            features, _ = self.decoder(emb, state[0] if len(state) == 1 else state)
            self.attention_weights = None
            return self.out(features)
        steps, alphas = [], []
        for emb_t in emb.unbind(1):  # the input at t needs c_t, which needs s_{t-1}
            f, state, alpha = self._decoder_step(emb_t, state, memory)
            steps.append(f)
            alphas.append(alpha)
        self.attention_weights = torch.stack(alphas, dim=1).detach().cpu().numpy()
        return self.out(torch.stack(steps, dim=1))

    def loss(
        self,
        src: Any,
        src_lengths: Any,
        tgt_in: Any,
        tgt_out: Any,
        tgt_mask: Any = None,
    ) -> Tensor:
        """Mean cross-entropy over the real target tokens (``tgt_mask``), teacher forced."""
        src_t, lengths = self._source(src, src_lengths)
        t_in, t_out, mask = check_targets(
            tgt_in, tgt_out, tgt_mask, src_t.shape[0], self.tgt_vocab
        )
        logits = self.forward(src_t, lengths, t_in)
        keep = torch.as_tensor(mask, device=logits.device)
        return F.cross_entropy(logits[keep], self._tokens(t_out)[keep])

    # ----------------------------------------------------------------- decoding
    def _decode_fns(self) -> tuple[Any, Any]:
        def step(
            tokens: NDArray[np.int64], dstate: Any
        ) -> tuple[NDArray[np.floating], Any, Any]:
            state, memory = dstate
            features, state, alpha = self._decoder_step(
                self.tgt_embed(self._tokens(tokens)), state, memory
            )
            log_probs = (
                torch.log_softmax(self.out(features), dim=1).double().cpu().numpy()
            )
            return (
                log_probs,
                (state, memory),
                None if alpha is None else alpha.double().cpu().numpy(),
            )

        def select(dstate: Any, index: NDArray[np.int64]) -> Any:
            state, memory = dstate
            idx = torch.as_tensor(index, device=self.out.weight.device)
            return tuple(s[:, idx] for s in state), {
                k: (None if v is None else v[idx]) for k, v in memory.items()
            }

        return step, select

    @torch.no_grad()
    def greedy(
        self,
        src: Any,
        src_lengths: Any = None,
        max_len: int = 20,
        bos: int = SEQ_BOS,
        eos: int = SEQ_EOS,
    ) -> tuple[list[NDArray[np.int64]], NDArray[np.float64]]:
        """Greedy decoding; returns ``(sequences, scores)`` as :meth:`rnnbook.numpy.Seq2Seq.greedy` does."""
        src_t, lengths = self._source(src, src_lengths)
        check_decode_args(max_len, bos, eos, self.tgt_vocab)
        memory, state0 = self._encode(src_t, lengths)
        step, _ = self._decode_fns()
        seqs, scores, attention = greedy_decode(
            step, (state0, memory), src_t.shape[0], int(max_len), bos, eos
        )
        self.attention_weights = attention
        return seqs, scores

    @torch.no_grad()
    def beam_search(
        self,
        src: Any,
        src_lengths: Any = None,
        beam_width: int = 5,
        max_len: int = 20,
        bos: int = SEQ_BOS,
        eos: int = SEQ_EOS,
    ) -> tuple[list[NDArray[np.int64]], NDArray[np.float64]]:
        """Beam search per source; returns ``(sequences, scores)`` as :meth:`rnnbook.numpy.Seq2Seq.beam_search` does."""
        src_t, lengths = self._source(src, src_lengths)
        check_decode_args(max_len, bos, eos, self.tgt_vocab, beam_width)
        memory, state0 = self._encode(src_t, lengths)
        step, select = self._decode_fns()
        seqs, scores, attention = beam_decode_each(
            step,
            select,
            (state0, memory),
            src_t.shape[0],
            int(beam_width),
            int(max_len),
            bos,
            eos,
        )
        self.attention_weights = None if self.attention is None else attention
        return seqs, scores

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def extra_repr(self) -> str:
        return (
            f"src_vocab={self.src_vocab}, tgt_vocab={self.tgt_vocab}, hidden_size={self.hidden_size}, cell={self.cell!r}, "
            f"attention={self.attention_enabled}, num_layers={self.num_layers}, bidirectional_encoder={self.bidirectional_encoder}"
        )
