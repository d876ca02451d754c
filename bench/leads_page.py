"""Benchmark the leads page over HTTP against a raw SQL floor (a benchmark, not a timed test).

It creates a fresh database (a SQLite file in a temporary directory, or a new database on a
PostgreSQL server), applies the migrations, bulk-loads 100,000 leads with contacts, campaigns
and clerks, and creates a manager with an API token. Then it starts two uvicorn servers on
free 127.0.0.1 ports:

- the real application (`python -m leadflow.cli serve`, as deployed), and
- bench/raw_floor.py, a bare Starlette route that fetches the same rows with ONE raw SQL query
  and returns the same JSON document;
- on PostgreSQL, when Node.js is installed: PostGraphile 4.14 (bench/postgraphile, installed
  there with `npm ci` on first use) serving the same page from the same database.

Each endpoint gets a warm-up, then N requests for the leads page (first: 50, with contact,
campaign and assignee), in rounds that take the endpoints in turn. It prints median, p95,
requests/s and server CPU per request for each endpoint, the ratios to the floor and to
PostGraphile, and each server's peak RSS (VmHWM).

    .venv/bin/python bench/leads_page.py                       # SQLite
    .venv/bin/python bench/leads_page.py --postgres postgres://postgres@127.0.0.1:5432/test

See bench/README.md for what the figures mean and the latest results.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import platform
import random
import shutil
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
from servers import (
    HOST,
    BenchError,
    Server,
    app_argv,
    app_env,
    free_port,
    started,
    stop_on_sigterm,
    wait_ready,
)

BENCH_DIR = Path(__file__).resolve().parent
POSTGRAPHILE_DIR = BENCH_DIR / "postgraphile"
PAGE_SIZE = 50
RATIO_GOAL = 3.0
POSTGRAPHILE_GOAL = 1.5
NPM_SECONDS = 300
RSS_GOAL_MB = 250
REQUEST_TIMEOUT_SECONDS = 30
ROUNDS = 5
SEED = 20240601

QUERY = (
    "query($first:Int){ leads(first:$first){ totalCount edges { cursor node { id status "
    "createdAt assignedAt contact { firstName lastName company email phone } "
    "campaign { name } assignee { name } } } } }"
)
QUERY_WITHOUT_COUNT = QUERY.replace("totalCount ", "", 1)
# PostGraphile's names for the same page: its own id (the row id), closedAt and the assignee
# instead of the derived status (the check derives it alike).
POSTGRAPHILE_QUERY = (
    "query($first:Int){ allLeads(first:$first, orderBy:[CREATED_AT_DESC, ID_DESC]){ totalCount "
    "edges { cursor node { id createdAt assignedAt closedAt assigneeId "
    "contactByContactId { firstName lastName company email phone } "
    "campaignByCampaignId { name } userByAssigneeId { name } } } } }"
)

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


def raw_argv(port: int) -> list[str]:
    return [
        sys.executable, "-m", "uvicorn", "--factory", "raw_floor:create_app",
        "--app-dir", str(BENCH_DIR), "--host", HOST, "--port", str(port), "--log-level", "info",
    ]  # fmt: skip


def postgraphile_argv() -> list[str] | None:
    """How to start PostGraphile (installed with `npm ci` first), or None without Node.js or
    when the installation fails: the bench then runs without it."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        console.print("PostGraphile skipped: Node.js (node, npm) is not installed.")
        return None
    if not (POSTGRAPHILE_DIR / "node_modules" / "postgraphile").is_dir():
        with console.status("Installing PostGraphile (npm ci)…"):
            done = subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund"],
                cwd=POSTGRAPHILE_DIR,
                capture_output=True,
                text=True,
                timeout=NPM_SECONDS,
                check=False,
            )
        if done.returncode != 0:
            console.print(f"PostGraphile skipped: npm ci failed:\n{done.stderr[-1000:]}")
            return None
    return [node, str(POSTGRAPHILE_DIR / "server.js")]


@dataclass(frozen=True)
class Servers:
    app: Server
    raw: Server
    postgraphile: Server | None
    baseline: Server | None = None  # Leadflow from another checkout (--baseline)

    def all(self) -> list[Server]:
        others = [server for server in (self.postgraphile, self.baseline) if server is not None]
        return [self.app, self.raw, *others]


@contextmanager
def running_servers(url: str, tmp: Path, baseline: Path | None = None) -> Iterator[Servers]:
    env = app_env(url)
    app_port, raw_port = free_port(), free_port()
    node_argv = None if url.startswith("sqlite://") else postgraphile_argv()
    with (
        started("leadflow", app_argv(app_port), app_port, env, tmp) as app,
        started("raw-floor", raw_argv(raw_port), raw_port, env, tmp) as raw,
        running_baseline(env, tmp, baseline) as before,
    ):
        if node_argv is None:
            yield Servers(app, raw, None, before)
            return
        port = free_port()
        node_env = {**os.environ, "DATABASE_URL": url, "HOST": HOST, "PORT": str(port)}
        with started("postgraphile", node_argv, port, node_env, tmp) as postgraphile:
            yield Servers(app, raw, postgraphile, before)


@contextmanager
def running_baseline(
    env: dict[str, str], tmp: Path, backend: Path | None
) -> Iterator[Server | None]:
    """Leadflow as another checkout's `backend` directory has it (--baseline), on the same
    database: the code before a change, measured in the same rounds as the code after it."""
    if backend is None:
        yield None
        return
    port = free_port()
    baseline_env = {**env, "PYTHONPATH": str(backend)}
    with started("baseline", app_argv(port), port, baseline_env, tmp) as server:
        yield server


# --- Measuring ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    label: str
    server: Server
    path: str
    body: bytes
    headers: dict[str, str]

    @property
    def url(self) -> str:
        return self.server.url(self.path)


@dataclass(frozen=True)
class Measurement:
    label: str
    latencies: list[float]
    wall_seconds: float
    cpu_seconds: float  # of the server process while it was measured

    @property
    def cpu_ms(self) -> float:
        return self.cpu_seconds / len(self.latencies) * 1000

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


LEADFLOW_PAGE = "GraphQL page"
BASELINE_PAGE = "GraphQL page, baseline"
WITHOUT_COUNT = "GraphQL, no totalCount"
POSTGRAPHILE_PAGE = "PostGraphile page"
FLOOR = "raw SQL floor"


def scenarios(servers: Servers, token: str) -> list[Scenario]:
    """Leadflow's page with and without totalCount, PostGraphile's (if it runs), the floor
    last."""

    def body(query: str) -> bytes:
        return json.dumps({"query": query, "variables": {"first": PAGE_SIZE}}).encode()

    headers = {"content-type": "application/json"}
    auth = {**headers, "authorization": f"Bearer {token}"}
    page = body(QUERY_WITHOUT_COUNT)
    cases = [
        Scenario(LEADFLOW_PAGE, servers.app, "/graphql", body(QUERY), auth),
        Scenario(WITHOUT_COUNT, servers.app, "/graphql", page, auth),
    ]
    if servers.baseline is not None:
        cases.append(Scenario(BASELINE_PAGE, servers.baseline, "/graphql", body(QUERY), auth))
    if servers.postgraphile is not None:
        query = body(POSTGRAPHILE_QUERY)
        cases.append(Scenario(POSTGRAPHILE_PAGE, servers.postgraphile, "/graphql", query, headers))
    return [*cases, Scenario(FLOOR, servers.raw, "/leads", page, headers)]


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

    cpu_before, started = scenario.server.cpu_seconds(), perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall = perf_counter() - started
    return Measurement(scenario.label, latencies, wall, scenario.server.cpu_seconds() - cpu_before)


async def check_same_page(client: httpx.AsyncClient, cases: list[Scenario], leads: int) -> None:
    """The floor and PostGraphile must return exactly what GraphQL returns, or the comparison
    is meaningless."""
    pages = {case.label: json.loads(await fetch(client, case)) for case in cases}
    full = pages[LEADFLOW_PAGE]["data"]["leads"]
    if full["totalCount"] != leads:
        raise BenchError(f"totalCount is {full['totalCount']}, expected {leads}")
    graphql_edges = pages[WITHOUT_COUNT]["data"]["leads"]["edges"]
    raw_edges = pages[FLOOR]["data"]["leads"]["edges"]
    if len(graphql_edges) != PAGE_SIZE or graphql_edges != full["edges"]:
        raise BenchError("the GraphQL pages with and without totalCount differ")
    if BASELINE_PAGE in pages and pages[BASELINE_PAGE] != pages[LEADFLOW_PAGE]:
        raise BenchError("the baseline's page differs from Leadflow's")
    for ours, theirs in zip(graphql_edges, raw_edges, strict=True):
        if ours != theirs:
            raise BenchError(f"the floor differs from GraphQL:\n{ours}\n{theirs}")
    if POSTGRAPHILE_PAGE in pages:
        theirs = pages[POSTGRAPHILE_PAGE]["data"]["allLeads"]
        if theirs["totalCount"] != leads:
            raise BenchError(f"PostGraphile's totalCount is {theirs['totalCount']}")
        for ours, edge in zip(graphql_edges, theirs["edges"], strict=True):
            if ours["node"] != as_leadflow_node(edge["node"]):
                raise BenchError(f"PostGraphile differs from GraphQL:\n{ours}\n{edge}")


def as_leadflow_node(node: dict[str, Any]) -> dict[str, Any]:
    """A node of PostGraphile's page as Leadflow's page shows it (global ID, derived status,
    timestamps in Python's ISO form), to compare them."""

    def iso(value: str | None) -> str | None:
        return None if value is None else datetime.fromisoformat(value).isoformat()

    if node["closedAt"] is not None:
        status = "DONE"
    else:
        status = "NEW" if node["assigneeId"] is None else "ACTIVE"
    contact = node["contactByContactId"]
    return {
        "id": base64.b64encode(f"Lead:{node['id']}".encode()).decode(),
        "status": status,
        "createdAt": iso(node["createdAt"]),
        "assignedAt": iso(node["assignedAt"]),
        "contact": contact,
        "campaign": node["campaignByCampaignId"],
        "assignee": node["userByAssigneeId"],
    }


# --- Running and reporting ------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    postgres_url: str | None
    leads: int
    requests: int
    warmup: int
    concurrency: int
    max_seconds: float
    baseline: Path | None = None


def merge(parts: list[Measurement]) -> Measurement:
    latencies = [latency for part in parts for latency in part.latencies]
    return Measurement(
        parts[0].label,
        latencies,
        sum(part.wall_seconds for part in parts),
        sum(part.cpu_seconds for part in parts),
    )


async def measure_interleaved(
    client: httpx.AsyncClient, cases: list[Scenario], options: Options
) -> list[Measurement]:
    """Warm-up, then the requests in rounds that take the endpoints in turn, so that a drift
    of the machine (other load, CPU clock) affects all of them alike. Each round starts with
    the next endpoint: none is always the one right after another (on a busy machine the
    first of a round measured up to 15 % slower than the same code later in the round)."""
    rounds = min(ROUNDS, options.requests)
    sizes = [options.requests // rounds + (n < options.requests % rounds) for n in range(rounds)]
    limit = options.max_seconds / rounds
    parts: dict[str, list[Measurement]] = {case.label: [] for case in cases}
    with console.status(f"{options.warmup} + {options.requests} requests per endpoint…"):
        for case in cases:
            await measure(client, case, options.warmup, options.concurrency, options.max_seconds)
        for turn, size in enumerate(sizes):
            start = turn % len(cases)
            for case in cases[start:] + cases[:start]:
                result = await measure(client, case, size, options.concurrency, limit)
                parts[case.label].append(result)
    return [merge(parts[case.label]) for case in cases]


async def measure_servers(
    servers: Servers, setup: Setup, options: Options
) -> tuple[list[Measurement], dict[str, dict[str, float]]]:
    limits = httpx.Limits(max_connections=2 * options.concurrency)
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT_SECONDS, limits=limits) as client:
        for server in servers.all():
            await wait_ready(client, server)
        idle = {server.name: server.memory_mb()["VmRSS"] for server in servers.all()}
        cases = scenarios(servers, setup.token)
        await check_same_page(client, cases, options.leads)
        results = await measure_interleaved(client, cases, options)
    memory = {
        server.name: {"idle": idle[server.name], "peak": server.memory_mb()["VmHWM"]}
        for server in servers.all()
    }
    return results, memory


def latency_table(results: list[Measurement], title: str) -> Table:
    floor = results[-1]
    table = Table(title=title, title_justify="left")
    columns = ("endpoint", "requests", "median ms", "p95 ms", "req/s", "server CPU ms", "x raw")
    for column in columns:
        table.add_column(column, justify="left" if column == "endpoint" else "right", no_wrap=True)
    for result in results:
        table.add_row(
            result.label,
            str(len(result.latencies)),
            f"{result.median_ms:.2f}",
            f"{result.p95_ms:.2f}",
            f"{result.per_second:.0f}",
            f"{result.cpu_ms:.2f}",
            f"{result.median_ms / floor.median_ms:.2f}x",
        )
    return table


def memory_table(memory: dict[str, dict[str, float]]) -> Table:
    table = Table(title="Server memory (one process each)", title_justify="left")
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
    by_label = {result.label: result for result in results}
    full, without_count, floor = by_label[LEADFLOW_PAGE], by_label[WITHOUT_COUNT], by_label[FLOOR]
    for label, result in (("with totalCount", full), ("without totalCount", without_count)):
        ratio = result.median_ms / floor.median_ms
        verdict = "met" if ratio <= RATIO_GOAL else "missed"
        console.print(f"GraphQL/raw {label}: {ratio:.2f}x (goal <= {RATIO_GOAL:g}x: {verdict})")
    postgraphile = by_label.get(POSTGRAPHILE_PAGE)
    if postgraphile is not None:
        ratio = full.median_ms / postgraphile.median_ms
        verdict = "met" if ratio <= POSTGRAPHILE_GOAL else "missed"
        console.print(
            f"GraphQL/PostGraphile (both with totalCount): {ratio:.2f}x "
            f"(goal <= {POSTGRAPHILE_GOAL:g}x: {verdict}); PostGraphile/raw "
            f"{postgraphile.median_ms / floor.median_ms:.2f}x"
        )
    console.print(f"totalCount costs {full.median_ms - without_count.median_ms:.2f} ms (median)")
    baseline = by_label.get(BASELINE_PAGE)
    if baseline is not None:
        median_ratio = full.median_ms / baseline.median_ms
        console.print(
            f"Leadflow/baseline (both with totalCount): median {median_ratio:.2f}x, server CPU "
            f"{full.cpu_ms / baseline.cpu_ms:.2f}x; baseline/raw "
            f"{baseline.median_ms / floor.median_ms:.2f}x"
        )
    peak = memory["leadflow"]["peak"]
    verdict = "met" if peak < RSS_GOAL_MB else "missed"
    console.print(f"Leadflow peak RSS: {peak:.1f} MB (goal < {RSS_GOAL_MB} MB: {verdict})")


async def run(options: Options) -> None:
    with tempfile.TemporaryDirectory(prefix="leadflow-bench-") as tmp:
        async with fresh_database(options.postgres_url, Path(tmp)) as url:
            with console.status(f"Migrating and loading {options.leads:,} leads…"):
                setup = await prepare(url, options.leads)
            with running_servers(url, Path(tmp), options.baseline) as servers:
                results, memory = await measure_servers(servers, setup, options)
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
    parser.add_argument(
        "--baseline",
        metavar="DIR",
        type=Path,
        help="another checkout's backend directory (e.g. a worktree of the commit before a "
        "change): its Leadflow serves the page too, in the same rounds, compared with ours",
    )
    args = parser.parse_args(argv)
    if args.baseline is not None and not (args.baseline / "leadflow" / "cli.py").is_file():
        parser.error(f"--baseline {args.baseline}: no leadflow package there")
    return Options(
        args.postgres,
        args.leads,
        args.requests,
        args.warmup,
        args.concurrency,
        args.max_seconds,
        args.baseline,
    )


def main() -> None:
    options = parse_options()
    stop_on_sigterm()
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
