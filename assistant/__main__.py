"""``python -m assistant`` works like the ``assistant`` command."""

import sys

from .cli import main

sys.exit(main())
