"""Discord's request limits, enforced the way Discord enforces them.

discord.py checks almost none of these (2000-character messages, embed sizes, component layout,
command and option limits, modal shapes), so a bot that breaks them works against a lax fake and
fails against Discord. Every check here answers with Discord's "Invalid Form Body" (400, code
50035) and a field path, which discord.py surfaces as ``HTTPException.code == 50035``.
Messages, embeds, components and polls are checked here; commands, modals and autocomplete
choices in ``command_validation``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlparse

from botfleet.sandbox.errors import DiscordHTTPError, FormErrors, JSONErrorCode
from botfleet.sandbox.flags import SENDABLE_MESSAGE_FLAGS, MessageFlag
from botfleet.sandbox.mentions import validate_allowed_mentions
from botfleet.sandbox.models import AllowedMentions

if TYPE_CHECKING:
    from discord.types.embed import Embed as EmbedPayload

Path = tuple[str | int, ...]

MESSAGE_CONTENT_LIMIT = 2000
EMBEDS_PER_MESSAGE = 10
EMBED_TOTAL_CHARACTERS = 6000
EMBED_TITLE_LIMIT = 256
EMBED_DESCRIPTION_LIMIT = 4096
EMBED_FIELDS_LIMIT = 25
EMBED_FIELD_NAME_LIMIT = 256
EMBED_FIELD_VALUE_LIMIT = 1024
ATTACHMENT_DESCRIPTION_LIMIT = 1024
"""An attachment's description (its alt text)."""
EMBED_FOOTER_LIMIT = 2048
EMBED_AUTHOR_NAME_LIMIT = 256
ACTION_ROWS_PER_MESSAGE = 5
ACTION_ROW_WIDTH = 5
COMPONENTS_V2_LIMIT = 40
CUSTOM_ID_LIMIT = 100
BUTTON_LABEL_LIMIT = 80
SELECT_PLACEHOLDER_LIMIT = 150
SELECT_OPTIONS_LIMIT = 25
SELECT_OPTION_TEXT_LIMIT = 100
LABEL_DESCRIPTION_LIMIT = 100
POLL_QUESTION_LIMIT = 300
POLL_ANSWERS_LIMIT = 10
POLL_ANSWER_LIMIT = 55
POLL_MIN_HOURS = 1
POLL_MAX_HOURS = 768
POLL_DEFAULT_HOURS = 24
POLL_DEFAULT_LAYOUT = 1

_BUTTON = 2
COMPONENT_ACTION_ROW = 1
COMPONENT_TEXT_INPUT = 4
COMPONENT_TEXT_DISPLAY = 10
COMPONENT_LABEL = 18
_SELECT_TYPES = frozenset({3, 5, 6, 7, 8})
_LINK_STYLE = 5
_PREMIUM_STYLE = 6


@dataclass
class Upload:
    """A file a bot attached to a request (a ``files[n]`` multipart part)."""

    index: int
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class PollAnswerDraft:
    """One answer of a poll a bot sends: its text and optional emoji (``{id, name}``)."""

    text: str
    emoji: dict[str, Any] | None = None


@dataclass(frozen=True)
class PollDraft:
    """A validated poll create request (``duration`` in whole hours)."""

    question: str
    answers: tuple[PollAnswerDraft, ...]
    duration_hours: int = POLL_DEFAULT_HOURS
    allow_multiselect: bool = False
    layout_type: int = POLL_DEFAULT_LAYOUT


@dataclass
class MessageDraft:
    """A validated message body; ``given`` names the fields the request carried.

    Edits change only the fields in ``given``: an edit without ``embeds`` keeps the embeds,
    while ``"content": null`` clears the content.
    """

    given: frozenset[str]
    content: str = ""
    embeds: list[EmbedPayload] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    flags: int = 0
    tts: bool = False
    nonce: str | int | None = None
    kept_attachment_ids: list[int] | None = None
    """Ids of existing attachments the body lists (edits), ``None`` if it lists none."""
    uploads: list[Upload] = field(default_factory=list)
    attachment_descriptions: dict[int, str] = field(default_factory=dict)
    reply_to_message_id: int | None = None
    fail_if_reply_target_missing: bool = True
    poll: PollDraft | None = None
    allowed_mentions: AllowedMentions | None = None
    """``None`` when the body carried none (Discord then pings everything mentioned)."""


def parse_message(
    body: Mapping[str, Any],
    uploads: Sequence[Upload] = (),
    *,
    editing: bool = False,
    ephemeral_allowed: bool = False,
) -> MessageDraft:
    """Validate a message create or edit body against Discord's limits.

    Only interaction answers and followups may set the EPHEMERAL flag (``ephemeral_allowed``);
    elsewhere Discord ignores flags a bot may not set. A poll is only ever sent, never edited
    (520003); a message holding just a poll is not empty.
    """
    if editing and body.get("poll") is not None:
        raise DiscordHTTPError(
            400, JSONErrorCode.CANNOT_EDIT_POLL_MESSAGE, "Cannot edit a poll message"
        )
    errors = FormErrors()
    content = _optional_string(errors, body, "content")
    embeds = _validate_embeds(errors, body.get("embeds"))
    flags = _optional_int(errors, body, "flags") or 0
    components = _validate_message_components(
        errors, body.get("components"), components_v2=bool(flags & MessageFlag.IS_COMPONENTS_V2)
    )
    if flags & MessageFlag.IS_COMPONENTS_V2:
        check_components_v2_fields(errors, content, embeds)
    errors.max_length(("content",), content, MESSAGE_CONTENT_LIMIT)
    kept_ids, descriptions = _attachment_references(errors, body.get("attachments"), uploads)
    reply_to, fail_if_missing = _message_reference(errors, body.get("message_reference"))
    poll = None if editing else _validate_poll(errors, body.get("poll"))
    allowed_mentions = validate_allowed_mentions(errors, body.get("allowed_mentions"))
    errors.raise_if_any()

    draft = MessageDraft(
        given=frozenset(body) | ({"attachments"} if uploads else frozenset()),
        content=content or "",
        embeds=embeds,
        components=components,
        flags=flags if editing else flags & _sendable_flags(ephemeral_allowed=ephemeral_allowed),
        tts=bool(body.get("tts", False)),
        nonce=body.get("nonce"),
        kept_attachment_ids=kept_ids,
        uploads=list(uploads),
        attachment_descriptions=descriptions,
        reply_to_message_id=reply_to,
        fail_if_reply_target_missing=fail_if_missing,
        poll=poll,
        allowed_mentions=allowed_mentions,
    )
    has_body = draft.content or draft.embeds or draft.components or draft.uploads or draft.poll
    if not editing and not has_body:
        raise DiscordHTTPError(
            400, JSONErrorCode.CANNOT_SEND_EMPTY_MESSAGE, "Cannot send an empty message"
        )
    return draft


def check_components_v2_fields(
    errors: FormErrors, content: str | None, embeds: Sequence[EmbedPayload]
) -> None:
    """A message with IS_COMPONENTS_V2 carries neither content nor embeds."""
    if content or embeds:
        errors.add(
            ("content" if content else "embeds",),
            "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
            "The 'content' and 'embeds' fields cannot be used "
            "when using MessageFlags.IS_COMPONENTS_V2",
        )


def _validate_poll(errors: FormErrors, raw: Any) -> PollDraft | None:
    """Check a poll create request as Discord does: 1 to 10 answers, 300 and 55 characters,
    1 to 768 whole hours (24 by default), the default layout only."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        errors.add(("poll",), "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
        return None
    question = _poll_media_text(errors, ("poll", "question"), raw.get("question"))
    errors.max_length(("poll", "question", "text"), question, POLL_QUESTION_LIMIT)
    answers = _validate_poll_answers(errors, raw.get("answers"))
    hours = _poll_hours(errors, raw.get("duration", POLL_DEFAULT_HOURS))
    multiselect = raw.get("allow_multiselect", False)
    if not isinstance(multiselect, bool):
        errors.add(
            ("poll", "allow_multiselect"), "BASE_TYPE_BOOLEAN", "Must be either true or false."
        )
    layout = raw.get("layout_type", POLL_DEFAULT_LAYOUT)
    if layout != POLL_DEFAULT_LAYOUT:
        errors.add(("poll", "layout_type"), "BASE_TYPE_CHOICES", "Value must be one of {1}.")
    if errors or question is None:
        return None
    return PollDraft(
        question=question,
        answers=answers,
        duration_hours=hours,
        allow_multiselect=bool(multiselect),
        layout_type=POLL_DEFAULT_LAYOUT,
    )


def _poll_media_text(errors: FormErrors, path: Path, media: Any) -> str | None:
    """The required, non-empty ``text`` of a poll media object."""
    if not isinstance(media, dict):
        errors.add(path, "BASE_TYPE_REQUIRED", "This field is required")
        return None
    text = media.get("text")
    if not isinstance(text, str) or not text.strip():
        errors.add((*path, "text"), "BASE_TYPE_REQUIRED", "This field is required")
        return None
    return text


def _validate_poll_answers(errors: FormErrors, raw: Any) -> tuple[PollAnswerDraft, ...]:
    path: Path = ("poll", "answers")
    if not isinstance(raw, list):
        errors.add(path, "BASE_TYPE_REQUIRED", "This field is required")
        return ()
    if not 1 <= len(raw) <= POLL_ANSWERS_LIMIT:
        errors.add(
            path, "BASE_TYPE_BAD_LENGTH", f"Must be between 1 and {POLL_ANSWERS_LIMIT} in length."
        )
    answers: list[PollAnswerDraft] = []
    for index, answer in enumerate(raw):
        media = answer.get("poll_media") if isinstance(answer, dict) else None
        media_path = (*path, index, "poll_media")
        text = _poll_media_text(errors, media_path, media)
        errors.max_length((*media_path, "text"), text, POLL_ANSWER_LIMIT)
        emoji = media.get("emoji") if isinstance(media, dict) else None
        if emoji is not None and not (
            isinstance(emoji, dict) and (emoji.get("id") or emoji.get("name"))
        ):
            errors.add(
                (*media_path, "emoji"), "BASE_TYPE_REQUIRED", "An emoji needs an id or a name"
            )
            emoji = None
        answers.append(PollAnswerDraft(text=text or "", emoji=emoji))
    return tuple(answers)


def _poll_hours(errors: FormErrors, raw: Any) -> int:
    """The poll's duration: discord.py sends hours as a float (``24.0``); only whole hours."""
    path: Path = ("poll", "duration")
    numeric = isinstance(raw, int | float) and not isinstance(raw, bool)
    if not numeric or (isinstance(raw, float) and not raw.is_integer()):
        errors.add(path, "NUMBER_TYPE_COERCE", f'Value "{raw}" is not int.')
        return POLL_DEFAULT_HOURS
    hours = int(raw)
    if hours < POLL_MIN_HOURS:
        errors.add(
            path,
            "NUMBER_TYPE_MIN",
            f"int value should be greater than or equal to {POLL_MIN_HOURS}.",
        )
    elif hours > POLL_MAX_HOURS:
        errors.add(
            path, "NUMBER_TYPE_MAX", f"int value should be less than or equal to {POLL_MAX_HOURS}."
        )
    return hours


def _sendable_flags(*, ephemeral_allowed: bool) -> int:
    if ephemeral_allowed:
        return int(SENDABLE_MESSAGE_FLAGS | MessageFlag.EPHEMERAL)
    return int(SENDABLE_MESSAGE_FLAGS)


def _optional_string(errors: FormErrors, body: Mapping[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None or isinstance(value, str):
        return value
    errors.add((key,), "BASE_TYPE_STRING", "Must be a string.")
    return None


def _optional_int(errors: FormErrors, body: Mapping[str, Any], key: str) -> int | None:
    value = body.get(key)
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    errors.add((key,), "NUMBER_TYPE_COERCE", f'Value "{value}" is not int.')
    return None


def _validate_embeds(errors: FormErrors, raw: Any) -> list[EmbedPayload]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(embed, dict) for embed in raw):
        errors.add(("embeds",), "BASE_TYPE_ARRAY", "Must be an array of embed objects.")
        return []
    errors.max_items(("embeds",), raw, EMBEDS_PER_MESSAGE)
    total = 0
    for index, embed in enumerate(raw):
        total += _validate_embed(errors, ("embeds", index), embed)
    if total > EMBED_TOTAL_CHARACTERS:
        errors.add(
            ("embeds",),
            "MAX_EMBED_SIZE_EXCEEDED",
            f"Embed size exceeds maximum size of {EMBED_TOTAL_CHARACTERS}",
        )
    return [cast("EmbedPayload", embed) for embed in raw]


def _validate_embed(errors: FormErrors, path: Path, embed: dict[str, Any]) -> int:
    """Check one embed; return the characters it counts towards the 6000 total."""
    title = optional_text(embed.get("title"))
    description = optional_text(embed.get("description"))
    errors.max_length((*path, "title"), title, EMBED_TITLE_LIMIT)
    errors.max_length((*path, "description"), description, EMBED_DESCRIPTION_LIMIT)
    total = len(title or "") + len(description or "")
    color = embed.get("color")
    if color is not None and not (isinstance(color, int) and 0 <= color <= 0xFFFFFF):
        errors.add((*path, "color"), "NUMBER_TYPE_MAX", "int value should be <= 16777215.")
    fields = embed.get("fields") or []
    errors.max_items((*path, "fields"), fields, EMBED_FIELDS_LIMIT)
    for index, embed_field in enumerate(fields):
        name = optional_text(embed_field.get("name"))
        value = optional_text(embed_field.get("value"))
        errors.required_text((*path, "fields", index, "name"), name, EMBED_FIELD_NAME_LIMIT)
        errors.required_text((*path, "fields", index, "value"), value, EMBED_FIELD_VALUE_LIMIT)
        total += len(name or "") + len(value or "")
    footer = embed.get("footer")
    if isinstance(footer, dict):
        footer_text = optional_text(footer.get("text"))
        errors.max_length((*path, "footer", "text"), footer_text, EMBED_FOOTER_LIMIT)
        total += len(footer_text or "")
        _check_url(errors, (*path, "footer", "icon_url"), footer.get("icon_url"))
    author = embed.get("author")
    if isinstance(author, dict):
        author_name = optional_text(author.get("name"))
        errors.max_length((*path, "author", "name"), author_name, EMBED_AUTHOR_NAME_LIMIT)
        total += len(author_name or "")
        _check_url(errors, (*path, "author", "url"), author.get("url"))
        _check_url(errors, (*path, "author", "icon_url"), author.get("icon_url"))
    _check_url(errors, (*path, "url"), embed.get("url"))
    for media in ("image", "thumbnail"):
        media_object = embed.get(media)
        if isinstance(media_object, dict):
            _check_url(errors, (*path, media, "url"), media_object.get("url"))
    return total


def optional_text(value: Any) -> str | None:
    return None if value is None else str(value)


def _check_url(errors: FormErrors, path: Path, url: Any) -> None:
    if url is None:
        return
    parsed = urlparse(str(url))
    if parsed.scheme not in ("http", "https", "attachment") or not (parsed.netloc or parsed.path):
        errors.add(path, "URL_TYPE_INVALID_URL", "Not a well formed URL.")


def _validate_message_components(
    errors: FormErrors, raw: Any, *, components_v2: bool
) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        errors.add(("components",), "BASE_TYPE_ARRAY", "Must be an array of component objects.")
        return []
    custom_ids: set[str] = set()
    if components_v2:
        total = _count_components(raw)
        if total > COMPONENTS_V2_LIMIT:
            errors.add(
                ("components",),
                "BASE_TYPE_MAX_LENGTH",
                f"Must be {COMPONENTS_V2_LIMIT} or fewer in length.",
            )
        for index, component in enumerate(raw):
            _validate_v2_component(errors, ("components", index), component, custom_ids)
        return list(raw)
    errors.max_items(("components",), raw, ACTION_ROWS_PER_MESSAGE)
    for index, row in enumerate(raw):
        _validate_action_row(errors, ("components", index), row, custom_ids)
    return list(raw)


def _count_components(components: list[dict[str, Any]]) -> int:
    total = 0
    for component in components:
        total += 1
        children = component.get("components")
        if isinstance(children, list):
            total += _count_components(children)
        accessory = component.get("accessory")
        if isinstance(accessory, dict):
            total += 1
    return total


def _validate_v2_component(
    errors: FormErrors, path: Path, component: dict[str, Any], custom_ids: set[str]
) -> None:
    kind = component.get("type")
    if kind == COMPONENT_ACTION_ROW:
        _validate_action_row(errors, path, component, custom_ids)
        return
    for key in ("components",):
        children = component.get(key)
        if isinstance(children, list):
            for index, child in enumerate(children):
                if isinstance(child, dict):
                    _validate_v2_component(errors, (*path, key, index), child, custom_ids)
    accessory = component.get("accessory")
    if isinstance(accessory, dict):
        _validate_v2_component(errors, (*path, "accessory"), accessory, custom_ids)
    if kind == _BUTTON:
        _validate_button(errors, path, component, custom_ids)


def _validate_action_row(
    errors: FormErrors, path: Path, row: dict[str, Any], custom_ids: set[str]
) -> None:
    if row.get("type") != COMPONENT_ACTION_ROW:
        errors.add(
            (*path, "type"), "UNION_TYPE_CHOICES", 'Value of field "type" must be one of (1,).'
        )
        return
    children = row.get("components")
    if not isinstance(children, list) or not 1 <= len(children) <= ACTION_ROW_WIDTH:
        errors.add(
            (*path, "components"),
            "BASE_TYPE_BAD_LENGTH",
            f"Must be between 1 and {ACTION_ROW_WIDTH} in length.",
        )
        return
    width = 0
    for index, child in enumerate(children):
        child_path = (*path, "components", index)
        kind = child.get("type") if isinstance(child, dict) else None
        if kind == _BUTTON:
            width += 1
            _validate_button(errors, child_path, child, custom_ids)
        elif kind in _SELECT_TYPES:
            width += ACTION_ROW_WIDTH
            _validate_select(errors, child_path, child, custom_ids)
        else:
            errors.add(
                (*child_path, "type"),
                "UNION_TYPE_CHOICES",
                'Value of field "type" must be one of (2, 3, 5, 6, 7, 8).',
            )
    if width > ACTION_ROW_WIDTH:
        errors.add(
            (*path, "components"),
            "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
            "The specified component exceeds the maximum width",
        )


def validate_custom_id(
    errors: FormErrors, path: Path, custom_id: Any, custom_ids: set[str]
) -> None:
    if custom_id is None:
        errors.add((*path, "custom_id"), "BASE_TYPE_REQUIRED", "This field is required")
        return
    custom_id = str(custom_id)
    errors.length_between((*path, "custom_id"), custom_id, 1, CUSTOM_ID_LIMIT)
    if custom_id in custom_ids:
        errors.add(
            (*path, "custom_id"),
            "COMPONENT_CUSTOM_ID_DUPLICATED",
            "Component custom id cannot be duplicated",
        )
    custom_ids.add(custom_id)


def _validate_button(
    errors: FormErrors, path: Path, button: dict[str, Any], custom_ids: set[str]
) -> None:
    style = button.get("style")
    if style not in (1, 2, 3, 4, _LINK_STYLE, _PREMIUM_STYLE):
        errors.add(
            (*path, "style"), "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3, 4, 5, 6}."
        )
        return
    errors.max_length((*path, "label"), optional_text(button.get("label")), BUTTON_LABEL_LIMIT)
    if style == _LINK_STYLE:
        if "custom_id" in button:
            errors.add(
                (*path, "custom_id"),
                "BUTTON_COMPONENT_CUSTOM_ID_NOT_ALLOWED",
                "A custom id cannot be set on a link button",
            )
        if "url" not in button:
            errors.add((*path, "url"), "BASE_TYPE_REQUIRED", "This field is required")
        else:
            _check_url(errors, (*path, "url"), button["url"])
    elif style != _PREMIUM_STYLE:
        validate_custom_id(errors, path, button.get("custom_id"), custom_ids)
        if "url" in button:
            errors.add(
                (*path, "url"),
                "BUTTON_COMPONENT_URL_NOT_ALLOWED",
                "A url can only be set on link buttons",
            )
    if style != _PREMIUM_STYLE and not button.get("label") and not button.get("emoji"):
        errors.add(
            (*path, "label"),
            "BUTTON_COMPONENT_LABEL_OR_EMOJI_REQUIRED",
            "A label or an emoji is required",
        )


def _validate_select(
    errors: FormErrors, path: Path, select: dict[str, Any], custom_ids: set[str]
) -> None:
    validate_custom_id(errors, path, select.get("custom_id"), custom_ids)
    errors.max_length(
        (*path, "placeholder"), optional_text(select.get("placeholder")), SELECT_PLACEHOLDER_LIMIT
    )
    min_values = select.get("min_values", 1)
    max_values = select.get("max_values", 1)
    if not isinstance(min_values, int) or not 0 <= min_values <= SELECT_OPTIONS_LIMIT:
        errors.add((*path, "min_values"), "NUMBER_TYPE_MAX", "int value should be <= 25.")
    if not isinstance(max_values, int) or not 1 <= max_values <= SELECT_OPTIONS_LIMIT:
        errors.add((*path, "max_values"), "NUMBER_TYPE_MAX", "int value should be <= 25.")
    if select.get("type") != 3:
        return
    options = select.get("options")
    if not isinstance(options, list) or not 1 <= len(options) <= SELECT_OPTIONS_LIMIT:
        errors.add(
            (*path, "options"),
            "BASE_TYPE_BAD_LENGTH",
            f"Must be between 1 and {SELECT_OPTIONS_LIMIT} in length.",
        )
        return
    for index, option in enumerate(options):
        option_path = (*path, "options", index)
        errors.length_between(
            (*option_path, "label"), optional_text(option.get("label")), 1, SELECT_OPTION_TEXT_LIMIT
        )
        errors.length_between(
            (*option_path, "value"), optional_text(option.get("value")), 1, SELECT_OPTION_TEXT_LIMIT
        )
        errors.max_length(
            (*option_path, "description"),
            optional_text(option.get("description")),
            SELECT_OPTION_TEXT_LIMIT,
        )


def _attachment_references(
    errors: FormErrors, raw: Any, uploads: Sequence[Upload]
) -> tuple[list[int] | None, dict[int, str]]:
    """Split a body's ``attachments`` into kept existing ids and new-file descriptions."""
    if raw is None:
        return None, {}
    if not isinstance(raw, list):
        errors.add(("attachments",), "BASE_TYPE_ARRAY", "Must be an array.")
        return None, {}
    upload_indexes = {upload.index for upload in uploads}
    kept: list[int] = []
    descriptions: dict[int, str] = {}
    for index, item in enumerate(raw):
        try:
            attachment_id = int(item["id"])
        except (KeyError, TypeError, ValueError):
            errors.add(("attachments", index, "id"), "BASE_TYPE_REQUIRED", "This field is required")
            continue
        if attachment_id in upload_indexes:
            description = optional_text(item.get("description"))
            errors.max_length(
                ("attachments", index, "description"), description, ATTACHMENT_DESCRIPTION_LIMIT
            )
            if description:
                descriptions[attachment_id] = description
        else:
            kept.append(attachment_id)
    return kept, descriptions


def _message_reference(errors: FormErrors, raw: Any) -> tuple[int | None, bool]:
    if raw is None:
        return None, True
    try:
        return int(raw["message_id"]), bool(raw.get("fail_if_not_exists", True))
    except (KeyError, TypeError, ValueError):
        errors.add(
            ("message_reference", "message_id"), "BASE_TYPE_REQUIRED", "This field is required"
        )
        return None, True


def parse_json_body(raw: bytes) -> Any:
    """Decode a JSON request body, answering malformed JSON as Discord does."""
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DiscordHTTPError(400, JSONErrorCode.GENERAL, "400: Bad Request") from exc
