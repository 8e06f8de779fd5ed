"""Benchmarks: rnnbook's recurrent layers against torch.nn and against the machine's own limit.

What is measured
----------------
One *training step* of a one-layer, one-direction RNN, LSTM or GRU: forward over a whole
sequence ``x`` of shape ``(T, N, d_x)``, the loss ``output.sum()``, and the backward pass that
fills every parameter's gradient and dL/dx. Three implementations run in the same process, on
the same weights and the same input, in float32:

* ``torch.nn``: ``torch.nn.LSTM`` etc., the reference (on CPU, torch.nn.LSTM runs oneDNN's
  fused RNN kernel; RNN and GRU run ATen's native loop);
* ``torch.nn (oneDNN off)``: the same module with ``torch.backends.mkldnn`` disabled, ATen's
  native cell-by-cell loop: a second, fairer reference for code that also loops in Python;
* ``rnnbook.torch``: the layers written from the equations, with autograd doing the backward;
* ``rnnbook.numpy``: the NumPy layers with the hand-written backward pass (float32 parameters);
* two floors, ``matmuls only (NumPy)`` and ``matmuls only (torch.mm)``: steps that run only the
  matrix products of a training step, at its shapes and in its order
  (:func:`benchmarks.core.matmul_only_step`), a lower bound for any layer that calls a matrix
  library once per product.

On a processor with AVX-512 whose OpenBLAS runs other kernels (the environment may set
``OPENBLAS_CORETYPE``), the NumPy rows are measured again in a child process with
``OPENBLAS_CORETYPE=SkylakeX`` and join the table with that suffix (``--no-rerun`` skips it).

Each implementation is timed in blocks of consecutive calls, as a training loop calls it, after a
warm-up call and a pause of 0.2 s that lets the previous library's worker threads go idle
(OpenBLAS's keep spinning after a NumPy call and would slow whatever runs next); two passes over
all implementations spread a burst of load from other processes over all of them. The report gives
the median and the minimum of the timed calls. Every time is also given

* as a **ratio to torch.nn** measured in the same run (``ratio_min`` = min / min of torch.nn,
  ``ratio_median`` likewise), and
* as **achieved GFLOP/s**: the matmul floating-point operations of the training step (counted
  analytically by :func:`benchmarks.core.matmul_flops`, ``2 m n k`` per ``(m, k) @ (k, n)``
  product; the backward pass does two products per forward one, dL/dinput and dL/dweight, so
  a step costs 3 times the forward matmuls) divided by the best time, and as a **fraction of
  this machine's float32 matmul throughput**, measured in the same run by timing large square
  products with ``torch.mm`` (MKL), ``numpy.matmul`` (OpenBLAS) and oneDNN, the best of which is
  the peak (:func:`benchmarks.core.measure_peak`). The
  element-wise work (gates, state updates) is not counted, so GFLOP/s is a lower bound of the
  work done, and the fraction of peak says how close the layer comes to doing nothing but
  matrix products at full speed.

The ``floors`` part (:mod:`benchmarks.floors`) divides each implementation's time by its *own*
floor, measured in the same run: rnnbook.numpy and the CS231n-style peer (:mod:`benchmarks.peer`,
a per-step NumPy LSTM written from the equations) by ``matmuls only (NumPy)``, rnnbook.torch by
``matmuls only (torch.mm)``; with one thread and with the machine's thread count, at the main size
and at a small one (N=8, T=100, d_x=32, d_h=64) where per-step overhead dominates. Targets: 1.15
at the main size, 1.5 at the small one, and the peer at least 1.5 times slower than rnnbook.numpy
with one thread. ``--compare`` re-measures these ratios and prints them beside the committed ones.

It also measures how the step time scales with ``T`` and ``d_h`` (LSTM), the speed-up of
minGRU's parallel scan over its sequential loop for ``T`` up to 4096, and, when CUDA is
available, an LSTM whose per-step cell is fused by ``torch.compile``
(:class:`rnnbook.torch.fused.FusedLSTM`) against cuDNN's ``torch.nn.LSTM``. Without CUDA the
GPU part is skipped and recorded as not measured.

Running it
----------
From the repository root, with the project's virtualenv::

    .venv/bin/python -m benchmarks                        # everything; writes benchmarks/results/cpu.json
    .venv/bin/python -m benchmarks --quick                # tiny sizes, a few seconds: a smoke test
    .venv/bin/python -m benchmarks --parts main --repeats 30
    .venv/bin/python benchmarks/run.py --help             # the same entry point as a script
    .venv/bin/python -m benchmarks.profile LSTM rnnbook.numpy   # where one implementation's step spends its time

Options: ``--parts`` (any of ``main floors scaling mingru gpu``), ``--compare``, ``--repeats`` (timed rounds per
measurement), ``--threads`` (torch and BLAS threads; default: the machine's default, reported
in the results), ``--implementations`` (what the main part times), ``--no-rerun``, ``--out``
(the JSON file). The printed table and the JSON file hold the same
numbers; ``book/performance.ipynb`` (the appendix "Performance") loads the committed JSON file
and draws its table and figures with :mod:`benchmarks.report`.

Targets (2 CPU cores, float32, N=32, T=100, d_x=128, d_h=256): rnnbook.numpy LSTM and GRU
within 1.1x of torch.nn's time, rnnbook.torch within 1.5x; :func:`benchmarks.core.check_targets`
evaluates them from the results.
"""
