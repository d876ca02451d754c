"""Benchmark the leads page over HTTP against a raw SQL floor (a benchmark, not a timed test).

It creates a fresh database (a SQLite file in a temporary directory, or a new database on a
PostgreSQL server), applies the migrations, bulk-loads 100,000 leads with contacts, campaigns
and clerks, and creates a manager with an API token. Then it starts two uvicorn servers on
free 127.0.0.1 ports:

- the real application (`python -m leadflow.cli serve`, as deployed), and
- bench/raw_floor.py, a bare Starlette route that fetches the same rows with ONE raw SQL query
  and returns the same JSON document.

Each endpoint gets a warm-up, then N requests for the leads page (first: 50, with contact,
campaign and assignee). It prints median, p95 and requests/s per endpoint, the ratio
GraphQL/raw (with and without `totalCount`), and each server's peak RSS (VmHWM).

    .venv/bin/python bench/leads_page.py                       # SQLite
    .venv/bin/python bench/leads_page.py --postgres postgres://postgres@127.0.0.1:5432/test

See bench/README.md for what the figures mean and the latest results.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from time import perf_counter
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
from rich.console import Console
from rich.table import Table
from tortoise.exceptions import BaseORMException

from leadflow.auth.actors import OPERATOR
from leadflow.auth.tokens import issue_token
from leadflow.db.enums import CloseReason, Outcome, Role
from leadflow.db.lifecycle import database, migrate
from leadflow.db.models import Campaign
from leadflow.services.users import create_user
from leadflow.services.validation import phone_key

BENCH_DIR = Path(__file__).resolve().parent
HOST = "127.0.0.1"
PAGE_SIZE = 50
RATIO_GOAL = 3.0
RSS_GOAL_MB = 250
SERVER_START_SECONDS = 60
REQUEST_TIMEOUT_SECONDS = 30
ROUNDS = 5
SEED = 20240601

QUERY = (
    "query($first:Int){ leads(first:$first){ totalCount edges { cursor node { id status "
    "createdAt assignedAt contact { firstName lastName company email phone } "
    "campaign { name } assignee { name } } } } }"
)
QUERY_WITHOUT_COUNT = QUERY.replace("totalCount ", "", 1)

CAMPAIGNS = ("Spring Fair 2024", "Newsletter Q2", "Partner Referrals", "Trade Show", "Website")
CLERKS = ("Clara Clerk", "Bruno Clerk", "Dana Clerk", "Emil Clerk", "Frida Clerk", "Gustav Clerk")
FIRST_NAMES = ("Anna", "Ben", "Carla", "David", "Eva", "Felix", "Greta", "Hannes", "Ida", "Jonas")
LAST_NAMES = ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker")
COMPANIES = ("Acme GmbH", "Nordlicht AG", "Bäckerei Krause", "Hansa Logistik", "", "Solar KG")
CITIES = ("Berlin", "Hamburg", "München", "Köln", "Leipzig", "Dresden")
NEW_SHARE, ACTIVE_SHARE = 0.3, 0.4  # the rest is DONE
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)

CONTACT_COLUMNS = (
    "id", "salutation", "first_name", "last_name", "company", "email", "email_key", "phone",
    "phone_key", "street", "postal_code", "city", "country", "created_at",
)  # fmt: skip
LEAD_COLUMNS = (
    "id", "contact_id", "campaign_id", "assignee_id", "assigned_at", "outcome", "close_reason",
    "close_note", "closed_at", "closed_by_id", "created_by_id", "created_at",
)  # fmt: skip

Stamp = Callable[[datetime | None], Any]
console = Console()


class BenchError(Exception):
    """The benchmark cannot go on; printed as one message."""


# --- Database -------------------------------------------------------------------------------


def asyncpg_dsn(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


async def admin_execute(admin_url: str, sql: str) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(admin_url), timeout=10)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@asynccontextmanager
async def fresh_database(postgres_url: str | None, tmp: Path) -> AsyncIterator[str]:
    """A Leadflow database URL for an empty database that is gone afterwards."""
    if postgres_url is None:
        yield f"sqlite://{tmp / 'leadflow.db'}"
        return
    name = f"leadflow_bench_{uuid.uuid4().hex[:10]}"
    await admin_execute(postgres_url, f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(postgres_url)._replace(path=f"/{name}"))
    finally:
        await admin_execute(postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- Data -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Setup:
    token: str
    migrate_seconds: float
    load_seconds: float


def created_at(pk: int) -> datetime:
    return EPOCH + timedelta(minutes=pk, microseconds=(pk * 7919) % 1_000_000)


def sqlite_stamp(value: datetime | None) -> str | None:
    """How Tortoise stores datetimes in SQLite: `str(datetime)`."""
    return None if value is None else str(value)


def contact_rows(count: int, stamp: Stamp) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(SEED)
    for pk in range(1, count + 1):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email = None if pk % 10 == 0 else f"{first}.{last}.{pk}@Example.com"
        phone = f"+49 30 {pk:07d}"
        yield (
            pk, rng.choice(("Frau", "Herr", "")), first, last, rng.choice(COMPANIES), email,
            email.lower() if email else None, phone, phone_key(phone),
            f"Hauptstraße {pk % 200 + 1}", f"{10000 + pk % 89999:05d}", rng.choice(CITIES), "DE",
            stamp(created_at(pk)),
        )  # fmt: skip


def lead_rows(
    count: int, campaign_ids: list[int], clerk_ids: list[int], stamp: Stamp
) -> Iterator[tuple[Any, ...]]:
    """One lead per contact; NEW, ACTIVE and DONE mixed."""
    rng = random.Random(SEED + 1)
    for pk in range(1, count + 1):
        roll, created = rng.random(), created_at(pk)
        assignee = assigned_at = closed_at = outcome = reason = None
        if roll >= NEW_SHARE:
            assignee, assigned_at = rng.choice(clerk_ids), created + timedelta(hours=2)
        if roll >= NEW_SHARE + ACTIVE_SHARE:
            closed_at = created + timedelta(days=3)
            outcome = rng.choice((Outcome.SUCCESSFUL, Outcome.UNSUCCESSFUL)).value
            reason = None if outcome == Outcome.SUCCESSFUL else CloseReason.UNREACHABLE.value
        yield (
            pk, pk, rng.choice(campaign_ids), assignee, stamp(assigned_at), outcome, reason, "",
            stamp(closed_at), assignee if closed_at else None, None, stamp(created),
        )  # fmt: skip


def load_sqlite(path: str, count: int, campaign_ids: list[int], clerk_ids: list[int]) -> None:
    def insert(table: str, columns: tuple[str, ...]) -> str:
        marks = ", ".join("?" for _ in columns)
        return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"

    with closing(sqlite3.connect(path)) as connection:
        with connection:  # one transaction
            connection.executemany(
                insert("contacts", CONTACT_COLUMNS), contact_rows(count, sqlite_stamp)
            )
            rows = lead_rows(count, campaign_ids, clerk_ids, sqlite_stamp)
            connection.executemany(insert("leads", LEAD_COLUMNS), rows)
        connection.execute("ANALYZE")


async def load_postgres(
    url: str, count: int, campaign_ids: list[int], clerk_ids: list[int]
) -> None:
    def same(value: datetime | None) -> datetime | None:
        return value

    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        async with connection.transaction():
            await connection.copy_records_to_table(
                "contacts", records=contact_rows(count, same), columns=list(CONTACT_COLUMNS)
            )
            rows = lead_rows(count, campaign_ids, clerk_ids, same)
            await connection.copy_records_to_table("leads", records=rows, columns=LEAD_COLUMNS)
        for table in ("contacts", "leads"):
            await connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        await connection.execute("VACUUM ANALYZE")  # steady state: statistics, visibility map
    finally:
        await connection.close()


async def create_people_and_campaigns(url: str) -> tuple[str, list[int], list[int]]:
    """Through the services, as in production: a manager with a token, clerks, campaigns."""
    async with database(url):
        manager = await create_user(OPERATOR, "manager@bench.example", "Mara Manager", Role.MANAGER)
        clerks = [
            await create_user(OPERATOR, f"clerk{n}@bench.example", name, Role.CLERK)
            for n, name in enumerate(CLERKS)
        ]
        campaigns = [await Campaign.create(name=name) for name in CAMPAIGNS]
        _, secret = await issue_token(manager, name="bench")
    return secret, [campaign.id for campaign in campaigns], [clerk.id for clerk in clerks]


async def prepare(url: str, count: int) -> Setup:
    started = perf_counter()
    await migrate(url)
    migrated = perf_counter()
    secret, campaign_ids, clerk_ids = await create_people_and_campaigns(url)
    if url.startswith("sqlite://"):
        load_sqlite(url.removeprefix("sqlite://"), count, campaign_ids, clerk_ids)
    else:
        await load_postgres(url, count, campaign_ids, clerk_ids)
    return Setup(secret, migrated - started, perf_counter() - migrated)


# --- Servers --------------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"

    def memory_mb(self) -> dict[str, float]:
        """VmRSS (now) and VmHWM (peak) of the server process, from /proc."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        return {key: int(fields[key].split()[0]) / 1024 for key in ("VmRSS", "VmHWM")}

    def log_tail(self, lines: int = 15) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@contextmanager
def running_server(
    name: str, argv: list[str], port: int, env: dict[str, str], tmp: Path
) -> Iterator[Server]:
    log_path = tmp / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield Server(name, process, port, log_path)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def app_argv(port: int) -> list[str]:
    return [sys.executable, "-m", "leadflow.cli", "serve", "--host", HOST, "--port", str(port)]


def raw_argv(port: int) -> list[str]:
    return [
        sys.executable, "-m", "uvicorn", "--factory", "raw_floor:create_app",
        "--app-dir", str(BENCH_DIR), "--host", HOST, "--port", str(port), "--log-level", "info",
    ]  # fmt: skip


@contextmanager
def running_servers(url: str, tmp: Path) -> Iterator[tuple[Server, Server]]:
    env = {**os.environ, "LEADFLOW_DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}
    app_port, raw_port = free_port(), free_port()
    with (
        running_server("leadflow", app_argv(app_port), app_port, env, tmp) as app,
        running_server("raw-floor", raw_argv(raw_port), raw_port, env, tmp) as raw,
    ):
        yield app, raw


async def wait_ready(client: httpx.AsyncClient, server: Server) -> None:
    deadline = perf_counter() + SERVER_START_SECONDS
    while perf_counter() < deadline:
        if server.process.poll() is not None:
            raise BenchError(f"{server.name} exited:\n{server.log_tail()}")
        try:
            if (await client.get(server.url("/healthz"))).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise BenchError(f"{server.name} not ready after {SERVER_START_SECONDS}s:\n{server.log_tail()}")


# --- Measuring ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    label: str
    url: str
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class Measurement:
    label: str
    latencies: list[float]
    wall_seconds: float

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies) * 1000

    @property
    def p95_ms(self) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0] * 1000
        return statistics.quantiles(self.latencies, n=20, method="inclusive")[18] * 1000

    @property
    def per_second(self) -> float:
        return len(self.latencies) / self.wall_seconds


def scenarios(app: Server, raw: Server, token: str) -> list[Scenario]:
    def body(query: str) -> bytes:
        return json.dumps({"query": query, "variables": {"first": PAGE_SIZE}}).encode()

    headers = {"content-type": "application/json"}
    auth = {**headers, "authorization": f"Bearer {token}"}
    page = body(QUERY_WITHOUT_COUNT)
    return [
        Scenario("GraphQL page", app.url("/graphql"), body(QUERY), auth),
        Scenario("GraphQL, no totalCount", app.url("/graphql"), page, auth),
        Scenario("raw SQL floor", raw.url("/leads"), page, headers),
    ]


async def fetch(client: httpx.AsyncClient, scenario: Scenario) -> bytes:
    response = await client.post(scenario.url, content=scenario.body, headers=scenario.headers)
    if response.status_code != 200 or b'"errors"' in response.content:
        raise BenchError(f"{scenario.label}: HTTP {response.status_code}: {response.text[:500]}")
    return response.content


async def measure(
    client: httpx.AsyncClient, scenario: Scenario, requests: int, concurrency: int, limit: float
) -> Measurement:
    """`requests` requests from `concurrency` workers; each stops early after `limit` seconds
    (having made at least one request)."""
    latencies: list[float] = []
    pending = iter(range(requests))  # shared by the workers: bounds the total
    deadline = perf_counter() + limit

    async def worker() -> None:
        for _ in pending:
            started = perf_counter()
            await fetch(client, scenario)
            latencies.append(perf_counter() - started)
            if perf_counter() > deadline:
                return

    started = perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Measurement(scenario.label, latencies, perf_counter() - started)


async def check_same_page(client: httpx.AsyncClient, cases: list[Scenario], leads: int) -> None:
    """The floor must return exactly what GraphQL returns, or the comparison is meaningless."""
    full, without_count, raw = [json.loads(await fetch(client, case)) for case in cases]
    total = full["data"]["leads"]["totalCount"]
    if total != leads:
        raise BenchError(f"totalCount is {total}, expected {leads}")
    graphql_edges = without_count["data"]["leads"]["edges"]
    raw_edges = raw["data"]["leads"]["edges"]
    if len(graphql_edges) != PAGE_SIZE or graphql_edges != full["data"]["leads"]["edges"]:
        raise BenchError("the GraphQL pages with and without totalCount differ")
    for ours, theirs in zip(graphql_edges, raw_edges, strict=True):
        if ours != theirs:
            raise BenchError(f"the floor differs from GraphQL:\n{ours}\n{theirs}")


# --- Running and reporting ------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    postgres_url: str | None
    leads: int
    requests: int
    warmup: int
    concurrency: int
    max_seconds: float


def merge(parts: list[Measurement]) -> Measurement:
    latencies = [latency for part in parts for latency in part.latencies]
    return Measurement(parts[0].label, latencies, sum(part.wall_seconds for part in parts))


async def measure_interleaved(
    client: httpx.AsyncClient, cases: list[Scenario], options: Options
) -> list[Measurement]:
    """Warm-up, then the requests in rounds that take the endpoints in turn, so that a drift
    of the machine (other load, CPU clock) affects all of them alike."""
    rounds = min(ROUNDS, options.requests)
    sizes = [options.requests // rounds + (n < options.requests % rounds) for n in range(rounds)]
    limit = options.max_seconds / rounds
    parts: dict[str, list[Measurement]] = {case.label: [] for case in cases}
    with console.status(f"{options.warmup} + {options.requests} requests per endpoint…"):
        for case in cases:
            await measure(client, case, options.warmup, options.concurrency, options.max_seconds)
        for size in sizes:
            for case in cases:
                result = await measure(client, case, size, options.concurrency, limit)
                parts[case.label].append(result)
    return [merge(parts[case.label]) for case in cases]


async def measure_servers(
    app: Server, raw: Server, setup: Setup, options: Options
) -> tuple[list[Measurement], dict[str, dict[str, float]]]:
    limits = httpx.Limits(max_connections=2 * options.concurrency)
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT_SECONDS, limits=limits) as client:
        for server in (app, raw):
            await wait_ready(client, server)
        idle = {server.name: server.memory_mb()["VmRSS"] for server in (app, raw)}
        cases = scenarios(app, raw, setup.token)
        await check_same_page(client, cases, options.leads)
        results = await measure_interleaved(client, cases, options)
    memory = {
        server.name: {"idle": idle[server.name], "peak": server.memory_mb()["VmHWM"]}
        for server in (app, raw)
    }
    return results, memory


def latency_table(results: list[Measurement], title: str) -> Table:
    floor = results[-1]
    table = Table(title=title, title_justify="left")
    for column in ("endpoint", "requests", "median ms", "p95 ms", "req/s", "x raw"):
        table.add_column(column, justify="left" if column == "endpoint" else "right", no_wrap=True)
    for result in results:
        table.add_row(
            result.label,
            str(len(result.latencies)),
            f"{result.median_ms:.2f}",
            f"{result.p95_ms:.2f}",
            f"{result.per_second:.0f}",
            f"{result.median_ms / floor.median_ms:.2f}x",
        )
    return table


def memory_table(memory: dict[str, dict[str, float]]) -> Table:
    table = Table(title="Server memory (one uvicorn process each)", title_justify="left")
    for column in ("server", "RSS after start MB", "peak RSS (VmHWM) MB"):
        table.add_column(column, justify="left" if column == "server" else "right")
    for name, figures in memory.items():
        table.add_row(name, f"{figures['idle']:.1f}", f"{figures['peak']:.1f}")
    return table


def report(
    results: list[Measurement], memory: dict[str, dict[str, float]], setup: Setup, options: Options
) -> None:
    backend = "PostgreSQL" if options.postgres_url else "SQLite"
    python, cpus = platform.python_version(), os.cpu_count()
    console.print(f"Python {python}; client, servers and database share {cpus} CPUs")
    console.print(
        f"Setup: migrations {setup.migrate_seconds:.2f} s, "
        f"loading {options.leads:,} leads {setup.load_seconds:.2f} s"
    )
    title = (
        f"Leads page (first: {PAGE_SIZE}) on {backend}, {options.leads:,} leads, "
        f"{options.requests} requests, concurrency {options.concurrency}"
    )
    console.print(latency_table(results, title))
    console.print(memory_table(memory))
    full, without_count, floor = results
    for label, result in (("with totalCount", full), ("without totalCount", without_count)):
        ratio = result.median_ms / floor.median_ms
        verdict = "met" if ratio <= RATIO_GOAL else "missed"
        console.print(f"GraphQL/raw {label}: {ratio:.2f}x (goal <= {RATIO_GOAL:g}x: {verdict})")
    console.print(f"totalCount costs {full.median_ms - without_count.median_ms:.2f} ms (median)")
    peak = memory["leadflow"]["peak"]
    verdict = "met" if peak < RSS_GOAL_MB else "missed"
    console.print(f"Leadflow peak RSS: {peak:.1f} MB (goal < {RSS_GOAL_MB} MB: {verdict})")


async def run(options: Options) -> None:
    with tempfile.TemporaryDirectory(prefix="leadflow-bench-") as tmp:
        async with fresh_database(options.postgres_url, Path(tmp)) as url:
            with console.status(f"Migrating and loading {options.leads:,} leads…"):
                setup = await prepare(url, options.leads)
            with running_servers(url, Path(tmp)) as (app, raw):
                results, memory = await measure_servers(app, raw, setup, options)
    report(results, memory, setup, options)


def bounded(kind: type[int] | type[float], low: float, high: float) -> Callable[[str], Any]:
    def parse(raw: str) -> int | float:
        try:
            value = kind(raw)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {raw!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low:g} and {high:g}")
        return value

    return parse


def parse_options(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--postgres",
        metavar="URL",
        default=os.environ.get("LEADFLOW_BENCH_POSTGRES_URL"),
        help="PostgreSQL admin URL; a fresh database is created there and dropped afterwards "
        "(default: LEADFLOW_BENCH_POSTGRES_URL, else SQLite in a temporary directory)",
    )
    parser.add_argument(
        "--leads", type=bounded(int, PAGE_SIZE, 10_000_000), default=100_000, help="(100000)"
    )
    parser.add_argument(
        "--requests", type=bounded(int, 1, 100_000), default=200, help="per endpoint (200)"
    )
    parser.add_argument(
        "--warmup", type=bounded(int, 1, 10_000), default=20, help="per endpoint (20)"
    )
    parser.add_argument(
        "--concurrency", type=bounded(int, 1, 64), default=1, help="client workers (1)"
    )
    parser.add_argument(
        "--max-seconds",
        type=bounded(float, 1, 3600),
        default=120.0,
        help="time limit per endpoint and phase (default 120)",
    )
    args = parser.parse_args(argv)
    return Options(
        args.postgres, args.leads, args.requests, args.warmup, args.concurrency, args.max_seconds
    )


def main() -> None:
    options = parse_options()
    # SIGTERM like Ctrl-C, so that the servers are stopped and the database dropped.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        asyncio.run(run(options))
    except (BenchError, OSError, asyncpg.PostgresError) as error:
        console.print(f"bench: {error}", style="red", markup=False, highlight=False)
        sys.exit(1)
    except BaseORMException as error:
        message = f"bench: setting up the database failed: {error!r}"
        console.print(message, style="red", markup=False, highlight=False)
        sys.exit(1)
    except KeyboardInterrupt:
        console.print("bench: interrupted; servers stopped, database removed", style="red")
        sys.exit(130)


if __name__ == "__main__":
    main()
