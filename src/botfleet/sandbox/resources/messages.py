"""Messages: DMs, posting, history, edits, deletes, typing, and the end of a message's poll.

A poll lives in its message, so its timer and its result message are kept here; votes are in
``polls``.
"""

from __future__ import annotations

import asyncio
import bisect
import datetime
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from aiohttp import web

from botfleet.sandbox import payloads
from botfleet.sandbox.errors import (
    DiscordHTTPError,
    FormErrors,
    JSONErrorCode,
    missing_access,
    missing_permissions,
    unknown,
)
from botfleet.sandbox.flags import (
    EDITABLE_MESSAGE_FLAGS,
    ChannelType,
    GatewayIntent,
    MessageFlag,
    MessageType,
    Permission,
)
from botfleet.sandbox.mentions import apply_mentions, default_allowed_mentions, record_notified
from botfleet.sandbox.models import (
    Application,
    Attachment,
    Channel,
    Interaction,
    Message,
    Poll,
    PollAnswer,
    User,
)
from botfleet.sandbox.resources.routing import (
    RouteHelpers,
    guild_channel_only,
    json_response,
    no_content,
    path_snowflake,
    query_int,
    read_message_body,
)
from botfleet.sandbox.resources.voice_states import VoiceStatesState
from botfleet.sandbox.resources.world import now
from botfleet.sandbox.snowflakes import DISCORD_EPOCH_MS, snowflake_time
from botfleet.sandbox.validation import (
    MessageDraft,
    PollDraft,
    check_components_v2_fields,
    parse_json_body,
    parse_message,
)

if TYPE_CHECKING:
    from discord.types.gateway import MessageDeleteBulkEvent as MessageDeleteBulkPayload

_HISTORY_PROCESS_BITS = 31 << 12
"""Backdated ids carry their own process id, so they never collide with live ones."""


BULK_DELETE_MIN = 2


BULK_DELETE_MAX = 100


BULK_DELETE_MAX_AGE = datetime.timedelta(days=14)
NONCE_WINDOW = datetime.timedelta(minutes=2)
"""How long a message create's enforced nonce is remembered ("a few minutes" says Discord)."""


def _poll_from_draft(draft: PollDraft | None, sent_at: datetime.datetime) -> Poll | None:
    if draft is None:
        return None
    return Poll(
        question=draft.question,
        answers=[
            PollAnswer(answer_id=number, text=answer.text, emoji=answer.emoji)
            for number, answer in enumerate(draft.answers, start=1)
        ],
        allow_multiselect=draft.allow_multiselect,
        layout_type=draft.layout_type,
        expiry=sent_at + datetime.timedelta(hours=draft.duration_hours),
    )


def bulk_delete_payload(channel: Channel, message_ids: list[int]) -> MessageDeleteBulkPayload:
    """MESSAGE_DELETE_BULK."""
    payload: MessageDeleteBulkPayload = {
        "ids": [payloads.snowflake(message_id) for message_id in message_ids],
        "channel_id": payloads.snowflake(channel.id),
    }
    if channel.guild_id is not None:
        payload["guild_id"] = payloads.snowflake(channel.guild_id)
    return payload


class MessagesState(VoiceStatesState):
    """Messages and their attachments, mentions and poll timers."""

    def dm_channel(self, first: User, second: User) -> Channel:
        """The DM channel between two users, created on first use."""
        wanted = {first.id, second.id}
        for channel in self.channels.values():
            if channel.type is ChannelType.DM and set(channel.recipient_ids) == wanted:
                return channel
        channel = Channel(
            id=self.snowflakes.next(),
            type=ChannelType.DM,
            name="",
            guild_id=None,
            recipient_ids=(first.id, second.id),
        )
        self.channels[channel.id] = channel
        self._changed()
        return channel

    def message_audience(self, channel: Channel) -> list[Application]:
        """The applications that receive events of messages in this channel."""
        if channel.guild_id is None:
            return [
                app
                for user_id in channel.recipient_ids
                if (app := self.application_of_user(user_id)) is not None
            ]
        guild = self.guilds[channel.guild_id]
        return [
            app
            for app in self.bots_in(guild)
            if self.can(channel, app.bot_user.id, Permission.VIEW_CHANNEL)
        ]

    def post_message(
        self,
        channel: Channel,
        author: User,
        draft: MessageDraft,
        *,
        message_type: MessageType = MessageType.DEFAULT,
        application: Application | None = None,
        interaction: Interaction | None = None,
        extra_flags: int = 0,
    ) -> Message:
        """Store a new message and announce it (MESSAGE_CREATE) unless it is ephemeral."""
        message = self._build_message(
            channel,
            author,
            draft,
            message_id=self.snowflakes.next(),
            created_at=now(),
            message_type=message_type,
            application=application,
            interaction=interaction,
            extra_flags=extra_flags,
        )
        self.messages[message.id] = message
        self._channel_messages.setdefault(channel.id, []).append(message.id)
        if not message.ephemeral:
            channel.last_message_id = message.id
            self._announce_message("MESSAGE_CREATE", message, channel)
        self._schedule_poll_end(message)
        self._changed()
        return message

    def message_with_nonce(
        self, channel: Channel, author: User, nonce: str | int
    ) -> Message | None:
        """``author``'s message in ``channel`` sent with ``nonce`` in the last few minutes.

        Discord's ``enforce_nonce``: a create carrying a nonce already used gets that message
        back instead of a second one, so a message create can be repeated after a lost answer.
        """
        since = now() - NONCE_WINDOW
        for message_id in reversed(self._channel_messages.get(channel.id, [])):
            message = self.messages.get(message_id)
            if message is None:
                continue
            if message.created_at < since:
                return None
            if message.author.id == author.id and str(message.nonce) == str(nonce):
                return message
        return None

    def record_history(
        self, channel: Channel, author: User, draft: MessageDraft, *, sent_at: datetime.datetime
    ) -> Message:
        """Store a message as sent at ``sent_at`` in the past, without announcing it.

        Its id encodes ``sent_at`` as Discord's would, so checks that read age from ids
        (bulk deletes refuse messages older than 14 days) see an old message.
        """
        milliseconds = int(sent_at.timestamp() * 1000) - DISCORD_EPOCH_MS
        self._history_ids = (self._history_ids + 1) & 0xFFF
        message_id = (milliseconds << 22) | (1 << 17) | _HISTORY_PROCESS_BITS | self._history_ids
        message = self._build_message(
            channel, author, draft, message_id=message_id, created_at=sent_at
        )
        self.messages[message.id] = message
        bisect.insort(self._channel_messages.setdefault(channel.id, []), message.id)
        self._changed()
        return message

    def _build_message(
        self,
        channel: Channel,
        author: User,
        draft: MessageDraft,
        *,
        message_id: int,
        created_at: datetime.datetime,
        message_type: MessageType = MessageType.DEFAULT,
        application: Application | None = None,
        interaction: Interaction | None = None,
        extra_flags: int = 0,
    ) -> Message:
        referenced_id = self._resolve_reply(channel, draft)
        if referenced_id is not None and message_type is MessageType.DEFAULT:
            message_type = MessageType.REPLY
        message = Message(
            id=message_id,
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author=author,
            content=draft.content,
            created_at=created_at,
            type=message_type,
            embeds=list(draft.embeds),
            components=list(draft.components),
            attachments=self._store_uploads(channel, draft),
            flags=draft.flags | extra_flags,
            tts=draft.tts,
            nonce=draft.nonce,
            webhook_id=application.id if application is not None else None,
            application_id=application.id if application is not None else None,
            interaction_id=interaction.id if interaction is not None else None,
            referenced_message_id=referenced_id,
            poll=_poll_from_draft(draft.poll, created_at),
            allowed_mentions=draft.allowed_mentions,
        )
        self._apply_mentions(message, channel)
        record_notified(message)
        return message

    def _resolve_reply(self, channel: Channel, draft: MessageDraft) -> int | None:
        if draft.reply_to_message_id is None:
            return None
        target = self.messages.get(draft.reply_to_message_id)
        if target is not None and target.channel_id == channel.id and not target.deleted:
            return target.id
        if not draft.fail_if_reply_target_missing:
            return None
        errors = FormErrors()
        errors.add(
            ("message_reference",),
            "MESSAGE_REFERENCE_UNKNOWN_MESSAGE",
            "Unknown message",
        )
        errors.raise_now()

    def _store_uploads(self, channel: Channel, draft: MessageDraft) -> list[Attachment]:
        return [
            self.store_attachment(
                channel,
                upload.filename,
                upload.content_type,
                upload.data,
                description=draft.attachment_descriptions.get(upload.index),
            )
            for upload in draft.uploads
        ]

    def store_attachment(
        self,
        channel: Channel,
        filename: str,
        content_type: str,
        data: bytes,
        *,
        description: str | None = None,
    ) -> Attachment:
        """Keep an uploaded file and give it a URL the sandbox serves it from (its name escaped,
        so a name holding ``/`` or ``?`` still leads to it)."""
        attachment_id = self.snowflakes.next()
        address = f"{self._base_url()}/attachments/{channel.id}/{attachment_id}"
        attachment = Attachment(
            id=attachment_id,
            filename=filename,
            content_type=content_type,
            data=data,
            url=f"{address}/{quote(filename, safe='')}",
            description=description,
        )
        self.attachments[attachment_id] = attachment
        return attachment

    def _apply_mentions(self, message: Message, channel: Channel) -> None:
        """Who the message pings (see ``mentions.apply_mentions``)."""
        guild = self.guild_of(channel)
        apply_mentions(
            message,
            message.allowed_mentions or default_allowed_mentions(message),
            members=guild.members if guild is not None else dict.fromkeys(channel.recipient_ids),
            roles=None if guild is None else guild.roles,
            may_mention_everyone=self.can(channel, message.author.id, Permission.MENTION_EVERYONE),
        )

    def _announce_message(self, name: str, message: Message, channel: Channel) -> None:
        def render(app: Application, intents: int) -> Mapping[str, Any]:
            return payloads.message_payload(
                message,
                state=self,
                viewer=app.bot_user,
                redact_content=not self._may_read_content(app, intents, message),
            )

        intent = (
            GatewayIntent.DIRECT_MESSAGES
            if channel.guild_id is None
            else GatewayIntent.GUILD_MESSAGES
        )
        self._emit(
            name, self.message_audience(channel), render, intent=intent, guild_id=channel.guild_id
        )

    @staticmethod
    def _may_read_content(app: Application, intents: int, message: Message) -> bool:
        """Discord's MESSAGE_CONTENT rule: without the intent, only DMs, own messages, mentions."""
        return bool(
            intents & GatewayIntent.MESSAGE_CONTENT
            or message.guild_id is None
            or message.author.id == app.bot_user.id
            or app.bot_user.id in message.mention_user_ids
        )

    def edit_message(self, message: Message, draft: MessageDraft) -> Message:
        """Apply the fields the edit carried and announce it (MESSAGE_UPDATE).

        An edit that would leave the message with nothing to show is refused (50006), as is
        content or an embed on a message with IS_COMPONENTS_V2 (50035), which an edit may add.
        A draft carries a poll only when a followup fills a deferral. New content's mentions
        are read with the edit's own ``allowed_mentions`` or the default, never the original
        request's, and notify nobody (``Message.notified_user_ids`` keeps the send's).
        """
        channel = self.channels[message.channel_id]
        content = draft.content if "content" in draft.given else message.content
        embeds = list(draft.embeds) if "embeds" in draft.given else message.embeds
        components = list(draft.components) if "components" in draft.given else message.components
        replacing_files = "attachments" in draft.given
        attachments = message.attachments
        if replacing_files:
            kept_ids = set(draft.kept_attachment_ids or [])
            attachments = [a for a in message.attachments if a.id in kept_ids]
        new_files = draft.uploads if replacing_files else []
        poll = (
            message.poll if draft.poll is None else _poll_from_draft(draft.poll, message.created_at)
        )
        if not (content or embeds or components or attachments or new_files or poll):
            raise DiscordHTTPError(
                400, JSONErrorCode.CANNOT_SEND_EMPTY_MESSAGE, "Cannot send an empty message"
            )
        flags = message.flags
        if "flags" in draft.given:
            kept = flags & (MessageFlag.EPHEMERAL | MessageFlag.IS_COMPONENTS_V2)
            flags = kept | (draft.flags & EDITABLE_MESSAGE_FLAGS)
        if flags & MessageFlag.IS_COMPONENTS_V2:
            errors = FormErrors()
            check_components_v2_fields(errors, content, embeds)
            errors.raise_if_any()
        if new_files:
            attachments = attachments + self._store_uploads(channel, draft)
        message.content, message.embeds, message.components = content, embeds, components
        message.attachments = attachments
        message.poll = poll
        message.flags = flags & ~int(MessageFlag.LOADING)
        message.edited_at = now()
        message.edit_count += 1
        if "content" in draft.given:
            message.allowed_mentions = draft.allowed_mentions
            self._apply_mentions(message, channel)
        if not message.ephemeral:
            self._announce_message("MESSAGE_UPDATE", message, channel)
        self._schedule_poll_end(message)
        self._changed()
        return message

    def delete_message(self, message: Message) -> None:
        """Delete a message and announce it (MESSAGE_DELETE); a poll on it never ends."""
        message.deleted = True
        self._cancel_poll_timer(message.id)
        channel = self.channels[message.channel_id]
        if not message.ephemeral:
            event: dict[str, str] = {"id": str(message.id), "channel_id": str(channel.id)}
            if channel.guild_id is not None:
                event["guild_id"] = str(channel.guild_id)
            intent = (
                GatewayIntent.DIRECT_MESSAGES
                if channel.guild_id is None
                else GatewayIntent.GUILD_MESSAGES
            )
            self._emit(
                "MESSAGE_DELETE",
                self.message_audience(channel),
                lambda _app, _intents: event,
                intent=intent,
                guild_id=channel.guild_id,
            )
        self._changed()

    def bulk_delete(self, channel: Channel, messages: Sequence[Message]) -> None:
        """Delete several messages of a channel at once (one MESSAGE_DELETE_BULK)."""
        for message in messages:
            message.deleted = True
        self._emit(
            "MESSAGE_DELETE_BULK",
            self.message_audience(channel),
            lambda _app, _intents: bulk_delete_payload(
                channel, [message.id for message in messages]
            ),
            intent=GatewayIntent.GUILD_MESSAGES,
            guild_id=channel.guild_id,
        )
        self._changed()

    def start_typing(self, channel: Channel, user: User) -> None:
        """Announce that a user started typing (TYPING_START)."""
        event: dict[str, Any] = {
            "channel_id": str(channel.id),
            "user_id": str(user.id),
            "timestamp": int(time.time()),
        }
        guild = self.guild_of(channel)
        if guild is not None:
            event["guild_id"] = str(guild.id)
            event["member"] = payloads.member_with_user_payload(guild.members[user.id])
        intent = (
            GatewayIntent.DIRECT_MESSAGE_TYPING
            if guild is None
            else GatewayIntent.GUILD_MESSAGE_TYPING
        )
        recipients = [app for app in self.message_audience(channel) if app.bot_user.id != user.id]
        self._emit(
            "TYPING_START",
            recipients,
            lambda _app, _intents: event,
            intent=intent,
            guild_id=channel.guild_id,
        )

    def end_poll(self, message: Message) -> Message:
        """End a poll now: its results are final (MESSAGE_UPDATE) and Discord posts the
        POLL_RESULT message under it; returns that result message."""
        poll = message.poll
        if poll is None:
            raise DiscordHTTPError(
                400,
                JSONErrorCode.CANNOT_EXPIRE_NON_POLL_MESSAGE,
                "Cannot expire a non-poll message",
            )
        if poll.finalized:
            raise DiscordHTTPError(400, JSONErrorCode.POLL_EXPIRED, "Poll expired")
        self._cancel_poll_timer(message.id)
        poll.finalized = True
        channel = self.channels[message.channel_id]
        if not message.ephemeral:
            self._announce_message("MESSAGE_UPDATE", message, channel)
        result = MessageDraft(
            given=frozenset(),
            embeds=[payloads.poll_result_embed(poll)],
            reply_to_message_id=message.id,
        )
        return self.post_message(
            channel, message.author, result, message_type=MessageType.POLL_RESULT
        )

    def _schedule_poll_end(self, message: Message) -> None:
        """Start the timer that ends a newly sent poll at its expiry (once per poll)."""
        poll = message.poll
        if poll is None or poll.finalized or message.id in self._poll_timers:
            return
        loop = asyncio.get_running_loop()
        hours = (poll.expiry - message.created_at).total_seconds() / 3600
        self._poll_timers[message.id] = loop.call_later(
            max(hours, 0.0) * self.poll_hour, self._expire_poll, message
        )

    def _expire_poll(self, message: Message) -> None:
        self._poll_timers.pop(message.id, None)
        if message.poll is not None and not message.poll.finalized and not message.deleted:
            self.end_poll(message)

    def _cancel_poll_timer(self, message_id: int) -> None:
        timer = self._poll_timers.pop(message_id, None)
        if timer is not None:
            timer.cancel()

    def close(self) -> None:
        """Stop every poll timer: a stopped sandbox ends no more polls."""
        for message_id in list(self._poll_timers):
            self._cancel_poll_timer(message_id)


class MessageRoutes(RouteHelpers):
    """The messages routes of the HTTP API."""

    _state: MessagesState

    async def create_dm(self, request: web.Request) -> web.Response:
        """``POST /users/@me/channels``: open (or find) the DM channel with a user."""
        app = self._authenticate(request)
        body = parse_json_body(await request.read())
        try:
            recipient = self._state.users[int(body["recipient_id"])]
        except (KeyError, TypeError, ValueError):
            raise unknown(JSONErrorCode.UNKNOWN_USER, "User") from None
        channel = self._state.dm_channel(app.bot_user, recipient)
        return json_response(self._channel_payload(channel, app))

    async def get_channel(self, request: web.Request) -> web.Response:
        """``GET /channels/{id}``."""
        app = self._authenticate(request)
        return json_response(self._channel_payload(self._channel_for(request, app), app))

    async def list_messages(self, request: web.Request) -> web.Response:
        """``GET /channels/{id}/messages``: newest first, with before/after/around and limit."""
        app = self._authenticate(request)
        channel = self._channel_for(request, app)
        if not self._state.can(channel, app.bot_user.id, Permission.READ_MESSAGE_HISTORY):
            return json_response([])
        limit = query_int(request, "limit", 50, low=1, high=100)
        history = [m for m in self._state.messages_in(channel) if not m.ephemeral]
        if "before" in request.query:
            before = query_int(request, "before", 0)
            history = [m for m in history if m.id < before]
            selected = history[-limit:]
        elif "after" in request.query:
            after = query_int(request, "after", 0)
            history = [m for m in history if m.id > after]
            selected = history[:limit]
        elif "around" in request.query:
            around = query_int(request, "around", 0)
            older = [m for m in history if m.id <= around][-(limit // 2 + limit % 2) :]
            newer = [m for m in history if m.id > around][: limit // 2]
            selected = older + newer
        else:
            selected = history[-limit:]
        newest_first = sorted(selected, key=lambda m: m.id, reverse=True)
        return json_response([self._message_payload(m, app) for m in newest_first])

    async def create_message(self, request: web.Request) -> web.Response:
        """``POST /channels/{id}/messages``: JSON or multipart with files."""
        app = self._authenticate(request)
        channel = self._channel_for(request, app)
        body, uploads = await read_message_body(request)
        draft = parse_message(body, uploads)
        if not self._state.can(channel, app.bot_user.id, Permission.SEND_MESSAGES):
            raise missing_permissions()
        if uploads and not self._state.can(channel, app.bot_user.id, Permission.ATTACH_FILES):
            raise missing_permissions()
        if draft.poll and not self._state.can(channel, app.bot_user.id, Permission.SEND_POLLS):
            raise missing_permissions()
        if channel.type is ChannelType.DM:
            self._check_dm_allowed(app, channel)
        if body.get("enforce_nonce") and draft.nonce is not None:
            earlier = self._state.message_with_nonce(channel, app.bot_user, draft.nonce)
            if earlier is not None:
                return json_response(self._message_payload(earlier, app))
        message = self._state.post_message(channel, app.bot_user, draft)
        return json_response(self._message_payload(message, app))

    def _check_dm_allowed(self, app: Application, channel: Channel) -> None:
        recipient_id = next(uid for uid in channel.recipient_ids if uid != app.bot_user.id)
        recipient = self._state.users[recipient_id]
        shares_guild = any(recipient_id in guild.members for guild in self._state.guilds_of(app))
        if recipient.bot or not recipient.accepts_dms or not shares_guild:
            raise DiscordHTTPError(
                403, JSONErrorCode.CANNOT_SEND_TO_USER, "Cannot send messages to this user"
            )

    async def get_message(self, request: web.Request) -> web.Response:
        """``GET /channels/{id}/messages/{id}``."""
        app = self._authenticate(request)
        channel = self._channel_for(request, app)
        if not self._state.can(channel, app.bot_user.id, Permission.READ_MESSAGE_HISTORY):
            raise missing_access()
        return json_response(self._message_payload(self._message_in(request, channel), app))

    async def edit_message(self, request: web.Request) -> web.Response:
        """``PATCH /channels/{id}/messages/{id}``: only the author may change content."""
        app = self._authenticate(request)
        channel = self._channel_for(request, app)
        message = self._message_in(request, channel)
        body, uploads = await read_message_body(request)
        draft = parse_message(body, uploads, editing=True)
        if message.author.id != app.bot_user.id:
            raise DiscordHTTPError(
                403,
                JSONErrorCode.CANNOT_EDIT_OTHERS_MESSAGE,
                "Cannot edit a message authored by another user",
            )
        self._state.edit_message(message, draft)
        return json_response(self._message_payload(message, app))

    async def delete_message(self, request: web.Request) -> web.Response:
        """``DELETE /channels/{id}/messages/{id}``: own messages, or with MANAGE_MESSAGES."""
        app = self._authenticate(request)
        channel = self._channel_for(request, app)
        message = self._message_in(request, channel)
        if message.author.id != app.bot_user.id and not self._state.can(
            channel, app.bot_user.id, Permission.MANAGE_MESSAGES
        ):
            raise missing_permissions()
        self._state.delete_message(message)
        return no_content()

    async def bulk_delete_messages(self, request: web.Request) -> web.Response:
        """``POST /channels/{id}/messages/bulk-delete``: 2 to 100 ids, none older than 14 days.

        Ids of messages that do not exist (or are elsewhere) are skipped, as Discord does.
        """
        app = self._authenticate(request)
        channel = self._channel_for(request, app)
        guild = guild_channel_only(self._state.guild_of(channel))
        body = parse_json_body(await request.read())
        raw_ids = body.get("messages") if isinstance(body, dict) else None
        errors = FormErrors()
        if not isinstance(raw_ids, list) or not all(str(item).isdigit() for item in raw_ids):
            errors.add(("messages",), "BASE_TYPE_ARRAY", "Must be an array of snowflakes.")
            errors.raise_now()
        message_ids = list(dict.fromkeys(int(item) for item in raw_ids))
        if not BULK_DELETE_MIN <= len(raw_ids) <= BULK_DELETE_MAX:
            errors.add(
                ("messages",),
                "BASE_TYPE_BAD_LENGTH",
                f"Must be between {BULK_DELETE_MIN} and {BULK_DELETE_MAX} in length.",
            )
            errors.raise_now()
        if not guild.permissions_in(channel, app.bot_user.id) & Permission.MANAGE_MESSAGES:
            raise missing_permissions()
        oldest_allowed = datetime.datetime.now(datetime.UTC) - BULK_DELETE_MAX_AGE
        if any(snowflake_time(message_id) < oldest_allowed for message_id in message_ids):
            raise DiscordHTTPError(
                400,
                JSONErrorCode.BULK_DELETE_TOO_OLD,
                "You can only bulk delete messages that are under 14 days old.",
            )
        found = [
            message
            for message_id in message_ids
            if (message := self._state.messages.get(message_id)) is not None
            and message.channel_id == channel.id
            and not message.deleted
            and not message.ephemeral
        ]
        if found:
            self._state.bulk_delete(channel, found)
        return no_content()

    async def trigger_typing(self, request: web.Request) -> web.Response:
        """``POST /channels/{id}/typing``."""
        app = self._authenticate(request)
        channel = self._channel_for(request, app)
        if not self._state.can(channel, app.bot_user.id, Permission.SEND_MESSAGES):
            raise missing_permissions()
        self._state.start_typing(channel, app.bot_user)
        return no_content()

    async def download_attachment(self, request: web.Request) -> web.Response:
        """The "CDN": serves back the bytes of an uploaded attachment."""
        attachment = self._state.attachments.get(path_snowflake(request, "attachment_id"))
        if attachment is None:
            raise DiscordHTTPError(404, JSONErrorCode.GENERAL, "404: Not Found")
        return web.Response(body=attachment.data, content_type=attachment.content_type)
