"""Schema migrations and one-off database sessions for the command line."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg  # type: ignore[import-untyped]  # no stubs
from tortoise import Tortoise
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.exceptions import DBConnectionError, OperationalError
from tortoise.migrations.api import migrate as run_migrations

from leadflow.db.config import tortoise_config

log = logging.getLogger("leadflow.db")


async def migrate(database_url: str) -> None:
    """Apply every pending migration (idempotent); on PostgreSQL one process at a time."""
    _check_sqlite_file(database_url)
    async with _one_migration_at_a_time(database_url):
        try:
            await run_migrations(config=tortoise_config(database_url))
        finally:
            await Tortoise.close_connections()


# Tortoise's migrator takes no lock: instances started together on a new release (each
# `leadflow serve` migrates first) would apply the same migration twice. "LF" 0016.
MIGRATION_LOCK_KEY = 0x4C46_0016


@asynccontextmanager
async def _one_migration_at_a_time(database_url: str) -> AsyncIterator[None]:
    """PostgreSQL: a session advisory lock, on a connection of its own (not the ORM's pool,
    whose connections go back without a reset), held while the migrations run; another process
    waits for it and then finds nothing left to do. The server releases it when the connection
    ends, also when this process dies. SQLite serves one instance: nothing to take."""
    if not database_url.startswith(("postgres://", "postgresql://")):
        yield
        return
    credentials = expand_db_url(database_url)["credentials"]
    try:
        connection = await asyncpg.connect(
            host=credentials.get("host"),
            port=int(credentials.get("port") or 5432),
            user=credentials.get("user"),
            password=credentials.get("password"),
            database=credentials.get("database"),
            ssl=credentials.get("ssl"),
        )
    except (OSError, asyncpg.PostgresError) as error:
        raise DBConnectionError(f"cannot connect to PostgreSQL to migrate: {error}") from error
    try:
        if not await connection.fetchval("SELECT pg_try_advisory_lock($1)", MIGRATION_LOCK_KEY):
            log.info("Another process is migrating this database; waiting for it")
            await connection.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
        yield
    finally:
        await connection.close()


def _check_sqlite_file(database_url: str) -> None:
    """Open an SQLite file once, plainly, so that an unusable path fails with its error:
    Tortoise's migrator swallows a failed first connection and then waits forever on the
    connection's lock (e.g. for a file in a directory that does not exist)."""
    if not database_url.startswith("sqlite://"):
        return
    path = database_url.removeprefix("sqlite://").split("?", 1)[0]
    if path == ":memory:":
        return
    try:
        sqlite3.connect(path).close()
    except sqlite3.Error as error:
        raise OperationalError(f"cannot open the SQLite database {path}: {error}") from None


@asynccontextmanager
async def database(database_url: str) -> AsyncIterator[None]:
    """An initialised ORM for a command-line task."""
    await Tortoise.init(config=tortoise_config(database_url))
    try:
        yield
    finally:
        await Tortoise.close_connections()
