"""Run the Spelling Bee Bot alone: `python -m botfleet.bots.spelling_bee`."""

import sys

from botfleet.core.voiceless import leave_out_voice_libraries

leave_out_voice_libraries()  # before anything loads discord.py: until a voice join

from botfleet.bots.spelling_bee.bot import DEFINITION  # noqa: E402
from botfleet.core.entry import run_definition  # noqa: E402

sys.exit(run_definition(DEFINITION))
