"""The dashboard's colours meet WCAG 2.2 AA in both the light and the dark scheme.

Read from the stylesheet the pages load (``web/static/style.css``): text of every kind at 4.5:1
against the backgrounds it sits on (1.4.3), and what identifies a control or a state, a form
field's edge and the notice and problem bars, at 3:1 (1.4.11).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import botfleet.web

STYLESHEET = Path(botfleet.web.__file__).parent / "static" / "style.css"
BACKGROUNDS = ("bg", "surface")
TEXT = 4.5
NON_TEXT = 3.0
_VARIABLE = re.compile(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})\s*;")


def palettes() -> dict[str, dict[str, str]]:
    """Each scheme's colour variables: the light ones of ``:root``, the dark ones over them."""
    css = STYLESHEET.read_text()
    dark_at = css.index("@media (prefers-color-scheme: dark)")
    light = dict(_VARIABLE.findall(css[:dark_at]))
    dark = light | dict(_VARIABLE.findall(css[dark_at : css.index("}\n}", dark_at)]))
    return {"light": light, "dark": dark}


def luminance(colour: str) -> float:
    """WCAG's relative luminance of a ``#rrggbb`` colour."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    red, green, blue = linear
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(first: str, second: str) -> float:
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_and_controls_meet_aa_contrast(scheme: str) -> None:
    colours = palettes()[scheme]
    pairs = [
        *((text, ground, TEXT) for text in ("text", "muted", "accent") for ground in BACKGROUNDS),
        ("accent-text", "accent", TEXT),  # a button's label
        *(
            (edge, ground, NON_TEXT)
            for edge in ("field-border", "good", "bad")
            for ground in BACKGROUNDS
        ),
    ]
    failing = [
        f"{fore} on {back}: {contrast(colours[fore], colours[back]):.2f} < {least}"
        for fore, back, least in pairs
        if contrast(colours[fore], colours[back]) < least
    ]
    assert failing == []


def test_form_fields_are_edged_in_the_colour_checked_above() -> None:
    css = STYLESHEET.read_text()
    fields = css[css.index("input, select {") :]
    assert "border: 1px solid var(--field-border)" in fields[: fields.index("}")]
