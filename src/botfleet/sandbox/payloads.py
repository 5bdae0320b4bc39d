"""The JSON the sandbox sends, built from its models in the exact shapes discord.py parses.

Every builder is annotated with discord.py's own TypedDict for that payload
(``discord.types``), so ``mypy --strict`` checks each key and value type against the shapes the
client is written for. Where discord.py reads a key its TypedDict does not declare (an
interaction's ``member``, ``user`` and ``message``), the builder says so and adds it explicitly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, cast

from botfleet.sandbox.flags import ChannelType, GatewayIntent, InteractionType
from botfleet.sandbox.models import (
    Application,
    Attachment,
    Channel,
    Guild,
    Interaction,
    Member,
    Message,
    PermissionOverwrite,
    Poll,
    Role,
    User,
)
from botfleet.sandbox.models import VoiceState as VoiceStateModel
from botfleet.sandbox.snowflakes import iso_timestamp

if TYPE_CHECKING:
    from discord.types.channel import CategoryChannel as CategoryChannelPayload
    from discord.types.channel import DMChannel as DMChannelPayload
    from discord.types.channel import GuildChannel as GuildChannelPayload
    from discord.types.channel import PermissionOverwrite as PermissionOverwritePayload
    from discord.types.channel import TextChannel as TextChannelPayload
    from discord.types.components import ComponentBase
    from discord.types.embed import Embed as EmbedPayload
    from discord.types.embed import EmbedField as EmbedFieldPayload
    from discord.types.emoji import PartialEmoji as PartialEmojiPayload
    from discord.types.gateway import VoiceServerUpdateEvent as VoiceServerUpdatePayload
    from discord.types.gateway import _GuildRoleEvent as GuildRoleEventPayload
    from discord.types.guild import Guild as GuildPayload
    from discord.types.interactions import MessageInteraction as MessageInteractionPayload
    from discord.types.interactions import (
        MessageInteractionMetadata as MessageInteractionMetadataPayload,
    )
    from discord.types.interactions import (
        _MessageInteractionMetadata as BaseInteractionMetadataPayload,
    )
    from discord.types.member import Member as MemberPayload
    from discord.types.member import MemberWithUser as MemberWithUserPayload
    from discord.types.member import UserWithMember as UserWithMemberPayload
    from discord.types.member import _OptionalMemberWithUser as PartialMemberPayload
    from discord.types.message import Attachment as AttachmentPayload
    from discord.types.message import Message as MessagePayload
    from discord.types.message import MessageType as MessageTypePayload
    from discord.types.message import Reaction as ReactionPayload
    from discord.types.poll import Poll as PollPayload
    from discord.types.poll import PollAnswerCount as PollAnswerCountPayload
    from discord.types.poll import PollAnswerWithID as PollAnswerPayload
    from discord.types.role import Role as RolePayload
    from discord.types.user import User as UserPayload
    from discord.types.voice import GuildVoiceState as GuildVoiceStatePayload
    from discord.types.voice import VoiceState as VoiceStatePayload

    from botfleet.sandbox.resources.world import WorldState

ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024
"""Bytes a bot may upload per message in a guild without boosts."""


def snowflake(value: int) -> str:
    """Discord sends every id as a string."""
    return str(value)


def user_payload(user: User) -> UserPayload:
    """A user object."""
    return _user_with_member_payload(user, None)


def _user_with_member_payload(user: User, member: Member | None) -> UserWithMemberPayload:
    """A user object, carrying their member object (without the user) where one is given."""
    payload: UserWithMemberPayload = {
        "id": snowflake(user.id),
        "username": user.username,
        "discriminator": "0",
        "avatar": user.avatar,
        "global_name": user.global_name,
        "public_flags": 0,
    }
    if user.bot:
        payload["bot"] = True
    if member is not None:
        payload["member"] = partial_member_payload(member)
    return payload


def role_payload(role: Role) -> RolePayload:
    """A role object; a bot's managed role carries ``tags.bot_id``."""
    payload: RolePayload = {
        "id": snowflake(role.id),
        "name": role.name,
        "color": role.color,
        "colors": {"primary_color": role.color, "secondary_color": None, "tertiary_color": None},
        "hoist": role.hoist,
        "position": role.position,
        "permissions": str(role.permissions),
        "managed": role.bot_id is not None,
        "mentionable": role.mentionable,
        "flags": 0,
        "icon": None,
        "unicode_emoji": None,
    }
    if role.bot_id is not None:
        payload["tags"] = {"bot_id": snowflake(role.bot_id)}
    return payload


def partial_member_payload(member: Member) -> PartialMemberPayload:
    """A member object without its user, as messages and mentions embed it; the other member
    shapes add to it."""
    payload: PartialMemberPayload = {
        "roles": [snowflake(role_id) for role_id in member.role_ids],
        "joined_at": iso_timestamp(member.joined_at),
        "deaf": member.deaf,
        "mute": member.mute,
        "flags": 0,
        "premium_since": None,
        "pending": False,
    }
    if member.nick is not None:
        payload["nick"] = member.nick
    if member.communication_disabled_until is not None:
        payload["communication_disabled_until"] = iso_timestamp(member.communication_disabled_until)
    return payload


def member_payload(member: Member, *, permissions: int | None = None) -> MemberPayload:
    """A guild member object with its user; ``permissions`` is set inside interactions."""
    payload = _typed_member_payload(member)
    payload["user"] = user_payload(member.user)
    if permissions is not None:
        payload["permissions"] = str(permissions)
    return payload


def _typed_member_payload(member: Member) -> MemberPayload:
    """The member object without its user, as discord.py's ``Member`` shape: it declares every
    key of the partial shape with the same type, and ``user`` and ``banner`` besides."""
    return cast("MemberPayload", partial_member_payload(member))


def member_with_user_payload(member: Member) -> MemberWithUserPayload:
    """A member object whose ``user`` is guaranteed, as member events carry it."""
    return {**partial_member_payload(member), "user": user_payload(member.user)}


def guild_channel_payload(channel: Channel) -> GuildChannelPayload:
    """A guild channel object of the channel's type."""
    if channel.guild_id is None:
        raise ValueError(f"channel {channel.id} is not a guild channel")
    guild_id = snowflake(channel.guild_id)
    parent_id = None if channel.parent_id is None else snowflake(channel.parent_id)
    last_message_id = (
        None if channel.last_message_id is None else snowflake(channel.last_message_id)
    )
    overwrites = [overwrite_payload(overwrite) for overwrite in channel.overwrites.values()]
    if channel.type is ChannelType.GUILD_CATEGORY:
        category: CategoryChannelPayload = {
            "id": snowflake(channel.id),
            "type": 4,
            "guild_id": guild_id,
            "name": channel.name,
            "position": channel.position,
            "permission_overwrites": overwrites,
            "nsfw": channel.nsfw,
            "parent_id": None,
        }
        return category
    text: TextChannelPayload = {
        "id": snowflake(channel.id),
        "type": 0,
        "guild_id": guild_id,
        "name": channel.name,
        "position": channel.position,
        "permission_overwrites": overwrites,
        "nsfw": channel.nsfw,
        "parent_id": parent_id,
        "last_message_id": last_message_id,
        "rate_limit_per_user": channel.rate_limit_per_user,
    }
    if channel.type is ChannelType.GUILD_VOICE:
        return {
            **text,
            "type": 2,
            "bitrate": channel.bitrate,
            "user_limit": channel.user_limit,
            "rtc_region": None,
            "video_quality_mode": 1,  # "auto", what Discord means when it sends none
        }
    if channel.topic is not None:
        text["topic"] = channel.topic
    return text


def overwrite_payload(overwrite: PermissionOverwrite) -> PermissionOverwritePayload:
    """A channel permission overwrite."""
    return {
        "id": snowflake(overwrite.id),
        "type": cast("Literal[0, 1]", int(overwrite.type)),
        "allow": str(overwrite.allow),
        "deny": str(overwrite.deny),
    }


def dm_channel_payload(channel: Channel, *, viewer: User, state: WorldState) -> DMChannelPayload:
    """A DM channel object as ``viewer`` sees it: the recipient is the other user."""
    others = [state.users[user_id] for user_id in channel.recipient_ids if user_id != viewer.id]
    return {
        "id": snowflake(channel.id),
        "type": 1,
        "name": "",
        "last_message_id": None
        if channel.last_message_id is None
        else snowflake(channel.last_message_id),
        "recipients": [user_payload(user) for user in others or [viewer]],
    }


def guild_payload(guild: Guild, *, for_app: Application, intents: int) -> GuildPayload:
    """A full guild object (GUILD_CREATE) as the given bot sees it.

    Without the GUILD_MEMBERS intent Discord sends only the bot's own member, as it does for a
    guild larger than the threshold; with it the sandbox sends every member, so discord.py
    considers the guild chunked and never needs a member request at start-up.
    """
    if intents & GatewayIntent.GUILD_MEMBERS:
        members = list(guild.members.values())
    else:
        members = [
            guild.members[user_id] for user_id in (for_app.bot_user.id,) if user_id in guild.members
        ]
    bot_member = guild.members.get(for_app.bot_user.id)
    text_channels = [c for c in guild.channels.values() if c.type is ChannelType.GUILD_TEXT]
    return {
        "id": snowflake(guild.id),
        "name": guild.name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "emojis": [],
        "stickers": [],
        "features": [],
        "description": None,
        "incidents_data": None,
        "owner_id": snowflake(guild.owner_id),
        "region": "",
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": guild.verification_level,  # type: ignore[typeddict-item]  # 0-4
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "roles": [role_payload(role) for role in guild.roles.values()],
        "mfa_level": 0,
        "nsfw_level": 0,
        "application_id": None,
        "system_channel_id": snowflake(text_channels[0].id) if text_channels else None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "vanity_url_code": None,
        "banner": None,
        "premium_tier": 0,
        "preferred_locale": guild.locale,
        "public_updates_channel_id": None,
        "stage_instances": [],
        "guild_scheduled_events": [],
        "unavailable": False,
        "joined_at": iso_timestamp(bot_member.joined_at) if bot_member else None,
        "large": False,
        "member_count": len(guild.members),
        "voice_states": [
            _guild_voice_state_payload(state) for state in guild.voice_states.values()
        ],
        "members": [member_payload(member) for member in members],
        "channels": [guild_channel_payload(channel) for channel in guild.channels.values()],
        "threads": [],
        "presences": [],
        "max_members": 500_000,
        "premium_subscription_count": 0,
        "max_video_channel_users": 25,
        "soundboard_sounds": [],
    }


def _guild_voice_state_payload(voice: VoiceStateModel) -> GuildVoiceStatePayload:
    return {
        "user_id": snowflake(voice.user_id),
        "channel_id": snowflake(voice.channel_id),
        "session_id": voice.session_id,
        "deaf": False,
        "mute": False,
        "self_deaf": voice.self_deaf,
        "self_mute": voice.self_mute,
        "self_video": False,
        "suppress": False,
    }


def voice_state_payload(
    guild: Guild, member: Member, voice: VoiceStateModel | None, *, session_id: str
) -> VoiceStatePayload:
    """A VOICE_STATE_UPDATE: where the member now is (``voice`` is ``None`` once they left)."""
    return {
        "guild_id": snowflake(guild.id),
        "channel_id": None if voice is None else snowflake(voice.channel_id),
        "user_id": snowflake(member.user.id),
        "member": member_with_user_payload(member),
        "session_id": voice.session_id if voice is not None else session_id,
        "deaf": member.deaf,
        "mute": member.mute,
        "self_deaf": voice.self_deaf if voice is not None else False,
        "self_mute": voice.self_mute if voice is not None else False,
        "self_video": False,
        "self_stream": False,
        "suppress": False,
    }


def voice_server_payload(guild: Guild, *, token: str, endpoint: str) -> VoiceServerUpdatePayload:
    """A VOICE_SERVER_UPDATE telling a bot which voice server to connect to."""
    return {"token": token, "guild_id": snowflake(guild.id), "endpoint": endpoint}


def role_event_payload(guild: Guild, role: Role) -> GuildRoleEventPayload:
    """GUILD_ROLE_CREATE and GUILD_ROLE_UPDATE."""
    return {"guild_id": snowflake(guild.id), "role": role_payload(role)}


def poll_payload(poll: Poll, viewer: User | None) -> PollPayload:
    """A message's poll as ``viewer`` sees it (``me_voted``).

    ``answer_counts`` lists only answers with votes, as Discord documents: a missing answer
    has none.
    """
    answers: list[PollAnswerPayload] = []
    for answer in poll.answers:
        entry: PollAnswerPayload = {
            "answer_id": answer.answer_id,
            "poll_media": {"text": answer.text},
        }
        if answer.emoji is not None:
            entry["poll_media"]["emoji"] = cast("PartialEmojiPayload", answer.emoji)
        answers.append(entry)
    counts: list[PollAnswerCountPayload] = [
        {
            "id": snowflake(answer.answer_id),
            "count": len(answer.voter_ids),
            "me_voted": viewer is not None and viewer.id in answer.voter_ids,
        }
        for answer in poll.answers
        if answer.voter_ids
    ]
    return {
        "question": {"text": poll.question},
        "answers": answers,
        "expiry": iso_timestamp(poll.expiry),
        "allow_multiselect": poll.allow_multiselect,
        "layout_type": 1,
        "results": {"is_finalized": poll.finalized, "answer_counts": counts},
    }


def poll_result_embed(poll: Poll) -> EmbedPayload:
    """The ``poll_result`` embed of Discord's POLL_RESULT message: every value a string; the
    top count always, the winner's id, text and emoji only when one answer leads alone."""

    def field(name: str, value: str) -> EmbedFieldPayload:
        return {"name": name, "value": value, "inline": False}

    top = max((len(answer.voter_ids) for answer in poll.answers), default=0)
    fields = [
        field("poll_question_text", poll.question),
        field("victor_answer_votes", str(top)),
        field("total_votes", str(poll.total_votes)),
    ]
    winner = poll.winner()
    if winner is not None:
        fields += [
            field("victor_answer_id", str(winner.answer_id)),
            field("victor_answer_text", winner.text),
        ]
        emoji = winner.emoji or {}
        if emoji.get("id"):
            fields.append(field("victor_answer_emoji_id", str(emoji["id"])))
        if emoji.get("name"):
            fields.append(field("victor_answer_emoji_name", str(emoji["name"])))
    return {"type": "poll_result", "fields": fields}


def attachment_payload(attachment: Attachment) -> AttachmentPayload:
    """An attachment object pointing at the sandbox's copy of the file."""
    payload: AttachmentPayload = {
        "id": snowflake(attachment.id),
        "filename": attachment.filename,
        "size": attachment.size,
        "url": attachment.url,
        "proxy_url": attachment.url,
        "content_type": attachment.content_type,
    }
    if attachment.description is not None:
        payload["description"] = attachment.description
    return payload


def emoji_payload(name: str, emoji_id: int | None) -> PartialEmojiPayload:
    return {"id": None if emoji_id is None else snowflake(emoji_id), "name": name}


def message_payload(
    message: Message, *, state: WorldState, viewer: User | None, redact_content: bool = False
) -> MessagePayload:
    """A message object as ``viewer`` sees it.

    ``redact_content`` empties content, embeds, attachments and components, as Discord does
    for a bot without the MESSAGE_CONTENT intent reading someone else's message.
    """
    guild = state.guilds.get(message.guild_id) if message.guild_id is not None else None
    payload: MessagePayload = {
        "id": snowflake(message.id),
        "channel_id": snowflake(message.channel_id),
        "author": user_payload(message.author),
        "content": "" if redact_content else message.content,
        "timestamp": iso_timestamp(message.created_at),
        "edited_timestamp": None if message.edited_at is None else iso_timestamp(message.edited_at),
        "tts": message.tts,
        "mention_everyone": message.mention_everyone,
        "mentions": [
            _user_with_member_payload(
                state.users[user_id], guild.members.get(user_id) if guild is not None else None
            )
            for user_id in message.mention_user_ids
            if user_id in state.users
        ],
        "mention_roles": [snowflake(role_id) for role_id in message.mention_role_ids],
        "attachments": []
        if redact_content
        else [attachment_payload(attachment) for attachment in message.attachments],
        "embeds": [] if redact_content else list(message.embeds),
        "pinned": message.pinned,
        "type": cast("MessageTypePayload", int(message.type)),
        "flags": message.flags,
        "components": []
        if redact_content
        else cast("list[ComponentBase]", list(message.components)),
    }
    if guild is not None:
        payload["guild_id"] = snowflake(guild.id)
        author_member = guild.members.get(message.author.id)
        if author_member is not None and message.webhook_id is None:
            payload["member"] = _typed_member_payload(author_member)
    if message.nonce is not None:
        payload["nonce"] = message.nonce
    if message.webhook_id is not None:
        payload["webhook_id"] = snowflake(message.webhook_id)
    if message.application_id is not None:
        payload["application_id"] = snowflake(message.application_id)
    if message.poll is not None and not redact_content:
        payload["poll"] = poll_payload(message.poll, viewer)
    if message.reactions:
        payload["reactions"] = [
            _reaction_payload(reaction.emoji_name, reaction.emoji_id, reaction.user_ids, viewer)
            for reaction in message.reactions
        ]
    if message.referenced_message_id is not None:
        payload["message_reference"] = {
            "type": 0,
            "message_id": snowflake(message.referenced_message_id),
            "channel_id": snowflake(message.channel_id),
        }
        if message.guild_id is not None:
            payload["message_reference"]["guild_id"] = snowflake(message.guild_id)
        referenced = state.messages.get(message.referenced_message_id)
        payload["referenced_message"] = (
            None
            if referenced is None or referenced.deleted
            else message_payload(
                referenced, state=state, viewer=viewer, redact_content=redact_content
            )
        )
    interaction = state.interactions.get(message.interaction_id) if message.interaction_id else None
    if interaction is not None:
        payload["interaction_metadata"] = interaction_metadata_payload(
            interaction, state=state, message=message
        )
        if interaction.type is InteractionType.APPLICATION_COMMAND:
            payload["interaction"] = _message_interaction_payload(interaction, guild)
    return payload


def _reaction_payload(
    name: str, emoji_id: int | None, user_ids: list[int], viewer: User | None
) -> ReactionPayload:
    return {
        "count": len(user_ids),
        "me": viewer is not None and viewer.id in user_ids,
        "emoji": emoji_payload(name, emoji_id),
        "me_burst": False,
        "count_details": {"burst": 0, "normal": len(user_ids)},
        "burst_colors": [],
    }


def integration_owners(interaction: Interaction) -> dict[Literal["0", "1"], str | int]:
    return {"0": snowflake(interaction.guild_id) if interaction.guild_id is not None else "0"}


def interaction_metadata_payload(
    interaction: Interaction, *, state: WorldState, message: Message | None
) -> MessageInteractionMetadataPayload:
    """The ``interaction_metadata`` of a message that answers an interaction."""
    base: BaseInteractionMetadataPayload = {
        "id": snowflake(interaction.id),
        "user": user_payload(interaction.user),
        "authorizing_integration_owners": integration_owners(interaction),
    }
    original_id = interaction.original_message_id
    if original_id is not None and message is not None and message.id != original_id:
        base["original_response_message_id"] = snowflake(original_id)
    if interaction.type is InteractionType.MESSAGE_COMPONENT:
        return {
            **base,
            "type": 3,
            "interacted_message_id": snowflake(interaction.source_message_id or 0),
        }
    if interaction.type is InteractionType.MODAL_SUBMIT:
        trigger = state.interactions.get(interaction.triggering_interaction_id or 0)
        if trigger is None or trigger.type is InteractionType.MODAL_SUBMIT:
            raise ValueError(f"modal interaction {interaction.id} has no triggering interaction")
        trigger_metadata = interaction_metadata_payload(trigger, state=state, message=None)
        if trigger_metadata["type"] == 5:
            raise ValueError("a modal cannot be opened by another modal")
        return {**base, "type": 5, "triggering_interaction_metadata": trigger_metadata}
    return {**base, "type": 2}


def _message_interaction_payload(
    interaction: Interaction, guild: Guild | None
) -> MessageInteractionPayload:
    payload: MessageInteractionPayload = {
        "id": snowflake(interaction.id),
        "type": 2,
        "name": interaction.command_name or "",
        "user": user_payload(interaction.user),
    }
    member = guild.members.get(interaction.user.id) if guild is not None else None
    if member is not None:
        payload["member"] = _typed_member_payload(member)
    return payload
