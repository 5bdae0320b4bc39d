"""Text that fits Discord's limits: cut short or split into pages, never broken markup.

Discord rejects a whole message when one part of it is too long, so text is cut to size on the
way out: a member sees a shortened text or one more page, never an error. Lengths are counted in
characters (code points), as Discord counts them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple, TypeVar

import discord
from discord.utils import TimestampStyle

T = TypeVar("T")

MESSAGE_CONTENT_LIMIT = 2000
ELLIPSIS = "…"

# Text that renders as one thing: cutting through it leaves raw markup, so cuts step back before it.
_ATOMIC_TOKEN = re.compile(
    r"<a?:\w{2,32}:\d{15,21}>"  # custom emoji
    r"|<(?:@[!&]?|#)\d{15,21}>"  # user, role and channel mentions
    r"|</[\w -]{1,96}:\d{15,21}>"  # slash command mentions
    r"|<t:-?\d{1,16}(?::[tTdDfFRS])?>"  # timestamps
    r"|\[[^\[\]\n]{0,256}\]\(<?https?://[^\s()<>]{1,512}>?\)"  # markdown links
    r"|https?://[^\s<>]{1,512}"  # bare links
)
_ATOMIC_TOKEN_MAX_LENGTH = 800
"""Longer than any match of ``_ATOMIC_TOKEN``: how far around a cut to look for one."""

_ZERO_WIDTH_JOINER = "\u200d"


def discord_timestamp(moment: datetime, style: TimestampStyle = "F") -> str:
    """A moment every member reads in their own zone and language, then how long ago or ahead."""
    return f"{discord.utils.format_dt(moment, style)} ({discord.utils.format_dt(moment, 'R')})"


def truncate_string(text: str, max_length: int) -> str:
    """Shorten ``text`` to at most ``max_length`` characters, ending with "…" when it was cut.

    The cut steps back rather than split a custom emoji, mention, timestamp, link, or a
    character from the marks and joiners that belong to it, so what is kept still renders.
    """
    if max_length < 0:
        raise ValueError(f"max_length must be zero or more, not {max_length}")
    if len(text) <= max_length:
        return text
    if max_length == 0:
        return ""
    cut = _safe_cut(text, 0, max_length - len(ELLIPSIS))
    return text[:cut].rstrip() + ELLIPSIS


def chunk_list(items: Sequence[T], chunk_size: int) -> list[list[T]]:
    """Split ``items`` into lists of ``chunk_size`` items (the last one may be shorter)."""
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, not {chunk_size}")
    return [list(items[start : start + chunk_size]) for start in range(0, len(items), chunk_size)]


def _safe_cut(text: str, start: int, cut: int) -> int:
    """The last index in ``(start, cut]`` where ``text`` can be split without breaking what
    renders as one thing; ``cut`` itself when every such index would break something.

    The result is never inside a run of backticks at an offset that is not a multiple of three,
    so counting code fences in the pieces gives the same answer as counting them in ``text``.
    """
    best = cut
    window = (
        max(start, cut - _ATOMIC_TOKEN_MAX_LENGTH),
        min(len(text), cut + _ATOMIC_TOKEN_MAX_LENGTH),
    )
    for match in _ATOMIC_TOKEN.finditer(text, *window):
        if match.start() >= best:
            break
        if match.end() > best:
            best = match.start()
            break
    while best > start and _continues_cluster(text, best):
        best -= 1
    if best <= start:
        best = cut
    return _outside_backtick_run(text, start, best)


def _continues_cluster(text: str, index: int) -> bool:
    """Whether ``text[index]`` belongs with the character before it (a mark, a joiner, a skin
    tone, an emoji tag, the second half of a surrogate pair)."""
    if index <= 0 or index >= len(text):
        return False
    char, previous = text[index], text[index - 1]
    return (
        unicodedata.category(char).startswith("M")
        or _ZERO_WIDTH_JOINER in (char, previous)
        or "\U0001f3fb" <= char <= "\U0001f3ff"
        or "\U000e0020" <= char <= "\U000e007f"
        or ("\udc00" <= char <= "\udfff" and "\ud800" <= previous <= "\udbff")
    )


def _outside_backtick_run(text: str, start: int, index: int) -> int:
    """Move a cut that falls inside a run of backticks back to a multiple of three within it."""
    if not (0 < index < len(text) and text[index - 1] == "`" and text[index] == "`"):
        return index
    run_start = index - 1
    while run_start > 0 and text[run_start - 1] == "`":
        run_start -= 1
    aligned = run_start + (index - run_start) // 3 * 3
    return aligned if aligned > start else index


# --- Paginating text ------------------------------------------------------------------------

_FENCE = "```"
_FENCE_CLOSE = "\n```"
_MAX_FENCE_LANGUAGE = 20
_FENCE_LANGUAGE = re.compile(rf"[A-Za-z0-9_+#.-]{{1,{_MAX_FENCE_LANGUAGE}}}")
_FENCE_OVERHEAD = len(_FENCE) + _MAX_FENCE_LANGUAGE + len("\n") + len(_FENCE_CLOSE)
"""The most a page can spend on reopening and closing a code block."""
PAGINATE_MIN_LIMIT = _FENCE_OVERHEAD + 4


class _Fence(NamedTuple):
    """Whether the text read so far is inside a code block, and that block's language."""

    is_open: bool
    language: str

    def after(self, piece: str) -> _Fence:
        is_open, language = self
        for match in re.finditer(_FENCE, piece):
            is_open = not is_open
            if is_open:
                rest = piece[match.end() :]
                language = rest if _FENCE_LANGUAGE.fullmatch(rest) else ""
        return _Fence(is_open, language)

    @property
    def reopening(self) -> str:
        return f"{_FENCE}{self.language}\n" if self.is_open else ""

    @property
    def closing(self) -> str:
        return _FENCE_CLOSE if self.is_open else ""


class _PageBuilder:
    """Packs pieces of text into pages greedily, closing and reopening code blocks at breaks."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.pages: list[str] = []
        self.fence = _Fence(is_open=False, language="")
        self._open_page()

    def _open_page(self) -> None:
        self.opening = self.fence.reopening
        self.parts: list[str] = []
        self.length = len(self.opening)

    def add(self, piece: str, *, after_newline: bool) -> None:
        joiner = "\n" if after_newline and self.parts else ""
        fence_after = self.fence.after(piece)
        needed = self.length + len(joiner) + len(piece) + len(fence_after.closing)
        if self.parts and needed > self.limit:
            self.finish_page()
            joiner = ""
        self.parts.append(joiner + piece)
        self.length += len(joiner) + len(piece)
        self.fence = fence_after

    def finish_page(self) -> None:
        body = "".join(self.parts)
        if body.strip():
            self.pages.append(self.opening + body + self.fence.closing)
        self._open_page()


def paginate_text(text: str, limit: int = MESSAGE_CONTENT_LIMIT) -> list[str]:
    """Split ``text`` into pages of at most ``limit`` characters, breaking at newlines.

    A line too long for a page is broken at a space near its end, else anywhere that does not
    split an emoji, mention or link. A page that ends inside a code block is closed with
    "\\n```" and the next page reopens it with "```<language>\\n", so every page renders.

    Invariant: once those added fence lines are removed, the pages are consecutive stretches
    of ``text``; what lies between two pages (and around them) is whitespace only: the newline
    the text was split at, and any blank stretch that would have made a page with nothing to
    read (Discord refuses blank messages). Blank ``text`` gives no pages.
    """
    if limit < PAGINATE_MIN_LIMIT:
        raise ValueError(f"limit must be at least {PAGINATE_MIN_LIMIT}, not {limit}")
    width = limit - _FENCE_OVERHEAD
    builder = _PageBuilder(limit)
    for line_number, line in enumerate(text.split("\n")):
        for piece_number, piece in enumerate(_wrap_line(line, width)):
            builder.add(piece, after_newline=line_number > 0 and piece_number == 0)
    builder.finish_page()
    return builder.pages


def _wrap_line(line: str, width: int) -> list[str]:
    """Split a line into pieces of at most ``width`` characters, at a space when one is near."""
    pieces: list[str] = []
    start = 0
    while len(line) - start > width:
        end = start + width
        space = line.rfind(" ", start + width // 2, end)
        cut = _safe_cut(line, start, space + 1 if space != -1 else end)
        pieces.append(line[start:cut])
        start = cut
    pieces.append(line[start:])
    return pieces
