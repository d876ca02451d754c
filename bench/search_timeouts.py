"""Another client's wait while slow searches run into the request time limit (a benchmark, not a
timed test).

It starts a real `leadflow serve` (tests/live_server.py) with LEADFLOW_REQUEST_TIMEOUT=T on a
fresh database (SQLite in a temporary directory, or a new PostgreSQL database with --postgres,
dropped at the end), fills it with the contacts and leads of tests/slow_search.py (one search
over them takes several seconds), and then sends P searches at once, each one request. Another
client meanwhile asks `{ viewer { id } }`, one request after the other, until every search has
its answer and a few seconds more.

It prints each search's status and time, the other client's longest wait, the wait of the first
request it sent after the last search had its 504 (how long the database was still busy with
given-up work), and on PostgreSQL how long search statements stayed active after that 504
(pg_stat_activity, sampled every 50 ms).

    .venv/bin/python bench/search_timeouts.py                         # SQLite, 4 searches
    .venv/bin/python bench/search_timeouts.py --postgres postgres://postgres@127.0.0.1:5432/test

The code of an earlier commit, for the figure before a change (the script, the test helpers
and the data stay those of the working tree):

    mkdir -p /tmp/before && git archive <commit> backend | tar -x -C /tmp/before
    PYTHONPATH=/tmp/before/backend .venv/bin/python bench/search_timeouts.py

See bench/README.md for the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.live_server import live_server  # noqa: E402
from tests.slow_search import SLOW_SEARCH_BODY, insert_slow_search  # noqa: E402

VIEWER = {"query": "{ viewer { id } }"}


@dataclass
class Probe:
    sent: float  # seconds since the searches were sent
    wait: float
    status: int


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--searches", type=int, default=4, help="searches at once (4)")
    parser.add_argument("--timeout", type=float, default=2.0, help="request time limit, s (2)")
    parser.add_argument("--contacts", type=int, help="contacts (SQLite 100,000; PG 300,000)")
    parser.add_argument("--postgres", help="admin URL of a PostgreSQL server (else SQLite)")
    parser.add_argument("--max-seconds", type=float, default=120, help="bound of each phase")
    return parser.parse_args()


@asynccontextmanager
async def fresh_postgres(admin_url: str) -> AsyncIterator[str]:
    name = f"leadflow_bench_{uuid.uuid4().hex[:10]}"
    admin_dsn = admin_url.replace("postgres://", "postgresql://", 1)
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))
    finally:
        admin = await asyncpg.connect(admin_dsn)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def timed_post(http: httpx.AsyncClient, body: dict, token: str) -> tuple[int, float]:
    started = time.perf_counter()
    response = await http.post("/graphql", json=body, headers={"Authorization": f"Bearer {token}"})
    return response.status_code, time.perf_counter() - started


async def probe(
    http: httpx.AsyncClient, token: str, origin: float, stop: asyncio.Event, limit: float
) -> list[Probe]:
    """The other client, until `stop` and its first answer after it (however long that takes,
    within `limit`)."""
    probes: list[Probe] = []
    while time.perf_counter() - origin < limit:
        if stop.is_set() and probes and probes[-1].status == 200:
            break
        sent = time.perf_counter() - origin
        status, wait = await timed_post(http, VIEWER, token)
        probes.append(Probe(sent, wait, status))
        await asyncio.sleep(0.05)
    return probes


async def active_statements(database_url: str | None, origin: float, stop: asyncio.Event):
    """(seconds since the searches were sent, searches active) every 50 ms."""
    samples: list[tuple[float, int]] = []
    if database_url is None:
        return samples
    connection = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
    try:
        while not stop.is_set():
            count = await connection.fetchval(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE '%LIKE UPPER%'"
            )
            samples.append((time.perf_counter() - origin, count))
            await asyncio.sleep(0.05)
    finally:
        await connection.close()
    return samples


async def measure(args: argparse.Namespace, directory: Path, database_url: str | None) -> None:
    backend = "postgres" if database_url else "sqlite"
    contacts = args.contacts or {"sqlite": 100_000, "postgres": 300_000}[backend]
    env = {"LEADFLOW_REQUEST_TIMEOUT": str(args.timeout)}
    if database_url:
        env["LEADFLOW_DATABASE_URL"] = database_url
    with live_server(directory, **env) as server:
        url = database_url or f"sqlite://{directory / 'live.db'}"
        started = time.perf_counter()
        await insert_slow_search(backend, url, contacts)
        print(
            f"{backend}: {contacts:,} contacts with leads in {time.perf_counter() - started:.1f} s"
        )
        token = server.manager_token
        async with httpx.AsyncClient(base_url=server.url, timeout=args.max_seconds) as http:
            idle = [(await timed_post(http, VIEWER, token))[1] for _ in range(20)]
            print(f"idle: the other client's request takes {max(idle) * 1000:.0f} ms at most")
            origin = time.perf_counter()
            stop = asyncio.Event()
            probes = asyncio.create_task(probe(http, token, origin, stop, args.max_seconds))
            activity = asyncio.create_task(active_statements(database_url, origin, stop))
            searches = await asyncio.gather(
                *(timed_post(http, SLOW_SEARCH_BODY, token) for _ in range(args.searches))
            )
            last_answer = max(seconds for _, seconds in searches)
            await asyncio.sleep(3.0)
            stop.set()
            report(args, searches, last_answer, await probes, await activity)
    assert "Traceback" not in server.log(), server.log()


def report(
    args: argparse.Namespace,
    searches: list[tuple[int, float]],
    last_answer: float,
    probes: list[Probe],
    activity: list[tuple[float, int]],
) -> None:
    for status, seconds in searches:
        print(f"search: HTTP {status} after {seconds:.2f} s")
    longest = max(probes, key=lambda probe: probe.wait)
    failed = [probe for probe in probes if probe.status != 200]
    print(
        f"other client: {len(probes)} requests, {len(failed)} not answered (HTTP "
        f"{sorted({probe.status for probe in failed}) or '-'}), longest wait {longest.wait:.2f} s"
    )
    # Its own time limit cuts each wait; the stretch between two answers is the stall.
    answered = [0.0] + [probe.sent + probe.wait for probe in probes if probe.status == 200]
    stall = max(later - earlier for earlier, later in itertools.pairwise(answered))
    print(f"other client: longest time without an answer {stall:.2f} s")
    after = [probe for probe in probes if probe.sent >= last_answer]
    if after:
        print(f"first request after the last search's answer: waited {after[0].wait:.2f} s")
    busy = [moment for moment, count in activity if count and moment >= last_answer]
    if activity:
        still = f"until {max(busy):.2f} s" if busy else "none"
        print(f"search statements still active after the last answer: {still}")


async def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="leadflow-bench-") as directory:
        if args.postgres:
            async with fresh_postgres(args.postgres) as database_url:
                await measure(args, Path(directory), database_url)
        else:
            await measure(args, Path(directory), None)


if __name__ == "__main__":
    asyncio.run(main())
