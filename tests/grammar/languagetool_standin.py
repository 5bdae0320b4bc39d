"""A LanguageTool-compatible server for the tests, speaking the real HTTP API.

``POST /v2/check`` with the form fields ``text`` and ``language``; ``matches`` in JSON with
offsets counted in UTF-16 code units as the Java server counts them; HTTP 400 for a missing
field or an unknown language. It knows a few rules of its own; a test can make it fail (500),
hang, or answer something that is not LanguageTool's JSON.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

LANGUAGES = {"en", "en-US", "en-GB", "de-DE"}

RULES: tuple[tuple[re.Pattern[str], dict[str, Any]], ...] = (
    (
        re.compile(r"\btomorow\b"),
        {
            "message": "Possible spelling mistake found.",
            "shortMessage": "Spelling mistake",
            "replacements": [{"value": "tomorrow"}, {"value": "tomorrows"}],
            "rule": {
                "id": "MORFOLOGIK_RULE_EN_US",
                "description": "Possible spelling mistake",
                "issueType": "misspelling",
                "category": {"id": "TYPOS", "name": "Possible Typo"},
            },
        },
    ),
    (
        re.compile(r"\ba (?=apple\b)"),
        {
            "message": "Use <suggestion>an</suggestion> instead of ‘a’ before a vowel sound.",
            "shortMessage": "Wrong article",
            "replacements": [{"value": "an "}],
            "rule": {
                "id": "EN_A_VS_AN",
                "description": "Use of 'a' vs. 'an'",
                "issueType": "misspelling",
                "category": {"id": "MISC", "name": "Miscellaneous"},
            },
        },
    ),
    (
        re.compile(r"\bliterally\b"),
        {
            "message": "‘Literally’ rarely adds anything; consider leaving it out.",
            "replacements": [],
            "rule": {
                "id": "LITERALLY_FILLER",
                "description": "Filler word",
                "issueType": "style",
                "category": {"id": "STYLE", "name": "Style"},
            },
        },
    ),
)


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class LanguageToolStandIn:
    """The server's state: how it answers next, and what it was sent."""

    url: str = ""
    mode: str = "ok"
    """``ok``, ``error`` (HTTP 500), ``slow`` (no answer until the test ends) or ``garbage``."""
    requests: list[dict[str, str]] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle_check(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        text, language = form.get("text"), form.get("language")
        if not isinstance(text, str) or not isinstance(language, str):
            return web.Response(status=400, text="Error: Missing 'text' or 'data' parameter")
        self.requests.append({"text": text, "language": language})
        if language not in LANGUAGES:
            return web.Response(status=400, text=f"Error: '{language}' is not a language code")
        if self.mode == "error":
            return web.Response(status=500, text="Error: internal error")
        if self.mode == "slow":
            await self.release.wait()
        if self.mode == "garbage":
            return web.json_response({"software": {"name": "not LanguageTool"}})
        matches = [
            {
                **rule,
                "offset": utf16_units(text[: match.start()]),
                "length": utf16_units(match.group()),
            }
            for pattern, rule in RULES
            for match in pattern.finditer(text)
        ]
        return web.json_response(
            {
                "software": {"name": "LanguageTool", "apiVersion": 1},
                "language": {"name": "English (US)", "code": language},
                "matches": matches,
            }
        )
