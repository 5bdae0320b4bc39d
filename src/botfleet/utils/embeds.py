"""Embeds that fit Discord's limits: fields and descriptions cut or paged, never refused.

Discord rejects a whole message when one embed in it is too long, so every embed built here is
cut to size: a member sees a shortened field or one more page, never an error. Lengths are
counted as ``len(discord.Embed)`` counts them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple, TypeAlias

import discord

from botfleet.utils.text import paginate_text, truncate_string

EMBED_TITLE_LIMIT = 256
EMBED_DESCRIPTION_LIMIT = 4096
EMBED_FIELD_COUNT_LIMIT = 25
EMBED_FIELD_NAME_LIMIT = 256
EMBED_FIELD_VALUE_LIMIT = 1024
EMBED_FOOTER_LIMIT = 2048
EMBED_AUTHOR_NAME_LIMIT = 256
EMBED_TOTAL_LIMIT = 6000
"""Title, description, field names and values, footer text and author name together; Discord
applies it to one embed and to all the embeds of one message."""
EMBEDS_PER_MESSAGE_LIMIT = 10

BLANK = "\u200b"
"""A zero-width space: Discord refuses blank field names and values, so they become this."""

EmbedField: TypeAlias = tuple[str, str] | tuple[str, str, bool] | Mapping[str, object]
"""An embed field as ``(name, value)``, ``(name, value, inline)`` or a mapping with the keys
``name``, ``value`` and optionally ``inline`` (fields are inline unless told otherwise)."""


class _Field(NamedTuple):
    name: str
    value: str
    inline: bool

    @property
    def size(self) -> int:
        return len(self.name) + len(self.value)


_MIN_TRIMMED_VALUE = 16
"""A field is kept with a shortened value only when this much of the value still fits."""


def create_embed(  # noqa: PLR0917  (the architecture document's positional signature)
    title: str | None,
    description: str | None,
    color: int | discord.Colour,
    fields: Sequence[EmbedField] | None = None,
    footer: str | None = None,
    timestamp: bool = False,
    *,
    author: str | None = None,
) -> discord.Embed:
    """Build one embed that Discord accepts whatever the length of its parts.

    Each part is cut to its own limit; when the whole would pass 6000 characters, fields are
    dropped from the end (the first one that does not fit is shortened when enough of it fits),
    then the description is shortened. Use :func:`paginate_embeds` to keep everything.
    """
    title_text = _part(title, EMBED_TITLE_LIMIT)
    author_text = _part(author, EMBED_AUTHOR_NAME_LIMIT)
    footer_text = _part(footer, EMBED_FOOTER_LIMIT)
    room = EMBED_TOTAL_LIMIT - _total_length(title_text, author_text, footer_text)
    description_text = _part(description, min(EMBED_DESCRIPTION_LIMIT, room))
    room -= len(description_text or "")
    kept: list[_Field] = []
    for spec in list(fields or ())[:EMBED_FIELD_COUNT_LIMIT]:
        name, value, inline = _field_parts(spec)
        field = _Field(
            _field_text(name, EMBED_FIELD_NAME_LIMIT),
            _field_text(value, EMBED_FIELD_VALUE_LIMIT),
            inline,
        )
        if field.size > room:
            value_room = room - len(field.name)
            if value_room >= _MIN_TRIMMED_VALUE:
                kept.append(field._replace(value=truncate_string(field.value, value_room)))
            break
        kept.append(field)
        room -= field.size
    return _build_embed(
        title=title_text,
        description=description_text,
        color=color,
        fields=kept,
        footer=footer_text,
        author=author_text,
        timestamp=timestamp,
    )


def paginate_embeds(
    title: str | None,
    description: str | None,
    color: int | discord.Colour,
    *,
    fields: Sequence[EmbedField] | None = None,
    footer: str | None = None,
    timestamp: bool = False,
    author: str | None = None,
    fields_per_page: int = EMBED_FIELD_COUNT_LIMIT,
) -> list[discord.Embed]:
    """Build as many embeds as it takes to show everything, each within every Discord limit.

    The description is paginated like :func:`paginate_text`; fields follow it, at most
    ``fields_per_page`` to an embed, and a value longer than a field allows continues in the
    next field. Every embed repeats the title and author; with more than one embed, each
    footer ends with "Page i/n". Send them one per message, or grouped by :func:`chunk_embeds`.
    """
    if not 1 <= fields_per_page <= EMBED_FIELD_COUNT_LIMIT:
        raise ValueError(
            f"fields_per_page must be between 1 and {EMBED_FIELD_COUNT_LIMIT}, "
            f"not {fields_per_page}"
        )
    field_list = [piece for spec in fields or () for piece in _split_field(spec)]
    description = description or ""
    most_pages = len(description) + len(field_list) + 1
    label_room = len(_PAGE_SEPARATOR + _page_label(most_pages, most_pages))
    title_text = _part(title, EMBED_TITLE_LIMIT)
    author_text = _part(author, EMBED_AUTHOR_NAME_LIMIT)
    footer_text = _part(footer, EMBED_FOOTER_LIMIT - label_room)
    room = EMBED_TOTAL_LIMIT - _total_length(title_text, author_text, footer_text) - label_room

    descriptions = paginate_text(description, min(EMBED_DESCRIPTION_LIMIT, room))
    pages: list[tuple[str | None, list[_Field]]] = [(text, []) for text in descriptions]
    if not pages:
        pages.append((None, []))
    used = len(pages[-1][0] or "")
    for field in field_list:
        if len(pages[-1][1]) >= fields_per_page or used + field.size > room:
            pages.append((None, []))
            used = 0
        pages[-1][1].append(field)
        used += field.size

    count = len(pages)
    return [
        _build_embed(
            title=title_text,
            description=page_description,
            color=color,
            fields=page_fields,
            footer=_footer_with_label(footer_text, number, count) if count > 1 else footer_text,
            author=author_text,
            timestamp=timestamp,
        )
        for number, (page_description, page_fields) in enumerate(pages, start=1)
    ]


def chunk_embeds(embeds: Sequence[discord.Embed]) -> list[list[discord.Embed]]:
    """Group embeds into messages: at most 10 to a message and 6000 characters between them."""
    groups: list[list[discord.Embed]] = []
    current: list[discord.Embed] = []
    used = 0
    for embed in embeds:
        size = len(embed)
        if size > EMBED_TOTAL_LIMIT:
            raise ValueError(
                f"an embed of {size} characters is over Discord's {EMBED_TOTAL_LIMIT}; "
                "build it with create_embed or paginate_embeds"
            )
        if current and (
            len(current) == EMBEDS_PER_MESSAGE_LIMIT or used + size > EMBED_TOTAL_LIMIT
        ):
            groups.append(current)
            current, used = [], 0
        current.append(embed)
        used += size
    if current:
        groups.append(current)
    return groups


def _part(text: str | None, limit: int) -> str | None:
    """An optional embed part cut to ``limit``; blank parts are left out (Discord refuses them)."""
    if text is None or not text.strip():
        return None
    return truncate_string(text, limit)


def _total_length(*parts: str | None) -> int:
    return sum(len(part or "") for part in parts)


def _field_text(text: str, limit: int) -> str:
    return truncate_string(text, limit) if text.strip() else BLANK


def _field_parts(spec: EmbedField) -> tuple[str, str, bool]:
    """Read a field given as a tuple or a mapping into (name, value, inline)."""
    if isinstance(spec, Mapping):
        if "name" not in spec or "value" not in spec:
            raise ValueError(f"an embed field needs a 'name' and a 'value', got keys {list(spec)}")
        return str(spec["name"]), str(spec["value"]), bool(spec.get("inline", True))
    if len(spec) not in (2, 3):
        raise ValueError(f"an embed field is (name, value) or (name, value, inline), got {spec!r}")
    inline = bool(spec[2]) if len(spec) == 3 else True
    return str(spec[0]), str(spec[1]), inline


def _split_field(spec: EmbedField) -> list[_Field]:
    """One field, or several when the value is longer than a field allows."""
    name, value, inline = _field_parts(spec)
    first_name = _field_text(name, EMBED_FIELD_NAME_LIMIT)
    values = paginate_text(value, EMBED_FIELD_VALUE_LIMIT) or [BLANK]
    if len(values) == 1:
        return [_Field(first_name, values[0], inline)]
    suffix = " (continued)"
    next_name = truncate_string(name.strip() or BLANK, EMBED_FIELD_NAME_LIMIT - len(suffix))
    names = [first_name] + [next_name + suffix] * (len(values) - 1)
    return [
        _Field(field_name, text, inline) for field_name, text in zip(names, values, strict=True)
    ]


_PAGE_SEPARATOR = " • "


def _page_label(number: int, count: int) -> str:
    return f"Page {number}/{count}"


def _footer_with_label(footer: str | None, number: int, count: int) -> str:
    label = _page_label(number, count)
    return f"{footer}{_PAGE_SEPARATOR}{label}" if footer else label


def _build_embed(
    *,
    title: str | None,
    description: str | None,
    color: int | discord.Colour,
    fields: Sequence[_Field],
    footer: str | None,
    author: str | None,
    timestamp: bool,
) -> discord.Embed:
    embed = discord.Embed(
        title=title,
        description=description,
        color=color,
        timestamp=discord.utils.utcnow() if timestamp else None,
    )
    for field in fields:
        embed.add_field(name=field.name, value=field.value, inline=field.inline)
    if footer is not None:
        embed.set_footer(text=footer)
    if author is not None:
        embed.set_author(name=author)
    return embed
