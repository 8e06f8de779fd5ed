"""``python -m rnnbook``: the command line of :mod:`rnnbook.cli` (``python -m rnnbook --help``)."""

from .cli import main

raise SystemExit(main())
