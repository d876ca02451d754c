"""PostgreSQL: the one listening connection of an app instance. `LISTEN leadflow_outbox`
(db.sql.OUTBOX_CHANNEL) on a dedicated asyncpg connection, not one of the ORM's pool: a pooled
connection is handed to requests and its LISTEN would go with it. Every notification (and every
(re)connect, for what committed while it was down) wakes the hub, which reads the outbox by id;
the payload is not used.

Keepalive: a `SELECT 1` every KEEPALIVE_SECONDS, so a connection that died silently (a network
cut, a killed backend whose close never arrived) is noticed; asyncpg's termination callback
notices a clean close at once. Then it reconnects with a capped, jittered exponential backoff
(RECONNECT_SECONDS), forever: a database outage must not end the listener, nor crash the app.
The connection's `application_name` is `leadflow-live-<pid>`, so it can be found in
`pg_stat_activity`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
from collections.abc import Callable, Coroutine
from contextlib import suppress
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg  # type: ignore[import-untyped]  # no stubs; a few calls only

from leadflow.db.availability import log_failure
from leadflow.db.sql import OUTBOX_CHANNEL

log = logging.getLogger("leadflow.live")

KEEPALIVE_SECONDS = 10.0
CONNECT_TIMEOUT_SECONDS = 5.0
RECONNECT_SECONDS = (0.1, 5.0)


def application_name(pid: int | None = None) -> str:
    return f"leadflow-live-{os.getpid() if pid is None else pid}"


# Query options of the URL that are Tortoise's (its pool, its schema switch) or that the
# listener sets itself: asyncpg would send them to the server as settings.
_TORTOISE_OPTIONS = {
    "minsize",
    "maxsize",
    "max_queries",
    "max_inactive_connection_lifetime",
    "schema",
    "connection_name",
    "fetch_inserted",
    "application_name",
}


def asyncpg_dsn(database_url: str) -> str:
    """The connection URL for asyncpg: Tortoise's own query options left out, the connection's
    (sslmode, sslrootcert, target_session_attrs, ...) kept, so the listener reaches a server
    that requires TLS as the app's pool does; Tortoise's `ssl=` is asyncpg's `sslmode=`."""
    parts = urlsplit(database_url)
    options = [
        ("sslmode" if name == "ssl" else name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if name not in _TORTOISE_OPTIONS
    ]
    return urlunsplit(parts._replace(scheme="postgresql", query=urlencode(options), fragment=""))


class OutboxListener:
    def __init__(self, database_url: str, wake: Callable[[], None]) -> None:
        self._dsn = asyncpg_dsn(database_url)
        self._wake = wake
        self._task: asyncio.Task[None] | None = None
        self._connection: asyncpg.Connection | None = None
        self._stopping = asyncio.Event()
        # Set while listening; tests wait on it after killing the connection.
        self.listening = asyncio.Event()
        self.connects = 0

    def start(self, spawn: Callable[[Coroutine[Any, Any, None], str], asyncio.Task[Any]]) -> None:
        self._task = spawn(self._run(), "leadflow-live-listener")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        delay = RECONNECT_SECONDS[0]
        while not self._stopping.is_set():
            failure: Exception | None = None
            connects = self.connects
            try:
                await self._listen()
            except Exception as error:
                failure = error
            if self.connects > connects:
                delay = RECONNECT_SECONDS[0]  # it was up: start the backoff afresh
            if self._stopping.is_set():
                return
            wait = delay * random.uniform(0.5, 1.0)  # jitter: instances do not reconnect at once
            delay = min(delay * 2, RECONNECT_SECONDS[1])
            if failure is not None:
                # An outage: one line per attempt (db.availability.log_failure).
                retrying = f"retrying the connection in {wait:.1f} s"
                log_failure(log, failure, "Outbox listener", retrying)
            with suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), wait)

    async def _listen(self) -> None:
        connection = await asyncpg.connect(
            self._dsn,
            timeout=CONNECT_TIMEOUT_SECONDS,
            server_settings={"application_name": application_name()},
        )
        lost = asyncio.Event()
        try:
            connection.add_termination_listener(lambda _connection: lost.set())
            await asyncio.wait_for(
                connection.add_listener(OUTBOX_CHANNEL, self._notified), CONNECT_TIMEOUT_SECONDS
            )
            self.connects += 1
            self.listening.set()
            # Catch up: events committed while no connection listened sent their NOTIFY to
            # nobody.
            self._wake()
            while not lost.is_set() and not self._stopping.is_set():
                with suppress(TimeoutError):
                    await asyncio.wait_for(lost.wait(), KEEPALIVE_SECONDS)
                if not lost.is_set():
                    await connection.execute("SELECT 1", timeout=CONNECT_TIMEOUT_SECONDS)
            if lost.is_set():
                raise ConnectionResetError("the listening connection was closed")
        finally:
            self.listening.clear()
            with suppress(Exception):
                await asyncio.wait_for(connection.close(), CONNECT_TIMEOUT_SECONDS)
            if not connection.is_closed():
                connection.terminate()

    def _notified(self, *_: object) -> None:
        self._wake()
