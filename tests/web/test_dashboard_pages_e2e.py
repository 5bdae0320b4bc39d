"""The dashboard's pages after a Discord login: profile, servers, leaderboard, settings."""

from __future__ import annotations

import html
import re

import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import update
from web_helpers import BrowserFactory, all_time_xp, logged_in, record_activity, settings_form

from botfleet.auth.tokens import TokenStore
from botfleet.bots.grammar.services.autocheck import AutoCheckChannels
from botfleet.bots.grammar.services.issues import Strictness
from botfleet.bots.grammar.services.store import GrammarStore
from botfleet.config.schema import Settings
from botfleet.database import Database
from botfleet.database.models import LeaderboardEntry, User
from botfleet.gamification.guild_settings import GuildSettingsService
from botfleet.gamification.options import AnnouncementMode, GamificationOptions
from botfleet.sandbox.scripting.guilds import SandboxGuild
from botfleet.sandbox.server import DiscordSandbox
from botfleet.web.dashboard import leaderboard_is_public, profile_of, set_leaderboard_public
from botfleet.web.keys import CACHE_KEY, DATABASE_KEY


async def test_a_visitor_is_sent_to_log_in_and_back(browser_for: BrowserFactory) -> None:
    browser = await browser_for()
    response = await browser.http.get("/profile", allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == "/login?next=/profile"


async def test_the_profile_shows_level_xp_achievements_and_premium(
    browser_for: BrowserFactory, community: SandboxGuild, web_database: Database
) -> None:
    browser = await logged_in(browser_for, community, "ada")
    await record_activity(web_database, community)
    response = await browser.http.get("/profile")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    page = await response.text()
    for expected in ("ada", "1,250", "First Word", "rare", "Tier 1", "Hangman", "42"):
        assert expected in page, expected
    profile = await profile_of(web_database, community.member("ada").id)
    assert profile is not None and profile.guilds[0].xp == 1250


async def test_an_admin_changes_the_settings_and_opens_the_leaderboard(
    browser_for: BrowserFactory,
    community: SandboxGuild,
    web_database: Database,
    dashboard: TestServer,
) -> None:
    await record_activity(web_database, community)
    visitor = await browser_for()
    closed = await visitor.http.get(f"/guilds/{community.id}/leaderboard")
    assert closed.status == 404

    ada = await logged_in(browser_for, community, "ada")
    servers = await (await ada.http.get("/guilds")).text()
    assert "Readers&#39; Club" in servers
    assert f"/guilds/{community.id}/settings" in servers
    form_page = await ada.http.get(f"/guilds/{community.id}/settings")
    assert form_page.status == 200
    token = await ada.csrf_token()
    general, voice = community.channel("general").id, community.channel("General").id
    chosen = settings_form(
        token,
        announcement_mode="chosen_channel",
        announcement_channel_id=str(general),
        no_xp_channel_ids=f"{general}, {voice}",
    )
    saved = await ada.http.post(
        f"/guilds/{community.id}/settings", data=chosen, allow_redirects=False
    )
    assert saved.status == 303, await saved.text()
    after = await (await ada.http.get(saved.headers["Location"])).text()
    assert "Saved." in after

    app = dashboard.app
    service = GuildSettingsService(
        app[DATABASE_KEY], app[CACHE_KEY], GamificationOptions.from_settings(Settings())
    )
    config = await service.get(community.id)
    assert (config.message_xp_min, config.message_xp_max, config.command_xp) == (10, 20, 7)
    assert config.announcement_mode is AnnouncementMode.CHOSEN_CHANNEL
    assert config.announcement_channel_id == general
    assert config.no_xp_channel_ids == {general, voice}
    assert await leaderboard_is_public(web_database, community.id)

    board = await (await visitor.http.get(f"/guilds/{community.id}/leaderboard")).text()
    assert board.index("ada") < board.index("bert")
    assert "1,250" in board


async def test_settings_are_refused_without_manage_server_or_csrf_token(
    browser_for: BrowserFactory, community: SandboxGuild, web_database: Database
) -> None:
    bert = await logged_in(browser_for, community, "bert")
    assert (await bert.http.get(f"/guilds/{community.id}/settings")).status == 403
    token = await bert.csrf_token()
    refused = await bert.http.post(f"/guilds/{community.id}/settings", data=settings_form(token))
    assert refused.status == 403
    ada = await logged_in(browser_for, community, "ada")
    forged = await ada.http.post(f"/guilds/{community.id}/settings", data=settings_form("x"))
    assert forged.status == 403
    assert not await leaderboard_is_public(web_database, community.id)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"message_xp_min": "30", "message_xp_max": "5"}, "cannot be above"),
        ({"command_xp": "lots"}, "Command XP must be a whole number"),
        ({"no_xp_channel_ids": "general"}, "is not a channel id"),
        ({"announcement_mode": "everywhere"}, "Choose where level-ups"),
    ],
)
async def test_invalid_settings_change_nothing_and_say_why(
    browser_for: BrowserFactory,
    community: SandboxGuild,
    web_database: Database,
    changes: dict[str, str],
    message: str,
) -> None:
    ada = await logged_in(browser_for, community, "ada")
    token = await ada.csrf_token()
    response = await ada.http.post(
        f"/guilds/{community.id}/settings", data=settings_form(token, **changes)
    )
    assert response.status == 400
    assert message in await response.text()
    assert not await leaderboard_is_public(web_database, community.id)


async def test_a_member_who_revoked_the_app_on_discord_logs_in_again(
    browser_for: BrowserFactory,
    community: SandboxGuild,
    discord_sandbox: DiscordSandbox,
    token_store: TokenStore,
) -> None:
    ada = await logged_in(browser_for, community, "ada")
    discord_sandbox.rest.oauth2.grants[-1].revoked = True  # Authorized Apps > Deauthorize
    response = await ada.http.get(f"/guilds/{community.id}/settings", allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == f"/login?next=/guilds/{community.id}/settings"
    assert await token_store.load(community.member("ada").id) is None
    assert "Log in with Discord" in await (await ada.http.get("/")).text()


async def test_an_admin_starts_and_stops_the_grammar_bots_auto_check_in_a_channel(
    browser_for: BrowserFactory, community: SandboxGuild, dashboard: TestServer
) -> None:
    channel_id = community.channel("general").id
    ada = await logged_in(browser_for, community, "ada")
    token = await ada.csrf_token()
    grammar = f"/guilds/{community.id}/grammar"
    app = dashboard.app
    channels = AutoCheckChannels(GrammarStore(app[DATABASE_KEY]), app[CACHE_KEY])
    assert await channels.strictness_in(community.id, channel_id) is None, "cached as unchecked"

    enabled = await ada.http.post(
        grammar,
        data={
            "csrf_token": token,
            "channel_id": str(channel_id),
            "strictness": "strict",
            "action": "enable",
        },
        allow_redirects=False,
    )

    assert enabled.status == 303
    page = await (await ada.http.get(enabled.headers["Location"])).text()
    assert "The Grammar Bot checks the channels listed now." in page
    assert f"Stop checking channel {channel_id}" in page
    assert "<td>#general</td>" in page, "the channel by its name, as the Grammar Bot sees it"
    assert await channels.strictness_in(community.id, channel_id) is Strictness.STRICT
    (listed,) = await channels.list(community.id)
    assert listed.enabled_by == community.member("ada").id

    stop = {"csrf_token": token, "channel_id": str(channel_id), "action": "disable"}
    assert (await ada.http.post(grammar, data=stop)).status == 200
    assert await channels.strictness_in(community.id, channel_id) is None


@pytest.mark.parametrize(
    ("name", "fields", "status"),
    [
        ("bert", {"channel_id": "333333333333333333", "action": "enable"}, 403),
        ("ada", {"channel_id": "general", "action": "enable"}, 400),
        (
            "ada",
            {"channel_id": "333333333333333333", "strictness": "harsh", "action": "enable"},
            400,
        ),
        ("ada", {"channel_id": "333333333333333333", "action": "explode"}, 400),
        ("ada", {"channel_id": "333333333333333333", "action": "enable", "csrf_token": "x"}, 403),
    ],
)
async def test_auto_check_changes_are_refused_without_manage_server_or_valid_fields(
    browser_for: BrowserFactory,
    community: SandboxGuild,
    dashboard: TestServer,
    name: str,
    fields: dict[str, str],
    status: int,
) -> None:
    member = await logged_in(browser_for, community, name)
    form = {"csrf_token": await member.csrf_token(), **fields}

    response = await member.http.post(f"/guilds/{community.id}/grammar", data=form)

    assert response.status == status
    store = GrammarStore(dashboard.app[DATABASE_KEY])
    assert await store.channels(community.id) == []


async def test_the_profile_names_the_members_servers_from_the_cached_guild_list(
    browser_for: BrowserFactory,
    community: SandboxGuild,
    discord_sandbox: DiscordSandbox,
    web_database: Database,
) -> None:
    await record_activity(web_database, community)
    ada = await logged_in(browser_for, community, "ada")
    first = await (await ada.http.get("/profile")).text()
    discord_sandbox.rest.oauth2.grants[-1].revoked = True  # Discord would refuse another read

    again = await ada.http.get("/profile", allow_redirects=False)

    assert "<td>Readers&#39; Club</td>" in first
    assert str(community.id) not in first
    assert again.status == 200, "the names came from the cache, not from Discord"
    assert "<td>Readers&#39; Club</td>" in await again.text()
    settings = await ada.http.get(f"/guilds/{community.id}/settings", allow_redirects=False)
    assert settings.status == 303, "permissions are always read from Discord"


ROW = re.compile(
    r'<tr><td class="number">(\d+)</td><td>Member (\d+)</td><td class="number">([\d,]+)'
)
NEXT = re.compile(r'<a href="\?([^"]+)">Next</a>')


def rows_of(page: str) -> list[tuple[int, int, int]]:
    """The rank, member and XP of each row of a leaderboard page."""
    return [(int(r), int(m), int(xp.replace(",", ""))) for r, m, xp in ROW.findall(page)]


async def test_the_leaderboards_next_link_reads_on_from_the_last_member_shown(
    browser_for: BrowserFactory, community: SandboxGuild, web_database: Database
) -> None:
    """261 members: eleven pages of 25, the tenth's Next link ranked apart from the first ten.
    A member of page 11 climbs to the top before it is followed: page 11 starts with the
    member ranked right after the last one page 10 showed (it listed that one twice). Links
    the page did not write are refused."""
    members = [10**17 + index for index in range(261)]
    async with web_database.session() as session:
        session.add_all(User(id=member, username="") for member in members)
        await session.flush()
        session.add_all(
            all_time_xp(member, community.id, 10_000 - 10 * index)
            for index, member in enumerate(members)
        )
        await session.commit()
    await set_leaderboard_public(web_database, community.id, True, members[0])
    visitor = await browser_for()
    url = f"/guilds/{community.id}/leaderboard"
    tenth = await (await visitor.http.get(f"{url}?page=10")).text()
    assert [member for _, member, _ in rows_of(tenth)] == members[225:250]
    link = NEXT.search(tenth)
    assert link is not None, tenth

    async with web_database.session() as session:
        await session.execute(
            update(LeaderboardEntry)
            .where(LeaderboardEntry.user_id == members[255])
            .values(value=50_000)
        )
        await session.commit()
    eleventh = await (await visitor.http.get(f"{url}?{html.unescape(link[1])}")).text()
    shown = rows_of(eleventh)
    assert [member for _, member, _ in shown] == [*members[250:255], *members[256:]]
    assert shown[0][0] == 252  # its rank now, behind the climber

    for forged in ("after=abc", "after=1.2&before=1.2", f"after={2**40}.5", "before=5.0"):
        assert (await visitor.http.get(f"{url}?page=11&{forged}")).status == 400, forged
