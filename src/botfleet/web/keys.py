"""What the web application shares between its parts, keyed on the aiohttp application."""

from __future__ import annotations

import aiohttp
import jinja2
from aiohttp import web

from botfleet.auth.oauth2 import DiscordOAuth2Client
from botfleet.auth.refresh import RefreshClaims
from botfleet.auth.sessions import Session, SessionStore
from botfleet.auth.tokens import TokenStore
from botfleet.cache import CacheHierarchy, ResilientRedis
from botfleet.config.schema import Settings
from botfleet.database.base import Database
from botfleet.services.rate_limit import RateLimiter
from botfleet.web.channels import BotChannelReader

SETTINGS_KEY = web.AppKey("settings", Settings)
DATABASE_KEY = web.AppKey("database", Database)
REDIS_KEY = web.AppKey("redis", ResilientRedis)
CACHE_KEY = web.AppKey("cache", CacheHierarchy)
STARTED_KEY = web.AppKey("started", float)
SESSIONS_KEY = web.AppKey("sessions", SessionStore)
TEMPLATES_KEY = web.AppKey("templates", jinja2.Environment)
HTTP_KEY = web.AppKey("http", aiohttp.ClientSession)
OAUTH_KEY = web.AppKey("oauth", DiscordOAuth2Client)
"""Absent when Discord login is not configured; the login page then says so."""
TOKENS_KEY = web.AppKey("tokens", TokenStore)
"""Absent when no token encryption key is configured (login needs one)."""
REFRESH_CLAIMS_KEY = web.AppKey("refresh_claims", RefreshClaims)
"""One renewal of a member's Discord token at a time, agreed with the other web processes."""
CHANNELS_KEY = web.AppKey("bot_channels", BotChannelReader)
"""Guilds' channels as the bots see them, for the settings page."""
WEB_LIMITER_KEY = web.AppKey("web_limiter", RateLimiter)
"""Per-client budgets of the JSON API and the public leaderboard pages (:mod:`.limits`)."""

SESSION_KEY = web.RequestKey("session", Session)
