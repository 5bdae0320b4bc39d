"""botfleet's tables: the shared ones here, each bot's in the modules its definition names.

Importing this package registers the tables every bot reads; :func:`import_all_models` adds
the shared services' that only some processes use and every installed bot's, which creating the
schema and Alembic need to see the whole ``Base.metadata``.
"""

from importlib import import_module

from botfleet import bot_definitions
from botfleet.database.models import gamification as gamification  # the tables of 0003
from botfleet.database.models import heartbeat as heartbeat  # a table of 0007
from botfleet.database.models import premium as premium  # the tables of 0021
from botfleet.database.models.achievement import Achievement, UserAchievement
from botfleet.database.models.guild import Guild
from botfleet.database.models.leaderboard import LeaderboardEntry
from botfleet.database.models.stats import UserBotStats
from botfleet.database.models.timer import Timer
from botfleet.database.models.user import User

__all__ = [
    "Achievement",
    "Guild",
    "LeaderboardEntry",
    "Timer",
    "User",
    "UserAchievement",
    "UserBotStats",
    "import_all_models",
]


SERVICE_MODELS_MODULES = (
    "botfleet.database.models.ai",  # the table of 0006: the AI service's (the Grammar Bot's)
    "botfleet.database.models.dashboard",  # the table of 0020: the web dashboard's
)
"""Tables of shared services only some processes use, imported by the code that reads them:
a bot that never does maps none of them (about 80 KB each, issue 16)."""


def import_all_models() -> None:
    """Import the modules of every table, so ``Base.metadata`` is complete."""
    for module in SERVICE_MODELS_MODULES:
        import_module(module)
    for definition in bot_definitions():
        for module in definition.models_modules:
            import_module(module)
