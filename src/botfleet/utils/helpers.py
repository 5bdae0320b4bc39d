"""The helpers the architecture document names, where it says they are.

They live by subject in :mod:`botfleet.utils.text`, :mod:`botfleet.utils.embeds` and
:mod:`botfleet.utils.durations`; this module keeps the documented names importable from here.
"""

from botfleet.config import load_config
from botfleet.utils.durations import format_time, parse_time
from botfleet.utils.embeds import create_embed
from botfleet.utils.text import chunk_list, truncate_string

__all__ = [
    "chunk_list",
    "create_embed",
    "format_time",
    "load_config",
    "parse_time",
    "truncate_string",
]
