"""Database fixtures: every test gets a clean, migrated database, on SQLite and (when
LEADFLOW_TEST_POSTGRES_URL is set) on PostgreSQL, and talks to the real ASGI app over HTTP.

Cheap by design (tests/databases.py): migrations once per backend and session (and xdist
worker); a test starts from a copy of a state: empty, the test users of `actors` when it asks
for them (made once into the template; a test that does not ask has no users), or a world its
module built once (override `database_state`). Passwords are hashed at argon2's cheapest in
this process (`passwords.use_test_hashing`); tests/test_password_hashing.py pins production's.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette
from tortoise.backends.base.executor import EXECUTOR_CACHE

from leadflow.app import create_app
from leadflow.auth import passwords, tokens
from leadflow.settings import Settings
from tests.databases import (
    DatabaseState,
    DatabaseTemplate,
    asyncpg_dsn,
    postgres_template,
    sqlite_template,
)
from tests.db_proxy import DatabaseProxy
from tests.helpers import Actors

POSTGRES_URL = os.environ.get("LEADFLOW_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgres"] if POSTGRES_URL else ["sqlite"]


def pytest_configure(config: pytest.Config) -> None:
    # Every password hashed in this process (logins, the in-process CLI, createUser) at argon2's
    # cheapest: 0.1-0.5 s per hash and per check at the production cost added up to minutes.
    passwords.use_test_hashing()


# The browser tests are the longest (10-30 s each). Handed out first, they run while the many
# short tests fill the gaps, instead of one xdist worker waiting for the other's last browser
# test at the end. A stable sort after pytest's own reordering (which groups the tests by the
# session's database backends), so everything else keeps its order.
SLOW_FIRST = ("tests/e2e/",)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: not item.nodeid.startswith(SLOW_FIRST))


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest_asyncio.fixture(scope="session", params=BACKENDS)
async def database_template(request, tmp_path_factory) -> AsyncIterator[DatabaseTemplate]:
    """Per backend and session (each xdist worker has a session of its own)."""
    if request.param == "sqlite":
        yield await sqlite_template(tmp_path_factory.mktemp("template"))
        return
    assert POSTGRES_URL is not None
    name = f"leadflow_test_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(asyncpg_dsn(POSTGRES_URL))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    template = await postgres_template(_with_database(POSTGRES_URL, name))
    yield template
    await template.close()
    admin = await asyncpg.connect(asyncpg_dsn(POSTGRES_URL))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
def database_state() -> DatabaseState | None:
    """The state a module's tests start from; None: empty, or the test users with `actors`.
    A module that builds a world once overrides this (see tests/databases.build_state)."""
    return None


@pytest_asyncio.fixture
async def database_url(
    request,
    database_template: DatabaseTemplate,
    database_state: DatabaseState | None,
    tmp_path: Path,
) -> str:
    """A database for this test alone, holding its starting state."""
    state = database_state
    if state is None:
        wants_actors = "actors" in request.fixturenames
        state = database_template.with_actors if wants_actors else database_template.empty
    return await database_template.fresh(tmp_path, state)


@pytest.fixture
def backend(database_template: DatabaseTemplate) -> str:
    return database_template.backend


@pytest_asyncio.fixture
async def app(database_url: str) -> AsyncIterator[Starlette]:
    """The real application with its lifespan running (the ORM is initialised)."""
    # Tortoise caches prepared statements per connection *name*; one process switching between
    # SQLite and PostgreSQL (only tests do that) must start with an empty cache.
    EXECUTOR_CACHE.clear()
    application = create_app(Settings(database_url=database_url))
    async with application.router.lifespan_context(application):
        yield application


@pytest_asyncio.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest_asyncio.fixture
async def actors(app: Starlette, database_template: DatabaseTemplate) -> Actors:
    """The test users of `make_actors`, stored in the template (see `database_url`)."""
    return await database_template.seeded.load()


@pytest.fixture(autouse=True)
def token_lookups_not_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every request looks its token up, as before auth/tokens.py kept lookups for a moment:
    statement counts must not depend on whether the previous request was less than two seconds
    ago (nor a test's database on another test's lookups). tests/api/test_token_cache.py tests
    the kept lookups."""
    monkeypatch.setattr(tokens, "TOKEN_CACHE_SECONDS", 0.0)


@pytest_asyncio.fixture
async def database_proxy(backend: str, database_url: str) -> AsyncIterator[DatabaseProxy]:
    """The test's PostgreSQL database behind a TCP proxy the test can cut (tests/db_proxy.py)."""
    if backend != "postgres":
        pytest.skip("PostgreSQL behind a proxy the test cuts")
    proxy = DatabaseProxy(database_url)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.close()
