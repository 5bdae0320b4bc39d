"""The fleet's web process: health checks, Discord login, the dashboard and its JSON API.

``create_app`` and ``serve`` load on first use, so a module of this package that needs neither
(``botfleet.web.privacy``, which the data-deletion command imports) works without the ``web``
extra's packages.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from botfleet.web.app import create_app, serve

__all__ = ["create_app", "serve"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(import_module("botfleet.web.app"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
