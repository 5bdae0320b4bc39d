"""The fleet's web endpoints: health checks now; OAuth2 callback, payment webhooks, dashboard."""

from botfleet.web.app import create_app, serve

__all__ = ["create_app", "serve"]
