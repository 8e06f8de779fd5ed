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

Around them, grouped by role; imports flow one way, from each group to the ones before it:

1. data, :mod:`rnnbook.data.text`: text and vocabulary (``text``), seeded synthetic tasks
   (``synthetic``), real recordings shipped by installed packages (``recordings``);
2. models: :mod:`rnnbook.numpy`, :mod:`rnnbook.torch`, and :mod:`rnnbook.init`
   (recurrent-weight initialisations for both);
3. training, :mod:`rnnbook.training`: one loop and one record (``loop``), with the trainers
   built on it for language models (``lm``), task models (``supervised``) and
   encoder-decoders (``seq2seq``); scores (``metrics``), summaries over seeds (``stats``),
   ``checkpoint`` and worker processes (``parallel``);
4. analysis, :mod:`rnnbook.analysis`: the gradient problem (``gradients``), reach and scaling
   (``compare``), parameters and time (``cost``), ``streaming``, and a trained language model
   read back (``language``);
5. the book and its users: :mod:`rnnbook.book.display` (glue and listings for the chapters,
   exercise checkers), :mod:`rnnbook.viz` (figures) and ``rnnbook.cli``
   (``python -m rnnbook train --help`` trains the character model from the command line).

``import rnnbook.numpy`` needs only NumPy; ``import rnnbook.torch`` needs PyTorch.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
