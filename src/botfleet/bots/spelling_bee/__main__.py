"""Run the Spelling Bee Bot alone: `python -m botfleet.bots.spelling_bee`."""

import sys

from botfleet.bots.spelling_bee.bot import DEFINITION
from botfleet.core.entry import run_definition

sys.exit(run_definition(DEFINITION))
