"""Leadflow with a million leads on PostgreSQL, over HTTP, against raw SQL of the same result
(a benchmark, not a timed test).

It creates a scratch database on the given PostgreSQL server, migrates it and loads N leads
(1,000,000 by default) with COPY (bench/scale_data.py says what they look like). Then it starts
the app as deployed (`python -m leadflow.cli serve`, `--instances` of them, each asked directly
in turn) and bench/raw_sql.py (a bare Starlette endpoint running the given statements with
asyncpg, no ORM, no GraphQL, no authentication), and measures each case: a warm-up, then R
requests each way, interleaved in rounds; median and p95 at the client.

The cases are the web app's own GraphQL documents (frontend/src/gql/gql.ts, bench/spa_documents.py)
with the variables the SPA sends:

- `assignLeads` of 1,000 NEW leads (each repetition a fresh 1,000, the newest NEW ones, as a
  manager takes them from the NEW tab); measured first, so the reads after it see a database
  after a burst of assignments;
- the leads overview's NEW, ACTIVE and DONE tabs: the first page (25, NEWEST) with totalCount;
- a name search ("müller"), an email fragment ("a.krueger"), a phone fragment ("0511 123") on
  the NEW tab;
- `leadCounts` (the tabs' counts);
- `myTasks` (NEXT_DUE, with `myTaskCounts`, as the SPA asks) of the clerk with 20,000 open leads
  (at 1M; scaled with --leads);
- `campaigns` with stats, imports, distribution and retention (first: 20, all campaigns).

Each raw case is plain SQL over the base tables giving the same rows and figures (checked on the
first answer: the page's lead ids and the counts; a difference is printed, not fatal). Where
Leadflow reads maintained counters or rollups, the raw column is therefore not a floor but what
the counters save.

    .venv/bin/python bench/scale.py --postgres postgres://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/scale.py --leads 100000 --requests 20      # while developing
    .venv/bin/python bench/scale.py --keep ...  ;  bench/scale.py --database URL_OF_KEPT_DB

See bench/README.md ("scale.py") for the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
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
from leadflow.services.due import Today
from leadflow.services.lead_search import search_terms
from leads_page import BENCH_DIR, HOST, BenchError, Server, asyncpg_dsn, bounded, free_port
from spa_documents import document

PAGE_SIZE = 25  # the leads overview's and the task list's page (frontend/src/screens)
CAMPAIGN_PAGE = 20  # all campaigns (the SPA's page is 10)
ASSIGN_BATCH = 1_000
GOAL_MS = 50.0
ASSIGN_GOAL_MS = 150.0
ROUNDS = 5
SERVER_START_SECONDS = 120
REQUEST_TIMEOUT_SECONDS = 60
SEARCH_NAME, SEARCH_EMAIL, SEARCH_PHONE = "müller", "a.krueger", "0511 123"

console = Console(width=int(os.environ.get("COLUMNS", "0")) or 150)

# --- Raw SQL of the same results ---------------------------------------------------------------

STATUS_CONDITION = {
    "NEW": "l.assignee_id IS NULL AND l.closed_at IS NULL",
    "ACTIVE": "l.assignee_id IS NOT NULL AND l.closed_at IS NULL",
    "DONE": "l.closed_at IS NOT NULL",
}
# LeadsPage: OverviewRow_lead (LeadRow_lead, ClosedLead_lead, waitingSince; on the ACTIVE tab
# dueState and nextActivity), newest first, one row more than the page for hasNextPage.
OVERVIEW_PAGE = (
    "SELECT l.id, l.created_at, c.first_name, c.last_name, c.company, c.opted_out, c.erased_at, "
    "k.id, k.name, u.id, u.name, l.outcome, l.close_reason, l.closed_at, l.waiting_since{extra} "
    "FROM leads AS l JOIN contacts AS c ON c.id = l.contact_id "
    "JOIN campaigns AS k ON k.id = l.campaign_id LEFT JOIN users AS u ON u.id = l.assignee_id"
    "{join} WHERE {where} ORDER BY l.created_at DESC, l.id DESC LIMIT {limit}"
)
NEXT_ACTIVITY = (
    " LEFT JOIN activities AS a ON a.id = (SELECT n.id FROM activities AS n "
    "WHERE n.lead_id = l.id AND n.done_at IS NULL ORDER BY n.due_at, n.id LIMIT 1)"
)
COUNT = "SELECT count(*) FROM leads AS l WHERE {where}"
LEAD_COUNTS = (
    "SELECT count(*) FILTER (WHERE closed_at IS NULL AND assignee_id IS NULL), "
    "count(*) FILTER (WHERE closed_at IS NULL AND assignee_id IS NOT NULL), "
    "count(*) FILTER (WHERE closed_at IS NOT NULL) FROM leads"
)
# MyTasks: TaskRow_lead of the clerk's open leads by NEXT_DUE (due first, then waiting longest,
# the id last; PostgreSQL sorts NULL last), and myTaskCounts with the count.
TASKS_PAGE = (
    "SELECT l.id, l.created_at, l.assigned_at, l.waiting_since, l.next_due_at, c.first_name, "
    "c.last_name, c.company, c.opted_out, c.erased_at, c.phone, k.id, k.name, a.id, a.kind, "
    "a.due_at, a.note FROM leads AS l JOIN contacts AS c ON c.id = l.contact_id "
    "JOIN campaigns AS k ON k.id = l.campaign_id" + NEXT_ACTIVITY + " "
    "WHERE l.assignee_id = $1 AND l.closed_at IS NULL "
    "ORDER BY l.next_due_at, l.waiting_since, l.id LIMIT $2"
)
TASK_COUNTS = (
    "SELECT count(*), count(*) FILTER (WHERE next_due_at < $1::text::timestamptz), "
    "count(*) FILTER (WHERE next_due_at >= $2::text::timestamptz "
    "AND next_due_at < $3::text::timestamptz), "
    "count(*) FILTER (WHERE next_due_at >= $4::text::timestamptz), "
    "count(*) FILTER (WHERE next_due_at IS NULL) "
    "FROM leads WHERE assignee_id = $5 AND closed_at IS NULL"
)
# Campaigns: the page (newest first), each campaign's stats over its leads, its five latest
# imports with their creator, and its distribution's clerks.
CAMPAIGN_PAGE_SQL = (
    "SELECT k.id, k.name, k.retention_days, d.strategy, d.automatic, d.clerk_ids, "
    "(SELECT count(*) FROM campaigns) FROM campaigns AS k "
    "LEFT JOIN campaign_distributions AS d ON d.campaign_id = k.id ORDER BY k.id DESC LIMIT $1"
)
CAMPAIGN_STATS = (
    "SELECT campaign_id, count(*), "
    "count(*) FILTER (WHERE closed_at IS NULL AND assignee_id IS NULL), "
    "count(*) FILTER (WHERE closed_at IS NULL AND assignee_id IS NOT NULL), "
    "count(*) FILTER (WHERE closed_at IS NOT NULL), "
    "count(*) FILTER (WHERE outcome = 'SUCCESSFUL'), "
    "count(*) FILTER (WHERE outcome = 'UNSUCCESSFUL') "
    "FROM leads WHERE campaign_id = ANY($1::int[]) GROUP BY campaign_id"
)
CAMPAIGN_IMPORTS = (
    "SELECT i.* FROM unnest($1::int[]) AS k(id) CROSS JOIN LATERAL (SELECT i.id, i.campaign_id, "
    "i.file_name, i.status, i.started_at, i.rows_processed, i.leads_created, "
    "i.duplicates_skipped, i.rows_rejected, i.empty_rows, u.id AS user_id, u.name "
    "FROM lead_imports AS i LEFT JOIN users AS u ON u.id = i.created_by_id "
    "WHERE i.campaign_id = k.id ORDER BY i.id DESC LIMIT 5) AS i"
)
# assignLeads: the same writes in one transaction: the leads locked in id order, one guarded
# UPDATE with every column, the history rows and the outbox events in one INSERT each.
ASSIGN_LOCK = "SELECT id FROM leads WHERE id = ANY($1::int[]) ORDER BY id FOR UPDATE"
ASSIGN_UPDATE = (
    "UPDATE leads SET assignee_id = $2, assigned_at = now(), waiting_since = now(), "
    "first_assigned_at = COALESCE(first_assigned_at, now()), assignment_reason = 'manuell' "
    "WHERE id = ANY($1::int[]) AND assignee_id IS NULL AND closed_at IS NULL "
    "RETURNING id, campaign_id"
)
ASSIGN_EVENTS = (
    "INSERT INTO lead_events (lead_id, kind, actor_id, assignee_id, note, at) "
    "SELECT id, 'ASSIGNED', $3, $2, '', now() FROM unnest($1::int[]) AS ids(id)"
)
ASSIGN_OUTBOX = (
    "INSERT INTO outbox_events (topic, lead_id, campaign_id, user_ids, payload, created_at) "
    "SELECT 'lead.assigned', l.id, l.campaign_id, jsonb_build_array($2::int), "
    "jsonb_build_object('leadId', l.id, 'campaignId', l.campaign_id, 'assigneeId', $2::int), "
    "now() FROM leads AS l WHERE l.id = ANY($1::int[])"
)


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_condition(search: str, args: list[Any]) -> str:
    """The leads whose contact matches the search (the rule of services/lead_search.py: every
    term; a term's words each in a name, the company or the email, or its phone fragment in
    the phone's digits), as a condition on `l`, spelled as migration 0019's trigram indexes
    hold the expressions; its parameters are appended to `args`."""

    def parameter(value: str) -> str:
        args.append(value)
        return f"${len(args)}"

    columns = ("first_name", "last_name", "company", "email_key")
    conditions = []
    for term in search_terms(search):
        words = []
        for word in term.words:
            like = parameter(_like(word))
            words.append(
                "("
                + " OR ".join(
                    f"UPPER(CAST(c.{column} AS VARCHAR)) LIKE UPPER({like})" for column in columns
                )
                + ")"
            )
        matches = [" AND ".join(words)]
        if term.phone is not None:
            matches += [
                f"CAST(c.phone_key AS VARCHAR) LIKE {parameter(f'%{digits}%')}"
                for digits in term.phone.contained
            ]
            matches += [
                f"CAST(c.phone_key AS VARCHAR) LIKE {parameter(f'{prefix}%')}"
                for prefix in term.phone.prefixes
            ]
        conditions.append("(" + " OR ".join(f"({m})" for m in matches) + ")")
    return f"l.contact_id IN (SELECT c.id FROM contacts AS c WHERE {' AND '.join(conditions)})"


def overview_statements(status: str, search: str | None) -> list[list[Any]]:
    args: list[Any] = []
    where = STATUS_CONDITION[status]
    if search:
        where += " AND " + search_condition(search, args)
    active = status == "ACTIVE"
    page = OVERVIEW_PAGE.format(
        extra=", l.next_due_at, a.id, a.due_at" if active else "",
        join=NEXT_ACTIVITY if active else "",
        where=where,
        limit=PAGE_SIZE + 1,
    )
    return [[page, args], [COUNT.format(where=where), args]]


# --- Cases ------------------------------------------------------------------------------------


@dataclass
class Request:
    """One repetition of a case: the GraphQL request and the raw statements."""

    query: str
    variables: dict[str, Any]
    token: str
    statements: list[list[Any]]
    transaction: bool = False


@dataclass
class Case:
    label: str
    goal_ms: float
    # The n-th repetition's request (warm-ups included): assignLeads takes fresh leads each time.
    request: Callable[[int], Request]
    # What to compare on the first answers: (GraphQL data, raw results) -> note ("" if equal).
    check: Callable[[dict[str, Any], list[Any]], str]
    app_ms: list[float] = field(default_factory=list)
    raw_ms: list[float] = field(default_factory=list)
    per_instance: dict[int, list[float]] = field(default_factory=dict)
    note: str = ""
    failure: str = ""
    key: str = ""  # its name for --cases (CASE_KEYS)


# The cases in their order, as --cases names them.
CASE_KEYS = (
    "assign",
    "new",
    "active",
    "done",
    "search-name",
    "search-email",
    "search-phone",
    "counts",
    "tasks",
    "campaigns",
)


def lead_pk(global_id: str) -> int:
    kind, _, pk = base64.b64decode(global_id).decode().partition(":")
    if kind != "Lead":
        raise BenchError(f"not a lead id: {global_id}")
    return int(pk)


def global_id(kind: str, pk: int) -> str:
    return base64.b64encode(f"{kind}:{pk}".encode()).decode()


def check_page(
    connection_name: str, count_index: int
) -> Callable[[dict[str, Any], list[Any]], str]:
    """The page's lead ids and totalCount against the raw page and count."""

    def check(data: dict[str, Any], raw: list[Any]) -> str:
        connection = data[connection_name]
        ids = [lead_pk(edge["node"]["id"]) for edge in connection["edges"]]
        raw_ids = [row[0] for row in raw[0][:PAGE_SIZE]]
        raw_total = raw[count_index][0][0]
        problems = []
        if ids != raw_ids:
            problems.append(f"page differs from raw ({len(ids)} vs {len(raw_ids)} rows)")
        if connection["totalCount"] != raw_total:
            problems.append(f"totalCount {connection['totalCount']:,} vs raw {raw_total:,}")
        return "; ".join(problems) or f"totalCount {raw_total:,}"

    return check


def check_counts(data: dict[str, Any], raw: list[Any]) -> str:
    counts = data["leadCounts"]
    ours = (counts["new"], counts["active"], counts["done"])
    theirs = tuple(raw[0][0])
    return f"{ours} vs raw {theirs}" if ours != theirs else f"new/active/done {ours}"


def check_tasks(data: dict[str, Any], raw: list[Any]) -> str:
    note = check_page("myTasks", 1)(data, raw)
    counts = data["myTaskCounts"]
    ours = (counts["overdue"], counts["today"], counts["upcoming"], counts["none"])
    theirs = tuple(raw[1][0][1:])
    return note + (f"; myTaskCounts {ours} vs raw {theirs}" if ours != theirs else "")


def check_campaigns(data: dict[str, Any], raw: list[Any]) -> str:
    edges = data["campaigns"]["edges"]
    by_campaign = {row[0]: row[1:] for row in raw[1]}
    problems = []
    for edge in edges:
        pk = int(base64.b64decode(edge["node"]["id"]).decode().partition(":")[2])
        stats = edge["node"]["stats"]
        ours = tuple(
            stats[k] for k in ("total", "new", "active", "done", "successful", "unsuccessful")
        )
        if ours != tuple(by_campaign.get(pk, (0,) * 6)):
            problems.append(f"campaign {pk}: {ours} vs raw {by_campaign.get(pk)}")
    if [row[0] for row in raw[0]] != [
        int(base64.b64decode(e["node"]["id"]).decode().partition(":")[2]) for e in edges
    ]:
        problems.append("campaign page differs")
    return "; ".join(problems[:2]) or f"{len(edges)} campaigns, stats equal"


def check_assigned(data: dict[str, Any], raw: list[Any]) -> str:
    payload = data["assignLeads"]
    if payload["userErrors"]:
        return f"userErrors: {payload['userErrors'][:1]}"
    statuses = {lead["status"] for lead in payload["leads"]}
    updated = len(raw[1])
    if statuses != {"ACTIVE"} or len(payload["leads"]) != ASSIGN_BATCH or updated != ASSIGN_BATCH:
        return f"assigned {len(payload['leads'])} ({statuses}), raw updated {updated}"
    return f"{ASSIGN_BATCH:,} leads each way and repetition"


@dataclass(frozen=True)
class Tokens:
    manager: str
    clerk: str


def build_cases(
    loaded: scale_data.Loaded, tokens: Tokens, new_ids: list[int], repetitions: int
) -> list[Case]:
    people = loaded.people
    pages = document("LeadsPage")
    every_filter = {
        "campaignId": None,
        "assigneeId": None,
        "outcome": None,
        "closeReason": None,
        "due": None,
    }

    def overview(status: str, search: str | None = None) -> Callable[[int], Request]:
        variables = {
            "filter": {**every_filter, "status": status, "search": search},
            "orderBy": "NEWEST",
            "first": PAGE_SIZE,
            "after": None,
            "active": status == "ACTIVE",
        }
        statements = overview_statements(status, search)
        return lambda n: Request(pages, variables, tokens.manager, statements)

    # assignLeads: the chunks of the newest NEW leads, the app's and raw's alternately.
    clerks = [clerk for clerk in people.clerk_ids if clerk != people.measured_clerk_id]

    def chunk(n: int, way: int) -> list[int]:
        start = (2 * n + way) * ASSIGN_BATCH
        return new_ids[start : start + ASSIGN_BATCH]

    def assign(n: int) -> Request:
        clerk = clerks[n % len(clerks)]
        ids = chunk(n, 1)
        return Request(
            document("AssignLeads"),
            {
                "input": {
                    "leadIds": [global_id("Lead", pk) for pk in chunk(n, 0)],
                    "assigneeId": global_id("User", clerk),
                }
            },
            tokens.manager,
            [
                [ASSIGN_LOCK, [ids]],
                [ASSIGN_UPDATE, [ids, clerk]],
                [ASSIGN_EVENTS, [ids, clerk, people.manager_id]],
                [ASSIGN_OUTBOX, [ids, clerk]],
            ],
            transaction=True,
        )

    today = Today.in_zone()
    bounds = [
        today.starts.isoformat(),
        today.starts.isoformat(),
        today.ends.isoformat(),
        today.ends.isoformat(),
    ]
    clerk = people.measured_clerk_id
    tasks = Request(
        document("MyTasks"),
        {
            "filter": {"due": None, "campaignId": None, "search": None},
            "orderBy": "NEXT_DUE",
            "first": PAGE_SIZE,
            "after": None,
        },
        tokens.clerk,
        [[TASKS_PAGE, [clerk, PAGE_SIZE + 1]], [TASK_COUNTS, [*bounds, clerk]]],
    )
    campaign_ids = sorted(people.campaign_ids, reverse=True)[:CAMPAIGN_PAGE]
    campaigns = Request(
        document("Campaigns"),
        {"first": CAMPAIGN_PAGE, "after": None},
        tokens.manager,
        [
            [CAMPAIGN_PAGE_SQL, [CAMPAIGN_PAGE + 1]],
            [CAMPAIGN_STATS, [campaign_ids]],
            [CAMPAIGN_IMPORTS, [campaign_ids]],
        ],
    )
    counts = Request(
        document("LeadCounts"),
        {"filter": {"campaignId": None, "search": None, "assigneeId": None}},
        tokens.manager,
        [[LEAD_COUNTS, []]],
    )
    open_leads = loaded.open_by_clerk.get(clerk, 0)
    cases = [
        Case(f"assignLeads of {ASSIGN_BATCH:,} NEW leads", ASSIGN_GOAL_MS, assign, check_assigned),
        Case("NEW tab, first page + totalCount", GOAL_MS, overview("NEW"), check_page("leads", 1)),
        Case(
            "ACTIVE tab, first page + totalCount",
            GOAL_MS,
            overview("ACTIVE"),
            check_page("leads", 1),
        ),
        Case(
            "DONE tab, first page + totalCount", GOAL_MS, overview("DONE"), check_page("leads", 1)
        ),
        Case(
            f'search "{SEARCH_NAME}" (NEW tab)',
            GOAL_MS,
            overview("NEW", SEARCH_NAME),
            check_page("leads", 1),
        ),
        Case(
            f'search "{SEARCH_EMAIL}" (email, NEW tab)',
            GOAL_MS,
            overview("NEW", SEARCH_EMAIL),
            check_page("leads", 1),
        ),
        Case(
            f'search "{SEARCH_PHONE}" (phone, NEW tab)',
            GOAL_MS,
            overview("NEW", SEARCH_PHONE),
            check_page("leads", 1),
        ),
        Case("leadCounts", GOAL_MS, lambda n: counts, check_counts),
        Case(
            f"myTasks + myTaskCounts, clerk with {open_leads:,} open",
            GOAL_MS,
            lambda n: tasks,
            check_tasks,
        ),
        Case(
            f"campaigns (first {CAMPAIGN_PAGE}) with stats",
            GOAL_MS,
            lambda n: campaigns,
            check_campaigns,
        ),
    ]
    if len(new_ids) < 2 * repetitions * ASSIGN_BATCH:
        cases[0].label += f" ({len(new_ids) // (2 * ASSIGN_BATCH)} repetitions: NEW leads)"
    for case, key in zip(cases, CASE_KEYS, strict=True):
        case.key = key
    return cases


# --- Servers ----------------------------------------------------------------------------------


@contextmanager
def started(
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
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def app_argv(port: int, workers: int | None) -> list[str]:
    argv = [sys.executable, "-m", "leadflow.cli", "serve", "--host", HOST, "--port", str(port)]
    return argv + (["--workers", str(workers)] if workers else [])


def raw_argv(port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "raw_sql:create_app",
        "--app-dir",
        str(BENCH_DIR),
        "--host",
        HOST,
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]


@contextmanager
def servers(url: str, instances: int, workers: int | None, tmp: Path) -> Iterator[list[Server]]:
    """The app `instances` times and the raw endpoint last."""
    env = {**os.environ, "LEADFLOW_DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}
    with ExitStack() as stack:
        running = []
        for n in range(instances):
            port = free_port()
            running.append(
                stack.enter_context(
                    started(f"leadflow{n + 1}", app_argv(port, workers), port, env, tmp)
                )
            )
        port = free_port()
        running.append(stack.enter_context(started("raw-sql", raw_argv(port), port, env, tmp)))
        yield running


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
        await asyncio.sleep(0.2)
    raise BenchError(f"{server.name} not ready after {SERVER_START_SECONDS}s:\n{server.log_tail()}")


# --- Measuring --------------------------------------------------------------------------------


async def ask_app(client: httpx.AsyncClient, server: Server, request: Request) -> dict[str, Any]:
    response = await client.post(
        server.url("/graphql"),
        content=json.dumps({"query": request.query, "variables": request.variables}),
        headers={"content-type": "application/json", "authorization": f"Bearer {request.token}"},
    )
    body = (
        response.json()
        if response.headers.get("content-type", "").startswith("application/json")
        else {}
    )
    if response.status_code != 200 or body.get("errors") or "data" not in body:
        raise BenchError(f"HTTP {response.status_code}: {response.text[:300]}")
    data: dict[str, Any] = body["data"]
    return data


async def ask_raw(client: httpx.AsyncClient, server: Server, request: Request) -> list[Any]:
    body = {"statements": request.statements, "transaction": request.transaction}
    response = await client.post(
        server.url("/sql"), content=json.dumps(body), headers={"content-type": "application/json"}
    )
    if response.status_code != 200:
        raise BenchError(f"raw SQL: HTTP {response.status_code}: {response.text[:300]}")
    results: list[Any] = response.json()["results"]
    return results


async def run_case(
    client: httpx.AsyncClient,
    apps: list[Server],
    raw: Server,
    case: Case,
    warmup: int,
    repetitions: int,
    max_seconds: float,
) -> None:
    """Warm-up, a check of the first answers, then the repetitions in rounds: the app's
    share of a round, then raw's, so that a drift of the machine affects both alike. Each
    request goes to the next app instance."""
    n = 0
    first = case.request(0)
    data, results = await ask_app(client, apps[0], first), await ask_raw(client, raw, first)
    case.note = case.check(data, results)
    n += 1
    for _ in range(warmup - 1):
        request = case.request(n)
        await ask_app(client, apps[n % len(apps)], request)
        await ask_raw(client, raw, request)
        n += 1
    deadline = perf_counter() + max_seconds
    rounds = min(ROUNDS, repetitions)
    for size in [repetitions // rounds + (r < repetitions % rounds) for r in range(rounds)]:
        requests = [case.request(n + i) for i in range(size)]
        for offset, request in enumerate(requests):
            if perf_counter() > deadline and offset:
                requests = requests[:offset]
                break
            instance = (n + offset) % len(apps)
            began = perf_counter()
            await ask_app(client, apps[instance], request)
            elapsed = (perf_counter() - began) * 1000
            case.app_ms.append(elapsed)
            case.per_instance.setdefault(instance, []).append(elapsed)
        for request in requests:
            began = perf_counter()
            await ask_raw(client, raw, request)
            case.raw_ms.append((perf_counter() - began) * 1000)
        n += size
        if perf_counter() > deadline:
            break


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def results_table(cases: list[Case], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    for column in (
        "case",
        "Leadflow median",
        "p95",
        "raw SQL median",
        "p95",
        "x raw",
        "goal",
        "met",
    ):
        table.add_column(column, justify="left" if column == "case" else "right", no_wrap=True)
    for case in cases:
        if case.failure or not case.app_ms:
            table.add_row(case.label, "failed", "", "", "", "", f"< {case.goal_ms:g} ms", "?")
            continue
        median, raw_median = statistics.median(case.app_ms), statistics.median(case.raw_ms)
        table.add_row(
            case.label,
            f"{median:.1f} ms",
            f"{p95(case.app_ms):.1f}",
            f"{raw_median:.1f} ms",
            f"{p95(case.raw_ms):.1f}",
            f"{median / raw_median:.1f}x",
            f"< {case.goal_ms:g} ms",
            "yes" if median < case.goal_ms else "NO",
        )
    return table


async def newest_new_leads(url: str, count: int) -> list[int]:
    """At most `count` of the newest NEW leads, and at most half of them (the NEW tab stays
    filled at small sizes)."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        rows = await connection.fetch(
            "SELECT id FROM leads WHERE assignee_id IS NULL AND closed_at IS NULL "
            "ORDER BY created_at DESC, id DESC LIMIT least($1, (SELECT count(*) / 2 FROM leads "
            "WHERE assignee_id IS NULL AND closed_at IS NULL))",
            count,
        )
    finally:
        await connection.close()
    return [row[0] for row in rows]


# --- Main -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    postgres_url: str | None
    database_url: str | None
    leads: int
    requests: int
    warmup: int
    instances: int
    workers: int | None
    keep: bool
    max_seconds: float
    cases: tuple[str, ...] = CASE_KEYS


@asynccontextmanager
async def bench_database(options: Options) -> AsyncIterator[scale_data.Loaded]:
    if options.database_url:
        yield await scale_data.loaded(options.database_url)
        return
    assert options.postgres_url is not None
    async with scale_data.scratch_database(
        options.postgres_url, "leadflow_bench_scale", options.keep
    ) as url:
        with console.status(f"Migrating and loading {options.leads:,} leads…") as status:
            loaded = await scale_data.load(url, options.leads, progress=status.update)
        console.print(f"Loaded {options.leads:,} leads in {loaded.seconds:.0f} s ({url})")
        yield loaded
        if options.keep:
            console.print(f"Kept the database: {url} (drop it when done)")


async def run(options: Options) -> None:
    async with bench_database(options) as loaded:
        people = loaded.people
        secrets = await scale_data.tokens_for(
            loaded.url, [people.manager_id, people.measured_clerk_id]
        )
        tokens = Tokens(secrets[people.manager_id], secrets[people.measured_clerk_id])
        assign_runs = options.warmup + options.requests
        new_ids = await newest_new_leads(loaded.url, 2 * assign_runs * ASSIGN_BATCH)
        cases = [
            case
            for case in build_cases(loaded, tokens, new_ids, assign_runs)
            if case.key in options.cases
        ]
        with (
            tempfile.TemporaryDirectory(prefix="leadflow-scale-") as tmp,
            servers(loaded.url, options.instances, options.workers, Path(tmp)) as running,
        ):
            await measure_all(running, cases, len(new_ids), options)
        report(cases, loaded, options)


async def measure_all(
    running: list[Server], cases: list[Case], new_leads: int, options: Options
) -> None:
    *apps, raw = running
    limits = httpx.Limits(max_connections=4)
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT_SECONDS, limits=limits) as client:
        for server in running:
            await wait_ready(client, server)
        for case in cases:
            repetitions, warmup = options.requests, options.warmup
            if case.key == "assign":  # assignLeads: as many as there are NEW leads for
                available = new_leads // (2 * ASSIGN_BATCH)
                warmup = min(warmup, max(1, available // 4))
                repetitions = min(repetitions, available - warmup)
            with console.status(f"{case.label}…"):
                try:
                    await run_case(
                        client, apps, raw, case, warmup, repetitions, options.max_seconds
                    )
                except (BenchError, httpx.HTTPError) as error:
                    case.failure = str(error)
            console.print(
                f"  {case.label}: {case.failure or case.note}", markup=False, highlight=False
            )


def report(cases: list[Case], loaded: scale_data.Loaded, options: Options) -> None:
    console.print(
        f"Python {platform.python_version()}; client, {options.instances} app instance(s), the "
        f"raw endpoint and PostgreSQL share {os.cpu_count()} CPUs"
    )
    title = (
        f"{loaded.leads:,} leads on PostgreSQL over HTTP: median and p95 of {options.requests} "
        f"requests per case and way (after {options.warmup} warm-up)"
    )
    console.print(results_table(cases, title))
    if options.instances > 1:
        for case in cases:
            if case.per_instance:
                medians = ", ".join(
                    f"#{n + 1} {statistics.median(v):.1f}"
                    for n, v in sorted(case.per_instance.items())
                )
                console.print(f"  {case.label}: per instance {medians} ms")
    met = sum(1 for c in cases if c.app_ms and statistics.median(c.app_ms) < c.goal_ms)
    console.print(f"Goals met: {met} of {len(cases)}")


def case_keys(text: str) -> tuple[str, ...]:
    """--cases: known names, at least one."""
    keys = tuple(key.strip() for key in text.split(",") if key.strip())
    unknown = [key for key in keys if key not in CASE_KEYS]
    if unknown or not keys:
        raise argparse.ArgumentTypeError(
            f"unknown case {', '.join(unknown) or '(none)'}; known: {', '.join(CASE_KEYS)}"
        )
    return keys


def parse_options(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--postgres",
        metavar="URL",
        default=os.environ.get("LEADFLOW_BENCH_POSTGRES_URL"),
        help="PostgreSQL admin URL; a scratch database is created there and dropped afterwards "
        "(default: LEADFLOW_BENCH_POSTGRES_URL)",
    )
    parser.add_argument(
        "--database", metavar="URL", help="measure a database kept by --keep instead of loading"
    )
    parser.add_argument(
        "--leads", type=bounded(int, 10_000, 10_000_000), default=1_000_000, help="(1000000)"
    )
    parser.add_argument(
        "--requests", type=bounded(int, 1, 10_000), default=30, help="per case and way (30)"
    )
    parser.add_argument("--warmup", type=bounded(int, 1, 1_000), default=3, help="(3)")
    parser.add_argument(
        "--instances", type=bounded(int, 1, 8), default=1, help="app processes, asked in turn (1)"
    )
    parser.add_argument(
        "--workers",
        type=bounded(int, 1, 16),
        default=None,
        help="`leadflow serve --workers N` for each instance (default: not passed)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the loaded database")
    parser.add_argument(
        "--max-seconds",
        type=bounded(float, 1, 3600),
        default=120.0,
        help="time limit per case for the measured repetitions (120)",
    )
    parser.add_argument(
        "--cases",
        type=case_keys,
        default=CASE_KEYS,
        help=f"comma-separated, of: {','.join(CASE_KEYS)} (all)",
    )
    args = parser.parse_args(argv)
    if not args.postgres and not args.database:
        parser.error("give --postgres URL (or LEADFLOW_BENCH_POSTGRES_URL) or --database URL")
    return Options(
        args.postgres,
        args.database,
        args.leads,
        args.requests,
        args.warmup,
        args.instances,
        args.workers,
        args.keep,
        args.max_seconds,
        args.cases,
    )


def main() -> None:
    options = parse_options()
    # SIGTERM like Ctrl-C: the servers are stopped and the database dropped.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        asyncio.run(run(options))
    except (BenchError, OSError, asyncpg.PostgresError, BaseORMException) as error:
        console.print(f"bench: {error}", style="red", markup=False, highlight=False)
        sys.exit(1)
    except KeyboardInterrupt:
        console.print("bench: interrupted; servers stopped, database removed", style="red")
        sys.exit(130)


if __name__ == "__main__":
    main()
