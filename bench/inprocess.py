"""What bench/pipeline.py and bench/my_tasks.py share: the real app in this process (GraphQL
through its ASGI interface with httpx: the web layer, authentication and Strawberry, no socket),
a raw SQL connection to the same database (aiosqlite or asyncpg, as bench/raw_floor.py), and
medians of several ways side by side.

The fresh database and the people (a manager with a token, six clerks, five campaigns) come
from bench/leads_page.py, as in the other benchmarks.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from time import perf_counter
from typing import Any

import aiosqlite
import asyncpg
import httpx
from rich.table import Table
from tortoise.backends.base.executor import EXECUTOR_CACHE

from leadflow.app import create_app
from leadflow.settings import Settings
from leads_page import BenchError, asyncpg_dsn

# Per way and case, at most this long for the runs (a slow way still ends).
MAX_SECONDS = 60.0


class RawDatabase:
    """One connection for the raw statements; written with PostgreSQL's `$1` placeholders,
    which become `?` on SQLite (each placeholder used once, in order)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite://")
        self._sqlite: aiosqlite.Connection | None = None
        self._postgres: asyncpg.Connection | None = None

    async def __aenter__(self) -> RawDatabase:
        if self.is_sqlite:
            self._sqlite = await aiosqlite.connect(self.url.removeprefix("sqlite://"))
        else:
            self._postgres = await asyncpg.connect(asyncpg_dsn(self.url))
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._sqlite is not None:
            await self._sqlite.close()
        if self._postgres is not None:
            await self._postgres.close()

    async def fetch(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        if self._sqlite is not None:
            cursor = await self._sqlite.execute(re.sub(r"\$\d+", "?", sql), args)
            rows = await cursor.fetchall()
            await cursor.close()
            return [tuple(row) for row in rows]
        assert self._postgres is not None
        return [tuple(row) for row in await self._postgres.fetch(sql, *args)]


@asynccontextmanager
async def app_client(url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The real application on `url` with its lifespan running, reached in-process."""
    EXECUTOR_CACHE.clear()
    application = create_app(Settings(database_url=url))
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            yield client


async def graphql(
    client: httpx.AsyncClient,
    token: str,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """POST /graphql as a client would; the data, or BenchError for any error."""
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {token}", **(headers or {})},
    )
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise BenchError(f"GraphQL answered {response.status_code}: {body}")
    data: dict[str, Any] = body["data"]
    return data


@dataclass(frozen=True)
class Figures:
    median_ms: float
    p95_ms: float
    runs: int


async def measure(call: Callable[[], Awaitable[Any]], runs: int, warmup: int = 3) -> Figures:
    """Median and p95 of `runs` calls after `warmup` (plans, caches), within MAX_SECONDS."""
    for _ in range(warmup):
        await call()
    times: list[float] = []
    deadline = perf_counter() + MAX_SECONDS
    while len(times) < runs and perf_counter() < deadline:
        started = perf_counter()
        await call()
        times.append((perf_counter() - started) * 1000)
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return Figures(statistics.median(times), p95, len(times))


@dataclass(frozen=True)
class Row:
    case: str
    ways: dict[str, Figures]


def figures_table(title: str, rows: Sequence[Row], floor: str) -> Table:
    """One line per case: each way's median (p95), and each way as a multiple of `floor`."""
    ways = list(rows[0].ways)
    table = Table(title=title, title_justify="left")
    table.add_column("case", no_wrap=True)
    for way in ways:
        table.add_column(f"{way} ms", justify="right", no_wrap=True)
    for way in ways:
        if way != floor:
            table.add_column(f"{way} / {floor}", justify="right", no_wrap=True)
    for row in rows:
        cells = [row.case]
        cells += [f"{f.median_ms:.2f} ({f.p95_ms:.2f})" for f in row.ways.values()]
        base = row.ways[floor].median_ms
        cells += [f"{f.median_ms / base:.1f}x" for way, f in row.ways.items() if way != floor]
        table.add_row(*cells)
    return table
