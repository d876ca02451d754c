"""The client's network address, for throttling and the audit log."""

from __future__ import annotations

from starlette.requests import HTTPConnection


def client_address(connection: HTTPConnection) -> str:
    """The peer's address, or the one a trusted proxy forwarded: X-Forwarded-For counts only
    when LEADFLOW_FORWARDED_ALLOW_IPS names that proxy (`web/guards.py` applies it); anybody can
    send the header itself."""
    return connection.client.host if connection.client else ""
