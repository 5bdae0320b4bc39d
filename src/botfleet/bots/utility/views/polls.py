"""How button polls look and stay up to date: the poll message, its buttons, the results.

Every vote button is a :class:`discord.ui.DynamicItem` whose ``custom_id`` carries the poll and
the answer (``poll:42:3``). The cog registers the class at start, so a press on a poll posted
before a restart reaches the poll it names, read from the database.

Counts on the poll message are redrawn after votes, at most once per ``poll_refresh_seconds``
for one poll: votes arriving meanwhile share the next redraw. Redraws of one poll take a lock
and read the counts inside it, so a slow older edit never draws over a newer one, and the
final drawing of a closed poll is the last.
"""

from __future__ import annotations

import asyncio
import io
import logging
from typing import TYPE_CHECKING, Any, Final, Protocol, runtime_checkable

import discord

from botfleet.bots.utility.services.poll_chart import render_poll_chart_async
from botfleet.bots.utility.services.polls import (
    Poll,
    PollNotFoundError,
    PollService,
    Tally,
)
from botfleet.core.errors import cog_serving
from botfleet.core.persistent import CustomIdFormat, PersistentItem, digit, number
from botfleet.utils.helpers import truncate_string
from botfleet.utils.wording import agree, and_list, plural

if TYPE_CHECKING:
    from botfleet.core.bot import FleetBot

log = logging.getLogger(__name__)

COG_NAME: Final = "Polls"
NUMBERS: Final = ("1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣", "6️⃣", "7️⃣", "8️⃣", "9️⃣", "🔟")
BUTTONS_PER_ROW: Final = 5
BAR_CELLS: Final = 12
BUTTON_LABEL_LIMIT: Final = 80
VOTERS_FIELD_LIMIT: Final = 1024
EMBED_DESCRIPTION_LIMIT: Final = 4096

Button = discord.ui.Button[discord.ui.View]
VOTE_ID: Final = CustomIdFormat("poll", number("poll"), digit("answer"))
PollChannel = discord.TextChannel | discord.Thread | discord.VoiceChannel | discord.StageChannel
"""Where a poll can be posted: a server's channels that take messages."""


@runtime_checkable
class PollActions(Protocol):
    """What the vote buttons ask of the polls cog."""

    async def press_vote(
        self, interaction: discord.Interaction[Any], poll_id: int, answer: int
    ) -> None: ...


async def actions_of(interaction: discord.Interaction[Any]) -> PollActions | None:
    """The polls cog of the bot that got ``interaction``; tells the member when it is away."""
    return await cog_serving(interaction, COG_NAME, PollActions, "Polls")


class VoteButton(PersistentItem[Button], custom_id=VOTE_ID):
    """One answer of a poll; pressing it votes (or changes or takes back a vote)."""

    def __init__(self, poll_id: int, answer: int, label: str = "", *, row: int | None = None):
        super().__init__(
            discord.ui.Button(
                label=truncate_string(label, BUTTON_LABEL_LIMIT) if label else None,
                emoji=NUMBERS[answer],
                style=discord.ButtonStyle.secondary,
                custom_id=VOTE_ID.build(poll_id, answer),
            ),
            row=row,
        )
        self.poll_id = poll_id
        self.answer = answer

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        cog = await actions_of(interaction)
        if cog is not None:
            await cog.press_vote(interaction, self.poll_id, self.answer)


def vote_buttons(poll: Poll) -> discord.ui.View:
    """One button per answer, five to a row."""
    view = discord.ui.View(timeout=None)
    for index, answer in enumerate(poll.answers):
        view.add_item(VoteButton(poll.id, index, answer, row=index // BUTTONS_PER_ROW))
    return view


def poll_view(poll: Poll) -> discord.ui.View | None:
    """The buttons of an open poll; a closed poll has none."""
    return vote_buttons(poll) if poll.is_open else None


def _bar(share: float) -> str:
    filled = round(share * BAR_CELLS)
    return "█" * filled + "░" * (BAR_CELLS - filled)


def poll_rules(poll: Poll) -> str:
    """The poll's settings in a few words, for its footer."""
    parts = [
        "multiple choice" if poll.multiple_choice else "one answer",
        "votes can change" if poll.allow_change else "votes are final",
    ]
    if poll.anonymous:
        parts.append("anonymous")
    return " · ".join(parts)


def poll_embed(tally: Tally, color: int) -> discord.Embed:
    """The poll message: the question, a bar and a count per answer, and when it ends."""
    poll = tally.poll
    winners = set(tally.leaders) if not poll.is_open else set()
    lines = [f"**{poll.question}**", ""]
    for index, answer in enumerate(poll.answers):
        crown = " 🏆" if index in winners else ""
        lines.append(f"{NUMBERS[index]} {answer}{crown}")
        lines.append(
            f"`{_bar(tally.share(index))}` **{tally.counts[index]}** ({tally.share(index):.0%})"
        )
    lines.append("")
    if poll.is_open:
        lines.append(f"⏳ Ends {discord.utils.format_dt(poll.ends_at, 'R')}")
    elif poll.closed_at is not None:
        lines.append(f"🔒 Ended {discord.utils.format_dt(poll.closed_at, 'f')}")
    embed = discord.Embed(
        title="📊 Poll",
        description=truncate_string("\n".join(lines), EMBED_DESCRIPTION_LIMIT),
        color=color,
    )
    embed.set_footer(text=f"Poll #{poll.id} · {plural(tally.voters, 'voter')} · {poll_rules(poll)}")
    return embed


def chart_filename(poll: Poll) -> str:
    return f"poll-{poll.id}-results.png"


def results_embed(tally: Tally, color: int) -> discord.Embed:
    """The results: who won, the chart, and who voted for what unless it is anonymous."""
    poll = tally.poll
    if not tally.voters:
        verdict = "Nobody voted."
    else:
        names = and_list([f"**{poll.answers[index]}**" for index in tally.leaders])
        lead = "won" if not poll.is_open else agree(len(tally.leaders), "leads", "lead")
        tie = " (a tie)" if len(tally.leaders) > 1 else ""
        verdict = (
            f"{names} {lead}{tie} with {plural(tally.counts[tally.leaders[0]], 'vote')} "
            f"from {plural(tally.voters, 'voter')}."
        )
    state = "Results" if not poll.is_open else "Results so far"
    embed = discord.Embed(
        title=truncate_string(f"📊 {state}: {poll.question}", 256),
        description=verdict,
        color=color,
    )
    if tally.voters_by_answer is not None:
        for index, voters in enumerate(tally.voters_by_answer):
            if voters:
                embed.add_field(
                    name=truncate_string(f"{NUMBERS[index]} {poll.answers[index]}", 256),
                    value=truncate_string(
                        " ".join(f"<@{user_id}>" for user_id in voters), VOTERS_FIELD_LIMIT
                    ),
                    inline=False,
                )
    jump = poll.jump_url()
    if jump is not None:
        embed.add_field(name="Poll", value=f"[Poll #{poll.id}]({jump})", inline=False)
    embed.set_image(url=f"attachment://{chart_filename(poll)}")
    return embed


async def chart_file(tally: Tally) -> discord.File:
    """The results picture as an attachment, drawn in a thread."""
    png = await render_poll_chart_async(tally)
    return discord.File(fp=io.BytesIO(png), filename=chart_filename(tally.poll))


class PollDisplay:
    """Posts polls, keeps their counts current, and announces their results."""

    def __init__(self, bot: FleetBot, service: PollService, refresh_seconds: float) -> None:
        self.bot = bot
        self.service = service
        self.refresh_seconds = refresh_seconds
        self._dirty: set[int] = set()
        self._refreshers: dict[int, asyncio.Task[None]] = {}
        self._drawing: dict[int, asyncio.Lock] = {}

    @property
    def color(self) -> int:
        return self.bot.settings.colors.primary

    async def post(self, interaction: discord.Interaction[Any], poll: Poll) -> None:
        """Answer ``/poll create`` with the poll; a poll that could not be shown is dropped."""
        tally = Tally(poll=poll, counts=(0,) * len(poll.answers), voters=0)
        try:
            await interaction.response.send_message(
                embed=poll_embed(tally, self.color), view=vote_buttons(poll)
            )
            message = await interaction.original_response()
        except Exception:
            await self.service.discard(poll.id)
            raise
        await self.service.attach_message(poll.id, message.id)

    def refresh_soon(self, poll_id: int) -> None:
        """Redraw the poll's counts shortly; votes until then share the one redraw."""
        self._dirty.add(poll_id)
        if poll_id not in self._refreshers:
            self._refreshers[poll_id] = asyncio.create_task(
                self._refresh(poll_id), name=f"poll-refresh-{poll_id}"
            )

    async def _refresh(self, poll_id: int) -> None:
        try:
            while poll_id in self._dirty:
                await asyncio.sleep(self.refresh_seconds)
                self._dirty.discard(poll_id)
                await self.redraw(poll_id)
        except Exception:
            log.exception("redrawing poll %d failed", poll_id)
        finally:
            self._refreshers.pop(poll_id, None)

    async def redraw(self, poll_id: int) -> Tally | None:
        """Draw the poll's message from the database's counts; None when the poll is gone."""
        lock = self._drawing.setdefault(poll_id, asyncio.Lock())
        async with lock:
            try:
                tally = await self.service.tally(poll_id)
            except PollNotFoundError:
                return None
            await self._edit(tally)
        return tally

    async def _edit(self, tally: Tally) -> None:
        poll = tally.poll
        if poll.message_id is None:
            return
        channel = await self._channel(poll)
        if channel is None:
            return
        message = channel.get_partial_message(poll.message_id)
        try:
            await message.edit(embed=poll_embed(tally, self.color), view=poll_view(poll))
        except discord.HTTPException as exc:
            log.info("poll %d: its message could not be redrawn: %s", poll.id, exc)

    async def _channel(self, poll: Poll) -> PollChannel | None:
        channel = self.bot.get_channel(poll.channel_id)
        if channel is None:
            try:
                channel = await self.bot.fetch_channel(poll.channel_id)
            except discord.HTTPException as exc:
                log.warning("poll %d: channel %d is gone: %s", poll.id, poll.channel_id, exc)
                return None
        if not isinstance(channel, PollChannel):
            return None
        return channel

    async def announce_end(self, poll: Poll) -> None:
        """Draw the closed poll and post its results with the chart, under the poll."""
        self._dirty.discard(poll.id)
        tally = await self.redraw(poll.id)
        self._drawing.pop(poll.id, None)
        if tally is None:
            return
        full = await self.service.tally(poll.id, with_voters=True)
        channel = await self._channel(poll)
        if channel is None:
            return
        under_poll: dict[str, Any] = {}
        if poll.message_id is not None:
            under_poll["reference"] = discord.MessageReference(
                message_id=poll.message_id, channel_id=poll.channel_id, fail_if_not_exists=False
            )
        try:
            await channel.send(
                f"📊 Poll #{poll.id} has ended.",
                embed=results_embed(full, self.color),
                file=await chart_file(full),
                allowed_mentions=discord.AllowedMentions.none(),
                **under_poll,
            )
        except discord.HTTPException:
            log.warning("poll %d: its results could not be posted", poll.id, exc_info=True)

    async def close(self) -> None:
        """Stop pending redraws (the cog is unloading)."""
        tasks = list(self._refreshers.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
