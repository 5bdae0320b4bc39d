"""Run the Utility Bot alone: `python -m botfleet.bots.utility`."""

import sys

from botfleet.bots.utility.bot import DEFINITION
from botfleet.core.entry import run_definition

sys.exit(run_definition(DEFINITION))
