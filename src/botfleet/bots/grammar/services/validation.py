"""What a member may send to be checked, with a clear answer for anything else.

**English or not.** A simple heuristic, documented because it will be wrong now and then:

1. Letters outside the Latin script (Cyrillic, Greek, CJK, Arabic...) make up more than half
   of the letters: not English.
2. Otherwise, with a dictionary at hand, the words starting with a small letter outside code,
   links and mentions are looked up (a capitalized word may be a name, or a German noun).
   With at least three such words, and fewer than half of them common English words (more
   than 1,000 uses in pyspellchecker's English corpus), chat abbreviations or technical words,
   the text is not English. Misspellings count against the text, so it takes a badly
   misspelled text *and* few English words to be refused; a short text is never refused on
   this ground.
3. Without pyspellchecker, only the first test is made.
"""

from __future__ import annotations

import logging
import re
from typing import Final, Protocol

from botfleet.bots.grammar.services.engine import base_language
from botfleet.bots.grammar.services.text import (
    CODE_BLOCK,
    CUSTOM_EMOJI,
    INLINE_CODE,
    UNICODE_EMOJI,
    protected_spans,
    spans_of,
    words_in,
)
from botfleet.bots.grammar.services.vocabulary import KNOWN_WORDS
from botfleet.errors import UserError

log = logging.getLogger(__name__)

MIN_WORDS_TO_JUDGE: Final = 3
ENGLISH_SHARE: Final = 0.5
LATIN_SHARE: Final = 0.5
CODE_SYMBOL_SHARE: Final = 0.25
"""Share of symbols such as ``{}();=`` above which unfenced text is taken for code."""
MIN_CODE_SYMBOLS: Final = 4
_CODE_SYMBOLS: Final = frozenset("{}[]();=<>_/\\$&|^~`+*#%")
_LATIN_END: Final = 0x250
"""Basic Latin to Latin Extended-B: English letters and the accented ones of names."""
_SPACE: Final = re.compile(r"\s+")


class CommonWords(Protocol):
    """A dictionary that knows which words are common English."""

    def is_common_english(self, word: str) -> bool:
        """Whether ``word`` is a common English word."""


class EmptyTextError(UserError):
    def __init__(self) -> None:
        super().__init__("There is nothing to check — send the sentence you want me to read.")


class TextTooLongError(UserError):
    def __init__(self, length: int, limit: int) -> None:
        super().__init__(
            f"That is {length:,} characters; I check up to {limit:,} at a time — "
            "split it into smaller parts."
        )


class OnlyEmojiError(UserError):
    def __init__(self) -> None:
        super().__init__("That is only emoji — I check words. Send a sentence to check.")


class OnlyCodeError(UserError):
    def __init__(self) -> None:
        super().__init__("That looks like code — I check prose. Send a sentence to check.")


class NoWordsError(UserError):
    def __init__(self) -> None:
        super().__init__("I found no words in that — send a sentence to check.")


class NotEnglishError(UserError):
    def __init__(self) -> None:
        super().__init__("That doesn't look like English — I can only check English for now.")


def looks_like_code(text: str) -> bool:
    """Whether ``text`` is code: all fenced or backticked, or dense with code symbols."""
    without_code = text
    for start, end in reversed(spans_of((CODE_BLOCK, INLINE_CODE), text)):
        without_code = without_code[:start] + " " + without_code[end:]
    if without_code != text and not without_code.strip():
        return True
    visible = _SPACE.sub("", text)
    symbols = sum(char in _CODE_SYMBOLS for char in visible)
    return symbols >= MIN_CODE_SYMBOLS and symbols >= CODE_SYMBOL_SHARE * len(visible)


def is_only_emoji(text: str) -> bool:
    """Whether ``text`` holds emoji (Unicode or a server's) and nothing else."""
    remaining = text
    for start, end in reversed(spans_of((UNICODE_EMOJI, CUSTOM_EMOJI), text)):
        remaining = remaining[:start] + remaining[end:]
    return remaining != text and not remaining.strip()


def looks_english(text: str, vocabulary: CommonWords | None) -> bool:
    """Whether ``text`` may be English, by the heuristic in this module's docstring."""
    letters = [char for char in text if char.isalpha()]
    if not letters:
        return True
    latin = sum(ord(char) < _LATIN_END for char in letters)
    if latin < LATIN_SHARE * len(letters):
        return False
    if vocabulary is None:
        return True
    prose = text
    for start, end in reversed(protected_spans(text)):
        prose = prose[:start] + " " + prose[end:]
    lower_words = [word for word in words_in(prose) if word[0].islower()]
    if len(lower_words) < MIN_WORDS_TO_JUDGE:
        return True
    common = sum(
        word.lower() in KNOWN_WORDS or vocabulary.is_common_english(word) for word in lower_words
    )
    return common >= ENGLISH_SHARE * len(lower_words)


def validate_check_text(
    text: str, *, max_length: int, language: str, vocabulary: CommonWords | None
) -> str:
    """``text`` if it can be checked; a :class:`UserError` saying why not otherwise."""
    reason: UserError | None = None
    if not text.strip():
        reason = EmptyTextError()
    elif len(text) > max_length:
        reason = TextTooLongError(len(text), max_length)
    elif is_only_emoji(text):
        reason = OnlyEmojiError()
    elif looks_like_code(text):
        reason = OnlyCodeError()
    elif not words_in(text):
        reason = NoWordsError()
    elif base_language(language) == "en" and not looks_english(text, vocabulary):
        reason = NotEnglishError()
    if reason is not None:
        log.info("refused a check of %d characters: %s", len(text), type(reason).__name__)
        raise reason
    return text
