"""The LanguageTool engine: a LanguageTool server the operator runs or subscribes to.

It speaks LanguageTool's HTTP API: ``POST /v2/check`` with the form fields ``text`` and
``language``, answered by JSON ``matches`` (``offset``, ``length``, ``message``,
``replacements``, ``rule.category``). LanguageTool counts offsets in UTF-16 code units, as
Java does, so an emoji counts twice; they are turned into Python's code points here, or every
issue after an emoji would sit one character off.
"""

from __future__ import annotations

import logging
import re
from bisect import bisect_left
from itertools import accumulate
from typing import Final

import aiohttp
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from yarl import URL

from botfleet.bots.grammar.services.engine import EngineError, unique_suggestions
from botfleet.bots.grammar.services.issues import Category, Issue

log = logging.getLogger(__name__)

CATEGORIES: Final = {
    "TYPOS": Category.SPELLING,
    "GRAMMAR": Category.GRAMMAR,
    "PUNCTUATION": Category.PUNCTUATION,
    "TYPOGRAPHY": Category.PUNCTUATION,
    "CASING": Category.CAPITALIZATION,
    "CONFUSED_WORDS": Category.WORD_CHOICE,
    "COLLOCATIONS": Category.WORD_CHOICE,
    "SEMANTICS": Category.WORD_CHOICE,
    "COMPOUNDING": Category.SPELLING,
}
"""LanguageTool's rule categories; the others (style, redundancy, plain English...) are style."""
ISSUE_TYPES: Final = {
    "misspelling": Category.SPELLING,
    "grammar": Category.GRAMMAR,
    "typographical": Category.PUNCTUATION,
}
"""A rule's issue type, for a category id the table above does not know."""
_SUGGESTION_MARKUP: Final = re.compile(r"<suggestion>(.*?)</suggestion>")


class _Replacement(BaseModel):
    model_config = ConfigDict(extra="ignore")
    value: str


class _RuleCategory(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str = ""
    name: str = ""


class _Rule(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    id: str
    description: str = ""
    issue_type: str = Field(default="", alias="issueType")
    category: _RuleCategory = _RuleCategory()


class _Match(BaseModel):
    model_config = ConfigDict(extra="ignore")
    message: str
    offset: int = Field(ge=0)
    length: int = Field(ge=0)
    replacements: list[_Replacement] = []
    rule: _Rule


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore")
    matches: list[_Match]


def check_endpoint(server: str) -> URL:
    """The ``/v2/check`` URL of a server given as its root, its ``/v2`` or the endpoint itself.

    Raises ``ValueError`` for anything but an absolute http(s) URL.
    """
    url = URL(server.strip())
    if url.scheme not in {"http", "https"} or not url.host:
        raise ValueError(f"the LanguageTool URL must be an http(s) address, got {server!r}")
    path = url.path.rstrip("/")
    if path.endswith("/v2/check"):
        return url.with_path(path)
    if path.endswith("/v2"):
        return url.with_path(f"{path}/check")
    return url.with_path(f"{path}/v2/check")


class _CodePoints:
    """Turns UTF-16 offsets into code point offsets of one text."""

    def __init__(self, text: str) -> None:
        self._units_before = [0, *accumulate(2 if ord(char) > 0xFFFF else 1 for char in text)]

    def index(self, utf16_offset: int) -> int:
        return bisect_left(self._units_before, utf16_offset)


class LanguageToolEngine:
    """Checks with a LanguageTool server; any failure is an :class:`EngineError`."""

    name = "languagetool"

    def __init__(
        self,
        server: str,
        *,
        timeout: float = 10.0,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.endpoint = check_endpoint(server)
        self._timeout = timeout
        self._session = session
        self._owns_session = session is None

    def supports(self, language: str) -> bool:
        """Every language: the server answers for the ones it knows, and refuses the rest."""
        return True

    async def start(self) -> None:
        await self._open_session()

    async def close(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    async def _open_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    async def check(self, text: str, language: str) -> list[Issue]:
        answer = await self._post(text, language)
        positions = _CodePoints(text)
        issues = []
        for match in answer.matches:
            start = positions.index(match.offset)
            end = positions.index(match.offset + match.length)
            if end > len(text):
                log.warning(
                    "LanguageTool reported a span past the text, ignored: %s", match.rule.id
                )
                continue
            issues.append(
                Issue(
                    start=start,
                    end=end,
                    category=_category(match.rule),
                    message=_SUGGESTION_MARKUP.sub(r"“\1”", match.message),
                    suggestions=unique_suggestions([item.value for item in match.replacements]),
                    explanation=match.rule.description or match.rule.category.name,
                    engine=self.name,
                    rule=match.rule.id,
                )
            )
        return sorted(issues, key=lambda issue: (issue.start, issue.end, issue.rule))

    async def _post(self, text: str, language: str) -> _Answer:
        session = await self._open_session()
        where = f"the LanguageTool server at {self.endpoint.origin()}"
        try:
            async with session.post(
                self.endpoint,
                data={"text": text, "language": language},
                headers={"Accept": "application/json"},
                timeout=aiohttp.ClientTimeout(total=self._timeout),
            ) as response:
                if response.status != 200:
                    detail = (await response.text())[:200].strip()
                    raise EngineError(
                        self.name, f"{where} answered HTTP {response.status}: {detail or '-'}"
                    )
                body = await response.read()
        except TimeoutError as error:
            raise EngineError(
                self.name, f"{where} did not answer within {self._timeout:g} s"
            ) from error
        except aiohttp.ClientError as error:
            raise EngineError(self.name, f"could not reach {where}: {error}") from error
        try:
            return _Answer.model_validate_json(body)
        except ValidationError as error:
            raise EngineError(
                self.name,
                f"{where} did not answer with LanguageTool's JSON ({error.error_count()} problems)",
            ) from error


def _category(rule: _Rule) -> Category:
    if rule.category.id in CATEGORIES:
        return CATEGORIES[rule.category.id]
    return ISSUE_TYPES.get(rule.issue_type, Category.STYLE)
