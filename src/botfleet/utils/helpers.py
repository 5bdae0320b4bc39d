"""Helpers every bot uses: embeds and messages that fit Discord's limits, durations, strings.

Discord rejects a whole message when one part of it is too long, so everything built here is
cut to size on the way out: a member sees a shortened text or one more page, never an error.
Lengths are counted in characters (code points), as Discord and ``len(discord.Embed)`` count them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import NamedTuple, TypeAlias, TypeVar

import discord
from discord.utils import TimestampStyle

from botfleet.config import load_config
from botfleet.errors import UserError

__all__ = [
    "BLANK",
    "DURATION_EXAMPLES",
    "ELLIPSIS",
    "EMBEDS_PER_MESSAGE_LIMIT",
    "EMBED_AUTHOR_NAME_LIMIT",
    "EMBED_DESCRIPTION_LIMIT",
    "EMBED_FIELD_COUNT_LIMIT",
    "EMBED_FIELD_NAME_LIMIT",
    "EMBED_FIELD_VALUE_LIMIT",
    "EMBED_FOOTER_LIMIT",
    "EMBED_TITLE_LIMIT",
    "EMBED_TOTAL_LIMIT",
    "MAX_DURATION_SECONDS",
    "MAX_DURATION_YEARS",
    "MESSAGE_CONTENT_LIMIT",
    "PAGINATE_MIN_LIMIT",
    "DurationTooLongError",
    "EmbedField",
    "EmptyDurationError",
    "InvalidDurationError",
    "MissingTimeUnitError",
    "NonPositiveDurationError",
    "TimeParseError",
    "UnknownTimeUnitError",
    "chunk_embeds",
    "chunk_list",
    "create_embed",
    "format_time",
    "load_config",
    "paginate_embeds",
    "paginate_text",
    "parse_time",
    "truncate_string",
]

T = TypeVar("T")

EMBED_TITLE_LIMIT = 256
EMBED_DESCRIPTION_LIMIT = 4096
EMBED_FIELD_COUNT_LIMIT = 25
EMBED_FIELD_NAME_LIMIT = 256
EMBED_FIELD_VALUE_LIMIT = 1024
EMBED_FOOTER_LIMIT = 2048
EMBED_AUTHOR_NAME_LIMIT = 256
EMBED_TOTAL_LIMIT = 6000
"""Title, description, field names and values, footer text and author name together; Discord
applies it to one embed and to all the embeds of one message."""
EMBEDS_PER_MESSAGE_LIMIT = 10
MESSAGE_CONTENT_LIMIT = 2000

ELLIPSIS = "…"
BLANK = "\u200b"
"""A zero-width space: Discord refuses blank field names and values, so they become this."""

EmbedField: TypeAlias = tuple[str, str] | tuple[str, str, bool] | Mapping[str, object]
"""An embed field as ``(name, value)``, ``(name, value, inline)`` or a mapping with the keys
``name``, ``value`` and optionally ``inline`` (fields are inline unless told otherwise)."""


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


# --- Embeds ----------------------------------------------------------------------------------


class _Field(NamedTuple):
    name: str
    value: str
    inline: bool

    @property
    def size(self) -> int:
        return len(self.name) + len(self.value)


_MIN_TRIMMED_VALUE = 16
"""A field is kept with a shortened value only when this much of the value still fits."""


def create_embed(  # noqa: PLR0917  (the architecture document's positional signature)
    title: str | None,
    description: str | None,
    color: int | discord.Colour,
    fields: Sequence[EmbedField] | None = None,
    footer: str | None = None,
    timestamp: bool = False,
    *,
    author: str | None = None,
) -> discord.Embed:
    """Build one embed that Discord accepts whatever the length of its parts.

    Each part is cut to its own limit; when the whole would pass 6000 characters, fields are
    dropped from the end (the first one that does not fit is shortened when enough of it fits),
    then the description is shortened. Use :func:`paginate_embeds` to keep everything.
    """
    title_text = _part(title, EMBED_TITLE_LIMIT)
    author_text = _part(author, EMBED_AUTHOR_NAME_LIMIT)
    footer_text = _part(footer, EMBED_FOOTER_LIMIT)
    room = EMBED_TOTAL_LIMIT - _total_length(title_text, author_text, footer_text)
    description_text = _part(description, min(EMBED_DESCRIPTION_LIMIT, room))
    room -= len(description_text or "")
    kept: list[_Field] = []
    for spec in list(fields or ())[:EMBED_FIELD_COUNT_LIMIT]:
        name, value, inline = _field_parts(spec)
        field = _Field(
            _field_text(name, EMBED_FIELD_NAME_LIMIT),
            _field_text(value, EMBED_FIELD_VALUE_LIMIT),
            inline,
        )
        if field.size > room:
            value_room = room - len(field.name)
            if value_room >= _MIN_TRIMMED_VALUE:
                kept.append(field._replace(value=truncate_string(field.value, value_room)))
            break
        kept.append(field)
        room -= field.size
    return _build_embed(
        title=title_text,
        description=description_text,
        color=color,
        fields=kept,
        footer=footer_text,
        author=author_text,
        timestamp=timestamp,
    )


def paginate_embeds(
    title: str | None,
    description: str | None,
    color: int | discord.Colour,
    *,
    fields: Sequence[EmbedField] | None = None,
    footer: str | None = None,
    timestamp: bool = False,
    author: str | None = None,
    fields_per_page: int = EMBED_FIELD_COUNT_LIMIT,
) -> list[discord.Embed]:
    """Build as many embeds as it takes to show everything, each within every Discord limit.

    The description is paginated like :func:`paginate_text`; fields follow it, at most
    ``fields_per_page`` to an embed, and a value longer than a field allows continues in the
    next field. Every embed repeats the title and author; with more than one embed, each
    footer ends with "Page i/n". Send them one per message, or grouped by :func:`chunk_embeds`.
    """
    if not 1 <= fields_per_page <= EMBED_FIELD_COUNT_LIMIT:
        raise ValueError(
            f"fields_per_page must be between 1 and {EMBED_FIELD_COUNT_LIMIT}, "
            f"not {fields_per_page}"
        )
    field_list = [piece for spec in fields or () for piece in _split_field(spec)]
    description = description or ""
    most_pages = len(description) + len(field_list) + 1
    label_room = len(_PAGE_SEPARATOR + _page_label(most_pages, most_pages))
    title_text = _part(title, EMBED_TITLE_LIMIT)
    author_text = _part(author, EMBED_AUTHOR_NAME_LIMIT)
    footer_text = _part(footer, EMBED_FOOTER_LIMIT - label_room)
    room = EMBED_TOTAL_LIMIT - _total_length(title_text, author_text, footer_text) - label_room

    descriptions = paginate_text(description, min(EMBED_DESCRIPTION_LIMIT, room))
    pages: list[tuple[str | None, list[_Field]]] = [(text, []) for text in descriptions]
    if not pages:
        pages.append((None, []))
    used = len(pages[-1][0] or "")
    for field in field_list:
        if len(pages[-1][1]) >= fields_per_page or used + field.size > room:
            pages.append((None, []))
            used = 0
        pages[-1][1].append(field)
        used += field.size

    count = len(pages)
    return [
        _build_embed(
            title=title_text,
            description=page_description,
            color=color,
            fields=page_fields,
            footer=_footer_with_label(footer_text, number, count) if count > 1 else footer_text,
            author=author_text,
            timestamp=timestamp,
        )
        for number, (page_description, page_fields) in enumerate(pages, start=1)
    ]


def chunk_embeds(embeds: Sequence[discord.Embed]) -> list[list[discord.Embed]]:
    """Group embeds into messages: at most 10 to a message and 6000 characters between them."""
    groups: list[list[discord.Embed]] = []
    current: list[discord.Embed] = []
    used = 0
    for embed in embeds:
        size = len(embed)
        if size > EMBED_TOTAL_LIMIT:
            raise ValueError(
                f"an embed of {size} characters is over Discord's {EMBED_TOTAL_LIMIT}; "
                "build it with create_embed or paginate_embeds"
            )
        if current and (
            len(current) == EMBEDS_PER_MESSAGE_LIMIT or used + size > EMBED_TOTAL_LIMIT
        ):
            groups.append(current)
            current, used = [], 0
        current.append(embed)
        used += size
    if current:
        groups.append(current)
    return groups


def _part(text: str | None, limit: int) -> str | None:
    """An optional embed part cut to ``limit``; blank parts are left out (Discord refuses them)."""
    if text is None or not text.strip():
        return None
    return truncate_string(text, limit)


def _total_length(*parts: str | None) -> int:
    return sum(len(part or "") for part in parts)


def _field_text(text: str, limit: int) -> str:
    return truncate_string(text, limit) if text.strip() else BLANK


def _field_parts(spec: EmbedField) -> tuple[str, str, bool]:
    """Read a field given as a tuple or a mapping into (name, value, inline)."""
    if isinstance(spec, Mapping):
        if "name" not in spec or "value" not in spec:
            raise ValueError(f"an embed field needs a 'name' and a 'value', got keys {list(spec)}")
        return str(spec["name"]), str(spec["value"]), bool(spec.get("inline", True))
    if len(spec) not in (2, 3):
        raise ValueError(f"an embed field is (name, value) or (name, value, inline), got {spec!r}")
    inline = bool(spec[2]) if len(spec) == 3 else True
    return str(spec[0]), str(spec[1]), inline


def _split_field(spec: EmbedField) -> list[_Field]:
    """One field, or several when the value is longer than a field allows."""
    name, value, inline = _field_parts(spec)
    first_name = _field_text(name, EMBED_FIELD_NAME_LIMIT)
    values = paginate_text(value, EMBED_FIELD_VALUE_LIMIT) or [BLANK]
    if len(values) == 1:
        return [_Field(first_name, values[0], inline)]
    suffix = " (continued)"
    next_name = truncate_string(name.strip() or BLANK, EMBED_FIELD_NAME_LIMIT - len(suffix))
    names = [first_name] + [next_name + suffix] * (len(values) - 1)
    return [
        _Field(field_name, text, inline) for field_name, text in zip(names, values, strict=True)
    ]


_PAGE_SEPARATOR = " • "


def _page_label(number: int, count: int) -> str:
    return f"Page {number}/{count}"


def _footer_with_label(footer: str | None, number: int, count: int) -> str:
    label = _page_label(number, count)
    return f"{footer}{_PAGE_SEPARATOR}{label}" if footer else label


def _build_embed(
    *,
    title: str | None,
    description: str | None,
    color: int | discord.Colour,
    fields: Sequence[_Field],
    footer: str | None,
    author: str | None,
    timestamp: bool,
) -> discord.Embed:
    embed = discord.Embed(
        title=title,
        description=description,
        color=color,
        timestamp=discord.utils.utcnow() if timestamp else None,
    )
    for field in fields:
        embed.add_field(name=field.name, value=field.value, inline=field.inline)
    if footer is not None:
        embed.set_footer(text=footer)
    if author is not None:
        embed.set_author(name=author)
    return embed


# --- Durations -------------------------------------------------------------------------------

_MINUTE = 60
_HOUR = 60 * _MINUTE
_DAY = 24 * _HOUR
_WEEK = 7 * _DAY
_FORMAT_UNITS = (("w", _WEEK), ("d", _DAY), ("h", _HOUR), ("m", _MINUTE), ("s", 1))
MAX_DURATION_YEARS = 10
MAX_DURATION_SECONDS = MAX_DURATION_YEARS * 365 * _DAY
"""The longest duration :func:`parse_time` accepts; anything longer is surely a typo."""

_UNIT_SECONDS: dict[str, int] = {
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), _MINUTE),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), _HOUR),
    **dict.fromkeys(("d", "day", "days"), _DAY),
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), _WEEK),
}
_VARIABLE_UNITS = frozenset(
    {"mo", "mos", "mon", "month", "months", "y", "yr", "yrs", "year", "years"}
)
DURATION_EXAMPLES = "90s, 1h30m, 2d, 1w or 1 hour 30 minutes"
_MAX_DURATION_INPUT = 100

_JOINERS = re.compile(r",|\band\b")
_COMPONENT = re.compile(r"(\d+)\s*([^\W\d_]+)")
_DURATION = re.compile(r"(?:\s*\d+\s*[^\W\d_]+)+\s*")
_NUMBER_WITHOUT_UNIT = re.compile(r"(?<!\d)(\d+)(?!\d)\s*(?=\d|$)")


class TimeParseError(UserError, ValueError):
    """A duration a member typed could not be read; the message tells them how to write it."""


class EmptyDurationError(TimeParseError):
    """No duration was given at all."""


class InvalidDurationError(TimeParseError):
    """The text is not a duration (letters without numbers, stray symbols, decimals...)."""


class MissingTimeUnitError(TimeParseError):
    """A number has no unit after it, as in "90" or "1h 30"."""


class UnknownTimeUnitError(TimeParseError):
    """A unit that is not seconds, minutes, hours, days or weeks."""


class NonPositiveDurationError(TimeParseError):
    """The duration is zero or negative."""


class DurationTooLongError(TimeParseError):
    """The duration is longer than :data:`MAX_DURATION_SECONDS`."""


def format_time(seconds: int) -> str:
    """Write a number of seconds the way members type it: "1w 2d 3h", "1h 30m", "45s"."""
    if seconds < 0:
        raise ValueError(f"a duration cannot be negative, got {seconds} seconds")
    if seconds == 0:
        return "0s"
    parts: list[str] = []
    for unit, size in _FORMAT_UNITS:
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return " ".join(parts)


def parse_time(time_str: str) -> int:
    """Read a duration such as "90s", "1h30m", "2d", "1w" or "1 hour 30 minutes" as seconds.

    Raises a :class:`TimeParseError` subclass whose message explains the mistake with examples.
    """
    text = time_str.strip().casefold()
    if not text:
        raise EmptyDurationError(f"Please give a duration, for example {DURATION_EXAMPLES}.")
    shown = f"“{truncate_string(time_str.strip(), 40)}”"
    if len(text) > _MAX_DURATION_INPUT:
        raise InvalidDurationError(
            f"{shown} is too long to be a duration. Try something like {DURATION_EXAMPLES}."
        )
    if re.search(r"-\s*\d", text):
        raise NonPositiveDurationError(
            f"A duration can't be negative. Try something like {DURATION_EXAMPLES}."
        )
    if re.search(r"\d[.,]\d", text):
        raise InvalidDurationError(
            "Please use whole numbers, for example 1h30m rather than 1.5h, or 90s rather than 1.5m."
        )
    normalized = _JOINERS.sub(" ", text)
    if not _DURATION.fullmatch(normalized):
        bare_number = _NUMBER_WITHOUT_UNIT.search(normalized)
        if bare_number is not None:
            raise MissingTimeUnitError(
                f"The number {bare_number.group(1)} needs a unit: s, m, h, d or w. "
                f"For example {DURATION_EXAMPLES}."
            )
        raise InvalidDurationError(
            f"I couldn't read {shown} as a duration. Write a number and a unit, "
            f"for example {DURATION_EXAMPLES}."
        )
    total = 0
    for amount, unit in _COMPONENT.findall(normalized):
        if unit in _VARIABLE_UNITS:
            raise UnknownTimeUnitError(
                "Months and years vary in length, so please count in days or weeks, "
                "for example 30d or 52w."
            )
        if unit not in _UNIT_SECONDS:
            raise UnknownTimeUnitError(
                f"I don't know the time unit “{truncate_string(unit, 20)}”. Use s, m, h, d or w "
                f"(seconds, minutes, hours, days or weeks), for example {DURATION_EXAMPLES}."
            )
        total += int(amount) * _UNIT_SECONDS[unit]
    if total == 0:
        raise NonPositiveDurationError(
            f"A duration must be longer than zero, for example {DURATION_EXAMPLES}."
        )
    if total > MAX_DURATION_SECONDS:
        raise DurationTooLongError(
            f"{shown} is longer than the longest duration allowed, {MAX_DURATION_YEARS} years "
            f"({format_time(MAX_DURATION_SECONDS)})."
        )
    return total
