"""`botfleet sandbox`: the console a person (or a script) uses to talk to the real bots."""

from __future__ import annotations

import asyncio
import io
import re
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import discord
import pytest
from click.testing import CliRunner
from discord import app_commands
from discord.ext import commands

from botfleet import get_definition
from botfleet.cli import main
from botfleet.config.schema import BotSection, Settings
from botfleet.core.answers import slow_note
from botfleet.core.bot import FleetBot
from botfleet.sandbox import walkthrough
from botfleet.sandbox.console import (
    EXIT_STEP_FAILED,
    Outcome,
    SandboxConsole,
    ScriptLines,
    TerminalLines,
    TranscriptWriter,
    run_sandbox,
)
from botfleet.sandbox.render import local_zone
from botfleet.sandbox.session import SandboxSession, SandboxStartError
from botfleet.sandbox.walkthrough import walkthrough_lines

REPO = Path(__file__).resolve().parents[2]
PREFIXES = {"hangman": "h!", "grammar": "g!"}
TUESDAY_AFTERNOON = 1_618_928_430
"""2021-04-20 14:20:30 UTC."""


class Feedback(discord.ui.Modal, title="Feedback"):
    name: discord.ui.TextInput[Feedback] = discord.ui.TextInput(
        label="Your name", custom_id="name", min_length=2, max_length=20
    )
    comment: discord.ui.TextInput[Feedback] = discord.ui.TextInput(
        label="Comment", custom_id="comment", required=False, style=discord.TextStyle.paragraph
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(
            f"Thanks {self.name.value}! ({self.comment.value or 'no comment'})"
        )


class Poll(discord.ui.View):
    @discord.ui.button(label="Agree", custom_id="poll:agree", style=discord.ButtonStyle.success)
    async def agree(
        self, interaction: discord.Interaction, button: discord.ui.Button[Poll]
    ) -> None:
        await interaction.response.send_message("You agreed.", ephemeral=True)

    @discord.ui.select(
        custom_id="poll:colour",
        placeholder="Pick colours",
        min_values=1,
        max_values=2,
        options=[
            discord.SelectOption(label="Red", value="red"),
            discord.SelectOption(label="Green", value="green"),
            discord.SelectOption(label="Blue", value="blue"),
        ],
    )
    async def colour(
        self, interaction: discord.Interaction, select: discord.ui.Select[Poll]
    ) -> None:
        await interaction.response.edit_message(content=f"Colours: {', '.join(select.values)}")


class Vote(discord.ui.View):
    @discord.ui.button(label="Yes please", emoji="👍", custom_id="vote:yes")
    async def yes(self, interaction: discord.Interaction, button: discord.ui.Button[Vote]) -> None:
        await interaction.response.send_message("You said yes.")

    @discord.ui.button(label="Closed", custom_id="vote:closed", disabled=True)
    async def closed(
        self, interaction: discord.Interaction, button: discord.ui.Button[Vote]
    ) -> None:
        await interaction.response.send_message("Pressed a disabled button.")


class ConsoleProbe(commands.Cog):
    """Commands that give the console every kind of answer to show."""

    greet = app_commands.Group(name="greet", description="Greetings.")

    @app_commands.command(name="echo", description="Repeat a word.")
    @app_commands.describe(word="The word", times="How many times", shout="Upper case")
    async def echo(
        self,
        interaction: discord.Interaction,
        word: str,
        times: app_commands.Range[int, 1, 5] = 1,
        shout: bool = False,
    ) -> None:
        text = " ".join([word] * times)
        await interaction.response.send_message(text.upper() if shout else text)

    @app_commands.command(name="upload", description="Read a file.")
    @app_commands.describe(file="Any file")
    async def upload(self, interaction: discord.Interaction, file: discord.Attachment) -> None:
        data = await file.read()
        await interaction.response.send_message(f"{file.filename}: {len(data)} bytes")

    @greet.command(name="member", description="Greet a member.")
    @app_commands.describe(who="Whom to greet", style="How")
    @app_commands.choices(
        style=[
            app_commands.Choice(name="Warm welcome", value="warm"),
            app_commands.Choice(name="Cold nod", value="cold"),
        ]
    )
    async def greet_member(
        self, interaction: discord.Interaction, who: discord.Member, style: str
    ) -> None:
        embed = discord.Embed(title="Greeting", description=f"A {style} hello to {who.mention}")
        embed.add_field(name="From", value=interaction.user.mention, inline=True)
        embed.add_field(name="Style", value=style, inline=True)
        embed.set_footer(text="probe")
        await interaction.response.send_message(embed=embed)

    @app_commands.command(name="form", description="Open a form.")
    async def form(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(Feedback())

    @app_commands.command(name="slow", description="Think, then answer.")
    async def slow(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await asyncio.sleep(0.05)
        await interaction.followup.send("Done thinking.")

    @app_commands.command(name="patient", description="Held back: a note, then the answer.")
    async def patient(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.edit_original_response(content=slow_note("answer"))
        await asyncio.sleep(0.6)
        await interaction.edit_original_response(content="Here it is, at last.")

    @app_commands.command(name="silent", description="Never answers.")
    async def silent(self, interaction: discord.Interaction) -> None:
        return

    @commands.command(name="poll")
    async def poll(self, ctx: commands.Context[FleetBot]) -> None:
        await ctx.send("Do you agree?", view=Poll())

    @commands.command(name="vote")
    async def vote(self, ctx: commands.Context[FleetBot]) -> None:
        await ctx.send("Shall we?", view=Vote())

    @commands.command(name="when")
    async def when(self, ctx: commands.Context[FleetBot]) -> None:
        await ctx.send(f"The final is <t:{TUESDAY_AFTERNOON}:F>.")

    @commands.command(name="later")
    async def later(self, ctx: commands.Context[FleetBot]) -> None:
        await ctx.send("Soon.")
        await asyncio.sleep(0.3)
        await ctx.send("Later!")

    @commands.command(name="mentions")
    async def mentions(self, ctx: commands.Context[FleetBot]) -> None:
        names = ", ".join(user.mention for user in ctx.message.mentions)
        channels = ", ".join(channel.mention for channel in ctx.message.channel_mentions)
        await ctx.send(f"Mentioned {names} in {channels}")


def settings_for(name: str) -> Settings:
    return Settings(bot_name=name, bot=BotSection(prefix=PREFIXES[name]))


async def wave_at(interaction: discord.Interaction, member: discord.Member) -> None:
    await interaction.response.send_message(f"{interaction.user.name} waves at {member.name}.")


async def add_probe(bot: FleetBot) -> None:
    if bot.name == "hangman":
        await bot.add_cog(ConsoleProbe())
        bot.tree.add_command(app_commands.ContextMenu(name="Wave at", callback=wave_at))


@pytest.fixture
async def session() -> AsyncIterator[SandboxSession]:
    definitions = [get_definition("hangman"), get_definition("grammar")]
    async with SandboxSession.open(
        definitions, settings_loader=settings_for, before_start=add_probe
    ) as opened:
        yield opened
    opened.sandbox.assert_no_unhandled_requests()


async def play(
    session: SandboxSession, lines: list[str], *, step_timeout: float = 5.0
) -> tuple[int, str, SandboxConsole]:
    stream = io.StringIO()
    console = SandboxConsole(session, TranscriptWriter(stream), timeout=step_timeout)
    status = await console.run(ScriptLines(lines, "script.txt"))
    return status, stream.getvalue(), console


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A checkout-like folder with the shipped config and no token anywhere."""
    shutil.copytree(REPO / "config", tmp_path / "config")
    monkeypatch.chdir(tmp_path)
    for name in ("GRAMMAR", "HANGMAN", "SPELLING_BEE", "MOD", "UTILITY", "MUSIC"):
        monkeypatch.delenv(f"{name}_DISCORD_TOKEN", raising=False)
    yield tmp_path


async def test_script_with_options_prefix_button_select_and_modal(
    session: SandboxSession, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("hello", encoding="utf-8")
    status, transcript, console = await play(
        session,
        [
            "# comments and blank lines are skipped",
            "",
            "/hangman:echo word:hi times:3",
            ":expect hi hi hi",
            "/echo word:hey shout:yes",
            ":expect HEY",
            f"/upload file:{notes}",
            ":expect notes.txt: 5 bytes",
            '/greet member who:@moderator style:"Warm welcome"',
            ":expect A warm hello to @moderator",
            "h!mentions @admin #games",
            ":expect Mentioned @admin in #games",
            "h!poll",
            ":press Agree",
            ":expect You agreed.",
            ":pick 2 1,Blue",
            ":expect Colours: red, blue",
            "/form",
            "Ada",
            "",
            ":expect Thanks Ada! (no comment)",
            "/slow",
            ":expect Done thinking.",
        ],
    )
    assert status == 0, transcript
    assert "[#general] you> /hangman:echo word:hi times:3\n  Hangman Bot: hi hi hi\n" in transcript
    assert "    ┃ Greeting\n    ┃ A warm hello to @moderator\n" in transcript
    assert "    ┃ From: @you │ Style: warm\n    ┃ — probe\n" in transcript
    assert "  Hangman Bot:\n    Do you agree?\n    [1] Agree\n" in transcript
    assert "    [2] ▾ Pick colours (pick 1-2): 1) Red  2) Green  3) Blue\n" in transcript
    assert "  Hangman Bot [only you can see this]: You agreed.\n" in transcript
    assert "  Hangman Bot [edited]:\n    Colours: red, blue\n" in transcript
    assert "  Hangman Bot opened a form: 'Feedback'\n" in transcript
    assert "    1. Your name (required, 2-20 characters)\n" in transcript
    assert "    Your name> Ada\n    Comment> \n" in transcript
    assert "  Hangman Bot is thinking...\n  Hangman Bot: Done thinking.\n" in transcript
    assert not [m for m in session.sandbox.state.messages.values() if m.loading], (
        "the followup of /slow filled its thinking message instead of leaving it behind"
    )
    assert transcript.count("✔") == 9
    assert console.steps == 10


async def test_a_step_waits_past_the_taking_longer_note_for_its_answer(
    session: SandboxSession,
) -> None:
    """A member reads the note, then the answer that replaces it; the step's answers hold
    the answer (a slow first grammar check failed the walkthrough in CI without this)."""
    status, transcript, _ = await play(session, ["/patient", ":expect Here it is, at last."])
    assert status == 0, transcript
    assert slow_note("answer") in transcript


async def test_context_menus_on_a_message_and_on_a_member(session: SandboxSession) -> None:
    status, transcript, console = await play(
        session,
        [
            "Their is a mistake here.",
            "Another message.",
            ':menu "Check grammar" mistake',
            ":expect only you can see this",
            ':menu grammar:"Check grammar" @you',
            ':menu "Check grammar" last',
            ':menu "Wave at" @moderator',
            ":expect you waves at moderator.",
        ],
    )
    assert status == 0, transcript
    [first, second, last] = [
        interaction
        for interaction in session.sandbox.state.interactions.values()
        if interaction.data.get("type") == 3
    ]
    said = {m.content: m for m in session.sandbox.state.messages.values()}
    assert first.data["target_id"] == str(said["Their is a mistake here."].id)
    assert second.data["target_id"] == str(said["Another message."].id)
    newest = session.sandbox.state.messages[int(last.data["target_id"])]
    assert not newest.ephemeral, "Discord offers no app menu on an ephemeral answer"
    assert list(first.data["resolved"]["messages"]) == [first.data["target_id"]]
    assert console.steps == 6

    cases = {
        ':menu "Check grammar" nowhere-to-be-seen': "no message in #general matches",
        ':menu "Check grammar"': 'say which menu and on what, e.g. :menu "Check grammar" last',
        ':menu "Wave at" @nobody': "nobody here is called '@nobody'",
        ':menu "Shout at" last': "no bot here has an app menu 'Shout at'",
    }
    for line, message in cases.items():
        status, transcript, _ = await play(session, [line])
        assert status == EXIT_STEP_FAILED, line
        assert message in transcript, transcript


async def test_script_mode_silences_labels_disabled_buttons_and_rate_limits(
    session: SandboxSession,
) -> None:
    status, transcript, _ = await play(
        session,
        [
            "just chatting",
            ":expect-none",
            "h!nosuchcommand",
            ":silent",
            "/hangman:echo word:hi",
            ":expect-none bye",
            "h!vote",
            ":press 👍 Yes please",
            ":expect You said yes.",
            ":press yes",
            ":expect You said yes.",
            *["/hangman:echo word:again"] * 5,
            ":expect going too fast",
        ],
        step_timeout=1.0,
    )
    assert status == 0, transcript
    assert "[#general] you> h!nosuchcommand\n  ✔ no answer\n" in transcript
    assert "  ✔ no answer saying 'bye'\n" in transcript
    assert (
        "  ⚠ Hangman Bot's rate limit tripped: you ran its 'echo' command more than 5 times "
        "within 10s (rate_limits in its settings); it takes the command again in "
    ) in transcript

    cases = {
        ("h!vote", ":press Closed"): "the button 'Closed' is disabled",
        ("h!vote", ":press nothing"): "no button or menu called 'nothing' is on screen",
        ("h!poll", ":press Agree", ":expect-none"): "expected no answer from the bots",
        ("/hangman:echo word:hi", ":silent hi"): "expected no 'hi' from the bots",
    }
    for lines, message in cases.items():
        status, transcript, _ = await play(session, list(lines))
        assert status == EXIT_STEP_FAILED, lines
        assert message in transcript, transcript
        assert "Traceback" not in transcript


async def test_each_member_reads_times_in_their_own_zone(session: SandboxSession) -> None:
    status, transcript, _ = await play(
        session,
        [
            ":tz",
            ":tz Europe/Paris",
            "h!when",
            ":expect The final is Tuesday, April 20, 2021 4:20 PM CEST.",
            ":as moderator",
            ":tz new york",
            "h!when",
            ":expect The final is Tuesday, April 20, 2021 10:20 AM EDT.",
            ":as you",
            "h!when",
            ":expect 4:20 PM CEST",
        ],
    )
    assert status == 0, transcript
    assert f"  Times show in {local_zone()} for you.\n" in transcript
    assert "  Times now show in Europe/Paris for you, as Discord shows them.\n" in transcript
    assert "  Times now show in America/New_York for moderator" in transcript

    status, transcript, _ = await play(session, [":tz Pariss"])
    assert status == EXIT_STEP_FAILED
    assert (
        "there is no time zone 'Pariss': write a place's zone, such as Europe/Paris or "
        "America/New_York; did you mean Europe/Paris?"
    ) in transcript


async def test_a_step_without_answer_fails_the_script_readably(session: SandboxSession) -> None:
    status, transcript, _ = await play(
        session, ["/hangman:echo word:ok", "/silent", "/hangman:echo word:never"], step_timeout=0.3
    )
    assert status == EXIT_STEP_FAILED
    assert (
        "✘ script.txt line 2: Timed out after 0.3s waiting for Hangman Bot to answer /silent"
        in (transcript)
    )
    assert "never" not in transcript.split("/silent", 1)[1], "a script stops at its failure"


async def test_refusals_and_checks_fail_with_what_to_do(session: SandboxSession) -> None:
    cases = {
        "/ping": "/ping is a command of hangman, grammar: write /hangman:ping",
        "/hangman:echo times:9 word:x": "takes values 1..5, got 9",
        "/hangman:echo word:x times:many": "takes a whole number, not 'many'",
        "/hangman:nosuch": "Hangman Bot has no /nosuch command",
        "/greet hello": "/greet has no subcommand 'hello'; it has ['member']",
        "h!nosuchcommand": "waiting for Hangman Bot to answer 'h!nosuchcommand'",
        ":press 7": "nothing is numbered [7]",
        ":channel lobby": "there is no text channel #lobby",
        ":frobnicate": "there is no console command :frobnicate",
    }
    for line, message in cases.items():
        status, transcript, _ = await play(session, [line], step_timeout=0.3)
        assert status == EXIT_STEP_FAILED, line
        assert message in transcript, transcript
    status, transcript, _ = await play(session, ["/hangman:echo word:hi", ":expect bye"])
    assert status == EXIT_STEP_FAILED
    assert (
        "expected 'bye' in the bots' last answers, which were:\n    Hangman Bot: hi" in transcript
    )


async def test_interactive_session_asks_switches_and_quits(session: SandboxSession) -> None:
    typed = iter(
        [
            "/ping",
            "2",
            ":as moderator",
            "/form",
            "",
            "Bo",
            "fine",
            ":channel games",
            "h!ping",
            "h!later",
            ":dm hangman",
            "h!ping",
            ":quit",
            "never read",
        ]
    )
    prompts: list[str] = []

    def fake_input(prompt: str) -> str:
        prompts.append(prompt)
        line = next(typed)
        if line == ":dm hangman":
            time.sleep(1.0)  # the person reads; the bot goes on talking meanwhile
        return line

    stream = io.StringIO()
    console = SandboxConsole(session, TranscriptWriter(stream))
    assert await console.run(TerminalLines(fake_input)) == 0
    transcript = stream.getvalue()
    assert "  /ping is a command of several bots:\n    1) Hangman Bot\n    2) Grammar Bot\n" in (
        transcript
    )
    assert "  Grammar Bot [only you can see this]: 🏓 Pong!" in transcript
    assert "    (this field is required)\n" in transcript
    assert "  Hangman Bot: Thanks Bo! (fine)\n" in transcript
    games_answer, dm_answer = re.findall(r"  Hangman Bot: 🏓 Pong!.*", transcript)
    assert games_answer and dm_answer
    assert "  Hangman Bot: Soon.\n\n  Hangman Bot: Later!\n[#games] moderator> " in transcript, (
        "what a bot says while the person types shows up, then the prompt again"
    )
    assert prompts == [
        "[#general] you> ",
        "  which one? ",
        "[#general] you> ",
        "[#general] moderator> ",
        "    Your name> ",
        "    Your name> ",
        "    Comment> ",
        "[#general] moderator> ",
        "[#games] moderator> ",
        "[#games] moderator> ",
        "[#games] moderator> ",
        "[DM with Hangman Bot] moderator> ",
        "[DM with Hangman Bot] moderator> ",
    ]
    assert next(typed) == "never read", ":quit ends the session"
    dm = session.member("moderator").dm_with(session.bots["hangman"].application)
    # An achievement the ping unlocks may be announced there too, whenever XP is next saved.
    said = [message.content[:7] for message in dm.messages() if message.content[:1] != "🏆"]
    assert said == ["h!ping", "🏓 Pong!"]


async def test_lines_that_do_nothing_or_end_the_session(session: SandboxSession) -> None:
    console = SandboxConsole(session, TranscriptWriter(io.StringIO()), timeout=0.3)
    assert await console.execute("  ") is Outcome.SKIPPED
    assert await console.execute("# a comment") is Outcome.SKIPPED
    assert await console.execute("just chatting") is Outcome.DONE
    assert await console.execute(":quit") is Outcome.QUIT
    assert console.steps == 1


async def test_a_bot_that_cannot_start_is_named() -> None:
    async def break_grammar(bot: FleetBot) -> None:
        if bot.name == "grammar":

            async def setup_hook() -> None:
                raise RuntimeError("the word list is missing")

            bot.setup_hook = setup_hook  # type: ignore[method-assign]

    definitions = [get_definition("hangman"), get_definition("grammar")]
    with pytest.raises(SandboxStartError, match="the grammar bot could not start in the sandbox"):
        async with SandboxSession.open(
            definitions, settings_loader=settings_for, before_start=break_grammar
        ):
            pytest.fail("the session must not open with a broken bot")


async def test_bots_appear_in_help_with_prefix_and_commands(session: SandboxSession) -> None:
    status, transcript, _ = await play(
        session, [":help", ":as", ":channel", ":bot grammar", "/ping", ":wait 0.1", ":bot"]
    )
    assert status == 0, transcript
    assert "  Shared slash commands now go to Grammar Bot.\n" in transcript
    assert "[#general] you> /ping\n  Grammar Bot [only you can see this]: 🏓 Pong!" in transcript
    assert "  Shared slash commands will ask which bot.\n" in transcript
    listed = {
        line.split()[0]: line.split()[1:]
        for line in transcript.splitlines()
        if line.startswith("  ") and line.split()[0] in PREFIXES
    }
    probe = ["/about", "/echo", "/form", "/greet", "/ping", "/silent", "/slow", "/upload"]
    for name, commands_listed in listed.items():
        prefix, *slash = commands_listed
        assert prefix == PREFIXES[name]
        assert slash == sorted(slash), "slash commands are listed in order"
        assert set(probe if name == "hangman" else ["/about", "/ping"]) <= set(slash)
    assert sorted(listed) == ["grammar", "hangman"]
    assert "moderator (roles: Moderators)" in transcript
    assert "Channels: #general #games #mod-log" in transcript
    assert '  :menu "Check grammar" last\n' in transcript
    assert "app menus (:menu): 'Check grammar'\n" in transcript
    assert "app menus (:menu): 'Wave at'\n" in transcript


async def test_walkthrough_has_core_steps_and_each_bots_own(
    session: SandboxSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    own_steps = {"hangman": ("{prefix}poll", ":press Agree"), "grammar": ()}  # grammar: core only
    monkeypatch.setattr(
        walkthrough,
        "get_definition",
        lambda name: replace(get_definition(name), walkthrough=own_steps[name]),
    )
    lines = walkthrough_lines(session.bots.values())
    assert lines == [
        ":note Hangman Bot (text commands start with h!)",
        "/hangman:ping",
        ":expect Pong!",
        "/hangman:about",
        ":expect Uptime",
        "h!ping",
        ":expect Pong!",
        "h!poll",
        ":press Agree",
        ":note Grammar Bot (text commands start with g!)",
        "/grammar:ping",
        ":expect Pong!",
        "/grammar:about",
        ":expect Uptime",
        "g!ping",
        ":expect Pong!",
    ]
    status, transcript, _ = await play(session, lines)
    assert status == 0, transcript
    assert "── Grammar Bot (text commands start with g!) ──" in transcript
    assert "  Hangman Bot [only you can see this]: You agreed." in transcript


def test_walkthrough_without_terminal_exits_zero(workdir: Path) -> None:
    stdout = io.StringIO()
    status = run_sandbox(["hangman", "mod"], stdout=stdout, stdin=io.StringIO())
    transcript = stdout.getvalue()
    assert status == 0, transcript
    assert "No terminal attached: playing the walkthrough of every bot." in transcript
    assert "── Hangman Bot (text commands start with h!) ──" in transcript
    assert "[#general] you> /mod:about\n  Mod Bot [only you can see this]:\n" in transcript
    assert "[#general] you> m!ping\n  Mod Bot: 🏓 Pong!" in transcript
    hangman_steps = sum(
        not line.startswith(":expect") for line in get_definition("hangman").walkthrough
    )
    assert f"The walkthrough ran {6 + hangman_steps} steps; every bot answered." in transcript
    assert "INFO" not in transcript, "logs go to the file, not the transcript"
    assert "Hangman Bot ready as" in (workdir / "logs" / "sandbox.log").read_text()


def test_sandbox_command_runs_a_script_and_fails_on_a_silent_step(workdir: Path) -> None:
    script = workdir / "steps.txt"
    script.write_text("h!ping\n:expect Pong!\nh!nosuchcommand\nh!ping\n", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["sandbox", "hangman", "--script", str(script), "--timeout", "0.3"]
    )
    assert result.exit_code == 1, result.output
    assert "✘ " + f"{script} line 3: Timed out after 0.3s" in result.output
    assert "The script stopped at a failed step." in result.output

    script.write_text("h!ping\n:expect Pong!\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["sandbox", "hangman", "--script", str(script)])
    assert result.exit_code == 0, result.output
    assert "The script ran 1 step; every bot answered." in result.output

    result = CliRunner().invoke(main, ["sandbox", "pinball"])
    assert result.exit_code == 2
    assert "unknown bot 'pinball'" in result.output


def test_run_without_any_token_plays_the_sandbox_walkthrough(workdir: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "botfleet", "run", "--all"],
        cwd=workdir,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    output = completed.stdout
    assert output.startswith("No Discord token is configured, so the bots run in the local")
    for name, prefix in (("Grammar Bot", "g!"), ("Music Bot", "mu!"), ("Utility Bot", "u!")):
        assert f"── {name} (text commands start with {prefix}) ──" in output
        # Another bot's announcement (an achievement of the walkthrough's chat) may land
        # between the line and its answer; the step is answered by the bot it names.
        answered = rf"you> {re.escape(prefix)}ping\n(?:  .*\n)*?  {name}: 🏓 Pong!"
        assert re.search(answered, output), output
    assert re.search(r"The walkthrough ran \d+ steps; every bot answered\.", output)
    assert "you> /hangman start category:animals difficulty:easy" in output
    assert completed.stderr == ""
