"""Tortoise's SQLite backend with IMMEDIATE transactions.

A deferred SQLite transaction that reads first cannot become a writer once another process has
written meanwhile: it fails at once with "database is locked". Starting every transaction with
`BEGIN IMMEDIATE` takes the write lock up front, so a second writer (another app instance, the
command line) waits its turn (sqlite3's busy timeout) and then sees the committed data; the
guarded updates in the services then decide races the same way as on PostgreSQL.

It also counts an UPDATE's or DELETE's rows as sqlite3 does (the statement's own rows): Tortoise
takes the connection's `total_changes` difference, which includes the rows the report rollup
triggers (migration 0006) write, and the services' guarded updates compare that count.

And its UPPER and LOWER fold all of Unicode, as PostgreSQL's do: see `_install_unicode_case`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import aiosqlite
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
    async def create_connection(self, with_db: bool) -> None:
        await super().create_connection(with_db)
        if self._connection:
            await _install_unicode_case(self._connection)

    def _in_transaction(self) -> TransactionContext:
        return SqliteTransactionContext(ImmediateTransactionWrapper(self), self._lock)


async def _install_unicode_case(connection: aiosqlite.Connection) -> None:
    """Tortoise's case-insensitive lookups (`icontains`, `istartswith`, `iexact`, ...) compile to
    `UPPER(CAST(col AS VARCHAR)) LIKE UPPER(?) ESCAPE '\\'` (or `= UPPER(?)`) on both backends.
    SQLite's own UPPER/LOWER fold ASCII only, so "müller" did not find "Müller"; Python's
    str.upper/str.lower fold all of Unicode. LIKE itself stays SQLite's (wildcards, ESCAPE):
    it compares the already folded text. The cost is a Python call per row and column compared
    (the parameter's UPPER is a constant, computed once per statement).

    Python applies full case mappings ("ß".upper() is "SS"), like PostgreSQL with an ICU
    locale; with a libc locale PostgreSQL maps character by character and keeps "ß".

    Only this app's connections have these functions: no index, constraint or trigger may use
    UPPER or LOWER on SQLite, or another client (the sqlite3 shell) would compute them
    differently from what is stored."""
    await connection.create_function("upper", 1, _unicode_upper, deterministic=True)
    await connection.create_function("lower", 1, _unicode_lower, deterministic=True)


def _unicode_upper(value: Any) -> Any:
    # NULL stays NULL, and numbers and blobs are no text to fold.
    return value.upper() if isinstance(value, str) else value


def _unicode_lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


client_class = ImmediateSqliteClient
