"""Run the Grammar Bot alone: `python -m botfleet.bots.grammar`."""

import sys

from botfleet.bots.grammar.bot import DEFINITION
from botfleet.core.entry import run_definition

sys.exit(run_definition(DEFINITION))
