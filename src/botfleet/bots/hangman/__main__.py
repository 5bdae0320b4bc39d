"""Run the Hangman Bot alone: `python -m botfleet.bots.hangman`."""

import sys

from botfleet.bots.hangman.bot import DEFINITION
from botfleet.core.entry import run_definition

sys.exit(run_definition(DEFINITION))
