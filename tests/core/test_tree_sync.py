"""Slash commands are synced when they change, and only then."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import discord
from discord import app_commands

from botfleet.core.tree_sync import TreeSyncer, command_tree_hash


class RecordingTree(app_commands.CommandTree[discord.Client]):
    """A real command tree whose upload is recorded instead of sent."""

    def __init__(self) -> None:
        super().__init__(discord.Client(intents=discord.Intents.none()))
        self.uploads: list[list[dict[str, Any]]] = []

    async def sync(self, *, guild: discord.abc.Snowflake | None = None) -> list[Any]:
        payload = [command.to_dict(self) for command in self.get_commands()]
        self.uploads.append(payload)
        return payload


def add_command(tree: app_commands.CommandTree[Any], name: str, description: str) -> None:
    async def callback(interaction: discord.Interaction[Any]) -> None:
        """Command body under test."""

    tree.add_command(app_commands.Command(name=name, description=description, callback=callback))


def test_hash_ignores_order_and_sees_changes() -> None:
    first, second = RecordingTree(), RecordingTree()
    add_command(first, "ping", "Check the bot.")
    add_command(first, "about", "About the bot.")
    add_command(second, "about", "About the bot.")
    add_command(second, "ping", "Check the bot.")
    assert command_tree_hash(first) == command_tree_hash(second)
    second.remove_command("ping")
    add_command(second, "ping", "Check the bot, fast.")
    assert command_tree_hash(first) != command_tree_hash(second)


async def test_auto_mode_syncs_only_on_change(tmp_path: Path) -> None:
    tree = RecordingTree()
    add_command(tree, "ping", "Check the bot.")
    syncer = TreeSyncer(tmp_path, application_id=42)
    assert await syncer.sync_if_changed(tree, "auto") == 1
    assert await syncer.sync_if_changed(tree, "auto") is None
    assert await TreeSyncer(tmp_path, 42).sync_if_changed(tree, "auto") is None
    add_command(tree, "about", "About the bot.")
    assert await syncer.sync_if_changed(tree, "auto") == 2
    assert len(tree.uploads) == 2
    assert await TreeSyncer(tmp_path, 43).sync_if_changed(tree, "auto") == 2


async def test_always_and_never_modes(tmp_path: Path) -> None:
    tree = RecordingTree()
    add_command(tree, "ping", "Check the bot.")
    syncer = TreeSyncer(tmp_path, application_id=7)
    assert await syncer.sync_if_changed(tree, "never") is None
    assert tree.uploads == []
    assert await syncer.sync_if_changed(tree, "always") == 1
    assert await syncer.sync_if_changed(tree, "always") == 1
    syncer.hash_file.unlink()
    assert await syncer.sync_if_changed(tree, "auto") == 1, "a lost hash syncs again"
    assert len(tree.uploads) == 3
