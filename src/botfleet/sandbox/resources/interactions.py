"""Interactions: created by members, answered by bots through callbacks, followups and webhooks."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, cast

from aiohttp import web

from botfleet.sandbox import payloads
from botfleet.sandbox.command_validation import validate_autocomplete, validate_modal
from botfleet.sandbox.errors import (
    DiscordHTTPError,
    FormErrors,
    JSONErrorCode,
    unknown,
)
from botfleet.sandbox.flags import (
    InteractionCallbackType,
    InteractionType,
    MessageFlag,
    MessageType,
)
from botfleet.sandbox.models import (
    Application,
    ApplicationCommand,
    Channel,
    Interaction,
    Message,
    User,
)
from botfleet.sandbox.resources.commands import CommandsState
from botfleet.sandbox.resources.routing import (
    APP_KEY,
    RouteHelpers,
    json_response,
    no_content,
    path_snowflake,
    read_message_body,
)
from botfleet.sandbox.resources.world import WorldState
from botfleet.sandbox.validation import MessageDraft, Upload, parse_message

if TYPE_CHECKING:
    from discord.types.interactions import InteractionCallback as InteractionCallbackPayload
    from discord.types.interactions import (
        PartialInteractionGuild as PartialInteractionGuildPayload,
    )

log = logging.getLogger(__name__)
_BUTTON = 2
_STRING_SELECT = 3


def _focused_option_type(interaction: Interaction) -> int:
    """The type of the option an autocomplete interaction is about."""
    pending = list(interaction.data.get("options") or [])
    while pending:
        option = pending.pop()
        if option.get("focused"):
            return int(option["type"])
        pending.extend(option.get("options") or [])
    raise ValueError(f"autocomplete interaction {interaction.id} has no focused option")


def _values_fit(component: Mapping[str, Any], values: Any) -> bool:
    """Whether a select's chosen ``values`` are as many as it takes and, for a string select,
    among its options; a button carries none."""
    if component.get("type") == _BUTTON:
        return values is None
    if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
        return False
    low, high = int(component.get("min_values", 1)), int(component.get("max_values", 1))
    if len(set(values)) != len(values) or not low <= len(values) <= high:
        return False
    if component.get("type") == _STRING_SELECT:
        offered = {str(option.get("value")) for option in component.get("options") or []}
        return set(values) <= offered
    return True


def interaction_payload(interaction: Interaction, *, state: WorldState) -> dict[str, Any]:
    """The INTERACTION_CREATE payload discord.py builds an ``Interaction`` from.

    The typed part follows ``discord.types.interactions``; ``member`` (in a guild), ``user``
    (in a DM) and ``message`` (for components) are read by discord.py but absent from its
    TypedDict, so they are added to the plain dict afterwards.
    """
    app = interaction.application
    channel = interaction.channel
    guild = state.guilds.get(interaction.guild_id) if interaction.guild_id is not None else None
    app_permissions = state.channel_permissions(channel, app.bot_user.id)
    base: dict[str, Any] = {
        "id": payloads.snowflake(interaction.id),
        "application_id": payloads.snowflake(app.id),
        "type": int(interaction.type),
        "data": interaction.data,
        "token": interaction.token,
        "version": 1,
        "app_permissions": str(app_permissions),
        "locale": interaction.locale,
        "entitlements": [],
        "entitlement_sku_ids": [],
        "authorizing_integration_owners": payloads.integration_owners(interaction),
        "attachment_size_limit": payloads.ATTACHMENT_SIZE_LIMIT,
    }
    if guild is not None:
        member = guild.members[interaction.user.id]
        guild_info: PartialInteractionGuildPayload = {
            "id": payloads.snowflake(guild.id),
            "locale": guild.locale,
            "features": [],
        }
        base.update(
            guild_id=payloads.snowflake(guild.id),
            guild=guild_info,
            guild_locale=guild.locale,
            channel_id=payloads.snowflake(channel.id),
            channel=payloads.guild_channel_payload(channel),
            context=0,
            member=payloads.member_payload(
                member, permissions=state.channel_permissions(channel, member.user.id)
            ),
        )
    else:
        base.update(
            channel_id=payloads.snowflake(channel.id),
            channel=payloads.dm_channel_payload(channel, viewer=app.bot_user, state=state),
            context=1,
            user=payloads.user_payload(interaction.user),
        )
    source = state.messages.get(interaction.source_message_id or 0)
    if source is not None:
        base["message"] = payloads.message_payload(source, state=state, viewer=app.bot_user)
    return base


def interaction_callback_payload(
    interaction: Interaction, *, state: WorldState, message: Message | None
) -> InteractionCallbackPayload:
    """The answer to ``POST /interactions/{id}/{token}/callback?with_response=1``."""
    response_type = interaction.response_type
    if response_type is None:
        raise ValueError(f"interaction {interaction.id} has not been answered")
    payload: InteractionCallbackPayload = {
        "interaction": {
            "id": payloads.snowflake(interaction.id),
            "type": cast("Literal[1, 2, 3, 4, 5]", int(interaction.type)),
        }
    }
    if message is not None:
        payload["interaction"]["response_message_id"] = payloads.snowflake(message.id)
        payload["interaction"]["response_message_loading"] = message.loading
        payload["interaction"]["response_message_ephemeral"] = message.ephemeral
        if int(response_type) in (4, 7):
            payload["resource"] = {
                "type": cast("Literal[4, 7]", int(response_type)),
                "message": payloads.message_payload(
                    message, state=state, viewer=interaction.application.bot_user
                ),
            }
    return payload


class InteractionsState(CommandsState):
    """Interactions and their responses, deadlines and tokens."""

    def create_interaction(
        self,
        app: Application,
        user: User,
        channel: Channel,
        interaction_type: InteractionType,
        data: dict[str, Any],
        *,
        command: ApplicationCommand | None = None,
        command_name: str | None = None,
        source_message: Message | None = None,
        triggering: Interaction | None = None,
        locale: str = "en-US",
    ) -> Interaction:
        """Start an interaction and send it to its application (INTERACTION_CREATE)."""
        interaction = Interaction(
            id=self.snowflakes.next(),
            token=f"aW50ZXJhY3Rpb246{secrets.token_urlsafe(96)}",
            application=app,
            type=interaction_type,
            user=user,
            channel=channel,
            guild_id=channel.guild_id,
            data=data,
            created_monotonic=self._clock(),
            locale=locale,
            command_name=command_name,
            command_type=command.type if command is not None else None,
            source_message_id=source_message.id if source_message is not None else None,
            triggering_interaction_id=triggering.id if triggering is not None else None,
        )
        self.interactions[interaction.id] = interaction
        self._emit(
            "INTERACTION_CREATE",
            (app,),
            lambda _app, _intents: interaction_payload(interaction, state=self),
            intent=None,
            guild_id=channel.guild_id,
        )
        self._changed()
        return interaction

    def component_interaction(
        self, user: User, message: Message, data: dict[str, Any]
    ) -> Interaction:
        """Start a member's press or pick on ``message``, checked as Discord's API checks it.

        Whatever a client sends, Discord validates a component interaction against the message
        it names (since July 2021): the ``custom_id`` must be an enabled component of that
        message, of the ``component_type`` given, and a select's values among its options, as
        many as it takes. Anything else is refused with 50035 COMPONENT_VALIDATION_FAILED and
        never reaches the bot; a message the member cannot see is an Unknown Message.
        """
        if message.deleted or not self.can_see(user, message):
            raise unknown(JSONErrorCode.UNKNOWN_MESSAGE, "Message")
        app = self.application_of_user(message.author.id)
        component = message.find_component(str(data.get("custom_id")))
        if (
            app is None
            or component is None
            or component.get("disabled")
            or component.get("type") != data.get("component_type")
            or not _values_fit(component, data.get("values"))
        ):
            errors = FormErrors()
            errors.add(("data",), "COMPONENT_VALIDATION_FAILED", "Component validation failed")
            errors.raise_now()
        return self.create_interaction(
            app,
            user,
            self.channels[message.channel_id],
            InteractionType.MESSAGE_COMPONENT,
            data,
            source_message=message,
        )

    def redeliver_interaction(self, interaction: Interaction) -> None:
        """Send an interaction's INTERACTION_CREATE again, same id and token.

        The gateway delivers at least once (a replay after a resume, a client replaying what it
        captured); Discord still takes one answer per interaction and refuses a second with
        40060.
        """
        self._emit(
            "INTERACTION_CREATE",
            (interaction.application,),
            lambda _app, _intents: interaction_payload(interaction, state=self),
            intent=None,
            guild_id=interaction.guild_id,
        )
        self._changed()

    def interaction_age(self, interaction: Interaction) -> float:
        """Seconds since the interaction was created."""
        return self._clock() - interaction.created_monotonic

    def respond_to_interaction(
        self, interaction: Interaction, body: Mapping[str, Any], *, uploads: Sequence[Upload] = ()
    ) -> Message | None:
        """Apply an interaction callback; return the message it created or updated.

        Discord refuses a second acknowledgement with 40060 and a first answer after the
        3-second deadline with 10062 (the interaction no longer exists for it).
        """
        if interaction.acknowledged:
            raise DiscordHTTPError(
                400,
                JSONErrorCode.INTERACTION_ALREADY_ACKNOWLEDGED,
                "Interaction has already been acknowledged.",
            )
        if self.interaction_age(interaction) > self.interaction_deadline:
            log.warning(
                "The bot answered interaction %s after %.2fs, past Discord's %.1fs deadline",
                interaction.id,
                self.interaction_age(interaction),
                self.interaction_deadline,
            )
            raise unknown(JSONErrorCode.UNKNOWN_INTERACTION, "interaction")
        response_type = self._callback_type(interaction, body.get("type"))
        data = body.get("data") or {}
        if not isinstance(data, dict):
            errors = FormErrors()
            errors.add(
                ("data",), "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType"
            )
            errors.raise_now()
        message = self._apply_callback(interaction, response_type, data, uploads)
        interaction.response_type = response_type
        self._changed()
        return message

    def _callback_type(self, interaction: Interaction, raw_type: Any) -> InteractionCallbackType:
        allowed = {
            InteractionCallbackType.CHANNEL_MESSAGE_WITH_SOURCE,
            InteractionCallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE,
        }
        if interaction.type is InteractionType.APPLICATION_COMMAND_AUTOCOMPLETE:
            allowed = {InteractionCallbackType.APPLICATION_COMMAND_AUTOCOMPLETE_RESULT}
        elif interaction.type is not InteractionType.MODAL_SUBMIT:
            allowed.add(InteractionCallbackType.MODAL)
        if interaction.source_message_id is not None:
            allowed |= {
                InteractionCallbackType.DEFERRED_UPDATE_MESSAGE,
                InteractionCallbackType.UPDATE_MESSAGE,
            }
        if raw_type not in {int(kind) for kind in allowed}:
            errors = FormErrors()
            choices = ", ".join(str(int(kind)) for kind in sorted(allowed))
            errors.add(("type",), "BASE_TYPE_CHOICES", f"Value must be one of {{{choices}}}.")
            errors.raise_now()
        return InteractionCallbackType(raw_type)

    def _apply_callback(
        self,
        interaction: Interaction,
        response_type: InteractionCallbackType,
        data: dict[str, Any],
        uploads: Sequence[Upload],
    ) -> Message | None:
        app = interaction.application
        if response_type is InteractionCallbackType.MODAL:
            interaction.modal = validate_modal(data)
            return None
        if response_type is InteractionCallbackType.APPLICATION_COMMAND_AUTOCOMPLETE_RESULT:
            interaction.choices = validate_autocomplete(data, _focused_option_type(interaction))
            return None
        if response_type is InteractionCallbackType.DEFERRED_UPDATE_MESSAGE:
            return None
        if response_type is InteractionCallbackType.UPDATE_MESSAGE:
            source = self.messages[interaction.source_message_id or 0]
            return self.edit_message(source, parse_message(data, uploads, editing=True))
        deferred = response_type is InteractionCallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
        if deferred:
            ephemeral = int(data.get("flags") or 0) & MessageFlag.EPHEMERAL
            draft = MessageDraft(given=frozenset(), flags=ephemeral)
        else:
            draft = parse_message(data, uploads, ephemeral_allowed=True)
        extra_flags = MessageFlag.LOADING if deferred else 0
        message_type = (
            MessageType.CHAT_INPUT_COMMAND
            if interaction.command_type == 1
            else MessageType.CONTEXT_MENU_COMMAND
            if interaction.command_type in (2, 3)
            else MessageType.DEFAULT
        )
        message = self.post_message(
            interaction.channel,
            app.bot_user,
            draft,
            message_type=message_type,
            application=app,
            interaction=interaction,
            extra_flags=extra_flags,
        )
        interaction.original_message_id = message.id
        return message

    def interaction_for_webhook(self, application_id: int, token: str) -> Interaction:
        """The interaction behind a webhook token, refusing unknown and expired tokens."""
        for interaction in self.interactions.values():
            if interaction.application.id == application_id and secrets.compare_digest(
                interaction.token, token
            ):
                if self.interaction_age(interaction) > self.interaction_token_lifetime:
                    raise DiscordHTTPError(
                        401, JSONErrorCode.INVALID_WEBHOOK_TOKEN, "Invalid Webhook Token"
                    )
                if not interaction.acknowledged:
                    raise unknown(JSONErrorCode.UNKNOWN_WEBHOOK, "Webhook")
                return interaction
        raise DiscordHTTPError(401, JSONErrorCode.INVALID_WEBHOOK_TOKEN, "Invalid Webhook Token")

    def send_followup(self, interaction: Interaction, draft: MessageDraft) -> Message:
        """Send a followup through the interaction's webhook (it may be ephemeral).

        Right after a deferral (callback type 5) Discord makes the first followup the answer
        itself: it fills the "is thinking..." message, which keeps its id and the deferral's
        ephemeral flag whatever the followup asks, instead of posting a new message. Later
        followups, and any after the answer was edited, are new messages.
        """
        placeholder = self._unfilled_deferral(interaction)
        if placeholder is not None:
            message = self.edit_message(placeholder, draft)
        else:
            app = interaction.application
            message = self.post_message(
                interaction.channel,
                app.bot_user,
                draft,
                application=app,
                interaction=interaction,
            )
            interaction.followup_message_ids.append(message.id)
        interaction.followup_results.append(message.id)
        self._changed()
        return message

    def _unfilled_deferral(self, interaction: Interaction) -> Message | None:
        """The "is thinking..." message of a deferral that nothing has filled yet.

        Once the member deleted it, Discord answers the followup that would fill it with
        10008 Unknown Message.
        """
        if interaction.response_type is not (
            InteractionCallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
        ):
            return None
        original = self.messages.get(interaction.original_message_id or 0)
        if original is None or not original.loading:
            return None
        if original.deleted:
            raise unknown(JSONErrorCode.UNKNOWN_MESSAGE, "Message")
        return original

    def interaction_message(self, interaction: Interaction, message_ref: str) -> Message:
        """``@original`` or a followup id, as the webhook message routes name them.

        For a component interaction answered by updating its message, ``@original`` is the
        message the component is on, as on Discord.
        """
        if message_ref == "@original":
            message_id = interaction.original_message_id or (
                interaction.source_message_id
                if interaction.response_type
                in (
                    InteractionCallbackType.UPDATE_MESSAGE,
                    InteractionCallbackType.DEFERRED_UPDATE_MESSAGE,
                )
                else None
            )
        else:
            try:
                message_id = int(message_ref)
            except ValueError:
                raise unknown(JSONErrorCode.UNKNOWN_MESSAGE, "Message") from None
            if message_id != interaction.original_message_id and (
                message_id not in interaction.followup_message_ids
            ):
                message_id = None
        message = self.messages.get(message_id or 0)
        if message is None or message.deleted:
            raise unknown(JSONErrorCode.UNKNOWN_MESSAGE, "Message")
        return message


class InteractionRoutes(RouteHelpers):
    """The interactions routes of the HTTP API."""

    _state: InteractionsState

    async def interaction_callback(self, request: web.Request) -> web.StreamResponse:
        """``POST /interactions/{id}/{token}/callback``: the first answer to an interaction."""
        interaction = self._state.interactions.get(path_snowflake(request, "interaction_id"))
        if interaction is None or interaction.token != request.match_info["token"]:
            raise unknown(JSONErrorCode.UNKNOWN_INTERACTION, "interaction")
        request[APP_KEY] = interaction.application
        body, uploads = await read_message_body(request)
        message = self._state.respond_to_interaction(interaction, body, uploads=uploads)
        if request.query.get("with_response", "").lower() not in ("1", "true"):
            return no_content()
        return json_response(
            interaction_callback_payload(interaction, state=self._state, message=message)
        )

    async def execute_webhook(self, request: web.Request) -> web.StreamResponse:
        """``POST /webhooks/{app_id}/{token}``: an interaction followup.

        For an interaction's webhook ``wait`` is always true, as Discord documents: the answer
        is the message, which right after a deferral is the original answer it filled.
        """
        interaction = self._state.interaction_for_webhook(
            path_snowflake(request, "application_id"), request.match_info["token"]
        )
        request[APP_KEY] = interaction.application
        body, uploads = await read_message_body(request)
        draft = parse_message(body, uploads, ephemeral_allowed=True)
        message = self._state.send_followup(interaction, draft)
        return json_response(self._message_payload(message, interaction.application))

    async def get_webhook_message(self, request: web.Request) -> web.Response:
        """``GET /webhooks/{app_id}/{token}/messages/{@original|id}``."""
        interaction = self._state.interaction_for_webhook(
            path_snowflake(request, "application_id"), request.match_info["token"]
        )
        request[APP_KEY] = interaction.application
        message = self._state.interaction_message(interaction, request.match_info["message_ref"])
        return json_response(self._message_payload(message, interaction.application))

    async def edit_webhook_message(self, request: web.Request) -> web.Response:
        """``PATCH /webhooks/{app_id}/{token}/messages/{@original|id}``."""
        interaction = self._state.interaction_for_webhook(
            path_snowflake(request, "application_id"), request.match_info["token"]
        )
        request[APP_KEY] = interaction.application
        message = self._state.interaction_message(interaction, request.match_info["message_ref"])
        body, uploads = await read_message_body(request)
        self._state.edit_message(message, parse_message(body, uploads, editing=True))
        return json_response(self._message_payload(message, interaction.application))

    async def delete_webhook_message(self, request: web.Request) -> web.Response:
        """``DELETE /webhooks/{app_id}/{token}/messages/{@original|id}``."""
        interaction = self._state.interaction_for_webhook(
            path_snowflake(request, "application_id"), request.match_info["token"]
        )
        request[APP_KEY] = interaction.application
        message = self._state.interaction_message(interaction, request.match_info["message_ref"])
        self._state.delete_message(message)
        return no_content()
