"""The app's PostgreSQL pool (db/asyncpg_engine.py, db/config.py): no reset query after a
statement, at most LEADFLOW_DB_POOL_SIZE connections, the statement_timeout on each of them
(also on those opened again after the server dropped them); and the source keeps no session
state on pool connections, which is what makes leaving out the reset safe."""

from __future__ import annotations

import ast
import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio
from tortoise import Tortoise, connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from leadflow.db.availability import database_unavailable
from leadflow.db.config import tortoise_config
from tests.databases import asyncpg_dsn
from tests.db_proxy import DatabaseProxy

PACKAGE = Path(__file__).resolve().parents[2] / "backend" / "leadflow"
POOL_SIZE = 3
REQUEST_TIMEOUT = 0.5
RESET_QUERY_MARK = "pg_advisory_unlock_all"


@pytest.fixture
def postgres_url(backend: str, database_url: str) -> str:
    if backend != "postgres":
        pytest.skip("the pool is PostgreSQL's")
    return database_url


@pytest_asyncio.fixture
async def admin(postgres_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection of the test's own, outside the pool under test."""
    connection = await asyncpg.connect(asyncpg_dsn(postgres_url))
    try:
        yield connection
    finally:
        await connection.close()


async def _open(database_url: str, *, engine: str | None = None) -> BaseDBAsyncClient:
    config = tortoise_config(database_url, REQUEST_TIMEOUT, POOL_SIZE)
    if engine is not None:
        config["connections"]["default"]["engine"] = engine
    await Tortoise.init(config=config)
    return connections.get("default")


async def _last_statements(admin: asyncpg.Connection) -> list[str]:
    """The last statement of every other session of the test's database, as the server saw it."""
    rows = await admin.fetch(
        "SELECT query FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    return [row["query"] for row in rows]


async def _statements_after_use(database_url: str, admin: asyncpg.Connection, engine: str | None):
    db = await _open(database_url, engine=engine)
    try:
        await db.execute_query_dict("SELECT 'marker one' AS mark")
        async with in_transaction() as transaction:
            await transaction.execute_query_dict("SELECT 'marker two' AS mark")
        await db.execute_query_dict("SELECT 'marker three' AS mark")
        return await _last_statements(admin)
    finally:
        await Tortoise.close_connections()


async def test_a_released_connection_gets_no_reset_query(
    postgres_url: str, admin: asyncpg.Connection
):
    statements = await _statements_after_use(postgres_url, admin, None)
    assert statements, "the pool's connection is open"
    assert not [query for query in statements if RESET_QUERY_MARK in query]
    assert "SELECT 'marker three' AS mark" in statements
    # Tortoise's own engine, the same way: the server's last statement is the reset query
    # (what this test tells apart).
    stock = await _statements_after_use(postgres_url, admin, "tortoise.backends.asyncpg")
    assert [query for query in stock if RESET_QUERY_MARK in query]


async def test_a_connection_whose_statement_failed_gets_the_full_reset(
    postgres_url: str, admin: asyncpg.Connection
):
    """The reset query is the pool's health check (asyncpg terminates a connection whose reset
    fails): after a failure it runs once, then the connection is lean again."""
    db = await _open(postgres_url)
    try:
        with pytest.raises(Exception, match="division by zero"):
            await db.execute_query_dict("SELECT 1 / 0 AS broken")
        assert [query for query in await _last_statements(admin) if RESET_QUERY_MARK in query]
        # Every connection of the pool busy once more: none is reset after a success.
        await _timeouts_of_pool_connections(db)
        assert not [query for query in await _last_statements(admin) if RESET_QUERY_MARK in query]
    finally:
        await Tortoise.close_connections()


async def test_a_connection_cut_in_a_statement_is_not_handed_out_again(
    postgres_url: str, admin: asyncpg.Connection
):
    """A backend terminated in the middle of a statement (as by a PostgreSQL restart): the
    statement fails as unavailable, and every later statement gets a working connection."""
    db = await _open(postgres_url)
    try:
        sleeper = asyncio.create_task(db.execute_query_dict("SELECT pg_sleep(5) AS slept"))
        for _ in range(100):
            row = await admin.fetchrow(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND state = 'active' AND query LIKE 'SELECT pg_sleep(5)%'"
            )
            if row is not None:
                break
            await asyncio.sleep(0.02)
        assert row is not None, "the statement runs"
        await admin.execute("SELECT pg_terminate_backend($1)", row["pid"])
        with pytest.raises(Exception) as failure:
            await sleeper
        assert database_unavailable(failure.value), repr(failure.value)
        for _ in range(3):
            results = await asyncio.gather(
                *(db.execute_query_dict("SELECT 1 AS one") for _ in range(POOL_SIZE * 2))
            )
            assert all(rows == [{"one": 1}] for rows in results), results
    finally:
        await Tortoise.close_connections()


async def test_a_transaction_whose_begin_failed_leaves_the_task_on_a_working_connection(
    database_proxy: DatabaseProxy,
):
    """Tortoise points the task's connection context at the transaction's connection before
    BEGIN; the engine undoes that when BEGIN fails (the connection died): the task's later
    statements and transactions get working connections, not the dead one ("released back to
    the pool", failing for as long as the task lives)."""
    db = await _open(database_proxy.url)
    try:
        database_proxy.cut_when_sent(b"BEGIN")
        with pytest.raises(Exception) as failure:
            async with in_transaction():
                pass
        assert database_unavailable(failure.value), repr(failure.value)
        await database_proxy.restore()
        assert await db.execute_query_dict("SELECT 1 AS one") == [{"one": 1}]
        async with in_transaction() as transaction:
            assert await transaction.execute_query_dict("SELECT 2 AS two") == [{"two": 2}]
    finally:
        await Tortoise.close_connections()


async def _other_backends(admin: asyncpg.Connection) -> set[int]:
    rows = await admin.fetch(
        "SELECT pid FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    return {row["pid"] for row in rows}


async def test_the_pool_holds_at_most_the_pool_size(postgres_url: str, admin: asyncpg.Connection):
    before = await _other_backends(admin)  # the test fixtures' own
    db = await _open(postgres_url)
    try:
        sleepers = [
            asyncio.create_task(db.execute_query_dict("SELECT pg_sleep(0.6) AS slept"))
            for _ in range(POOL_SIZE * 2)
        ]
        most = 0
        while not all(task.done() for task in sleepers):
            row = await admin.fetchrow(
                "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = current_database() "
                "AND state = 'active' AND query LIKE 'SELECT pg_sleep%'"
            )
            most = max(most, row["n"])
            await asyncio.sleep(0.05)
        await asyncio.gather(*sleepers)
        assert most == POOL_SIZE
        assert len(await _other_backends(admin) - before) == POOL_SIZE
    finally:
        await Tortoise.close_connections()


async def _timeouts_of_pool_connections(db: BaseDBAsyncClient) -> dict[int, str]:
    """statement_timeout per backend, with every connection of the pool busy at once."""
    rows = await asyncio.gather(
        *(
            db.execute_query_dict(
                "SELECT pg_backend_pid() AS pid, current_setting('statement_timeout') AS limit_, "
                "pg_sleep(0.3) AS slept"
            )
            for _ in range(POOL_SIZE)
        )
    )
    return {row[0]["pid"]: row[0]["limit_"] for row in rows}


async def test_every_pool_connection_has_the_statement_timeout(
    postgres_url: str, admin: asyncpg.Connection
):
    db = await _open(postgres_url)
    try:
        first = await _timeouts_of_pool_connections(db)
        assert len(first) == POOL_SIZE
        assert set(first.values()) == {"1500ms"}
        # The server drops them (a restart, an administrator): asyncpg sees each one close and
        # the pool opens new ones, with the same setting.
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid", list(first)
        )
        while await _other_backends(admin) & set(first):
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.1)
        again = await _timeouts_of_pool_connections(db)
        assert len(again) == POOL_SIZE and not set(again) & set(first)
        assert set(again.values()) == {"1500ms"}
    finally:
        await Tortoise.close_connections()


# --- No session state on pool connections (why the reset query can go) ---------------------

# SQL that leaves state in the session beyond its transaction; migrations run on a pool that
# is closed right after them, and the live listener and the migration lock (db/lifecycle.py)
# have connections of their own.
SESSION_STATE = {
    "session advisory lock": re.compile(r"pg_(try_)?advisory_(un)?lock(_shared)?\s*\(", re.I),
    "LISTEN": re.compile(r"\b(UN)?LISTEN\b", re.I),
    "cursor kept past its transaction": re.compile(r"\bWITH\s+HOLD\b", re.I),
    "temporary table": re.compile(r"\bCREATE\s+(GLOBAL\s+|LOCAL\s+)?TEMP(ORARY)?\b", re.I),
    # The settings an app would plausibly change (an UPDATE's "SET column =" is no setting; SET
    # LOCAL ends with the transaction).
    "session setting": re.compile(
        r"\bSET\s+(SESSION\s+)?(statement_timeout|lock_timeout|idle_\w+_timeout|\w*work_mem|"
        r"search_path|jit\w*|time\s+zone|timezone|application_name|synchronous_commit|enable_\w+|"
        r"\w+_cost|plan_cache_mode|default_transaction_\w+|role|session\s+authorization)\b",
        re.I,
    ),
    "session set_config": re.compile(r"set_config\s*\([^)]*,\s*false\s*\)", re.I),
}
LEFT_OUT = {"live/listener.py", "db/lifecycle.py"}


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _string_constants(path: Path) -> Iterator[str]:
    """The module's string constants, docstrings left out (they explain, they run nothing)."""
    tree = ast.parse(path.read_text(), str(path))
    docstrings = _docstrings(tree)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
        ):
            yield node.value


def session_state_in(text: str) -> list[str]:
    return [name for name, pattern in SESSION_STATE.items() if pattern.search(text)]


def test_the_app_keeps_no_session_state_on_pool_connections():
    found = [
        f"{path.relative_to(PACKAGE)}: {kind} in {text[:80]!r}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if "migrations" not in path.parts and str(path.relative_to(PACKAGE)) not in LEFT_OUT
        for text in _string_constants(path)
        for kind in session_state_in(text)
    ]
    assert found == []


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT pg_advisory_lock(15)",
        "SELECT pg_try_advisory_lock(15) AS taken",
        "LISTEN leadflow_outbox",
        "DECLARE c CURSOR WITH HOLD FOR SELECT 1",
        "CREATE TEMP TABLE t (i int)",
        "SET statement_timeout = 0",
        "SELECT 1; SET SESSION work_mem TO '1GB'",
        "SELECT set_config('work_mem', '1GB', false)",
    ],
)
def test_the_session_state_check_finds(sql: str):
    assert session_state_in(sql)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT pg_try_advisory_xact_lock(15) AS taken",
        "SET LOCAL statement_timeout = 0",
        "UPDATE leads SET assignee_id = $1 WHERE id = $2",
        "SELECT set_config('work_mem', '1GB', true)",
    ],
)
def test_the_session_state_check_lets_pass(sql: str):
    assert session_state_in(sql) == []
