"""ASGI middleware every route shares: which forwarded headers to believe, and how long a
request body may take to arrive."""

from __future__ import annotations

import asyncio
import json
import logging

from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from leadflow.settings import Settings
from leadflow.web.errors import HttpError, error_body

log = logging.getLogger("leadflow.http")
# A large upload (a lead file) may take longer than a login; it gets the limit plus one second
# per megabyte it declares, so that only slow senders are cut off, not big honest files.
UPLOAD_BYTES_PER_SECOND = 1_000_000


def http_middleware(settings: Settings) -> list[Middleware]:
    """The app's middleware, outermost first."""
    middleware = []
    if settings.forwarded_allow_ips:
        # In the app rather than in uvicorn's options, so that the rule holds under any ASGI
        # server; without a named proxy no X-Forwarded-* header is believed.
        middleware.append(
            Middleware(ProxyHeadersMiddleware, trusted_hosts=settings.forwarded_allow_ips)
        )
    middleware.append(Middleware(BodyReadDeadline, seconds=settings.request_timeout_seconds))
    return middleware


class BodyReadDeadline:
    """Every request body must arrive within `seconds` (plus the upload allowance), on every
    route: a client sending half a body is answered 408 and its connection closed, instead of
    holding a connection and a task for as long as it likes."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = _BodyWatch(receive, send, self._allowed_seconds(scope))
        try:
            await self.app(scope, body.receive, body.send)
        except Exception:
            # The app gave up on the body it was denied (ClientDisconnect): answered below.
            if not body.timed_out:
                raise
        if body.timed_out and not body.response_started:
            await _send_timeout(send, self._allowed_seconds(scope))

    def _allowed_seconds(self, scope: Scope) -> float:
        declared = dict(scope["headers"]).get(b"content-length", b"")
        length = int(declared) if declared.isdigit() else 0
        return self.seconds + length / UPLOAD_BYTES_PER_SECOND


class _BodyWatch:
    """receive/send of one request: the body's messages within the deadline; once it passed,
    the app hears a disconnect and whatever it answers is replaced by the 408."""

    def __init__(self, receive: Receive, send: Send, seconds: float) -> None:
        self._receive = receive
        self._send = send
        self._deadline = asyncio.get_running_loop().time() + seconds
        self.body_complete = False
        self.timed_out = False
        self.response_started = False

    async def receive(self) -> Message:
        if self.body_complete:
            return await self._receive()  # waits for the disconnect: no body, no limit
        if self.timed_out:
            return {"type": "http.disconnect"}
        try:
            async with asyncio.timeout_at(self._deadline):
                message = await self._receive()
        except TimeoutError:
            self.timed_out = True
            log.info("Request body not complete in time; answered 408")
            return {"type": "http.disconnect"}
        if message["type"] == "http.request" and not message.get("more_body", False):
            self.body_complete = True
        return message

    async def send(self, message: Message) -> None:
        if self.timed_out:
            return
        if message["type"] == "http.response.start":
            self.response_started = True
        await self._send(message)


async def _send_timeout(send: Send, seconds: float) -> None:
    # Below the routes (raw ASGI), but in the routes' error shape.
    timeout = HttpError(
        408,
        "BODY_TIMEOUT",
        f"The request body did not arrive within {seconds:g} seconds.",
    )
    content = json.dumps(error_body(timeout)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": timeout.status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(content)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": content})
