"""Tortoise's SQLite backend with IMMEDIATE transactions.

A deferred SQLite transaction that reads first cannot become a writer once another process has
written meanwhile: it fails at once with "database is locked". Starting every transaction with
`BEGIN IMMEDIATE` takes the write lock up front, so a second writer (another app instance, the
command line) waits its turn (sqlite3's busy timeout) and then sees the committed data; the
guarded updates in the services then decide races the same way as on PostgreSQL.
"""

from __future__ import annotations

import sqlite3

from tortoise.backends.base.client import TransactionContext
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
)
from tortoise.exceptions import TransactionManagementError


class ImmediateTransactionWrapper(SqliteTransactionWrapper):
    async def begin(self) -> None:
        try:
            await self._connection.commit()
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            raise TransactionManagementError(error) from error


class ImmediateSqliteClient(SqliteClient):
    def _in_transaction(self) -> TransactionContext:
        return SqliteTransactionContext(ImmediateTransactionWrapper(self), self._lock)


client_class = ImmediateSqliteClient
