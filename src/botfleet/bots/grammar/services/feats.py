"""The Grammar Bot's feats, as the gamification framework counts them (``grammar:clean``...)."""

from __future__ import annotations

from botfleet.gamification import Feat


class GrammarFeat(Feat):
    """A clean message in an auto-checked channel, a right quiz answer, a week of daily quizzes."""

    CLEAN = "clean"
    QUIZ_CORRECT = "quiz_correct"
    QUIZ_WEEK = "quiz_week"
