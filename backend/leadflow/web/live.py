"""GraphQL subscriptions over WebSocket on /graphql: the `graphql-transport-ws` protocol, served
by strawberry's own handler with our login, limits and heartbeats around it.

Login: a bearer token in the `connection_init` payload (`{"authorization": "Bearer ..."}`), or
the session cookie. Browsers send cookies with cross-site WebSocket handshakes and apply no CORS
to them, so the cookie counts only on a handshake that carries an Origin of the app itself
(strawberry refuses other origins at the handshake; we also refuse a cookie without any Origin,
which no browser sends). The login is checked again every `RECHECK_SECONDS` and before each
event; once revoked, the connection is closed with 4403.

Only queries and subscriptions run here; mutations go over HTTP POST (where the request
deadline and the CSRF rule apply). The query limits apply as over HTTP: the same schema
extensions run for every document.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import anyio
from graphql import GraphQLError
from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.websocket_origin import normalize_origin
from strawberry.schema import BaseSchema
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ConnectionInitMessage
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UNSET, UnsetType

from leadflow.api.context import Context, EventSource
from leadflow.api.errors import unexpected_error
from leadflow.db.availability import database_unavailable
from leadflow.db.deadline import database_deadline
from leadflow.errors import DomainError
from leadflow.services.due import UTC_ZONE, time_zone_named
from leadflow.settings import Settings
from leadflow.web.access import Caller, authenticate_secret, session_secret
from leadflow.web.client import client_address
from leadflow.web.unavailable import log_unavailable

log = logging.getLogger("leadflow.live")

HEARTBEAT_SECONDS = 15.0
RECHECK_SECONDS = 30.0
# How old a login check may be to count before an event (see `Login.still_valid`).
LOGIN_FRESH_SECONDS = 5.0
MAX_SUBSCRIPTIONS_PER_CONNECTION = 20
MAX_CONNECTIONS_PER_USER = 20
# Close codes: graphql-transport-ws's 4403 Forbidden for a refused or revoked login, 4429 for
# too many connections of one user.
FORBIDDEN = 4403
TOO_MANY = 4429
# WebSocket's 1013 Try Again Later: the database could not be reached at connection_init.
TRY_AGAIN_LATER = 1013
# on_ws_connect's answer for a connection_ack without a payload.
NO_PAYLOAD: UnsetType = UNSET
STREAMED_OPERATIONS = frozenset({OperationType.QUERY, OperationType.SUBSCRIPTION})


# Live connections (WebSocket and SSE) per user in this process, under one cap.
_connections: Counter[int] = Counter()


def take_connection(user_id: int) -> bool:
    """One more live connection for the user, unless it holds MAX_CONNECTIONS_PER_USER."""
    if _connections[user_id] >= MAX_CONNECTIONS_PER_USER:
        return False
    _connections[user_id] += 1
    return True


def release_connection(user_id: int) -> None:
    _connections[user_id] -= 1
    if _connections[user_id] <= 0:
        del _connections[user_id]


class Login:
    """The credentials a long-lived connection was opened with (a token's or a session's
    secret), checked again while it lasts (`api.context.Credentials`). `revoked` is set the
    first time a check fails, and the transport closes the connection on it."""

    def __init__(self, secret: str, *, session: bool) -> None:
        self.secret = secret
        self.session = session
        self.auth: Caller | None = None
        self.revoked = asyncio.Event()

    async def authenticate(self) -> Caller | None:
        return await authenticate_secret(self.secret, session=self.session)

    async def still_valid(self, *, fresh: bool = False) -> bool:
        """The login is still good. Before each event a check younger than
        LOGIN_FRESH_SECONDS, by any connection with the same secret, is taken as it is (a
        burst of events to a user's 20 tabs costs one query, not one per tab and event); the
        periodic check (`fresh`) always asks the database."""
        if self.revoked.is_set():
            return False
        now = asyncio.get_running_loop().time()
        key = (self.secret, self.session)
        checked = _recent_checks.get(key)
        if not fresh and checked is not None and now - checked[0] < LOGIN_FRESH_SECONDS:
            user_id: int | None = checked[1]
        else:
            try:
                async with database_deadline(10):
                    found = await self.authenticate()
            except Exception:
                # A database hiccup is no logout: the next check decides.
                log.warning("Could not check a live connection's login", exc_info=True)
                return True
            user_id = found.user.id if found is not None else None
            _remember_check(key, now, user_id)
        valid = user_id is not None and self.auth is not None and user_id == self.auth.user.id
        if not valid:
            self.revoked.set()
        return valid


# Recent login checks by secret (in this process only): (loop time, user id or None).
_recent_checks: dict[tuple[str, bool], tuple[float, int | None]] = {}
RECENT_CHECKS_KEPT = 10_000


def _remember_check(key: tuple[str, bool], at: float, user_id: int | None) -> None:
    if len(_recent_checks) >= RECENT_CHECKS_KEPT:
        _recent_checks.clear()  # a rare, cheap reset beats an unbounded table
    _recent_checks[key] = (at, user_id)


class StreamingSchema:
    """The schema as the WebSocket handler sees it: `stream` runs queries and subscriptions
    only (a mutation is refused as a request error before it runs)."""

    def __init__(self, schema: BaseSchema) -> None:
        self._schema = schema

    async def stream(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        kwargs["allowed_operation_types"] = STREAMED_OPERATIONS
        # Each operation its own context: a connection's operations must not share the
        # loaders' cache (a query sent again later would read what it read before).
        context = kwargs.get("context_value")
        if isinstance(context, Context):
            kwargs["context_value"] = replace(context)
        return guarded(await self._schema.stream(*args, **kwargs))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._schema, name)


async def guarded(results: AsyncGenerator[Any, None]) -> AsyncIterator[Any]:
    """A stream whose failures before the first result (an error raised while parsing, e.g.
    a syntax or size error of our parser, which strawberry's stream lets escape) become a
    request-error result, as over HTTP; never an exception in the transport's task."""
    try:
        async for result in results:
            yield result
    except GraphQLError as error:
        yield PreExecutionError(data=None, errors=[error])
    except Exception as error:
        yield PreExecutionError(data=None, errors=[unexpected_error(error)])
    finally:
        await results.aclose()


class LiveWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """strawberry's graphql-transport-ws handler with heartbeats (the protocol's `ping`, which
    clients answer with `pong`) and the periodic login check."""

    async def handle(self) -> None:
        try:
            # The watcher lives exactly as long as the connection's handler.
            async with anyio.create_task_group() as group:
                group.start_soon(self._watch)
                try:
                    await super().handle()
                finally:
                    group.cancel_scope.cancel()
        finally:
            view = self.view
            if isinstance(view, GraphQLWebSocket):
                view.release(self.context)

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        """connection_init (`GraphQLWebSocket.on_ws_connect`); a login lookup that finds the
        database away closes the socket with 1013 Try Again Later: no refusal (4403), no
        failure of ours."""
        try:
            await super().handle_connection_init(message)
        except Exception as error:
            if not database_unavailable(error):
                raise
            log_unavailable(error, "live connection_init")
            await self.websocket.close(code=TRY_AGAIN_LATER, reason="Database unavailable")

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        next_ping = loop.time() + HEARTBEAT_SECONDS
        next_check = loop.time() + RECHECK_SECONDS
        while True:
            login = self.context.credentials
            if not isinstance(login, Login):
                # Before connection_init (strawberry closes the socket when it never comes).
                await asyncio.sleep(0.2)
                continue
            with anyio.move_on_after(max(0.0, min(next_ping, next_check) - loop.time())):
                await login.revoked.wait()
            if loop.time() >= next_check and not login.revoked.is_set():
                next_check = loop.time() + RECHECK_SECONDS
                await login.still_valid(fresh=True)
            if login.revoked.is_set():
                await self.websocket.close(code=FORBIDDEN, reason="Login revoked")
                return
            if loop.time() >= next_ping:
                next_ping = loop.time() + HEARTBEAT_SECONDS
                with contextlib.suppress(Exception):
                    await self.send_message({"type": "ping"})


class GraphQLWebSocket(GraphQL[Context, None]):
    """The WebSocket side of /graphql (an ASGI app for Starlette's WebSocketRoute)."""

    graphql_transport_ws_handler_class = LiveWSHandler

    def __init__(self, schema: BaseSchema, settings: Settings) -> None:
        super().__init__(
            StreamingSchema(schema),  # type: ignore[arg-type]
            graphql_ide=None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=10),
            max_subscriptions_per_connection=MAX_SUBSCRIPTIONS_PER_CONNECTION,
            allowed_origins=_app_origins(settings),
        )

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        return LiveContext(
            auth=None,
            address=client_address(request),
            time_zone=UTC_ZONE,
            events=hub_of(request),
            handshake=_Handshake(request),
        )

    async def on_ws_connect(self, context: Context) -> UnsetType:
        """connection_init: log in (close 4403 when that fails or the user has too many)."""
        params = context.connection_params or {}
        handshake = context.handshake if isinstance(context, LiveContext) else None
        login = handshake.login(params) if handshake is not None else None
        auth = await login.authenticate() if login is not None else None
        if login is None or auth is None:
            raise ConnectionRejectionError()
        if not take_connection(auth.user.id):
            raise ConnectionRejectionError()
        login.auth = auth
        context.auth = auth
        context.credentials = login
        context.time_zone = _time_zone(params)
        return NO_PAYLOAD

    def release(self, context: Context) -> None:
        if context.auth is not None:
            release_connection(context.auth.user.id)


@dataclass
class LiveContext(Context):
    """A WebSocket connection's context: also what its handshake carried."""

    handshake: _Handshake | None = None


class _Handshake:
    """What the WebSocket handshake carried: the session cookie and the Origin header."""

    def __init__(self, websocket: Request | WebSocket) -> None:
        self.cookie = session_secret(websocket)
        self.origin = websocket.headers.get("origin")

    def login(self, params: dict[str, Any]) -> Login | None:
        header = params.get("authorization") or params.get("Authorization")
        if isinstance(header, str) and header:
            scheme, _, secret = header.partition(" ")
            if scheme.lower() != "bearer" or not secret.strip():
                return None
            return Login(secret.strip(), session=False)
        # Strawberry already refused a foreign Origin; a cookie without one is no browser's.
        if self.cookie and self.origin:
            return Login(self.cookie, session=True)
        return None


def hub_of(connection: Request | WebSocket) -> EventSource | None:
    """The instance's hub (`leadflow.live`), kept on the app's state by `create_app`."""
    hub: EventSource | None = getattr(connection.app.state, "hub", None)
    return hub


def _time_zone(params: dict[str, Any]) -> ZoneInfo:
    """The viewer's zone for "today" (a browser cannot set headers on a WebSocket): the
    connection_init payload's `timeZone`; UTC without or with an unknown one."""
    name = params.get("timeZone")
    if not isinstance(name, str) or not name:
        return UTC_ZONE
    try:
        return time_zone_named(name)
    except DomainError:
        return UTC_ZONE


def _app_origins(settings: Settings) -> tuple[str, ...]:
    """The app's public origin (scheme://host[:port]) besides the Host header's; a public URL
    with a path counts by its origin, one that is no URL (no scheme) adds nothing."""
    origin = normalize_origin(settings.public_url) if settings.public_url else None
    return (origin,) if origin is not None else ()
