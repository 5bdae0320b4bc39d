"""Persistent buttons and selects whose ``custom_id`` carries typed fields.

A persistent item outlives the bot's process: Discord sends back only its ``custom_id``, so
that id is the item's whole state. :class:`CustomIdFormat` declares the id once, as fixed
words and typed fields; the same declaration gives discord.py's ``template``, builds the id
when the item is drawn and reads the fields back when it is pressed, so the two cannot drift
apart. :class:`PersistentItem` plugs a format into a :class:`discord.ui.DynamicItem` and
answers a press whose id matches the pattern but not the types (a number too large for the
database, say) with a friendly word instead of Discord's "This interaction failed".
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Final, Self, TypeVar

import discord

from botfleet.core.errors import handle_interaction_error, refuse

LARGEST_ID: Final = 2**63 - 1
"""Discord snowflakes and database keys are signed 64-bit integers."""

MALFORMED_ANSWER: Final = "That button is no longer valid; ask for a new one."

ItemT = TypeVar("ItemT", bound=discord.ui.Item[Any])

ButtonLook = tuple[str, str, discord.ButtonStyle]
"""How a persistent button is drawn: its label, emoji and style."""


@dataclass(frozen=True)
class Field:
    """One typed part of a custom id: its name, the pattern it matches, how it is read."""

    name: str
    pattern: str
    read: Callable[[str], Any]


def _id_number(text: str) -> int:
    value = int(text)
    if value > LARGEST_ID:
        raise ValueError(f"{value} does not fit a 64-bit id")
    return value


def number(name: str, *, digits: int = 19) -> Field:
    """An id of at most ``digits`` digits, read as an ``int`` that fits a 64-bit column."""
    return Field(name, f"[0-9]{{1,{digits}}}", _id_number)


def digit(name: str, highest: int = 9) -> Field:
    """One digit from 0 to ``highest``, read as an ``int`` (an answer's or a choice's index)."""
    if not 0 <= highest <= 9:
        raise ValueError(f"a digit goes up to 9, not {highest}")
    return Field(name, f"[0-{highest}]", int)


def text(name: str, pattern: str) -> Field:
    """A string matching ``pattern``, read as it is."""
    return Field(name, pattern, str)


def one_of(name: str, *choices: str) -> Field:
    """One of a few fixed words, read as it is."""
    return Field(name, "|".join(re.escape(choice) for choice in choices), str)


def drawn_button(
    look: ButtonLook, custom_id: str, *, disabled: bool = False
) -> discord.ui.Button[discord.ui.View]:
    """A button drawn as ``look`` says, carrying ``custom_id``: the item a persistent one wraps."""
    label, emoji, style = look
    return discord.ui.Button(
        label=label, emoji=emoji, style=style, custom_id=custom_id, disabled=disabled
    )


class CustomIdFormat:
    """The parts of a custom id, joined by ``:``: fixed words and :class:`Field` values."""

    def __init__(self, *parts: str | Field) -> None:
        self.parts = parts
        self.fields = tuple(part for part in parts if isinstance(part, Field))
        self.template = ":".join(
            re.escape(part) if isinstance(part, str) else f"(?P<{part.name}>{part.pattern})"
            for part in parts
        )
        self._pattern = re.compile(self.template)

    def build(self, *values: object) -> str:
        """The custom id with ``values`` in the fields' order.

        Refuses one that its own template would not read back: such a button could be drawn
        but never answered.
        """
        if len(values) != len(self.fields):
            raise ValueError(f"{len(self.fields)} values expected, got {len(values)}")
        given = iter(values)
        custom_id = ":".join(
            part if isinstance(part, str) else str(next(given)) for part in self.parts
        )
        if self._pattern.fullmatch(custom_id) is None:
            raise ValueError(f"{custom_id!r} does not match {self.template!r}")
        return custom_id

    def read(self, match: re.Match[str]) -> tuple[Any, ...]:
        """The fields' values, typed, in order; ValueError when one does not convert."""
        return tuple(field.read(match[field.name]) for field in self.fields)


PressHandler = Callable[[Any, discord.Interaction[Any]], Awaitable[None]]


def _answering_errors(callback: PressHandler) -> PressHandler:
    """``callback``, its failures answered as a slash command's are.

    discord.py only logs what a persistent item's callback raises, so the member would see
    "This interaction failed": a refusal (:class:`~botfleet.errors.UserError`) is answered
    privately, anything else logged with a reference the member is given.
    """

    @functools.wraps(callback)
    async def answered(item: Any, interaction: discord.Interaction[Any]) -> None:
        try:
            await callback(item, interaction)
        except Exception as error:  # every failure is answered and logged
            await handle_interaction_error(interaction, error)

    return answered


class PersistentItem(discord.ui.DynamicItem[ItemT], template="(?!)"):
    """A :class:`discord.ui.DynamicItem` declared by a :class:`CustomIdFormat`.

    A subclass passes ``custom_id=`` in its class line and takes the format's fields, in
    order, as its constructor's first arguments: pressing an item rebuilds it from its id.
    This base itself is never registered, so its own template matches nothing.
    """

    custom_id_format: ClassVar[CustomIdFormat]
    malformed: bool = False

    def __init_subclass__(cls, *, custom_id: CustomIdFormat, **kwargs: Any) -> None:
        super().__init_subclass__(template=custom_id.template, **kwargs)
        cls.custom_id_format = custom_id
        own_callback = cls.__dict__.get("callback")
        if own_callback is not None:
            cls.callback = _answering_errors(own_callback)  # type: ignore[method-assign,assignment]

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        try:
            values = cls.custom_id_format.read(match)
        except ValueError:
            return cls._answering_malformed(item)
        return cls(*values)

    @classmethod
    def _answering_malformed(cls, item: discord.ui.Item[Any]) -> Self:
        """An instance that only answers: its fields could not be read, so it cannot act."""
        instance = cls.__new__(cls)
        discord.ui.DynamicItem.__init__(instance, item)
        instance.malformed = True
        return instance

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        if self.malformed:
            await refuse(interaction, MALFORMED_ANSWER)
            return False
        return await super().interaction_check(interaction)
