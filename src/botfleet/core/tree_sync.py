"""Sync the slash-command tree only when it changed, as Discord asks bots to.

The hash of the payload discord.py would upload is kept per application (and per development
server) in the data directory; a start with the same commands skips the sync and its
rate-limited request.

In development (``bot.sync_guild``, or ``DEV_GUILD_ID``) the global commands are copied to that
one server and synced there, as discord.py's examples do: Discord shows a server's commands at
once, where a global change can take a while to reach every client.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from pathlib import Path
from typing import Any, Literal

import discord
from discord import app_commands

log = logging.getLogger(__name__)

SyncMode = Literal["auto", "always", "never"]


def command_tree_hash(
    tree: app_commands.CommandTree[Any], guild: discord.abc.Snowflake | None = None
) -> str:
    """A stable digest of the upload payload of the global commands, or of one server's."""
    payload = sorted(
        (command.to_dict(tree) for command in tree.get_commands(guild=guild)),
        key=lambda item: (item.get("type", 1), item["name"]),
    )
    encoded = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()


class TreeSyncer:
    """Decides whether to sync, syncs, and remembers what was synced."""

    def __init__(self, state_dir: Path, application_id: int, guild_id: int | None = None) -> None:
        where = "" if guild_id is None else f"-guild-{guild_id}"
        self.hash_file = state_dir / f"commands-{application_id}{where}.sha256"
        self.guild = None if guild_id is None else discord.Object(guild_id)
        self._recalled: asyncio.Task[str | None] | None = None

    def recall(self) -> None:
        """Begin reading the digest of the last sync in a thread, while the extensions load;
        the next :meth:`sync_if_changed` takes it instead of reading the file after them."""
        if self._recalled is None:
            self._recalled = asyncio.create_task(asyncio.to_thread(self._read))

    async def _last_synced(self) -> str | None:
        recalled, self._recalled = self._recalled, None
        if recalled is not None:
            return await recalled
        return await asyncio.to_thread(self._read)

    def _read(self) -> str | None:
        try:
            return self.hash_file.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return None

    def _write(self, digest: str) -> None:
        self.hash_file.parent.mkdir(parents=True, exist_ok=True)
        self.hash_file.write_text(digest + "\n", encoding="ascii")

    async def sync_if_changed(
        self, tree: app_commands.CommandTree[Any], mode: SyncMode
    ) -> int | None:
        """Sync per ``mode`` ("auto": only when the hash changed), to the development server
        when there is one, with the global commands copied there first.

        Return how many commands were synced, or None when no sync was needed.
        """
        if mode == "never":
            return None
        if self.guild is not None:
            tree.clear_commands(guild=self.guild)  # a command gone from the code goes there too
            tree.copy_global_to(guild=self.guild)
        digest = command_tree_hash(tree, self.guild)
        if mode == "auto" and await self._last_synced() == digest:
            log.info("slash commands unchanged; not syncing")
            return None
        synced = await tree.sync(guild=self.guild)
        await asyncio.to_thread(self._write, digest)
        where = "" if self.guild is None else f" to the development server {self.guild.id}"
        log.info("synced %d slash commands%s", len(synced), where)
        return len(synced)
