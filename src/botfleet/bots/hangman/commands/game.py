"""``/hangman``: start, play with your own word, stop, stats, leaderboard, server word lists.

The commands and the board's buttons translate between Discord and
:class:`~botfleet.bots.hangman.services.games.HangmanService`; every problem a member can fix
comes back from the service as a :class:`~botfleet.errors.UserError` and is answered privately.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final

import discord
from discord import app_commands
from discord.ext import commands

from botfleet.auth.permissions import PermissionLevel, requires_permission, resolve_level
from botfleet.bots.hangman.services.games import WORDS_UNAVAILABLE, HangmanService, Move
from botfleet.bots.hangman.services.scoring import PlayerStats, scoring_rules
from botfleet.bots.hangman.services.store import Game
from botfleet.bots.hangman.services.words import Difficulty, ListPolicy
from botfleet.bots.hangman.views.buttons import COG_NAME, ActionButton, LetterButton
from botfleet.bots.hangman.views.display import GameDisplay
from botfleet.bots.hangman.views.modals import OwnWordModal, WordGuessModal
from botfleet.core.errors import handle_interaction_error
from botfleet.errors import UserError
from botfleet.utils.embeds import create_embed
from botfleet.utils.places import place_of
from botfleet.utils.text import paginate_text, truncate_string
from botfleet.utils.wording import plural

SERVER_ONLY: Final = "Hangman is played in a server's channels."
BUNDLED_UNAVAILABLE: Final = (
    "The bundled categories could not be read (the bot's operator can see why in its log); "
    "this server's lists still play: pick one with `/hangman start category:`."
)

if TYPE_CHECKING:
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)

MAX_AUTOCOMPLETE_CHOICES = 25
MAX_CATEGORY_LENGTH = 32
MAX_WORDS_TEXT = 1500


def stats_fields(stats: PlayerStats) -> list[tuple[str, str, bool]]:
    """A record as embed fields, three to a row."""
    return [
        ("Played", str(stats.played), True),
        ("Won", f"{stats.won} ({stats.win_rate:.0%})", True),
        ("Points", str(stats.points), True),
        ("Current streak", str(stats.current_streak), True),
        ("Best streak", str(stats.best_streak), True),
        ("Flawless wins", str(stats.flawless), True),
    ]


class HangmanCommands(commands.Cog, name=COG_NAME):
    """Hangman games in a channel: letter buttons, a word form, hints and records."""

    hangman = app_commands.Group(
        name="hangman", description="Play hangman: find the word letter by letter.", guild_only=True
    )
    words = app_commands.Group(
        name="words", description="This server's own word lists (admins).", parent=hangman
    )

    def __init__(self, bot: FleetBot, service: HangmanService, display: GameDisplay) -> None:
        self.bot = bot
        self.service = service
        self.display = display

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(LetterButton, ActionButton)
        self.service.bank.start()

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(LetterButton, ActionButton)
        await self.service.bank.close()

    # --- Starting games --------------------------------------------------------------------

    async def _post(self, interaction: discord.Interaction[Any], game: Game) -> None:
        """Show a new game; a game whose board could not be shown is dropped again."""
        try:
            board_id, controls_id = await self.display.post(interaction, game)
        except Exception:
            await self.service.discard(game)
            raise
        await self.service.attach_messages(game, board_id, controls_id)

    async def category_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        """Bundled categories, then this server's lists, that start with what was typed."""
        bank = await self.service.readable_word_bank()
        names = [category.name for category in bank.categories] if bank is not None else []
        if interaction.guild_id is not None:
            names += [entry.name for entry in await self.service.guild_lists(interaction.guild_id)]
        typed = current.strip().casefold()
        return [
            app_commands.Choice(name=name, value=name)
            for name in names
            if name.startswith(typed) or typed in name
        ][:MAX_AUTOCOMPLETE_CHOICES]

    @hangman.command(name="start", description="Start a game of hangman in this channel.")
    @app_commands.describe(
        category="What kind of word: animals, food, science... or one of this server's lists",
        difficulty="How hard the word is (medium unless you choose)",
        solo="Only you may guess (otherwise everyone in the channel plays together)",
    )
    @app_commands.autocomplete(category=category_choices)
    async def start(
        self,
        interaction: discord.Interaction[FleetBot],
        category: app_commands.Range[str, 1, MAX_CATEGORY_LENGTH] | None = None,
        difficulty: Difficulty | None = None,
        solo: bool = False,
    ) -> None:
        guild_id, channel_id = place_of(interaction, SERVER_ONLY)
        game = await self.service.start(
            guild_id=guild_id,
            channel_id=channel_id,
            starter_id=interaction.user.id,
            category=category,
            difficulty=difficulty,
            solo=solo,
        )
        await self._post(interaction, game)

    @hangman.command(name="custom", description="Start a game with a word of your own.")
    @app_commands.describe(player="Challenge one member (otherwise everyone else may guess)")
    async def custom(
        self, interaction: discord.Interaction[FleetBot], player: discord.Member | None = None
    ) -> None:
        _, channel_id = place_of(interaction, SERVER_ONLY)
        if player is not None and player.bot:
            raise UserError("Bots don't play hangman — challenge a member instead.")
        if player is not None and player.id == interaction.user.id:
            raise UserError("You know the word already — challenge someone else, or everyone!")
        if await self.service.game_in_channel(channel_id) is not None:
            raise UserError("A game is already running in this channel — wait until it ends.")
        await interaction.response.send_modal(OwnWordModal(player.id if player else None))

    async def submit_own_word(
        self, interaction: discord.Interaction[Any], word: str, player_id: int | None
    ) -> None:
        """The form of ``/hangman custom`` was sent."""
        try:
            guild_id, channel_id = place_of(interaction, SERVER_ONLY)
            game = await self.service.start_with_word(
                guild_id=guild_id,
                channel_id=channel_id,
                setter_id=interaction.user.id,
                word=word,
                player_id=player_id,
            )
            await self._post(interaction, game)
        except Exception as error:
            await handle_interaction_error(interaction, error)

    @hangman.command(name="stop", description="End this channel's game (its starter or a mod).")
    async def stop(self, interaction: discord.Interaction[FleetBot]) -> None:
        _, channel_id = place_of(interaction, SERVER_ONLY)
        moderator = await self._is_moderator(interaction)
        move = await self.service.stop_in_channel(
            channel_id, interaction.user.id, moderator=moderator
        )
        await self._show(interaction, move)

    # --- Records ---------------------------------------------------------------------------

    @hangman.command(name="stats", description="Hangman record of a member in this server.")
    @app_commands.describe(member="Whose record (yours unless you choose)")
    async def stats(
        self, interaction: discord.Interaction[FleetBot], member: discord.Member | None = None
    ) -> None:
        guild_id, _ = place_of(interaction, SERVER_ONLY)
        target = member or interaction.user
        stats = await self.service.stats(guild_id, target.id)
        description = None if stats.played else "No games yet — start one with /hangman start!"
        embed = create_embed(
            title=f"Hangman record of {target.display_name}",
            description=description,
            color=self.bot.settings.colors.info,
            fields=stats_fields(stats) if stats.played else None,
        )
        await interaction.response.send_message(embed=embed)

    @hangman.command(name="leaderboard", description="The best hangman players of this server.")
    async def leaderboard(self, interaction: discord.Interaction[FleetBot]) -> None:
        guild_id, _ = place_of(interaction, SERVER_ONLY)
        ranking = await self.service.leaderboard(guild_id)
        lines = [
            f"**{rank}.** <@{user_id}> — {plural(stats.points, 'point')}, "
            f"{plural(stats.won, 'win')}, "
            f"best streak {stats.best_streak}"
            for rank, (user_id, stats) in enumerate(ranking, start=1)
        ]
        embed = create_embed(
            title="🏆 Hangman leaderboard",
            description="\n".join(lines) or "Nobody has played yet — be the first!",
            color=self.bot.settings.colors.primary,
            footer=f"Points: {scoring_rules()}",
        )
        await interaction.response.send_message(
            embed=embed, allowed_mentions=discord.AllowedMentions.none()
        )

    @hangman.command(name="categories", description="The categories and this server's lists.")
    async def categories(self, interaction: discord.Interaction[FleetBot]) -> None:
        guild_id, _ = place_of(interaction, SERVER_ONLY)
        own = await self.service.guild_lists(guild_id)
        bank = await self.service.readable_word_bank()
        if bank is None and not own:
            raise UserError(WORDS_UNAVAILABLE)
        fields = [
            (category.name, f"{category.description} · {plural(category.size, 'word')}", True)
            for category in (bank.categories if bank is not None else ())
        ]
        listing = ", ".join(
            f"{entry.name} ({entry.size}{'' if entry.policy is ListPolicy.SAFE else ', open'})"
            for entry in own
        )
        fields.append(
            ("This server's lists", listing or "None yet (admins: /hangman words add)", False)
        )
        embed = create_embed(
            title="Hangman categories",
            description=BUNDLED_UNAVAILABLE
            if bank is None
            else "Pick one with `/hangman start category:`; without one, "
            "a bundled category is chosen at random.",
            color=self.bot.settings.colors.info,
            fields=fields,
        )
        await interaction.response.send_message(embed=embed, ephemeral=True)

    # --- Server word lists -----------------------------------------------------------------

    @words.command(name="add", description="Add words to one of this server's lists.")
    @app_commands.describe(
        list_name="The list (made on first use)",
        words="Words or short phrases, separated by commas",
        policy="For a new list: safe (family-safe, the default) or open (not family-safe)",
    )
    @app_commands.rename(list_name="list")
    @requires_permission("admin")
    async def words_add(
        self,
        interaction: discord.Interaction[FleetBot],
        list_name: app_commands.Range[str, 1, MAX_CATEGORY_LENGTH],
        words: app_commands.Range[str, 1, MAX_WORDS_TEXT],
        policy: ListPolicy | None = None,
    ) -> None:
        guild_id, _ = place_of(interaction, SERVER_ONLY)
        name, kept_to, added = await self.service.add_words(
            guild_id, list_name, words, added_by=interaction.user.id, policy=policy
        )
        parts = [
            f"Added {plural(len(added.added), 'word')} to “{name}” ({kept_to.label}), "
            f"which has {added.total} now."
        ]
        if added.already_there:
            parts.append(f"Already there: {', '.join(added.already_there)}.")
        await interaction.response.send_message(
            truncate_string(" ".join(parts), 2000), ephemeral=True
        )

    @words.command(name="remove", description="Remove words from one of this server's lists.")
    @app_commands.describe(list_name="The list", words="Words to remove, separated by commas")
    @app_commands.rename(list_name="list")
    @requires_permission("admin")
    async def words_remove(
        self,
        interaction: discord.Interaction[FleetBot],
        list_name: app_commands.Range[str, 1, MAX_CATEGORY_LENGTH],
        words: app_commands.Range[str, 1, MAX_WORDS_TEXT],
    ) -> None:
        guild_id, _ = place_of(interaction, SERVER_ONLY)
        name, removed = await self.service.remove_words(guild_id, list_name, words)
        await interaction.response.send_message(
            f"Removed {plural(removed, 'word')} from “{name}”.", ephemeral=True
        )

    @words.command(name="show", description="Show the words of one of this server's lists.")
    @app_commands.describe(list_name="The list")
    @app_commands.rename(list_name="list")
    @requires_permission("admin")
    async def words_show(
        self,
        interaction: discord.Interaction[FleetBot],
        list_name: app_commands.Range[str, 1, MAX_CATEGORY_LENGTH],
    ) -> None:
        guild_id, _ = place_of(interaction, SERVER_ONLY)
        words = await self.service.list_words(guild_id, list_name)
        policy = await self.service.list_policy(guild_id, list_name)
        pages = paginate_text(", ".join(words), 1900)
        await interaction.response.send_message(
            f"**{plural(len(words), 'word')}** · {policy.label}:\n{pages[0]}", ephemeral=True
        )
        for page in pages[1:]:
            await interaction.followup.send(page, ephemeral=True)

    @words.command(name="delete", description="Delete one of this server's lists.")
    @app_commands.describe(list_name="The list to delete, with all its words")
    @app_commands.rename(list_name="list")
    @requires_permission("admin")
    async def words_delete(
        self,
        interaction: discord.Interaction[FleetBot],
        list_name: app_commands.Range[str, 1, MAX_CATEGORY_LENGTH],
    ) -> None:
        guild_id, _ = place_of(interaction, SERVER_ONLY)
        name, removed = await self.service.delete_list(guild_id, list_name)
        await interaction.response.send_message(
            f"Deleted “{name}” and its {plural(removed, 'word')}.", ephemeral=True
        )

    # --- The board's buttons and forms -----------------------------------------------------

    async def _is_moderator(self, interaction: discord.Interaction[Any]) -> bool:
        return await resolve_level(self.bot, interaction.user) >= PermissionLevel.MODERATOR

    async def _move(
        self, interaction: discord.Interaction[Any], make_move: Callable[[], Awaitable[Move]]
    ) -> None:
        """Run a move and show it; a refused move is explained to the member only, and logged."""
        try:
            move = await make_move()
        except Exception as error:
            await handle_interaction_error(interaction, error)
            return
        await self._show(interaction, move)

    async def _show(self, interaction: discord.Interaction[Any], move: Move) -> None:
        """Answer with the board, then report the results and tell the end of a finished game."""
        try:
            await self.display.show_move(interaction, move)
            if move.finish is not None:
                level_ups = await self.service.reward(move)
                await self.display.announce_end(interaction, move, level_ups)
        except discord.HTTPException:
            log.warning("could not show a move of hangman game %d", move.game.id, exc_info=True)

    async def press_letter(
        self, interaction: discord.Interaction[Any], game_id: int, letter: str
    ) -> None:
        user_id, channel_id = interaction.user.id, interaction.channel_id
        await self._move(
            interaction,
            lambda: self.service.guess_letter(game_id, user_id, letter, channel_id=channel_id),
        )

    async def take_hint(self, interaction: discord.Interaction[Any], game_id: int) -> None:
        user_id, channel_id = interaction.user.id, interaction.channel_id
        await self._move(
            interaction, lambda: self.service.hint(game_id, user_id, channel_id=channel_id)
        )

    async def give_up(self, interaction: discord.Interaction[Any], game_id: int) -> None:
        user_id = interaction.user.id
        moderator = await self._is_moderator(interaction)
        await self._move(
            interaction,
            lambda: self.service.give_up(
                game_id, user_id, moderator=moderator, channel_id=interaction.channel_id
            ),
        )

    async def submit_word(
        self, interaction: discord.Interaction[Any], game_id: int, word: str
    ) -> None:
        user_id, channel_id = interaction.user.id, interaction.channel_id
        await self._move(
            interaction,
            lambda: self.service.guess_word(game_id, user_id, word, channel_id=channel_id),
        )

    async def open_word_guess(self, interaction: discord.Interaction[Any], game_id: int) -> None:
        try:
            await self.service.playable(
                game_id, interaction.user.id, channel_id=interaction.channel_id
            )
            await interaction.response.send_modal(WordGuessModal(game_id))
        except Exception as error:
            await handle_interaction_error(interaction, error)
