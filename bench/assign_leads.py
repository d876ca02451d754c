"""Benchmark `assignLeads` of 1,000 NEW leads to one clerk in a big table, against the same
writes in raw SQL (a benchmark, not a timed test).

It uses a database with `--leads` NEW leads (bench/distribute.py's setup: a manager with a
token, eight clerks, a campaign; the leads bulk-loaded): a fresh one on the `--postgres` server
(dropped at the end), or, with `--database URL`, that one as it is (set up first when it holds
no leads; kept afterwards, so that a code change can be measured on the same table). Each run
takes the next 1,000 NEW leads, so no run is undone:

- `GraphQL`: `assignLeads(input: { leadIds, assigneeId }) { leads { id status } userErrors }`
  POSTed with the manager's token to the real app's /graphql through its ASGI interface
  (httpx, no socket): authentication, the web layer, Strawberry, the service;
- `raw SQL` (asyncpg / aiosqlite, one transaction): the leads locked in id order (PostgreSQL),
  ONE guarded UPDATE setting every assignment column, ONE INSERT of the history rows and ONE of
  the outbox events (PostgreSQL: `unnest` of arrays; SQLite: multi-row VALUES), then the leads
  read back for the answer.

It also counts the statements of one GraphQL call from Tortoise's query log, an
`executemany` (Tortoise's `bulk_create`) as one statement per row: that is what the server
runs.

    .venv/bin/python bench/assign_leads.py --postgres postgres://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/assign_leads.py --database postgres://postgres@127.0.0.1:5432/mine
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import logging
import os
import statistics
import sys
import tempfile
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter, process_time
from typing import Any

from rich.console import Console
from rich.table import Table

from distribute import Raw, app_client, prepare
from inprocess import graphql
from leadflow.api.ids import encode_id
from leadflow.auth.tokens import issue_token
from leadflow.db.lifecycle import database, migrate
from leadflow.db.models import Lead, User
from leads_page import BenchError, bounded, fresh_database, sqlite_stamp

BATCH = 1_000
MUTATION = (
    "mutation($ids: [ID!]!, $clerk: ID!) { assignLeads(input: { leadIds: $ids, assigneeId: "
    "$clerk }) { leads { id status } userErrors { code message field } } }"
)
PG_RAW = (
    "SELECT id FROM leads WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE",
    "UPDATE leads AS l SET assignee_id = $2, assigned_at = $3, "
    "first_assigned_at = COALESCE(l.first_assigned_at, $3), waiting_since = $3, "
    "assignment_reason = 'manuell zugewiesen' FROM unnest($1::bigint[]) AS v(id) "
    "WHERE l.id = v.id AND l.assignee_id IS NULL AND l.closed_at IS NULL",
    "INSERT INTO lead_events (lead_id, kind, actor_id, assignee_id, note, at) "
    "SELECT v.id, 'ASSIGNED', $4, $2, '', $3 FROM unnest($1::bigint[]) AS v(id)",
    "INSERT INTO outbox_events (topic, lead_id, campaign_id, user_ids, payload, created_at) "
    "SELECT 'lead.assigned', l.id, l.campaign_id, jsonb_build_array($2::int), "
    "jsonb_build_object('leadId', l.id, 'campaignId', l.campaign_id, 'assigneeId', $2::int), $3 "
    "FROM leads AS l WHERE l.id = ANY($1::bigint[])",
    "SELECT id, assignee_id, closed_at FROM leads WHERE id = ANY($1::bigint[])",
)

console = Console()


# Set while the request is sent: the app runs in the sending task (httpx's ASGI transport), so
# the statements logged with it set are the request's, not a background job's.
_counted: contextvars.ContextVar[bool] = contextvars.ContextVar("counted", default=False)


class Counting(logging.Handler):
    """Statements Tortoise logs for the request, by verb; an executemany counts once per row."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.counts: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        if not _counted.get() or not record.args or not isinstance(record.args, tuple):
            return
        verb = str(record.args[0]).lstrip().split(None, 1)[0].upper()
        rows = len(record.args[1]) if record.funcName == "execute_many" else 1
        self.counts[verb] += rows


@asynccontextmanager
async def counting() -> AsyncIterator[Counting]:
    logger = logging.getLogger("tortoise.db_client")
    handler, level, propagate = Counting(), logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    token = _counted.set(True)
    try:
        yield handler
    finally:
        _counted.reset(token)
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


async def setting_up(url: str, leads: int) -> tuple[str, int, int]:
    """The manager's token, a clerk and the manager's id; the leads loaded if there are none."""
    await migrate(url)
    async with database(url):
        has_leads = await Lead.exists()
    if not has_leads:
        setup = await prepare(url, leads)
        console.print(f"Set up {leads:,} NEW leads in {setup.seconds:.1f} s")
    async with database(url):
        manager = await User.get(email="manager@bench.example")
        clerk = await User.filter(email="clerk0@bench.example").get()
        _, token = await issue_token(manager, name="assign bench")
    return token, clerk.id, manager.id


async def new_lead_batches(url: str, count: int) -> list[list[int]]:
    """`count` batches of NEW leads, oldest first (read before the app starts)."""
    async with database(url):
        ids = (
            await Lead.filter(assignee_id=None, closed_at=None)
            .order_by("id")
            .limit(BATCH * count)
            .values_list("id", flat=True)
        )
    if len(ids) < BATCH * count:
        raise BenchError("not enough NEW leads left: use a fresh database or more --leads")
    flat = [int(i) for i in ids]
    return [flat[start : start + BATCH] for start in range(0, len(flat), BATCH)]


async def raw_assign(raw: Raw, ids: list[int], clerk_id: int, manager_id: int) -> None:
    now = datetime.now(UTC)
    if raw.postgres is not None:
        pg = raw.postgres
        async with pg.transaction():
            await pg.fetch(PG_RAW[0], ids)
            await pg.execute(PG_RAW[1], ids, clerk_id, now)
            await pg.execute(PG_RAW[2], ids, clerk_id, now, manager_id)
            await pg.execute(PG_RAW[3], ids, clerk_id, now)
            await pg.fetch(PG_RAW[4], ids)
        return
    assert raw.sqlite is not None
    db, stamp = raw.sqlite, sqlite_stamp(now)
    marks = ", ".join("(?)" for _ in ids)
    await db.execute("BEGIN IMMEDIATE")
    try:
        await db.execute(
            f"WITH v(id) AS (VALUES {marks}) UPDATE leads SET assignee_id = ?, "
            "assigned_at = ?, first_assigned_at = COALESCE(first_assigned_at, ?), "
            "waiting_since = ?, assignment_reason = 'manuell zugewiesen' FROM v "
            "WHERE leads.id = v.id AND leads.assignee_id IS NULL AND leads.closed_at IS NULL",
            (*ids, clerk_id, stamp, stamp, stamp),
        )
        rows = ", ".join("(?, 'ASSIGNED', ?, ?, '', ?)" for _ in ids)
        await db.execute(
            f"INSERT INTO lead_events (lead_id, kind, actor_id, assignee_id, note, at) "
            f"VALUES {rows}",
            [value for i in ids for value in (i, manager_id, clerk_id, stamp)],
        )
        await db.execute(
            "INSERT INTO outbox_events (id, topic, lead_id, campaign_id, user_ids, payload, "
            "created_at) SELECT (SELECT COALESCE(MAX(id), 0) FROM outbox_events) + "
            "ROW_NUMBER() OVER (ORDER BY id), 'lead.assigned', id, campaign_id, "
            "json_array(assignee_id), json_object('leadId', id, 'campaignId', campaign_id, "
            f"'assigneeId', assignee_id), ? FROM leads WHERE id IN ({', '.join('?' for _ in ids)})",
            (stamp, *ids),
        )
        cursor = await db.execute(
            f"SELECT id, assignee_id, closed_at FROM leads WHERE id IN "
            f"({', '.join('?' for _ in ids)})",
            ids,
        )
        await cursor.fetchall()
        await db.execute("COMMIT")
    except BaseException:
        await db.execute("ROLLBACK")
        raise


async def timed(runs: int, call: Callable[[], Awaitable[Any]]) -> tuple[list[float], list[float]]:
    """Wall-clock and this process's CPU milliseconds per run (the app runs in this process: on
    a busy machine its CPU time shows the Python cost better than the wall clock)."""
    times, cpu = [], []
    for _ in range(runs):
        started, started_cpu = perf_counter(), process_time()
        await call()
        times.append((perf_counter() - started) * 1000)
        cpu.append((process_time() - started_cpu) * 1000)
    return times, cpu


def summary(times: list[float]) -> str:
    return f"{statistics.median(times):.1f} ({min(times):.1f}-{max(times):.1f})"


async def run(url: str, leads: int, runs: int) -> None:
    token, clerk_id, manager_id = await setting_up(url, leads)
    batches = iter(await new_lead_batches(url, 2 * runs + 3))
    clerk = encode_id("User", clerk_id)

    async with app_client(url, 30.0) as client:

        async def call(ids: list[int]) -> None:
            lead_ids = [encode_id("Lead", i) for i in ids]
            data = await graphql(client, token, MUTATION, {"ids": lead_ids, "clerk": clerk})
            payload = data["assignLeads"]
            if payload["userErrors"] or len(payload["leads"]) != len(ids):
                raise BenchError(f"assignLeads refused: {payload['userErrors']}")

        await call(next(batches))  # warm-up: statement caches, the schema
        async with counting() as counter:
            await call(next(batches))
        app_times, app_cpu = await timed(runs, lambda: call(next(batches)))

    async with Raw(url) as raw:
        await raw_assign(raw, next(batches), clerk_id, manager_id)  # warm-up
        raw_times, raw_cpu = await timed(
            runs, lambda: raw_assign(raw, next(batches), clerk_id, manager_id)
        )

    table = Table(title=f"assignLeads of {BATCH:,} leads ({'SQLite' if raw.sqlite else 'PG'})")
    for column in ("way", "median (min-max) ms", "CPU ms here", "statements of one call"):
        table.add_column(column)
    verbs = ", ".join(f"{count} {verb}" for verb, count in counter.counts.most_common())
    statements = f"{sum(counter.counts.values())}: {verbs}"
    table.add_row("GraphQL", summary(app_times), summary(app_cpu), statements)
    table.add_row("raw SQL", summary(raw_times), summary(raw_cpu), str(len(PG_RAW)))
    console.print(table)
    ratio = statistics.median(app_times) / statistics.median(raw_times)
    console.print(f"GraphQL / raw: {ratio:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--postgres",
        metavar="URL",
        default=os.environ.get("LEADFLOW_BENCH_POSTGRES_URL"),
        help="PostgreSQL admin URL for a fresh database (default: LEADFLOW_BENCH_POSTGRES_URL, "
        "else SQLite in a temporary directory)",
    )
    parser.add_argument(
        "--database", metavar="URL", help="use (and keep) this Leadflow database instead"
    )
    parser.add_argument("--leads", type=bounded(int, 5_000, 5_000_000), default=200_000)
    parser.add_argument("--runs", type=bounded(int, 1, 50), default=7)
    args = parser.parse_args()
    try:
        if args.database:
            asyncio.run(run(args.database, args.leads, args.runs))
            return

        async def fresh() -> None:
            with tempfile.TemporaryDirectory() as tmp:
                async with fresh_database(args.postgres, Path(tmp)) as url:
                    await run(url, args.leads, args.runs)

        asyncio.run(fresh())
    except BenchError as error:
        console.print(f"[red]{error}[/red]")
        sys.exit(1)


if __name__ == "__main__":
    main()
