"""Every table of botfleet; importing this package makes ``Base.metadata`` complete."""

from botfleet.database.models import ai as ai  # the table of 0006
from botfleet.database.models import community as community  # the tables of 0010
from botfleet.database.models import gamification as gamification  # the tables of 0003
from botfleet.database.models import grammar as grammar  # the tables of 0008 and 0015
from botfleet.database.models import hangman as hangman  # the tables of 0004
from botfleet.database.models import heartbeat as heartbeat  # a table of 0007
from botfleet.database.models import mod as mod  # the tables of 0016
from botfleet.database.models import polls as polls  # the tables of 0009
from botfleet.database.models import role_menus as role_menus  # the tables of 0011
from botfleet.database.models import spelling_bee as spelling_bee  # the tables of 0005
from botfleet.database.models import spelling_bee_classic as spelling_bee_classic  # 0012
from botfleet.database.models import utility as utility  # the other tables of 0007
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
]
