"""Discord markup in a member's text: what is not prose, and the prose an auto-check reads.

Code, links, mentions and emoji are not sentences, so no engine should judge them. A direct
check keeps the text as typed and only ignores issues inside those parts
(:func:`protected_spans`); an auto-check removes them, plus quotes of someone else's words, and
maps every issue back to the message as posted (:class:`StrippedText`), so a suggestion applied
to the original message replaces exactly the flagged words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from botfleet.bots.grammar.services.issues import Issue

Span = tuple[int, int]

CODE_BLOCK: Final = re.compile(r"```.*?(?:```|\Z)", re.DOTALL)
"""A fenced block; an unclosed fence runs to the end, as Discord renders it."""
INLINE_CODE: Final = re.compile(r"``[^`]+?``|`[^`\n]+`")
URL: Final = re.compile(r"<?https?://[^\s<>]+?>?(?=[.,!?;:)'\"]*(?:\s|$))")
"""A link, without the sentence punctuation right after it."""
MASKED_LINK: Final = re.compile(r"\[[^\]\n]*\]\(\s*<?https?://[^)\s]+>?\s*\)")
MENTION: Final = re.compile(
    r"<@!?\d+>|<@&\d+>|<#\d+>|</[\w -]+:\d+>|<t:-?\d+(?::[tTdDfFR])?>|@everyone|@here"
)
"""Members, roles, channels, slash commands, timestamps and the two mass mentions."""
CUSTOM_EMOJI: Final = re.compile(r"<a?:\w{2,32}:\d+>|(?<![\w:]):[a-z0-9_+-]{2,32}:(?![\w:])")
"""A server's emoji, and an emoji shortcode not turned into a picture by the client."""
UNICODE_EMOJI: Final = re.compile(
    "(?:[0-9#*]\ufe0f?\u20e3"  # keycaps: a digit, an optional variation selector, the keycap
    "|["
    "\U0001f000-\U0001faff"  # emoticons, pictographs, transport, flags, skin tones
    "\u2600-\u27bf"  # miscellaneous symbols and dingbats
    "\u2300-\u23ff"  # technical symbols drawn as emoji: watch, hourglass, alarm clock
    "\u2b00-\u2bff"  # stars, squares and arrows drawn as emoji
    "\u00a9\u00ae\u203c\u2049\u2122\u2139\u3030\u303d\u3297\u3299"
    "\ufe0e\ufe0f\u200d"  # presentation selectors and the joiner inside combined emoji
    "\U000e0020-\U000e007f"  # tag characters of subdivision flags
    "])+"
)
"""Unicode emoji by code point block: wide enough for chat, with no table to keep updated."""
BLOCK_QUOTE: Final = re.compile(r"^>>> .*\Z|^> [^\n]*(?:\n|\Z)", re.DOTALL | re.MULTILINE)
"""``> `` quotes one line, ``>>> `` everything after it."""

_NOT_PROSE: Final = (CODE_BLOCK, INLINE_CODE, MASKED_LINK, URL, MENTION, CUSTOM_EMOJI)
_REMOVED_FOR_AUTO_CHECK: Final = (*_NOT_PROSE, UNICODE_EMOJI, BLOCK_QUOTE)
_WORD: Final = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_SENTENCE_END: Final = ".!?\n"
EDGE_PUNCTUATION: Final = "\"'“”‘’()[]{}.,!?;:…*_~"
"""What may wrap a word without being part of it: quotes, brackets, Markdown emphasis."""
_CODE_LIKE: Final = re.compile(r"\d|_|[./:@#=<>\\]|[a-z][A-Z]")
"""A digit, an underscore, a symbol inside, or a capital after a small letter (camelCase)."""
_JOINS_A_WORD: Final = ".,!?;:…)"


def words_in(text: str) -> list[str]:
    """The words of ``text``: runs of letters, with inner apostrophes (``don't``, ``Joe's``)."""
    return _WORD.findall(text)


def spans_of(patterns: Iterable[re.Pattern[str]], text: str) -> list[Span]:
    """Where any of ``patterns`` matches ``text``, sorted, overlapping matches merged."""
    found = sorted(
        (match.start(), match.end())
        for pattern in patterns
        for match in pattern.finditer(text)
        if match.end() > match.start()
    )
    merged: list[Span] = []
    for start, end in found:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def protected_spans(text: str) -> list[Span]:
    """The parts of ``text`` that are not prose (code, links, mentions, server emoji)."""
    return spans_of(_NOT_PROSE, text)


def overlaps_any(start: int, end: int, spans: Sequence[Span]) -> bool:
    """Whether ``start..end`` touches one of ``spans``."""
    return any(
        start < span_end and span_start < max(end, start + 1) for span_start, span_end in spans
    )


def starts_sentence(text: str, index: int) -> bool:
    """Whether the word at ``index`` opens a sentence (or the text, or a line)."""
    before = text[:index].rstrip(" \t\"'“‘(")
    return not before or before[-1] in _SENTENCE_END


def looks_like_name(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` reads as a name or an acronym rather than a misspelling.

    A capitalized word inside a sentence is taken for a name, and a word in capitals for an
    acronym: a spell checker would otherwise flag every friend's name. The first word of a
    sentence is capitalized anyway, so it is still checked.
    """
    word = text[start:end]
    if not word[:1].isupper():
        return False
    if len(word) > 1 and word.isupper():
        return True
    return not starts_sentence(text, start)


def looks_like_code(text: str, start: int, end: int) -> bool:
    """Whether the chunk around ``text[start:end]`` reads as code rather than a word.

    The chunk is the run of non-spaces holding the span, without punctuation at its edges:
    ``asyncio.gather``, ``user_id``, ``v2.3.1``, ``p99``, ``fooBar`` and ``setUp`` are
    identifiers, versions or names, which a dictionary cannot judge.
    """
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    while end < len(text) and not text[end].isspace():
        end += 1
    chunk = text[start:end].strip(EDGE_PUNCTUATION)
    return _CODE_LIKE.search(chunk) is not None


@dataclass(frozen=True, slots=True)
class StrippedText:
    """A message without its markup, and where each kept character was in the message."""

    original: str
    text: str
    origins: tuple[int, ...]
    """``origins[i]`` is the index in ``original`` of ``text[i]``."""

    def to_original(self, start: int, end: int) -> Span | None:
        """The span of the message that ``text[start:end]`` came from.

        None when the span straddles removed markup: a fix applied there would delete the
        markup too, so such an issue is better left out.
        """
        if start == end:
            position = self.origins[start] if start < len(self.origins) else len(self.original)
            return position, position
        first, last = self.origins[start], self.origins[end - 1]
        if last - first != end - 1 - start:
            return None
        return first, last + 1

    def issues_on_original(self, issues: Iterable[Issue]) -> tuple[Issue, ...]:
        """``issues`` found in :attr:`text`, moved onto :attr:`original`."""
        moved = []
        for issue in issues:
            span = self.to_original(issue.start, issue.end)
            if span is not None:
                moved.append(issue.moved_to(*span))
        return tuple(moved)


def strip_markup(message: str) -> StrippedText:
    """``message`` without code, quotes, links, mentions or emoji, for an auto-check.

    Where a removed part leaves two spaces, or a space before punctuation, the extra space goes
    too, so the engines do not flag spacing the member never typed.
    """
    chars: list[str] = []
    origins: list[int] = []
    position = 0
    removed = spans_of(_REMOVED_FOR_AUTO_CHECK, message)
    for index, (start, end) in enumerate([*removed, (len(message), len(message))]):
        segment_start = position
        if index > 0:
            if not chars or chars[-1].isspace():
                while segment_start < start and message[segment_start].isspace():
                    segment_start += 1
            if segment_start < start and message[segment_start] in _JOINS_A_WORD:
                while chars and chars[-1] in " \t":
                    chars.pop()
                    origins.pop()
        chars.extend(message[segment_start:start])
        origins.extend(range(segment_start, start))
        position = end
    first = next((i for i, char in enumerate(chars) if not char.isspace()), len(chars))
    last = next((i for i in range(len(chars), 0, -1) if not chars[i - 1].isspace()), first)
    return StrippedText(message, "".join(chars[first:last]), tuple(origins[first:last]))


def worth_auto_checking(stripped: StrippedText, *, min_words: int) -> bool:
    """Whether what is left of a message is prose enough to check unasked."""
    return len(words_in(stripped.text)) >= min_words
