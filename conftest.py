"""Root pytest configuration, loaded for both tests/ and book/.

nbval starts each notebook's kernel with this process's environment, so the kernel gets the
same settings as when tools/execute_notebooks.py executed the notebook (both use KERNEL_ENV):

* PYTHONHASHSEED=0: any output that depends on set or dict-of-str ordering is reproducible;
* OMP_NUM_THREADS=1: the committed outputs were computed single-threaded. The thread count
  changes the order of floating-point sums inside torch and OpenBLAS, and a long training run
  can amplify that rounding into a different printed digit (seen once in the LSTM chapter's
  copy-memory cell), so the value is set, not defaulted. It is also faster: the book's models
  are small, and on a 2-core machine thread pools spend more time synchronising than
  computing (one training loop: 0.8 s single-threaded, 76 s with two threads under load).
"""

import os

#: The environment every notebook kernel runs with; tools/execute_notebooks.py imports it.
KERNEL_ENV = {"PYTHONHASHSEED": "0", "OMP_NUM_THREADS": "1"}

os.environ.update(KERNEL_ENV)
