"""Root pytest configuration, loaded for both tests/ and book/.

nbval starts each notebook's kernel with this process's environment, so the kernel gets the
same settings as when tools/execute_notebooks.py executed the notebook:

* PYTHONHASHSEED=0: any output that depends on set or dict-of-str ordering is reproducible;
* OMP_NUM_THREADS=1: the book's models are small, and on a 2-core machine torch's and
  OpenBLAS's thread pools spend more time synchronising than computing (measured: one
  training loop took 0.8 s with one thread and 76 s with two under load). Results are the
  same either way; only time changes.
"""

import os

#: The environment every notebook kernel runs with; tools/execute_notebooks.py imports it.
KERNEL_ENV = {"PYTHONHASHSEED": "0", "OMP_NUM_THREADS": "1"}

for _name, _value in KERNEL_ENV.items():
    os.environ.setdefault(_name, _value)
