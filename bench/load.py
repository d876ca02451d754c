"""A bounded mixed workload against several Leadflow instances, with a consistency check in SQL
afterwards and, optionally, a PostgreSQL restart in the middle (a benchmark, not a timed test).

Clerks read their tasks (`MyTasks`) and their leads, record feedback and close leads; managers
list the NEW tab, read `leadCounts` and distribute the newest NEW leads (`assignLeads` and
`distributeLeads`), two managers competing for the same leads. The documents are the web app's
own (bench/spa_documents.py). Each session sends its requests to the instances in turn, as a
load balancer would.

Every mutation carries an `Idempotency-Key` header (one key per user action) and is retried with
the same key after a network error, HTTP 502/503/504 or a GraphQL error whose code says retry
(UNAVAILABLE and the like), at most --retries times, waiting Retry-After (at most 2 s) or a
growing backoff. Reads are retried the same way without a key.

Afterwards, in SQL:
- no lead assigned twice: per lead at most one acknowledged assignment, at most one ASSIGNED
  history row since the start, and the stored assignee is the acknowledged one;
- no feedback doubled or lost: every note carries a unique token; at most one row per token and
  every acknowledged token stored;
- no lead closed twice or lost: at most one CLOSED history row per lead, every acknowledged
  close stored;
- writes the client never saw acknowledged (it gave up) are counted, not hidden;
- the rollups (report_campaign_days, report_clerk_days) equal COUNT(*) over the leads, and the
  lead counters of migration 0021, if it keeps a table of them.

With --restart-postgres it restarts the machine's PostgreSQL cluster at --restart-at seconds
(`pg_ctlcluster --skip-systemctl-redirect VERSION main restart`; needs root or the postgres user;
never on a shared server others use); with --terminate-connections it ends the instances'
connections to the run's database instead (pg_terminate_backend: the server and other databases
stay up). Either way it reports the failed attempts by kind, the HTTP 500s (must be 0) and each
instance's recovery: from its first failed attempt to its first success after it.

    .venv/bin/python bench/load.py --postgres postgres://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/load.py --instances 2 --concurrency 16 --duration 60 --restart-postgres
    .venv/bin/python bench/load.py --urls http://a:8000,http://b:8000 --database URL

See bench/README.md ("load.py") for the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter
from typing import Any

import asyncpg
import httpx
from rich.console import Console
from rich.table import Table
from tortoise.exceptions import BaseORMException

import scale_data
from leads_page import BenchError, asyncpg_dsn, bounded
from scale import global_id, lead_pk
from servers import HOST, Server, app_env, leadflow_server, stop_on_sigterm, wait_ready
from spa_documents import document

PAGE_SIZE = 25
PICK = 10  # leads per assignLeads / distributeLeads, out of the NEW tab's first page
RETRYABLE_STATUS = frozenset({502, 503, 504})
# GraphQL error codes that ask for a retry (the database was unavailable, the same key is still
# being worked on by another request).
RETRYABLE_CODES = frozenset(
    {
        "UNAVAILABLE",
        "SERVICE_UNAVAILABLE",
        "DATABASE_UNAVAILABLE",
        "RETRY",
        "IDEMPOTENCY_KEY_IN_PROGRESS",
        "IN_PROGRESS",
        "TRY_AGAIN",
    }
)
REQUEST_TIMEOUT_SECONDS = 30
MAX_RETRY_WAIT = 2.0
CLERK_OPS = {"myTasks": 35, "myLeads": 15, "recordFeedback": 30, "closeLead": 20}
MANAGER_OPS = {"newTab": 30, "leadCounts": 20, "assignLeads": 30, "distributeLeads": 20}
MUTATIONS = {"recordFeedback", "closeLead", "assignLeads", "distributeLeads"}
TOKEN_PREFIX = "load-"

console = Console(width=int(os.environ.get("COLUMNS", "0")) or 150)


# --- Recording --------------------------------------------------------------------------------


@dataclass
class Attempt:
    instance: int
    began: float
    ended: float
    failure: str  # "" for an answer (user errors included)


@dataclass
class Record:
    """Everything the sessions saw, for the report and the consistency check."""

    attempts: list[Attempt] = field(default_factory=list)
    operations: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    ok: Counter[str] = field(default_factory=Counter)
    failures: Counter[tuple[str, str]] = field(default_factory=Counter)  # (op, kind) per attempt
    gave_up: Counter[str] = field(default_factory=Counter)
    user_errors: Counter[tuple[str, str]] = field(default_factory=Counter)
    assigned: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    feedback: set[str] = field(default_factory=set)
    closed: dict[int, int] = field(default_factory=Counter)
    retried_ok: int = 0
    replayed: int = 0  # answers with Idempotent-Replayed: true


class Failed(Exception):
    """An operation that got no usable answer after its retries."""


# --- Talking to the instances -----------------------------------------------------------------


@dataclass
class Cluster:
    urls: list[str]
    client: httpx.AsyncClient
    record: Record
    retries: int
    next_instance: int = 0

    def pick(self) -> int:
        self.next_instance = (self.next_instance + 1) % len(self.urls)
        return self.next_instance

    async def call(
        self, op: str, token: str, operation: str, variables: dict[str, Any]
    ) -> dict[str, Any]:
        """One user action: the request, retried with the same idempotency key until it gets
        an answer that is no retryable failure. Returns the data; raises Failed."""
        body = json.dumps({"query": document(operation), "variables": variables})
        headers = {"content-type": "application/json", "authorization": f"Bearer {token}"}
        if op in MUTATIONS:
            headers["idempotency-key"] = str(uuid.uuid4())
        began = perf_counter()
        for attempt in range(self.retries + 1):
            instance = self.pick()
            tried = perf_counter()
            failure, wait, data = await self._attempt(instance, body, headers)
            self.record.attempts.append(Attempt(instance, tried, perf_counter(), failure))
            if not failure:
                self.record.operations[op].append((perf_counter() - began) * 1000)
                self.record.ok[op] += 1
                self.record.retried_ok += attempt > 0
                return data
            self.record.failures[(op, failure)] += 1
            if not _retryable(failure) or attempt == self.retries:
                break
            await asyncio.sleep(wait if wait is not None else min(0.05 * 2**attempt, 1.0))
        self.record.gave_up[op] += 1
        raise Failed(op)

    async def _attempt(
        self, instance: int, body: str, headers: dict[str, str]
    ) -> tuple[str, float | None, dict[str, Any]]:
        """(failure kind or "", seconds to wait before a retry or None, data)."""
        try:
            response = await self.client.post(
                f"{self.urls[instance]}/graphql", content=body, headers=headers
            )
        except httpx.TransportError as error:
            return f"network {type(error).__name__}", None, {}
        wait = _retry_after(response)
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if response.status_code != 200 or not isinstance(answer, dict):
            return f"HTTP {response.status_code}", wait, {}
        if response.headers.get("idempotent-replayed") == "true":
            self.record.replayed += 1
        errors = answer.get("errors") or []
        if errors:
            code = (errors[0].get("extensions") or {}).get("code", "no code")
            return f"GraphQL {code}", wait, {}
        return "", None, answer.get("data") or {}


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return min(float(value), MAX_RETRY_WAIT) if value else None
    except ValueError:
        return None


def _retryable(failure: str) -> bool:
    if failure.startswith("network"):
        return True
    if failure.startswith("HTTP "):
        return int(failure.split()[1]) in RETRYABLE_STATUS
    return failure.removeprefix("GraphQL ") in RETRYABLE_CODES


# --- The sessions -----------------------------------------------------------------------------


@dataclass
class Budget:
    """The run's bounds: a deadline and a number of operations."""

    deadline: float
    operations: int

    def take(self) -> bool:
        if perf_counter() >= self.deadline or self.operations <= 0:
            return False
        self.operations -= 1
        return True


def _choose(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _user_errors(payload: dict[str, Any] | None) -> list[dict[str, Any]]:
    return (payload or {}).get("userErrors") or []


async def clerk_session(cluster: Cluster, token: str, budget: Budget, rng: random.Random) -> None:
    record = cluster.record
    open_leads: list[str] = []
    task_variables = {
        "filter": {"due": None, "campaignId": None, "search": None},
        "orderBy": "NEXT_DUE",
        "first": PAGE_SIZE,
        "after": None,
    }
    while budget.take():
        op = _choose(rng, CLERK_OPS)
        if op in ("recordFeedback", "closeLead") and not open_leads:
            op = "myTasks"
        try:
            if op == "myTasks":
                data = await cluster.call(op, token, "MyTasks", task_variables)
                open_leads = [edge["node"]["id"] for edge in data["myTasks"]["edges"]]
            elif op == "myLeads":
                await cluster.call(
                    op,
                    token,
                    "MyDoneLeads",
                    {
                        "filter": {"status": "DONE"},
                        "orderBy": "NEWEST",
                        "first": PAGE_SIZE,
                        "after": None,
                    },
                )
            elif op == "recordFeedback":
                note = f"{TOKEN_PREFIX}{uuid.uuid4().hex} Rückruf, Interesse an Angebot"
                data = await cluster.call(
                    op,
                    token,
                    "RecordFeedback",
                    {"input": {"leadId": rng.choice(open_leads), "channel": "PHONE", "note": note}},
                )
                errors = _user_errors(data.get("recordFeedback"))
                if errors:
                    record.user_errors[(op, errors[0]["code"])] += 1
                else:
                    record.feedback.add(note.split()[0])
            else:
                lead = open_leads.pop(rng.randrange(len(open_leads)))
                outcome = "SUCCESSFUL" if rng.random() < 0.3 else "UNSUCCESSFUL"
                data = await cluster.call(
                    op,
                    token,
                    "CloseLead",
                    {
                        "input": {
                            "leadId": lead,
                            "outcome": outcome,
                            "reason": None if outcome == "SUCCESSFUL" else "NOT_INTERESTED",
                            "note": f"{TOKEN_PREFIX}{uuid.uuid4().hex}",
                        }
                    },
                )
                errors = _user_errors(data.get("closeLead"))
                if errors:
                    record.user_errors[(op, errors[0]["code"])] += 1
                else:
                    record.closed[lead_pk(lead)] += 1
        except Failed:
            pass


async def manager_session(
    cluster: Cluster, token: str, clerk_ids: list[int], budget: Budget, rng: random.Random
) -> None:
    record = cluster.record
    newest: list[str] = []
    new_tab = {
        "filter": {
            "status": "NEW",
            "campaignId": None,
            "assigneeId": None,
            "search": None,
            "outcome": None,
            "closeReason": None,
            "due": None,
        },
        "orderBy": "NEWEST",
        "first": PAGE_SIZE,
        "after": None,
        "active": False,
    }
    while budget.take():
        op = _choose(rng, MANAGER_OPS)
        if op in ("assignLeads", "distributeLeads") and not newest:
            op = "newTab"
        try:
            if op == "newTab":
                data = await cluster.call(op, token, "LeadsPage", new_tab)
                newest = [edge["node"]["id"] for edge in data["leads"]["edges"]]
            elif op == "leadCounts":
                await cluster.call(op, token, "LeadCounts", {"filter": None})
            elif op == "assignLeads":
                leads = rng.sample(newest, min(PICK, len(newest)))
                clerk = rng.choice(clerk_ids)
                data = await cluster.call(
                    op,
                    token,
                    "AssignLeads",
                    {"input": {"leadIds": leads, "assigneeId": global_id("User", clerk)}},
                )
                errors = _user_errors(data.get("assignLeads"))
                if errors:
                    record.user_errors[(op, errors[0]["code"])] += 1
                else:
                    for lead in leads:
                        record.assigned[lead_pk(lead)].append(clerk)
                newest = []  # the manager looks again before the next distribution
            else:
                leads = rng.sample(newest, min(PICK, len(newest)))
                clerks = rng.sample(clerk_ids, 3)
                data = await cluster.call(
                    op,
                    token,
                    "DistributeLeads",
                    {
                        "input": {
                            "leadIds": leads,
                            "clerkIds": [global_id("User", c) for c in clerks],
                        }
                    },
                )
                payload = data.get("distributeLeads") or {}
                errors = _user_errors(payload)
                if errors:
                    record.user_errors[(op, errors[0]["code"])] += 1
                else:
                    for assignment in payload.get("assignments", []):
                        clerk = int(_pk_of(assignment["assignee"]["id"]))
                        record.assigned[lead_pk(assignment["lead"]["id"])].append(clerk)
                    for skipped in payload.get("skipped", []):
                        record.user_errors[(op, f"skipped: {skipped['reason']}"[:40])] += 1
                newest = []
        except Failed:
            pass


def _pk_of(node_id: str) -> str:
    return base64.b64decode(node_id).decode().partition(":")[2]


# --- Restarting PostgreSQL --------------------------------------------------------------------


@dataclass
class Restart:
    began: float = 0.0
    ended: float = 0.0
    output: str = ""


async def terminate_connections(at: float, url: str, restart: Restart) -> None:
    """Ends every other connection to the run's database (the instances' pools): a fault that
    leaves the server up and other databases alone."""
    await asyncio.sleep(max(0.0, at - perf_counter()))
    restart.began = perf_counter()
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        ended = await connection.fetchval(
            "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()) AS ended"
        )
    finally:
        await connection.close()
    restart.ended = perf_counter()
    restart.output = f"pg_terminate_backend: {ended} connections of the run's database ended"


async def restart_postgres(at: float, url: str, restart: Restart) -> None:
    """A CHECKPOINT first (untimed), so that the restart's own shutdown checkpoint is short and
    the gap is the restart, not the writing of dirty buffers."""
    await asyncio.sleep(max(0.0, at - perf_counter() - 3))
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await connection.execute("CHECKPOINT")
    finally:
        await connection.close()
    await asyncio.sleep(max(0.0, at - perf_counter()))
    versions = sorted(os.listdir("/etc/postgresql"))
    argv = ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "restart"]
    restart.began = perf_counter()
    process = await asyncio.create_subprocess_exec(
        *argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    output, _ = await process.communicate()
    restart.ended = perf_counter()
    restart.output = f"{' '.join(argv)}: exit {process.returncode} {output.decode().strip()}"


# --- The consistency check --------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """What the database held before the run: the history written since is the run's."""

    max_event_id: int
    max_feedback_id: int


async def snapshot(url: str) -> Snapshot:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return Snapshot(
            await connection.fetchval("SELECT coalesce(max(id), 0) FROM lead_events"),
            await connection.fetchval("SELECT coalesce(max(id), 0) FROM feedback"),
        )
    finally:
        await connection.close()


@dataclass
class Check:
    name: str
    problems: int
    detail: str

    @property
    def passed(self) -> bool:
        return self.problems == 0


async def consistency(url: str, before: Snapshot, record: Record) -> list[Check]:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return [
            *await _assignments(connection, before, record),
            *await _feedback(connection, before, record),
            *await _closes(connection, before, record),
            *await _rollups(connection),
        ]
    finally:
        await connection.close()


async def _assignments(connection: Any, before: Snapshot, record: Record) -> list[Check]:
    acked_twice = {lead: clerks for lead, clerks in record.assigned.items() if len(clerks) > 1}
    events = await connection.fetch(
        "SELECT lead_id, count(*) FROM lead_events WHERE id > $1 AND kind = 'ASSIGNED' "
        "GROUP BY lead_id",
        before.max_event_id,
    )
    twice_stored = [row[0] for row in events if row[1] > 1]
    stored = {
        row[0]: row[1]
        for row in await connection.fetch(
            "SELECT id, assignee_id FROM leads WHERE id = ANY($1::int[])",
            list(record.assigned) + [row[0] for row in events],
        )
    }
    wrong = [lead for lead, clerks in record.assigned.items() if stored.get(lead) != clerks[-1]]
    unacked = [row[0] for row in events if row[0] not in record.assigned]
    return [
        Check(
            "lead acknowledged as assigned twice",
            len(acked_twice),
            f"{len(record.assigned):,} leads assigned, acknowledged",
        ),
        Check(
            "lead with two ASSIGNED rows",
            len(twice_stored),
            f"{len(events):,} leads with an ASSIGNED row since the start",
        ),
        Check(
            "acknowledged assignment not stored",
            len(wrong),
            f"e.g. {wrong[:3]}" if wrong else "stored assignee = acknowledged one",
        ),
        Check(
            "assignment stored, never acknowledged (client gave up)",
            0,
            f"{len(unacked)} (informational){' e.g. ' + str(unacked[:3]) if unacked else ''}",
        ),
    ]


async def _feedback(connection: Any, before: Snapshot, record: Record) -> list[Check]:
    rows = await connection.fetch(
        "SELECT split_part(note, ' ', 1), count(*) FROM feedback WHERE id > $1 AND note LIKE $2 "
        "GROUP BY 1",
        before.max_feedback_id,
        f"{TOKEN_PREFIX}%",
    )
    stored = {row[0]: row[1] for row in rows}
    doubled = [token for token, count in stored.items() if count > 1]
    lost = record.feedback - set(stored)
    unacked = set(stored) - record.feedback
    return [
        Check("feedback stored twice", len(doubled), f"{sum(stored.values()):,} rows stored"),
        Check(
            "acknowledged feedback not stored", len(lost), f"{len(record.feedback):,} acknowledged"
        ),
        Check(
            "feedback stored, never acknowledged (client gave up)",
            0,
            f"{len(unacked)} (informational)",
        ),
    ]


async def _closes(connection: Any, before: Snapshot, record: Record) -> list[Check]:
    events = await connection.fetch(
        "SELECT lead_id, count(*) FROM lead_events WHERE id > $1 AND kind = 'CLOSED' "
        "GROUP BY lead_id",
        before.max_event_id,
    )
    twice = [row[0] for row in events if row[1] > 1]
    acked_twice = [lead for lead, count in record.closed.items() if count > 1]
    closed = {
        row[0]
        for row in await connection.fetch(
            "SELECT id FROM leads WHERE id = ANY($1::int[]) AND closed_at IS NOT NULL",
            list(record.closed),
        )
    }
    lost = set(record.closed) - closed
    unacked = {row[0] for row in events} - set(record.closed)
    return [
        Check("lead with two CLOSED rows", len(twice), f"{len(events):,} leads closed"),
        Check("lead acknowledged as closed twice", len(acked_twice), ""),
        Check("acknowledged close not stored", len(lost), f"{len(record.closed):,} acknowledged"),
        Check(
            "close stored, never acknowledged (client gave up)",
            0,
            f"{len(unacked)} (informational)",
        ),
    ]


ROLLUP_CHECK = (
    "WITH rollup AS (SELECT campaign_id, sum(created) AS created, sum(new) AS new, "
    "sum(active) AS active, sum(done) AS done FROM report_campaign_days GROUP BY campaign_id), "
    "counted AS (SELECT campaign_id, count(*) AS created, "
    "count(*) FILTER (WHERE closed_at IS NULL AND assignee_id IS NULL) AS new, "
    "count(*) FILTER (WHERE closed_at IS NULL AND assignee_id IS NOT NULL) AS active, "
    "count(*) FILTER (WHERE closed_at IS NOT NULL) AS done FROM leads GROUP BY campaign_id) "
    "SELECT count(*) FROM counted FULL JOIN rollup USING (campaign_id) "
    "WHERE (counted.created, counted.new, counted.active, counted.done) IS DISTINCT FROM "
    "(rollup.created, rollup.new, rollup.active, rollup.done)"
)
CLERK_ROLLUP_CHECK = (
    "WITH rollup AS (SELECT assignee_id, sum(closed) AS closed FROM report_clerk_days "
    "GROUP BY assignee_id HAVING sum(closed) <> 0), counted AS (SELECT assignee_id, "
    "count(*) AS closed FROM leads WHERE closed_at IS NOT NULL AND assignee_id IS NOT NULL "
    "GROUP BY assignee_id) SELECT count(*) FROM counted FULL JOIN rollup USING (assignee_id) "
    "WHERE counted.closed IS DISTINCT FROM rollup.closed"
)


async def _rollups(connection: Any) -> list[Check]:
    checks = [
        Check(
            "campaign rollups differ from COUNT(*)",
            await connection.fetchval(ROLLUP_CHECK),
            "report_campaign_days: created/new/active/done per campaign",
        ),
        Check(
            "clerk rollups differ from COUNT(*)",
            await connection.fetchval(CLERK_ROLLUP_CHECK),
            "report_clerk_days: closes per clerk",
        ),
    ]
    checks.extend(await _lead_counters(connection))
    return checks


LEAD_COUNTS_CHECK = (
    "WITH kept AS (SELECT campaign_id, assignee_id, created_by_id, sum(new) AS new, "
    "sum(active) AS active, sum(done) AS done FROM lead_counts "
    "GROUP BY campaign_id, assignee_id, created_by_id "
    "HAVING sum(new) <> 0 OR sum(active) <> 0 OR sum(done) <> 0), "
    "counted AS (SELECT campaign_id, coalesce(assignee_id, 0) AS assignee_id, "
    "coalesce(created_by_id, 0) AS created_by_id, "
    "count(*) FILTER (WHERE closed_at IS NULL AND assignee_id IS NULL) AS new, "
    "count(*) FILTER (WHERE closed_at IS NULL AND assignee_id IS NOT NULL) AS active, "
    "count(*) FILTER (WHERE closed_at IS NOT NULL) AS done FROM leads GROUP BY 1, 2, 3) "
    "SELECT count(*) FROM counted FULL JOIN kept USING (campaign_id, assignee_id, created_by_id) "
    "WHERE (counted.new, counted.active, counted.done) IS DISTINCT FROM "
    "(kept.new, kept.active, kept.done)"
)


async def _lead_counters(connection: Any) -> list[Check]:
    """Migration 0021's counters (`lead_counts`: new/active/done per campaign, assignee and
    creator, NULL kept as 0; summed per key, so delta rows count too), when the database has
    them."""
    if await connection.fetchval("SELECT to_regclass('lead_counts')") is None:
        return [Check("lead counters (lead_counts)", 0, "no such table: skipped")]
    columns = {
        row[0]
        for row in await connection.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'lead_counts'"
        )
    }
    expected = {"campaign_id", "assignee_id", "created_by_id", "new", "active", "done"}
    if not expected <= columns:
        return [Check("lead counters (lead_counts)", 0, f"columns {sorted(columns)}: skipped")]
    return [
        Check(
            "lead counters differ from COUNT(*)",
            await connection.fetchval(LEAD_COUNTS_CHECK),
            "lead_counts: new/active/done per campaign, assignee, creator",
        ),
    ]


# --- Running ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    postgres_url: str | None
    database_url: str | None
    urls: list[str]
    leads: int
    instances: int
    workers: int | None
    concurrency: int
    duration: float
    max_operations: int
    retries: int
    restart_postgres: bool
    terminate_connections: bool
    restart_at: float | None
    seed: int
    logs: Path | None


@asynccontextmanager
async def load_database(options: Options) -> AsyncIterator[scale_data.Loaded]:
    if options.database_url:
        yield await scale_data.loaded(options.database_url)
        return
    assert options.postgres_url is not None
    async with scale_data.scratch_database(
        options.postgres_url, "leadflow_bench_load", keep=False
    ) as url:
        with console.status(f"Migrating and loading {options.leads:,} leads…") as status:
            loaded = await scale_data.load(url, options.leads, progress=status.update)
        console.print(f"Loaded {options.leads:,} leads in {loaded.seconds:.0f} s")
        yield loaded


@contextmanager
def instances(url: str, options: Options, tmp: Path) -> Iterator[list[Server]]:
    env = app_env(url)
    with ExitStack() as stack:
        yield [
            stack.enter_context(leadflow_server(f"leadflow{n + 1}", env, tmp, options.workers))
            for n in range(options.instances)
        ]


async def drive(
    urls: list[str], loaded: scale_data.Loaded, options: Options
) -> tuple[Record, Restart | None, float]:
    people = loaded.people
    managers = [people.manager_id, people.second_manager_id]
    tokens = await scale_data.tokens_for(loaded.url, managers + people.clerk_ids)
    manager_sessions = max(2, options.concurrency // 4)
    clerk_sessions = max(1, options.concurrency - manager_sessions)
    record = Record()
    limits = httpx.Limits(max_connections=options.concurrency * 2)
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT_SECONDS, limits=limits) as client:
        cluster = Cluster(urls, client, record, options.retries)
        began = perf_counter()
        budget = Budget(began + options.duration, options.max_operations)
        rng = random.Random(options.seed)
        sessions = [
            manager_session(
                cluster,
                tokens[managers[n % 2]],
                people.clerk_ids,
                budget,
                random.Random(rng.random()),
            )
            for n in range(manager_sessions)
        ] + [
            clerk_session(
                cluster,
                tokens[people.clerk_ids[n % len(people.clerk_ids)]],
                budget,
                random.Random(rng.random()),
            )
            for n in range(clerk_sessions)
        ]
        restart = None
        if options.restart_postgres or options.terminate_connections:
            restart = Restart()
            at = began + (
                options.restart_at if options.restart_at is not None else options.duration / 3
            )
            if options.restart_postgres:
                sessions.append(restart_postgres(at, loaded.url, restart))
            else:
                sessions.append(terminate_connections(at, loaded.url, restart))
        await asyncio.gather(*sessions)
        elapsed = perf_counter() - began
    return record, restart, elapsed


async def run(options: Options) -> None:
    async with load_database(options) as loaded:
        before = await snapshot(loaded.url)
        with tempfile.TemporaryDirectory(prefix="leadflow-load-") as tmp:
            if options.urls:
                record, restart, elapsed = await drive(options.urls, loaded, options)
            else:
                with instances(loaded.url, options, Path(tmp)) as running:
                    async with httpx.AsyncClient(timeout=10) as client:
                        for server in running:
                            await wait_ready(client, server)
                    urls = [f"http://{HOST}:{server.port}" for server in running]
                    record, restart, elapsed = await drive(urls, loaded, options)
                    logs = {
                        server.name: server.log_path.read_text(errors="replace")
                        for server in running
                    }
                    if options.logs:
                        options.logs.mkdir(parents=True, exist_ok=True)
                        for name, text in logs.items():
                            (options.logs / f"{name}.log").write_text(text)
        with console.status("Consistency check…"):
            checks = await consistency(loaded.url, before, record)
        report(record, restart, elapsed, checks, options, loaded)
        if not options.urls:
            report_logs(logs)


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(
    record: Record,
    restart: Restart | None,
    elapsed: float,
    checks: list[Check],
    options: Options,
    loaded: scale_data.Loaded,
) -> None:
    total = sum(record.ok.values())
    console.print(
        f"{options.instances if not options.urls else len(options.urls)} instance(s), "
        f"{options.concurrency} sessions, {loaded.leads:,} leads: {total:,} operations "
        f"answered in {elapsed:.1f} s = {total / elapsed:.0f} per second "
        f"({len(record.attempts):,} attempts, {record.retried_ok} answered after a retry, "
        f"{record.replayed} of them replayed from the idempotency key)"
    )
    table = Table(
        title="Operations (latency of the user action, retries included)", title_justify="left"
    )
    for column in ("operation", "answered", "gave up", "p50 ms", "p99 ms", "user errors"):
        table.add_column(column, justify="left" if column == "operation" else "right")
    for op in [*CLERK_OPS, *MANAGER_OPS]:
        times = record.operations.get(op, [])
        errors = ", ".join(f"{code} {n}" for (o, code), n in record.user_errors.items() if o == op)
        table.add_row(
            op,
            str(record.ok[op]),
            str(record.gave_up[op]),
            f"{statistics.median(times):.1f}" if times else "-",
            f"{_p(times, 0.99):.1f}" if times else "-",
            errors or "-",
        )
    console.print(table)
    failures = Counter[str]()
    for (_, kind), count in record.failures.items():
        failures[kind] += count
    console.print(f"Failed attempts by kind: {dict(failures) or 'none'}")
    if record.failures:
        by_op = ", ".join(f"{op} {kind}: {n}" for (op, kind), n in sorted(record.failures.items()))
        console.print(f"  by operation: {by_op}")
    http_500 = failures.get("HTTP 500", 0)
    console.print(f"HTTP 500: {http_500}")
    if restart is not None:
        report_restart(record, restart)
    table = Table(title="Consistency check (SQL, after the run)", title_justify="left")
    for column in ("check", "problems", "detail"):
        table.add_column(column, justify="left" if column != "problems" else "right")
    for check in checks:
        table.add_row(check.name, str(check.problems), check.detail)
    console.print(table)
    console.print(
        "Consistent: "
        + ("yes" if all(c.passed for c in checks) else "NO")
        + f"; HTTP 500: {http_500}"
    )


EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit))\b", re.MULTILINE)


def report_logs(logs: dict[str, str]) -> None:
    """The tracebacks in the instances' logs, by the exception that ended each."""
    for name, log in logs.items():
        exceptions = Counter(EXCEPTION_LINE.findall(log))
        console.print(
            f"{name}'s log: {log.count('Traceback')} tracebacks"
            + (f"; exceptions {dict(exceptions.most_common(4))}" if exceptions else "")
        )


def report_restart(record: Record, restart: Restart) -> None:
    console.print(f"Fault: {restart.output}; it took {restart.ended - restart.began:.2f} s")
    during = [a for a in record.attempts if a.ended >= restart.began]
    kinds = Counter(a.failure for a in during if a.failure)
    console.print(f"Failed attempts from the restart on, by kind: {dict(kinds) or 'none'}")
    for instance in sorted({a.instance for a in record.attempts}):
        mine = sorted((a for a in during if a.instance == instance), key=lambda a: a.began)
        first_failure = next((a for a in mine if a.failure), None)
        if first_failure is None:
            console.print(f"  instance {instance + 1}: no failed attempt")
            continue
        recovered = next(
            (a for a in mine if not a.failure and a.began >= first_failure.ended), None
        )
        failed = sum(1 for a in mine if a.failure)
        if recovered is None:
            console.print(f"  instance {instance + 1}: {failed} failed attempts, never recovered")
            continue
        console.print(
            f"  instance {instance + 1}: {failed} failed attempts; first failure "
            f"{first_failure.ended - restart.began:+.2f} s after the fault began, first success "
            f"{recovered.ended - first_failure.ended:.2f} s after it, "
            f"{recovered.ended - restart.ended:+.2f} s after the fault's command returned"
        )


def parse_options(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--postgres",
        metavar="URL",
        default=os.environ.get("LEADFLOW_BENCH_POSTGRES_URL"),
        help="PostgreSQL admin URL: a scratch database is loaded there and "
        "dropped afterwards (default: LEADFLOW_BENCH_POSTGRES_URL)",
    )
    parser.add_argument(
        "--database", metavar="URL", help="a database loaded by bench/scale.py --keep instead"
    )
    parser.add_argument(
        "--urls", default="", help="comma-separated running instances (needs --database)"
    )
    parser.add_argument(
        "--leads", type=bounded(int, 10_000, 10_000_000), default=100_000, help="(100000)"
    )
    parser.add_argument("--instances", type=bounded(int, 1, 8), default=2, help="(2)")
    parser.add_argument(
        "--workers",
        type=bounded(int, 1, 16),
        default=None,
        help="`leadflow serve --workers N` per instance (default: not passed)",
    )
    parser.add_argument(
        "--concurrency",
        type=bounded(int, 3, 256),
        default=16,
        help="sessions: a quarter managers (at least 2), the rest clerks (16)",
    )
    parser.add_argument(
        "--duration", type=bounded(float, 1, 3600), default=60.0, help="seconds (60)"
    )
    parser.add_argument(
        "--max-operations",
        type=bounded(int, 1, 10_000_000),
        default=100_000,
        help="user actions in all (100000)",
    )
    parser.add_argument(
        "--retries", type=bounded(int, 0, 50), default=8, help="per user action (8)"
    )
    parser.add_argument(
        "--restart-postgres",
        action="store_true",
        help="restart the machine's PostgreSQL cluster mid-run",
    )
    parser.add_argument(
        "--terminate-connections",
        action="store_true",
        help="instead: end the instances' connections to the run's database mid-run",
    )
    parser.add_argument(
        "--restart-at",
        type=bounded(float, 0, 3600),
        default=None,
        help="seconds into the run (default: a third of --duration)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--logs", type=Path, default=None, help="copy the instances' logs here")
    args = parser.parse_args(argv)
    urls = [url.strip().rstrip("/") for url in args.urls.split(",") if url.strip()]
    if urls and not args.database:
        parser.error("--urls needs --database (the instances' database, for the check)")
    if not args.postgres and not args.database:
        parser.error("give --postgres URL (or LEADFLOW_BENCH_POSTGRES_URL) or --database URL")
    return Options(
        args.postgres,
        args.database,
        urls,
        args.leads,
        args.instances,
        args.workers,
        args.concurrency,
        args.duration,
        args.max_operations,
        args.retries,
        args.restart_postgres,
        args.terminate_connections,
        args.restart_at,
        args.seed,
        args.logs,
    )


def main() -> None:
    options = parse_options()
    stop_on_sigterm()
    try:
        asyncio.run(run(options))
    except (BenchError, OSError, asyncpg.PostgresError, BaseORMException) as error:
        console.print(f"bench: {error}", style="red", markup=False, highlight=False)
        sys.exit(1)
    except KeyboardInterrupt:
        console.print("bench: interrupted; instances stopped, database removed", style="red")
        sys.exit(130)


if __name__ == "__main__":
    main()
