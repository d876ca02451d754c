"""Tortoise's SQLite backend with IMMEDIATE transactions.

A deferred SQLite transaction that reads first cannot become a writer once another process has
written meanwhile: it fails at once with "database is locked". Starting every transaction with
`BEGIN IMMEDIATE` takes the write lock up front, so a second writer (another app instance, the
command line) waits its turn (sqlite3's busy timeout) and then sees the committed data; the
guarded updates in the services then decide races the same way as on PostgreSQL.

It also counts an UPDATE's or DELETE's rows as sqlite3 does (the statement's own rows): Tortoise
takes the connection's `total_changes` difference, which includes the rows the report rollup
triggers (migration 0006) write, and the services' guarded updates compare that count.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from tortoise.backends.base.client import TransactionContext
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
    translate_exceptions,
)
from tortoise.exceptions import TransactionManagementError


class _OwnRowCount(SqliteClient):
    @translate_exceptions
    async def execute_query(
        self, query: str, values: list | None = None
    ) -> tuple[int, Sequence[dict[str, Any]]]:
        query = query.replace("\x00", "'||CHAR(0)||'")  # as Tortoise's own
        async with self.acquire_connection() as connection:
            self.log.debug("%s: %s", query, values)
            async with connection.execute(query, values) as cursor:
                rows = await cursor.fetchall()
                # -1 for a SELECT; a write's own rows, leaving out what triggers wrote.
                changed = cursor.rowcount
            return (changed if changed > 0 else len(rows)), rows


class ImmediateTransactionWrapper(_OwnRowCount, SqliteTransactionWrapper):
    async def begin(self) -> None:
        try:
            await self._connection.commit()
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            raise TransactionManagementError(error) from error


class ImmediateSqliteClient(_OwnRowCount):
    def _in_transaction(self) -> TransactionContext:
        return SqliteTransactionContext(ImmediateTransactionWrapper(self), self._lock)


client_class = ImmediateSqliteClient
