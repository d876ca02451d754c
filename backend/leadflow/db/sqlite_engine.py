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

Each statement runs in aiosqlite's worker thread as one call (execute, fetch, close), through
`deadline.run_interruptible`: a statement whose request is given up is interrupted instead of
holding the process's only connection until it finishes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import Any, cast

import aiosqlite
from tortoise.backends.base.client import TransactionContext
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
    translate_exceptions,
)
from tortoise.exceptions import TransactionManagementError

from leadflow.db.deadline import run_interruptible


class _InterruptibleStatements(SqliteClient):
    """Tortoise's statement methods, each one call into the worker thread that an interrupt
    can stop (Tortoise's own take several: a cancellation between them left the cursor, or
    the BEGIN of `execute_many`, behind on the shared connection)."""

    @translate_exceptions
    async def execute_query(
        self, query: str, values: list[Any] | None = None
    ) -> tuple[int, Sequence[dict[str, Any]]]:
        query = query.replace("\x00", "'||CHAR(0)||'")  # as Tortoise's own
        async with self.acquire_connection() as connection:
            self.log.debug("%s: %s", query, values)
            changed, rows = await run_interruptible(connection, _fetch, query, values)
            # -1 for a SELECT; a write's own rows, leaving out what triggers wrote. The rows
            # are sqlite3.Row, read by key like dicts (as Tortoise's own client returns them).
            return (changed if changed > 0 else len(rows)), cast(list[dict[str, Any]], rows)

    @translate_exceptions
    async def execute_query_dict(
        self, query: str, values: list[Any] | None = None
    ) -> list[dict[str, Any]]:
        query = query.replace("\x00", "'||CHAR(0)||'")
        async with self.acquire_connection() as connection:
            self.log.debug("%s: %s", query, values)
            _, rows = await run_interruptible(connection, _fetch, query, values)
            return list(map(dict, rows))

    @translate_exceptions
    async def execute_insert(self, query: str, values: list[Any]) -> int:
        async with self.acquire_connection() as connection:
            self.log.debug("%s: %s", query, values)
            return await run_interruptible(connection, _insert, query, values)

    @translate_exceptions
    async def execute_many(self, query: str, values: list[list[Any]]) -> None:
        async with self.acquire_connection() as connection:
            self.log.debug("%s: %s", query, values)
            # Outside a transaction (Tortoise calls this in autocommit mode only), atomically.
            await run_interruptible(connection, _execute_many_atomically, query, values)


class ImmediateTransactionWrapper(_InterruptibleStatements, SqliteTransactionWrapper):
    @translate_exceptions
    async def execute_many(self, query: str, values: list[list[Any]]) -> None:
        async with self.acquire_connection() as connection:
            self.log.debug("%s: %s", query, values)
            await run_interruptible(connection, _execute_many, query, values)

    async def begin(self) -> None:
        try:
            await self._connection.commit()
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            raise TransactionManagementError(error) from error


class ImmediateSqliteClient(_InterruptibleStatements):
    async def create_connection(self, with_db: bool) -> None:
        await super().create_connection(with_db)
        if self._connection:
            await _install_unicode_case(self._connection)

    def _in_transaction(self) -> TransactionContext:
        return SqliteTransactionContext(ImmediateTransactionWrapper(self), self._lock)


# The statements as run in the worker thread, on its sqlite3 connection.


def _fetch(
    raw: sqlite3.Connection, query: str, values: list[Any] | None
) -> tuple[int, list[sqlite3.Row]]:
    cursor = raw.execute(query, values or ())
    try:
        rows = cursor.fetchall()
        return cursor.rowcount, rows  # final only once every row is fetched (RETURNING)
    finally:
        cursor.close()


def _insert(raw: sqlite3.Connection, query: str, values: list[Any]) -> int:
    cursor = raw.execute(query, values)
    try:
        # As aiosqlite's execute_insert, which Tortoise's client uses.
        cursor.execute("SELECT last_insert_rowid()")
        rowid: int = cursor.fetchone()[0]
        return rowid
    finally:
        cursor.close()


def _execute_many(raw: sqlite3.Connection, query: str, values: list[list[Any]]) -> None:
    raw.executemany(query, values).close()


def _execute_many_atomically(raw: sqlite3.Connection, query: str, values: list[list[Any]]) -> None:
    raw.execute("BEGIN IMMEDIATE")
    try:
        raw.executemany(query, values).close()
    except BaseException:
        raw.rollback()
        raise
    raw.commit()


async def _install_unicode_case(connection: aiosqlite.Connection) -> None:
    """Tortoise's case-insensitive lookups (`icontains`, `istartswith`, `iexact`, ...) compile to
    `UPPER(CAST(col AS VARCHAR)) LIKE UPPER(?) ESCAPE '\\'` (or `= UPPER(?)`) on both backends.
    SQLite's own UPPER/LOWER fold ASCII only, so "müller" did not find "Müller"; Python's
    str.upper/str.lower fold all of Unicode. LIKE itself stays SQLite's (wildcards, ESCAPE):
    it compares the already folded text. The cost is a Python call per row and column compared
    (the parameter's UPPER is a constant, computed once per statement).

    Folding is character by character, as PostgreSQL's UPPER/LOWER with a libc locale: a
    character whose full mapping has another length ("ß".upper() is "SS", "İ".lower() is
    "i̇") stays as it is, so "ß" never matches "ss" on either database and the text keeps its
    length (the lead search's FTS5 narrowing relies on that, services/lead_search.py).

    Only this app's connections have these functions: no index, constraint or trigger may use
    UPPER or LOWER on SQLite, or another client (the sqlite3 shell) would compute them
    differently from what is stored."""
    await connection.create_function("upper", 1, _unicode_upper, deterministic=True)
    await connection.create_function("lower", 1, _unicode_lower, deterministic=True)


def _unicode_upper(value: Any) -> Any:
    # NULL stays NULL, and numbers and blobs are no text to fold.
    if not isinstance(value, str):
        return value
    upper = value.upper()
    # A mapping never shrinks: the same length means every character mapped to one.
    return upper if len(upper) == len(value) else _per_character(value, str.upper)


def _unicode_lower(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    lower = value.lower()
    return lower if len(lower) == len(value) else _per_character(value, str.lower)


def _per_character(value: str, mapping: Callable[[str], str]) -> str:
    """`mapping` applied to each character that it maps to exactly one character."""
    return "".join(mapped if len(mapped := mapping(char)) == 1 else char for char in value)


client_class = ImmediateSqliteClient
