"""Database fixtures: every test gets a clean, migrated database, on SQLite and (when
LEADFLOW_TEST_POSTGRES_URL is set) on PostgreSQL, and talks to the real ASGI app over HTTP.

What makes this cheap (the suite has over a thousand tests):
- migrations run once per backend and session (and per xdist worker), into a template;
- the test users of `actors` are made once into a second template, so a test asking for them
  starts with them already stored; a test that does not ask for them starts without users;
- SQLite copies the template file per test; PostgreSQL empties one database per session with
  DELETEs in dependency order and sequence restarts (plus re-inserting the users when asked),
  all in one transaction and one round trip: TRUNCATE took 0.4-0.6 s per test, this 0.02-0.06 s;
- passwords are hashed with argon2 at its cheapest in this process (`passwords.use_test_hashing`),
  the production parameters are pinned by tests/test_password_parameters.py.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette
from tortoise.backends.base.executor import EXECUTOR_CACHE

from leadflow.app import create_app
from leadflow.auth import passwords
from leadflow.db.lifecycle import database, migrate
from leadflow.db.models import User
from leadflow.settings import Settings
from tests.helpers import Actor, Actors, make_actors

POSTGRES_URL = os.environ.get("LEADFLOW_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgres"] if POSTGRES_URL else ["sqlite"]


def pytest_configure(config: pytest.Config) -> None:
    # Every password hashed in this process (test users, logins, in-process CLI) at argon2's
    # cheapest: 0.1-0.5 s per hash and per check at the production cost added up to minutes.
    passwords.use_test_hashing()


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


@dataclass
class SeededActors:
    """What `make_actors` stored in the template: the users' ids and the tokens' secrets (the
    database keeps only digests)."""

    user_ids: dict[str, int]
    tokens: dict[str, str]

    @classmethod
    def of(cls, actors: Actors) -> SeededActors:
        members = vars(actors)
        return cls(
            user_ids={name: actor.user.id for name, actor in members.items()},
            tokens={name: actor.token for name, actor in members.items()},
        )

    async def load(self) -> Actors:
        """The actors with fresh User objects from the test's own database (one query)."""
        users = {user.id: user for user in await User.filter(id__in=set(self.user_ids.values()))}
        return Actors(
            **{
                name: Actor(user=users[user_id], token=self.tokens[name])
                for name, user_id in self.user_ids.items()
            }
        )


@dataclass
class DatabaseTemplate:
    """A migrated database per backend and session, with and without the test users."""

    backend: str
    location: str  # SQLite: the empty template's file; PostgreSQL: the session database's URL
    seeded: SeededActors
    actors_location: str = ""  # SQLite: the template file with the test users
    reset_sql: str = ""  # PostgreSQL: empty every table, restart every sequence
    restore_actors_sql: str = ""  # PostgreSQL: the test users' rows, sequences after them
    connection: asyncpg.Connection | None = field(default=None, repr=False)

    async def fresh(self, directory: Path, *, with_actors: bool) -> str:
        """The URL of a database in its template's state for one test."""
        if self.backend == "sqlite":
            path = directory / "leadflow.db"
            shutil.copy(self.actors_location if with_actors else self.location, path)
            return f"sqlite://{path}"
        assert self.connection is not None
        script = self.reset_sql + (self.restore_actors_sql if with_actors else "")
        # Simple query protocol: every statement in one round trip, as one transaction.
        await self.connection.execute(f"BEGIN;\n{script}\nCOMMIT;")
        return self.location


async def _make_actors_in(url: str) -> SeededActors:
    EXECUTOR_CACHE.clear()  # see the `app` fixture
    async with database(url):
        return SeededActors.of(await make_actors())


async def _sqlite_template(directory: Path) -> DatabaseTemplate:
    empty = directory / "template.db"
    await migrate(f"sqlite://{empty}")
    with_actors = directory / "template-actors.db"
    shutil.copy(empty, with_actors)
    seeded = await _make_actors_in(f"sqlite://{with_actors}")
    return DatabaseTemplate("sqlite", str(empty), seeded, actors_location=str(with_actors))


async def _postgres_template(url: str) -> DatabaseTemplate:
    await migrate(url)
    connection = await asyncpg.connect(_asyncpg_dsn(url))
    tables = await _tables_children_first(connection)
    sequences = [
        row["name"]
        for row in await connection.fetch(
            "SELECT quote_ident(sequencename) AS name FROM pg_sequences "
            "WHERE schemaname = 'public' ORDER BY sequencename"
        )
    ]
    reset_sql = "".join(f"DELETE FROM {table};\n" for table in tables) + "".join(
        f"ALTER SEQUENCE {sequence} RESTART;\n" for sequence in sequences
    )
    seeded = await _make_actors_in(url)
    restore = []
    # Parents first on the way in.
    for table in reversed(tables):
        rows = await connection.fetchval(f"SELECT json_agg(t) FROM {table} t")
        if rows is not None:
            restore.append(
                f"INSERT INTO {table} SELECT * FROM "
                f"json_populate_recordset(NULL::{table}, {_literal(rows)});\n"
            )
    for row in await connection.fetch(
        "SELECT quote_ident(sequencename) AS name, last_value FROM pg_sequences "
        "WHERE schemaname = 'public' AND last_value IS NOT NULL"
    ):
        restore.append(f"SELECT setval('{row['name']}', {int(row['last_value'])});\n")
    template = DatabaseTemplate(
        "postgres",
        url,
        seeded,
        reset_sql=reset_sql,
        restore_actors_sql="".join(restore),
        connection=connection,
    )
    return template


def _literal(text: str) -> str:
    # json_agg's output as an SQL string literal (standard_conforming_strings is on).
    return "'" + text.replace("'", "''") + "'"


async def _tables_children_first(connection: asyncpg.Connection) -> list[str]:
    """The application's tables (not Tortoise's migration records), each one before the tables
    it references, so DELETEs in this order never trip a foreign key."""
    names = [
        row["tablename"]
        for row in await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename NOT LIKE 'tortoise%' ORDER BY tablename"
        )
    ]
    references = await connection.fetch(
        "SELECT child.relname AS child, parent.relname AS parent FROM pg_constraint c "
        "JOIN pg_class child ON child.oid = c.conrelid "
        "JOIN pg_class parent ON parent.oid = c.confrelid "
        "WHERE c.contype = 'f' AND child.oid <> parent.oid"
    )
    parents = {name: set() for name in names}
    for row in references:
        if row["child"] in parents and row["parent"] in parents:
            parents[row["child"]].add(row["parent"])
    referenced_by = {name: {c for c in names if name in parents[c]} for name in names}
    ordered: list[str] = []
    while len(ordered) < len(names):
        ready = [
            name
            for name in names
            if name not in ordered and not (referenced_by[name] - set(ordered))
        ]
        assert ready, f"a cycle of foreign keys among {set(names) - set(ordered)}"
        ordered.extend(ready)
    return [f'"{name}"' for name in ordered]


@pytest_asyncio.fixture(scope="session", params=BACKENDS)
async def database_template(request, tmp_path_factory) -> AsyncIterator[DatabaseTemplate]:
    """Per backend and session (per xdist worker: each has its own session)."""
    if request.param == "sqlite":
        yield await _sqlite_template(tmp_path_factory.mktemp("template"))
        return
    assert POSTGRES_URL is not None
    name = f"leadflow_test_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(_asyncpg_dsn(POSTGRES_URL))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    template = await _postgres_template(_with_database(POSTGRES_URL, name))
    yield template
    assert template.connection is not None
    await template.connection.close()
    admin = await asyncpg.connect(_asyncpg_dsn(POSTGRES_URL))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest_asyncio.fixture
async def database_url(request, database_template: DatabaseTemplate, tmp_path: Path) -> str:
    """A clean database for this test; with the test users stored when it uses `actors`."""
    with_actors = "actors" in request.fixturenames
    return await database_template.fresh(tmp_path, with_actors=with_actors)


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
