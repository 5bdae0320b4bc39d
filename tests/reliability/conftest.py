"""The reliability tests' stage: the Utility Bot (a reminder, slash commands, chat XP) in the
stand-in, with the plugin's ``alice`` and ``general`` around it; a PostgreSQL database of the
test's own behind a proxy the test can cut; the component fuzz tests' scenes."""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from component_fuzzing import Scene, Watch
from reliability_helpers import ProxiedUtility
from sqlalchemy.engine import make_url

from botfleet import get_definition
from botfleet.bots.mod.bot import mod_permissions
from botfleet.bots.music.player import VoiceBackend, use_backend
from botfleet.sandbox import DiscordSandbox, Permission
from botfleet.sandbox.pytest_plugin import FleetBotFactory, FleetBotStage
from botfleet.sandbox.scripting import DEFAULT_BOT_PERMISSIONS
from botfleet.sandbox.tcp_proxy import CuttableProxy
from botfleet.sandbox.voice import SandboxVoiceClient


@pytest.fixture
def stage(fleet_bot: FleetBotFactory) -> FleetBotStage:
    return fleet_bot("utility")


@pytest.fixture
async def proxied_utility(
    migrated_url: str, discord_sandbox: DiscordSandbox, tmp_path: Path
) -> AsyncIterator[ProxiedUtility]:
    """The Utility Bot's stage on the test's migrated PostgreSQL database, reached through a
    proxy the test can cut."""
    url = make_url(migrated_url)
    proxy = CuttableProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    app = discord_sandbox.add_application(get_definition("utility").display_name)
    guild = discord_sandbox.create_guild("Proxied Club", bots=[app])
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(False)
    try:
        yield ProxiedUtility(app, guild, guild.channel("general"), proxied, proxy, tmp_path)
    finally:
        await proxy.close()


@pytest.fixture
def scene(fleet_bot: FleetBotFactory, caplog: pytest.LogCaptureFixture) -> Callable[[str], Scene]:
    """``scene(bot)``: the scene around ``bot`` (the Mod Bot holding what moderation needs)."""

    def make(bot: str) -> Scene:
        stage = fleet_bot(bot)
        if bot == "mod":
            powers = stage.guild.add_role("Mod Bot powers", permissions=mod_permissions())
            stage.guild.guild.members[stage.app.bot_user.id].role_ids.append(powers.id)
        alice, bob = (stage.guild.add_member(name) for name in ("alice", "bob"))
        role_id = stage.guild.add_role("Everyone's role", mentionable=True).id
        general = stage.guild.channel("general")
        return Scene(stage, alice, bob, role_id, general, Watch(stage, caplog))

    return make


@pytest.fixture
def colour_roles(fleet_bot: FleetBotFactory) -> tuple[FleetBotStage, list[int]]:
    """The Utility Bot holding Manage Roles above three colour roles."""
    stage = fleet_bot("utility")
    powers = stage.guild.add_role(
        "Utility powers", permissions=DEFAULT_BOT_PERMISSIONS | Permission.MANAGE_ROLES
    )
    stage.guild.guild.members[stage.app.bot_user.id].role_ids.append(powers.id)
    roles = [stage.guild.add_role(name, position=1).id for name in ("Red", "Green", "Blue")]
    return stage, roles


class RealTimeVoiceClient(SandboxVoiceClient):
    """Reads a frame every 20 ms, as Discord plays it: the track is still playing when the
    buttons are pressed."""

    frame_interval: ClassVar[float] = 0.02


@pytest.fixture
def real_time() -> Iterator[None]:
    with use_backend(VoiceBackend(voice_client_class=RealTimeVoiceClient)):
        yield


@pytest.fixture
def library(program: Callable[[str, str], str], tmp_path: Path) -> Path:
    """One minute-long tone, "Long Road", and a short one queued after it."""
    ffmpeg = program("ffmpeg", "generating test audio")
    folder = tmp_path / "library"
    folder.mkdir()
    for name, seconds, title in (("long.ogg", 60, "Long Road"), ("short.ogg", 1, "First Light")):
        tone = f"sine=frequency=220:sample_rate=48000:duration={seconds}"
        encode = ["-ac", "2", "-c:a", "libopus", "-metadata", f"title={title}"]
        subprocess.run(
            [ffmpeg, "-v", "error", "-y", "-f", "lavfi", "-i", tone, *encode, str(folder / name)],
            check=True,
            timeout=30,
        )
    return folder
