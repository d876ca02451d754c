"""Test databases made cheap: migrations run once per backend and session (per xdist worker),
into a template; every test then starts from a copy of a known state.

- SQLite copies a file per test.
- PostgreSQL uses one database per session and puts it into the state a test starts from with
  one SQL script, sent in one round trip as one transaction: DELETE from every table in
  dependency order, restart every sequence, then (for a state other than empty) INSERT the
  state's rows and set the sequences after them. TRUNCATE of the 19 tables took 0.4-0.6 s per
  test; this takes 0.01-0.05 s.

States: empty (migrated, no rows), the test users of `make_actors` (the `actors` fixture), and
worlds a test module builds once (`build_state`) for tests that all start from the same data
(tests/api/test_partners.py, tests/api/test_fuzz.py).
"""

from __future__ import annotations

import shutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
import pytest
import pytest_asyncio
from tortoise.backends.base.executor import EXECUTOR_CACHE

from leadflow.app import create_app
from leadflow.db.lifecycle import database, migrate
from leadflow.db.models import User
from leadflow.settings import Settings
from tests.helpers import Actor, Actors, make_actors

T = TypeVar("T")


def asyncpg_dsn(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


@dataclass(frozen=True)
class SeededActors:
    """What `make_actors` stored: the users' ids and the tokens' secrets (the database keeps
    only digests)."""

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
        """The actors with fresh User objects from the current database (one query)."""
        users = {user.id: user for user in await User.filter(id__in=set(self.user_ids.values()))}
        return Actors(
            **{
                name: Actor(user=users[user_id], token=self.tokens[name])
                for name, user_id in self.user_ids.items()
            }
        )


@dataclass(frozen=True)
class DatabaseState:
    """What a test's database holds when it starts: a file to copy (SQLite) or the SQL that
    inserts the rows and sets the sequences (PostgreSQL, after the reset)."""

    sqlite_file: str = ""
    insert_sql: str = ""


@dataclass
class DatabaseTemplate:
    """A migrated database per backend and session, and the states tests start from."""

    backend: str
    url: str  # SQLite: the empty template's URL; PostgreSQL: the session database's URL
    empty: DatabaseState
    with_actors: DatabaseState = field(default_factory=DatabaseState)
    seeded: SeededActors = field(default_factory=lambda: SeededActors({}, {}))
    reset_sql: str = ""  # PostgreSQL: empty every table, restart every sequence
    reset_end_sql: str = ""  # PostgreSQL: after the rows are in (the triggers back on)
    tables: list[str] = field(default_factory=list)  # PostgreSQL: children before parents
    connection: asyncpg.Connection | None = field(default=None, repr=False)

    async def fresh(self, directory: Path, state: DatabaseState) -> str:
        """The URL of a database holding `state`, for one test (or one world's building)."""
        if self.backend == "sqlite":
            path = directory / "leadflow.db"
            shutil.copy(state.sqlite_file, path)
            return f"sqlite://{path}"
        assert self.connection is not None
        # Simple query protocol: every statement in one round trip, as one transaction.
        script = f"BEGIN;\n{self.reset_sql}{state.insert_sql}{self.reset_end_sql}COMMIT;"
        try:
            await self.connection.execute(script)
        except BaseException:
            if not self.connection.is_closed():
                await self.connection.execute("ROLLBACK")
            raise
        return self.url

    async def capture(self, url: str, directory: Path) -> DatabaseState:
        """The current contents of `url` (a database of `fresh`) as a state; the ORM must be
        closed on it (SQLite: the file is copied)."""
        if self.backend == "sqlite":
            directory.mkdir(parents=True, exist_ok=True)
            target = directory / "state.db"
            shutil.copy(url.removeprefix("sqlite://"), target)
            return DatabaseState(sqlite_file=str(target))
        assert self.connection is not None
        return DatabaseState(insert_sql=await _insert_sql(self.connection, self.tables))

    async def close(self) -> None:
        if self.connection is not None:
            await self.connection.close()


async def sqlite_template(directory: Path) -> DatabaseTemplate:
    empty = directory / "template.db"
    await migrate(f"sqlite://{empty}")
    template = DatabaseTemplate(
        "sqlite", f"sqlite://{empty}", DatabaseState(sqlite_file=str(empty))
    )
    actors_dir = directory / "actors"
    actors_dir.mkdir()
    url = await template.fresh(actors_dir, template.empty)
    template.seeded = await _make_actors_in(url)
    template.with_actors = await template.capture(url, directory / "actors-state")
    return template


async def postgres_template(url: str) -> DatabaseTemplate:
    await migrate(url)
    connection = await asyncpg.connect(asyncpg_dsn(url))
    tables = await _tables_children_first(connection)
    sequences = [
        row["name"]
        for row in await connection.fetch(
            "SELECT quote_ident(sequencename) AS name FROM pg_sequences "
            "WHERE schemaname = 'public' ORDER BY sequencename"
        )
    ]
    triggers_off, triggers_on = await _without_triggers(connection)
    reset_sql = (
        triggers_off
        + "".join(f"DELETE FROM {table};\n" for table in tables)
        + "".join(f"ALTER SEQUENCE {sequence} RESTART;\n" for sequence in sequences)
    )
    template = DatabaseTemplate(
        "postgres",
        url,
        DatabaseState(),
        reset_sql=reset_sql,
        reset_end_sql=triggers_on,
        tables=tables,
        connection=connection,
    )
    await template.fresh(Path(), template.empty)
    template.seeded = await _make_actors_in(url)
    template.with_actors = await template.capture(url, Path())
    return template


async def _without_triggers(connection: asyncpg.Connection) -> tuple[str, str]:
    """SQL that switches the triggers off for the reset and on again: the rollups' triggers on
    `leads` would count the state's leads a second time (its rollup rows are inserted too), and
    deleting leads would update rollups about to be deleted. A superuser switches them off for
    the transaction alone (session_replication_role); the tables' owner one by one."""
    if await connection.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"):
        return "SET LOCAL session_replication_role = replica;\n", ""
    tables = await connection.fetch(
        "SELECT DISTINCT tgrelid::regclass::text AS name FROM pg_trigger WHERE NOT tgisinternal"
    )
    off = "".join(f"ALTER TABLE {row['name']} DISABLE TRIGGER USER;\n" for row in tables)
    on = "".join(f"ALTER TABLE {row['name']} ENABLE TRIGGER USER;\n" for row in tables)
    return off, on


async def _make_actors_in(url: str) -> SeededActors:
    # Tortoise caches statements per connection name: SQLite's must not serve PostgreSQL.
    EXECUTOR_CACHE.clear()
    async with database(url):
        return SeededActors.of(await make_actors())


async def build_state(
    template: DatabaseTemplate,
    directory: Path,
    build: Callable[[httpx.AsyncClient, Actors], Awaitable[T]],
    start: DatabaseState | None = None,
) -> tuple[DatabaseState, T]:
    """Run `build(client, actors)` against the real app on a database holding `start` (the test
    users by default) and capture what it leaves: a world a module's tests all start from, made
    once instead of once per test. Returns the state and what `build` returned."""
    directory.mkdir(parents=True, exist_ok=True)
    url = await template.fresh(directory, start or template.with_actors)
    EXECUTOR_CACHE.clear()
    application = create_app(Settings(database_url=url))
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            result = await build(client, await template.seeded.load())
    return await template.capture(url, directory / "state"), result


async def _insert_sql(connection: asyncpg.Connection, tables: list[str]) -> str:
    """INSERTs of every row (parents first) and the sequences' positions."""
    statements = []
    for table in reversed(tables):
        rows = await connection.fetchval(f"SELECT json_agg(t) FROM {table} t")
        if rows is not None:
            statements.append(
                f"INSERT INTO {table} SELECT * FROM "
                f"json_populate_recordset(NULL::{table}, {_literal(rows)});\n"
            )
    for row in await connection.fetch(
        "SELECT quote_ident(sequencename) AS name, last_value FROM pg_sequences "
        "WHERE schemaname = 'public' AND last_value IS NOT NULL"
    ):
        statements.append(f"SELECT setval('{row['name']}', {int(row['last_value'])});\n")
    return "".join(statements)


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
    parents: dict[str, set[str]] = {name: set() for name in names}
    for row in references:
        if row["child"] in parents and row["parent"] in parents:
            parents[row["child"]].add(row["parent"])
    ordered: list[str] = []
    while len(ordered) < len(names):
        # A table is ready once every table referencing it is deleted already.
        ready = [
            name
            for name in names
            if name not in ordered
            and all(child in ordered for child in names if name in parents[child])
        ]
        assert ready, f"a cycle of foreign keys among {set(names) - set(ordered)}"
        ordered.extend(ready)
    return [f'"{name}"' for name in ordered]


def shared_world(
    name: str, build: Callable[[httpx.AsyncClient, Actors], Awaitable[Any]]
) -> tuple[Any, Any, Any]:
    """Fixtures for a module whose tests start from the same world: `name` (what `build`
    returned), built once per module and backend into a state, and `database_state`, which
    starts the tests that use `name` from a copy of that state (the others start as usual).
    In the module: `_world, database_state, data = shared_world("data", build)`."""

    @pytest_asyncio.fixture(scope="module", name=f"{name}_built_once")
    async def built(database_template: DatabaseTemplate, tmp_path_factory: Any) -> Any:
        directory = tmp_path_factory.mktemp(f"world-{name}")
        return await build_state(database_template, directory, build)

    @pytest.fixture(name="database_state")
    def state(request: pytest.FixtureRequest) -> DatabaseState | None:
        if name not in request.fixturenames:
            return None
        return request.getfixturevalue(f"{name}_built_once")[0]

    @pytest.fixture(name=name)
    def value(request: pytest.FixtureRequest) -> Any:
        return request.getfixturevalue(f"{name}_built_once")[1]

    return built, state, value
