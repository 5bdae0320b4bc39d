"""What the bots said, as plain text for a terminal: embeds, components, modals, mentions.

The sandbox keeps messages in the JSON shape Discord echoes; this module turns them into the
lines a person reads in ``botfleet sandbox``. Interactive components get numbers a person can
press (``:press 2``); a component keeps its number for as long as its message has it, so a
script written against one run works against the next.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botfleet.sandbox.flags import ChannelType, MessageType
from botfleet.sandbox.models import Message, Poll, User
from botfleet.utils.durations import format_time
from botfleet.utils.wording import plural, role_label

if TYPE_CHECKING:
    from discord.types.embed import Embed as EmbedPayload

    from botfleet.sandbox.resources.world import WorldState

INDENT = "  "
EMBED_BAR = "┃ "
FEW_SECONDS = 45
"""Below this, Discord says "a few seconds" rather than a count."""
INLINE_FIELDS_PER_ROW = 3
"""Discord shows at most three inline fields side by side."""

BUTTON = 2
STRING_SELECT = 3
TEXT_INPUT = 4
_SELECT_KINDS = {
    3: "options",
    5: "a user",
    6: "a role",
    7: "a user or role",
    8: "a channel",
}
_LINK_STYLE = 5
_PREMIUM_STYLE = 6

_MENTION = re.compile(
    r"<@!?(?P<user>\d+)>|<@&(?P<role>\d+)>|<#(?P<channel>\d+)>"
    r"|<t:(?P<time>-?\d+)(?::(?P<style>[tTdDfFR]))?>"
    r"|<a?:(?P<emoji>\w+):\d+>|</(?P<command>[\w -]+):\d+>"
)


@dataclass(frozen=True)
class Viewpoint:
    """Who is looking, and where: messages elsewhere are tagged with their channel."""

    user: User
    channel_id: int


@dataclass(frozen=True)
class NumberedComponent:
    """A component a person can use by its number."""

    number: int
    message_id: int
    custom_id: str


class ComponentNumbers:
    """Hands out the numbers under which components are shown, stable for each message."""

    def __init__(self) -> None:
        self._by_key: dict[tuple[int, str], NumberedComponent] = {}
        self._by_number: dict[int, NumberedComponent] = {}

    def number(self, message_id: int, custom_id: str) -> int:
        """The component's number, given on first sight."""
        key = (message_id, custom_id)
        found = self._by_key.get(key)
        if found is None:
            found = NumberedComponent(len(self._by_number) + 1, message_id, custom_id)
            self._by_key[key] = found
            self._by_number[found.number] = found
        return found.number

    def get(self, number: int) -> NumberedComponent | None:
        """The component shown under ``number``."""
        return self._by_number.get(number)

    def newest_first(self) -> Iterator[NumberedComponent]:
        """Every numbered component, most recently numbered first."""
        return reversed(list(self._by_number.values()))


@dataclass(frozen=True)
class ModalField:
    """One text input of a modal, as a person fills it."""

    custom_id: str
    label: str
    required: bool
    min_length: int
    max_length: int
    default: str
    paragraph: bool

    def describe(self) -> str:
        """``Your guess (required, 1-20 characters)``."""
        limits = f"{self.min_length}-{self.max_length} characters"
        need = "required" if self.required else "optional"
        kind = ", several lines allowed" if self.paragraph else ""
        return f"{self.label} ({need}, {limits}{kind})"


def modal_fields(modal: Mapping[str, Any]) -> list[ModalField]:
    """The text inputs of a modal in order, in either of Discord's two layouts."""
    fields: list[ModalField] = []
    for component in modal.get("components") or []:
        if component.get("type") == 1:
            for child in component.get("components") or []:
                if child.get("type") == TEXT_INPUT:
                    fields.append(_modal_field(child, str(child.get("label") or "")))
        elif component.get("type") == 18:
            child = component.get("component") or {}
            if child.get("type") == TEXT_INPUT:
                fields.append(_modal_field(child, str(component.get("label") or "")))
    return fields


def _modal_field(text_input: Mapping[str, Any], label: str) -> ModalField:
    return ModalField(
        custom_id=str(text_input["custom_id"]),
        label=label or str(text_input["custom_id"]),
        required=bool(text_input.get("required", True)),
        min_length=int(text_input.get("min_length") or 0),
        max_length=int(text_input.get("max_length") or 4000),
        default=str(text_input.get("value") or ""),
        paragraph=text_input.get("style") == 2,
    )


class TranscriptRenderer:
    """Turns the sandbox's messages into readable lines, as seen by one member."""

    def __init__(
        self,
        state: WorldState,
        numbers: ComponentNumbers,
        zone: datetime.tzinfo | None = None,
    ) -> None:
        self.state = state
        self.numbers = numbers
        self.zone = zone if zone is not None else local_zone()
        """The reader's time zone: Discord shows every timestamp in it."""

    # -- messages --------------------------------------------------------------------------

    def message(self, message: Message, view: Viewpoint, *, note: str = "") -> list[str]:
        """The message under a header naming its author, where it was posted, and its state."""
        tags = [note] if note else []
        if message.ephemeral:
            tags.append("only you can see this")
        header = f"{self._where(message, view)}{message.author.display_name}"
        if tags:
            header += f" [{', '.join(tags)}]"
        if message.loading:
            return [f"{INDENT}{header} is thinking..."]
        body = self._body(message, view.user)
        if len(body) == 1 and not message.embeds and not message.components:
            return [f"{INDENT}{header}: {body[0]}"]
        return [f"{INDENT}{header}:", *(f"{INDENT * 2}{line}" for line in body)]

    def deletion(self, message: Message, view: Viewpoint) -> list[str]:
        """A line saying a bot's message disappeared."""
        gist = _shorten(self.text(message.content) or "a message without text")
        return [
            f"{INDENT}{self._where(message, view)}{message.author.display_name} deleted {gist!r}"
        ]

    def reaction(self, message: Message, view: Viewpoint, reactor: User, emoji: str) -> list[str]:
        """A line saying a bot reacted to a message."""
        author = message.author.display_name
        whose = "your" if message.author.id == view.user.id else f"{author}'s"
        return [
            f"{INDENT}{self._where(message, view)}{reactor.display_name} reacted {emoji} "
            f"to {whose} message"
        ]

    def channel_label(self, channel_id: int, viewer: User) -> str:
        """``#general``, or ``DM with Hangman Bot``."""
        channel = self.state.channels[channel_id]
        if channel.type is ChannelType.DM:
            others = [uid for uid in channel.recipient_ids if uid != viewer.id]
            names = [self.state.users[uid].display_name for uid in others]
            return f"DM with {', '.join(names) or viewer.display_name}"
        return f"#{channel.name}"

    def _where(self, message: Message, view: Viewpoint) -> str:
        if message.channel_id == view.channel_id:
            return ""
        return f"[{self.channel_label(message.channel_id, view.user)}] "

    def _body(self, message: Message, viewer: User) -> list[str]:
        lines = self.text(message.content).splitlines() if message.content else []
        if message.type is MessageType.POLL_RESULT:
            lines.extend(self.poll_result(embed) for embed in message.embeds)
        elif message.type is MessageType.AUTO_MODERATION_ACTION:
            for embed in message.embeds:
                lines.extend(self.automod_alert(embed))
        else:
            for embed in message.embeds:
                lines.extend(self.embed(embed))
        for attachment in message.attachments:
            line = f"📎 {attachment.filename} ({_size(attachment.size)})"
            if attachment.description:
                line += f" — {self.text(attachment.description)}"
            lines.append(line)
        if message.poll is not None:
            lines.extend(self.poll(message.poll, viewer))
        lines.extend(self.components(message))
        return lines or ["(an empty message)"]

    # -- polls -----------------------------------------------------------------------------

    def poll(self, poll: Poll, viewer: User) -> list[str]:
        """A native poll: the question, each answer with its votes and share, and its end.

        The viewer's own choices are ticked; once the poll has ended the winner gets a cup.
        """
        kind = "choose several" if poll.allow_multiselect else "choose one"
        lines = [f"📊 {self.text(poll.question)} ({kind})"]
        total = poll.total_votes
        winner = poll.winner() if poll.finalized else None
        for answer in poll.answers:
            votes = len(answer.voter_ids)
            share = f" ({votes * 100 // total}%)" if total else ""
            emoji = f"{_emoji_text(answer.emoji)} " if answer.emoji else ""
            marks = " ✔" if viewer.id in answer.voter_ids else ""
            marks += " 🏆" if winner is answer else ""
            lines.append(
                f"{INDENT}{answer.answer_id}) {emoji}{self.text(answer.text)} — "
                f"{_votes(votes)}{share}{marks}"
            )
        if poll.finalized:
            lines.append(f"{_votes(total)} · final results")
        else:
            now = datetime.datetime.now(datetime.UTC)
            lines.append(f"{_votes(total)} · ends {relative_time(poll.expiry, now)}")
        return lines

    def poll_result(self, embed: EmbedPayload) -> str:
        """The line of Discord's POLL_RESULT message: who won the poll that just closed."""
        fields = {str(field["name"]): str(field["value"]) for field in embed.get("fields") or []}
        question = self.text(fields.get("poll_question_text", ""))
        total = int(fields.get("total_votes", "0"))
        winner = fields.get("victor_answer_text")
        if winner is None:
            return f"📊 The poll “{question}” has closed with no single winner ({_votes(total)})."
        votes = int(fields.get("victor_answer_votes", "0"))
        return (
            f"📊 The poll “{question}” has closed: “{self.text(winner)}” won with "
            f"{votes} of {_votes(total)}."
        )

    # -- AutoMod alerts --------------------------------------------------------------------

    def automod_alert(self, embed: EmbedPayload) -> list[str]:
        """Discord's AutoMod alert (written as the member it names): what AutoMod did and
        where, the member's words as they typed them, then the rule, keyword and timeout."""
        fields = {str(field["name"]): str(field["value"]) for field in embed.get("fields") or []}
        outcome = fields.get("decision_outcome", "flagged")
        channel = self.text(f"<#{fields['channel_id']}>") if "channel_id" in fields else "a channel"
        lines = [f"🛡️ AutoMod has {outcome} a message in {channel}"]
        content = embed.get("description") or ""
        lines.extend(EMBED_BAR + line for line in self.text(content).splitlines())
        details = []
        if "keyword" in fields:
            details.append(f"Keyword: {fields['keyword']}")
            matched = fields.get("keyword_matched_content")
            if matched and matched != fields["keyword"]:
                details[-1] += f" (matched “{matched}”)"
        if "rule_name" in fields:
            details.append(f"Rule: {fields['rule_name']}")
        if "timeout_duration" in fields:
            details.append(f"Timed out for {format_time(int(fields['timeout_duration']))}")
        if details:
            lines.append(EMBED_BAR + " · ".join(details))
        return lines

    # -- embeds ----------------------------------------------------------------------------

    def embed(self, embed: EmbedPayload) -> list[str]:
        """An embed as a bar-marked block: author, title, description, fields, footer."""
        lines: list[str] = []
        author = embed.get("author")
        if author and author.get("name"):
            lines.append(self.text(author["name"]))
        title = embed.get("title")
        if title:
            url = embed.get("url")
            lines.append(self.text(title) + (f" <{url}>" if url else ""))
        description = embed.get("description")
        if description:
            lines.extend(self.text(description).splitlines())
        lines.extend(self._fields(embed.get("fields") or []))
        image = embed.get("image")
        if image and image.get("url"):
            lines.append(f"[image: {image['url']}]")
        thumbnail = embed.get("thumbnail")
        if thumbnail and thumbnail.get("url"):
            lines.append(f"[thumbnail: {thumbnail['url']}]")
        footer_parts = []
        footer = embed.get("footer")
        if footer and footer.get("text"):
            footer_parts.append(self.text(footer["text"]))
        timestamp = embed.get("timestamp")
        if timestamp:
            moment = datetime.datetime.fromisoformat(timestamp)
            footer_parts.append(discord_time(moment, "f", self.zone))
        if footer_parts:
            lines.append("— " + " · ".join(footer_parts))
        return [EMBED_BAR + line for line in lines or ["(an empty embed)"]]

    def _fields(self, fields: list[Any]) -> list[str]:
        lines: list[str] = []
        row: list[str] = []
        for field in fields:
            name, value = self.text(str(field["name"])), self.text(str(field["value"]))
            if field.get("inline") and "\n" not in value:
                row.append(f"{name}: {value}")
                if len(row) == INLINE_FIELDS_PER_ROW:
                    lines.append(" │ ".join(row))
                    row = []
                continue
            if row:
                lines.append(" │ ".join(row))
                row = []
            value_lines = value.splitlines() or [""]
            if len(value_lines) == 1:
                lines.append(f"{name}: {value_lines[0]}")
            else:
                lines.append(f"{name}:")
                lines.extend(f"{INDENT}{line}" for line in value_lines)
        if row:
            lines.append(" │ ".join(row))
        return lines

    # -- components ------------------------------------------------------------------------

    def components(self, message: Message) -> list[str]:
        """Rows of buttons and menus, each usable component with its number."""
        lines: list[str] = []
        for component in message.components:
            lines.extend(self._component(message, component))
        return lines

    def _component(self, message: Message, component: Mapping[str, Any]) -> list[str]:
        kind = component.get("type")
        if kind == 1:
            parts = [self._inline(message, child) for child in component.get("components") or []]
            return [" ".join(part for part in parts if part)]
        if kind in (BUTTON, *_SELECT_KINDS):
            return [self._inline(message, component)]
        if kind == 10:
            return self.text(str(component.get("content") or "")).splitlines()
        if kind == 9:
            lines = [
                line
                for child in component.get("components") or []
                for line in self._component(message, child)
            ]
            accessory = component.get("accessory")
            if accessory:
                lines.extend(self._component(message, accessory))
            return lines
        if kind == 11:
            return [f"[thumbnail: {(component.get('media') or {}).get('url', '')}]"]
        if kind == 12:
            return [
                f"[image: {(item.get('media') or {}).get('url', '')}]"
                for item in component.get("items") or []
            ]
        if kind == 13:
            return [f"[file: {(component.get('file') or {}).get('url', '')}]"]
        if kind == 14:
            return ["─" * 24]
        if kind == 17:
            children = [
                line
                for child in component.get("components") or []
                for line in self._component(message, child)
            ]
            return ["│ " + line for line in children]
        return [f"(a component of type {kind} the console cannot show)"]

    def _inline(self, message: Message, component: Mapping[str, Any]) -> str:
        kind = component.get("type")
        disabled = " (disabled)" if component.get("disabled") else ""
        if kind == BUTTON:
            label = button_label(component)
            style = component.get("style")
            if style == _LINK_STYLE:
                return f"[link: {label} <{component.get('url', '')}>]"
            if style == _PREMIUM_STYLE or "custom_id" not in component:
                return f"[{label}]{disabled}"
            number = self.numbers.number(message.id, str(component["custom_id"]))
            return f"[{number}] {label}{disabled}"
        if kind in _SELECT_KINDS:
            number = self.numbers.number(message.id, str(component["custom_id"]))
            placeholder = component.get("placeholder") or f"choose {_SELECT_KINDS[int(kind)]}"
            text = f"[{number}] ▾ {placeholder}{_pick_range(component)}{disabled}"
            if kind == STRING_SELECT:
                options = [
                    f"{index}) {_option_label(option)}"
                    for index, option in enumerate(component.get("options") or [], start=1)
                ]
                text += ": " + "  ".join(options)
            return text
        return ""

    # -- modals ----------------------------------------------------------------------------

    def modal(self, modal: Mapping[str, Any], author: User) -> list[str]:
        """The form a bot opened: its title, notes and fields, numbered in filling order."""
        lines = [f"{INDENT}{author.display_name} opened a form: {modal.get('title', '')!r}"]
        for component in modal.get("components") or []:
            if component.get("type") == 10:
                lines.extend(
                    f"{INDENT * 2}{line}"
                    for line in self.text(str(component.get("content") or "")).splitlines()
                )
        for index, field in enumerate(modal_fields(modal), start=1):
            lines.append(f"{INDENT * 2}{index}. {field.describe()}")
        return lines

    # -- text ------------------------------------------------------------------------------

    def text(self, content: str) -> str:
        """Discord markup a terminal cannot show (mentions, timestamps, emojis) in words."""
        return _MENTION.sub(self._replace_markup, content)

    def _replace_markup(self, match: re.Match[str]) -> str:
        if match["user"]:
            user = self.state.users.get(int(match["user"]))
            return f"@{user.display_name}" if user else "@unknown-user"
        if match["role"]:
            return role_label(self._role_name(int(match["role"])))
        if match["channel"]:
            channel = self.state.channels.get(int(match["channel"]))
            return f"#{channel.name}" if channel else "#unknown-channel"
        if match["time"]:
            moment = datetime.datetime.fromtimestamp(int(match["time"]), datetime.UTC)
            if match["style"] == "R":
                return relative_time(moment, datetime.datetime.now(datetime.UTC))
            return discord_time(moment, match["style"] or "f", self.zone)
        if match["emoji"]:
            return f":{match['emoji']}:"
        return f"/{match['command']}"

    def _role_name(self, role_id: int) -> str:
        for guild in self.state.guilds.values():
            role = guild.roles.get(role_id)
            if role is not None:
                return role.name
        return "unknown-role"


def relative_time(moment: datetime.datetime, now: datetime.datetime) -> str:
    """``in 5 minutes`` / ``3 hours ago``, rounded to the unit Discord would pick."""
    seconds = (moment - now).total_seconds()
    size = abs(seconds)
    if size < FEW_SECONDS:
        return "in a few seconds" if seconds >= 0 else "a few seconds ago"
    if size < 45 * 60:
        unit, length = "minute", 60
    elif size < 22 * 3600:
        unit, length = "hour", 3600
    else:
        unit, length = "day", 86400
    count = max(round(size / length), 1)
    amount = plural(count, unit)
    return f"in {amount}" if seconds >= 0 else f"{amount} ago"


def local_zone() -> datetime.tzinfo:
    """The computer's own time zone, which Discord's client uses until told otherwise."""
    zone = datetime.datetime.now().astimezone().tzinfo
    return zone if zone is not None else datetime.UTC


def discord_time(moment: datetime.datetime, style: str, zone: datetime.tzinfo) -> str:
    """An absolute ``<t:…:style>`` as Discord's English client shows it in ``zone``, with the
    zone's abbreviation, since a reader of the transcript may not know whose clock it is."""
    local = moment.astimezone(zone)
    clock = f"{local.hour % 12 or 12}:{local.minute:02d}"
    if style == "T":
        clock += f":{local.second:02d}"
    clock += " AM" if local.hour < 12 else " PM"
    day = f"{local:%B} {local.day}, {local.year}"
    shown = {
        "t": clock,
        "T": clock,
        "d": f"{local:%m/%d/%Y}",
        "D": day,
        "f": f"{day} {clock}",
        "F": f"{local:%A}, {day} {clock}",
    }[style]
    return f"{shown} {local:%Z}"


def button_label(component: Mapping[str, Any]) -> str:
    """A button's emoji and label as the transcript shows them, e.g. ``🔤 Guess``."""
    emoji = component.get("emoji") or {}
    emoji_text = str(emoji.get("name") or "") if not emoji.get("id") else f":{emoji.get('name')}:"
    label = str(component.get("label") or "")
    return " ".join(part for part in (emoji_text, label) if part) or "(no label)"


def _emoji_text(emoji: Mapping[str, Any]) -> str:
    name = str(emoji.get("name") or "")
    return f":{name}:" if emoji.get("id") else name


def _votes(count: int) -> str:
    return plural(count, "vote")


def _option_label(option: Mapping[str, Any]) -> str:
    label = str(option.get("label") or option.get("value") or "")
    return f"{label} (default)" if option.get("default") else label


def _pick_range(component: Mapping[str, Any]) -> str:
    low, high = int(component.get("min_values", 1)), int(component.get("max_values", 1))
    if (low, high) == (1, 1):
        return ""
    return f" (pick {low}-{high})"


def _size(size: int) -> str:
    if size < 1024:
        return plural(size, "byte")
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def _shorten(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
