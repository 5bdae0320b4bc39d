"""The read-only JSON API: the member's profile and achievements, public guild leaderboards.

``/api/v1/openapi.json`` describes it (OpenAPI 3.1). ``/api/v1/me`` and
``/api/v1/me/achievements`` answer the member logged in on the session; a guild's leaderboard
answers once its admins made it public. Its pages carry the query of the next and previous
page: a cursor (``after=``/``before=`` the last/first XP and member listed) that reads on from
the page, as the dashboard's links do, so a board that changes between two requests lists
nobody twice; numbered ``page=`` alone reads the cached ranking of the first ten pages.

Each client (see :mod:`botfleet.web.limits`) has ``web.api_requests_per_minute`` requests a
minute in the fleet's shared sliding-window limiter; more are answered 429 with ``Retry-After``.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from aiohttp import web
from multidict import MultiMapping

from botfleet import __version__
from botfleet.core.option_limits import STORED_NUMBER_LIMIT
from botfleet.gamification.leaderboard_pages import MAX_PER_PAGE, LeaderboardPage
from botfleet.services.rate_limit import RateLimitRule
from botfleet.web.dashboard import (
    EarnedAchievement,
    achievements_of,
    leaderboard_is_public,
    public_board_page,
)
from botfleet.web.dashboard import profile_of as load_profile
from botfleet.web.inputs import (
    SNOWFLAKE_MAX,
    ForgedAnchorError,
    leaderboard_anchor,
    snowflake,
    whole_number,
)
from botfleet.web.keys import CACHE_KEY, DATABASE_KEY, SETTINGS_KEY
from botfleet.web.limits import seconds_to_wait
from botfleet.web.rendering import Handler
from botfleet.web.sessions import current_user_id

log = logging.getLogger(__name__)

PREFIX: Final = "/api/v1"


def problem(status: int, error: str, message: str, **headers: str) -> web.Response:
    """A JSON error: ``{"error": <code>, "message": <sentence>}``."""
    return web.json_response({"error": error, "message": message}, status=status, headers=headers)


@web.middleware
async def api_rate_limit(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Spend one of the client's requests on every API call; refuse when none is left."""
    if not request.path.startswith(PREFIX + "/"):
        return await handler(request)
    rule = RateLimitRule(request.app[SETTINGS_KEY].web.api_requests_per_minute, 60.0)
    wait = await seconds_to_wait(request, "web-api", rule)
    if wait is not None:
        return problem(
            429,
            "rate_limited",
            f"Too many requests; try again in {wait}s.",
            **{"Retry-After": str(wait)},
        )
    return await handler(request)


def _achievement(item: EarnedAchievement) -> dict[str, Any]:
    return {
        "name": item.name,
        "description": item.description,
        "rarity": item.rarity,
        "points": item.points,
        "unlocked_at": item.unlocked_at.isoformat(),
    }


def _logged_in(request: web.Request) -> int | web.Response:
    user_id = current_user_id(request)
    if user_id is None:
        return problem(401, "not_logged_in", "Log in with Discord at /login first.")
    return user_id


async def my_profile(request: web.Request) -> web.Response:
    """``GET /api/v1/me``: level, XP, premium and achievements of the logged-in member."""
    user_id = _logged_in(request)
    if isinstance(user_id, web.Response):
        return user_id
    profile = await load_profile(request.app[DATABASE_KEY], user_id)
    if profile is None:
        return problem(404, "no_profile", "The bots have not seen this member yet.")
    return web.json_response(
        {
            "id": str(profile.user_id),
            "username": profile.username,
            "level": profile.level,
            "total_xp": profile.total_xp,
            "premium": {
                "active": profile.is_premium,
                "tier": profile.premium_tier,
                "since": profile.premium_since.isoformat() if profile.premium_since else None,
            },
            "bots": [{"bot": bot.bot_name, "commands": bot.command_count} for bot in profile.bots],
            "guilds": [
                {"guild_id": str(item.guild_id), "xp": item.xp, "level": item.level}
                for item in profile.guilds
            ],
            "achievements": [_achievement(item) for item in profile.achievements],
        }
    )


async def my_achievements(request: web.Request) -> web.Response:
    """``GET /api/v1/me/achievements``: what the logged-in member unlocked, newest first."""
    user_id = _logged_in(request)
    if isinstance(user_id, web.Response):
        return user_id
    earned = await achievements_of(request.app[DATABASE_KEY], user_id)
    return web.json_response({"achievements": [_achievement(item) for item in earned]})


def _bounded_int(
    query: MultiMapping[str], name: str, default: int, low: int, high: int
) -> int | None:
    """The query's ``name`` from ``low`` to ``high``, ``default`` without one; None when it is
    malformed, out of bounds or repeated (which one would count is no client's guess)."""
    raw = query.getall(name, [])
    if not raw:
        return default
    value = whole_number(raw[0]) if len(raw) == 1 else None
    return value if value is not None and low <= value <= high else None


def _cursor(board: LeaderboardPage, *, forward: bool) -> dict[str, Any] | None:
    """The query parameters of the page after ``board`` (or before it), None at its end:
    the anchor the next request reads on from, and that page's number."""
    if not (board.has_next if forward else board.has_previous):
        return None
    if not board.entries:  # past the end of a board that shrank: the last page by number
        return {"page": board.page - 1}
    entry = board.entries[-1] if forward else board.entries[0]
    side = "after" if forward else "before"
    return {"page": board.page + (1 if forward else -1), side: f"{entry.value}.{entry.user_id}"}


async def guild_leaderboard(request: web.Request) -> web.Response:
    """``GET /api/v1/guilds/{guild_id}/leaderboard``: a public guild's all-time XP ranking."""
    raw_id = request.match_info["guild_id"]
    guild_id = snowflake(raw_id)
    if guild_id is None and whole_number(raw_id, max_digits=19) is None:
        return problem(400, "invalid_guild_id", "guild_id is a Discord id (digits).")
    page = _bounded_int(request.query, "page", 1, 1, 100_000)
    per_page = _bounded_int(request.query, "per_page", 10, 1, MAX_PER_PAGE)
    if page is None or per_page is None:
        return problem(
            400, "invalid_page", f"page is 1 or more, per_page 1 to {MAX_PER_PAGE}; each once."
        )
    try:
        anchor = leaderboard_anchor(request.query)
    except ForgedAnchorError as exc:
        log.info("API leaderboard cursor of guild %s refused: %s", raw_id[:20], exc)
        return problem(
            400,
            "invalid_cursor",
            "after and before take a cursor from a page's next or previous, one at a time.",
        )
    database = request.app[DATABASE_KEY]
    # Digits past the largest id Discord issues name no guild: the same answer as a private one.
    if guild_id is None or not await leaderboard_is_public(database, guild_id):
        return problem(404, "not_public", "This guild's leaderboard is not public.")
    board = await public_board_page(
        database,
        request.app[CACHE_KEY],
        guild_id,
        anchor,
        page=page if anchor is None or "page" in request.query else None,
        per_page=per_page,
    )
    return web.json_response(
        {
            "guild_id": str(guild_id),
            "page": board.page,
            "pages": board.pages,
            "total": board.total,
            "entries": [
                {
                    "rank": entry.rank,
                    "user_id": str(entry.user_id),
                    "username": board.names.get(entry.user_id),
                    "xp": entry.value,
                }
                for entry in board.entries
            ],
            "next": _cursor(board, forward=True),
            "previous": _cursor(board, forward=False),
        }
    )


def _error_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


_ACHIEVEMENT: Final = {
    "type": "object",
    "required": ["name", "description", "rarity", "points", "unlocked_at"],
    "properties": {
        "name": {"type": "string"},
        "description": {"type": ["string", "null"]},
        "rarity": {"type": ["string", "null"]},
        "points": {"type": "integer"},
        "unlocked_at": {"type": "string", "format": "date-time"},
    },
}
_SNOWFLAKE: Final = {"type": "string", "pattern": "^[0-9]+$"}


def _up_to(limit: int) -> str:
    """A regular expression of the whole numbers from 1 to ``limit``, in decimal."""
    digits = str(limit)
    options = [f"[1-9][0-9]{{0,{len(digits) - 2}}}"] if len(digits) > 1 else []
    for index, digit in enumerate(digits):
        low = 1 if index == 0 else 0  # no leading zero
        if int(digit) > low:
            rest = len(digits) - index - 1
            options.append(f"{digits[:index]}[{low}-{int(digit) - 1}][0-9]{{{rest}}}")
    return "(?:" + "|".join([*options, digits]) + ")"


_CURSOR: Final = {
    "type": "string",
    "pattern": f"^{_up_to(STORED_NUMBER_LIMIT)}[.]{_up_to(SNOWFLAKE_MAX)}$",
    "description": "The XP and member id of an entry, as a page's next or previous gives it",
}
_PAGE_LINK: Final = {
    "description": "The query parameters of the next (previous) page, to send with the same "
    "per_page; null at the end of the board. Pages read by cursor list nobody twice and skip "
    "nobody while the board changes; pages read by number alone may, past the tenth.",
    "type": ["object", "null"],
    "required": ["page"],
    "properties": {
        "page": {"type": "integer", "minimum": 1},
        "after": _CURSOR,
        "before": _CURSOR,
    },
}
_LIMITED: Final = {
    "description": "Too many requests from this client",
    "headers": {"Retry-After": {"schema": {"type": "string", "pattern": "^[0-9]+$"}}},
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 description of this API."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "botfleet dashboard API",
            "version": __version__,
            "description": "Read-only: your profile and achievements (logged in with Discord "
            "on the dashboard), and the leaderboards guilds made public.",
        },
        "paths": {
            f"{PREFIX}/me": {
                "get": {
                    "operationId": "getMyProfile",
                    "summary": "The logged-in member's profile",
                    "responses": {
                        "200": {
                            "description": "The profile",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Profile"}
                                }
                            },
                        },
                        "401": _error_response("Not logged in"),
                        "404": _error_response("The bots have not seen this member"),
                        "429": _LIMITED,
                    },
                }
            },
            f"{PREFIX}/me/achievements": {
                "get": {
                    "operationId": "getMyAchievements",
                    "summary": "The logged-in member's achievements",
                    "responses": {
                        "200": {
                            "description": "Unlocked achievements, newest first",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "required": ["achievements"],
                                        "properties": {
                                            "achievements": {"type": "array", "items": _ACHIEVEMENT}
                                        },
                                    }
                                }
                            },
                        },
                        "401": _error_response("Not logged in"),
                        "429": _LIMITED,
                    },
                }
            },
            f"{PREFIX}/guilds/{{guild_id}}/leaderboard": {
                "get": {
                    "operationId": "getGuildLeaderboard",
                    "summary": "A public guild's all-time XP leaderboard",
                    "parameters": [
                        {
                            "name": "guild_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "pattern": "^[1-9][0-9]{0,18}$"},
                        },
                        {
                            "name": "page",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 100000},
                        },
                        {
                            "name": "per_page",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
                        },
                        {
                            "name": "cursor",
                            "in": "query",
                            "description": "`after=` the cursor of a page's `next` (the "
                            "entries ranked now right after the last one it listed), or "
                            "`before=` that of its `previous`; one of them",
                            "style": "form",
                            "explode": True,
                            "schema": {
                                "type": "object",
                                "oneOf": [
                                    {"required": ["after"], "not": {"required": ["before"]}},
                                    {"required": ["before"], "not": {"required": ["after"]}},
                                ],
                                "properties": {"after": _CURSOR, "before": _CURSOR},
                                "additionalProperties": False,
                            },
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "One page of the ranking",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Leaderboard"}
                                }
                            },
                        },
                        "400": _error_response("A malformed guild id, page or cursor"),
                        "404": _error_response("The guild's leaderboard is not public"),
                        "429": _LIMITED,
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error", "message"],
                    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
                },
                "Profile": {
                    "type": "object",
                    "required": [
                        "id",
                        "username",
                        "level",
                        "total_xp",
                        "premium",
                        "bots",
                        "guilds",
                        "achievements",
                    ],
                    "properties": {
                        "id": _SNOWFLAKE,
                        "username": {"type": "string"},
                        "level": {"type": "integer"},
                        "total_xp": {"type": "integer"},
                        "premium": {
                            "type": "object",
                            "required": ["active", "tier", "since"],
                            "properties": {
                                "active": {"type": "boolean"},
                                "tier": {"type": "integer"},
                                "since": {"type": ["string", "null"], "format": "date-time"},
                            },
                        },
                        "bots": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["bot", "commands"],
                                "properties": {
                                    "bot": {"type": "string"},
                                    "commands": {"type": "integer"},
                                },
                            },
                        },
                        "guilds": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["guild_id", "xp", "level"],
                                "properties": {
                                    "guild_id": _SNOWFLAKE,
                                    "xp": {"type": "integer"},
                                    "level": {"type": "integer"},
                                },
                            },
                        },
                        "achievements": {"type": "array", "items": _ACHIEVEMENT},
                    },
                },
                "Leaderboard": {
                    "type": "object",
                    "required": [
                        "guild_id",
                        "page",
                        "pages",
                        "total",
                        "entries",
                        "next",
                        "previous",
                    ],
                    "properties": {
                        "guild_id": _SNOWFLAKE,
                        "page": {"type": "integer", "minimum": 1},
                        "pages": {"type": "integer", "minimum": 1},
                        "total": {"type": "integer", "minimum": 0},
                        "entries": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["rank", "user_id", "username", "xp"],
                                "properties": {
                                    "rank": {"type": "integer", "minimum": 1},
                                    "user_id": _SNOWFLAKE,
                                    "username": {"type": ["string", "null"]},
                                    "xp": {"type": "integer"},
                                },
                            },
                        },
                        "next": _PAGE_LINK,
                        "previous": _PAGE_LINK,
                    },
                },
            }
        },
    }


async def openapi(request: web.Request) -> web.Response:
    """``GET /api/v1/openapi.json``: this API's description."""
    return web.json_response(openapi_document())


def setup_api(app: web.Application) -> None:
    """The API's routes and its per-client rate limit."""
    app.middlewares.append(api_rate_limit)
    app.router.add_get(f"{PREFIX}/openapi.json", openapi)
    app.router.add_get(f"{PREFIX}/me", my_profile)
    app.router.add_get(f"{PREFIX}/me/achievements", my_achievements)
    app.router.add_get(f"{PREFIX}/guilds/{{guild_id}}/leaderboard", guild_leaderboard)
