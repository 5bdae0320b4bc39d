"""Who is connected to which voice channel, and the voice events a bot's voice client waits for."""

from __future__ import annotations

import secrets

from botfleet.sandbox import payloads
from botfleet.sandbox.flags import ChannelType, GatewayIntent, Permission
from botfleet.sandbox.models import Application, Channel, Guild, Member, User, VoiceState
from botfleet.sandbox.resources.guilds import GuildsState


class VoiceStatesState(GuildsState):
    """Voice states and voice server announcements."""

    def voice_refusal(self, guild: Guild, user: User, channel: Channel) -> str | None:
        """Why Discord would not let ``user`` into the voice channel, or ``None`` if it would."""
        if channel.guild_id != guild.id or channel.type is not ChannelType.GUILD_VOICE:
            return f"{channel.name or channel.id} is not a voice channel of {guild.name}"
        permissions = guild.permissions_in(channel, user.id)
        for needed in (Permission.VIEW_CHANNEL, Permission.CONNECT):
            if not permissions & needed:
                return f"{user.username} lacks {needed.name} in {channel.name}"
        inside = sum(
            1
            for voice in guild.voice_states.values()
            if voice.channel_id == channel.id and voice.user_id != user.id
        )
        full = bool(channel.user_limit) and inside >= channel.user_limit
        if full and not permissions & Permission.MOVE_MEMBERS:
            return f"{channel.name} is full ({channel.user_limit} members)"
        return None

    def set_voice_state(
        self,
        guild: Guild,
        user: User,
        channel: Channel | None,
        *,
        session_id: str | None = None,
        self_mute: bool = False,
        self_deaf: bool = False,
    ) -> VoiceState | None:
        """Put a member in a voice channel, move them, or (``None``) disconnect them.

        Bots in the guild hear VOICE_STATE_UPDATE (with the GUILD_VOICE_STATES intent).
        """
        member = guild.members[user.id]
        previous = guild.voice_states.get(user.id)
        if channel is None:
            if previous is None:
                return None
            del guild.voice_states[user.id]
            self._announce_voice_state(guild, member, None, session_id=previous.session_id)
            self._changed()
            return None
        voice = VoiceState(
            user_id=user.id,
            channel_id=channel.id,
            session_id=session_id
            or (previous.session_id if previous is not None else secrets.token_hex(16)),
            self_mute=self_mute,
            self_deaf=self_deaf,
        )
        guild.voice_states[user.id] = voice
        self._announce_voice_state(guild, member, voice, session_id=voice.session_id)
        self._changed()
        return voice

    def _announce_voice_state(
        self, guild: Guild, member: Member, voice: VoiceState | None, *, session_id: str
    ) -> None:
        self._emit(
            "VOICE_STATE_UPDATE",
            self.bots_in(guild),
            lambda _app, _intents: payloads.voice_state_payload(
                guild, member, voice, session_id=session_id
            ),
            intent=GatewayIntent.GUILD_VOICE_STATES,
            guild_id=guild.id,
        )

    def announce_voice_server(self, app: Application, guild: Guild, *, endpoint: str) -> None:
        """Tell a bot which voice server to use (VOICE_SERVER_UPDATE, needing no intent)."""
        token = secrets.token_hex(8)
        self._emit(
            "VOICE_SERVER_UPDATE",
            (app,),
            lambda _app, _intents: payloads.voice_server_payload(
                guild, token=token, endpoint=endpoint
            ),
            intent=None,
            guild_id=guild.id,
        )
