"""Handles on channels and members: what a scripted member does, and what a channel shows.

A member sends, edits and deletes messages, reacts, votes, joins voice, runs slash and context
menu commands, clicks buttons, picks from menus and fills modals, each as Discord would let
them; a channel's handle waits for what the bots post there.
"""

# Every wait takes its own ``timeout`` so that, when it runs out, the failure can say what was
# awaited and what the bot did instead; an outer asyncio.timeout() could only say "timed out".
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import discord

from botfleet.sandbox import moderation, payloads
from botfleet.sandbox.flags import ChannelType, InteractionType, OverwriteType, Permission
from botfleet.sandbox.models import (
    Application,
    ApplicationCommand,
    Channel,
    Guild,
    Message,
    PermissionOverwrite,
    Role,
    User,
)
from botfleet.sandbox.scripting.components import MemberComponents
from botfleet.sandbox.scripting.interactions import InteractionHandle
from botfleet.sandbox.scripting.member_acts import as_member_draft
from botfleet.sandbox.scripting.option_values import check_choices_and_ranges, check_scalar
from botfleet.sandbox.scripting.waits import (
    DEFAULT_TIMEOUT,
    MessageBlockedError,
    SandboxFile,
    SandboxScriptError,
    ScriptedSandbox,
    content_type,
    permission_value,
    refused_as_script_error,
    wait_until,
)
from botfleet.sandbox.validation import Upload

if TYPE_CHECKING:
    from discord.types.embed import Embed as EmbedPayload


DEFAULT_BOT_PERMISSIONS = (
    Permission.VIEW_CHANNEL
    | Permission.SEND_MESSAGES
    | Permission.EMBED_LINKS
    | Permission.ATTACH_FILES
    | Permission.READ_MESSAGE_HISTORY
    | Permission.ADD_REACTIONS
    | Permission.USE_EXTERNAL_EMOJIS
    | Permission.USE_APPLICATION_COMMANDS
    | Permission.CONNECT
    | Permission.SPEAK
)
"""What a bot's managed role holds unless the test grants something else."""

_OPTION_STRING = 3
_OPTION_INTEGER = 4
_OPTION_BOOLEAN = 5
_OPTION_USER = 6
_OPTION_CHANNEL = 7
_OPTION_ROLE = 8
_OPTION_MENTIONABLE = 9
_OPTION_NUMBER = 10
_OPTION_ATTACHMENT = 11
_SUBCOMMAND = 1
_SUBCOMMAND_GROUP = 2


def user_of(who: Application | User | SandboxMember) -> User:
    if isinstance(who, Application):
        return who.bot_user
    if isinstance(who, SandboxMember):
        return who.user
    return who


class SandboxChannel:
    """A channel seen from a test: read what was posted, wait for what comes next."""

    def __init__(self, sandbox: ScriptedSandbox, channel: Channel) -> None:
        self.sandbox = sandbox
        self.channel = channel

    @property
    def id(self) -> int:
        """The channel's id."""
        return self.channel.id

    @property
    def name(self) -> str:
        """The channel's name."""
        return self.channel.name

    @property
    def mention(self) -> str:
        """How a message mentions the channel."""
        return f"<#{self.channel.id}>"

    def __repr__(self) -> str:
        return f"<SandboxChannel #{self.channel.name} id={self.channel.id}>"

    def _label(self) -> str:
        if self.channel.type is ChannelType.DM:
            names = [
                self.sandbox.state.users[uid].display_name for uid in self.channel.recipient_ids
            ]
            return f"the DM of {' and '.join(names)}"
        return f"#{self.channel.name}"

    def messages(self, *, include_ephemeral: bool = False) -> list[Message]:
        """The channel's messages, oldest first (ephemeral ones only if asked)."""
        return [
            message
            for message in self.sandbox.state.messages_in(self.channel)
            if include_ephemeral or not message.ephemeral
        ]

    def messages_seen_by(self, member: SandboxMember) -> list[Message]:
        """The channel's messages as ``member``'s Discord shows them, oldest first.

        Their own ephemeral answers are there, other members' are not; a member who may not
        view the channel sees nothing.
        """
        return [
            message
            for message in self.sandbox.state.messages_in(self.channel)
            if self.sandbox.state.can_see(member.user, message)
        ]

    @property
    def last_message(self) -> Message | None:
        """The newest visible message."""
        visible = self.messages()
        return visible[-1] if visible else None

    async def wait_for_message(
        self,
        *,
        author: Application | User | SandboxMember | None = None,
        content: str | None = None,
        check: Callable[[Message], bool] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Message:
        """Wait for the next matching message after the last one this channel handed out.

        Messages a scripted member sends here also move the cursor, so a wait after
        ``member.send(...)`` only sees what came after it.
        """
        author_user = user_of(author) if author is not None else None

        def matches(message: Message) -> bool:
            return (
                (author_user is None or message.author.id == author_user.id)
                and (content is None or message.content == content)
                and (check is None or check(message))
            )

        def next_match() -> Message | None:
            cursor = self.sandbox.channel_cursor(self.channel.id)
            for message in self.messages():
                if message.id > cursor and matches(message):
                    self.sandbox.move_channel_cursor(self.channel.id, message.id)
                    return message
            return None

        def failure() -> str:
            wanted = "a message"
            if author_user is not None:
                wanted += f" by {author_user.display_name}"
            if content is not None:
                wanted += f" saying {content!r}"
            if check is not None:
                wanted += " passing the check"
            cursor = self.sandbox.channel_cursor(self.channel.id)
            recent = [m.describe() for m in self.messages() if m.id > cursor]
            listing = "\n".join(f"  - {line}" for line in recent) or "  (nothing)"
            return f"waiting for {wanted} in {self._label()}.\nPosted there since:\n{listing}"

        return await wait_until(self.sandbox, next_match, timeout=timeout, describe_failure=failure)

    async def wait_for_edit(self, message: Message, *, timeout: float = DEFAULT_TIMEOUT) -> Message:
        """Wait until ``message`` is edited again (relative to its edit count now)."""
        seen = message.edit_count
        return await wait_until(
            self.sandbox,
            lambda: message if message.edit_count > seen else None,
            timeout=timeout,
            describe_failure=lambda: f"waiting for an edit of {message.describe()}",
        )

    async def wait_for_deletion(
        self, message: Message, *, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        """Wait until ``message`` is deleted."""
        await wait_until(
            self.sandbox,
            lambda: True if message.deleted else None,
            timeout=timeout,
            describe_failure=lambda: f"waiting for the deletion of {message.describe()}",
        )

    def _guild(self) -> Guild:
        guild = self.sandbox.state.guild_of(self.channel)
        if guild is None:
            raise SandboxScriptError(f"{self._label()} is not a guild channel")
        return guild

    def permissions_for(self, member: SandboxMember) -> discord.Permissions:
        """The member's permissions here, overwrites, timeouts and implicit denials applied."""
        return discord.Permissions(self.sandbox.state.channel_permissions(self.channel, member.id))

    @property
    def overwrites(self) -> dict[int, PermissionOverwrite]:
        """The channel's permission overwrites by role or member id."""
        return dict(self.channel.overwrites)

    async def set_permissions(
        self,
        target: Role | SandboxMember,
        *,
        allow: int | discord.Permissions = 0,
        deny: int | discord.Permissions = 0,
        by: SandboxMember | None = None,
    ) -> None:
        """Set the channel's overwrite for a role or member, as ``by`` (default: the owner).

        Bots in the guild hear CHANNEL_UPDATE.
        """
        guild = self._guild()
        actor = by.user if by is not None else self.sandbox.state.users[guild.owner_id]
        allow_bits, deny_bits = permission_value(allow), permission_value(deny)
        with refused_as_script_error(actor, f"edit the permissions of {self._label()}"):
            moderation.check_overwrite(guild, self.channel, actor.id, allow_bits, deny_bits)
        overwrite_type = OverwriteType.ROLE if isinstance(target, Role) else OverwriteType.MEMBER
        self.sandbox.state.set_overwrite(
            self.channel,
            PermissionOverwrite(
                id=target.id, type=overwrite_type, allow=allow_bits, deny=deny_bits
            ),
        )
        await asyncio.sleep(0)

    async def clear_permissions(
        self, target: Role | SandboxMember, *, by: SandboxMember | None = None
    ) -> None:
        """Remove the channel's overwrite for a role or member (CHANNEL_UPDATE)."""
        guild = self._guild()
        actor = by.user if by is not None else self.sandbox.state.users[guild.owner_id]
        with refused_as_script_error(actor, f"edit the permissions of {self._label()}"):
            moderation.check_overwrite(guild, self.channel, actor.id, 0, 0)
        self.sandbox.state.delete_overwrite(self.channel, target.id)
        await asyncio.sleep(0)

    @property
    def voice_members(self) -> list[SandboxMember]:
        """Who is connected to this voice channel."""
        guild = self._guild()
        return [
            SandboxMember(self.sandbox, guild.members[voice.user_id].user, guild)
            for voice in guild.voice_states.values()
            if voice.channel_id == self.channel.id
        ]


class SandboxMember(MemberComponents):
    """A person (or bot) in the sandbox that a test can act as."""

    @property
    def voice_channel(self) -> SandboxChannel | None:
        """The voice channel the member is connected to, if any."""
        voice = self.guild.voice_states.get(self.user.id) if self.guild is not None else None
        if voice is None:
            return None
        return SandboxChannel(self.sandbox, self.sandbox.state.channels[voice.channel_id])

    async def send(
        self,
        channel: SandboxChannel,
        content: str = "",
        *,
        embeds: Sequence[EmbedPayload] = (),
        reply_to: Message | None = None,
        files: Sequence[SandboxFile] = (),
    ) -> Message:
        """Post a message as this member (bots in the channel get MESSAGE_CREATE)."""
        self._check_can(channel.channel, Permission.SEND_MESSAGES, "send messages")
        uploads = [
            Upload(index, file.filename, content_type(file.filename), file.data)
            for index, file in enumerate(files)
        ]
        body: dict[str, Any] = {"content": content, "embeds": list(embeds)}
        if reply_to is not None:
            body["message_reference"] = {"message_id": reply_to.id}
        draft = as_member_draft(body, uploads, editing=False)
        state = self.sandbox.state
        guild = state.guild_of(channel.channel)
        member = guild.members.get(self.user.id) if guild is not None else None
        matches = state.automod_matches(channel.channel, member, content) if member else []
        if member is not None and any(match.blocks for match in matches):
            state.execute_automod(channel.channel, member, content, matches, None)
            await asyncio.sleep(0)
            names = ", ".join(match.rule.name for match in matches if match.blocks)
            raise MessageBlockedError(f"AutoMod blocked {self.user.username}'s message ({names})")
        message = state.post_message(channel.channel, self.user, draft)
        if member is not None and matches:
            state.execute_automod(channel.channel, member, content, matches, message.id)
        self.sandbox.move_channel_cursor(channel.id, message.id)
        await asyncio.sleep(0)
        return message

    def post_history(
        self, channel: SandboxChannel, content: str, *, sent_at: datetime.datetime
    ) -> Message:
        """A message this member sent at ``sent_at`` in the past, stored without any event.

        For tests of what bots do with old messages (14-day bulk-delete limit, history).
        """
        if sent_at.tzinfo is None:
            raise SandboxScriptError("sent_at must be timezone-aware")
        draft = as_member_draft({"content": content}, [], editing=False)
        return self.sandbox.state.record_history(channel.channel, self.user, draft, sent_at=sent_at)

    def dm_with(self, app: Application) -> SandboxChannel:
        """The DM channel between this member and a bot."""
        return SandboxChannel(self.sandbox, self.sandbox.state.dm_channel(self.user, app.bot_user))

    async def send_dm(self, app: Application, content: str) -> Message:
        """Send a DM to a bot."""
        return await self.send(self.dm_with(app), content)

    async def join_voice(
        self, channel: SandboxChannel, *, self_mute: bool = False, self_deaf: bool = False
    ) -> None:
        """Connect to (or move to) a voice channel; bots hear VOICE_STATE_UPDATE."""
        guild = self.guild
        if guild is None:
            raise SandboxScriptError(f"{self.user.username} is not a member of a guild")
        refusal = self.sandbox.state.voice_refusal(guild, self.user, channel.channel)
        if refusal is not None:
            raise SandboxScriptError(f"{self.user.username} cannot join voice: {refusal}")
        self.sandbox.state.set_voice_state(
            guild, self.user, channel.channel, self_mute=self_mute, self_deaf=self_deaf
        )
        await asyncio.sleep(0)

    async def run_command(
        self,
        channel: SandboxChannel,
        app: Application,
        name: str,
        options: Mapping[str, Any] | None = None,
        *,
        subcommand: str | None = None,
        locale: str = "en-US",
    ) -> InteractionHandle:
        """Run ``/name [subcommand] option:value ...`` as Discord's client would.

        ``subcommand`` is ``"sub"`` or ``"group sub"``. Values are checked against the command
        the bot registered (types, choices, ranges, required options), the way Discord's client
        refuses to send a malformed command.
        """
        return await self._chat_input(channel, app, name, options, subcommand, locale=locale)

    async def autocomplete(
        self,
        channel: SandboxChannel,
        app: Application,
        name: str,
        options: Mapping[str, Any],
        *,
        focused: str,
        subcommand: str | None = None,
        locale: str = "en-US",
    ) -> InteractionHandle:
        """Type into the autocomplete option ``focused`` of ``/name``; await the suggestions.

        ``options[focused]`` is the text typed so far (Discord sends it as a string whatever
        the option's type); the other options are what the member filled in already, checked
        like ``run_command`` checks them but none of them required yet. The handle's
        ``wait_for_choices`` returns the bot's suggestions.
        """
        if focused not in options:
            raise SandboxScriptError(f"options has no text for the focused option {focused!r}")
        return await self._chat_input(
            channel, app, name, options, subcommand, locale=locale, focused=focused
        )

    async def _chat_input(
        self,
        channel: SandboxChannel,
        app: Application,
        name: str,
        options: Mapping[str, Any] | None,
        subcommand: str | None,
        *,
        locale: str,
        focused: str | None = None,
    ) -> InteractionHandle:
        """Send a slash command, or its autocomplete when ``focused`` names the option being
        typed, with ``data`` checked as Discord's client checks it."""
        command = self._find_command(app, name, 1, channel.channel)
        path = subcommand.split() if subcommand else []
        definitions = command.options
        wrappers: list[tuple[str, int]] = []
        for part in path:
            found = next(
                (
                    option
                    for option in definitions
                    if option.get("name") == part
                    and option.get("type") in (_SUBCOMMAND, _SUBCOMMAND_GROUP)
                ),
                None,
            )
            if found is None:
                raise SandboxScriptError(
                    f"/{name} has no subcommand {part!r}; it has "
                    f"{[o.get('name') for o in definitions if o.get('type') in (1, 2)]}"
                )
            wrappers.append((part, int(found["type"])))
            definitions = found.get("options") or []
        if any(option.get("type") in (_SUBCOMMAND, _SUBCOMMAND_GROUP) for option in definitions):
            raise SandboxScriptError(
                f"/{' '.join([name, *path])} needs a subcommand: "
                f"{[o.get('name') for o in definitions]}"
            )
        resolved: dict[str, dict[str, Any]] = {}
        values = self._build_options(
            definitions,
            dict(options or {}),
            resolved,
            channel.channel,
            f"/{name}",
            focused=focused,
        )
        for part, kind in reversed(wrappers):
            values = [{"type": kind, "name": part, "options": values}]
        data: dict[str, Any] = {"id": str(command.id), "name": command.name, "type": 1}
        if values:
            data["options"] = values
        if resolved:
            data["resolved"] = resolved
        return await self._send_command(
            channel,
            app,
            command,
            data,
            interaction_type=InteractionType.APPLICATION_COMMAND
            if focused is None
            else InteractionType.APPLICATION_COMMAND_AUTOCOMPLETE,
            command_name=" ".join([command.name, *path]),
            locale=locale,
        )

    async def run_context_menu(
        self,
        channel: SandboxChannel,
        app: Application,
        name: str,
        target: SandboxMember | Message,
    ) -> InteractionHandle:
        """Run a user (target is a member) or message (target is a message) context menu."""
        command_type = 3 if isinstance(target, Message) else 2
        command = self._find_command(app, name, command_type, channel.channel)
        resolved: dict[str, dict[str, Any]] = {}
        if isinstance(target, Message):
            target_id = target.id
            resolved["messages"] = {
                str(target.id): dict(
                    payloads.message_payload(target, state=self.sandbox.state, viewer=app.bot_user)
                )
            }
        else:
            target_id = target.id
            self._resolve_user(target.user, resolved, channel.channel)
        data: dict[str, Any] = {
            "id": str(command.id),
            "name": command.name,
            "type": command_type,
            "target_id": str(target_id),
            "resolved": resolved,
        }
        return await self._send_command(channel, app, command, data, command_name=command.name)

    async def _send_command(
        self,
        channel: SandboxChannel,
        app: Application,
        command: ApplicationCommand,
        data: dict[str, Any],
        *,
        command_name: str,
        interaction_type: InteractionType = InteractionType.APPLICATION_COMMAND,
        locale: str = "en-US",
    ) -> InteractionHandle:
        """Send the interaction that runs ``command``, in its guild when it is a guild command."""
        if command.guild_id is not None:
            data["guild_id"] = str(command.guild_id)
        interaction = self.sandbox.state.create_interaction(
            app,
            self.user,
            channel.channel,
            interaction_type,
            data,
            command=command,
            command_name=command_name,
            locale=locale,
        )
        await asyncio.sleep(0)
        return InteractionHandle(self.sandbox, interaction)

    def _find_command(
        self, app: Application, name: str, command_type: int, channel: Channel
    ) -> ApplicationCommand:
        candidates: list[ApplicationCommand] = []
        if channel.guild_id is not None:
            candidates.extend(app.guild_commands.get(channel.guild_id, {}).values())
        candidates.extend(app.global_commands.values())
        command = next((c for c in candidates if c.name == name and c.type == command_type), None)
        if command is None:
            known = sorted({c.name for c in candidates if c.type == command_type})
            raise SandboxScriptError(
                f"{app.name} has no registered command {name!r} (type {command_type}) here; "
                f"registered: {known}. Did the bot sync its command tree?"
            )
        context = 1 if channel.guild_id is None else 0
        if context not in command.contexts:
            raise SandboxScriptError(f"/{name} cannot be used in this kind of channel")
        self._check_can(channel, Permission.USE_APPLICATION_COMMANDS, "use commands")
        required = int(command.default_member_permissions or 0)
        granted = self.sandbox.state.channel_permissions(channel, self.user.id)
        if channel.guild_id is not None and required and granted & required != required:
            raise SandboxScriptError(
                f"{self.user.username} does not see /{name}: it needs permissions {required}"
            )
        return command

    def _build_options(
        self,
        definitions: list[dict[str, Any]],
        given: dict[str, Any],
        resolved: dict[str, dict[str, Any]],
        channel: Channel,
        label: str,
        *,
        focused: str | None = None,
    ) -> list[dict[str, Any]]:
        """The options of a command interaction; with ``focused``, of an autocomplete one."""
        names = [str(d.get("name")) for d in definitions]
        unknown_names = sorted(set(given) - set(names))
        if unknown_names:
            raise SandboxScriptError(f"{label} has no option {unknown_names}; options: {names}")
        built: list[dict[str, Any]] = []
        for definition in definitions:
            option_name = str(definition["name"])
            if option_name not in given:
                if definition.get("required") and focused is None:
                    raise SandboxScriptError(f"{label} needs the option {option_name!r}")
                continue
            if option_name == focused:
                if not definition.get("autocomplete"):
                    raise SandboxScriptError(
                        f"{label} option {option_name!r} does not autocomplete"
                    )
                built.append(
                    {
                        "type": int(definition["type"]),
                        "name": option_name,
                        "value": str(given[option_name]),
                        "focused": True,
                    }
                )
                continue
            value = self._option_value(definition, given[option_name], resolved, channel, label)
            built.append({"type": int(definition["type"]), "name": option_name, "value": value})
        return built

    def _option_value(
        self,
        definition: dict[str, Any],
        value: Any,
        resolved: dict[str, dict[str, Any]],
        channel: Channel,
        label: str,
    ) -> Any:
        kind = int(definition["type"])
        where = f"{label} option {definition['name']!r}"
        if kind in (_OPTION_STRING, _OPTION_INTEGER, _OPTION_NUMBER, _OPTION_BOOLEAN):
            value = check_scalar(kind, value, where)
            check_choices_and_ranges(definition, value, where)
            return value
        if kind == _OPTION_USER or (kind == _OPTION_MENTIONABLE and not isinstance(value, Role)):
            if not isinstance(value, SandboxMember | User):
                raise SandboxScriptError(f"{where} takes a member, not {value!r}")
            user = value.user if isinstance(value, SandboxMember) else value
            self._resolve_user(user, resolved, channel)
            return str(user.id)
        if kind in (_OPTION_ROLE, _OPTION_MENTIONABLE):
            if not isinstance(value, Role):
                raise SandboxScriptError(f"{where} takes a role, not {value!r}")
            resolved.setdefault("roles", {})[str(value.id)] = dict(payloads.role_payload(value))
            return str(value.id)
        if kind == _OPTION_CHANNEL:
            target = value.channel if isinstance(value, SandboxChannel) else value
            if not isinstance(target, Channel):
                raise SandboxScriptError(f"{where} takes a channel, not {value!r}")
            allowed_types = definition.get("channel_types")
            if allowed_types and int(target.type) not in allowed_types:
                raise SandboxScriptError(f"{where} only takes channel types {allowed_types}")
            resolved.setdefault("channels", {})[str(target.id)] = self._resolved_channel(target)
            return str(target.id)
        if kind == _OPTION_ATTACHMENT:
            if not isinstance(value, SandboxFile):
                raise SandboxScriptError(f"{where} takes a SandboxFile, not {value!r}")
            attachment = self.sandbox.state.store_attachment(
                channel, value.filename, content_type(value.filename), value.data
            )
            resolved.setdefault("attachments", {})[str(attachment.id)] = dict(
                payloads.attachment_payload(attachment)
            )
            return str(attachment.id)
        raise SandboxScriptError(f"{where} has option type {kind}, which the sandbox cannot fill")

    def _resolve_user(
        self, user: User, resolved: dict[str, dict[str, Any]], channel: Channel
    ) -> None:
        resolved.setdefault("users", {})[str(user.id)] = dict(payloads.user_payload(user))
        guild = self.sandbox.state.guild_of(channel)
        member = guild.members.get(user.id) if guild is not None else None
        if member is not None:
            member_data = dict(payloads.partial_member_payload(member))
            member_data["permissions"] = str(
                self.sandbox.state.channel_permissions(channel, user.id)
            )
            resolved.setdefault("members", {})[str(user.id)] = member_data

    def _resolved_channel(self, channel: Channel) -> dict[str, Any]:
        return {
            "id": str(channel.id),
            "name": channel.name,
            "type": int(channel.type),
            "permissions": str(self.sandbox.state.channel_permissions(channel, self.user.id)),
            "position": channel.position,
            "nsfw": channel.nsfw,
            "flags": 0,
            "rate_limit_per_user": channel.rate_limit_per_user,
            "parent_id": None if channel.parent_id is None else str(channel.parent_id),
            "last_message_id": None
            if channel.last_message_id is None
            else str(channel.last_message_id),
        }
