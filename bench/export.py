"""Benchmark the CSV export of 100,000 leads: time and memory (a benchmark, not a timed test).

It creates a fresh database (a SQLite file in a temporary directory, or a new database on a
PostgreSQL server, dropped at the end), loads 100,000 leads as bench/leads_page.py does, adds
feedback to every third lead, and then exports every lead:

- `HTTP`: `GET /files/exports/leads.csv` with the manager's token from the real app through its
  ASGI interface (httpx, no socket), the body read as it streams;
- `service`: `services.exports.export_chunks`, once plainly and once under tracemalloc, whose
  peak says how much Python memory the export holds at most (the file is never whole in
  memory: a page of 1,000 leads and their feedback at a time).

    .venv/bin/python bench/export.py                       # SQLite
    .venv/bin/python bench/export.py --postgres postgres://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sqlite3
import sys
import tempfile
import tracemalloc
from contextlib import closing
from pathlib import Path
from time import perf_counter

import asyncpg
from rich.console import Console
from tortoise.exceptions import BaseORMException

from inprocess import app_client
from leadflow.auth.actors import OPERATOR
from leadflow.db.lifecycle import database
from leadflow.services import exports
from leads_page import BenchError, asyncpg_dsn, bounded, fresh_database, prepare

console = Console()
FEEDBACK_SQL = (
    "INSERT INTO feedback (lead_id, author_id, channel, note, created_at) "
    "SELECT id, assignee_id, 'PHONE', 'Rückruf am Dienstag; Angebot geschickt', created_at "
    "FROM leads WHERE assignee_id IS NOT NULL AND id % 3 = 0"
)


async def add_feedback(url: str) -> None:
    if url.startswith("sqlite://"):
        path = url.removeprefix("sqlite://")
        with closing(sqlite3.connect(path)) as connection, connection:  # one transaction
            connection.execute(FEEDBACK_SQL)
        return
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await connection.execute(FEEDBACK_SQL)
    finally:
        await connection.close()


async def by_http(url: str, token: str) -> tuple[int, float]:
    async with app_client(url) as client:
        started = perf_counter()
        size = 0
        headers = {"Authorization": f"Bearer {token}"}
        async with client.stream("GET", "/files/exports/leads.csv", headers=headers) as response:
            if response.status_code != 200:
                raise BenchError(f"the export answered {response.status_code}")
            async for chunk in response.aiter_bytes():
                size += len(chunk)
        return size, perf_counter() - started


async def by_service(url: str, traced: bool) -> tuple[int, int, float, int]:
    async with database(url):
        if traced:
            tracemalloc.start()
        started = perf_counter()
        size = rows = 0
        async for chunk, count in exports.export_chunks(OPERATOR, exports.ExportFilter()):
            size += len(chunk.encode())
            rows += count
        took = perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] if traced else 0
        tracemalloc.stop()
    return rows, size, took, peak


async def run(postgres_url: str | None, leads: int) -> None:
    backend = "PostgreSQL" if postgres_url else "SQLite"
    with tempfile.TemporaryDirectory(prefix="leadflow-bench-") as tmp:
        async with fresh_database(postgres_url, Path(tmp)) as url:
            with console.status(f"Loading {leads:,} leads…"):
                setup = await prepare(url, leads)
                await add_feedback(url)
            size, http_seconds = await by_http(url, setup.token)
            rows, text_size, seconds, _ = await by_service(url, traced=False)
            _, _, traced_seconds, peak = await by_service(url, traced=True)
    console.print(f"{backend}: {rows:,} leads, {size / 1e6:.1f} MB of CSV")
    console.print(f"  HTTP (in process): {http_seconds:.1f} s")
    console.print(f"  service: {seconds:.1f} s ({text_size / 1e6:.1f} MB of text)")
    console.print(
        f"  service under tracemalloc: {traced_seconds:.1f} s, peak {peak / 1e6:.1f} MB of "
        "Python memory"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--postgres",
        metavar="URL",
        default=os.environ.get("LEADFLOW_BENCH_POSTGRES_URL"),
        help="PostgreSQL admin URL (default: LEADFLOW_BENCH_POSTGRES_URL, else SQLite)",
    )
    parser.add_argument(
        "--leads", type=bounded(int, 1000, 10_000_000), default=100_000, help="(100000)"
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        asyncio.run(run(args.postgres, args.leads))
    except (BenchError, OSError, asyncpg.PostgresError, BaseORMException) as error:
        console.print(f"bench: {error}", style="red", markup=False, highlight=False)
        sys.exit(1)
    except KeyboardInterrupt:
        console.print("bench: interrupted; database removed", style="red")
        sys.exit(130)


if __name__ == "__main__":
    main()
