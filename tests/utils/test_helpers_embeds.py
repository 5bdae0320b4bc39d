"""Embeds: whatever goes in, what comes out is within every limit Discord enforces."""

from __future__ import annotations

from typing import Any

import discord
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import botfleet.config
from botfleet.config import load_config
from botfleet.utils.embeds import (
    BLANK,
    EMBED_AUTHOR_NAME_LIMIT,
    EMBED_DESCRIPTION_LIMIT,
    EMBED_FIELD_COUNT_LIMIT,
    EMBED_FIELD_NAME_LIMIT,
    EMBED_FIELD_VALUE_LIMIT,
    EMBED_FOOTER_LIMIT,
    EMBED_TITLE_LIMIT,
    EMBED_TOTAL_LIMIT,
    EMBEDS_PER_MESSAGE_LIMIT,
    EmbedField,
    chunk_embeds,
    create_embed,
    paginate_embeds,
)
from botfleet.utils.text import ELLIPSIS


def discord_length(embed: discord.Embed) -> int:
    """Count characters the way Discord does, from the payload that would be sent."""
    data: dict[str, Any] = dict(embed.to_dict())
    total = len(data.get("title", "")) + len(data.get("description", ""))
    total += sum(len(field["name"]) + len(field["value"]) for field in data.get("fields", []))
    total += len(data.get("footer", {}).get("text", ""))
    total += len(data.get("author", {}).get("name", ""))
    return total


def assert_within_limits(embed: discord.Embed) -> None:
    data: dict[str, Any] = dict(embed.to_dict())
    assert len(data.get("title", "")) <= EMBED_TITLE_LIMIT
    assert len(data.get("description", "")) <= EMBED_DESCRIPTION_LIMIT
    assert len(data.get("footer", {}).get("text", "")) <= EMBED_FOOTER_LIMIT
    assert len(data.get("author", {}).get("name", "")) <= EMBED_AUTHOR_NAME_LIMIT
    fields = data.get("fields", [])
    assert len(fields) <= EMBED_FIELD_COUNT_LIMIT
    for field in fields:
        assert 0 < len(field["name"]) <= EMBED_FIELD_NAME_LIMIT
        assert 0 < len(field["value"]) <= EMBED_FIELD_VALUE_LIMIT
        assert field["name"].strip() or field["name"] == BLANK
        assert field["value"].strip() or field["value"] == BLANK
    for key in ("title", "description"):
        assert key not in data or data[key].strip()
    assert discord_length(embed) <= EMBED_TOTAL_LIMIT


def test_load_config_is_the_configuration_loader() -> None:
    assert load_config is botfleet.config.load_config


def test_create_embed_sets_every_part() -> None:
    embed = create_embed(
        "Stats",
        "Your numbers",
        0x2ECC71,
        fields=[("XP", "120"), ("Level", "3", False), {"name": "Rank", "value": 7}],
        footer="botfleet",
        timestamp=True,
        author="Hangman",
    )
    assert (embed.title, embed.description, embed.colour) == (
        "Stats",
        "Your numbers",
        discord.Colour(0x2ECC71),
    )
    assert [(field.name, field.value, field.inline) for field in embed.fields] == [
        ("XP", "120", True),
        ("Level", "3", False),
        ("Rank", "7", True),
    ]
    assert embed.footer.text == "botfleet"
    assert embed.author.name == "Hangman"
    assert embed.timestamp is not None
    assert create_embed("t", "d", 1).timestamp is None


def test_blank_parts_are_left_out_and_blank_fields_get_a_zero_width_space() -> None:
    embed = create_embed("  ", "", 1, fields=[("", "value"), ("name", "  ")], footer=" ")
    data = embed.to_dict()
    assert "title" not in data
    assert "description" not in data
    assert "footer" not in data
    assert [(field.name, field.value) for field in embed.fields] == [
        (BLANK, "value"),
        ("name", BLANK),
    ]


def test_each_part_is_cut_to_its_own_limit() -> None:
    embed = create_embed(
        "t" * 1000, "d" * 100, 1, fields=[("n" * 1000, "v" * 5000)], footer="f" * 100
    )
    assert embed.title == "t" * (EMBED_TITLE_LIMIT - 1) + ELLIPSIS
    assert embed.fields[0].name == "n" * (EMBED_FIELD_NAME_LIMIT - 1) + ELLIPSIS
    assert embed.fields[0].value == "v" * (EMBED_FIELD_VALUE_LIMIT - 1) + ELLIPSIS
    assert_within_limits(embed)


def test_fields_past_the_total_are_dropped_and_the_first_that_half_fits_is_trimmed() -> None:
    fields = [(f"field {number}", "v" * 1000) for number in range(10)]
    embed = create_embed("Title", "Intro", 1, fields=fields, footer="Footer")
    assert_within_limits(embed)
    assert len(embed) == EMBED_TOTAL_LIMIT
    assert [field.name for field in embed.fields] == [f"field {number}" for number in range(6)]
    assert (embed.fields[-1].value or "").endswith(ELLIPSIS)
    assert all(field.value == "v" * 1000 for field in embed.fields[:-1])


def test_more_than_25_fields_keeps_the_first_25() -> None:
    embed = create_embed("t", None, 1, fields=[(str(n), "v") for n in range(40)])
    assert [field.name for field in embed.fields] == [str(n) for n in range(25)]


def test_a_description_too_long_for_the_total_is_shortened_and_fields_dropped() -> None:
    embed = create_embed("t" * 256, "d" * 5000, 1, fields=[("n", "v")], footer="f" * 2048)
    assert_within_limits(embed)
    assert embed.fields == []
    assert embed.description is not None
    assert embed.description.endswith(ELLIPSIS)
    assert len(embed) == EMBED_TOTAL_LIMIT


@pytest.mark.parametrize(
    "field",
    [("only a name",), ("a", "b", True, "extra"), {"name": "no value"}, {"value": "no name"}],
)
def test_malformed_fields_are_reported(field: Any) -> None:
    with pytest.raises(ValueError, match="field"):
        create_embed("t", "d", 1, fields=[field])


def test_paginate_embeds_spreads_a_long_description_and_many_fields_over_pages() -> None:
    description = "\n".join(f"Line {number}: " + "x" * 80 for number in range(120))
    fields: list[EmbedField] = [(f"Player {n}", f"{n * 10} points") for n in range(60)]
    embeds = paginate_embeds("Leaderboard", description, 1, fields=fields, footer="Hangman")
    for embed in embeds:
        assert_within_limits(embed)
        assert embed.title == "Leaderboard"
    count = len(embeds)
    assert count > 3
    assert [embed.footer.text for embed in embeds] == [
        f"Hangman • Page {number}/{count}" for number in range(1, count + 1)
    ]
    shown = "\n".join(embed.description for embed in embeds if embed.description)
    assert shown == description
    assert [(field.name, field.value) for embed in embeds for field in embed.fields] == fields


def test_every_part_at_its_limit_still_leaves_room_for_the_page_label() -> None:
    embeds = paginate_embeds(
        "t" * 300,
        "d" * 20_000,
        1,
        fields=[("n" * 300, "v" * 2000)],
        footer="f" * 3000,
        author="a" * 300,
    )
    count = len(embeds)
    assert count > 5
    for number, embed in enumerate(embeds, start=1):
        assert_within_limits(embed)
        assert embed.footer.text is not None
        assert embed.footer.text.endswith(f"… • Page {number}/{count}")


def test_fields_per_page_sets_how_many_fields_each_page_holds() -> None:
    fields: list[EmbedField] = [(f"#{n}", "entry") for n in range(23)]
    embeds = paginate_embeds("Top", None, 1, fields=fields, fields_per_page=10)
    assert [len(embed.fields) for embed in embeds] == [10, 10, 3]
    assert embeds[2].footer.text == "Page 3/3"
    with pytest.raises(ValueError, match="fields_per_page"):
        paginate_embeds("Top", None, 1, fields=fields, fields_per_page=26)


def test_a_single_page_has_no_page_label() -> None:
    (embed,) = paginate_embeds("Title", "Short", 1, footer="Footer")
    assert embed.footer.text == "Footer"
    (bare,) = paginate_embeds("Title", None, 1)
    assert bare.title == "Title"
    assert bare.footer.text is None


def test_a_value_longer_than_a_field_continues_in_the_next_field() -> None:
    value = " ".join(f"word{n}" for n in range(500))
    embeds = paginate_embeds("Words", None, 1, fields=[("All words", value, False)])
    fields = [field for embed in embeds for field in embed.fields]
    assert [field.name for field in fields] == ["All words"] + ["All words (continued)"] * (
        len(fields) - 1
    )
    assert "".join(field.value or "" for field in fields) == value
    assert not any(field.inline for field in fields)


def test_chunk_embeds_groups_at_most_ten_embeds_and_6000_characters() -> None:
    small = [create_embed(str(n), "d", 1) for n in range(23)]
    assert [len(group) for group in chunk_embeds(small)] == [10, 10, 3]
    big = [create_embed("t", "d" * 2500, 1) for _ in range(5)]
    groups = chunk_embeds(big)
    assert [len(group) for group in groups] == [2, 2, 1]
    assert [embed for group in groups for embed in group] == big


def test_chunk_embeds_refuses_an_embed_that_no_message_could_carry() -> None:
    oversized = discord.Embed(description="d" * 4096, title="t" * 2000)
    with pytest.raises(ValueError, match="create_embed or paginate_embeds"):
        chunk_embeds([oversized])


long_text = st.one_of(
    st.text(max_size=300),
    st.builds(
        lambda chunk, times: chunk * times, st.text(min_size=1, max_size=30), st.integers(0, 400)
    ),
)
optional_text = st.none() | long_text
field_specs = st.lists(
    st.one_of(
        st.tuples(long_text, long_text),
        st.tuples(long_text, long_text, st.booleans()),
        st.builds(lambda name, value: {"name": name, "value": value}, long_text, long_text),
    ),
    max_size=40,
)


@settings(deadline=None, max_examples=150)
@given(optional_text, optional_text, field_specs, optional_text, optional_text)
def test_create_embed_output_always_fits(
    title: str | None,
    description: str | None,
    fields: list[EmbedField],
    footer: str | None,
    author: str | None,
) -> None:
    embed = create_embed(title, description, 1, fields=fields, footer=footer, author=author)
    assert_within_limits(embed)


@settings(deadline=None, max_examples=100)
@given(
    optional_text,
    optional_text,
    field_specs,
    optional_text,
    optional_text,
    st.integers(min_value=1, max_value=EMBED_FIELD_COUNT_LIMIT),
)
def test_paginate_embeds_output_always_fits_and_every_message_group_too(
    title: str | None,
    description: str | None,
    fields: list[EmbedField],
    footer: str | None,
    author: str | None,
    per_page: int,
) -> None:
    embeds = paginate_embeds(
        title,
        description,
        1,
        fields=fields,
        footer=footer,
        author=author,
        fields_per_page=per_page,
    )
    assert embeds
    for embed in embeds:
        assert_within_limits(embed)
        assert len(embed.fields) <= per_page
    assert sum(len(embed.fields) for embed in embeds) >= len(fields)
    for group in chunk_embeds(embeds):
        assert len(group) <= EMBEDS_PER_MESSAGE_LIMIT
        assert sum(discord_length(embed) for embed in group) <= EMBED_TOTAL_LIMIT
