"""The HTTP channel: an API for school systems and the web chat page, one ASGI app."""

from bot.channels.http.app import create_app

__all__ = ["create_app"]
