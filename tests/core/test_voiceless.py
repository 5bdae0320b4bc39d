"""Bot processes run without discord.py's voice libraries until a voice join (issue 16: about
2 MB of an idle bot); loaded then, voice works as if they had been there from the start."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys
from botfleet.core.voiceless import leave_out_voice_libraries, voice_libraries_left_out
{before}
leave_out_voice_libraries()
import discord.voice_client, discord.voice_state
print(discord.voice_client.has_nacl, discord.voice_state.has_dave, voice_libraries_left_out())
"""

JOIN = """
from botfleet.core.voiceless import leave_out_voice_libraries, load_voice_libraries
leave_out_voice_libraries()
import discord

client = discord.Client(intents=discord.Intents.none())
state = client._connection
guild = discord.Guild(data={"id": "1", "name": "Guild"}, state=state)
channel = discord.VoiceChannel(state=state, guild=guild, data={
    "id": "2", "type": 2, "name": "Voice", "position": 0, "guild_id": "1", "bitrate": 64000,
    "user_limit": 0,
})
try:
    discord.VoiceClient(client, channel)
except RuntimeError as refused:
    print("before:", refused)
load_voice_libraries()
voice = discord.VoiceClient(client, channel)
import davey, discord.gateway
voice._connection.secret_key = [0] * 32
sealed = voice._encrypt_aead_xchacha20_poly1305_rtpsize(bytes(12), b"frame")
dave = voice._connection.max_dave_protocol_version == davey.DAVE_PROTOCOL_VERSION
print("after:", len(sealed) - 12 - len(b"frame") - 4, dave, discord.gateway.davey is davey)
"""


def run(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_left_out_before_discord_loads_discord_runs_as_without_them() -> None:
    assert run(CHECK.format(before="")) == "False False True"


def test_a_process_that_loaded_discord_already_keeps_them() -> None:
    """A test's process, say: nothing is taken from a library already loaded."""
    assert run(CHECK.format(before="import discord")) == "True True False"


def test_loaded_at_a_first_join_voice_encrypts_and_speaks_dave() -> None:
    """Refused before (as discord.py refuses without them); after, the client seals a frame
    with PyNaCl (a 16-byte tag) and offers DAVE, the voice gateway's module reads davey."""
    before, after = run(JOIN).splitlines()
    assert before == "before: PyNaCl library needed in order to use voice"
    assert after == "after: 16 True True"


RACE = """
import threading
from botfleet.core.voiceless import leave_out_voice_libraries, load_voice_libraries
leave_out_voice_libraries()
import discord.voice_client

seen = []
def join():
    load_voice_libraries()
    seen.append(discord.voice_client.has_nacl and discord.voice_client.has_dave)
joins = [threading.Thread(target=join) for _ in range(4)]
for thread in joins:
    thread.start()
for thread in joins:
    thread.join()
print(seen)
"""

MISSING = """
import sys
from botfleet.core.voiceless import (
    leave_out_voice_libraries, load_voice_libraries, voice_libraries_installed,
    voice_libraries_left_out,
)
leave_out_voice_libraries()
import discord
import importlib.machinery
real = importlib.machinery.PathFinder.find_spec
importlib.machinery.PathFinder.find_spec = classmethod(
    lambda cls, name, *rest: None if name == "davey" else real(name, *rest)
)
print(voice_libraries_installed())
for _ in range(2):
    try:
        load_voice_libraries()
    except ImportError as missing:
        print("refused:", missing.name, voice_libraries_left_out())
"""


def test_joins_at_once_each_find_voice_loaded() -> None:
    """Servers joining at once (a restart resuming its players): none is let through before
    the first join has set everything discord.py reads."""
    assert run(RACE) == "[True, True, True, True]"


def test_without_the_libraries_installed_a_join_is_refused_each_time() -> None:
    """Left out and not installed either: discord.py's own warning stays on at start, and each
    join says what is missing, the libraries still absent for the next."""
    assert run(MISSING).splitlines() == [
        "False",
        "refused: davey True",
        "refused: davey True",
    ]
