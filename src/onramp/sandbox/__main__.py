"""Lets `python -m onramp.sandbox` start the server (used by the tests and the demo)."""

import sys

from onramp.sandbox.server import main

sys.exit(main())
