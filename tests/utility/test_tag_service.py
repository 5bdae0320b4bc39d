"""Tags without Discord, on SQLite and the real PostgreSQL: names, owners, races and privacy."""

from __future__ import annotations

import asyncio

import pytest

from botfleet.bots.utility.services.tags import (
    MAX_CONTENT_LENGTH,
    NotTagOwnerError,
    TagError,
    TagNameTakenError,
    TagNotFoundError,
    TagService,
    clean_name,
)
from botfleet.database import Database
from botfleet.services.privacy import registry

GUILD, OTHER_GUILD = 10, 11
ALICE, BOB = 1, 2


@pytest.fixture
def tags(database: Database) -> TagService:
    return TagService(database, max_tags_per_member=3)


async def test_a_tag_is_found_by_its_name_in_any_case_and_counts_its_uses(
    tags: TagService,
) -> None:
    created = await tags.create(GUILD, ALICE, "  House   Rules ", "Be kind.\nNo spam.")
    assert created.name == "House Rules"
    assert (await tags.use(GUILD, "house rules")).content == "Be kind.\nNo spam."
    assert (await tags.use(GUILD, "HOUSE  RULES")).uses == 2
    with pytest.raises(TagNotFoundError, match="no tag called “house rules”"):
        await tags.get(OTHER_GUILD, "house rules")  # tags belong to their server


async def test_a_name_is_taken_whatever_its_case_even_when_two_race_for_it(
    tags: TagService,
) -> None:
    results = await asyncio.gather(
        tags.create(GUILD, ALICE, "faq", "one"),
        tags.create(GUILD, BOB, "FAQ", "two"),
        return_exceptions=True,
    )
    assert sum(isinstance(result, TagNameTakenError) for result in results) == 1
    assert len(await tags.all(GUILD)) == 1
    await tags.create(OTHER_GUILD, BOB, "faq", "another server, another tag")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "needs a name"),
        ("x" * 51, "at most 50"),
        ("<@123>", "may use letters"),
        ("-dash", "must start with a letter"),
    ],
)
def test_bad_names_are_refused(name: str, message: str) -> None:
    with pytest.raises(TagError, match=message):
        clean_name(name)


async def test_bad_text_and_too_many_tags_are_refused(tags: TagService) -> None:
    with pytest.raises(TagError, match="needs some text"):
        await tags.create(GUILD, ALICE, "empty", "   ")
    with pytest.raises(TagError, match="at most 2,000"):
        await tags.create(GUILD, ALICE, "long", "x" * (MAX_CONTENT_LENGTH + 1))
    for index in range(3):
        await tags.create(GUILD, ALICE, f"tag {index}", "text")
    with pytest.raises(TagError, match="already own 3 tags"):
        await tags.create(GUILD, ALICE, "one more", "text")


async def test_only_the_owner_or_a_moderator_changes_a_tag(tags: TagService) -> None:
    await tags.create(GUILD, ALICE, "faq", "first")
    with pytest.raises(NotTagOwnerError, match="only they or a moderator can edit"):
        await tags.edit(GUILD, "faq", "hacked", actor_id=BOB, moderator=False)
    with pytest.raises(NotTagOwnerError, match="delete"):
        await tags.delete(GUILD, "faq", actor_id=BOB, moderator=False)
    assert (await tags.edit(GUILD, "faq", "second", actor_id=ALICE, moderator=False)).content == (
        "second"
    )
    assert (await tags.edit(GUILD, "FAQ", "mod", actor_id=BOB, moderator=True)).content == "mod"
    await tags.delete(GUILD, "faq", actor_id=BOB, moderator=True)
    assert await tags.all(GUILD) == []


async def test_autocomplete_puts_names_starting_with_the_text_first(tags: TagService) -> None:
    for name in ("rules", "server rules", "roles", "a_b"):
        await tags.create(GUILD, ALICE if name != "a_b" else BOB, name, "text")
    assert await tags.search(GUILD, "ru") == ["rules", "server rules"]
    assert await tags.search(GUILD, "%") == []  # LIKE wildcards typed are just characters
    assert await tags.search(GUILD, "_") == ["a_b"]
    assert len(await tags.search(GUILD, "")) == 4


async def test_a_members_tags_go_with_a_deletion_request(
    tags: TagService, database: Database
) -> None:
    await tags.create(GUILD, ALICE, "mine", "text")
    await tags.create(GUILD, BOB, "theirs", "text")
    report = await registry.delete_user(database, ALICE)
    assert report["tags"] == 1
    assert [tag.name for tag in await tags.all(GUILD)] == ["theirs"]
