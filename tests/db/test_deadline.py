"""Contract of `leadflow.db.deadline` per database: a statement stops when the task awaiting it
is cancelled and when the deadline of the request that started it passes, the connection (and
the next transaction on it) stays usable, and on PostgreSQL the app's connections carry the
`statement_timeout` backstop while the command line's do not."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest
import pytest_asyncio
from tortoise import Tortoise, connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from leadflow.db.config import tortoise_config
from leadflow.db.deadline import StatementDeadlineExceeded, database_deadline
from leadflow.db.lifecycle import database
from tests.slow_search import active_statements

REQUEST_TIMEOUT = 0.5
# Ten seconds or more of work for the database, unless something stops it.
SLOW_SQL = {
    "sqlite": "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
    "WHERE i < 100000000) SELECT COUNT(*) FROM n",
    "postgres": "SELECT pg_sleep(10)",
}
# The same as a write: a campaign per number.
SLOW_WRITE = {
    "sqlite": "INSERT INTO campaigns (name, description, created_at) "
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000000) "
    "SELECT 'slow ' || i, '', '2024-01-01 00:00:00+00:00' FROM n",
    "postgres": "INSERT INTO campaigns (name, description, created_at) "
    "SELECT 'slow ' || i, '', now() FROM generate_series(1, 100000000) AS i",
}
PROMPTLY = 0.4


@pytest_asyncio.fixture
async def app_db(database_url: str) -> AsyncIterator[BaseDBAsyncClient]:
    """The database as the app connects to it (request time limit 0.5 s)."""
    await Tortoise.init(config=tortoise_config(database_url, REQUEST_TIMEOUT))
    db = connections.get("default")
    # Connected before any deadline, as the app's lifespan does (Tortoise's SQLite client
    # keeps its lock when opening the connection is cancelled).
    await db.execute_query("SELECT 1")
    try:
        yield db
    finally:
        await Tortoise.close_connections()


async def assert_free(db: BaseDBAsyncClient, backend: str, database_url: str) -> None:
    """The connection answers at once, and PostgreSQL runs nothing else for this database."""
    started = time.monotonic()
    assert (await db.execute_query_dict("SELECT 1 AS one")) == [{"one": 1}]
    assert time.monotonic() - started < PROMPTLY
    if backend == "postgres":
        assert await active_statements(database_url) == []


async def test_the_deadline_stops_a_statement_as_a_timeout(
    app_db: BaseDBAsyncClient, backend: str, database_url: str
):
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        async with database_deadline(0.2):
            await app_db.execute_query(SLOW_SQL[backend])
    assert time.monotonic() - started < 0.2 + PROMPTLY
    await assert_free(app_db, backend, database_url)


async def test_a_statement_sent_after_the_deadline_is_stopped_too(
    app_db: BaseDBAsyncClient, backend: str, database_url: str
):
    """The event loop was busy past the deadline (a big document validated, say): the time
    limit and the interrupt come right after the statement was handed to the worker thread,
    possibly before the thread has started it."""
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        async with database_deadline(0.05):
            time.sleep(0.1)
            await app_db.execute_query(SLOW_SQL[backend])
    assert time.monotonic() - started < 0.1 + PROMPTLY
    await assert_free(app_db, backend, database_url)


async def test_cancelling_the_awaiting_task_stops_its_statement(
    app_db: BaseDBAsyncClient, backend: str, database_url: str
):
    # No deadline at all: a shutdown cancelling a task, say.
    statement = asyncio.create_task(app_db.execute_query(SLOW_SQL[backend]))
    await asyncio.sleep(0.2)
    started = time.monotonic()
    statement.cancel()
    with pytest.raises(asyncio.CancelledError):
        await statement
    assert time.monotonic() - started < PROMPTLY
    await assert_free(app_db, backend, database_url)


async def test_a_task_started_by_the_request_stops_at_its_deadline(
    app_db: BaseDBAsyncClient, backend: str, database_url: str
):
    """A DataLoader batch runs in a task of its own that the time limit does not cancel; it
    inherits the request's deadline. On PostgreSQL it is the server's statement_timeout, a
    second after the request's limit, that stops it."""
    with pytest.raises(TimeoutError):
        async with database_deadline(0.2):
            batch = asyncio.create_task(app_db.execute_query(SLOW_SQL[backend]))
            await asyncio.sleep(5)
    started = time.monotonic()
    if backend == "sqlite":
        with pytest.raises(StatementDeadlineExceeded):
            await batch
        assert time.monotonic() - started < PROMPTLY
    else:
        with pytest.raises(asyncpg.QueryCanceledError, match="statement timeout"):
            await batch
        assert time.monotonic() - started < REQUEST_TIMEOUT + 1 + PROMPTLY
    await assert_free(app_db, backend, database_url)


async def test_a_stopped_write_undoes_its_transaction_and_the_next_one_works(
    app_db: BaseDBAsyncClient, backend: str, database_url: str
):
    insert = "INSERT INTO campaigns (name, description, created_at) VALUES ($1, '', $2)"
    if backend == "sqlite":
        insert = insert.replace("$1", "?").replace("$2", "?")
    moment = datetime(2024, 1, 1, tzinfo=UTC)
    with pytest.raises(TimeoutError):
        async with database_deadline(0.2), in_transaction() as transaction:
            await transaction.execute_query(insert, ["stopped", moment])
            await transaction.execute_query(SLOW_WRITE[backend])
    # Another request's transaction right after: its statements are not interrupted.
    async with in_transaction() as transaction:
        await transaction.execute_query(insert, ["written", moment])
        await transaction.execute_query("SELECT 1")
    rows = await app_db.execute_query_dict("SELECT name FROM campaigns ORDER BY name")
    assert rows == [{"name": "written"}]
    await assert_free(app_db, backend, database_url)


async def test_only_the_app_has_the_postgres_statement_timeout(
    app_db: BaseDBAsyncClient, backend: str, database_url: str
):
    if backend != "postgres":
        pytest.skip("statement_timeout is PostgreSQL's")
    # Several rounds: the pool resets a connection when it comes back (RESET ALL).
    for _ in range(3):
        assert await app_db.execute_query_dict("SHOW statement_timeout") == [
            {"statement_timeout": "1500ms"}
        ]
    await Tortoise.close_connections()
    async with database(database_url):  # the command line's sessions
        cli_db = connections.get("default")
        assert await cli_db.execute_query_dict("SHOW statement_timeout") == [
            {"statement_timeout": "0"}
        ]
