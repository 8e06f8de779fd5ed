"""Root pytest configuration, loaded for both tests/ and book/.

nbval starts each notebook's kernel with this process's environment, so the kernel gets the
same settings as when tools/execute_notebooks.py executed the notebook (both use
``kernel_environment()``):

* PYTHONHASHSEED=0: any output that depends on set or dict-of-str ordering is reproducible;
* OMP_NUM_THREADS=1: the book's models are small, and on a 2-core machine thread pools spend
  more time synchronising than computing (one training loop: 0.8 s single-threaded, 76 s
  with two threads under load).

These are defaults, not requirements: a variable already set in the environment wins, so
``tools/check_reproducible.py`` can run the notebooks with two threads, other BLAS kernels
or PyTorch's scalar kernels, and the committed outputs must not change under any of them.
"""

import os

#: The default environment of every notebook kernel; tools/execute_notebooks.py uses it too.
KERNEL_ENV = {"PYTHONHASHSEED": "0", "OMP_NUM_THREADS": "1"}


def kernel_environment(base=None):
    """``base`` (default: os.environ) with KERNEL_ENV's values where ``base`` sets none."""
    base = dict(os.environ if base is None else base)
    return {**KERNEL_ENV, **base}


os.environ.update(kernel_environment())
