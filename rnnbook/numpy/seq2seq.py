"""An encoder-decoder (sequence-to-sequence) RNN in NumPy, with optional additive attention.

Book notation; source tokens x_1..x_S (sequence n is real for j < src_lengths[n]), target
tokens y_1..y_L, ``BOS`` / ``EOS`` the boundary tokens::

    encoder    h_j = RNN_enc(E_src[x_j], h_{j-1})          annotations h_1..h_S, (N, S, D d_h)
    summary    s_0 = h_n (the final state, every layer)    D = 1
               s_0 = tanh(W_b [h_n fwd; h_n bwd] + b_b)    D = 2 (bidirectional encoder)
    attention  c_t = sum_j alpha_tj h_j,
               alpha_t = masked softmax_j v^T tanh(W_a s_{t-1} + U_a h_j + b_a)
    decoder    s_t = RNN_dec([E_tgt[y_{t-1}]; c_t], s_{t-1})   y_0 = BOS; c_t with attention
    output     logits_t = W_o [s_t; c_t] + b_o        (W_o s_t + b_o without attention)

Training uses teacher forcing: the decoder reads the true previous token ``tgt_in = BOS, y_1..y_L``
and is scored against ``tgt_out = y_1..y_L, EOS`` with the mean cross-entropy over real target
tokens (``tgt_mask``). Decoding feeds back its own outputs (:meth:`Seq2Seq.greedy`,
:meth:`Seq2Seq.beam_search`). All arrays are batch first.

Parameters (``params``; the names of :class:`rnnbook.torch.Seq2Seq`'s state dict, so torch weights
load unchanged)::

    src_embed.weight  E_src (V_src, d_e)        tgt_embed.weight  E_tgt (V_tgt, d_e)
    encoder.*         RNN_enc, torch.nn names (weight_ih_l0, ..., *_reverse if bidirectional)
    decoder.*         RNN_dec (input size d_e, plus D d_h with attention)
    bridge_h.*        W_b, b_b for h (bidirectional encoder only)
    bridge_c.*        the same for an LSTM's c
    attention.*       query.weight W_a, key.weight U_a, key.bias b_a, energy.weight v
    out.weight        W_o (V_tgt, d_h [+ D d_h]),  out.bias b_o

The hand-written backward (:meth:`Seq2Seq.loss_and_grads`) reverses the decoder steps, sends each
step's gradient through the output layer, the decoder layer, the attention (to s_{t-1} and to the
annotations), and finally through the bridge and the encoder (with its lengths) to the embeddings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._decode import beam_decode_each, check_decode_args, greedy_decode
from .._shapes import check_lengths, format_shape
from ..data.synthetic import SEQ_BOS, SEQ_EOS
from ._params import copy_into, to_numpy
from .activations import log_softmax, tanh
from .attention import AdditiveAttention
from .embedding import Embedding, check_tokens
from .linear import Linear
from .losses import cross_entropy
from .recurrent import RecurrentBase, make_recurrent

__all__ = ["Seq2Seq", "Seq2SeqCache"]

Array = NDArray[np.floating]
State = tuple[Array, ...]


def _as_state(value: Any) -> State:
    return tuple(value) if isinstance(value, tuple | list) else (value,)


def check_source(
    src: Any, src_lengths: Any, vocab_size: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """``src`` ``(N, S)`` tokens in the vocabulary and ``src_lengths`` ``(N,)`` in ``[1, S]`` (None: all ``S``)."""
    arr = check_tokens(src, vocab_size, "src")
    if arr.ndim != 2 or 0 in arr.shape:
        raise ValueError(
            f"src must have shape (N, S) with N, S >= 1 (batch first; an empty source has no summary), got shape {format_shape(arr.shape)}"
        )
    n, s = arr.shape
    lengths = check_lengths(src_lengths, s, n, True, "src_lengths")
    return arr, (np.full(n, s, dtype=np.int64) if lengths is None else lengths)


def check_targets(
    tgt_in: Any, tgt_out: Any, tgt_mask: Any, batch: int, vocab_size: int
) -> tuple[NDArray[np.int64], ...]:
    """``tgt_in``, ``tgt_out`` ``(N, T)`` tokens and ``tgt_mask`` ``(N, T)`` (None: all real), checked against each other."""
    t_in = check_tokens(tgt_in, vocab_size, "tgt_in")
    if t_in.ndim != 2 or t_in.shape[0] != batch or t_in.shape[1] == 0:
        raise ValueError(
            f"tgt_in must have shape (N, T) with N = {batch} (the sources') and T >= 1, got shape {format_shape(t_in.shape)}"
        )
    if tgt_out is None:
        return (t_in,)
    t_out = check_tokens(tgt_out, vocab_size, "tgt_out")
    if t_out.shape != t_in.shape:
        raise ValueError(
            f"tgt_out must have tgt_in's shape {format_shape(t_in.shape)}, got shape {format_shape(t_out.shape)}"
        )
    mask = np.ones(t_in.shape, dtype=bool) if tgt_mask is None else to_numpy(tgt_mask)
    if mask.shape != t_in.shape:
        raise ValueError(
            f"tgt_mask must have tgt_in's shape {format_shape(t_in.shape)}, got shape {format_shape(mask.shape)}"
        )
    if not np.all((mask == 0) | (mask == 1)):
        raise ValueError("tgt_mask must hold 0/1 or booleans (1 on real target tokens)")
    return t_in, t_out, mask.astype(bool)


@dataclass
class Seq2SeqCache:
    """What :meth:`Seq2Seq.loss_and_grads` needs from the teacher-forced ``forward`` (``model.cache``).

    Attributes:
        memory: the encoder's outputs for attention: ``values`` (annotations ``(N, S, D d_h)``),
            ``keys`` (``U_a h_j + b_a``, None without attention) and ``mask`` (``(N, S)`` bool).
        state0: the decoder's initial state s_0, a tuple of ``(num_layers, N, d_h)`` arrays.
        caches: with attention, one ``(decoder cache, attention cache)`` pair per target step: the
            decoder layer's :class:`~rnnbook.numpy.recurrent.RecurrentCache` of that step's call and
            what :meth:`AdditiveAttention.step` returned; empty without attention (one decoder call).
    """

    memory: dict[str, Any]
    state0: tuple[Array, ...]
    caches: list[Any]


class Seq2Seq:
    """Encoder-decoder RNN with teacher-forced training, greedy and beam decoding, optional attention.

    ``Seq2Seq(src_vocab, tgt_vocab, hidden_size, cell="gru", attention=False, num_layers=1,
    bidirectional_encoder=False, embedding_size=None, attention_size=None, dtype=np.float64, seed=None)``

    Args:
        src_vocab, tgt_vocab: ``V_src``, ``V_tgt``; hidden_size: ``d_h`` of encoder and decoder.
        cell: ``"rnn"``, ``"lstm"`` or ``"gru"`` for both recurrent layers (rnnbook.numpy classes).
        attention: add Bahdanau attention (context fed to the decoder input and the output layer).
        num_layers: stacked layers in the encoder and, layer for layer, in the decoder.
        bidirectional_encoder: a bidirectional encoder; its two final states are merged per layer
            by the ``bridge_h`` (and, for an LSTM, ``bridge_c``) layer ``tanh(W_b [fwd; bwd] + b_b)``.
        embedding_size: ``d_e`` (default ``d_h``); attention_size: ``d_a`` (default ``d_h``).
        seed: seeds every component's initialisation.

    Attributes: ``params`` / ``grads`` (name -> array, torch names; ``params`` holds the components'
    own arrays, so an optimiser built on it trains the model), ``attention_weights`` (None without
    attention): after :meth:`forward` / :meth:`loss` an ``(N, T, S)`` array, after :meth:`greedy` /
    :meth:`beam_search` a list with one ``(len_i, S)`` array per source, ``len_i`` the length of the
    returned sequence; rows sum to 1 over the real source positions and are exactly 0 on padding;
    ``cache`` (a :class:`Seq2SeqCache`, the last :meth:`forward`'s; None before one).
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
        dtype: Any = np.float64,
        seed: int | None = None,
    ) -> None:
        d_h = hidden_size
        d_e = hidden_size if embedding_size is None else embedding_size
        D = 2 if bidirectional_encoder else 1
        seeds = iter(
            int(s) for s in np.random.default_rng(seed).integers(0, 2**63 - 1, size=8)
        )
        self.cell, self.attention_enabled = cell, bool(attention)
        self.src_vocab, self.tgt_vocab, self.hidden_size, self.embedding_size = (
            src_vocab,
            tgt_vocab,
            d_h,
            d_e,
        )
        self.num_layers, self.bidirectional_encoder, self.dtype = (
            num_layers,
            bool(bidirectional_encoder),
            np.dtype(dtype),
        )
        self.src_embed = Embedding(src_vocab, d_e, dtype=dtype, seed=next(seeds))
        self.tgt_embed = Embedding(tgt_vocab, d_e, dtype=dtype, seed=next(seeds))
        self.encoder: RecurrentBase = make_recurrent(
            cell,
            d_e,
            d_h,
            num_layers=num_layers,
            batch_first=True,
            bidirectional=bidirectional_encoder,
            dtype=dtype,
            seed=next(seeds),
        )
        context = D * d_h if attention else 0
        self.decoder: RecurrentBase = make_recurrent(
            cell,
            d_e + context,
            d_h,
            num_layers=num_layers,
            batch_first=True,
            dtype=dtype,
            seed=next(seeds),
        )
        self.bridges: list[Linear] = []
        if bidirectional_encoder:
            self.bridges = [
                Linear(2 * d_h, d_h, dtype=dtype, seed=next(seeds))
                for _ in range(self.decoder.state_count)
            ]
        self.attention: AdditiveAttention | None = None
        if attention:
            d_a = d_h if attention_size is None else attention_size
            self.attention = AdditiveAttention(
                d_h, D * d_h, d_a, dtype=dtype, seed=next(seeds)
            )
        self.out = Linear(d_h + context, tgt_vocab, dtype=dtype, seed=next(seeds))
        self.grads: dict[str, Array] = {
            k: np.zeros_like(v) for k, v in self.params.items()
        }
        self.attention_weights: Any = None
        self.cache: Seq2SeqCache | None = None

    # ----------------------------------------------------------------- parameters
    def _components(self) -> dict[str, Any]:
        parts: dict[str, Any] = {
            "src_embed": self.src_embed,
            "tgt_embed": self.tgt_embed,
            "encoder": self.encoder,
            "decoder": self.decoder,
        }
        parts.update(
            {name: b for name, b in zip(("bridge_h", "bridge_c"), self.bridges)}
        )
        if self.attention is not None:
            parts["attention"] = self.attention
        parts["out"] = self.out
        return parts

    @property
    def params(self) -> dict[str, Array]:
        """Every parameter, keyed like :class:`rnnbook.torch.Seq2Seq`'s state dict (the components' own arrays)."""
        return {
            f"{prefix}.{k}": v
            for prefix, part in self._components().items()
            for k, v in part.params.items()
        }

    def num_parameters(self) -> int:
        return int(sum(v.size for v in self.params.values()))

    def state_dict(self) -> dict[str, Array]:
        """A copy of every parameter."""
        return {k: v.copy() for k, v in self.params.items()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Load arrays or torch tensors (for example a torch Seq2Seq's state dict); all checked before any copy."""
        copy_into(self.params, state)

    # ----------------------------------------------------------------- encoder
    def _pack(self, state: State) -> Any:
        """A state tuple in the layer's ``hx`` form (an array, or ``(h, c)`` for an LSTM)."""
        return state[0] if len(state) == 1 else state

    def _bridge(self, h_n: State) -> State:
        """The decoder's initial state from the encoder's final state ``(D L, N, d_h)`` per component."""
        if not self.bidirectional_encoder:
            return h_n
        L, out = self.num_layers, []
        for bridge, part in zip(self.bridges, h_n):
            both = (
                part.reshape(L, 2, *part.shape[1:])
                .transpose(0, 2, 1, 3)
                .reshape(L, part.shape[1], -1)
            )  # [fwd; bwd]
            out.append(tanh(bridge.forward(both)))
        return tuple(out)

    def _bridge_backward(self, d_state0: State, state0: State) -> State:
        if not self.bidirectional_encoder:
            return d_state0
        L, out = self.num_layers, []
        for bridge, d, s in zip(self.bridges, d_state0, state0):
            d_both = bridge.backward(d * (1.0 - s**2))  # (L, N, 2 d_h)
            out.append(
                d_both.reshape(L, d.shape[1], 2, -1)
                .transpose(0, 2, 1, 3)
                .reshape(2 * L, d.shape[1], -1)
            )
        return tuple(out)

    def _encode(
        self, src: NDArray[np.int64], lengths: NDArray[np.int64]
    ) -> tuple[dict[str, Any], State]:
        """``(memory, s_0)``: what attention reads at every step (annotations, their keys, the source
        mask), and the decoder's initial state."""
        annotations, h_n = self.encoder.forward(
            self.src_embed.forward(src), None, lengths
        )
        memory = {
            "values": annotations,
            "keys": None
            if self.attention is None
            else self.attention.project_keys(annotations),
            "mask": np.arange(src.shape[1])[None, :] < lengths[:, None],
        }
        return memory, self._bridge(_as_state(h_n))

    def encode(
        self, src: ArrayLike, src_lengths: ArrayLike | None = None
    ) -> tuple[Array, Any]:
        """Run the encoder: ``(annotations, summary)``.

        ``annotations`` ``(N, S, D d_h)`` are the encoder outputs h_j (0 on padding); ``summary`` is
        the decoder's initial state s_0 ``(num_layers, N, d_h)`` (LSTM: ``(h, c)``), built from each
        sequence's final encoder state within its length.
        """
        src_arr, lengths = check_source(src, src_lengths, self.src_vocab)
        memory, state0 = self._encode(src_arr, lengths)
        return memory["values"], self._pack(state0)

    # ----------------------------------------------------------------- decoder
    def _decoder_step(
        self, emb: Array, state: State, memory: dict[str, Any]
    ) -> tuple[Array, State, Any, Any]:
        """One decoder step from the embedded previous token ``(N, d_e)``: ``(features, state, alpha, caches)``.

        ``features`` ``(N, F)`` feed the output layer: ``s_t``, or ``[s_t; c_t]`` with attention.
        """
        att_cache = alpha = None
        x = emb
        if self.attention is not None:
            context, alpha, att_cache = self.attention.step(
                state[0][-1], memory["keys"], memory["values"], memory["mask"]
            )
            x = np.concatenate([emb, context], axis=1)
        out, new_state = self.decoder.forward(x[:, None, :], self._pack(state))
        features = (
            out[:, 0]
            if self.attention is None
            else np.concatenate([out[:, 0], context], axis=1)
        )
        return features, _as_state(new_state), alpha, (self.decoder.cache, att_cache)

    def forward(
        self, src: ArrayLike, src_lengths: ArrayLike | None, tgt_in: ArrayLike
    ) -> Array:
        """Teacher-forced logits ``(N, T, V_tgt)``: step t reads ``tgt_in[:, t]`` (``BOS, y_1, ...``)."""
        src_arr, lengths = check_source(src, src_lengths, self.src_vocab)
        (t_in,) = check_targets(tgt_in, None, None, src_arr.shape[0], self.tgt_vocab)
        memory, state0 = self._encode(src_arr, lengths)
        emb = self.tgt_embed.forward(t_in)
        caches: list[Any] = []
        if (
            self.attention is None
        ):  # every decoder input is known in advance: one call over all T steps
            features, _ = self.decoder.forward(emb, self._pack(state0))
            self.attention_weights = None
        else:  # the input at t needs c_t, which needs s_{t-1}: one step at a time
            state, steps, alphas = state0, [], []
            for t in range(t_in.shape[1]):
                f, state, alpha, cache = self._decoder_step(emb[:, t], state, memory)
                steps.append(f)
                alphas.append(alpha)
                caches.append(cache)
            features = np.stack(steps, axis=1)
            self.attention_weights = np.stack(alphas, axis=1)
        logits = self.out.forward(features)
        self.cache = Seq2SeqCache(memory, state0, caches)
        return logits

    __call__ = forward

    def loss(
        self,
        src: ArrayLike,
        src_lengths: ArrayLike | None,
        tgt_in: ArrayLike,
        tgt_out: ArrayLike,
        tgt_mask: ArrayLike | None = None,
    ) -> float:
        """Mean cross-entropy over the real target tokens (``tgt_mask``), teacher forced, without gradients."""
        src_arr, lengths = check_source(src, src_lengths, self.src_vocab)
        t_in, t_out, mask = check_targets(
            tgt_in, tgt_out, tgt_mask, src_arr.shape[0], self.tgt_vocab
        )
        value, _ = cross_entropy(self.forward(src_arr, lengths, t_in), t_out, mask)
        return value

    def loss_and_grads(
        self,
        src: ArrayLike,
        src_lengths: ArrayLike | None,
        tgt_in: ArrayLike,
        tgt_out: ArrayLike,
        tgt_mask: ArrayLike | None = None,
    ) -> float:
        """:meth:`loss` and its gradient with respect to every parameter, in ``grads`` (hand-written backward).

        Args:
            src: ``(N, S)`` source tokens; src_lengths: ``(N,)`` in ``[1, S]`` (None: all ``S``).
            tgt_in: ``(N, T)`` decoder inputs ``BOS, y_1, ...``; tgt_out: ``(N, T)`` targets ``y_1, ..., EOS``.
            tgt_mask: ``(N, T)``, 1 on real target tokens (None: all).
        """
        src_arr, lengths = check_source(src, src_lengths, self.src_vocab)
        t_in, t_out, mask = check_targets(
            tgt_in, tgt_out, tgt_mask, src_arr.shape[0], self.tgt_vocab
        )
        value, d_logits = cross_entropy(
            self.forward(src_arr, lengths, t_in), t_out, mask
        )
        assert self.cache is not None
        memory, state0, caches = self.cache.memory, self.cache.state0, self.cache.caches
        d_features = self.out.backward(d_logits)  # (N, T, F)
        grads: dict[str, Array] = {f"out.{k}": v for k, v in self.out.grads.items()}
        if self.attention is None:  # one BPTT through the whole decoder sequence
            d_emb, d_hx = self.decoder.backward(d_features)
            d_state0 = _as_state(d_hx)
            grads.update({f"decoder.{k}": v for k, v in self.decoder.grads.items()})
            d_values = np.zeros_like(
                memory["values"]
            )  # the decoder never read the annotations
        else:
            d_emb, d_state0, d_values = self._attention_decoder_backward(
                d_features, memory, state0, caches, grads
            )
        d_h_n = self._bridge_backward(d_state0, state0)
        for name, bridge in zip(("bridge_h", "bridge_c"), self.bridges):
            grads.update({f"{name}.{k}": v for k, v in bridge.grads.items()})
        d_src_emb, _ = self.encoder.backward(d_values, self._pack(d_h_n))
        grads.update({f"encoder.{k}": v for k, v in self.encoder.grads.items()})
        self.src_embed.backward(d_src_emb)
        self.tgt_embed.backward(d_emb)
        grads["src_embed.weight"] = self.src_embed.grads["weight"]
        grads["tgt_embed.weight"] = self.tgt_embed.grads["weight"]
        self.grads = {name: grads[name] for name in self.params}
        return value

    def _attention_decoder_backward(
        self,
        d_features: Array,
        memory: dict[str, Any],
        state0: State,
        caches: list[Any],
        grads: dict[str, Array],
    ) -> tuple[Array, State, Array]:
        """BPTT through the step-by-step decoder with attention, last step first.

        At step t the gradient of ``[s_t; c_t]`` (from the output layer) and of ``s_t`` (from step
        t + 1) go back through the decoder layer to its input ``[E_tgt[y_{t-1}]; c_t]`` and to
        ``s_{t-1}``; ``c_t``'s total gradient goes through the attention to ``s_{t-1}`` (the query),
        the keys and the annotations. Adds the decoder's and the attention's parameter gradients to
        ``grads``; returns ``(dL/d tgt embeddings (N, T, d_e), dL/ds_0, dL/d annotations)``.
        """
        assert self.attention is not None
        d_h, d_e = self.hidden_size, self.embedding_size
        dec_grads = {k: np.zeros_like(v) for k, v in self.decoder.params.items()}
        att_grads = {k: np.zeros_like(v) for k, v in self.attention.params.items()}
        d_state = tuple(
            np.zeros_like(s) for s in state0
        )  # nothing depends on the decoder's last state
        d_values, d_keys = (
            np.zeros_like(memory["values"]),
            np.zeros_like(memory["keys"]),
        )
        d_emb = np.zeros((*d_features.shape[:2], d_e), dtype=self.dtype)
        for t in reversed(range(len(caches))):
            layer_cache, att_cache = caches[t]
            d_x, d_hx = self.decoder.backward(  # through step t's forward: its cache
                d_features[:, t, None, :d_h], self._pack(d_state), cache=layer_cache
            )
            d_state = tuple(np.array(d) for d in _as_state(d_hx))
            for k, g in self.decoder.grads.items():
                dec_grads[k] += g
            d_emb[:, t] = d_x[:, 0, :d_e]
            d_context = (
                d_features[:, t, d_h:] + d_x[:, 0, d_e:]
            )  # c_t feeds the output layer and the decoder input
            d_query, d_k, d_v, g_att = self.attention.step_backward(
                d_context, att_cache
            )
            d_state[0][-1] += d_query  # the query s_{t-1} is the top layer's h
            d_keys += d_k
            d_values += d_v
            for k, g in g_att.items():
                att_grads[k] += g
        d_from_keys, g_keys = self.attention.keys_backward(
            d_keys, memory["values"]
        )  # keys = U_a h_j + b_a
        att_grads.update(g_keys)
        grads.update({f"decoder.{k}": v for k, v in dec_grads.items()})
        grads.update({f"attention.{k}": v for k, v in att_grads.items()})
        return d_emb, d_state, d_values + d_from_keys

    # ----------------------------------------------------------------- decoding
    def _decode_fns(self) -> tuple[Any, Any]:
        def step(
            tokens: NDArray[np.int64], dstate: tuple[State, dict[str, Any]]
        ) -> tuple[Array, Any, Any]:
            state, memory = dstate
            features, state, alpha, _ = self._decoder_step(
                self.tgt_embed.params["weight"][tokens], state, memory
            )
            return (
                log_softmax(self.out.forward(features), axis=1),
                (state, memory),
                alpha,
            )

        def select(
            dstate: tuple[State, dict[str, Any]], index: NDArray[np.int64]
        ) -> Any:
            state, memory = dstate
            return tuple(s[:, index] for s in state), {
                k: (None if v is None else v[index]) for k, v in memory.items()
            }

        return step, select

    def greedy(
        self,
        src: ArrayLike,
        src_lengths: ArrayLike | None = None,
        max_len: int = 20,
        bos: int = SEQ_BOS,
        eos: int = SEQ_EOS,
    ) -> tuple[list[NDArray[np.int64]], NDArray[np.float64]]:
        """Greedy decoding: at every step the most probable token, fed back as the next input.

        Returns ``(sequences, scores)``: per source the tokens after BOS up to and including the
        first EOS (``max_len`` tokens if none comes), and their summed log-probability. Sets
        ``attention_weights`` to one ``(len_i, S)`` array per source (None without attention).
        """
        src_arr, lengths = check_source(src, src_lengths, self.src_vocab)
        check_decode_args(max_len, bos, eos, self.tgt_vocab)
        memory, state0 = self._encode(src_arr, lengths)
        step, _ = self._decode_fns()
        seqs, scores, attention = greedy_decode(
            step, (state0, memory), src_arr.shape[0], int(max_len), bos, eos
        )
        self.attention_weights = attention
        return seqs, scores

    def beam_search(
        self,
        src: ArrayLike,
        src_lengths: ArrayLike | None = None,
        beam_width: int = 5,
        max_len: int = 20,
        bos: int = SEQ_BOS,
        eos: int = SEQ_EOS,
    ) -> tuple[list[NDArray[np.int64]], NDArray[np.float64]]:
        """Beam search, one source at a time: the most probable sequence the beam finds, per source.

        Scores are total log-probabilities (EOS included, no length normalisation); a hypothesis
        that reaches ``max_len`` tokens without EOS is finished as it stands. ``beam_width = 1`` is
        greedy decoding. Returns ``(sequences, scores)`` like :meth:`greedy` and sets
        ``attention_weights`` for the returned sequences.
        """
        src_arr, lengths = check_source(src, src_lengths, self.src_vocab)
        check_decode_args(max_len, bos, eos, self.tgt_vocab, beam_width)
        memory, state0 = self._encode(src_arr, lengths)
        step, select = self._decode_fns()
        seqs, scores, attention = beam_decode_each(
            step,
            select,
            (state0, memory),
            src_arr.shape[0],
            int(beam_width),
            int(max_len),
            bos,
            eos,
        )
        self.attention_weights = None if self.attention is None else attention
        return seqs, scores

    def __repr__(self) -> str:
        return (
            f"Seq2Seq(src_vocab={self.src_vocab}, tgt_vocab={self.tgt_vocab}, hidden_size={self.hidden_size}, cell={self.cell!r}, "
            f"attention={self.attention_enabled}, num_layers={self.num_layers}, bidirectional_encoder={self.bidirectional_encoder})"
        )
