"""Tables of the Hangman Bot (migration 0004): games in play, players' records, guild lists.

A game's row lives only while the game is played: the move that ends it records the players'
results and deletes the row in one transaction. That keeps "one game per channel" a plain
unique index, and leaves nothing about finished games to delete for a privacy request.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Index, Integer, Text, false, func, text
from sqlalchemy.orm import Mapped, mapped_column

from botfleet.database.base import Base, UTCDateTime, json_variant


class HangmanGame(Base):
    """One game being played in a channel: the word, the guesses so far, who may play."""

    __tablename__ = "hangman_games"
    __table_args__ = (
        Index("uq_hangman_games_channel_id", "channel_id", unique=True),
        # Never reuse the id of an ended game: old buttons carry it in their custom_id.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    channel_id: Mapped[int] = mapped_column(BigInteger)
    board_message_id: Mapped[int | None] = mapped_column(BigInteger)
    """The message with the drawing and the letters A–Y."""
    controls_message_id: Mapped[int | None] = mapped_column(BigInteger)
    """The message with Z, "guess the word", the hint and "give up"."""
    starter_id: Mapped[int] = mapped_column(BigInteger)
    setter_id: Mapped[int | None] = mapped_column(BigInteger)
    """The member who chose the word (a member's own word), who may not guess it."""
    player_id: Mapped[int | None] = mapped_column(BigInteger)
    """The only member who may guess (solo, or a challenge); None lets everyone guess."""
    word: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(Text)
    difficulty: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    """``words`` (the bundled lists), ``guild`` (a guild's list) or ``member`` (a member's)."""
    guessed: Mapped[str] = mapped_column(Text, default="", server_default=text("''"))
    """Every letter guessed or revealed, in order."""
    wrong_words: Mapped[list[str]] = mapped_column(json_variant(), default=list)
    hints: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    solved: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    participants: Mapped[list[int]] = mapped_column(json_variant(), default=list)
    """Members who made a move, in order (the starter first in a game for everyone)."""
    version: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    """Raised by every move; a move saved over a newer version is refused."""
    timer_key: Mapped[str | None] = mapped_column(Text)
    """Names the game's current inactivity timer; a timer with another key is stale."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
    last_move_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())

    def __repr__(self) -> str:
        return (
            f"HangmanGame(id={self.id!r}, channel_id={self.channel_id!r}, "
            f"category={self.category!r})"
        )


class HangmanStats(Base):
    """One member's Hangman record in one guild."""

    __tablename__ = "hangman_stats"
    __table_args__ = (Index("ix_hangman_stats_ranking", "guild_id", "points", "won"),)

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    played: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    won: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    current_streak: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    best_streak: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    flawless: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    points: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    last_played_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return (
            f"HangmanStats(guild_id={self.guild_id!r}, user_id={self.user_id!r}, "
            f"played={self.played!r}, won={self.won!r})"
        )


class HangmanGuildWord(Base):
    """A word of a guild's own list, added by one of its admins."""

    __tablename__ = "hangman_guild_words"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    list_name: Mapped[str] = mapped_column(Text, primary_key=True)
    word: Mapped[str] = mapped_column(Text, primary_key=True)
    added_by: Mapped[int | None] = mapped_column(BigInteger)
    """The admin who added it; None once they asked for their data to be deleted."""
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
    policy: Mapped[str] = mapped_column(Text, server_default="safe", default="safe")
    """The list's content policy (``ListPolicy``), chosen when the list was made: the same on
    every word of a list."""

    def __repr__(self) -> str:
        return (
            f"HangmanGuildWord(guild_id={self.guild_id!r}, list_name={self.list_name!r}, "
            f"word={self.word!r})"
        )
