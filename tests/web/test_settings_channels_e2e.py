"""Channels on the settings page come from Discord as the bots see them, and are checked on save.

A member's token lists guilds, not channels: the dashboard reads a guild's channels with the bot's
own token (the host bot for announcements and no-XP channels, the Grammar Bot for auto-check)
through the stand-in's REST API, offers those the bot can use, and refuses any other id posted.
"""

from __future__ import annotations

import re

import pytest
from aiohttp.test_utils import TestServer
from web_helpers import Browser, BrowserFactory, logged_in, settings_form

from botfleet.bots.grammar.services.store import GrammarStore
from botfleet.config.schema import Settings
from botfleet.gamification.guild_settings import (
    MAX_EXCLUDED,
    GuildSettingsService,
    GuildXPConfig,
)
from botfleet.gamification.options import GamificationOptions
from botfleet.sandbox.flags import Permission
from botfleet.sandbox.models import Application
from botfleet.sandbox.scripting.guilds import SandboxGuild
from botfleet.sandbox.server import DiscordSandbox
from botfleet.web.channels import (
    ADD_REACTIONS,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    GuildChannel,
    channel_permissions,
)
from botfleet.web.keys import CACHE_KEY, CHANNELS_KEY, DATABASE_KEY

RELEVANT = VIEW_CHANNEL | SEND_MESSAGES | READ_MESSAGE_HISTORY | ADD_REACTIONS


def xp_form(csrf_token: str, **changes: str) -> dict[str, str]:
    """The settings form announcing level-ups in a chosen channel, with ``changes``."""
    return settings_form(csrf_token, **{"announcement_mode": "chosen_channel", **changes})


async def stored_config(dashboard: TestServer, guild_id: int) -> GuildXPConfig:
    app = dashboard.app
    options = GamificationOptions.from_settings(Settings())
    return await GuildSettingsService(app[DATABASE_KEY], app[CACHE_KEY], options).get(guild_id)


def options_of(page: str, select_id: str) -> list[str]:
    """The labels a ``<select>`` of the page offers."""
    match = re.search(rf'<select id="{select_id}"[^>]*>(.*?)</select>', page, re.S)
    assert match is not None, select_id
    return re.findall(r"<option[^>]*>([^<]*)</option>", match.group(1))


@pytest.fixture
def channels(community: SandboxGuild, fleet_apps: dict[str, Application]) -> SandboxGuild:
    """Readers' Club with the fleet's bots and three more text channels."""
    community.add_text_channel("announcements")
    community.add_text_channel("quiet")
    community.add_text_channel("staff")
    return community


async def deny(guild: SandboxGuild, channel: str, target_role: str, permission: Permission) -> None:
    await guild.channel(channel).set_permissions(guild.role(target_role), deny=permission)


async def admin(browser_for: BrowserFactory, guild: SandboxGuild) -> Browser:
    return await logged_in(browser_for, guild, "ada")


async def test_the_page_offers_the_channels_each_bot_can_use(
    browser_for: BrowserFactory, channels: SandboxGuild
) -> None:
    await deny(channels, "quiet", "utility", Permission.SEND_MESSAGES)
    await deny(channels, "staff", "@everyone", Permission.VIEW_CHANNEL)
    await deny(channels, "staff", "utility", Permission.VIEW_CHANNEL)
    await channels.channel("staff").set_permissions(
        channels.role("grammar"), allow=Permission.VIEW_CHANNEL
    )
    ada = await admin(browser_for, channels)

    page = await (await ada.http.get(f"/guilds/{channels.id}/settings")).text()

    assert options_of(page, "announcement_channel_id") == [
        "No channel",
        "#general",
        "#announcements",
    ], "not #quiet (no Send Messages), #staff (hidden), a voice channel or a category"
    assert set(options_of(page, "no_xp_channel_ids")) == {
        "#general",
        "General (voice)",
        "#announcements",
        "#quiet",
        "#staff",
    }
    assert options_of(page, "autocheck_channel_id") == [
        "#general",
        "#announcements",
        "#quiet",
        "#staff",
    ], "the Grammar Bot's own overwrite lets it into #staff"


async def test_an_admin_picks_channels_from_the_lists(
    browser_for: BrowserFactory, channels: SandboxGuild, dashboard: TestServer
) -> None:
    ada = await admin(browser_for, channels)
    announcements = channels.channel("announcements").id
    voice = channels.channel("General").id
    form = xp_form(await ada.csrf_token(), announcement_channel_id=str(announcements))

    saved = await ada.http.post(
        f"/guilds/{channels.id}/settings",
        data=[
            *form.items(),
            ("no_xp_channel_ids", str(voice)),
            ("no_xp_channel_ids", str(announcements)),
        ],
        allow_redirects=False,
    )

    assert saved.status == 303, await saved.text()
    config = await stored_config(dashboard, channels.id)
    assert config.announcement_channel_id == announcements
    assert config.no_xp_channel_ids == {voice, announcements}
    page = await (await ada.http.get(saved.headers["Location"])).text()
    assert re.search(rf'<option value="{announcements}" selected>#announcements', page)


async def test_a_channel_of_another_server_is_refused_and_nothing_changes(
    browser_for: BrowserFactory,
    channels: SandboxGuild,
    discord_sandbox: DiscordSandbox,
    fleet_apps: dict[str, Application],
    dashboard: TestServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    elsewhere = discord_sandbox.create_guild("Other Club", bots=list(fleet_apps.values()))
    forged = elsewhere.add_text_channel("their-news").id
    ada = await admin(browser_for, channels)
    token = await ada.csrf_token()
    before = await stored_config(dashboard, channels.id)

    with caplog.at_level("INFO"):
        refused = await ada.http.post(
            f"/guilds/{channels.id}/settings",
            data=xp_form(token, announcement_channel_id=str(forged), command_xp="9"),
        )
        no_xp = await ada.http.post(
            f"/guilds/{channels.id}/settings",
            data=xp_form(token, announcement_mode="dm", no_xp_channel_ids=str(forged)),
        )
        grammar = await ada.http.post(
            f"/guilds/{channels.id}/grammar",
            data={"csrf_token": token, "channel_id": str(forged), "action": "enable"},
        )

    for response in (refused, no_xp, grammar):
        assert response.status == 400
        assert "That channel is not in this server" in await response.text()
    assert f"refused channel {forged}: not a channel of guild {channels.id}" in caplog.text
    assert await stored_config(dashboard, channels.id) == before
    assert await GrammarStore(dashboard.app[DATABASE_KEY]).channels(channels.id) == []


@pytest.mark.parametrize(
    ("channel", "message"),
    [
        ("quiet", "The Utility Bot cannot announce level-ups in #quiet: it lacks Send Messages"),
        ("General", "General (voice) is not a text channel"),
        ("Text Channels", "Text Channels (category) is not a text channel"),
    ],
)
async def test_an_announcement_channel_the_bot_cannot_post_in_is_refused(
    browser_for: BrowserFactory,
    channels: SandboxGuild,
    dashboard: TestServer,
    channel: str,
    message: str,
) -> None:
    await deny(channels, "quiet", "utility", Permission.SEND_MESSAGES)
    ada = await admin(browser_for, channels)
    form = xp_form(
        await ada.csrf_token(), announcement_channel_id=str(channels.channel(channel).id)
    )

    response = await ada.http.post(f"/guilds/{channels.id}/settings", data=form)

    assert response.status == 400
    assert message in await response.text()
    assert (await stored_config(dashboard, channels.id)).announcement_channel_id is None


async def test_auto_check_is_refused_where_the_grammar_bot_cannot_react(
    browser_for: BrowserFactory, channels: SandboxGuild, dashboard: TestServer
) -> None:
    await deny(channels, "quiet", "grammar", Permission.ADD_REACTIONS)
    ada = await admin(browser_for, channels)

    response = await ada.http.post(
        f"/guilds/{channels.id}/grammar",
        data={
            "csrf_token": await ada.csrf_token(),
            "channel_id": str(channels.channel("quiet").id),
            "action": "enable",
        },
    )

    assert response.status == 400
    assert "The Grammar Bot cannot check messages in #quiet: it lacks Add Reactions" in (
        await response.text()
    )
    assert await GrammarStore(dashboard.app[DATABASE_KEY]).channels(channels.id) == []


async def test_too_many_no_xp_channels_change_nothing(
    browser_for: BrowserFactory, channels: SandboxGuild, dashboard: TestServer
) -> None:
    many = [channels.add_text_channel(f"room-{number}").id for number in range(MAX_EXCLUDED + 1)]
    ada = await admin(browser_for, channels)
    form = xp_form(await ada.csrf_token(), announcement_mode="dm", command_xp="13")

    response = await ada.http.post(
        f"/guilds/{channels.id}/settings",
        data=[*form.items(), *(("no_xp_channel_ids", str(id_)) for id_ in many)],
    )

    assert response.status == 400
    assert f"at most {MAX_EXCLUDED} channels" in await response.text()
    config = await stored_config(dashboard, channels.id)
    assert (config.command_xp, config.no_xp_channel_ids) == (5, frozenset())


async def test_many_forged_ids_cost_one_fresh_read_of_discord(
    browser_for: BrowserFactory,
    channels: SandboxGuild,
    dashboard: TestServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reader = dashboard.app[CHANNELS_KEY]
    reads: list[str] = []
    read = reader._read

    async def counted(bot: str, guild_id: int) -> list[GuildChannel]:
        reads.append(bot)
        return await read(bot, guild_id)

    monkeypatch.setattr(reader, "_read", counted)
    ada = await admin(browser_for, channels)
    form = xp_form(await ada.csrf_token(), announcement_mode="dm")
    forged = [str(10**17 + number) for number in range(20)]

    response = await ada.http.post(
        f"/guilds/{channels.id}/settings",
        data=[*form.items(), *(("no_xp_channel_ids", id_) for id_ in forged)],
    )

    assert response.status == 400
    assert (await response.text()).count("That channel is not in this server") == len(forged)
    assert reads.count("utility") == 2, "the cached list, then one fresh read for all 20"


async def test_the_list_is_cached_briefly_and_a_channel_made_since_is_still_accepted(
    browser_for: BrowserFactory, channels: SandboxGuild, dashboard: TestServer
) -> None:
    ada = await admin(browser_for, channels)
    settings = f"/guilds/{channels.id}/settings"
    await ada.http.get(settings)
    made = channels.add_text_channel("made-since").id

    page = await (await ada.http.get(settings)).text()
    saved = await ada.http.post(
        settings,
        data=xp_form(await ada.csrf_token(), announcement_channel_id=str(made)),
        allow_redirects=False,
    )

    assert "#made-since" not in options_of(page, "announcement_channel_id"), "from the cache"
    assert saved.status == 303, "looked up afresh when the cached list lacks it"
    assert (await stored_config(dashboard, channels.id)).announcement_channel_id == made


async def test_a_bot_missing_from_the_server_is_named_and_its_channels_refused(
    browser_for: BrowserFactory,
    channels: SandboxGuild,
    discord_sandbox: DiscordSandbox,
    dashboard: TestServer,
) -> None:
    await channels.remove_member(channels.member("utility"))
    ada = await admin(browser_for, channels)

    page = await (await ada.http.get(f"/guilds/{channels.id}/settings")).text()
    refused = await ada.http.post(
        f"/guilds/{channels.id}/settings",
        data=xp_form(
            await ada.csrf_token(), announcement_channel_id=str(channels.channel("general").id)
        ),
    )

    assert "The Utility Bot is not in this server: add it first" in page
    assert options_of(page, "announcement_channel_id") == ["No channel"]
    assert refused.status == 400
    assert "The Utility Bot is not in this server" in await refused.text()
    assert (await stored_config(dashboard, channels.id)).announcement_channel_id is None


async def test_while_discord_fails_stored_channels_stay_and_other_settings_save(
    browser_for: BrowserFactory,
    channels: SandboxGuild,
    discord_sandbox: DiscordSandbox,
    fleet_apps: dict[str, Application],
    dashboard: TestServer,
) -> None:
    ada = await admin(browser_for, channels)
    general = str(channels.channel("general").id)
    token = await ada.csrf_token()
    settings = f"/guilds/{channels.id}/settings"
    chosen = await ada.http.post(
        settings, data=xp_form(token, announcement_channel_id=general), allow_redirects=False
    )
    assert chosen.status == 303
    await dashboard.app[CACHE_KEY].invalidate(f"web:channels:utility:{channels.id}")
    discord_sandbox.force_outage(
        "GET /guilds/{guild_id}/channels", status=503, times=None, application=fleet_apps["utility"]
    )

    page = await (await ada.http.get(settings)).text()
    again = await ada.http.post(
        settings,
        data=xp_form(token, announcement_channel_id=general, command_xp="11"),
        allow_redirects=False,
    )
    other = await ada.http.post(
        settings,
        data=xp_form(token, announcement_channel_id=str(channels.channel("quiet").id)),
    )

    assert "Discord did not tell us this server&#39;s channels just now" in page
    assert "(not found in this server)" in page, "the stored channel is still shown"
    assert again.status == 303, "an unchanged channel needs no check"
    assert (await stored_config(dashboard, channels.id)).command_xp == 11
    assert other.status == 400, "a new one cannot be checked, so it is refused"
    assert (await stored_config(dashboard, channels.id)).announcement_channel_id == int(general)


async def test_without_the_bots_token_the_page_says_so_and_saves_the_rest(
    browser_for: BrowserFactory,
    channels: SandboxGuild,
    dashboard: TestServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    dashboard.app[CHANNELS_KEY].tokens = {}
    ada = await admin(browser_for, channels)
    settings = f"/guilds/{channels.id}/settings"

    with caplog.at_level("ERROR", logger="botfleet.web.channels"):
        page = await (await ada.http.get(settings)).text()
        await ada.http.get(settings)
    saved = await ada.http.post(
        settings,
        data=xp_form(await ada.csrf_token(), announcement_mode="dm", command_xp="12"),
        allow_redirects=False,
    )

    assert "cannot see the server&#39;s channels as the Utility Bot" in page
    assert caplog.text.count("the dashboard has no token of the utility bot") == 1
    assert saved.status == 303
    assert (await stored_config(dashboard, channels.id)).command_xp == 12


async def test_the_bots_permissions_are_worked_out_as_discord_does(
    channels: SandboxGuild,
    discord_sandbox: DiscordSandbox,
    fleet_apps: dict[str, Application],
    dashboard: TestServer,
) -> None:
    utility = fleet_apps["utility"].bot_user
    extra = channels.add_role("helpers", permissions=Permission.MANAGE_MESSAGES)
    await channels.give_role(channels.member("utility"), extra)
    everyone, own_role = channels.role("@everyone"), channels.role("utility")
    await channels.channel("quiet").set_permissions(own_role, deny=Permission.SEND_MESSAGES)
    await channels.channel("quiet").set_permissions(extra, allow=Permission.SEND_MESSAGES)
    await channels.channel("staff").set_permissions(everyone, deny=Permission.VIEW_CHANNEL)
    await channels.channel("announcements").set_permissions(
        channels.member("utility"), deny=Permission.ADD_REACTIONS
    )
    await channels.channel("general").set_permissions(own_role, deny=Permission.VIEW_CHANNEL)
    await channels.channel("general").set_permissions(
        channels.member("utility"), allow=Permission.VIEW_CHANNEL
    )

    listed = await dashboard.app[CHANNELS_KEY].channels("utility", channels.id)

    assert len(listed) == len(channels.guild.channels)
    for channel in listed:
        expected = discord_sandbox.state.channel_permissions(
            discord_sandbox.state.channels[channel.id], utility.id
        )
        assert channel.permissions & RELEVANT == expected & RELEVANT, channel.name
    assert [channel.name for channel in listed if channel.permissions & Permission.SEND_MESSAGES]


def test_administrator_holds_every_permission_whatever_the_overwrites() -> None:
    denied = [{"id": "1", "type": 0, "allow": "0", "deny": str(1 << 10)}]
    assert channel_permissions(1 << 3, denied, 1, set(), 2) & (1 << 10)
    assert channel_permissions(1 << 10, denied, 1, set(), 2) == 0
