"""A database that cannot be reached answers 503 with `Retry-After`, never 500, on every route.

Where it is decided: the login lookup (`web/access.py`) raises `unavailable()`, which every
route renders in its own error shape; /graphql answers a resolver's failure of the kind
(`extensions.code` UNAVAILABLE, `api/errors.py`) with 503 too (`web/graphql.py`); and
`DatabaseUnavailable`, a middleware around every route, answers any other such failure that
reaches it before the response started. What counts as "cannot be reached" is
`db.availability.database_unavailable`.
"""

from __future__ import annotations

import json
import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leadflow.api.errors import UNAVAILABLE, UNAVAILABLE_MESSAGE
from leadflow.db.availability import RETRY_AFTER_SECONDS, database_unavailable
from leadflow.web.errors import HttpError, error_body

log = logging.getLogger("leadflow.http")


def unavailable() -> HttpError:
    return HttpError(
        503, UNAVAILABLE, UNAVAILABLE_MESSAGE, headers={"Retry-After": str(RETRY_AFTER_SECONDS)}
    )


def log_unavailable(error: BaseException, where: str) -> None:
    """One line, no traceback: a restart of the database is an event, not a bug."""
    log.warning("Database unavailable (%s): %s: %s", where, type(error).__name__, error)


class DatabaseUnavailable:
    """Answers 503 (the routes' error shape, `Retry-After`) for a request whose route failed
    because the database cannot be reached, when nothing has been sent yet."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watched_send)
        except Exception as error:
            if started or not database_unavailable(error):
                raise
            log_unavailable(error, scope.get("path", ""))
            await _send_unavailable(send)


async def _send_unavailable(send: Send) -> None:
    refusal = unavailable()
    content = json.dumps(error_body(refusal)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": refusal.status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(content)).encode()),
                (b"retry-after", str(RETRY_AFTER_SECONDS).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": content})
