"""Schema migrations and one-off database sessions for the command line."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from tortoise import Tortoise
from tortoise.exceptions import OperationalError
from tortoise.migrations.api import migrate as run_migrations

from leadflow.db.config import tortoise_config


async def migrate(database_url: str) -> None:
    """Apply every pending migration (idempotent)."""
    _check_sqlite_file(database_url)
    try:
        await run_migrations(config=tortoise_config(database_url))
    finally:
        await Tortoise.close_connections()


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
