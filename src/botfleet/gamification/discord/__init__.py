"""Gamification at the Discord edge: the commands, views, XP extension and reward-role sync.

Everything here turns Discord events into calls to the domain (:mod:`botfleet.gamification`,
which never imports discord.py) and its decisions back into messages and roles.
"""
