"""``python -m benchmarks``: see :mod:`benchmarks` for what it measures and :mod:`benchmarks.run` for the options."""

import sys

from benchmarks.run import main

sys.exit(main())
