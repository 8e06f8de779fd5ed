"""rnnbook: the tested code behind the executable textbook on recurrent neural networks.

Two backends mirror each other, with the same class names and the same parameter names
and shapes as :mod:`torch.nn`:

* :mod:`rnnbook.numpy`: from-scratch NumPy models with hand-written backward passes
  (backpropagation through time written out line by line);
* :mod:`rnnbook.torch`: the same models as :class:`torch.nn.Module` s written from the
  equations, differentiated by autograd, running on CPU or CUDA.

The recurrent layers take torch.nn's constructor arguments in torch.nn's order (``input_size,
hidden_size, num_layers, [nonlinearity,] bias, batch_first, dropout, bidirectional``) in both
backends, and the same extensions in both (``nonlinearity="sigmoid"``, the GRU's
``reset_after``). Exactly these arguments differ, and why:

* :mod:`rnnbook.numpy` has ``seed``: NumPy has no global generator like ``torch.manual_seed``,
  so each layer draws its initial parameters and its dropout masks from its own generator,
  ``np.random.default_rng(seed)``;
* :mod:`rnnbook.numpy`'s ``dtype`` defaults to ``np.float64`` (torch's ``dtype=None`` means
  float32): hand-written gradients are checked against finite differences, which need float64;
* :mod:`rnnbook.torch` has ``device`` (NumPy runs on the CPU only), and its LSTM accepts torch.nn's
  ``proj_size``, which must be 0 (projections are not implemented in either backend).

Around them: :mod:`rnnbook.data` (text corpus, vocabulary, batching for truncated BPTT),
:mod:`rnnbook.tasks` (seeded synthetic tasks, digit transduction, labelling that needs the
future), :mod:`rnnbook.train` (the language-model loop, both backends), :mod:`rnnbook.fit` (the
supervised loop for task models), :mod:`rnnbook.seq2seq_train` (training and scoring of the
encoder-decoders, ``Seq2Seq`` in both backends), :mod:`rnnbook.checkpoint`,
:mod:`rnnbook.init` (recurrent-weight initialisations), :mod:`rnnbook.lm` (perplexity,
sampling) and :mod:`rnnbook.viz` (figures). ``python -m rnnbook train --help`` trains the
character model from the command line.

``import rnnbook.numpy`` needs only NumPy; ``import rnnbook.torch`` needs PyTorch.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
