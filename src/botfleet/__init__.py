"""botfleet: six Discord bots standing on one shared infrastructure."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("botfleet")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

BOT_NAMES: tuple[str, ...] = ("grammar", "hangman", "spelling_bee", "mod", "utility", "music")
"""The six bots of the fleet, by the name used in config files, env vars and the CLI."""

BOT_PREFIXES: dict[str, str] = {
    "grammar": "g!",
    "hangman": "h!",
    "spelling_bee": "sb!",
    "mod": "m!",
    "utility": "u!",
    "music": "mu!",
}
"""Each bot's own text-command prefix: six bots share one guild, so `!ping` must not wake six."""
