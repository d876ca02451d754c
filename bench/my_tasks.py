"""Benchmark `myTasks(orderBy: NEXT_DUE)` for a clerk with 20,000 open leads against raw SQL (a
benchmark, not a timed test).

It creates a fresh database (a SQLite file in a temporary directory, or a new database on a
PostgreSQL server, dropped at the end), applies the migrations, creates a manager, six clerks
and five campaigns through the services (bench/leads_page.py), and bulk-loads 100,000 contacts
and leads: 20,000 open leads of the measured clerk (15 % overdue, 5 % due today, 40 % upcoming,
40 % with nothing scheduled; one open activity for each scheduled one), 10,000 of their done
leads, and 70,000 leads of the other clerks or nobody. Then it measures, each the median (and
p95) of N runs in this process:

- `GraphQL`: the worklist's page as the web app asks for it (first: 50, the contact, campaign,
  waiting time, due state and next activity, with `totalCount`) POSTed to the real app's
  /graphql through its ASGI interface (httpx, no socket): authentication, the web layer,
  Strawberry, the service, the keyset cursor, the DataLoaders;
- `GraphQL, no totalCount`: the same without the count;
- `raw SQL`: ONE hand-written statement for the same ordered page with the same columns (the
  same rows, checked before measuring), keyset conditions for the deep pages, no count;

for the first page, a deep page in the scheduled part (after row 5,000) and a deep page among
the leads with nothing scheduled (after row 15,000); and `myTaskCounts` against one raw
statement of conditional counts. A second table compares, in raw SQL, the first page's lead
ids by one ORDER BY (as the page statements sort) with the same ids from two index ranges
(scheduled by due time, then unscheduled by waiting time, merged): what an index-friendly page
statement would cost.

    .venv/bin/python bench/my_tasks.py                       # SQLite
    .venv/bin/python bench/my_tasks.py --postgres postgres://postgres@127.0.0.1:5432/test

See bench/README.md for the latest figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import sqlite3
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from time import perf_counter
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
from rich.console import Console
from tortoise.exceptions import BaseORMException

from inprocess import RawDatabase, Row, app_client, figures_table, graphql, measure
from leadflow.api.ids import decode_id
from leadflow.auth.tokens import issue_token
from leadflow.db.enums import ActivityKind, CloseReason, Outcome
from leadflow.db.lifecycle import database, migrate
from leadflow.db.models import User
from leadflow.services.due import Today
from leads_page import (
    CONTACT_COLUMNS,
    BenchError,
    admin_execute,
    asyncpg_dsn,
    bounded,
    contact_rows,
    create_people_and_campaigns,
    fresh_database,
    sqlite_stamp,
)

SEED = 20261207
PAGE = 50
WALK_PAGE = 100  # the API's largest page, to reach the deep pages' cursors
DEEP_SCHEDULED, DEEP_UNSCHEDULED = 5_000, 15_000
# The measured clerk's open leads by due state (the rest has nothing scheduled).
OVERDUE, TODAY, UPCOMING = 0.15, 0.05, 0.40

LEAD_COLUMNS = (
    "id", "contact_id", "campaign_id", "assignee_id", "assigned_at", "first_assigned_at",
    "waiting_since", "next_due_at", "outcome", "close_reason", "close_note", "closed_at",
    "closed_by_id", "created_at",
)  # fmt: skip
ACTIVITY_COLUMNS = (
    "kind", "due_at", "note", "assignee_id", "lead_id", "created_by_id", "created_at",
    "done_note",
)  # fmt: skip

NODE = (
    "id waitingSince assignedAt dueState nextActivity { kind dueAt note } "
    "contact { firstName lastName company phone } campaign { name }"
)
QUERY = (
    "query($first: Int, $after: String) { myTasks(orderBy: NEXT_DUE, first: $first, "
    "after: $after) { totalCount edges { node { " + NODE + " } } "
    "pageInfo { hasNextPage endCursor } } }"
)
QUERY_WITHOUT_COUNT = QUERY.replace("totalCount ", "", 1)
COUNTS_QUERY = "{ myTaskCounts { overdue today upcoming none } }"

# The page's leads first (the inner statement: filter, keyset, order, limit), then their
# contact, campaign and next activity (the lead's earliest open one, what Lead.nextActivity
# shows) for those 50 only; the due state comes from next_due_at in Python, as in the API.
PAGE_SQL = (
    "SELECT p.id, p.waiting_since, p.assigned_at, p.next_due_at, a.kind, a.due_at, a.note, "
    "c.first_name, c.last_name, c.company, c.phone, k.name FROM ("
    "SELECT l.id, l.contact_id, l.campaign_id, l.waiting_since, l.assigned_at, l.next_due_at "
    "FROM leads AS l WHERE l.assignee_id = $1 AND l.closed_at IS NULL{after}{order} LIMIT 50"
    ") AS p JOIN contacts AS c ON c.id = p.contact_id "
    "JOIN campaigns AS k ON k.id = p.campaign_id "
    "LEFT JOIN activities AS a ON a.id = (SELECT n.id FROM activities AS n "
    "WHERE n.lead_id = p.id AND n.done_at IS NULL ORDER BY n.due_at, n.id LIMIT 1)"
    "{outer_order}"
)
# NEXT_DUE: what is due first, nothing scheduled last (then waiting longest), the id last.
# PostgreSQL sorts NULL last in ascending order by itself, SQLite first.
ORDER = {
    "postgres": " ORDER BY l.next_due_at, l.waiting_since, l.id",
    # The ranks spelled as services/keyset.py and migration 0012's index spell them, so that
    # SQLite matches the index (another spelling of the same rank gets a sort).
    "sqlite": " ORDER BY (CASE WHEN l.next_due_at IS NULL THEN 1 ELSE 0 END), l.next_due_at, "
    "(CASE WHEN l.waiting_since IS NULL THEN 1 ELSE 0 END), l.waiting_since, l.id",
}
AFTER_SCHEDULED = (
    " AND (l.next_due_at > $2 OR (l.next_due_at = $3 AND (l.waiting_since, l.id) > ($4, $5))"
    " OR l.next_due_at IS NULL)"
)
AFTER_UNSCHEDULED = " AND l.next_due_at IS NULL AND (l.waiting_since, l.id) > ($2, $3)"
# The first page as two index ranges: the scheduled leads by due time, then the unscheduled by
# waiting time, each at most a page, merged. The same rows as one ORDER BY, which no index can
# serve where the blank due times' rank (SQLite) or the trailing keys (PostgreSQL) need a sort.
TWO_RANGES = (
    "SELECT id FROM (SELECT * FROM (SELECT l.id, 0 AS blank, l.next_due_at, l.waiting_since "
    "FROM leads AS l WHERE l.assignee_id = $1 AND l.closed_at IS NULL "
    "AND l.next_due_at IS NOT NULL ORDER BY l.next_due_at, l.waiting_since, l.id LIMIT 50) AS s "
    "UNION ALL SELECT * FROM (SELECT l.id, 1, l.next_due_at, l.waiting_since FROM leads AS l "
    "WHERE l.assignee_id = $2 AND l.closed_at IS NULL AND l.next_due_at IS NULL "
    "ORDER BY l.waiting_since, l.id LIMIT 50) AS u) AS merged "
    "ORDER BY blank, next_due_at, waiting_since, id LIMIT 50"
)
ONE_ORDER = (
    "SELECT l.id FROM leads AS l WHERE l.assignee_id = $1 AND l.closed_at IS NULL{order} LIMIT 50"
)
KEYS_AT = (
    "SELECT l.next_due_at, l.waiting_since, l.id FROM leads AS l "
    "WHERE l.assignee_id = $1 AND l.closed_at IS NULL"
)
RAW_COUNTS = (
    "SELECT count(CASE WHEN next_due_at < $1 THEN 1 END), "
    "count(CASE WHEN next_due_at >= $2 AND next_due_at < $3 THEN 1 END), "
    "count(CASE WHEN next_due_at >= $4 THEN 1 END), "
    "count(CASE WHEN next_due_at IS NULL THEN 1 END) "
    "FROM leads WHERE assignee_id = $5 AND closed_at IS NULL"
)

console = Console()


# --- Data -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """Who gets which leads: the measured clerk's open and done ones first, then the rest."""

    total: int
    open_leads: int
    done_leads: int
    clerk_id: int
    other_clerk_ids: list[int]
    campaign_ids: list[int]
    manager_id: int
    now: datetime


def lead_rows(plan: Plan, stamp: Any) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(SEED)
    today = Today.in_zone(moment=plan.now)
    for pk in range(1, plan.total + 1):
        created = plan.now - timedelta(days=120) + timedelta(seconds=97 * pk % (110 * 86400))
        assigned = created + timedelta(hours=rng.uniform(0.5, 48))
        waiting = assigned + timedelta(hours=rng.uniform(0, 24 * 10))
        campaign = rng.choice(plan.campaign_ids)
        assignee, due, closed, outcome, reason = None, None, None, None, None
        if pk <= plan.open_leads:
            assignee = plan.clerk_id
            roll = rng.random()
            if roll < OVERDUE:
                due = today.starts - timedelta(hours=rng.uniform(1, 24 * 30))
            elif roll < OVERDUE + TODAY:
                due = today.starts + timedelta(seconds=rng.randrange(86_400))
            elif roll < OVERDUE + TODAY + UPCOMING:
                due = today.ends + timedelta(hours=rng.uniform(0, 24 * 60))
        elif pk <= plan.open_leads + plan.done_leads or rng.random() < 0.4:
            assignee = plan.clerk_id if pk <= plan.open_leads + plan.done_leads else None
            assignee = assignee or rng.choice(plan.other_clerk_ids)
            closed = waiting + timedelta(days=2)
            outcome = rng.choice((Outcome.SUCCESSFUL, Outcome.UNSUCCESSFUL)).value
            reason = None if outcome == Outcome.SUCCESSFUL else CloseReason.UNREACHABLE.value
        elif rng.random() < 0.6:
            assignee = rng.choice(plan.other_clerk_ids)
            if rng.random() < 0.6:
                due = plan.now + timedelta(hours=rng.uniform(-24 * 30, 24 * 60))
        if assignee is None:
            assigned = waiting = None  # type: ignore[assignment]
        if closed is not None:
            waiting = None  # type: ignore[assignment]
        yield (
            pk, pk, campaign, assignee, stamp(assigned), stamp(assigned), stamp(waiting),
            stamp(due), outcome, reason, "", stamp(closed), assignee if closed else None,
            stamp(created),
        )  # fmt: skip


def activity_rows(plan: Plan, stamp: Any) -> Iterator[tuple[Any, ...]]:
    """One open activity per scheduled open lead, due at its next_due_at (what the activities
    service keeps true)."""
    for row in lead_rows(plan, lambda value: value):
        pk, assignee, due, closed = row[0], row[3], row[7], row[11]
        if due is not None and closed is None:
            yield (
                ActivityKind.CALL.value, stamp(due), "Rückruf", assignee, pk, plan.manager_id,
                stamp(plan.now - timedelta(days=1)), "",
            )  # fmt: skip


def insert_sql(table: str, columns: tuple[str, ...]) -> str:
    marks = ", ".join("?" for _ in columns)
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"


def load_sqlite(path: str, plan: Plan) -> None:
    with closing(sqlite3.connect(path)) as connection:
        with connection:
            connection.executemany(
                insert_sql("contacts", CONTACT_COLUMNS), contact_rows(plan.total, sqlite_stamp)
            )
            connection.executemany(insert_sql("leads", LEAD_COLUMNS), lead_rows(plan, sqlite_stamp))
            connection.executemany(
                insert_sql("activities", ACTIVITY_COLUMNS), activity_rows(plan, sqlite_stamp)
            )
        connection.execute("ANALYZE")


async def load_postgres(url: str, plan: Plan) -> None:
    def same(value: Any) -> Any:
        return value

    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        async with connection.transaction():
            await connection.copy_records_to_table(
                "contacts", records=contact_rows(plan.total, same), columns=list(CONTACT_COLUMNS)
            )
            await connection.copy_records_to_table(
                "leads", records=lead_rows(plan, same), columns=list(LEAD_COLUMNS)
            )
            await connection.copy_records_to_table(
                "activities", records=activity_rows(plan, same), columns=list(ACTIVITY_COLUMNS)
            )
        for table in ("contacts", "leads"):
            await connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


@dataclass(frozen=True)
class Setup:
    clerk_token: str
    clerk_id: int
    load_seconds: float


async def prepare(url: str, total: int, open_leads: int) -> Setup:
    started = perf_counter()
    await migrate(url)
    _manager_token, campaign_ids, clerk_ids = await create_people_and_campaigns(url)
    async with database(url):
        clerk = await User.get(id=clerk_ids[0])
        manager = await User.get(email="manager@bench.example")
        _, clerk_token = await issue_token(clerk, name="bench")
    plan = Plan(
        total=total,
        open_leads=open_leads,
        done_leads=open_leads // 2,
        clerk_id=clerk.id,
        other_clerk_ids=clerk_ids[1:],
        campaign_ids=campaign_ids,
        manager_id=manager.id,
        now=datetime.now(UTC),
    )
    if url.startswith("sqlite://"):
        load_sqlite(url.removeprefix("sqlite://"), plan)
    else:
        await load_postgres(url, plan)
    return Setup(clerk_token, clerk.id, perf_counter() - started)


# --- Measuring ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageCase:
    label: str
    after_row: int  # 0: the first page
    raw_sql: str
    raw_args: tuple[Any, ...]
    cursor: str | None


async def cursor_after(client: httpx.AsyncClient, token: str, rows: int) -> str:
    """The cursor after `rows` rows, walked page by page as a client would."""
    cursor, seen = None, 0
    while seen < rows:
        data = await graphql(
            client,
            token,
            QUERY_WITHOUT_COUNT,
            {"first": min(WALK_PAGE, rows - seen), "after": cursor},
        )
        page = data["myTasks"]
        seen += len(page["edges"])
        cursor = page["pageInfo"]["endCursor"]
        if not page["pageInfo"]["hasNextPage"]:
            raise BenchError(f"the clerk has only {seen} open leads")
    assert cursor is not None
    return cursor


async def page_cases(
    client: httpx.AsyncClient, raw: RawDatabase, setup: Setup, backend: str
) -> list[PageCase]:
    order = ORDER[backend]
    clerk = setup.clerk_id

    def page_sql(after: str) -> str:
        outer = order.replace("l.", "p.")
        return PAGE_SQL.format(after=after, order=order, outer_order=outer)

    cases = [PageCase("first page", 0, page_sql(""), (clerk,), None)]
    for label, row, condition in (
        (f"deep page (after row {DEEP_SCHEDULED:,}, scheduled)", DEEP_SCHEDULED, AFTER_SCHEDULED),
        (f"deep page (after row {DEEP_UNSCHEDULED:,}, nothing scheduled)", DEEP_UNSCHEDULED,
         AFTER_UNSCHEDULED),
    ):  # fmt: skip
        # The sort values of the row the page starts after, as the database holds them.
        (due, waiting, lead_id), *_ = await raw.fetch(
            f"{KEYS_AT}{order} LIMIT 1 OFFSET {row - 1}", clerk
        )
        if (due is None) != (condition is AFTER_UNSCHEDULED):
            raise BenchError(f"row {row} is not where the case expects it")
        args = (clerk, due, due, waiting, lead_id) if due is not None else (clerk, waiting, lead_id)
        cursor = await cursor_after(client, setup.clerk_token, row)
        cases.append(PageCase(label, row, page_sql(condition), args, cursor))
    return cases


async def run_cases(url: str, setup: Setup, runs: int) -> tuple[list[Row], Row]:
    backend = "sqlite" if url.startswith("sqlite://") else "postgres"
    rows = []
    async with app_client(url) as client, RawDatabase(url) as raw:
        with console.status("Walking to the deep pages…"):
            cases = await page_cases(client, raw, setup, backend)
        for case in cases:
            variables = {"first": PAGE, "after": case.cursor}

            async def page(query: str = QUERY, variables: dict = variables) -> dict:
                return await graphql(client, setup.clerk_token, query, variables)

            async def page_without_count(variables: dict = variables) -> dict:
                return await page(QUERY_WITHOUT_COUNT, variables)

            async def by_raw(case: PageCase = case) -> list[tuple[Any, ...]]:
                return await raw.fetch(case.raw_sql, *case.raw_args)

            answer = (await page())["myTasks"]
            listed = [decode_id(edge["node"]["id"], "Lead", ["id"]) for edge in answer["edges"]]
            if listed != [row[0] for row in await by_raw()] or len(listed) != PAGE:
                raise BenchError(f"{case.label}: GraphQL and raw SQL pages differ")
            with console.status(f"{case.label}…"):
                rows.append(
                    Row(
                        case.label,
                        {
                            "GraphQL": await measure(page, runs),
                            "GraphQL, no totalCount": await measure(page_without_count, runs),
                            "raw SQL": await measure(by_raw, runs),
                        },
                    )
                )
            console.print(f"  {case.label}: {answer['totalCount']:,} open leads in all")
        rows.append(await counts_row(client, raw, setup, runs))
        ranges = await first_page_ranges_row(raw, setup, backend, runs)
    return rows, ranges


async def first_page_ranges_row(raw: RawDatabase, setup: Setup, backend: str, runs: int) -> Row:
    """The first page's ids by one ORDER BY against two index ranges (the same ids, checked):
    what an index-friendly page statement could cost."""
    clerk = setup.clerk_id
    one_order = ONE_ORDER.format(order=ORDER[backend])

    async def by_one_order() -> list[tuple[Any, ...]]:
        return await raw.fetch(one_order, clerk)

    async def by_two_ranges() -> list[tuple[Any, ...]]:
        return await raw.fetch(TWO_RANGES, clerk, clerk)

    if await by_one_order() != await by_two_ranges():
        raise BenchError("the two index ranges give another first page")
    return Row(
        "first page's lead ids",
        {
            "one ORDER BY": await measure(by_one_order, runs),
            "two index ranges": await measure(by_two_ranges, runs),
        },
    )


async def counts_row(client: httpx.AsyncClient, raw: RawDatabase, setup: Setup, runs: int) -> Row:
    today = Today.in_zone()
    stamp = sqlite_stamp if raw.is_sqlite else (lambda value: value)
    args = (*(stamp(moment) for moment in (today.starts, today.starts, today.ends, today.ends)),)

    async def by_graphql() -> dict:
        return await graphql(client, setup.clerk_token, COUNTS_QUERY)

    async def by_raw() -> list[tuple[Any, ...]]:
        return await raw.fetch(RAW_COUNTS, *args, setup.clerk_id)

    counts = (await by_graphql())["myTaskCounts"]
    if tuple(counts.values()) != (await by_raw())[0]:
        raise BenchError(f"myTaskCounts {counts} differ from the raw counts")
    console.print(f"  myTaskCounts: {counts}")
    graphql_figures = await measure(by_graphql, runs)
    return Row(
        "myTaskCounts",
        {
            "GraphQL": graphql_figures,
            "GraphQL, no totalCount": graphql_figures,
            "raw SQL": await measure(by_raw, runs),
        },
    )


# --- Main -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    postgres_url: str | None
    leads: int
    open_leads: int
    runs: int
    keep: bool
    database_url: str | None


@asynccontextmanager
async def bench_database(options: Options, tmp: Path) -> AsyncIterator[str]:
    """A fresh database, dropped afterwards unless --keep (PostgreSQL) asks to look into it
    (EXPLAIN, other indexes) after the run."""
    if not options.keep or options.postgres_url is None:
        async with fresh_database(options.postgres_url, tmp) as url:
            yield url
        return
    name = f"leadflow_bench_tasks_{os.getpid()}"
    await admin_execute(options.postgres_url, f'CREATE DATABASE "{name}"')
    yield urlunsplit(urlsplit(options.postgres_url)._replace(path=f"/{name}"))
    console.print(f"Kept the database: {name} (drop it with DROP DATABASE when done)")


async def kept_setup(url: str) -> Setup:
    """The measured clerk of a database kept by an earlier run (--keep), with a new token."""
    async with database(url):
        clerk = await User.get(email="clerk0@bench.example")
        _, token = await issue_token(clerk, name="bench")
    return Setup(token, clerk.id, 0.0)


async def run(options: Options) -> None:
    if options.database_url:
        backend = "PostgreSQL"
        setup = await kept_setup(options.database_url)
        rows, ranges = await run_cases(options.database_url, setup, options.runs)
    else:
        backend = "PostgreSQL" if options.postgres_url else "SQLite"
        with tempfile.TemporaryDirectory(prefix="leadflow-bench-") as tmp:
            async with bench_database(options, Path(tmp)) as url:
                with console.status(f"Loading {options.leads:,} leads…"):
                    setup = await prepare(url, options.leads, options.open_leads)
                console.print(
                    f"{backend}: {options.leads:,} leads ({options.open_leads:,} open ones of "
                    f"the measured clerk) loaded in {setup.load_seconds:.1f} s (migrations "
                    "included)"
                )
                rows, ranges = await run_cases(url, setup, options.runs)
    title = (
        f"myTasks(orderBy: NEXT_DUE, first: {PAGE}) on {backend}, a clerk with "
        f"{options.open_leads:,} open leads: median (p95) of {options.runs} runs, in process"
    )
    console.print(figures_table(title, rows, floor="raw SQL"))
    title = f"The first page's ids in raw SQL on {backend}: one ORDER BY or two index ranges"
    console.print(figures_table(title, [ranges], floor="two index ranges"))


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
        "--open-leads",
        type=bounded(int, DEEP_UNSCHEDULED + PAGE, 1_000_000),
        default=20_000,
        help="the measured clerk's open leads (20000)",
    )
    parser.add_argument(
        "--leads", type=bounded(int, 1_000, 10_000_000), default=100_000, help="in all (100000)"
    )
    parser.add_argument("--runs", type=bounded(int, 1, 10_000), default=50, help="per way (50)")
    parser.add_argument(
        "--keep", action="store_true", help="PostgreSQL: keep the loaded database afterwards"
    )
    parser.add_argument(
        "--database", metavar="URL", help="measure a PostgreSQL database kept by --keep instead"
    )
    args = parser.parse_args(argv)
    if args.leads < args.open_leads * 3 // 2:
        parser.error("--leads must hold the clerk's open leads and half as many done ones")
    if args.keep and not args.postgres:
        parser.error("--keep is for PostgreSQL (give --postgres)")
    return Options(args.postgres, args.leads, args.open_leads, args.runs, args.keep, args.database)


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
