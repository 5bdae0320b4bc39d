"""Autocomplete: a member types into an option, the bot suggests, Discord's limits apply."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands

from botfleet.sandbox import (
    Application,
    DiscordSandbox,
    InteractionCallbackType,
    SandboxGuild,
    SandboxScriptError,
)

BotFactory = Callable[..., commands.Bot]
SONGS = ["Never Gonna Give You Up", "Nevermind", "New Order", "Blue Monday"]


def music_bot(make_bot: BotFactory, seen: list[Any]) -> commands.Bot:
    bot = make_bot()

    async def suggest_song(interaction: discord.Interaction, current: str) -> list[Any]:
        seen.append((current, interaction.namespace.volume))
        return [
            app_commands.Choice(name=song, value=song)
            for song in SONGS
            if song.lower().startswith(current.lower())
        ]

    async def suggest_volume(interaction: discord.Interaction, current: str) -> list[Any]:
        return [app_commands.Choice(name=f"{v}%", value=v) for v in (25, 50, 100)]

    async def suggest_too_many(interaction: discord.Interaction, current: str) -> list[Any]:
        return [app_commands.Choice(name=f"option {n}", value=str(n)) for n in range(30)]

    @bot.tree.command(description="Play a song")
    @app_commands.autocomplete(song=suggest_song, volume=suggest_volume)
    async def play(interaction: discord.Interaction, song: str, volume: int = 100) -> None:
        await interaction.response.send_message(f"playing {song} at {volume}%")

    @bot.tree.command(description="Offers far too much")
    @app_commands.autocomplete(pick=suggest_too_many)
    async def greedy(interaction: discord.Interaction, pick: str, note: str = "") -> None:
        await interaction.response.send_message(pick)

    return bot


async def test_suggestions_reach_the_member_and_the_command_runs_with_one(
    discord_sandbox: DiscordSandbox,
    sandbox_app: Application,
    sandbox_guild: SandboxGuild,
    make_bot: BotFactory,
) -> None:
    seen: list[Any] = []
    bot = music_bot(make_bot, seen)
    alice = sandbox_guild.add_member("alice")
    general = sandbox_guild.channel("general")
    async with discord_sandbox.run_client(bot, sandbox_app):
        await bot.tree.sync()
        typing = await alice.autocomplete(
            general, sandbox_app, "play", {"song": "nev", "volume": 50}, focused="song"
        )
        choices = await typing.wait_for_choices()
        response = typing.response
        assert response is not None
        assert response.type is InteractionCallbackType.APPLICATION_COMMAND_AUTOCOMPLETE_RESULT
        assert response.message is None
        volume = await (
            await alice.autocomplete(
                general, sandbox_app, "play", {"volume": "5"}, focused="volume"
            )
        ).wait_for_choices()
        answer = await (
            await alice.run_command(
                general, sandbox_app, "play", {"song": choices[0]["value"], "volume": 50}
            )
        ).wait_for_response()
    assert [c["name"] for c in choices] == ["Never Gonna Give You Up", "Nevermind"]
    assert seen == [("nev", 50)]
    assert [c["value"] for c in volume] == [25, 50, 100]
    assert answer.content == "playing Never Gonna Give You Up at 50%"
    assert general.messages() == [answer.message], "autocomplete posts nothing"


async def test_more_than_25_suggestions_are_refused_like_discord(
    discord_sandbox: DiscordSandbox,
    sandbox_app: Application,
    sandbox_guild: SandboxGuild,
    make_bot: BotFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bot = music_bot(make_bot, [])
    alice = sandbox_guild.add_member("alice")
    general = sandbox_guild.channel("general")
    caplog.set_level(logging.ERROR, logger="discord.app_commands.tree")
    async with discord_sandbox.run_client(bot, sandbox_app):
        await bot.tree.sync()
        typing = await alice.autocomplete(
            general, sandbox_app, "greedy", {"pick": ""}, focused="pick"
        )
        with pytest.raises(AssertionError, match="waiting for Test Bot to answer autocomplete"):
            await typing.wait_for_choices(timeout=0.3)
        with pytest.raises(SandboxScriptError, match="'note' does not autocomplete"):
            await alice.autocomplete(general, sandbox_app, "greedy", {"note": "x"}, focused="note")
        with pytest.raises(SandboxScriptError, match="no text for the focused option"):
            await alice.autocomplete(general, sandbox_app, "play", {}, focused="song")
    [refusal] = discord_sandbox.http_errors
    assert (refusal.status, refusal.code) == (400, 50035)
    assert refusal.errors == {
        "data": {
            "choices": {
                "_errors": [
                    {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 25 or fewer in length."}
                ]
            }
        }
    }
    assert "Ignoring exception in autocomplete" in caplog.text


async def test_raw_answers_to_autocomplete_are_checked(
    discord_sandbox: DiscordSandbox, sandbox_app: Application, sandbox_guild: SandboxGuild
) -> None:
    alice = sandbox_guild.add_member("alice")
    general = sandbox_guild.channel("general")
    command = {
        "name": "pick",
        "description": "Pick",
        "options": [
            {"type": 4, "name": "number", "description": "A number", "autocomplete": True},
            {"type": 3, "name": "word", "description": "A word", "autocomplete": True},
        ],
    }
    async with aiohttp.ClientSession() as session:

        async def call(method: str, path: str, body: Any) -> tuple[int, Any]:
            async with session.request(
                method,
                discord_sandbox.api_base + path,
                headers={"Authorization": f"Bot {sandbox_app.token}"},
                json=body,
            ) as response:
                return response.status, await response.json() if response.status != 204 else None

        status, _ = await call("PUT", f"/applications/{sandbox_app.id}/commands", [command])
        assert status == 200

        async def answer(focused: str, body: dict[str, Any]) -> tuple[int, Any]:
            handle = await alice.autocomplete(
                general, sandbox_app, "pick", {focused: "1"}, focused=focused
            )
            interaction = handle.interaction
            return await call(
                "POST", f"/interactions/{interaction.id}/{interaction.token}/callback", body
            )

        status, body = await answer("number", {"type": 4, "data": {"content": "no"}})
        assert (status, body["errors"]["type"]["_errors"][0]["message"]) == (
            400,
            "Value must be one of {8}.",
        )
        status, body = await answer(
            "number", {"type": 8, "data": {"choices": [{"name": "one", "value": "1"}]}}
        )
        assert (status, body["errors"]["data"]["choices"]["0"]["value"]["_errors"][0]["code"]) == (
            400,
            "NUMBER_TYPE_COERCE",
        )
        status, body = await answer(
            "word", {"type": 8, "data": {"choices": [{"name": "", "value": "x" * 101}]}}
        )
        errors = body["errors"]["data"]["choices"]["0"]
        assert (status, sorted(errors)) == (400, ["name", "value"])
        status, _ = await answer(
            "word", {"type": 8, "data": {"choices": [{"name": "One", "value": "one"}]}}
        )
        assert status == 204
        handle = await alice.run_command(general, sandbox_app, "pick", {"word": "x"})
        interaction = handle.interaction
        status, body = await call(
            "POST",
            f"/interactions/{interaction.id}/{interaction.token}/callback",
            {"type": 8, "data": {"choices": []}},
        )
        assert status == 400, "a command cannot be answered with suggestions"
