"""Benchmark `distributeLeads` of 10,000 NEW leads over eight clerks against raw SQL (a
benchmark, not a timed test).

It creates a fresh database (a SQLite file in a temporary directory, or a new database on a
PostgreSQL server, dropped at the end), applies the migrations, creates a manager with a token,
eight clerks (capacities, one of them absent today, open leads of their own) and a campaign
through the services, and bulk-loads the campaign's 10,000 NEW leads. Then it measures, each
several runs in this process (a real run's leads are put back to NEW, untimed, before the next):

- `GraphQL preview` and `GraphQL`: `distributeLeads(input: { filter: { status: NEW,
  campaignId }, clerkIds, strategy, preview })` for both strategies, POSTed with the manager's
  token to the real app's /graphql through its ASGI interface (httpx, no socket): the web
  layer, authentication, Strawberry, the service, 10,000 assignments with their reasons in the
  answer;
- `raw SQL`: the same work by hand in ONE transaction: the campaign's NEW leads (locked on
  PostgreSQL), the clerks' open counts, capacities and absences, least-loaded in Python, then
  one UPDATE from a list of (lead, clerk, reason) rows (PostgreSQL: `unnest` of three arrays;
  SQLite: `UPDATE ... FROM (VALUES ...)` in slices of 1,000 rows) and the history rows
  (`lead_events`, one INSERT); `raw SQL preview` is its reading part alone.

It checks that a preview equals the real call that follows it, and counts the SQL statements
of one call (Tortoise's query log, for the statements of the request's own task).

    .venv/bin/python bench/distribute.py                       # SQLite
    .venv/bin/python bench/distribute.py --postgres postgres://postgres@127.0.0.1:5432/test

See bench/README.md for the latest figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import cProfile
import heapq
import io
import logging
import os
import pstats
import signal
import sqlite3
import statistics
import sys
import tempfile
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from time import perf_counter
from typing import Any

import aiosqlite
import asyncpg
import httpx
from rich.console import Console
from rich.table import Table
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.exceptions import BaseORMException

from inprocess import graphql
from leadflow.api.ids import decode_id, encode_id
from leadflow.app import create_app
from leadflow.auth.actors import OPERATOR
from leadflow.auth.tokens import issue_token
from leadflow.db.enums import Role
from leadflow.db.lifecycle import database, migrate
from leadflow.db.models import Absence, Campaign
from leadflow.services.users import create_user
from leadflow.settings import Settings
from leads_page import (
    CONTACT_COLUMNS,
    BenchError,
    asyncpg_dsn,
    bounded,
    contact_rows,
    fresh_database,
    sqlite_stamp,
)

# Eight clerks: (name, capacity or None for no limit, open leads they already hold, absent).
CLERKS = (
    ("Anna Schulz", 3000, 120, False),
    ("Ben Krüger", None, 400, False),
    ("Carla Wolf", 2000, 50, False),
    ("David Roth", None, 800, True),
    ("Eva Lange", 1500, 0, False),
    ("Felix Brandt", 2500, 300, False),
    ("Greta Vogel", None, 650, False),
    ("Hannes Otto", 1200, 200, False),
)
STRATEGIES = ("LEAST_LOADED", "ROUND_ROBIN")
SLICE = 1_000  # SQLite: rows per UPDATE ... FROM (VALUES ...) (3 parameters each)

MUTATION = (
    "mutation($filter: LeadFilter, $clerkIds: [ID!]!, $strategy: DistributionStrategy!, "
    "$preview: Boolean) { distributeLeads(input: { filter: $filter, clerkIds: $clerkIds, "
    "strategy: $strategy, preview: $preview }) { assignments { lead { id } assignee { id } "
    "reason } skipped { lead { id } reason } userErrors { code message field } } }"
)
LEAD_COLUMNS = (
    "id", "contact_id", "campaign_id", "assignee_id", "assigned_at", "first_assigned_at",
    "waiting_since", "close_note", "created_at",
)  # fmt: skip

console = Console()


# --- Data -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Setup:
    token: str
    manager_id: int
    campaign_id: int
    clerk_ids: list[int]
    new_leads: int
    seconds: float


def lead_rows(
    new_leads: int, campaign_id: int, other_campaign_id: int, clerk_ids: list[int], stamp: Any
) -> Iterator[tuple[Any, ...]]:
    """The campaign's NEW leads first (ids 1..new_leads), then the clerks' open leads elsewhere."""
    now = datetime.now(UTC)
    for pk in range(1, new_leads + 1):
        created = stamp(now - timedelta(minutes=new_leads - pk))
        yield (pk, pk, campaign_id, None, None, None, None, "", created)
    pk = new_leads
    for clerk_id, (_, _, holding, _) in zip(clerk_ids, CLERKS, strict=True):
        for _ in range(holding):
            pk += 1
            at = stamp(now - timedelta(days=3, minutes=pk))
            yield (pk, pk, other_campaign_id, clerk_id, at, at, at, "", at)


def total_leads(new_leads: int) -> int:
    return new_leads + sum(holding for _, _, holding, _ in CLERKS)


def insert_sql(table: str, columns: tuple[str, ...]) -> str:
    marks = ", ".join("?" for _ in columns)
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"


def load_sqlite(path: str, rows: list[tuple[Any, ...]], total: int) -> None:
    with closing(sqlite3.connect(path)) as connection:
        with connection:
            connection.executemany(
                insert_sql("contacts", CONTACT_COLUMNS), contact_rows(total, sqlite_stamp)
            )
            connection.executemany(insert_sql("leads", LEAD_COLUMNS), rows)
        connection.execute("ANALYZE")


async def load_postgres(url: str, rows: list[tuple[Any, ...]], total: int) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        async with connection.transaction():
            await connection.copy_records_to_table(
                "contacts",
                records=contact_rows(total, lambda value: value),
                columns=list(CONTACT_COLUMNS),
            )
            await connection.copy_records_to_table("leads", records=rows, columns=LEAD_COLUMNS)
        for table in ("contacts", "leads"):
            await connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


async def prepare(url: str, new_leads: int) -> Setup:
    started = perf_counter()
    await migrate(url)
    async with database(url):
        manager = await create_user(OPERATOR, "manager@bench.example", "Mara Manager", Role.MANAGER)
        _, token = await issue_token(manager, name="bench")
        clerk_ids = []
        for n, (name, capacity, _, absent) in enumerate(CLERKS):
            clerk = await create_user(OPERATOR, f"clerk{n}@bench.example", name, Role.CLERK)
            clerk.capacity = capacity
            await clerk.save(update_fields=["capacity"])
            if absent:
                today = date.today()
                await Absence.create(
                    user=clerk, starts_on=today - timedelta(days=1), ends_on=today + timedelta(1)
                )
            clerk_ids.append(clerk.id)
        campaign = await Campaign.create(name="Messe Süd")
        other = await Campaign.create(name="Website")
    stamp = sqlite_stamp if url.startswith("sqlite://") else (lambda value: value)
    rows = list(lead_rows(new_leads, campaign.id, other.id, clerk_ids, stamp))
    if url.startswith("sqlite://"):
        load_sqlite(url.removeprefix("sqlite://"), rows, total_leads(new_leads))
    else:
        await load_postgres(url, rows, total_leads(new_leads))
    return Setup(token, manager.id, campaign.id, clerk_ids, new_leads, perf_counter() - started)


# --- Raw SQL --------------------------------------------------------------------------------


class Raw:
    """One connection for the raw way and for putting the leads back between real runs."""

    def __init__(self, url: str) -> None:
        self.is_sqlite = url.startswith("sqlite://")
        self.url = url
        self.sqlite: aiosqlite.Connection | None = None
        self.postgres: asyncpg.Connection | None = None

    async def __aenter__(self) -> Raw:
        if self.is_sqlite:
            self.sqlite = await aiosqlite.connect(
                self.url.removeprefix("sqlite://"), isolation_level=None
            )
            await self.sqlite.execute("PRAGMA busy_timeout = 10000")
        else:
            self.postgres = await asyncpg.connect(asyncpg_dsn(self.url))
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.sqlite is not None:
            await self.sqlite.close()
        if self.postgres is not None:
            await self.postgres.close()

    async def reset(self, new_leads: int) -> None:
        """The campaign's leads NEW again, their history and all notifications gone (untimed)."""
        statements = (
            "UPDATE leads SET assignee_id = NULL, assigned_at = NULL, first_assigned_at = NULL, "
            f"waiting_since = NULL, assignment_reason = NULL WHERE id <= {new_leads}",
            f"DELETE FROM lead_events WHERE lead_id <= {new_leads}",
            "DELETE FROM notification_emails",
            "DELETE FROM notifications",
        )
        if self.sqlite is not None:
            await self.sqlite.execute("BEGIN IMMEDIATE")
            for sql in statements:
                await self.sqlite.execute(sql)
            await self.sqlite.execute("COMMIT")
        else:
            assert self.postgres is not None
            async with self.postgres.transaction():
                for sql in statements:
                    await self.postgres.execute(sql)


@dataclass(frozen=True)
class Clerk:
    id: int
    name: str
    capacity: int | None
    open_leads: int


@dataclass
class RawResult:
    assignments: list[tuple[int, int, str]]  # lead, clerk, reason
    skipped: list[int]
    statements: int


# The clerks who may get leads today (active, not absent) with their capacity and open leads.
CLERKS_SQL = (
    "SELECT u.id, u.name, u.capacity, (SELECT count(*) FROM leads AS l "
    "WHERE l.assignee_id = u.id AND l.closed_at IS NULL) FROM users AS u "
    "WHERE u.id IN ({ids}) AND u.active AND u.role = 'CLERK' AND NOT EXISTS "
    "(SELECT 1 FROM absences AS a WHERE a.user_id = u.id AND a.starts_on <= {today} "
    "AND a.ends_on >= {today}) ORDER BY u.id"
)
NEW_LEADS_SQL = (
    "SELECT id FROM leads WHERE campaign_id = {campaign} AND assignee_id IS NULL "
    "AND closed_at IS NULL ORDER BY id LIMIT 10000"
)
PG_UPDATE = (
    "UPDATE leads AS l SET assignee_id = v.clerk, assigned_at = $4, "
    "first_assigned_at = COALESCE(l.first_assigned_at, $4), waiting_since = $4, "
    "assignment_reason = v.reason FROM unnest($1::int[], $2::int[], $3::text[]) "
    "AS v(id, clerk, reason) WHERE l.id = v.id AND l.assignee_id IS NULL AND l.closed_at IS NULL"
)
PG_HISTORY = (
    "INSERT INTO lead_events (lead_id, kind, actor_id, assignee_id, note, at) "
    "SELECT v.id, 'ASSIGNED', $3, v.clerk, '', $4 FROM unnest($1::int[], $2::int[]) "
    "AS v(id, clerk)"
)
SQLITE_UPDATE = (
    "WITH v(id, clerk, reason) AS (VALUES {rows}) UPDATE leads SET assignee_id = v.clerk, "
    "assigned_at = ?, first_assigned_at = COALESCE(leads.first_assigned_at, ?), "
    "waiting_since = ?, assignment_reason = v.reason FROM v WHERE leads.id = v.id "
    "AND leads.assignee_id IS NULL AND leads.closed_at IS NULL"
)
SQLITE_HISTORY = (
    "INSERT INTO lead_events (lead_id, kind, actor_id, assignee_id, note, at) "
    "VALUES (?, 'ASSIGNED', ?, ?, '', ?)"
)


def least_loaded(lead_ids: list[int], clerks: list[Clerk]) -> RawResult:
    """Each lead to the clerk with the fewest open leads who has room (ties: lowest id)."""
    heap = [(c.open_leads, c.id) for c in clerks if c.capacity is None or c.open_leads < c.capacity]
    heapq.heapify(heap)
    by_id = {c.id: c for c in clerks}
    result = RawResult([], [], 0)
    for lead_id in lead_ids:
        if not heap:
            result.skipped.append(lead_id)
            continue
        load, clerk_id = heapq.heappop(heap)
        clerk = by_id[clerk_id]
        limit = f" von {clerk.capacity}" if clerk.capacity is not None else ""
        reason = f"{clerk.name}: {load}{limit} offen, am wenigsten ausgelastet"
        result.assignments.append((lead_id, clerk_id, reason))
        if clerk.capacity is None or load + 1 < clerk.capacity:
            heapq.heappush(heap, (load + 1, clerk_id))
    return result


async def raw_distribute(raw: Raw, setup: Setup, write: bool) -> RawResult:
    """The whole distribution by hand in one transaction; `write=False`: its reading part."""
    now, today = datetime.now(UTC), date.today()
    ids = ", ".join(str(clerk_id) for clerk_id in setup.clerk_ids)
    if raw.sqlite is not None:
        db = raw.sqlite
        await db.execute("BEGIN IMMEDIATE")
        try:
            cursor = await db.execute(NEW_LEADS_SQL.format(campaign=setup.campaign_id))
            lead_ids = [row[0] for row in await cursor.fetchall()]
            cursor = await db.execute(CLERKS_SQL.format(ids=ids, today="?"), (today, today))
            clerks = [Clerk(*row) for row in await cursor.fetchall()]
            result = least_loaded(lead_ids, clerks)
            result.statements = 2
            if write:
                stamp = sqlite_stamp(now)
                for start in range(0, len(result.assignments), SLICE):
                    part = result.assignments[start : start + SLICE]
                    sql = SQLITE_UPDATE.format(rows=", ".join("(?, ?, ?)" for _ in part))
                    values = [value for row in part for value in row]
                    await db.execute(sql, (*values, stamp, stamp, stamp))
                    result.statements += 1
                await db.executemany(
                    SQLITE_HISTORY,
                    [
                        (lead, setup.manager_id, clerk, stamp)
                        for lead, clerk, _ in result.assignments
                    ],
                )
                result.statements += 1
            await db.execute("COMMIT" if write else "ROLLBACK")
        except BaseException:
            await db.execute("ROLLBACK")
            raise
        return result
    assert raw.postgres is not None
    pg = raw.postgres
    async with pg.transaction():
        lock = " FOR UPDATE" if write else ""
        rows = await pg.fetch(NEW_LEADS_SQL.format(campaign=setup.campaign_id) + lock)
        lead_ids = [row[0] for row in rows]
        rows = await pg.fetch(CLERKS_SQL.format(ids=ids, today="$1"), today)
        clerks = [Clerk(*row) for row in rows]
        result = least_loaded(lead_ids, clerks)
        result.statements = 2
        if write:
            leads = [lead for lead, _, _ in result.assignments]
            clerk_of = [clerk for _, clerk, _ in result.assignments]
            reasons = [reason for _, _, reason in result.assignments]
            await pg.execute(PG_UPDATE, leads, clerk_of, reasons, now)
            await pg.execute(PG_HISTORY, leads, clerk_of, setup.manager_id, now)
            result.statements += 2
    return result


# --- GraphQL --------------------------------------------------------------------------------


@asynccontextmanager
async def app_client(url: str, request_timeout: float) -> AsyncIterator[httpx.AsyncClient]:
    """The real application on `url` with its lifespan running, reached in-process (as
    inprocess.app_client, with the request deadline of --request-timeout)."""
    EXECUTOR_CACHE.clear()
    application = create_app(Settings(database_url=url, request_timeout_seconds=request_timeout))
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            yield client


# Set in the task that sends the request: the app runs in that task (httpx's ASGI transport),
# so the statements it logs there are the request's (not a background job's).
_counting: contextvars.ContextVar[Counter[str] | None] = contextvars.ContextVar(
    "counting", default=None
)


class StatementCounter(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        counter = _counting.get()
        if counter is not None and isinstance(record.msg, str) and "%s" in record.msg:
            statement = str(record.args[0] if record.args else record.msg).lstrip()
            counter[statement.split(None, 1)[0].upper()] += 1


async def counted(call: Callable[[], Awaitable[Any]]) -> tuple[Any, Counter[str]]:
    """`call()` with Tortoise's query log on, the statements it sent counted by verb."""
    logger = logging.getLogger("tortoise.db_client")
    handler, level, propagate = StatementCounter(), logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    counter: Counter[str] = Counter()
    token = _counting.set(counter)
    try:
        return await call(), counter
    finally:
        _counting.reset(token)
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


@dataclass(frozen=True)
class Outcome:
    assignments: dict[int, int]  # lead -> clerk
    skipped: int


def outcome_of(answer: dict[str, Any]) -> Outcome:
    payload = answer["distributeLeads"]
    if payload["userErrors"]:
        raise BenchError(f"distributeLeads refused: {payload['userErrors']}")
    return Outcome(
        {
            decode_id(row["lead"]["id"], "Lead", ["lead"]): decode_id(
                row["assignee"]["id"], "User", ["assignee"]
            )
            for row in payload["assignments"]
        },
        len(payload["skipped"]),
    )


async def has_distribute_leads(client: httpx.AsyncClient, token: str) -> bool:
    data = await graphql(client, token, '{ __type(name: "Mutation") { fields { name } } }')
    return any(field["name"] == "distributeLeads" for field in data["__type"]["fields"])


# --- Measuring ------------------------------------------------------------------------------


@dataclass
class Way:
    label: str
    times_ms: list[float]
    statements: Counter[str]
    per_clerk: Counter[int]
    skipped: int
    note: str = ""
    timeouts: int = 0


class RequestTimeout(BenchError):
    """The app stopped the request at its deadline (LEADFLOW_REQUEST_TIMEOUT, 504 TIMEOUT)."""


async def timed_runs(
    runs: int, call: Callable[[], Awaitable[Any]], before: Callable[[], Awaitable[None]] | None
) -> tuple[list[float], int]:
    """The times of the runs that finished, and how many the app stopped at its deadline."""
    times, timeouts = [], 0
    for _ in range(runs):
        if before is not None:
            await before()
        started = perf_counter()
        try:
            await call()
        except RequestTimeout:
            timeouts += 1
            continue
        times.append((perf_counter() - started) * 1000)
    return times, timeouts


@contextmanager
def profiled(path: Path | None) -> Iterator[None]:
    """cProfile of what runs inside (the app runs in this process), saved to `path` and its
    top functions by cumulative time printed; nothing without a path."""
    if path is None:
        yield
        return
    profile = cProfile.Profile()
    profile.enable()
    try:
        yield
    finally:
        profile.disable()
        profile.dump_stats(path)
        stream = io.StringIO()
        pstats.Stats(profile, stream=stream).sort_stats("cumulative").print_stats(25)
        console.print(stream.getvalue(), markup=False, highlight=False)
        console.print(f"Profile of the checked real call saved to {path}")


async def graphql_ways(
    client: httpx.AsyncClient, raw: Raw, setup: Setup, runs: int, profile: Path | None
) -> list[Way]:
    ways = []
    base = {
        "filter": {"status": "NEW", "campaignId": encode_id("Campaign", setup.campaign_id)},
        "clerkIds": [encode_id("User", clerk_id) for clerk_id in setup.clerk_ids],
    }

    async def reset() -> None:
        await raw.reset(setup.new_leads)

    for strategy in STRATEGIES:

        async def call(preview: bool, strategy: str = strategy) -> dict[str, Any]:
            variables = {**base, "strategy": strategy, "preview": preview}
            try:
                return await graphql(client, setup.token, MUTATION, variables)
            except BenchError as error:
                if "'TIMEOUT'" in str(error):
                    raise RequestTimeout(str(error)) from None
                raise

        async def preview_call() -> dict[str, Any]:
            return await call(True)

        async def real_call() -> dict[str, Any]:
            return await call(False)

        await reset()
        no_outcome = Outcome({}, 0)
        preview, real, note = no_outcome, no_outcome, "stopped at the deadline"
        preview_statements, real_statements = Counter[str](), Counter[str]()
        with console.status(f"GraphQL, {strategy}: the check…"):
            try:
                preview_answer, preview_statements = await counted(preview_call)
                preview = outcome_of(preview_answer)
                with profiled(profile if strategy == STRATEGIES[0] else None):
                    real_answer, real_statements = await counted(real_call)
                real = outcome_of(real_answer)
                note = "preview = result" if preview == real else "PREVIEW DIFFERS"
            except RequestTimeout:
                console.print(f"{strategy}: the check's call was stopped at the app's deadline")
        with console.status(f"GraphQL, {strategy}: {runs} previews…"):
            preview_times, preview_timeouts = await timed_runs(runs, preview_call, None)
        with console.status(f"GraphQL, {strategy}: {runs} real calls…"):
            real_times, real_timeouts = await timed_runs(runs, real_call, reset)
        ways.append(
            Way(f"GraphQL preview, {strategy}", preview_times, preview_statements,
                Counter(preview.assignments.values()), preview.skipped, note, preview_timeouts)
        )  # fmt: skip
        ways.append(
            Way(f"GraphQL, {strategy}", real_times, real_statements,
                Counter(real.assignments.values()), real.skipped, note, real_timeouts)
        )  # fmt: skip
    return ways


async def raw_ways(raw: Raw, setup: Setup, runs: int) -> list[Way]:
    await raw.reset(setup.new_leads)
    preview = await raw_distribute(raw, setup, write=False)
    preview_times, _ = await timed_runs(runs, lambda: raw_distribute(raw, setup, False), None)
    real = await raw_distribute(raw, setup, write=True)

    async def reset() -> None:
        await raw.reset(setup.new_leads)

    real_times, _ = await timed_runs(runs, lambda: raw_distribute(raw, setup, True), reset)
    await reset()

    def per_clerk(result: RawResult) -> Counter[int]:
        return Counter(clerk for _, clerk, _ in result.assignments)

    return [
        Way("raw SQL preview (reading part)", preview_times,
            Counter({"statements": preview.statements}), per_clerk(preview), len(preview.skipped)),
        Way("raw SQL, least loaded", real_times, Counter({"statements": real.statements}),
            per_clerk(real), len(real.skipped)),
    ]  # fmt: skip


def statements_text(statements: Counter[str]) -> str:
    total = sum(statements.values())
    if not total:
        return "-"
    if set(statements) == {"statements"}:
        return str(total)
    parts = ", ".join(f"{verb} {n}" for verb, n in statements.most_common())
    return f"{total} ({parts})"


def report(ways: list[Way], setup: Setup, backend: str, runs: int) -> None:
    floor = statistics.median(next(w for w in ways if w.label.startswith("raw SQL, ")).times_ms)
    table = Table(
        title=f"distributeLeads of {setup.new_leads:,} NEW leads over {len(CLERKS)} clerks on "
        f"{backend}: median (min-max) of {runs} runs, in process",
        title_justify="left",
    )
    for column in ("way", "ms", "x raw", "statements", "assigned", "skipped", "check"):
        table.add_column(column, justify="left" if column in ("way", "statements") else "right")
    for way in ways:
        stopped = f", {way.timeouts} stopped at the deadline" if way.timeouts else ""
        if way.times_ms:
            median = statistics.median(way.times_ms)
            low, high = min(way.times_ms), max(way.times_ms)
            figure, ratio = (
                f"{median:,.0f} ({low:,.0f}-{high:,.0f}){stopped}",
                f"{median / floor:.1f}x",
            )
        else:
            figure, ratio = f"all {way.timeouts} stopped at the deadline", "-"
        table.add_row(
            way.label,
            figure,
            ratio,
            statements_text(way.statements),
            f"{sum(way.per_clerk.values()):,}",
            f"{way.skipped:,}",
            way.note,
        )
    console.print(table)
    clerks = Table(title="Leads per clerk (the checked real call)", title_justify="left")
    for column in ("clerk", "capacity", "open before", "absent", *(w.label for w in ways)):
        clerks.add_column(column, justify="right")
    for clerk_id, (name, capacity, holding, absent) in zip(setup.clerk_ids, CLERKS, strict=True):
        clerks.add_row(
            name, "-" if capacity is None else f"{capacity:,}", f"{holding:,}",
            "yes" if absent else "", *(f"{w.per_clerk[clerk_id]:,}" for w in ways),
        )  # fmt: skip
    console.print(clerks)


# --- Main -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    postgres_url: str | None
    leads: int
    runs: int
    profile: Path | None
    request_timeout: float


async def run(options: Options) -> None:
    backend = "PostgreSQL" if options.postgres_url else "SQLite"
    with tempfile.TemporaryDirectory(prefix="leadflow-bench-") as tmp:
        async with fresh_database(options.postgres_url, Path(tmp)) as url:
            with console.status(f"Loading {options.leads:,} NEW leads…"):
                setup = await prepare(url, options.leads)
            console.print(f"{backend}: set up in {setup.seconds:.1f} s (migrations included)")
            app = app_client(url, options.request_timeout)
            async with app as client, Raw(url) as raw:
                ways = []
                if await has_distribute_leads(client, setup.token):
                    ways += await graphql_ways(client, raw, setup, options.runs, options.profile)
                else:
                    console.print("distributeLeads is not in the schema yet: raw SQL only")
                with console.status("raw SQL…"):
                    ways += await raw_ways(raw, setup, options.runs)
    report(ways, setup, backend, options.runs)


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
        "--leads",
        type=bounded(int, 10, 10_000),
        default=10_000,
        help="NEW leads to distribute (10000, the API's most per call)",
    )
    parser.add_argument("--runs", type=bounded(int, 1, 100), default=5, help="per way (5)")
    parser.add_argument(
        "--profile",
        metavar="FILE",
        type=Path,
        help="cProfile the checked real LEAST_LOADED call into FILE (pstats) and print its top",
    )
    parser.add_argument(
        "--request-timeout",
        metavar="S",
        type=bounded(float, 1, 3600),
        default=30.0,
        help="the app's request deadline (30, as deployed; LEADFLOW_REQUEST_TIMEOUT); calls "
        "it stops are counted, a longer one shows how long they take",
    )
    args = parser.parse_args(argv)
    return Options(args.postgres, args.leads, args.runs, args.profile, args.request_timeout)


def main() -> None:
    options = parse_options()
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        asyncio.run(run(options))
    except (BenchError, OSError, asyncpg.PostgresError, BaseORMException) as error:
        console.print(f"bench: {error}", style="red", markup=False, highlight=False)
        sys.exit(1)
    except KeyboardInterrupt:
        console.print("bench: interrupted; database removed", style="red")
        sys.exit(130)


if __name__ == "__main__":
    main()
