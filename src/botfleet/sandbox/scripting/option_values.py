"""The option values Discord's client sends in a slash command, and the ones it refuses to."""

from __future__ import annotations

import math
from typing import Any

from botfleet.sandbox.command_validation import STRING_OPTION_LENGTH_LIMIT
from botfleet.sandbox.scripting.waits import SandboxScriptError

OPTION_NUMBER_LIMIT = 2**53
"""Integer and number options take values between -2^53 and 2^53."""
_OPTION_STRING = 3
_OPTION_INTEGER = 4
_OPTION_BOOLEAN = 5
_OPTION_NUMBER = 10


def check_scalar(kind: int, value: Any, where: str) -> Any:
    """The value if Discord's client would send it for an option of this type: a string of 1
    to 6,000 characters (an empty option is left out), a whole or finite number within
    ±2^53, a boolean."""
    if kind == _OPTION_STRING and isinstance(value, str):
        if not 1 <= len(value) <= STRING_OPTION_LENGTH_LIMIT:
            raise SandboxScriptError(
                f"{where} takes 1..{STRING_OPTION_LENGTH_LIMIT} characters, got {len(value)}"
            )
        return value
    if kind in (_OPTION_INTEGER, _OPTION_NUMBER) and not isinstance(value, bool):
        whole = isinstance(value, int)
        if whole or (kind == _OPTION_NUMBER and isinstance(value, float)):
            if not (whole or math.isfinite(value)) or abs(value) > OPTION_NUMBER_LIMIT:
                raise SandboxScriptError(
                    f"{where} takes values within ±{OPTION_NUMBER_LIMIT}, got {value}"
                )
            return value
    if kind == _OPTION_BOOLEAN and isinstance(value, bool):
        return value
    expected = {3: "a string", 4: "an integer", 5: "a boolean", 10: "a number"}[kind]
    raise SandboxScriptError(f"{where} takes {expected}, not {value!r}")


def check_choices_and_ranges(definition: dict[str, Any], value: Any, where: str) -> None:
    choices = definition.get("choices")
    if choices and value not in [choice.get("value") for choice in choices]:
        raise SandboxScriptError(
            f"{where} takes one of {[choice.get('value') for choice in choices]}, not {value!r}"
        )
    if isinstance(value, str):
        low, high = definition.get("min_length"), definition.get("max_length")
        if (low is not None and len(value) < low) or (high is not None and len(value) > high):
            raise SandboxScriptError(f"{where} takes {low}..{high} characters, got {len(value)}")
    elif not isinstance(value, bool):
        low, high = definition.get("min_value"), definition.get("max_value")
        if (low is not None and value < low) or (high is not None and value > high):
            raise SandboxScriptError(f"{where} takes values {low}..{high}, got {value}")
