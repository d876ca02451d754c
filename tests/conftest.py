"""Database fixtures: every test gets a clean, migrated database, on SQLite and (when
LEADFLOW_TEST_POSTGRES_URL is set) on PostgreSQL, and talks to the real ASGI app over HTTP."""

from __future__ import annotations

import os
import shutil
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
from leadflow.db.lifecycle import migrate
from leadflow.settings import Settings
from tests.helpers import Actors, make_actors

POSTGRES_URL = os.environ.get("LEADFLOW_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgres"] if POSTGRES_URL else ["sqlite"]


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


@pytest_asyncio.fixture(scope="session", params=BACKENDS)
async def database_template(request, tmp_path_factory) -> AsyncIterator[tuple[str, str]]:
    """A migrated database per backend and session: ("sqlite", template file) or
    ("postgres", url of a database created for this session)."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("template") / "template.db"
        await migrate(f"sqlite://{path}")
        yield "sqlite", str(path)
        return
    assert POSTGRES_URL is not None
    name = f"leadflow_test_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(_asyncpg_dsn(POSTGRES_URL))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = _with_database(POSTGRES_URL, name)
    await migrate(url)
    yield "postgres", url
    admin = await asyncpg.connect(_asyncpg_dsn(POSTGRES_URL))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest_asyncio.fixture
async def database_url(database_template, tmp_path: Path) -> str:
    backend, location = database_template
    if backend == "sqlite":
        path = tmp_path / "leadflow.db"
        shutil.copy(location, path)
        return f"sqlite://{path}"
    await _truncate_postgres(location)
    return location


async def _truncate_postgres(url: str) -> None:
    connection = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        tables = await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename NOT LIKE 'tortoise%'"
        )
        names = ", ".join(f'"{row["tablename"]}"' for row in tables)
        await connection.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    finally:
        await connection.close()


@pytest.fixture
def backend(database_template) -> str:
    return database_template[0]


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
async def actors(app: Starlette) -> Actors:
    return await make_actors()
