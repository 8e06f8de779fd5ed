"""Data: everything a model reads, made by code or read from files that installed packages ship.

* :mod:`rnnbook.data.text`: text for character language models: vocabulary, corpus, splits,
  streams and truncated-BPTT windows;
* :mod:`rnnbook.data.synthetic`: seeded synthetic tasks (adding, copy memory, a^n b^n,
  selective copy, digit transduction) with their chance-level baselines;
* :mod:`rnnbook.data.recordings`: real sequences shipped by matplotlib and scikit-learn (time
  series, handwritten digits read row by row).

Imports flow one way through the package: data, then models (:mod:`rnnbook.numpy`,
:mod:`rnnbook.torch`, :mod:`rnnbook.init`), then :mod:`rnnbook.training`, then
:mod:`rnnbook.analysis`, then :mod:`rnnbook.book`, :mod:`rnnbook.viz` and the command line.
Nothing here imports from a later group.
"""
