"""Benchmark the reports on PostgreSQL with a million leads (a benchmark, not a timed test).

It creates a fresh database on the given PostgreSQL server, applies the migrations, creates a
manager, twelve clerks and twenty campaigns through the services and then fills the database
inside PostgreSQL (INSERT ... SELECT over generate_series): 1,000,000 contacts and leads over
three years up to now, their history (CREATED, ASSIGNED, REASSIGNED, FEEDBACK_RECORDED, CLOSED
events) and their feedback, in realistic proportions (most old leads are done, recent ones
new or active; about 1.4 feedback entries per assigned lead; 10 % reassigned).

Then it times every report the dashboard asks for, each as the median of N runs, three ways:

- `service`: the function in `leadflow.services.reports` (Tortoise, the manager's visibility);
- `GraphQL`: the root field executed in-process on the real schema (a read-only token's
  context, no HTTP), so the figure includes Strawberry;
- `raw SQL`: one hand-written PostgreSQL statement computing the same figures (asyncpg),
  the floor.

    .venv/bin/python bench/reports.py postgres://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/reports.py URL --leads 200000 --runs 5 --indexes

`--indexes` first creates the indexes the reports would like to have (see `REPORT_INDEXES`),
so both states can be compared. The database is dropped at the end, unless `--keep` is given;
`--database URL` measures a database kept from an earlier run instead of loading a new one.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from time import perf_counter
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from rich.console import Console
from rich.table import Table
from tortoise.exceptions import BaseORMException
from tortoise.fields import Field
from tortoise.models import Model

from leadflow.api.context import Context
from leadflow.api.ids import encode_id
from leadflow.api.rows import LEAD_COLUMNS
from leadflow.api.schema import build_schema
from leadflow.auth.actors import OPERATOR
from leadflow.auth.tokens import Authenticated
from leadflow.db.enums import Role
from leadflow.db.lifecycle import database, migrate
from leadflow.db.models import Campaign, Contact, Feedback, Lead, LeadEvent, User
from leadflow.services import reports
from leadflow.services.reports import AgingKind, ReportInterval
from leadflow.services.users import create_user
from leadflow.settings import Settings
from leads_page import BenchError, admin_execute, asyncpg_dsn, bounded

CLERKS = 12
CAMPAIGNS = 20
HISTORY_DAYS = 3 * 365
SPEED_GOAL_MS = 200.0
console = Console()

# The indexes the reports would like (created only with --indexes): a lead's first assignment
# and its first or latest feedback as one index-only descent (medians, waiting leads), feedback
# and closes per period (clerks, aging, series), a campaign's leads per period (cohorts, series).
REPORT_INDEXES = {
    "lead_events_lead_kind_at": "lead_events (lead_id, kind, at)",
    "feedback_lead_created": "feedback (lead_id, created_at)",
    "feedback_created": "feedback (created_at)",
    "leads_closed": "leads (closed_at)",
    "leads_campaign_created": "leads (campaign_id, created_at)",
}


# --- Database -------------------------------------------------------------------------------


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def insert_select(model: type[Model], given: dict[str, str], source: str) -> str:
    """INSERT INTO the model's table SELECT `given` expressions FROM `source`; every other
    column gets the model's constant default (or NULL), so columns added by later migrations
    need no change here."""
    columns, values = [], []
    for name, column in model._meta.fields_db_projection.items():
        if column not in given and model._meta.fields_map[name].pk:
            continue  # generated
        columns.append(column)
        values.append(given.get(column) or default_literal(model._meta.fields_map[name]))
    unknown = set(given) - set(columns)
    if unknown:
        raise BenchError(f"{model.__name__} has no columns {sorted(unknown)}")
    return (
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "
        f"SELECT {', '.join(values)} FROM {source}"
    )


def default_literal(field: Field) -> str:
    default = field.default
    if callable(default) or default is None:
        if field.null:
            return "NULL"
        raise BenchError(f"no value for the required column {field.model_field_name}")
    if isinstance(default, bool):
        return "TRUE" if default else "FALSE"
    if isinstance(default, int | float):
        return str(default)
    if isinstance(default, list | dict):
        return "'[]'" if isinstance(default, list) else "'{}'"
    return "'" + str(default).replace("'", "''") + "'"


def plan_sql(count: int, now: datetime, clerk_ids: list[int], campaign_ids: list[int]) -> str:
    """One row per lead with everything that happens to it, drawn with a fixed seed."""
    clerks = f"(ARRAY{clerk_ids})"
    campaigns = f"(ARRAY{campaign_ids})"
    start = f"TIMESTAMPTZ '{now.isoformat()}' - INTERVAL '{HISTORY_DAYS} days'"
    return f"""
CREATE UNLOGGED TABLE bench_plan AS
WITH base AS (
  SELECT g AS id,
    {start} + g::float8 / {count} * INTERVAL '{HISTORY_DAYS} days' AS created_at,
    random() AS r_state, random() AS r_assign, random() AS r_feedback, random() AS r_count,
    random() AS r_close, random() AS r_outcome, random() AS r_reason, random() AS r_clerk,
    random() AS r_reassign, random() AS r_campaign
  FROM generate_series(1, {count}) AS g
), drawn AS (
  SELECT *,
    TIMESTAMPTZ '{now.isoformat()}' - created_at AS age,
    created_at + INTERVAL '30 minutes' + r_assign * r_assign * INTERVAL '72 hours'
      AS first_assigned_at,
    {clerks}[1 + floor(r_clerk * {len(clerk_ids)})::int] AS first_clerk,
    {clerks}[1 + (floor(r_clerk * {len(clerk_ids)})::int + 1) % {len(clerk_ids)}] AS second_clerk,
    {campaigns}[1 + floor(power(r_campaign, 1.5) * {len(campaign_ids)})::int] AS campaign_id
  FROM base
), decided AS (
  SELECT *,
    CASE
      WHEN age < INTERVAL '14 days' THEN CASE WHEN r_state < 0.35 THEN 'N'
        WHEN r_state < 0.75 THEN 'A' ELSE 'D' END
      WHEN age < INTERVAL '60 days' THEN CASE WHEN r_state < 0.03 THEN 'N'
        WHEN r_state < 0.25 THEN 'A' ELSE 'D' END
      ELSE CASE WHEN r_state < 0.005 THEN 'N' WHEN r_state < 0.03 THEN 'A' ELSE 'D' END
    END AS intended,
    first_assigned_at + INTERVAL '2 hours' + r_close * INTERVAL '14 days' AS close_at,
    first_assigned_at + INTERVAL '1 hour' + r_feedback * r_feedback * INTERVAL '5 days'
      AS first_feedback_at,
    CASE WHEN r_count < 0.15 THEN 0 ELSE 1 + floor(r_count * 3)::int END AS feedback_count
  FROM drawn
), settled AS (
  -- What has not happened by now has not happened: a close in the future stays active.
  SELECT *,
    CASE
      WHEN intended = 'N' OR first_assigned_at >= TIMESTAMPTZ '{now.isoformat()}' THEN 'N'
      WHEN intended = 'D' AND close_at < TIMESTAMPTZ '{now.isoformat()}' THEN 'D'
      ELSE 'A'
    END AS state
  FROM decided
)
SELECT id, created_at, state, campaign_id, first_clerk, first_assigned_at, first_feedback_at,
  feedback_count,
  CASE WHEN state = 'D' THEN close_at END AS closed_at,
  CASE WHEN state <> 'N' AND r_reassign < 0.1
    AND first_assigned_at + INTERVAL '1 day'
      < LEAST(CASE WHEN state = 'D' THEN close_at END, TIMESTAMPTZ '{now.isoformat()}')
    THEN first_assigned_at + INTERVAL '1 day' END AS reassigned_at,
  second_clerk,
  CASE WHEN r_outcome < 0.3 THEN 'SUCCESSFUL' ELSE 'UNSUCCESSFUL' END AS outcome,
  CASE WHEN r_reason < 0.4 THEN 'NOT_INTERESTED' WHEN r_reason < 0.65 THEN 'UNREACHABLE'
    WHEN r_reason < 0.8 THEN 'WRONG_CONTACT_DATA' WHEN r_reason < 0.9 THEN 'DUPLICATE'
    ELSE 'OTHER' END AS reason
FROM settled
"""


def fill_statements(manager_id: int) -> list[tuple[str, str]]:
    """(label, SQL) that fill contacts, leads, feedback and history from bench_plan."""
    assignee = (
        "CASE WHEN p.state = 'N' THEN NULL "
        "WHEN p.reassigned_at IS NOT NULL THEN p.second_clerk ELSE p.first_clerk END"
    )
    feedback_source = (
        "bench_plan AS p CROSS JOIN LATERAL generate_series(1, p.feedback_count) AS k "
        "CROSS JOIN LATERAL (SELECT p.first_feedback_at + (k - 1) * INTERVAL '1 day' AS at) AS f "
        "WHERE p.state <> 'N' AND f.at < LEAST(p.closed_at, now())"
    )
    # Whether feedback_source yields the lead's first entry (k = 1).
    has_feedback = (
        "p.state <> 'N' AND p.feedback_count > 0 "
        "AND p.first_feedback_at < LEAST(p.closed_at, now())"
    )
    # The latest feedback_source entry: the last k whose time falls before the close (or now).
    latest_feedback = (
        f"CASE WHEN {has_feedback} THEN p.first_feedback_at + (LEAST(p.feedback_count, "
        "ceil(extract(epoch FROM LEAST(p.closed_at, now()) - p.first_feedback_at) / 86400)::int)"
        " - 1) * INTERVAL '1 day' END"
    )
    return [
        (
            "contacts",
            insert_select(
                Contact,
                {
                    "id": "p.id",
                    "last_name": "'Person ' || p.id",
                    "email": "'person' || p.id || '@bench.example'",
                    "email_key": "'person' || p.id || '@bench.example'",
                    "phone": "'+49 30 ' || p.id",
                    "created_at": "p.created_at",
                },
                "bench_plan AS p",
            ),
        ),
        (
            "leads",
            insert_select(
                Lead,
                {
                    "id": "p.id",
                    "contact_id": "p.id",
                    "campaign_id": "p.campaign_id",
                    "assignee_id": assignee,
                    "assigned_at": "CASE WHEN p.state = 'N' THEN NULL "
                    "ELSE COALESCE(p.reassigned_at, p.first_assigned_at) END",
                    "outcome": "CASE WHEN p.state = 'D' THEN p.outcome END",
                    "close_reason": "CASE WHEN p.state = 'D' AND p.outcome = 'UNSUCCESSFUL' "
                    "THEN p.reason END",
                    "closed_at": "p.closed_at",
                    # The lead's firsts, as assign_leads and record_feedback write them.
                    "first_assigned_at": "CASE WHEN p.state = 'N' THEN NULL "
                    "ELSE p.first_assigned_at END",
                    "first_feedback_at": f"CASE WHEN {has_feedback} THEN p.first_feedback_at END",
                    # The start of the current wait: the later of the current assignment and
                    # the latest feedback (GREATEST ignores a NULL).
                    "waiting_since": "CASE WHEN p.state = 'N' THEN NULL ELSE GREATEST("
                    f"COALESCE(p.reassigned_at, p.first_assigned_at), {latest_feedback}) END",
                    "closed_by_id": f"CASE WHEN p.state = 'D' THEN {assignee} END",
                    "created_by_id": str(manager_id),
                    "created_at": "p.created_at",
                },
                "bench_plan AS p",
            ),
        ),
        (
            "feedback",
            insert_select(
                Feedback,
                {
                    "lead_id": "p.id",
                    "author_id": "CASE WHEN p.reassigned_at <= f.at THEN p.second_clerk "
                    "ELSE p.first_clerk END",
                    "channel": "'PHONE'",
                    "note": "'Called.'",
                    "created_at": "f.at",
                },
                feedback_source,
            ),
        ),
        (
            "history: created",
            insert_select(
                LeadEvent,
                {
                    "lead_id": "p.id",
                    "kind": "'CREATED'",
                    "actor_id": str(manager_id),
                    "at": "p.created_at",
                },
                "bench_plan AS p",
            ),
        ),
        (
            "history: assigned",
            insert_select(
                LeadEvent,
                {
                    "lead_id": "p.id",
                    "kind": "'ASSIGNED'",
                    "actor_id": str(manager_id),
                    "assignee_id": "p.first_clerk",
                    "at": "p.first_assigned_at",
                },
                "bench_plan AS p WHERE p.state <> 'N'",
            ),
        ),
        (
            "history: reassigned",
            insert_select(
                LeadEvent,
                {
                    "lead_id": "p.id",
                    "kind": "'REASSIGNED'",
                    "actor_id": str(manager_id),
                    "assignee_id": "p.second_clerk",
                    "previous_assignee_id": "p.first_clerk",
                    "at": "p.reassigned_at",
                },
                "bench_plan AS p WHERE p.reassigned_at IS NOT NULL",
            ),
        ),
        (
            "history: feedback",
            insert_select(
                LeadEvent,
                {
                    "lead_id": "p.id",
                    "kind": "'FEEDBACK_RECORDED'",
                    "actor_id": "p.first_clerk",
                    "note": "'Called.'",
                    "at": "f.at",
                },
                feedback_source,
            ),
        ),
        (
            "history: closed",
            insert_select(
                LeadEvent,
                {
                    "lead_id": "p.id",
                    "kind": "'CLOSED'",
                    "actor_id": assignee,
                    "outcome": "p.outcome",
                    "close_reason": "CASE WHEN p.outcome = 'UNSUCCESSFUL' THEN p.reason END",
                    "at": "p.closed_at",
                },
                "bench_plan AS p WHERE p.state = 'D'",
            ),
        ),
    ]


@dataclass(frozen=True)
class People:
    manager_id: int
    clerk_ids: list[int]
    campaign_ids: list[int]


async def create_people(url: str) -> People:
    """Through the services, as in production."""
    async with database(url):
        manager = await create_user(OPERATOR, "manager@bench.example", "Mara Manager", Role.MANAGER)
        clerks = [
            await create_user(OPERATOR, f"clerk{n}@bench.example", f"Clerk {n:02d}", Role.CLERK)
            for n in range(CLERKS)
        ]
        campaigns = [await Campaign.create(name=f"Campaign {n:02d}") for n in range(CAMPAIGNS)]
    return People(manager.id, [c.id for c in clerks], [c.id for c in campaigns])


async def load(url: str, count: int) -> dict[str, int]:
    """Fills the database; returns the row count per table."""
    await migrate(url)
    people = await create_people(url)
    now = datetime.now(UTC).replace(microsecond=0)
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await connection.execute("SELECT setseed(0.42)")
        await connection.execute(plan_sql(count, now, people.clerk_ids, people.campaign_ids))
        for label, sql in fill_statements(people.manager_id):
            with console.status(f"Loading {label}…"):
                await connection.execute(sql)
        await connection.execute("DROP TABLE bench_plan")
        for table in ("contacts", "leads", "feedback", "lead_events"):
            await connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        with console.status("VACUUM ANALYZE…"):
            await connection.execute("VACUUM ANALYZE")
        return {
            table: await connection.fetchval(f"SELECT count(*) FROM {table}")
            for table in ("leads", "feedback", "lead_events")
        }
    finally:
        await connection.close()


async def create_report_indexes(url: str) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        for name, target in REPORT_INDEXES.items():
            with console.status(f"CREATE INDEX {name}…"):
                await connection.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


# --- The reports and their raw floors -------------------------------------------------------


@dataclass(frozen=True)
class Case:
    label: str
    service: Callable[[User], Awaitable[Any]]
    graphql: tuple[str, dict[str, Any]]
    raw: tuple[str, list[Any]]


def cases(now: datetime, campaign_id: int) -> list[Case]:
    month, quarter = now - timedelta(days=30), now - timedelta(days=90)
    year, years = now - timedelta(days=365), now - timedelta(days=HISTORY_DAYS)
    week = now - timedelta(days=7)
    campaign_gid = encode_id("Campaign", campaign_id)
    period = {"from": month.isoformat(), "to": now.isoformat()}
    return [
        Case(
            "campaign reports, 30 days",
            lambda actor: reports.campaign_reports(actor, None, month, now),
            (CAMPAIGN_QUERY, period),
            (RAW_CAMPAIGNS, [month, now]),
        ),
        Case(
            "campaign reports, one campaign, 30 days",
            lambda actor: reports.campaign_reports(actor, campaign_id, month, now),
            (CAMPAIGN_QUERY, {**period, "campaignId": campaign_gid}),
            (RAW_CAMPAIGNS.replace("TRUE", "l.campaign_id = $3"), [month, now, campaign_id]),
        ),
        Case(
            "campaign reports, all time (3 years)",
            lambda actor: reports.campaign_reports(actor),
            (CAMPAIGN_QUERY, {}),
            (RAW_CAMPAIGNS, [years - timedelta(days=1), now + timedelta(days=1)]),
        ),
        Case(
            "campaign reports, one year",
            lambda actor: reports.campaign_reports(actor, None, year, now),
            (CAMPAIGN_QUERY, {"from": year.isoformat(), "to": now.isoformat()}),
            (RAW_CAMPAIGNS, [year, now]),
        ),
        Case(
            "clerk reports, 30 days",
            lambda actor: reports.clerk_reports(actor, month, now),
            (CLERK_QUERY, period),
            (RAW_CLERKS, [month, now]),
        ),
        Case(
            "clerk reports, one year",
            lambda actor: reports.clerk_reports(actor, year, now),
            (CLERK_QUERY, {"from": year.isoformat(), "to": now.isoformat()}),
            (RAW_CLERKS, [year, now]),
        ),
        Case(
            "clerk reports, all time (3 years)",
            lambda actor: reports.clerk_reports(actor),
            (CLERK_QUERY, {}),
            (RAW_CLERKS, [years - timedelta(days=1), now + timedelta(days=1)]),
        ),
        Case(
            "aging: new > 7 days (page + count)",
            lambda actor: _page_and_count(
                reports.aging_leads(actor, AgingKind.NEW, 7), "created_at"
            ),
            (AGING_QUERY, {"kind": "NEW", "days": 7}),
            (RAW_AGING_NEW, [week]),
        ),
        Case(
            "aging: active, no feedback > 7 days (page + count)",
            lambda actor: _page_and_count(
                reports.aging_leads(actor, AgingKind.ACTIVE_WITHOUT_FEEDBACK, 7), "waiting_since"
            ),
            (AGING_QUERY, {"kind": "ACTIVE_WITHOUT_FEEDBACK", "days": 7}),
            (RAW_AGING_ACTIVE, [week]),
        ),
        Case(
            "series per day, 90 days",
            lambda actor: reports.lead_time_series(actor, ReportInterval.DAY, quarter, now),
            (SERIES_QUERY, {"interval": "DAY", "from": quarter.isoformat(), "to": now.isoformat()}),
            (RAW_SERIES.replace("UNIT", "day"), [quarter, now]),
        ),
        Case(
            "series per day, 90 days, one campaign",
            lambda actor: reports.lead_time_series(
                actor, ReportInterval.DAY, quarter, now, campaign_id
            ),
            (
                SERIES_QUERY,
                {
                    "interval": "DAY",
                    "from": quarter.isoformat(),
                    "to": now.isoformat(),
                    "campaignId": campaign_gid,
                },
            ),
            (
                RAW_SERIES.replace("UNIT", "day").replace("TRUE", "campaign_id = $3"),
                [quarter, now, campaign_id],
            ),
        ),
        Case(
            "series per week, 3 years",
            lambda actor: reports.lead_time_series(actor, ReportInterval.WEEK, years, now),
            (SERIES_QUERY, {"interval": "WEEK", "from": years.isoformat(), "to": now.isoformat()}),
            (RAW_SERIES.replace("UNIT", "week"), [years, now]),
        ),
    ]


async def _page_and_count(leads: Any, sort_column: str) -> tuple[list[dict[str, Any]], int]:
    """The first page as the API orders it (longest waiting first), and the count."""
    page = await leads.order_by(sort_column, "id").limit(51).values(*LEAD_COLUMNS)
    return page, await leads.count()


CAMPAIGN_QUERY = """
query($campaignId: ID, $from: DateTime, $to: DateTime) {
  campaignReports(campaignId: $campaignId, from: $from, to: $to) {
    campaign { id name } total new active done successful unsuccessful conversionRate
    unsuccessfulByReason { reason count }
    medianSecondsToAssignment medianSecondsToFirstFeedback medianSecondsToClose
  }
}"""
CLERK_QUERY = """
query($from: DateTime, $to: DateTime) {
  clerkReports(from: $from, to: $to) {
    clerk { id name } openLeads closedInPeriod successfulInPeriod successRate
    medianSecondsToFirstFeedback oldestWaitingLead { id createdAt contact { lastName } }
  }
}"""
AGING_QUERY = """
query($kind: AgingKind!, $days: Int!) {
  agingLeads(kind: $kind, olderThanDays: $days, first: 50) {
    totalCount edges { node { id status createdAt assignedAt contact { lastName }
      campaign { name } assignee { name } } }
  }
}"""
SERIES_QUERY = """
query($interval: ReportInterval!, $from: DateTime!, $to: DateTime!, $campaignId: ID) {
  leadTimeSeries(interval: $interval, from: $from, to: $to, campaignId: $campaignId) {
    start created successful unsuccessful
  }
}"""

# The same figures, hand-written for PostgreSQL: one statement each.
RAW_CAMPAIGNS = """
WITH scoped AS (
  SELECT l.id, l.campaign_id, l.created_at, l.closed_at, l.assignee_id, l.outcome, l.close_reason,
    l.first_assigned_at AS a, l.first_feedback_at AS f
  FROM leads l WHERE l.created_at >= $1 AND l.created_at < $2 AND TRUE
)
SELECT s.campaign_id, count(*) AS total,
  count(*) FILTER (WHERE s.assignee_id IS NULL AND s.closed_at IS NULL) AS new,
  count(*) FILTER (WHERE s.assignee_id IS NOT NULL AND s.closed_at IS NULL) AS active,
  count(*) FILTER (WHERE s.closed_at IS NOT NULL) AS done,
  count(*) FILTER (WHERE s.outcome = 'SUCCESSFUL') AS successful,
  count(*) FILTER (WHERE s.outcome = 'UNSUCCESSFUL') AS unsuccessful,
  count(*) FILTER (WHERE s.close_reason = 'NOT_INTERESTED') AS not_interested,
  count(*) FILTER (WHERE s.close_reason = 'UNREACHABLE') AS unreachable,
  count(*) FILTER (WHERE s.close_reason = 'WRONG_CONTACT_DATA') AS wrong_contact_data,
  count(*) FILTER (WHERE s.close_reason = 'DUPLICATE') AS duplicate,
  count(*) FILTER (WHERE s.close_reason = 'OTHER') AS other,
  percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM s.a - s.created_at)),
  percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM s.f - s.a)),
  percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM s.closed_at - s.created_at))
FROM scoped s
GROUP BY s.campaign_id
"""
RAW_CLERKS = """
WITH counts AS (
  SELECT assignee_id,
    count(*) FILTER (WHERE closed_at IS NULL) AS open,
    count(*) FILTER (WHERE closed_at >= $1 AND closed_at < $2) AS closed,
    count(*) FILTER (WHERE closed_at >= $1 AND closed_at < $2 AND outcome = 'SUCCESSFUL') AS won
  FROM leads WHERE assignee_id IS NOT NULL
    AND (closed_at IS NULL OR (closed_at >= $1 AND closed_at < $2))
  GROUP BY assignee_id
), medians AS (
  SELECT l.assignee_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM
    l.first_feedback_at - l.first_assigned_at)) AS median
  FROM leads l WHERE l.assignee_id IS NOT NULL
    AND l.first_feedback_at >= $1 AND l.first_feedback_at < $2
  GROUP BY l.assignee_id
), oldest AS (
  SELECT DISTINCT ON (l.assignee_id) l.assignee_id, l.id
  FROM leads l
  WHERE l.assignee_id IS NOT NULL AND l.closed_at IS NULL
  ORDER BY l.assignee_id, l.waiting_since, l.id
)
SELECT u.id, u.name, c.open, c.closed, c.won, m.median, o.id AS oldest
FROM users u LEFT JOIN counts c ON c.assignee_id = u.id
  LEFT JOIN medians m ON m.assignee_id = u.id LEFT JOIN oldest o ON o.assignee_id = u.id
WHERE u.role = 'CLERK' ORDER BY u.name
"""
RAW_AGING_NEW = """
SELECT (SELECT count(*) FROM leads WHERE assignee_id IS NULL AND closed_at IS NULL
          AND created_at < $1) AS total,
  (SELECT array_agg(id) FROM (SELECT id FROM leads WHERE assignee_id IS NULL
     AND closed_at IS NULL AND created_at < $1 ORDER BY created_at, id LIMIT 51) AS page) AS page
"""
RAW_AGING_ACTIVE = """
WITH waiting AS (
  SELECT l.id, l.waiting_since FROM leads l
  WHERE l.assignee_id IS NOT NULL AND l.closed_at IS NULL AND l.waiting_since < $1
)
SELECT (SELECT count(*) FROM waiting) AS total,
  (SELECT array_agg(id) FROM (
     SELECT id FROM waiting ORDER BY waiting_since, id LIMIT 51) AS page) AS page
"""
RAW_SERIES = """
SELECT bucket, sum(created), sum(successful), sum(unsuccessful) FROM (
  SELECT date_trunc('UNIT', created_at AT TIME ZONE 'UTC') AS bucket, count(*) AS created,
    0 AS successful, 0 AS unsuccessful
  FROM leads WHERE created_at >= $1 AND created_at < $2 AND TRUE GROUP BY 1
  UNION ALL
  SELECT date_trunc('UNIT', closed_at AT TIME ZONE 'UTC'), 0,
    count(*) FILTER (WHERE outcome = 'SUCCESSFUL'), count(*) FILTER (WHERE outcome = 'UNSUCCESSFUL')
  FROM leads WHERE closed_at >= $1 AND closed_at < $2 AND TRUE GROUP BY 1
) AS events GROUP BY bucket ORDER BY bucket
"""


# --- Measuring ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    label: str
    service_ms: float
    graphql_ms: float
    raw_ms: float


async def median_ms(call: Callable[[], Awaitable[Any]], runs: int) -> float:
    await call()  # warm-up: plans, caches
    times = []
    for _ in range(runs):
        started = perf_counter()
        await call()
        times.append((perf_counter() - started) * 1000)
    return statistics.median(times)


async def measure(url: str, runs: int) -> list[Timing]:
    schema = build_schema(Settings(database_url=url))
    raw = await asyncpg.connect(asyncpg_dsn(url))
    timings = []
    try:
        async with database(url):
            manager = await User.get(email="manager@bench.example")
            campaign = await Campaign.get(name="Campaign 03")
            context = Context(auth=Authenticated(user=manager, read_only=True))

            async def graphql(query: str, variables: dict[str, Any]) -> None:
                result = await schema.execute(query, variables, context_value=context)
                if result.errors:
                    raise BenchError(f"GraphQL: {result.errors}")

            now = datetime.now(UTC)
            for case in cases(now, campaign.id):
                with console.status(f"{case.label}…"):
                    timings.append(
                        Timing(
                            case.label,
                            await median_ms(lambda c=case: c.service(manager), runs),
                            await median_ms(lambda c=case: graphql(*c.graphql), runs),
                            await median_ms(lambda c=case: raw.fetch(*c.raw[:1], *c.raw[1]), runs),
                        )
                    )
    finally:
        await raw.close()
    return timings


def timing_table(timings: list[Timing], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    for column in ("report", "service ms", "GraphQL ms", "raw SQL ms", "x raw", "goal"):
        table.add_column(column, justify="left" if column == "report" else "right", no_wrap=True)
    for timing in timings:
        table.add_row(
            timing.label,
            f"{timing.service_ms:.1f}",
            f"{timing.graphql_ms:.1f}",
            f"{timing.raw_ms:.1f}",
            f"{timing.graphql_ms / timing.raw_ms:.2f}x",
            "met" if timing.graphql_ms <= SPEED_GOAL_MS else "missed",
        )
    return table


async def server_settings(url: str) -> dict[str, str]:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return {
            name: await connection.fetchval(f"SHOW {name}")
            for name in ("server_version", "jit", "random_page_cost", "work_mem")
        }
    finally:
        await connection.close()


# --- Main -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    postgres_url: str
    leads: int
    runs: int
    indexes: bool
    no_jit: bool
    keep: bool
    database_url: str | None


async def run(options: Options) -> None:
    if options.database_url:
        url = options.database_url
        await measure_and_report(url, options, rows=None, load_seconds=None)
        return
    name = f"leadflow_bench_reports_{os.getpid()}"
    url = with_database(options.postgres_url, name)
    await admin_execute(options.postgres_url, f'CREATE DATABASE "{name}"')
    try:
        started = perf_counter()
        rows = await load(url, options.leads)
        await measure_and_report(url, options, rows, perf_counter() - started)
    finally:
        if options.keep:
            console.print(f"Kept the database: {url}")
        else:
            await admin_execute(
                options.postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
            )


async def measure_and_report(
    url: str, options: Options, rows: dict[str, int] | None, load_seconds: float | None
) -> None:
    if options.indexes:
        await create_report_indexes(url)
    if options.no_jit:
        # JIT compiles a plan whose estimated cost passes jit_above_cost: for reports over many
        # leads that took longer than running the query (0.9 s for a 0.2 s query).
        await admin_execute(url, f'ALTER DATABASE "{urlsplit(url).path[1:]}" SET jit = off')
    settings = await server_settings(url)
    timings = await measure(url, options.runs)
    if rows is not None and load_seconds is not None:
        console.print(
            f"Loaded {rows['leads']:,} leads, {rows['feedback']:,} feedback entries and "
            f"{rows['lead_events']:,} history events in {load_seconds:.0f} s "
            f"(migrations and VACUUM ANALYZE included)"
        )
    console.print("Server: " + ", ".join(f"{name} = {value}" for name, value in settings.items()))
    state = "with the report indexes" if options.indexes else "with the migrations' indexes only"
    title = (
        f"Reports on PostgreSQL {state}: median of {options.runs} runs (goal: {SPEED_GOAL_MS:g} ms)"
    )
    console.print(timing_table(timings, title))


def parse_options(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "postgres",
        metavar="URL",
        nargs="?",
        default=os.environ.get("LEADFLOW_BENCH_POSTGRES_URL"),
        help="PostgreSQL admin URL; a fresh database is created there and dropped afterwards "
        "(default: LEADFLOW_BENCH_POSTGRES_URL)",
    )
    parser.add_argument(
        "--leads", type=bounded(int, 1000, 10_000_000), default=1_000_000, help="(1000000)"
    )
    parser.add_argument("--runs", type=bounded(int, 1, 1000), default=9, help="per report (9)")
    parser.add_argument("--indexes", action="store_true", help="create REPORT_INDEXES first")
    parser.add_argument(
        "--no-jit", action="store_true", help="ALTER DATABASE ... SET jit = off first"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--database", metavar="URL", help="measure this kept database instead")
    args = parser.parse_args(argv)
    if not args.postgres and not args.database:
        parser.error("give the PostgreSQL URL (or set LEADFLOW_BENCH_POSTGRES_URL)")
    return Options(
        args.postgres, args.leads, args.runs, args.indexes, args.no_jit, args.keep, args.database
    )


def main() -> None:
    options = parse_options()
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        asyncio.run(run(options))
    except (BenchError, OSError, asyncpg.PostgresError, BaseORMException) as error:
        console.print(f"bench: {error}", style="red", markup=False, highlight=False)
        sys.exit(1)
    except KeyboardInterrupt:
        console.print("bench: interrupted; database removed unless --keep", style="red")
        sys.exit(130)


if __name__ == "__main__":
    main()
