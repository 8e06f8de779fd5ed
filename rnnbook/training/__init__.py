"""Training: one loop, the trainers built on it, their scores, checkpoints and worker processes.

* :mod:`rnnbook.training.loop`: :func:`~rnnbook.training.loop.run_steps`, the loop every trainer
  runs, and :class:`~rnnbook.training.loop.History`, the one record it keeps;
* :mod:`rnnbook.training.lm`: character language models of both backends (truncated BPTT with
  carried state, checkpoints, divergence stops, runs in worker processes);
* :mod:`rnnbook.training.supervised`: task models on fixed arrays (mini-batches, seeds);
* :mod:`rnnbook.training.seq2seq`: encoder-decoders on padded source/target pairs;
* :mod:`rnnbook.training.metrics`: perplexity, bits per character, sequence accuracies;
* :mod:`rnnbook.training.stats`: the median and range over seeds, and the digits that hold;
* :mod:`rnnbook.training.checkpoint`: checkpoints that resume exactly and detect damage;
* :mod:`rnnbook.training.parallel`: independent runs on every core, results in order.
"""
