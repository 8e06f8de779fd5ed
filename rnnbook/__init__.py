"""rnnbook: the tested code behind the executable textbook on recurrent neural networks.

Two backends mirror each other, with the same class names and the same parameter names
and shapes as :mod:`torch.nn`:

* :mod:`rnnbook.numpy`: from-scratch NumPy models with hand-written backward passes
  (backpropagation through time written out line by line);
* :mod:`rnnbook.torch`: the same models as :class:`torch.nn.Module` s written from the
  equations, differentiated by autograd, running on CPU or CUDA.

Around them, grouped by role; imports flow one way, from each group to the ones before it:

1. data, :mod:`rnnbook.data`: text and vocabulary (``text``), seeded synthetic tasks
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
5. the book and its users: :mod:`rnnbook.book` (glue and listings for the chapters,
   exercise checkers), :mod:`rnnbook.viz` (figures) and :mod:`rnnbook.cli`
   (``python -m rnnbook train --help`` trains the character model from the command line).

``import rnnbook.numpy`` needs only NumPy; ``import rnnbook.torch`` needs PyTorch.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
