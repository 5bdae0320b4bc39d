"""Sync the slash-command tree only when it changed, as Discord asks bots to.

The hash of the payload discord.py would upload is kept per application in the data
directory; a start with the same commands skips the sync and its rate-limited request.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from pathlib import Path
from typing import Any, Literal

from discord import app_commands

log = logging.getLogger(__name__)

SyncMode = Literal["auto", "always", "never"]


def command_tree_hash(tree: app_commands.CommandTree[Any]) -> str:
    """A stable digest of the global commands' upload payload."""
    payload = sorted(
        (command.to_dict(tree) for command in tree.get_commands()),
        key=lambda item: (item.get("type", 1), item["name"]),
    )
    encoded = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()


class TreeSyncer:
    """Decides whether to sync, syncs, and remembers what was synced."""

    def __init__(self, state_dir: Path, application_id: int) -> None:
        self.hash_file = state_dir / f"commands-{application_id}.sha256"

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
        """Sync per ``mode`` ("auto": only when the hash changed).

        Return how many commands were synced, or None when no sync was needed.
        """
        if mode == "never":
            return None
        digest = command_tree_hash(tree)
        if mode == "auto" and await asyncio.to_thread(self._read) == digest:
            log.info("slash commands unchanged; not syncing")
            return None
        synced = await tree.sync()
        await asyncio.to_thread(self._write, digest)
        log.info("synced %d slash commands", len(synced))
        return len(synced)
