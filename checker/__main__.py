"""`python -m checker`: the command line, for environments without the `checker` script."""

import sys

from checker.cli import main

sys.exit(main())
