"""``python -m turboboard``: the ``turboboard`` command."""

import sys

from ._cli import main

sys.exit(main())
