"""Records, the all-time board and the daily post's time zone, end to end through the stand-in."""

from __future__ import annotations

from pathlib import Path

from botfleet.bots.spelling_bee.bot import DEFINITION
from botfleet.bots.spelling_bee.services.game import BeeService
from botfleet.bots.spelling_bee.services.puzzle import Puzzle, word_score
from botfleet.core.bot import FleetBot
from botfleet.sandbox import DiscordSandbox, InteractionHandle, Message
from botfleet.sandbox.fleet import fleet_test_settings, run_fleet_bot
from botfleet.utils.wording import plural


def service_of(bot: FleetBot) -> BeeService:
    service = getattr(bot.get_cog("Spelling Bee"), "service", None)
    assert isinstance(service, BeeService)
    return service


def fields(message: Message) -> dict[str, str]:
    [embed] = message.embeds
    return {str(item["name"]): str(item["value"]) for item in embed.get("fields", [])}


async def answered(handle: InteractionHandle) -> Message:
    response = await handle.wait_for_response()
    assert response.message is not None
    return response.message


def two_words(puzzle: Puzzle) -> tuple[str, str]:
    pangram = sorted(puzzle.pangrams)[0]
    other = min(puzzle.answers - puzzle.pangrams, key=lambda word: (len(word), word))
    return pangram, other


async def test_records_and_the_all_time_board_after_finds(
    discord_sandbox: DiscordSandbox, tmp_path: Path
) -> None:
    app = discord_sandbox.add_application("Spelling Bee Bot")
    guild = discord_sandbox.create_guild("Word Games", bots=[app])
    alice, bob = guild.add_member("alice"), guild.add_member("bob")
    general = guild.channel("general")
    settings = fleet_test_settings("spelling_bee", tmp_path)
    async with run_fleet_bot(discord_sandbox, app, DEFINITION, settings) as bot:
        service = service_of(bot)
        pangram, other = two_words(await service.puzzle(service.today()))
        for member, word in ((alice, pangram), (bob, other)):
            await answered(
                await member.run_command(general, app, "bee", {"word": word}, subcommand="guess")
            )

        record = fields(
            await answered(await alice.run_command(general, app, "bee", subcommand="stats"))
        )
        assert record["Days played"] == "1" and record["Words found"] == "1"
        assert record["Pangrams"] == "1" and record["Points"] == str(word_score(pangram))
        assert record["Streak"] == "1 day (best 1)"
        assert "No games yet" in record["🎙️ Classic spelling bee"]

        bobs = await answered(
            await alice.run_command(
                general, app, "bee", {"member": bob, "mode": "puzzle"}, subcommand="stats"
            )
        )
        assert bobs.embeds[0]["title"] == "Spelling Bee record of bob"
        assert fields(bobs)["Points"] == str(word_score(other))
        assert "🎙️ Classic spelling bee" not in fields(bobs)

        classic_only = fields(
            await answered(
                await bob.run_command(general, app, "bee", {"mode": "classic"}, subcommand="stats")
            )
        )
        assert "🐝 Daily puzzle" not in classic_only and "🎙️ Classic spelling bee" in classic_only

        board = await answered(
            await bob.run_command(
                general, app, "bee", {"period": "all time"}, subcommand="leaderboard"
            )
        )
        [embed] = board.embeds
        assert embed["title"] == "🏆 Spelling Bee finders of all time"
        assert embed["description"].splitlines() == [
            f"**1.** <@{alice.id}> — {word_score(pangram)} points, 1 word, 1 day, 1 pangram 🐝",
            f"**2.** <@{bob.id}> — {plural(word_score(other), 'point')}, 1 word, 1 day",
        ]


async def test_daily_post_in_the_servers_time_zone(
    discord_sandbox: DiscordSandbox, tmp_path: Path
) -> None:
    app = discord_sandbox.add_application("Spelling Bee Bot")
    guild = discord_sandbox.create_guild("Word Games", bots=[app])
    owner, general = guild.owner, guild.channel("general")
    settings = fleet_test_settings("spelling_bee", tmp_path)
    async with run_fleet_bot(discord_sandbox, app, DEFINITION, settings) as bot:
        handle = await owner.autocomplete(
            general, app, "bee", {"timezone": "pari"}, focused="timezone", subcommand="daily"
        )
        assert (await handle.wait_for_choices())[0]["value"] == "Europe/Paris"

        refused = await (
            await owner.run_command(
                general, app, "bee", {"at": "08:30", "timezone": "UTC+2"}, subcommand="daily"
            )
        ).wait_for_response()
        assert refused.ephemeral and "I don't know the time zone “UTC+2”" in refused.content
        assert await service_of(bot).store.daily_of(guild.id) is None, "nothing was set"

        typo = await (
            await owner.run_command(
                general, app, "bee", {"at": "08:30", "timezone": "Pariss"}, subcommand="daily"
            )
        ).wait_for_response()
        assert typo.ephemeral and "Did you mean Europe/Paris" in typo.content

        armed = await (
            await owner.run_command(
                general, app, "bee", {"at": "08:30", "timezone": "paris"}, subcommand="daily"
            )
        ).wait_for_response()
        assert armed.ephemeral and "every day at 08:30 Europe/Paris; next <t:" in armed.content

        moved = await (
            await owner.run_command(
                general, app, "bee", {"timezone": "Asia/Tokyo"}, subcommand="daily"
            )
        ).wait_for_response()
        assert "every day at 08:30 Asia/Tokyo" in moved.content
        post = await service_of(bot).store.daily_of(guild.id)
        assert post is not None and (post.daily_time, post.timezone) == ("08:30", "Asia/Tokyo")

        stopped = await (
            await owner.run_command(general, app, "bee", subcommand="daily")
        ).wait_for_response()
        assert "daily Spelling Bee post is off" in stopped.content
        assert str(await service_of(bot).daily_zone(guild.id)) == "Asia/Tokyo"
