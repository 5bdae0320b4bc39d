"""The cache key names of the architecture document, built in one place.

Every bot asks :class:`CacheKeys` for a key instead of formatting one by hand, so a typo cannot
split one piece of data into two cache entries, and an administrator's change can invalidate a
whole family of keys by its prefix. Keys are relative: the cache adds ``settings.cache.key_prefix``.
"""

from __future__ import annotations


class CacheKeys:
    """Key builders for the ``Caching Strategy`` section of the architecture."""

    @staticmethod
    def user(user_id: int) -> str:
        """Hot data of one user (name, level, XP, premium); TTL ``settings.cache.ttl.user``."""
        return f"user:{user_id}"

    @staticmethod
    def member_record(user_id: int, record: str, guild_id: int) -> str:
        """One member's record ``record`` ("hangman") in one guild; TTL ``ttl.user``.

        Under the member's ``user:{id}:`` prefix, with the rest of their hot data.
        """
        return f"user:{user_id}:{record}:{guild_id}"

    @staticmethod
    def member_records(user_id: int) -> str:
        """Prefix of every record of one member, for ``invalidate_prefix`` after a deletion."""
        return f"user:{user_id}:"

    @staticmethod
    def all_users() -> str:
        """Prefix of every user's hot data and records, for dropping them all from memory."""
        return "user:"

    @staticmethod
    def guild_config(guild_id: int) -> str:
        """One guild's configuration (prefix, locale, features); TTL ``ttl.guild_config``."""
        return f"guild:{guild_id}:config"

    @staticmethod
    def leaderboard(guild_id: int, category: str, period: str) -> str:
        """One ranked leaderboard of a guild; TTL ``ttl.leaderboard``."""
        return f"leaderboard:{guild_id}:{category}:{period}"

    @staticmethod
    def guild_state(guild_id: int, name: str) -> str:
        """A bot's state ``name`` ("raid") of one guild; TTL ``ttl.guild_config``."""
        return f"guild:{guild_id}:{name}"

    @staticmethod
    def bot_state(name: str) -> str:
        """A bot's state ``name`` shared by every guild; TTL ``ttl.guild_config``."""
        return f"bot:{name}"

    @staticmethod
    def guild_leaderboards(guild_id: int) -> str:
        """Prefix of every leaderboard of a guild, for ``invalidate_prefix`` after a reset."""
        return f"leaderboard:{guild_id}:"

    @staticmethod
    def all_leaderboards() -> str:
        """Prefix of every leaderboard of every guild: a deleted member leaves them all."""
        return "leaderboard:"

    @staticmethod
    def rate_limit(user_id: int, command: str) -> str:
        """The rate-limit bucket of one user for one command; lives ``time_window`` seconds."""
        return f"ratelimit:{user_id}:{command}"
