"""Analysis: measurements of trained and untrained models, behind the chapters' claims.

* :mod:`rnnbook.analysis.gradients`: the gradient problem: a one-unit RNN's loss surface,
  training traced per parameter, decay of gradients with the lag;
* :mod:`rnnbook.analysis.compare`: what a model can see (input-gradient reach), how many
  sequential steps it needs, scaling slopes, principal components of states;
* :mod:`rnnbook.analysis.cost`: parameters, bytes and wall time of a call or a training step;
* :mod:`rnnbook.analysis.streaming`: one token in, one output out, and the state in between;
* :mod:`rnnbook.analysis.language`: a character model read back: sampling, hidden states.
"""
