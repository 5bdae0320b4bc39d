"""Every table of botfleet; importing this package makes ``Base.metadata`` complete."""

from botfleet.database.models import ai as ai  # the table of 0006
from botfleet.database.models import gamification as gamification  # the tables of 0003
from botfleet.database.models import hangman as hangman  # the tables of 0004
from botfleet.database.models import spelling_bee as spelling_bee  # the tables of 0005
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
