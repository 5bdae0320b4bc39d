"""The OAuth2 link that adds a bot to a server with exactly the permissions it declares."""

from __future__ import annotations

import base64
import binascii
import urllib.parse

from botfleet.core.definition import BotDefinition

AUTHORIZE_URL = "https://discord.com/oauth2/authorize"
INVITE_SCOPES = ("bot", "applications.commands")
"""The bot user, and its slash commands in the servers it joins."""


def application_id_from_token(token: str) -> int | None:
    """The application id a bot token starts with, or None when it does not look like one.

    A bot token's first part is the bot user's id in base64, and a bot user has its
    application's id, so the link needs nothing but the token the bot already has.
    """
    first_part = token.strip().split(".", 1)[0]
    try:
        decoded = base64.b64decode(first_part + "=" * (-len(first_part) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    text = decoded.decode("ascii", "replace")
    return int(text) if text.isdigit() else None


def invite_url(definition: BotDefinition, application_id: int) -> str:
    """The authorize link for ``application_id`` asking for the bot's declared permissions."""
    query = urllib.parse.urlencode(
        {
            "client_id": application_id,
            "scope": " ".join(INVITE_SCOPES),
            "permissions": definition.permissions().value,
        }
    )
    return f"{AUTHORIZE_URL}?{query}"
