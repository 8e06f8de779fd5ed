"""Root pytest configuration, loaded for both tests/ and book/.

nbval starts each notebook's kernel with this process's environment. Fixing the hash seed
makes any output that depends on set or dict-of-str ordering the same as when the notebook
was executed by tools/execute_notebooks.py (which sets the same value).
"""

import os

os.environ.setdefault("PYTHONHASHSEED", "0")
