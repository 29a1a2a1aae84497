"""The web app: one module per audience (chat, helpdesk, curator, JSON API), one server."""

from .server import WebApp

__all__ = ["WebApp"]
