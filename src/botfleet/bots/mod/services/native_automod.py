"""Discord's own AutoMod rules as admins set them from the bot, within Discord's limits.

What a moderator types is checked here before any request, so a refusal says what to change
(Discord would answer the same with a bare "Invalid Form Body"): at most 6 keyword rules and 1
rule of each other kind per server, 1,000 keywords of 60 characters, a mention limit of 50,
timeouts of 28 days at most and only on keyword and mention-spam rules.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Final

from botfleet.bots.mod.services.limits import MAX_TIMEOUT
from botfleet.errors import UserError

MAX_KEYWORDS: Final = 1000
MAX_KEYWORD_LENGTH: Final = 60
MAX_MENTION_LIMIT: Final = 50
MAX_RULE_NAME: Final = 100


class NativeTrigger(StrEnum):
    """The kinds of rule Discord's AutoMod has (named as discord.py names them)."""

    KEYWORD = "keyword"
    SPAM = "spam"
    KEYWORD_PRESET = "keyword_preset"
    MENTION_SPAM = "mention_spam"
    MEMBER_PROFILE = "member_profile"

    @property
    def limit(self) -> int:
        """Rules of this kind Discord allows per server."""
        return 6 if self is NativeTrigger.KEYWORD else 1

    @property
    def takes_keywords(self) -> bool:
        return self in (NativeTrigger.KEYWORD, NativeTrigger.MEMBER_PROFILE)


TIMEOUT_TRIGGERS: Final = frozenset({NativeTrigger.KEYWORD, NativeTrigger.MENTION_SPAM})
PRESETS: Final = ("profanity", "sexual_content", "slurs")


@dataclass(frozen=True, slots=True)
class NativeRuleSpec:
    """A rule as the moderator asked for it, checked."""

    name: str
    trigger: NativeTrigger
    keywords: tuple[str, ...] = ()
    presets: tuple[str, ...] = ()
    mention_limit: int | None = None
    block: bool = True
    alert_channel_id: int | None = None
    timeout: timedelta | None = None


def parse_keywords(text: str | None) -> tuple[str, ...]:
    """Comma-separated keywords, with Discord's wildcards (``cat*``, ``*cat``, ``*cat*``)."""
    if text is None:
        return ()
    keywords = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    if len(keywords) > MAX_KEYWORDS:
        raise UserError(f"Discord keeps {MAX_KEYWORDS} keywords per rule at most.")
    too_long = [keyword for keyword in keywords if len(keyword) > MAX_KEYWORD_LENGTH]
    if too_long:
        raise UserError(
            f"Discord keeps keywords of {MAX_KEYWORD_LENGTH} characters at most; "
            f"“{too_long[0][:20]}…” is longer."
        )
    return keywords


def check_spec(spec: NativeRuleSpec) -> NativeRuleSpec:
    """Refuse what Discord would refuse, saying why; return the spec when it fits."""
    if not spec.name.strip() or len(spec.name) > MAX_RULE_NAME:
        raise UserError(f"A rule needs a name of 1 to {MAX_RULE_NAME} characters.")
    if spec.trigger.takes_keywords and not spec.keywords:
        raise UserError(f"A {spec.trigger.value} rule needs keywords, separated by commas.")
    if spec.keywords and not spec.trigger.takes_keywords:
        raise UserError(f"A {spec.trigger.value} rule takes no keywords.")
    if spec.trigger is NativeTrigger.KEYWORD_PRESET and not spec.presets:
        raise UserError(f"A keyword_preset rule needs a preset: {', '.join(PRESETS)}.")
    unknown = [preset for preset in spec.presets if preset not in PRESETS]
    if unknown:
        raise UserError(f"“{unknown[0]}” is no preset; use {', '.join(PRESETS)}.")
    if spec.trigger is NativeTrigger.MENTION_SPAM and spec.mention_limit is None:
        raise UserError("A mention_spam rule needs a mention limit (1 to 50).")
    if spec.mention_limit is not None and not 1 <= spec.mention_limit <= MAX_MENTION_LIMIT:
        raise UserError(f"The mention limit is 1 to {MAX_MENTION_LIMIT}.")
    check_timeout(spec.trigger, spec.timeout)
    if not (spec.block or spec.alert_channel_id or spec.timeout):
        raise UserError("A rule needs an action: block, an alert channel or a timeout.")
    return spec


def check_timeout(trigger: NativeTrigger, timeout: timedelta | None) -> None:
    if timeout is None:
        return
    if trigger not in TIMEOUT_TRIGGERS:
        raise UserError("Discord times members out only on keyword and mention_spam rules.")
    if timeout > MAX_TIMEOUT:
        raise UserError(f"Discord's AutoMod times out for {MAX_TIMEOUT.days} days at most.")


def check_room(existing: Iterable[NativeTrigger], trigger: NativeTrigger) -> None:
    """Refuse a rule past Discord's limit for its kind in this server."""
    if Counter(existing)[trigger] >= trigger.limit:
        kind = f"{trigger.limit} {trigger.value} rule{'s' if trigger.limit > 1 else ''}"
        raise UserError(
            f"Discord allows {kind} per server and this one has them; edit or delete one."
        )
