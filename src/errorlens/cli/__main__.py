"""``python -m errorlens.cli``: the same as the ``errorlens`` command."""

import sys

from errorlens.cli import main

sys.exit(main())
