"""Run the Mod Bot alone: `python -m botfleet.bots.mod`."""

import sys

from botfleet.bots.mod.bot import DEFINITION
from botfleet.core.entry import run_definition

sys.exit(run_definition(DEFINITION))
