"""Embeds and buttons of the gamification commands: leaderboard pages and achievement lists."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

import discord

from botfleet.gamification.achievements import AchievementProgress
from botfleet.gamification.boards import RankedEntry
from botfleet.gamification.leaderboard_pages import LeaderboardPage
from botfleet.utils.helpers import create_embed
from botfleet.utils.wording import plural

if TYPE_CHECKING:
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)

LEADERBOARD_TIMEOUT: Final = 180.0
"""Seconds the page buttons stay live; then they are greyed out."""
MAX_ACHIEVEMENT_LINES: Final = 25
MEDALS: Final = {1: "🥇", 2: "🥈", 3: "🥉"}
RARITY_ICONS: Final = {"common": "⚪", "rare": "🔵", "epic": "🟣", "legendary": "🟠"}

PageTurner = Callable[[LeaderboardPage, bool], Awaitable[LeaderboardPage]]
"""The page after (``True``) or before a page, read on from it (``LeaderboardService.turn``)."""


def _unit(category: str) -> str:
    return "XP" if category == "xp" else ""


MentionCheck = Callable[[int], bool]
"""Whether a mention of this user id renders for the viewer (they share the server)."""


def member_label(user_id: int, names: Mapping[int, str], mention_renders: MentionCheck) -> str:
    """A mention where it renders, else the stored username (a mention would read
    "@unknown-user" to viewers in a server the member is not in)."""
    if mention_renders(user_id):
        return f"<@{user_id}>"
    name = names.get(user_id)
    return discord.utils.escape_markdown(name) if name else "a former member"


def _rank_line(entry: RankedEntry, category: str, label: str) -> str:
    place = MEDALS.get(entry.rank, f"**#{entry.rank}**")
    unit = _unit(category)
    value = f"{entry.value:,} {unit}".strip()
    return f"{place} {label} — {value}"


def leaderboard_embed(
    page: LeaderboardPage,
    own: RankedEntry | None,
    *,
    title: str,
    colour: int,
    mention_renders: MentionCheck,
) -> discord.Embed:
    """One page of a board, with the viewer's own place at the foot even off the page."""
    board = page.board
    category = board.category
    if page.entries:
        description = "\n".join(
            _rank_line(entry, category, member_label(entry.user_id, page.names, mention_renders))
            for entry in page.entries
        )
    else:
        description = "Nobody is on this board yet — be the first!"
    if own is None:
        yours = "You are not on this board yet."
    else:
        value = f"{own.value:,} {_unit(category)}".strip()
        yours = f"#{own.rank} of {page.total:,} with {value}"
    return create_embed(
        title=title,
        description=description,
        color=colour,
        fields=[("Your rank", yours, False)],
        footer=f"Page {page.page}/{page.pages} · {board.period.value.replace('_', ' ')} · "
        f"since {board.start.isoformat()} (UTC)",
    )


class LeaderboardView(discord.ui.View):
    """Previous and next buttons that only the member who asked may press; each turns from
    the page shown, so a board that changes between presses lists nobody twice."""

    def __init__(
        self,
        owner_id: int,
        page: LeaderboardPage,
        turn: PageTurner,
        render: Callable[[LeaderboardPage], discord.Embed],
    ) -> None:
        super().__init__(timeout=LEADERBOARD_TIMEOUT)
        self.owner_id = owner_id
        self.page = page
        self.turn = turn
        self.render = render
        self.message: discord.InteractionMessage | None = None
        self._refresh_buttons()

    def _refresh_buttons(self) -> None:
        self.previous_page.disabled = not self.page.has_previous
        self.next_page.disabled = not self.page.has_next

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message(
            "These buttons belong to whoever opened this leaderboard — run `/leaderboard` "
            "to get your own.",
            ephemeral=True,
        )
        return False

    async def _show(self, interaction: discord.Interaction[FleetBot], *, forward: bool) -> None:
        """Turn the page, in time even when ranking it is slow; the buttons keep the page
        shown when the message could not be edited."""
        # Imported here: the core imports gamification when it loads (its bot holds one).
        from botfleet.core.answers import answer_in_time  # noqa: PLC0415

        async with answer_in_time(interaction, "leaderboard page", updates_message=True) as answer:
            shown = self.page
            self.page = await self.turn(shown, forward)
            self._refresh_buttons()
            try:
                await answer.send(embed=self.render(self.page), view=self)
            except discord.HTTPException:
                self.page = shown
                self._refresh_buttons()
                raise

    @discord.ui.button(label="Previous", emoji="◀️", style=discord.ButtonStyle.secondary)
    async def previous_page(
        self, interaction: discord.Interaction[FleetBot], button: discord.ui.Button[LeaderboardView]
    ) -> None:
        await self._show(interaction, forward=False)

    @discord.ui.button(label="Next", emoji="▶️", style=discord.ButtonStyle.secondary)
    async def next_page(
        self, interaction: discord.Interaction[FleetBot], button: discord.ui.Button[LeaderboardView]
    ) -> None:
        await self._show(interaction, forward=True)

    async def on_timeout(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button):
                item.disabled = True
        if self.message is not None:
            try:
                await self.message.edit(view=self)
            except discord.HTTPException:
                log.debug("leaderboard message gone before its buttons expired")


def achievements_embed(
    name: str, progress: Sequence[AchievementProgress], *, colour: int
) -> discord.Embed:
    """Unlocked achievements first, then the others with a progress bar each."""
    unlocked = sum(1 for item in progress if item.unlocked)
    points = sum(item.definition.points for item in progress if item.unlocked)
    lines = []
    for item in progress[:MAX_ACHIEVEMENT_LINES]:
        definition = item.definition
        rarity = definition.rarity or "common"
        icon = RARITY_ICONS.get(rarity, "🏆")
        status = "✅" if item.unlocked else f"`{item.bar()}` {item.percent}%"
        about = f" — {definition.description}" if definition.description else ""
        lines.append(f"{icon} **{definition.name}** · {rarity} · {status}{about}")
    hidden = len(progress) - MAX_ACHIEVEMENT_LINES
    if hidden > 0:
        lines.append(f"…and {hidden} more.")
    return create_embed(
        title=f"Achievements of {name}",
        description="\n".join(lines) or "There are no achievements yet.",
        color=colour,
        footer=f"{unlocked}/{len(progress)} unlocked · {plural(points, 'point')}",
    )
