"""``python -m fragscope.tui``: the same command line as the ``fragscope`` script."""

import sys

from .cli import main

sys.exit(main())
