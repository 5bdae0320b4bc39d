"""The fleet's real bot base through the sandbox, checked as the members see it.

A FleetBot with the Hangman Bot's definition, on a SQLite file of the test's own, runs a
test-only cog: a slash command with options, an ephemeral answer and a public followup, buttons
that edit the message or open a form, a deferred form answer, and DMs to both members.
"""

from __future__ import annotations

from pathlib import Path

import discord
import pytest
from discord import app_commands
from discord.ext import commands
from pydantic import SecretStr

from botfleet.bots.hangman.bot import DEFINITION as HANGMAN
from botfleet.config.schema import BotSection, DatabaseSection, Settings
from botfleet.core.bot import FleetBot
from botfleet.sandbox import (
    Application,
    DiscordSandbox,
    InteractionCallbackType,
    SandboxGuild,
    SandboxScriptError,
)


class ThanksForm(discord.ui.Modal, title="Say thanks"):
    note: discord.ui.TextInput[ThanksForm] = discord.ui.TextInput(
        label="Your note", custom_id="note", max_length=100
    )

    def __init__(self, giver: discord.User | discord.Member) -> None:
        super().__init__(custom_id="gift:thanks")
        self.giver = giver

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)
        await self.giver.send(f"{interaction.user.display_name} thanks you: {self.note.value}")
        await interaction.followup.send("Your thanks are on their way.")


class GiftView(discord.ui.View):
    """Only the recipient may accept the gift (an edit) or thank the giver (a form)."""

    def __init__(
        self, giver: discord.User | discord.Member, recipient: discord.Member, text: str
    ) -> None:
        super().__init__(timeout=60)
        self.giver = giver
        self.recipient = recipient
        self.text = text

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.recipient.id:
            return True
        await interaction.response.send_message(
            f"This gift is for {self.recipient.display_name}.", ephemeral=True
        )
        return False

    @discord.ui.button(label="Accept", custom_id="gift:accept", style=discord.ButtonStyle.success)
    async def accept(
        self, interaction: discord.Interaction, button: discord.ui.Button[GiftView]
    ) -> None:
        button.disabled = True
        await interaction.response.edit_message(content=f"{self.text} Accepted.", view=self)

    @discord.ui.button(label="Thank", custom_id="gift:thank")
    async def thank(
        self, interaction: discord.Interaction, button: discord.ui.Button[GiftView]
    ) -> None:
        await interaction.response.send_modal(ThanksForm(self.giver))


class Gifts(commands.Cog):
    """A test-only cog that uses every kind of answer a member can get."""

    @app_commands.command(name="gift", description="Give a member some stars.")
    @app_commands.describe(who="Who gets them", stars="How many", note="A few words")
    async def gift(
        self,
        interaction: discord.Interaction[FleetBot],
        who: discord.Member,
        stars: app_commands.Range[int, 1, 10],
        note: str,
    ) -> None:
        giver = interaction.user
        await interaction.response.send_message(
            f"You are giving {who.display_name} {stars} ⭐.", ephemeral=True
        )
        text = f"{giver.display_name} gave {who.display_name} {stars} ⭐: {note}."
        await interaction.followup.send(text, view=GiftView(giver, who, text))
        place = interaction.guild.name if interaction.guild is not None else "a DM"
        await who.send(f"{giver.display_name} gave you {stars} ⭐ in {place}: {note}")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        bot_name="hangman",
        database=DatabaseSection(url=SecretStr(f"sqlite+aiosqlite:///{tmp_path}/fleet.db")),
        bot=BotSection(prefix="h!", guild_ready_timeout=0.05, data_dir=str(tmp_path)),
    )


@pytest.fixture
def app(discord_sandbox: DiscordSandbox) -> Application:
    return discord_sandbox.add_application("Hangman Bot")


@pytest.fixture
def guild(discord_sandbox: DiscordSandbox, app: Application) -> SandboxGuild:
    return discord_sandbox.create_guild("Word Games", bots=[app])


async def test_a_gift_is_given_accepted_and_thanked_as_the_members_see_it(
    discord_sandbox: DiscordSandbox, app: Application, guild: SandboxGuild, settings: Settings
) -> None:
    alice = guild.add_member("alice")
    bob = guild.add_member("bob")
    general = guild.channel("general")
    bot = FleetBot(HANGMAN, settings)
    await bot.add_cog(Gifts())
    async with discord_sandbox.run_client(bot, app):
        with pytest.raises(SandboxScriptError, match=r"takes values 1\.\.10, got 11"):
            await alice.run_command(general, app, "gift", {"who": bob, "stars": 11, "note": "x"})
        given = await alice.run_command(
            general, app, "gift", {"who": bob, "stars": 3, "note": "well played"}
        )
        private = await given.wait_for_response()
        gift = await given.wait_for_followup()
        bob_dm = await bob.dm_with(app).wait_for_message(author=app)

        assert private.message is not None
        assert private.content == "You are giving bob 3 ⭐."
        assert alice.can_see(private.message)
        assert not bob.can_see(private.message)
        assert gift.content == "alice gave bob 3 ⭐: well played."
        assert gift.custom_ids == ["gift:accept", "gift:thank"]
        assert general.messages_seen_by(alice) == [private.message, gift]
        assert general.messages_seen_by(bob) == [gift]
        assert bob_dm.content == "alice gave you 3 ⭐ in Word Games: well played"
        assert not alice.can_see(bob_dm)

        refused = await (await alice.click(gift, "gift:accept")).wait_for_response()
        assert (refused.content, refused.ephemeral) == ("This gift is for bob.", True)
        assert gift.edit_count == 0, "someone else's click changes nothing"

        accepted = await (await bob.click(gift, "gift:accept")).wait_for_response()
        assert accepted.type is InteractionCallbackType.UPDATE_MESSAGE
        assert accepted.message is gift
        assert gift.content == "alice gave bob 3 ⭐: well played. Accepted."
        with pytest.raises(SandboxScriptError, match="'gift:accept' is disabled"):
            await bob.click(gift, "gift:accept")

        opened = await bob.click(gift, "gift:thank")
        form = await opened.wait_for_modal()
        assert form["title"] == "Say thanks"
        submitted = await bob.submit_modal(opened, {"note": "you are too kind"})
        thanks = await submitted.wait_for_message()
        alice_dm = await alice.dm_with(app).wait_for_message(author=app)

    assert submitted.response is not None
    assert submitted.response.deferred
    assert (thanks.content, thanks.ephemeral) == ("Your thanks are on their way.", True)
    assert submitted.interaction.followup_message_ids == [], "the followup filled the deferral"
    assert alice_dm.content == "bob thanks you: you are too kind"
    assert general.messages_seen_by(bob) == [gift, thanks]
    assert general.messages_seen_by(alice) == [private.message, gift, refused.message]
    assert discord_sandbox.http_errors == []
