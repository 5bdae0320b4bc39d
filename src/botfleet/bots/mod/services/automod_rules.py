"""Admins' edits of a guild's automod rules, and each guild's compiled rules kept in memory.

The edits are pure functions from one :class:`AutomodSettings` to the next, so the ``/automod``
commands stay thin and every refusal is worded here. :class:`GuildRulesCache` keeps each
guild's compiled rules; a message costs a dictionary lookup, and the stored version is read
again at most every ``recheck_seconds`` (so another process's change is picked up) while the
rules are compiled again only when that version moved.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

from pydantic import ValidationError

from botfleet.bots.mod.services.automod import (
    AutomodAction,
    AutomodSettings,
    AutomodStore,
    CompiledRules,
)
from botfleet.database.models.mod import ModSettings
from botfleet.errors import UserError
from botfleet.utils.helpers import parse_time

RULE_KINDS: Final = (
    "rate",
    "duplicates",
    "mentions",
    "caps",
    "emoji",
    "words",
    "patterns",
    "invites",
    "links",
)

LIMIT_FIELDS: Final[dict[str, tuple[str, str]]] = {
    "rate": ("max_messages", "messages within the rule's window"),
    "duplicates": ("max_repeats", "repeats of the same message"),
    "mentions": ("max_mentions", "members and roles mentioned in one message"),
    "caps": ("min_letters", "capital letters before the ratio is judged"),
    "emoji": ("max_emoji", "emoji in one message"),
}
"""The one number ``/automod rule limit:`` sets, per kind that has one."""

LIST_FIELDS: Final[dict[str, str]] = {
    "words": "words",
    "patterns": "patterns",
    "invites": "allowed_codes",
    "links": "allowed_domains",
}
"""The list each kind of rule keeps (words, patterns, allowed invites and domains)."""

MAX_LIST_ENTRIES: Final = 1000


def parse_actions(text: str) -> list[dict[str, Any]]:
    """Read an action chain: "delete, warn, timeout 10m, kick" (one step per strike)."""
    steps: list[dict[str, Any]] = []
    for part in text.split(","):
        words = part.split()
        if not words:
            continue
        name = words[0].casefold()
        try:
            action = AutomodAction(name)
        except ValueError:
            known = ", ".join(action.value for action in AutomodAction)
            raise UserError(f"“{name}” is not an automod action; use {known}.") from None
        step: dict[str, Any] = {"action": action.value}
        if len(words) > 1:
            step["duration_seconds"] = parse_time(" ".join(words[1:]))
        steps.append(step)
    if not steps:
        raise UserError("Give at least one action, e.g. `delete, timeout 10m, kick`.")
    return steps


def describe_step(step: dict[str, Any]) -> str:
    seconds = step.get("duration_seconds")
    if seconds is None:
        return str(step["action"])
    return f"{step['action']} {timedelta(seconds=int(seconds))}"


def _raw(settings: AutomodSettings) -> dict[str, Any]:
    dumped: dict[str, Any] = settings.model_dump(mode="json")
    return dumped


def _rule_of(raw: dict[str, Any], kind: str) -> dict[str, Any] | None:
    return next((rule for rule in raw["rules"] if rule["kind"] == kind), None)


def with_rule(
    settings: AutomodSettings,
    kind: str,
    *,
    limit: int | None = None,
    actions: str | None = None,
    decay: str | None = None,
    channel_id: int | None = None,
) -> dict[str, Any]:
    """Switch a rule on (or change it): its limit, action chain, decay, the channel it watches."""
    if kind not in RULE_KINDS:
        raise UserError(f"“{kind}” is not an automod rule; use one of {', '.join(RULE_KINDS)}.")
    raw = _raw(settings)
    rule = _rule_of(raw, kind)
    if rule is None:
        rule = {"kind": kind}
        raw["rules"].append(rule)
    rule["enabled"] = True
    if limit is not None:
        if kind not in LIMIT_FIELDS:
            raise UserError(f"The {kind} rule has no limit; it acts on its list.")
        rule[LIMIT_FIELDS[kind][0]] = limit
    if actions is not None:
        rule["actions"] = parse_actions(actions)
    if decay is not None:
        rule["decay_seconds"] = parse_time(decay)
    if channel_id is not None:
        rule["channels"] = [channel_id]
    return raw


def without_rule(settings: AutomodSettings, kind: str) -> dict[str, Any]:
    """Remove a rule (its list too)."""
    raw = _raw(settings)
    if _rule_of(raw, kind) is None:
        raise UserError(f"There is no {kind} rule; /automod show lists the rules.")
    raw["rules"] = [rule for rule in raw["rules"] if rule["kind"] != kind]
    return raw


def with_entries(
    settings: AutomodSettings, kind: str, entries: Iterable[str], *, add: bool
) -> dict[str, Any]:
    """Add entries to (or remove them from) a rule's list, making the rule if it is new."""
    field = LIST_FIELDS[kind]
    wanted = [entry.strip() for entry in entries if entry.strip()]
    if not wanted:
        raise UserError("Give at least one entry, separated by commas.")
    raw = _raw(settings)
    rule = _rule_of(raw, kind)
    if rule is None:
        if not add:
            raise UserError(f"There is no {kind} rule, so nothing to remove.")
        rule = {"kind": kind}
        raw["rules"].append(rule)
    current: list[str] = list(rule.get(field, []))
    if add:
        merged = list(dict.fromkeys([*current, *wanted]))
        if len(merged) > MAX_LIST_ENTRIES:
            raise UserError(f"A list holds {MAX_LIST_ENTRIES} entries at most.")
        rule[field] = merged
        return raw
    missing = [entry for entry in wanted if entry not in current]
    if missing:
        raise UserError(f"Not in the {kind} list: {', '.join(missing)}.")
    rule[field] = [entry for entry in current if entry not in wanted]
    return raw


def with_exemption(
    settings: AutomodSettings, *, role_id: int | None = None, channel_id: int | None = None
) -> tuple[dict[str, Any], bool]:
    """Exempt a role or a channel from every rule, or end its exemption; True if now exempt."""
    raw = _raw(settings)
    key, value = (
        ("exempt_roles", role_id) if role_id is not None else ("exempt_channels", channel_id)
    )
    if value is None:
        raise UserError("Name a role or a channel.")
    current: list[int] = list(raw[key])
    exempt = value not in current
    raw[key] = [*current, value] if exempt else [entry for entry in current if entry != value]
    return raw, exempt


def check_settings(raw: dict[str, Any]) -> AutomodSettings:
    """Validate edited settings before they are compiled and stored (friendly errors)."""
    try:
        return AutomodSettings.model_validate(raw)
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"][2:] if not str(part).isdigit())
        raise UserError(
            f"That can't be used: {where + ': ' if where else ''}{problem['msg']}."
        ) from None


class SettingsChangedError(Exception):
    """An edit made from an older version of the settings than the one stored."""

    def __init__(self, expected_version: int, current: CompiledRules) -> None:
        super().__init__(
            f"automod settings edited from version {expected_version}, "
            f"but version {current.version} was saved meanwhile"
        )
        self.expected_version = expected_version
        self.current = current


@dataclass(slots=True)
class _Cached:
    rules: CompiledRules
    checked_at: float


class GuildRulesCache:
    """Each guild's compiled automod rules, read from the store on first use and on change."""

    def __init__(
        self,
        store: AutomodStore,
        recheck_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.recheck_seconds = recheck_seconds
        self._clock = clock
        self._rules: dict[int, _Cached] = {}
        self._loading: dict[int, asyncio.Task[CompiledRules]] = {}

    def fresh(self, guild_id: int) -> CompiledRules | None:
        """The guild's rules when checked less than ``recheck_seconds`` ago, else None."""
        cached = self._rules.get(guild_id)
        if cached is not None and self._clock() - cached.checked_at < self.recheck_seconds:
            return cached.rules
        return None

    async def get(self, guild_id: int) -> CompiledRules:
        """The guild's rules; the stored version is looked at again after ``recheck_seconds``."""
        rules = self.fresh(guild_id)
        if rules is not None:
            return rules
        cached = self._rules.get(guild_id)
        loading = self._loading.get(guild_id)
        if loading is None:
            loading = asyncio.create_task(self._refresh(guild_id, cached))
            self._loading[guild_id] = loading
            loading.add_done_callback(lambda _: self._loading.pop(guild_id, None))
        return await asyncio.shield(loading)

    async def _refresh(self, guild_id: int, cached: _Cached | None) -> CompiledRules:
        if cached is not None and await self._stored_version(guild_id) == cached.rules.version:
            cached.checked_at = self._clock()
            return cached.rules
        rules = await self.store.load(guild_id)
        self.install(guild_id, rules)
        return rules

    async def _stored_version(self, guild_id: int) -> int:
        async with self.store.database.session() as session:
            row = await session.get(ModSettings, guild_id)
            return row.automod_version if row is not None else 0

    def install(self, guild_id: int, rules: CompiledRules) -> None:
        """Use rules just saved by this process."""
        self._rules[guild_id] = _Cached(rules, self._clock())

    async def save(
        self, guild_id: int, raw: dict[str, Any], *, expected_version: int
    ) -> CompiledRules:
        """Store settings edited from ``expected_version`` and use them at once.

        Raises :class:`SettingsChangedError` (with the stored rules, now used here) when another
        edit was saved meanwhile, by this process or another one within ``recheck_seconds``.
        """
        rules = await self.store.save(guild_id, raw, expected_version=expected_version)
        if rules is None:
            current = await self.store.load(guild_id)
            self.install(guild_id, current)
            raise SettingsChangedError(expected_version, current)
        self.install(guild_id, rules)
        return rules
