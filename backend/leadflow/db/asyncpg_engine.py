"""Tortoise's asyncpg backend, with pool connections handed back without a reset round trip.

Tortoise takes a connection from asyncpg's pool for every statement outside a transaction (and
for every transaction) and gives it back right after. On each return asyncpg's pool runs
`Connection.reset`: a ROLLBACK when a transaction is still open, then the reset query
`SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL;`, one more round trip to
the server per statement (a leads page made 6 round trips, 3 of them resets).

The reset query undoes session state a connection may carry to its next user. Ours carries none:
- advisory locks: only transaction-scoped ones (`db.sql.try_job_lock`,
  `pg_try_advisory_xact_lock`), released by COMMIT or ROLLBACK;
- cursors: Tortoise fetches whole results; asyncpg's cursors live inside a transaction and
  close with it (no `WITH HOLD`);
- LISTEN: only the live listener's own connection, outside the pool (`live/listener.py`);
- settings: no session-level SET; the app's `statement_timeout` and `jit` are sent when the
  connection opens (asyncpg's `server_settings`), which is also what RESET ALL would go back to.
`tests/db/test_asyncpg_engine.py` checks the source for session state (a session advisory
lock, SET without LOCAL, LISTEN, WITH HOLD, temporary tables) and fails when some appears:
whoever needs one must take a connection of its own, as the listener does, or bring the reset
back. What stays is asyncpg's own part of the reset, which costs no round trip unless needed:
an open transaction is rolled back, and listeners registered on the connection are dropped.

The reset query was also the pool's health check: asyncpg terminates a connection whose reset
fails. Without it, a connection whose statement was cut by a PostgreSQL restart went back to the
pool and the next request failed on it ("another operation is in progress": HTTP 500 in
bench/load.py --restart-postgres). So a connection on which any statement failed gets the full
reset on its release (one round trip, only after a failure): healthy, it is reset and kept;
broken, the reset fails and asyncpg terminates it.

A transaction whose BEGIN fails (its connection died) is undone here: Tortoise 1.1.9's
`TransactionContextPooled.__aenter__` takes a pool connection and points the task's connection
context at it before it sends BEGIN, and when BEGIN raises, its `__aexit__` never runs; every
later statement of that task would go to the dead connection ("connection has been released
back to the pool"). `_BeginUndoneOnFailure` resets the context and gives the connection back.

The module's name must contain "asyncpg": Tortoise's migrator picks its schema editor by the
client's module name.
"""

from __future__ import annotations

from collections.abc import Awaitable
from contextlib import suppress
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # no stubs
from tortoise.backends.asyncpg.client import AsyncpgDBClient, TransactionWrapper
from tortoise.backends.base.client import (
    TransactionalDBClient,
    TransactionContext,
    TransactionContextPooled,
)
from tortoise.connection import get_connections


class NoResetQueryConnection(asyncpg.connection.Connection):  # type: ignore[misc]
    """A pool connection whose release sends no reset query, unless one of its statements
    failed since the last release (see the module's docstring)."""

    _failed = False

    def get_reset_query(self) -> str:
        return super().get_reset_query() if self._failed else ""

    async def reset(self, *, timeout: float | None = None) -> None:
        await super().reset(timeout=timeout)
        self._failed = False

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        return await self._noting_failure(super().execute(*args, **kwargs))

    async def _execute(self, *args: Any, **kwargs: Any) -> Any:
        return await self._noting_failure(super()._execute(*args, **kwargs))

    async def _executemany(self, *args: Any, **kwargs: Any) -> Any:
        return await self._noting_failure(super()._executemany(*args, **kwargs))

    async def _noting_failure(self, statement: Awaitable[Any]) -> Any:
        try:
            return await statement
        except BaseException:
            # Any failure, cancellation included: whether the connection survived it is for
            # the full reset to find out.
            self._failed = True
            raise


class _BeginUndoneOnFailure(TransactionContextPooled):
    """Tortoise's pooled transaction, whose BEGIN failing leaves nothing behind (see the
    module's docstring)."""

    async def __aenter__(self) -> TransactionalDBClient:
        try:
            return await super().__aenter__()
        except BaseException:
            # Set (a slot) only once a connection was taken, just before BEGIN.
            token = getattr(self, "token", None)
            if token is not None:
                get_connections().reset(token)
                pool = self.client._parent._pool
                # A dead connection's release may fail (its reset does; asyncpg then
                # terminates it): the BEGIN's error is the one to tell.
                with suppress(Exception):
                    await pool.release(self.client._connection)
            raise


class LeanPoolAsyncpgClient(AsyncpgDBClient):
    connection_class = NoResetQueryConnection

    def _in_transaction(self) -> TransactionContext:
        return _BeginUndoneOnFailure(TransactionWrapper(self), self._pool_init_lock)


client_class = LeanPoolAsyncpgClient
