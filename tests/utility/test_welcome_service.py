"""Welcome templates, the welcome card, and the settings store on SQLite and PostgreSQL."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from botfleet.bots.utility.services.welcome import (
    CARD_SIZE,
    DEFAULT_WELCOME,
    MemberFacts,
    WelcomeCard,
    WelcomeError,
    WelcomeStore,
    check_join_delay,
    check_template,
    render,
    render_welcome_card,
    with_join_role,
)
from botfleet.cache import CacheHierarchy, MemoryCache
from botfleet.database import Database

FACTS = MemberFacts(mention="<@42>", name="Ada", server="Language Club", member_count=128)


def test_placeholders_are_filled() -> None:
    assert render(DEFAULT_WELCOME, FACTS) == (
        "👋 Welcome to **Language Club**, <@42>! You are member #128."
    )
    template = check_template("Hi {name} ({user}), {{literally}} #{member_count} of {server}")
    assert render(template, FACTS) == "Hi Ada (<@42>), {literally} #128 of Language Club"


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("  ", "empty"),
        ("x" * 1501, "at most 1,500"),
        ("Hello {usr}", "don't know the placeholder {usr}"),
        ("Hello {user.id}", "don't know the placeholder"),
        ("Hello {}", "don't know the placeholder"),
        ("Hello {user!r}", "don't know the placeholder"),
        ("Hello {name:>10}", "don't know the placeholder"),
        ("Hello {user", "unmatched"),
    ],
)
def test_bad_templates_are_refused_with_the_reason(template: str, message: str) -> None:
    with pytest.raises(WelcomeError, match=message):
        check_template(template)


def test_the_card_is_a_png_of_the_expected_size_with_or_without_a_picture() -> None:
    avatar = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 10, 10)).save(avatar, format="PNG")
    for picture in (None, avatar.getvalue(), b"not an image"):
        card = WelcomeCard(
            1, "A very long display name indeed, longer than fits", "Club", 9, picture
        )
        with Image.open(io.BytesIO(render_welcome_card(card))) as image:
            assert image.format == "PNG" and image.size == CARD_SIZE
    red = WelcomeCard(1, "Ada", "Club", 9, avatar.getvalue())
    with Image.open(io.BytesIO(render_welcome_card(red))) as image:
        assert image.convert("RGB").getpixel((148, 160)) == (200, 10, 10)  # the avatar's middle


async def test_settings_start_off_and_keep_what_is_not_changed(database: Database) -> None:
    store = WelcomeStore(database, CacheHierarchy(MemoryCache(max_entries=100)))
    assert (await store.get(5)).welcome_channel_id is None
    await store.update(5, welcome_channel_id=100, welcome_message="Hi {user}", welcome_card=True)
    config = await store.update(5, goodbye_channel_id=200)
    assert (config.welcome_channel_id, config.welcome_template, config.welcome_card) == (
        100,
        "Hi {user}",
        True,
    )
    assert config.goodbye_channel_id == 200 and config.goodbye_template.startswith("👋")
    assert (await store.update(5, welcome_channel_id=None)).welcome_channel_id is None
    config = await store.update(6, join_role_ids=with_join_role((), 10), join_role_delay=60)
    assert (config.join_role_ids, config.join_role_delay) == ((10,), 60)
    with pytest.raises(WelcomeError, match="already given on join"):
        with_join_role(config.join_role_ids, 10)
    with pytest.raises(WelcomeError, match="At most 10"):
        with_join_role(tuple(range(10)), 99)
    with pytest.raises(WelcomeError, match="up to 7 days"):
        check_join_delay(8 * 24 * 3600)
    with pytest.raises(ValueError, match="not welcome settings"):
        await store.update(5, colour="red")
