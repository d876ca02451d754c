"""The raw floor the leads page is measured against (see bench/README.md).

A bare Starlette app with one route, POST /leads: it takes the same JSON body as the GraphQL
request (only `variables.first` is read), runs ONE SQL query (leads JOIN contacts JOIN
campaigns LEFT JOIN users, newest first) with aiosqlite or asyncpg directly, and returns the
same JSON document as the GraphQL leads page without `totalCount`: global IDs, cursors, the
derived status and ISO timestamps included. No ORM, no GraphQL, no authentication.

Configured like Leadflow, by LEADFLOW_DATABASE_URL (sqlite://PATH or postgres://...):

    LEADFLOW_DATABASE_URL=sqlite:///tmp/leadflow.db \\
        .venv/bin/uvicorn --factory raw_floor:create_app --app-dir bench --port 8001
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, Protocol

import aiosqlite
import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
POSTGRES_POOL_SIZE = 5  # Tortoise's default maxsize for asyncpg, so both sides match.

PAGE_SQL = """
SELECT l.id, l.created_at, l.assigned_at, l.closed_at, l.assignee_id,
       c.first_name, c.last_name, c.company, c.email, c.phone,
       k.name, u.name
FROM leads AS l
JOIN contacts AS c ON c.id = l.contact_id
JOIN campaigns AS k ON k.id = l.campaign_id
LEFT JOIN users AS u ON u.id = l.assignee_id
ORDER BY l.created_at DESC, l.id DESC
LIMIT {limit}
"""


class Database(Protocol):
    async def page(self, limit: int) -> Sequence[Sequence[Any]]: ...

    async def ping(self) -> None: ...

    async def close(self) -> None: ...


class SqliteDatabase:
    """One connection, as Tortoise's SQLite client has."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self.connection = connection
        self.sql = PAGE_SQL.format(limit="?")

    async def page(self, limit: int) -> Sequence[Sequence[Any]]:
        async with self.connection.execute(self.sql, (limit,)) as cursor:
            return list(await cursor.fetchall())

    async def ping(self) -> None:
        async with self.connection.execute("SELECT 1") as cursor:
            await cursor.fetchall()

    async def close(self) -> None:
        await self.connection.close()


class PostgresDatabase:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.sql = PAGE_SQL.format(limit="$1")

    async def page(self, limit: int) -> Sequence[Sequence[Any]]:
        return await self.pool.fetch(self.sql, limit)

    async def ping(self) -> None:
        await self.pool.fetchval("SELECT 1")

    async def close(self) -> None:
        await self.pool.close()


async def open_database(url: str) -> Database:
    if url.startswith("sqlite://"):
        return SqliteDatabase(await aiosqlite.connect(url.removeprefix("sqlite://")))
    if url.startswith(("postgres://", "postgresql://")):
        dsn = url.replace("postgres://", "postgresql://", 1)
        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=POSTGRES_POOL_SIZE)
        return PostgresDatabase(pool)
    raise ValueError(f"unsupported database URL: {url}")


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _iso(value: datetime | str | None) -> str | None:
    """SQLite holds Tortoise's `str(datetime)`; PostgreSQL gives aware datetimes."""
    if value is None or isinstance(value, str):
        return value.replace(" ", "T", 1) if value else value
    return value.isoformat()


def _status(closed_at: object, assignee_id: int | None) -> str:
    if closed_at is not None:
        return "DONE"
    return "NEW" if assignee_id is None else "ACTIVE"


def _cursor(pk: int, created_at: str | None) -> str:
    """The NEWEST order's keyset cursor: its name, the id and the sort value."""
    return _b64("keyset:" + json.dumps(["NEWEST", pk, created_at]))


def lead_edge(row: Sequence[Any]) -> dict[str, Any]:
    pk, created_at, assigned_at, closed_at, assignee_id = row[:5]
    first_name, last_name, company, email, phone, campaign, assignee = row[5:]
    created = _iso(created_at)
    return {
        "cursor": _cursor(pk, created),
        "node": {
            "id": _b64(f"Lead:{pk}"),
            "status": _status(closed_at, assignee_id),
            "createdAt": created,
            "assignedAt": _iso(assigned_at),
            "contact": {
                "firstName": first_name,
                "lastName": last_name,
                "company": company,
                "email": email,
                "phone": phone,
            },
            "campaign": {"name": campaign},
            "assignee": None if assignee is None else {"name": assignee},
        },
    }


def _page_size(body: Any) -> int:
    variables = body.get("variables") if isinstance(body, dict) else None
    first = (variables or {}).get("first", DEFAULT_PAGE_SIZE)
    if not isinstance(first, int) or not 0 <= first <= MAX_PAGE_SIZE:
        raise ValueError(f"'first' must be between 0 and {MAX_PAGE_SIZE}")
    return first


def create_app() -> Starlette:
    url = os.environ["LEADFLOW_DATABASE_URL"]
    state: dict[str, Database] = {}

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state["db"] = await open_database(url)
        try:
            yield
        finally:
            await state["db"].close()

    async def leads(request: Request) -> JSONResponse:
        try:
            size = _page_size(await request.json())
        except ValueError as error:
            return JSONResponse({"errors": [{"message": str(error)}]}, status_code=400)
        rows = await state["db"].page(size)
        edges = [lead_edge(row) for row in rows]
        return JSONResponse({"data": {"leads": {"edges": edges}}})

    async def healthz(request: Request) -> JSONResponse:
        await state["db"].ping()
        return JSONResponse({"status": "ok"})

    routes = [
        Route("/leads", leads, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
