"""How the classic mode reads in Discord: rounds, verdicts, endings, lobbies and records.

:class:`ClassicDisplay` posts in a game's channel; the commands, buttons, typed answers and
timers all show a game through it. The word itself appears only once its round is over.
"""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING, Final

import discord

from botfleet.bots.spelling_bee.services.classic import (
    Attempt,
    ClassicMode,
    Ending,
    Finish,
    Lobby,
    Round,
)
from botfleet.bots.spelling_bee.services.classic_store import ClassicStats
from botfleet.bots.spelling_bee.services.speech import Speech
from botfleet.bots.spelling_bee.views.classic_buttons import buttons
from botfleet.bots.spelling_bee.views.display import level_up_lines
from botfleet.utils.embeds import EmbedField, create_embed
from botfleet.utils.wording import plural

if TYPE_CHECKING:
    from botfleet.config.schema import ColorsSection
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)

NO_PINGS: Final = discord.AllowedMentions.none()
TURN_PING: Final = discord.AllowedMentions(users=True, everyone=False, roles=False)

ENDINGS: Final[dict[Ending, str]] = {
    Ending.COMPLETED: "🏁 **Spelling bee complete!**",
    Ending.OUT_OF_LIVES: "💀 **Out of lives** — the spelling bee is over.",
    Ending.TIMED_OUT: "⌛ **Time's up** — the spelling bee is over.",
    Ending.LAST_STANDING: "🏆 **Last one standing!**",
    Ending.SURVIVORS: "🤝 **Still standing after the last round** — they share the win.",
    Ending.STOPPED: "🛑 **Spelling bee stopped.**",
    Ending.NOT_ENOUGH_PLAYERS: "😴 **Not enough players** — an elimination round needs two.",
}


def shown(text: str) -> str:
    """Dictionary text as Discord should show it (the mask's underscores are not markdown)."""
    return discord.utils.escape_markdown(text)


def round_title(current: Round) -> str:
    settings = current.settings
    if settings.mode is ClassicMode.SOLO:
        return (
            f"🐝 Spelling Bee — word {current.number} of {settings.rounds} · {settings.difficulty}"
        )
    return f"🐝 Elimination — round {current.number} of {settings.rounds} · {settings.difficulty}"


def round_embed(current: Round, color: int, *, spoken: bool) -> discord.Embed:
    """The clues of a word: definition, part of speech, masked example, letter count."""
    word = current.word
    lines = [f"**Definition:** {shown(word.definition)}"]
    if word.example:
        lines.append(f"**Example:** “{shown(word.example)}”")
    if not spoken:
        lines.append("*(No audio on this bot: spell it from the clues.)*")
    fields = [
        ("Part of speech", word.part_of_speech, True),
        ("Letters", str(len(word.word)), True),
    ]
    if current.settings.mode is ClassicMode.SOLO:
        fields.append(("Lives", "❤️" * current.lives_left, True))
    else:
        fields.append(("Standing", " ".join(f"<@{user}>" for user in current.standing), False))
    fields.append(("Time", f"<t:{int(current.ends_at.timestamp())}:R>", True))
    return create_embed(
        title=round_title(current),
        description="\n".join(lines),
        color=color,
        fields=fields,
        footer="Type the spelling in this channel, or press Spell it.",
    )


def attempt_text(attempt: Attempt) -> str:
    """The verdict on a round: right, wrong (with the spelling), or out of time."""
    word = attempt.word.word.upper()
    player = f"<@{attempt.player_id}>"
    if attempt.correct:
        lines = [f"✅ {player} spelled **{word}** right!"]
    elif attempt.answer is None:
        lines = [f"⌛ Time's up, {player}! The word was **{word}**."]
    else:
        lines = [f"❌ **{attempt.answer.upper()}** is not it — the word is spelled **{word}**."]
    if attempt.eliminated:
        lines.append(f"🚫 {player} is out.")
    elif not attempt.correct and attempt.answer is not None and attempt.next_round is not None:
        lives = attempt.next_round.lives_left
        lines.append(f"💔 {lives} {'life' if lives == 1 else 'lives'} left.")
    lines.extend(level_up_lines(attempt.level_ups))
    return "\n".join(lines)


def finish_text(finish: Finish, word: str | None = None) -> str:
    """The end of a game: how it ended, the winners, each player's words and level-ups."""
    lines = [ENDINGS[finish.ending]]
    if word:
        lines.append(f"The word was **{word.upper()}**.")
    if finish.settings.mode is ClassicMode.ELIMINATION and finish.winners:
        lines.append("Winner: " + ", ".join(f"<@{user}>" for user in finish.winners))
    for record in finish.records:
        stats = finish.stats.get(record.user_id)
        best = f" · best run ever {stats.best_run}" if stats is not None else ""
        lines.append(
            f"<@{record.user_id}>: {record.spelled} spelled, {record.missed} missed, "
            f"best run {record.best_run}{best}"
        )
    lines.extend(level_up_lines(finish.level_ups))
    return "\n".join(lines)


def begins_text(first: Round) -> str:
    """An elimination round's start, naming its players in turn order."""
    players = " ".join(f"<@{user}>" for user in first.standing)
    return f"🐝 The elimination round begins! Players: {players}"


def lobby_embed(lobby: Lobby, color: int) -> discord.Embed:
    players = " ".join(f"<@{user}>" for user in lobby.player_ids)
    return create_embed(
        title=f"🐝 Elimination spelling bee · {lobby.settings.difficulty}",
        description=(
            "Press **Join** to play. Players take turns in the order they joined; "
            "a misspelled word, or no answer in time, is out. The last one standing wins.\n"
            f"The round begins <t:{int(lobby.closes_at.timestamp())}:R>, or when "
            f"<@{lobby.starter_id}> presses **Start now**."
        ),
        color=color,
        fields=[(f"Players ({len(lobby.player_ids)})", players, False)],
    )


def classic_record_fields(stats: ClassicStats) -> list[EmbedField]:
    """A member's classic record as embed fields, under a heading field."""
    if not stats.games_played:
        return [("🎙️ Classic spelling bee", "No games yet — start one with /bee classic!", False)]
    return [
        ("🎙️ Classic spelling bee", "Words heard and spelled against the clock.", False),
        ("Games played", str(stats.games_played), True),
        ("Games won", str(stats.games_won), True),
        ("Words spelled", f"{stats.words_spelled} ({stats.accuracy:.0%})", True),
        ("Words missed", str(stats.words_missed), True),
        ("Best run", str(stats.best_run), True),
    ]


def spellers_embed(ranking: list[tuple[int, ClassicStats]], color: int) -> discord.Embed:
    lines = [
        f"**{place}.** <@{user_id}> — {plural(stats.words_spelled, 'word')}, "
        f"best run {stats.best_run}"
        for place, (user_id, stats) in enumerate(ranking, start=1)
    ]
    return create_embed(
        title="🏆 Best classic spellers",
        description="\n".join(lines) or "Nobody has spelled a word yet — /bee classic!",
        color=color,
    )


class ClassicDisplay:
    """Posts a game's rounds and endings in its channel, with the word's audio."""

    def __init__(self, bot: FleetBot, speech: Speech | None, colors: ColorsSection) -> None:
        self.bot = bot
        self.speech = speech
        self.colors = colors

    async def audio(self, word: str) -> discord.File | None:
        """The spoken word as an attachment, or None when there is no speech."""
        if self.speech is None:
            return None
        spoken = await self.speech.pronounce(word)
        if spoken is None:
            return None
        return discord.File(io.BytesIO(spoken.audio), filename=spoken.filename)

    async def post_round(self, current: Round) -> None:
        """A new word in the game's channel: clues, audio, buttons, and whose turn it is."""
        audio = await self.audio(current.word.word)
        content = (
            f"<@{current.player_id}>, your turn!"
            if current.settings.mode is ClassicMode.ELIMINATION
            else f"<@{current.player_id}>, spell this word:"
        )
        channel = self.bot.get_partial_messageable(current.channel_id)
        try:
            await channel.send(
                content,
                embed=round_embed(current, self.colors.primary, spoken=audio is not None),
                files=[audio] if audio is not None else [],
                view=buttons(current.game_id, current.key, "spell", "hear"),
                allowed_mentions=TURN_PING,
            )
        except discord.HTTPException:
            log.warning("could not post a spelling bee round in channel %d", current.channel_id)

    async def post_text(self, channel_id: int, text: str) -> None:
        try:
            await self.bot.get_partial_messageable(channel_id).send(text, allowed_mentions=NO_PINGS)
        except discord.HTTPException:
            log.warning("could not post in channel %d", channel_id)

    async def follow_up(self, attempt: Attempt) -> None:
        """After a verdict: the next round, or the end of the game."""
        if attempt.next_round is not None:
            await self.post_round(attempt.next_round)
        elif attempt.finish is not None:
            await self.post_text(attempt.channel_id, finish_text(attempt.finish))
