"""A request's time limit for its database statements: they stop with the request, not after it.

`web/graphql.py` runs each GraphQL request inside `database_deadline(seconds)`, an `asyncio`
time limit that also records its deadline in a context variable. What happens to a statement
when its request is given up differs per database:

- PostgreSQL: asyncpg sends the server a cancel request when the task awaiting a statement is
  cancelled, and the pool waits for it before reusing the connection, so the request's time
  limit already stops its statements. The backstop for statements no cancellation reaches (a
  DataLoader's batch runs in a task of its own; a process killed mid-statement leaves the server
  working until it tries to answer) is a server-side `statement_timeout` on the app's
  connections (`postgres_server_settings`), a little above the request time limit. Migrations
  and the command line (`leadflow import`, `export`, ...) connect without it.
- SQLite: Tortoise runs the statements of a process one at a time, in aiosqlite's worker thread
  on one connection. A cancelled task only stops waiting: its statement runs on, and every other
  request of the process queues behind it. `run_interruptible` stops it with
  `sqlite3.Connection.interrupt()` when the awaiting task is cancelled, and at the deadline of
  the request that submitted it (so a DataLoader's batch stops too). A progress handler could
  check the deadline inside the thread, but it would take the GIL every few thousand SQLite
  instructions; the interrupt costs nothing until it is needed.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import sqlite3
from collections.abc import Callable
from contextvars import ContextVar
from types import TracebackType
from typing import Any, TypeVar

import aiosqlite

# Past the request's own limit, so that a request's statement is normally stopped by its
# cancellation (and the client gets the 504) before the server gives up on it.
STATEMENT_TIMEOUT_MARGIN_SECONDS = 1.0

T = TypeVar("T")

# The event loop time (`loop.time()`) when the running request is given up; None outside one.
# Tasks started by the request (DataLoader batches) inherit it with the context.
_deadline: ContextVar[float | None] = ContextVar("leadflow_database_deadline", default=None)


class StatementDeadlineExceeded(TimeoutError):
    """A statement was stopped because the request that submitted it ran out of time."""


class DatabaseDeadline:
    """`asyncio.timeout` for a request, whose database statements stop with it (see module)."""

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._timeout: asyncio.Timeout | None = None
        self._token: Any = None

    async def __aenter__(self) -> DatabaseDeadline:
        when = asyncio.get_running_loop().time() + self._seconds
        outer = _deadline.get()
        self._token = _deadline.set(when if outer is None else min(when, outer))
        self._timeout = asyncio.timeout_at(when)
        await self._timeout.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool | None:
        assert self._timeout is not None
        try:
            await self._timeout.__aexit__(exc_type, exc, traceback)
            return None
        finally:
            _deadline.reset(self._token)

    def expired(self) -> bool:
        """Whether the time limit ran out (a TimeoutError from elsewhere leaves this False)."""
        return self._timeout is not None and self._timeout.expired()


def database_deadline(seconds: float) -> DatabaseDeadline:
    """`async with database_deadline(s):` like `asyncio.timeout(s)`, stopping statements too.
    A task meant to outlive the request must not be started inside it (it would inherit the
    deadline)."""
    return DatabaseDeadline(seconds)


def postgres_server_settings(request_timeout_seconds: float) -> dict[str, str]:
    """Session settings for the app's PostgreSQL connections: the `statement_timeout` backstop."""
    milliseconds = math.ceil((request_timeout_seconds + STATEMENT_TIMEOUT_MARGIN_SECONDS) * 1000)
    return {"statement_timeout": str(milliseconds)}


async def run_interruptible(
    connection: aiosqlite.Connection, work: Callable[..., T], *args: Any
) -> T:
    """`work(sqlite3_connection, *args)` in the connection's worker thread, interrupted when the
    awaiting task is cancelled or the current request's deadline passes.

    The caller holds Tortoise's lock of the connection, so no other request's statement can be
    in the thread meanwhile: an interrupt meant for this one cannot hit another. Transaction
    control (BEGIN, COMMIT, ROLLBACK) does not come through here; it is never interrupted. An
    interrupted write inside a transaction makes SQLite roll the transaction back; the
    transaction's owner is the cancelled request, whose rollback then finds nothing to undo."""
    # aiosqlite has no public call for "run this in the worker thread", nor for its sqlite3
    # connection; these two are the ones Tortoise's SQLite client uses as well.
    raw = connection._conn
    interrupter = _Interrupter(raw)
    deadline = _deadline.get()
    if deadline is not None:
        # The same loop time as the request's own time limit, so both fire in the same round
        # of the event loop: the request's task is cancelled before the interrupted
        # statement's error can reach it, and its client gets the 504, not an error of a
        # field. (Hence no "already too late?" check here either: it would raise into the
        # resolver.) A task the time limit does not cancel gets StatementDeadlineExceeded.
        interrupter.start_at(deadline)
    try:
        return await _in_worker_thread(connection, work, raw, *args)
    except asyncio.CancelledError:
        interrupter.now()
        await _statement_stopped(connection)
        raise
    except sqlite3.OperationalError as error:
        if interrupter.started and _is_interrupt(error):
            raise StatementDeadlineExceeded("The request ran out of time.") from error
        raise
    finally:
        interrupter.stop()


class _Interrupter:
    """Interrupts the connection's running statement, and again every 10 ms until stopped: an
    interrupt that comes before the worker thread has started the statement (it may still be
    waiting for the GIL) has no effect."""

    REPEAT_SECONDS = 0.01

    def __init__(self, raw: sqlite3.Connection) -> None:
        self._raw = raw
        self._loop = asyncio.get_running_loop()
        self._alarm: asyncio.TimerHandle | None = None
        self.started = False

    def start_at(self, when: float) -> None:
        self.stop()
        self._alarm = self._loop.call_at(when, self._interrupt)

    def now(self) -> None:
        self.stop()
        self._interrupt()

    def stop(self) -> None:
        if self._alarm is not None:
            self._alarm.cancel()
            self._alarm = None

    def _interrupt(self) -> None:
        self.started = True
        # Closed meanwhile (shutdown): nothing runs any more.
        with contextlib.suppress(sqlite3.ProgrammingError):
            self._raw.interrupt()
        self._alarm = self._loop.call_later(self.REPEAT_SECONDS, self._interrupt)


async def _statement_stopped(connection: aiosqlite.Connection) -> None:
    """Return once the worker thread has finished the interrupted statement, so that the
    connection is free when the caller releases its lock (and the 504 goes out)."""
    # ValueError: the connection was closed meanwhile.
    with contextlib.suppress(ValueError):
        await _in_worker_thread(connection, _nothing)


async def _in_worker_thread(
    connection: aiosqlite.Connection, work: Callable[..., T], *args: Any
) -> T:
    """`work(*args)` in aiosqlite's worker thread (its `_execute`, untyped)."""
    result: T = await connection._execute(work, *args)  # type: ignore[no-untyped-call]
    return result


def _nothing() -> None:
    return None


def _is_interrupt(error: sqlite3.OperationalError) -> bool:
    return str(error) == "interrupted"
