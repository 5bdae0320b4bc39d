"""Automod: a guild's rules, compiled once per version, judging each message.

Rules are stored as JSON (:class:`AutomodSettings`) with a version raised on every change;
:class:`AutomodEngine` keeps each guild's compiled rules keyed by that version, so a message
costs a dictionary lookup until the rules change, then one rebuild. Judging is pure
computation on the message's facts and the member's remembered activity: no Discord type,
no I/O, no clock but the message's own time.

One message gets at most one verdict: rules are tried cheapest first, and the first broken
decides. The text is read once for all of them: :class:`MessageText` holds the message
lower-cased (and folded, for the word lists) for every rule that looks at words, links or
invites, instead of each rule lowering a long message again.

Each rule has an action chain (delete, then a timeout, then a kick...): a member's strikes
against a rule pick the step, and strikes older than the rule's decay are forgotten.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any, Final, Literal, NamedTuple

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from botfleet.bots.mod.services.limits import MAX_TIMEOUT, TimedStep
from botfleet.bots.mod.services.patterns import DEFAULT_TIMEOUT, PatternSet, compile_pattern
from botfleet.bots.mod.services.spam import MemberActivity, SpamTracker
from botfleet.bots.mod.services.text_scan import ascii_cases, contains
from botfleet.bots.mod.services.word_filter import WordFilter, fleet_entries, parse_entry
from botfleet.database.base import Database
from botfleet.database.models.mod import ModSettings
from botfleet.errors import UserError
from botfleet.services.profanity import fold

MAX_RULES: Final = 25

_INVITE: Final = re.compile(
    r"(?:https?://)?(?:www\.)?(?:discord(?:app)?\.com/invite|discord\.gg|dsc\.gg)/([\w-]+)",
    re.IGNORECASE,
)
_LINK: Final = re.compile(r"(?:https?://|www\.)([^\s/<>?#:]+)", re.IGNORECASE)
_CUSTOM_EMOJI: Final = re.compile(r"<a?:\w{2,32}:\d{15,20}>")
_UNICODE_EMOJI: Final = re.compile(
    "[\U0001f1e6-\U0001f1ff\U0001f300-\U0001f5ff\U0001f600-\U0001f64f\U0001f680-\U0001f6ff"
    "\U0001f900-\U0001f9ff\U0001fa70-\U0001faff\u2600-\u27bf\u2b50\u2b55]"
)


class AutomodAction(StrEnum):
    """One step of a rule's action chain."""

    DELETE = "delete"
    WARN = "warn"
    TIMEOUT = "timeout"
    KICK = "kick"
    BAN = "ban"


class Step(TimedStep):
    """What the bot does for one strike: delete the message, warn, time out, kick, ban."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    action: AutomodAction
    delete: bool = True
    """Whether the message is deleted too (it always is for ``delete``)."""

    @model_validator(mode="after")
    def _duration_fits(self) -> Step:
        timeout = self.action is AutomodAction.TIMEOUT
        self.check_duration(
            self.action.value, temporary=timeout, bound=MAX_TIMEOUT if timeout else None
        )
        return self


class _Rule(BaseModel):
    """What every rule has: where it applies, who is exempt, its action chain and decay."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str
    enabled: bool = True
    channels: frozenset[int] = frozenset()
    """Only these channels; empty: every channel."""
    exempt_channels: frozenset[int] = frozenset()
    exempt_roles: frozenset[int] = frozenset()
    actions: tuple[Step, ...] = Field(
        default=(Step(action=AutomodAction.DELETE),), min_length=1, max_length=10
    )
    decay_seconds: int = Field(default=3600, ge=60, le=30 * 86400)
    """Strikes older than this are forgotten: the chain starts over."""


class RateRule(_Rule):
    """More than ``max_messages`` from one member within ``per_seconds``."""

    kind: Literal["rate"] = "rate"
    max_messages: int = Field(default=5, ge=2, le=15)
    per_seconds: float = Field(default=5.0, gt=0, le=120)


class DuplicateRule(_Rule):
    """The same message (case and surrounding spaces aside) over ``max_repeats`` times in a row."""

    kind: Literal["duplicates"] = "duplicates"
    max_repeats: int = Field(default=3, ge=2, le=20)
    per_seconds: float = Field(default=60.0, gt=0, le=3600)


class MentionRule(_Rule):
    """More than ``max_mentions`` members and roles mentioned in one message."""

    kind: Literal["mentions"] = "mentions"
    max_mentions: int = Field(default=5, ge=1, le=100)


class CapsRule(_Rule):
    """Over ``max_ratio`` of the letters in capitals, in a message of ``min_letters`` or more."""

    kind: Literal["caps"] = "caps"
    min_letters: int = Field(default=15, ge=5, le=500)
    max_ratio: float = Field(default=0.7, gt=0, lt=1)


class EmojiRule(_Rule):
    """More than ``max_emoji`` emoji, Unicode or the server's own, in one message."""

    kind: Literal["emoji"] = "emoji"
    max_emoji: int = Field(default=10, ge=1, le=200)


class WordRule(_Rule):
    """A listed word, however disguised (see :mod:`word_filter`)."""

    kind: Literal["words"] = "words"
    words: tuple[str, ...] = ()
    fleet_list: bool = True
    """Whether the fleet's profanity lists are included."""

    @field_validator("words")
    @classmethod
    def _entries_parse(cls, words: tuple[str, ...]) -> tuple[str, ...]:
        for entry in words:
            parse_entry(entry)
        return words


class PatternRule(_Rule):
    """A moderator-written regular expression (see :mod:`patterns`)."""

    kind: Literal["patterns"] = "patterns"
    patterns: tuple[str, ...] = Field(default=(), max_length=25)

    @field_validator("patterns")
    @classmethod
    def _patterns_compile(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        for source in patterns:
            compile_pattern(source)
        return patterns


class InviteRule(_Rule):
    """An invite to another Discord server."""

    kind: Literal["invites"] = "invites"
    allowed_codes: frozenset[str] = frozenset()
    """Invite codes that may be posted (the server's own, partners')."""


class LinkRule(_Rule):
    """A link to a site outside the allow-list."""

    kind: Literal["links"] = "links"
    allowed_domains: frozenset[str] = frozenset()
    """Domains (and their subdomains) that may be linked."""

    @field_validator("allowed_domains")
    @classmethod
    def _lowercase(cls, domains: frozenset[str]) -> frozenset[str]:
        return frozenset(domain.strip().casefold().removeprefix("www.") for domain in domains)


Rule = Annotated[
    RateRule
    | DuplicateRule
    | MentionRule
    | CapsRule
    | EmojiRule
    | WordRule
    | PatternRule
    | InviteRule
    | LinkRule,
    Field(discriminator="kind"),
]


class AutomodSettings(BaseModel):
    """A guild's automod: its rules, and the roles and channels no rule applies to."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rules: tuple[Rule, ...] = Field(default=(), max_length=MAX_RULES)
    exempt_roles: frozenset[int] = frozenset()
    exempt_channels: frozenset[int] = frozenset()


class MessageFacts(NamedTuple):
    """What automod needs of a message; the events layer reads it off discord.py's Message.

    A named tuple: immutable like a frozen dataclass, and made in half its time (a frozen
    dataclass sets each field through ``object.__setattr__``), once for every message.
    """

    guild_id: int
    channel_id: int
    author_id: int
    role_ids: frozenset[int]
    content: str
    mentions: int
    """Users and roles mentioned (``@everyone`` counts as one)."""
    sent_at: float
    """Seconds (any epoch, the same for every message): the message's own timestamp."""


class MessageText:
    """A message's text as the rules read it, each form worked out once per message."""

    __slots__ = ("_folded", "content", "is_ascii", "lowered")

    def __init__(self, content: str) -> None:
        self.content = content
        self.is_ascii = content.isascii()
        self.lowered = content.lower()
        self._folded: str | None = None

    @property
    def folded(self) -> str:
        """As the profanity normaliser reads it (for ASCII, just lower-cased)."""
        if self.is_ascii:
            return self.lowered
        if self._folded is None:
            self._folded = fold(self.content)
        return self._folded


@dataclass(frozen=True, slots=True)
class Verdict:
    """A broken rule and what to do about it."""

    rule_index: int
    kind: str
    step: Step
    strike: int
    reason: str


_Check = Callable[[MessageFacts, MessageText, MemberActivity], str | None]
"""Returns why the message breaks the rule, or None."""


@dataclass(frozen=True, slots=True)
class _CompiledRule:
    index: int
    rule: _Rule
    kind: str
    check: _Check
    cost: int
    """Rules run cheapest first."""
    scoped: bool
    """Whether the rule applies to some channels or members only."""


def _digest(text: MessageText) -> int:
    """The same for messages that differ only in case or surrounding spaces."""
    return hash(text.lowered.strip())


def _compile(index: int, rule: _Rule, pattern_timeout: float) -> _CompiledRule:
    def compiled(check: _Check, cost: int) -> _CompiledRule:
        scoped = bool(rule.channels or rule.exempt_channels or rule.exempt_roles)
        return _CompiledRule(index, rule, rule.kind, check, cost, scoped)

    if isinstance(rule, MentionRule):
        limit = rule.max_mentions
        return compiled(
            lambda m, _t, _a: (
                f"mentioned {m.mentions} members or roles" if m.mentions > limit else None
            ),
            0,
        )
    if isinstance(rule, RateRule):
        count, window = rule.max_messages, rule.per_seconds
        return compiled(
            lambda _m, _t, a: (
                f"sent over {count} messages in {window:g} s"
                if a.rate_exceeded(count, window)
                else None
            ),
            0,
        )
    if isinstance(rule, DuplicateRule):
        repeats = rule.max_repeats
        return compiled(
            lambda _m, _t, a: (
                f"repeated a message {a.repeats} times" if a.repeats > repeats else None
            ),
            0,
        )
    if isinstance(rule, CapsRule):
        return compiled(_caps_check(rule), 1)
    if isinstance(rule, EmojiRule):
        return compiled(_emoji_check(rule), 1)
    if isinstance(rule, InviteRule):
        return compiled(_invite_check(rule), 2)
    if isinstance(rule, LinkRule):
        return compiled(_link_check(rule), 2)
    if isinstance(rule, WordRule):
        entries = [*(fleet_entries() if rule.fleet_list else ()), *rule.words]
        words = WordFilter(entries)
        return compiled(lambda _m, t, _a: _said("a filtered word", words.find_folded(t.folded)), 3)
    if isinstance(rule, PatternRule):
        patterns = PatternSet(rule.patterns, pattern_timeout)
        return compiled(
            lambda _m, t, _a: _said(
                "a filtered pattern", patterns.find(t.content, t.lowered if t.is_ascii else None)
            ),
            4,
        )
    raise TypeError(f"no check for automod rule {type(rule).__name__}")


def _said(what: str, found: str | None) -> str | None:
    return f"used {what} ({found})" if found is not None else None


def _capitals_and_letters(text: MessageText) -> tuple[int, int]:
    content = text.content
    if text.is_ascii:  # one pass in C (text_scan)
        capitals, small = ascii_cases(content)
        return capitals, capitals + small
    return sum(map(str.isupper, content)), sum(map(str.isalpha, content))


def _caps_check(rule: CapsRule) -> _Check:
    def check(_: MessageFacts, text: MessageText, _a: MemberActivity) -> str | None:
        if len(text.content) < rule.min_letters:
            return None
        upper, letters = _capitals_and_letters(text)
        if upper < rule.min_letters:
            return None
        if upper / letters > rule.max_ratio:
            return f"wrote {round(100 * upper / letters)} % in capitals"
        return None

    return check


def _emoji_check(rule: EmojiRule) -> _Check:
    def check(_: MessageFacts, text: MessageText, _a: MemberActivity) -> str | None:
        content = text.content
        count = 0 if text.is_ascii else len(_UNICODE_EMOJI.findall(content))
        if "<" in content:
            count += len(_CUSTOM_EMOJI.findall(content))
        return f"sent {count} emoji" if count > rule.max_emoji else None

    return check


def _invite_check(rule: InviteRule) -> _Check:
    allowed = frozenset(code.casefold() for code in rule.allowed_codes)

    def check(_: MessageFacts, text: MessageText, _a: MemberActivity) -> str | None:
        if "/" not in text.content:  # every invite has one: one memchr rules most messages out
            return None
        lowered = text.lowered
        if not contains(lowered, "discord") and not contains(lowered, "dsc.gg"):
            return None  # the regex has no literal start to scan for: skip it when it can't match
        for code in _INVITE.findall(text.content):
            if code.casefold() not in allowed:
                return f"posted an invite ({code})"
        return None

    return check


def _link_check(rule: LinkRule) -> _Check:
    allowed = rule.allowed_domains

    def permitted(host: str) -> bool:
        host = host.casefold().rstrip(".").removeprefix("www.")
        parts = host.split(".")
        return any(".".join(parts[start:]) in allowed for start in range(len(parts)))

    def check(_: MessageFacts, text: MessageText, _a: MemberActivity) -> str | None:
        lowered = text.lowered
        if "/" not in text.content:  # without one, only "www." can start a link
            if not contains(lowered, "www."):
                return None
        elif not contains(lowered, "http") and not contains(lowered, "www."):
            return None
        for host in _LINK.findall(text.content):
            if not permitted(host):
                return f"posted a link ({host})"
        return None

    return check


@dataclass(slots=True)
class CompiledRules:
    """One version of a guild's rules, ready to judge messages."""

    version: int
    settings: AutomodSettings
    rules: tuple[_CompiledRule, ...] = field(default=())
    repeat_window: float = 0.0

    @classmethod
    def build(
        cls, version: int, settings: AutomodSettings, pattern_timeout: float = DEFAULT_TIMEOUT
    ) -> CompiledRules:
        """Compile every enabled rule (regexes and word lists included): call it off the loop."""
        compiled = [
            _compile(index, rule, pattern_timeout)
            for index, rule in enumerate(settings.rules)
            if rule.enabled
        ]
        compiled.sort(key=lambda rule: rule.cost)
        windows = [rule.per_seconds for rule in settings.rules if isinstance(rule, DuplicateRule)]
        return cls(version, settings, tuple(compiled), max(windows, default=0.0))


class AutomodEngine:
    """Judges messages against each guild's compiled rules and members' remembered activity."""

    def __init__(
        self, tracker: SpamTracker | None = None, pattern_timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        self.tracker = tracker if tracker is not None else SpamTracker()
        self.pattern_timeout = pattern_timeout
        self._compiled: dict[int, CompiledRules] = {}

    def rules_for(self, guild_id: int, version: int, settings: AutomodSettings) -> CompiledRules:
        """The guild's compiled rules, rebuilt only when ``version`` changed.

        A rebuild compiles word lists and patterns (tens of milliseconds for long lists): on a
        version change, call it in a thread, or compile with :class:`AutomodStore` and
        :meth:`install` the result.
        """
        current = self._compiled.get(guild_id)
        if current is None or current.version != version:
            current = CompiledRules.build(version, settings, self.pattern_timeout)
            self._compiled[guild_id] = current
        return current

    def install(self, guild_id: int, rules: CompiledRules) -> None:
        """Use rules compiled elsewhere (in a thread, after a change)."""
        self._compiled[guild_id] = rules

    def judge(self, message: MessageFacts, rules: CompiledRules) -> Verdict | None:
        """The verdict on one message, or None; remembers the message either way."""
        if not rules.rules:
            return None
        settings = rules.settings
        if message.channel_id in settings.exempt_channels or (
            settings.exempt_roles and not settings.exempt_roles.isdisjoint(message.role_ids)
        ):
            return None
        activity = self.tracker.activity(message.guild_id, message.author_id)
        text = MessageText(message.content)
        digest = _digest(text) if rules.repeat_window else 0
        activity.sent(message.sent_at, digest, rules.repeat_window)
        for compiled in rules.rules:
            rule = compiled.rule
            if compiled.scoped and not _applies(rule, message):
                continue
            reason = compiled.check(message, text, activity)
            if reason is None:
                continue
            strike = self.tracker.strike(
                activity, compiled.index, message.sent_at, rule.decay_seconds
            )
            step = rule.actions[min(strike, len(rule.actions)) - 1]
            return Verdict(compiled.index, compiled.kind, step, strike, reason)
        return None


def _applies(rule: _Rule, message: MessageFacts) -> bool:
    if rule.channels and message.channel_id not in rule.channels:
        return False
    if message.channel_id in rule.exempt_channels:
        return False
    return not (rule.exempt_roles and not rule.exempt_roles.isdisjoint(message.role_ids))


class AutomodStore:
    """Each guild's automod settings and their version, in ``mod_settings``.

    Settings are validated (patterns tried on hostile texts) and compiled in a thread: that
    can take a moment for a long word list, and never on the event loop.
    """

    def __init__(self, database: Database, pattern_timeout: float = DEFAULT_TIMEOUT) -> None:
        self.database = database
        self.pattern_timeout = pattern_timeout

    async def load(self, guild_id: int) -> CompiledRules:
        """The guild's rules, compiled (version 0 and no rules for a guild that has none)."""
        async with self.database.session() as session:
            row = await session.get(ModSettings, guild_id)
        if row is None:
            return CompiledRules(0, AutomodSettings())
        if not row.automod:
            return CompiledRules(row.automod_version, AutomodSettings())
        return await asyncio.to_thread(self._compile, row.automod_version, row.automod)

    async def save(
        self, guild_id: int, raw: Mapping[str, Any], *, expected_version: int
    ) -> CompiledRules | None:
        """Validate, compile and store new settings made from ``expected_version``.

        The version is raised by one; None (nothing stored) when the stored version is no
        longer ``expected_version``: someone saved meanwhile, and these edits would undo theirs.
        """
        compiled = await asyncio.to_thread(self._compile, 0, raw)
        stored: dict[str, Any] = compiled.settings.model_dump(mode="json")
        statement = (
            self.database.upsert(ModSettings)
            .values(
                guild_id=guild_id,
                warnings={},
                automod=stored,
                automod_version=expected_version + 1,
            )
            .on_conflict_do_update(
                index_elements=[ModSettings.guild_id],
                set_={"automod": stored, "automod_version": ModSettings.automod_version + 1},
                where=ModSettings.automod_version == expected_version,
            )
            .returning(ModSettings.automod_version)
        )
        async with self.database.session() as session:
            version = (await session.execute(statement)).scalar_one_or_none()
            await session.commit()
        if version is None:
            return None
        compiled.version = version
        return compiled

    def _compile(self, version: int, raw: Mapping[str, Any]) -> CompiledRules:
        """Validate and build; a bad word or pattern raises its own :class:`UserError`."""
        try:
            settings = AutomodSettings.model_validate(raw)
        except ValidationError as error:
            raise UserError(
                f"Those automod settings can't be used: {_first_problem(error)}"
            ) from None
        return CompiledRules.build(version, settings, self.pattern_timeout)


def _first_problem(error: ValidationError) -> str:
    """The first problem pydantic found, with where it is ("rules.2.max_mentions: ...")."""
    problem = error.errors()[0]
    where = ".".join(str(part) for part in problem["loc"])
    return f"{where}: {problem['msg']}" if where else problem["msg"]
