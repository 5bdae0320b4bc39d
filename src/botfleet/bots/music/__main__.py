"""Run the Music Bot alone: `python -m botfleet.bots.music`."""

import sys

from botfleet.bots.music.bot import DEFINITION
from botfleet.core.entry import run_definition

sys.exit(run_definition(DEFINITION))
