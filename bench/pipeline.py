"""Benchmark `pipeline` with 100,000 opportunities against raw SQL (a benchmark, not a timed test).

It creates a fresh database (a SQLite file in a temporary directory, or a new database on a
PostgreSQL server, dropped at the end), applies the migrations, creates a manager with a token,
six clerks (one with a token) and five campaigns through the services, and bulk-loads 100,000
contacts, 100,000 leads (bench/leads_page.py) and 100,000 opportunities in every stage (one per
lead, 15 % without a lead, 10 % without a value). Then it measures four cases three ways, each
the median (and p95) of N runs in this process:

- `service`: `services.opportunities.pipeline` (Tortoise, the viewer's visibility);
- `GraphQL`: `{ pipeline(filter) { stage count totalValue } }` POSTed to the real app's
  /graphql through its ASGI interface (httpx, no socket): authentication, the web layer,
  Strawberry and the service;
- `raw SQL`: one hand-written GROUP BY statement (aiosqlite or asyncpg), the floor.

Before measuring, every case's GraphQL answer must equal its raw statement's figures.

    .venv/bin/python bench/pipeline.py                       # SQLite
    .venv/bin/python bench/pipeline.py --postgres postgres://postgres@127.0.0.1:5432/test

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
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from time import perf_counter
from typing import Any

import asyncpg
from rich.console import Console
from tortoise.exceptions import BaseORMException

from inprocess import RawDatabase, Row, app_client, figures_table, graphql, measure
from leadflow.api.ids import encode_id
from leadflow.auth.tokens import issue_token
from leadflow.db.enums import OpportunityLostReason, OpportunityStage
from leadflow.db.lifecycle import database, migrate
from leadflow.db.models import User
from leadflow.services import opportunities
from leadflow.services.opportunities import PipelineFilter
from leads_page import (
    BenchError,
    asyncpg_dsn,
    bounded,
    create_people_and_campaigns,
    fresh_database,
    load_postgres,
    load_sqlite,
    sqlite_stamp,
)

SEED = 20261206
STAGE_SHARES = (
    (OpportunityStage.OPEN, 0.30),
    (OpportunityStage.QUALIFIED, 0.20),
    (OpportunityStage.PROPOSAL, 0.15),
    (OpportunityStage.NEGOTIATION, 0.10),
    (OpportunityStage.WON, 0.15),
    (OpportunityStage.LOST, 0.10),
)
CLOSED = {OpportunityStage.WON, OpportunityStage.LOST}
EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
OPPORTUNITY_COLUMNS = (
    "id", "title", "contact_id", "lead_id", "owner_id", "stage", "expected_value",
    "expected_close_date", "closed_at", "lost_reason", "created_at",
)  # fmt: skip

QUERY = "query($filter: PipelineFilter) { pipeline(filter: $filter) { stage count totalValue } }"
RAW_ALL = "SELECT stage, count(*), sum(expected_value) FROM opportunities GROUP BY stage"
RAW_OWNER = (
    "SELECT stage, count(*), sum(expected_value) FROM opportunities WHERE owner_id = $1 "
    "GROUP BY stage"
)
RAW_CAMPAIGN = (
    "SELECT o.stage, count(*), sum(o.expected_value) FROM opportunities AS o "
    "JOIN leads AS l ON l.id = o.lead_id WHERE l.campaign_id = $1 GROUP BY o.stage"
)
# A clerk sees what they own and what came from their own leads (policy.opportunity_scope).
RAW_CLERK = (
    "SELECT o.stage, count(*), sum(o.expected_value) FROM opportunities AS o "
    "LEFT JOIN leads AS l ON l.id = o.lead_id WHERE o.owner_id = $1 OR l.assignee_id = $2 "
    "GROUP BY o.stage"
)

console = Console()


# --- Data -----------------------------------------------------------------------------------


def opportunity_rows(
    count: int, clerk_ids: list[int], stamp: Any, money: Any, day: Any
) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(SEED)
    stages = [stage for stage, _ in STAGE_SHARES]
    weights = [share for _, share in STAGE_SHARES]
    for pk in range(1, count + 1):
        stage = rng.choices(stages, weights)[0]
        created = EPOCH + timedelta(minutes=3 * pk)
        value = None if rng.random() < 0.1 else Decimal(rng.randrange(50_000, 5_000_000)) / 100
        closed_at = created + timedelta(days=20) if stage in CLOSED else None
        reason = (
            rng.choice(list(OpportunityLostReason)).value
            if stage is OpportunityStage.LOST
            else None
        )
        yield (
            pk, f"Chance {pk}", pk, None if rng.random() < 0.15 else pk, rng.choice(clerk_ids),
            stage.value, money(value), day(created.date() + timedelta(days=60)), stamp(closed_at),
            reason, stamp(created),
        )  # fmt: skip


def load_opportunities_sqlite(path: str, count: int, clerk_ids: list[int]) -> None:
    def text(value: Any) -> str | None:
        return None if value is None else str(value)

    marks = ", ".join("?" for _ in OPPORTUNITY_COLUMNS)
    insert = f"INSERT INTO opportunities ({', '.join(OPPORTUNITY_COLUMNS)}) VALUES ({marks})"
    with closing(sqlite3.connect(path)) as connection:
        with connection:
            rows = opportunity_rows(count, clerk_ids, sqlite_stamp, text, text)
            connection.executemany(insert, rows)
        connection.execute("ANALYZE")


async def load_opportunities_postgres(url: str, count: int, clerk_ids: list[int]) -> None:
    def same(value: Any) -> Any:
        return value

    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        rows = opportunity_rows(count, clerk_ids, same, same, same)
        await connection.copy_records_to_table(
            "opportunities", records=rows, columns=list(OPPORTUNITY_COLUMNS)
        )
        await connection.execute(
            "SELECT setval(pg_get_serial_sequence('opportunities', 'id'), "
            "(SELECT max(id) FROM opportunities))"
        )
        await connection.execute("VACUUM ANALYZE opportunities")
    finally:
        await connection.close()


@dataclass(frozen=True)
class Setup:
    manager_token: str
    clerk_token: str
    clerk_id: int
    campaign_ids: list[int]
    load_seconds: float


async def prepare(url: str, count: int) -> Setup:
    started = perf_counter()
    await migrate(url)
    manager_token, campaign_ids, clerk_ids = await create_people_and_campaigns(url)
    async with database(url):
        clerk = await User.get(id=clerk_ids[0])
        _, clerk_token = await issue_token(clerk, name="bench")
    if url.startswith("sqlite://"):
        path = url.removeprefix("sqlite://")
        load_sqlite(path, count, campaign_ids, clerk_ids)
        load_opportunities_sqlite(path, count, clerk_ids)
    else:
        await load_postgres(url, count, campaign_ids, clerk_ids)
        await load_opportunities_postgres(url, count, clerk_ids)
    return Setup(manager_token, clerk_token, clerk_ids[0], campaign_ids, perf_counter() - started)


# --- Measuring ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    label: str
    token: str
    viewer_id: int
    graphql_filter: dict[str, str] | None
    service_filter: PipelineFilter
    raw: tuple[str, tuple[Any, ...]]


def cases(setup: Setup, manager_id: int) -> list[Case]:
    campaign = setup.campaign_ids[2]
    clerk = setup.clerk_id
    return [
        Case(
            "manager, all", setup.manager_token, manager_id, None, PipelineFilter(), (RAW_ALL, ())
        ),
        Case(
            "manager, one owner",
            setup.manager_token,
            manager_id,
            {"ownerId": encode_id("User", clerk)},
            PipelineFilter(owner_id=clerk),
            (RAW_OWNER, (clerk,)),
        ),
        Case(
            "manager, one campaign",
            setup.manager_token,
            manager_id,
            {"campaignId": encode_id("Campaign", campaign)},
            PipelineFilter(campaign_id=campaign),
            (RAW_CAMPAIGN, (campaign,)),
        ),
        Case(
            "clerk, what they see",
            setup.clerk_token,
            clerk,
            None,
            PipelineFilter(),
            (RAW_CLERK, (clerk, clerk)),
        ),
    ]


def raw_figures(rows: list[tuple[Any, ...]]) -> dict[str, tuple[int, Decimal]]:
    # SQLite sums the stored decimals as floats: two places make them exact again.
    return {
        stage: (int(count), Decimal(str(total or 0)).quantize(Decimal("0.01")))
        for stage, count, total in rows
    }


def graphql_figures(data: dict[str, Any]) -> dict[str, tuple[int, Decimal]]:
    return {
        row["stage"]: (row["count"], Decimal(str(row["totalValue"])))
        for row in data["pipeline"]
        if row["count"]
    }


async def run_cases(url: str, setup: Setup, runs: int) -> list[Row]:
    rows = []
    async with app_client(url) as client, RawDatabase(url) as raw:
        manager = await User.get(email="manager@bench.example")
        for case in cases(setup, manager.id):
            variables = {"filter": case.graphql_filter}

            async def by_graphql(case: Case = case, variables: dict = variables) -> dict:
                return await graphql(client, case.token, QUERY, variables)

            async def by_raw(case: Case = case) -> list[tuple[Any, ...]]:
                return await raw.fetch(case.raw[0], *case.raw[1])

            viewer = await User.get(id=case.viewer_id)

            async def by_service(case: Case = case, viewer: User = viewer) -> Any:
                return await opportunities.pipeline(viewer, case.service_filter)

            expected = raw_figures(await by_raw())
            if graphql_figures(await by_graphql()) != expected:
                raise BenchError(f"{case.label}: GraphQL and raw SQL differ")
            with console.status(f"{case.label}…"):
                rows.append(
                    Row(
                        case.label,
                        {
                            "service": await measure(by_service, runs),
                            "GraphQL": await measure(by_graphql, runs),
                            "raw SQL": await measure(by_raw, runs),
                        },
                    )
                )
            console.print(
                f"  {case.label}: {sum(count for count, _ in expected.values()):,} opportunities"
            )
    return rows


# --- Main -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    postgres_url: str | None
    opportunities: int
    runs: int


async def run(options: Options) -> None:
    backend = "PostgreSQL" if options.postgres_url else "SQLite"
    with tempfile.TemporaryDirectory(prefix="leadflow-bench-") as tmp:
        async with fresh_database(options.postgres_url, Path(tmp)) as url:
            with console.status(f"Loading {options.opportunities:,} opportunities…"):
                setup = await prepare(url, options.opportunities)
            console.print(
                f"{backend}: {options.opportunities:,} leads and opportunities loaded in "
                f"{setup.load_seconds:.1f} s (migrations included)"
            )
            rows = await run_cases(url, setup, options.runs)
    title = (
        f"pipeline on {backend}, {options.opportunities:,} opportunities: median (p95) of "
        f"{options.runs} runs, in process"
    )
    console.print(figures_table(title, rows, floor="raw SQL"))


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
        "--opportunities",
        type=bounded(int, 100, 10_000_000),
        default=100_000,
        help="and as many leads (100000)",
    )
    parser.add_argument("--runs", type=bounded(int, 1, 10_000), default=50, help="per way (50)")
    args = parser.parse_args(argv)
    return Options(args.postgres, args.opportunities, args.runs)


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
