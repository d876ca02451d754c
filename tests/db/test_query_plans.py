"""Every list the app shows reads an index, checked by PostgreSQL's planner on a database with
enough rows to make it honest (200,000 leads, 100,000 contacts, ANALYZEd): each list, count
and search query, built by the services as the API builds it (first page and the page after),
is run under EXPLAIN (ANALYZE, FORMAT JSON). A query fails when its plan reads `leads` or
`contacts` sequentially, or when a page (LIMIT) reads more than `PAGE_ROWS_MAX` rows of `leads`
to find its rows (the NEW tab walking the primary key backwards past the distributed leads:
an index scan, but 20,000 rows read for 51).

The data has the issue's shape (issue 16): 30 % NEW, 40 % ACTIVE, 30 % DONE, the newest tenth
all distributed, 20 campaigns, 12 clerks with uneven loads, a partner's few leads. Row counts
are properties of the plan, not timings: the same data gives the same plan.

PostgreSQL (LEADFLOW_TEST_POSTGRES_URL): the module makes its own database (each xdist worker
its own name) and drops it afterwards. SQLite: the tabs' pages read an index in their order
(EXPLAIN QUERY PLAN on a migrated database; without statistics, as the app leaves SQLite).
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
import pytest_asyncio
from tortoise import connections
from tortoise.backends.base.executor import EXECUTOR_CACHE

from leadflow.api.pagination import fetch_ordered_page, fetch_page
from leadflow.api.rows import LEAD_COLUMNS, OPPORTUNITY_COLUMNS
from leadflow.db.enums import DueState, LeadStatus, Role
from leadflow.db.lifecycle import database, migrate
from leadflow.db.models import User
from leadflow.services import lead_lists, notifications, opportunities
from leadflow.services.bulk_intake import ContactMatcher
from leadflow.services.due import Today
from leadflow.services.keyset import Ordering
from leadflow.services.lead_lists import LeadFilter, LeadOrder, TaskFilter, TaskOrder
from leadflow.services.opportunities import OpportunityFilter
from leadflow.services.opportunity_orders import OpportunityOrder, opportunities_in_order
from leadflow.services.reports import aging
from leadflow.services.reports.aging import AgingKind

POSTGRES_URL = os.environ.get("LEADFLOW_TEST_POSTGRES_URL")
postgres_only = pytest.mark.skipif(POSTGRES_URL is None, reason="PostgreSQL only")

# Migration 0023's fill of `leads.search_text` (a module name no import statement can spell).
LEAD_SEARCH_FILL = importlib.import_module("leadflow.db.migrations.0023_lead_search_text").FILL

LEADS = 200_000
CONTACTS = 100_000
# At most this many rows of `leads` read (returned by the scans plus removed by their filters)
# for one page of at most 101 rows: an index in the list's order reads about the page.
PAGE_ROWS_MAX = 5_000
# The tables a plan must never read sequentially.
WATCHED = frozenset({"leads", "contacts"})

MANAGER, BUSY_CLERK, QUIET_CLERK, PARTNER = 13, 12, 2, 15

# Users 1-12 are clerks (clerk k holds about (2k-1)/144 of the assigned leads), 13-14 managers,
# 15 a partner. Contact i has no email when i % 5 = 1. Lead i, created i minutes after a start
# LEADS minutes ago, in campaign 1 + (i / 3) % 20: DONE when (7919 i) % 100 < 30, NEW when < 60
# unless it is among the newest tenth (those are distributed: ACTIVE), else ACTIVE. Half the
# ACTIVE ones have a next step, due -15 to +14 days from their creation + 15 days (overdue,
# today and upcoming all occur); every 1000th lead came from the partner. Foreign keys and
# triggers are off while loading (session_replication_role): the rows are consistent by
# construction, and the rollups and counters play no part in a plan.
SEED_SQL = f"""
SET session_replication_role = replica;
INSERT INTO users (id, email, name, role, active, created_at, email_notifications)
SELECT u, 'user' || u || '@example.com',
       CASE WHEN u <= 12 THEN 'Clerk ' WHEN u <= 14 THEN 'Manager ' ELSE 'Partner ' END || u,
       CASE WHEN u <= 12 THEN 'CLERK' WHEN u <= 14 THEN 'MANAGER' ELSE 'PARTNER' END,
       true, now(), true
FROM generate_series(1, 15) AS u;
INSERT INTO campaigns (id, name, description, created_at)
SELECT c, 'Campaign ' || c, '', now() FROM generate_series(1, 20) AS c;
INSERT INTO contacts (id, salutation, first_name, last_name, company, email, email_key, phone,
                      phone_key, street, postal_code, city, country, created_at, opted_out,
                      opted_out_note)
SELECT i, '', 'First' || (i % 997), 'Last' || (i % 4999),
       CASE WHEN i % 3 = 0 THEN '' ELSE 'Company ' || (i % 1999) END,
       CASE WHEN i % 5 <> 1 THEN 'person' || i || '@example.com' END,
       CASE WHEN i % 5 <> 1 THEN 'person' || i || '@example.com' END, '+49 511 ' || i,
       '+49511' || i, '', '', '', '', now() - ({CONTACTS} - i) * interval '1 minute', false, ''
FROM generate_series(1, {CONTACTS}) AS i;
INSERT INTO leads (id, contact_id, campaign_id, assignee_id, assigned_at, first_assigned_at,
                   waiting_since, next_due_at, outcome, close_reason, close_note, closed_at,
                   closed_by_id, created_by_id, created_at)
SELECT i, 1 + i % {CONTACTS}, 1 + (i / 3) % 20,
       CASE WHEN status <> 'NEW' THEN 1 + floor(sqrt(i % 144))::int END,
       CASE WHEN status <> 'NEW' THEN created + interval '1 hour' END,
       CASE WHEN status <> 'NEW' THEN created + interval '1 hour' END,
       CASE WHEN status = 'ACTIVE' THEN created + interval '1 hour' END,
       CASE WHEN status = 'ACTIVE' AND i % 2 = 0
            THEN created + (i % 30) * interval '1 day' - interval '15 days' END,
       CASE WHEN status = 'DONE' THEN
            CASE WHEN i % 2 = 0 THEN 'SUCCESSFUL' ELSE 'UNSUCCESSFUL' END END,
       CASE WHEN status = 'DONE' AND i % 2 = 1 THEN 'NOT_INTERESTED' END,
       '',
       CASE WHEN status = 'DONE' THEN created + interval '2 hours' END,
       CASE WHEN status = 'DONE' THEN 1 + floor(sqrt(i % 144))::int END,
       CASE WHEN i % 1000 = 0 THEN {PARTNER} END,
       created
FROM (
    SELECT i, now() - ({LEADS} - i) * interval '1 minute' AS created,
           CASE WHEN (i * 7919) % 100 < 30 THEN 'DONE'
                WHEN (i * 7919) % 100 < 60 AND i <= {LEADS * 9 // 10} THEN 'NEW'
                ELSE 'ACTIVE' END AS status
    FROM generate_series(1, {LEADS}) AS i
) AS generated;
SELECT setval('users_id_seq', 15), setval('campaigns_id_seq', 20),
       setval('contacts_id_seq', {CONTACTS}), setval('leads_id_seq', {LEADS});
"""


async def seed(url: str) -> None:
    """The rows above, then VACUUM ANALYZE (statistics and the visibility map autovacuum keeps
    in a real database: index-only scans count from it)."""
    connection = await asyncpg.connect(_dsn(url))
    try:
        await connection.execute(SEED_SQL)
        # The leads' copy of their contact's text, which 0023's trigger writes on insert (off
        # while loading): filled by the migration's own statement.
        await connection.execute(f"SET session_replication_role = replica; {LEAD_SEARCH_FILL}")
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


def _database_url(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def _dsn(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


@pytest_asyncio.fixture(scope="module")
async def planned_database() -> AsyncIterator[str]:
    """A migrated database of its own, with the rows above; its URL."""
    assert POSTGRES_URL is not None
    name = f"leadflow_plans_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(_dsn(POSTGRES_URL))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = _database_url(POSTGRES_URL, name)
    try:
        await migrate(url)
        await seed(url)
        yield url
    finally:
        admin = await asyncpg.connect(_dsn(POSTGRES_URL))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest_asyncio.fixture
async def planned(planned_database: str) -> AsyncIterator[Planner]:
    """The ORM on the planned database, and a planner that collects what each call runs."""
    EXECUTOR_CACHE.clear()  # statements cached for another test's database
    async with database(planned_database):
        yield Planner(
            manager=await User.get(id=MANAGER),
            busy_clerk=await User.get(id=BUSY_CLERK),
            quiet_clerk=await User.get(id=QUIET_CLERK),
            partner=await User.get(id=PARTNER),
        )
    EXECUTOR_CACHE.clear()


# --- Capturing the statements a service runs, and their plans ----------------------------------


class _Statements(logging.Handler):
    """The SQL statements (with their parameters) Tortoise sends, from its DEBUG log."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.sent: list[tuple[str, list[Any]]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not isinstance(record.args, tuple) or len(record.args) != 2:
            return
        query, values = record.args
        if isinstance(query, str) and query.lstrip().upper().startswith(("SELECT", "WITH")):
            self.sent.append((query, list(values or [])))


@contextmanager
def _captured() -> Iterator[_Statements]:
    logger = logging.getLogger("tortoise.db_client")
    handler, level = _Statements(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


@dataclass
class Finding:
    case: str
    problem: str
    plan: str

    def __str__(self) -> str:
        return f"{self.case}: {self.problem}\n{self.plan}"


@dataclass
class Planner:
    manager: User
    busy_clerk: User
    quiet_clerk: User
    partner: User
    findings: list[Finding] = field(default_factory=list)
    # What KNOWN_LIMITS says no index serves (test_the_known_limits lists them).
    known: list[Finding] = field(default_factory=list)
    checked: int = 0
    plans: list[str] = field(default_factory=list)  # every plan's outline

    async def check(
        self,
        case: str,
        call: Callable[[], Awaitable[Any]],
        *,
        page: bool = False,
        known: bool = False,
    ) -> Any:
        """Runs `call`, then EXPLAINs every statement it sent; returns what it returned. A
        `page` reads at most PAGE_ROWS_MAX rows of leads. A `known` case's findings go to
        `known`."""
        with _captured() as statements:
            result = await call()
        assert statements.sent, f"{case}: no statement captured"
        findings = self.known if known else self.findings
        for query, values in statements.sent:
            findings += await self._explain(case, query, values, page)
        return result

    async def _explain(self, case: str, query: str, values: list[Any], page: bool) -> list[Finding]:
        client = connections.get("default")
        rows = await client.execute_query_dict(
            f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, FORMAT JSON) {query}", values
        )
        plan = rows[0]["QUERY PLAN"]
        root = (plan if isinstance(plan, list) else json.loads(plan))[0]["Plan"]
        self.checked += 1
        nodes = list(_nodes(root))
        text = _outline(root)
        self.plans.append(text)
        found = [
            Finding(case, f"sequential scan of {node['Relation Name']}", text)
            for node in nodes
            if node["Node Type"] == "Seq Scan" and node.get("Relation Name") in WATCHED
        ]
        if page:
            read = sum(_rows_read(node) for node in nodes if node.get("Relation Name") == "leads")
            if read > PAGE_ROWS_MAX:
                found.append(Finding(case, f"{read} rows of leads read for a page", text))
        return found


def _nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


def _rows_read(node: dict[str, Any]) -> int:
    per_loop = (
        node.get("Actual Rows", 0)
        + node.get("Rows Removed by Filter", 0) / max(node.get("Actual Loops", 1), 1)
        + node.get("Rows Removed by Index Recheck", 0) / max(node.get("Actual Loops", 1), 1)
    )
    return int(per_loop * node.get("Actual Loops", 1))


def _outline(node: dict[str, Any], depth: int = 0) -> str:
    """The plan as indented lines: node type, relation, index, rows."""
    parts = [node["Node Type"]]
    if "Relation Name" in node:
        parts.append(f"on {node['Relation Name']}")
    if "Index Name" in node:
        parts.append(f"using {node['Index Name']}")
    for key in ("Index Cond", "Filter", "Sort Key"):
        if key in node:
            parts.append(f"{key}: {node[key]}")
    parts.append(f"rows={node.get('Actual Rows')} loops={node.get('Actual Loops')}")
    if node.get("Rows Removed by Filter"):
        parts.append(f"removed={node['Rows Removed by Filter']}")
    lines = ["  " * depth + " ".join(str(part) for part in parts)]
    lines += [_outline(child, depth + 1) for child in node.get("Plans", [])]
    return "\n".join(lines)


def _report(planner: Planner) -> str:
    """One line per finding, then the plans of the first few."""
    lines = [f"{finding.case}: {finding.problem}" for finding in planner.findings]
    plans = [str(finding) for finding in planner.findings[:3]]
    return "\n".join([f"{len(lines)} of {planner.checked} statements:", *lines, "", *plans])


# --- The lists -------------------------------------------------------------------------------

# What no index serves, measured and accepted (a finding there is reported, not failed; see
# `_known_limit`): orders by another table's name (CAMPAIGN, ASSIGNEE) read the first campaign's
# or clerk's leads of the tab and sort them by id, ASSIGNEE (an outer join: leads without a
# clerk) every lead of the tab; a NEW tab narrowed to a clerk is empty, but the planner cannot
# see that `assignee_id = x` contradicts `assignee_id IS NULL` and reads the NEW leads' index;
# a clerk's leads without a tab read past the other clerks' leads after the first page; a
# clerk's tasks of one campaign newest first filter the clerk's open leads by campaign; the
# count of the open leads with nothing scheduled (half the leads) reads the table, as it
# should (the counters of lead_lists.count_leads do not cover due states).
GROUP_ORDERS = frozenset({LeadOrder.CAMPAIGN, LeadOrder.ASSIGNEE})


def _known_limit(status: LeadStatus | None, order: LeadOrder, per_clerk: bool) -> bool:
    if order in GROUP_ORDERS:
        return True
    return per_clerk and status in (None, LeadStatus.NEW)


async def _pages(
    planner: Planner,
    case: str,
    matching: Any,
    ordering: Ordering,
    count: Callable[[], Awaitable[int]],
    *,
    known: bool = False,
) -> None:
    """The first page, the page after it and the total count, as the connections read them
    (api.types.lead.ordered_lead_connection, api.types.connection)."""
    first = await planner.check(
        f"{case} page 1",
        lambda: fetch_ordered_page(matching, ordering, 50, None, columns=LEAD_COLUMNS),
        page=True,
        known=known,
    )
    if first.has_next_page:
        await planner.check(
            f"{case} page 2",
            lambda: fetch_ordered_page(
                matching, ordering, 50, first.cursors[-1], columns=LEAD_COLUMNS
            ),
            page=True,
            known=known,
        )
    await planner.check(f"{case} totalCount", count, known=known)


async def _lead_list(
    planner: Planner,
    actor: User,
    case: str,
    lead_filter: LeadFilter,
    order: LeadOrder,
    *,
    known: bool = False,
) -> None:
    """A page of `leads` (or `Campaign.leads`) as api.types.lead.resolve_leads reads it."""
    today = Today.in_zone()
    per_clerk = lead_filter.assignee_id is not None or actor.role is Role.CLERK
    await _pages(
        planner,
        f"{case} {lead_filter.status} {order}",
        lead_lists.filtered_leads(actor, lead_filter, today),
        lead_lists.lead_ordering(actor, order),
        lambda: lead_lists.count_leads(actor, lead_filter, today),
        known=known or _known_limit(lead_filter.status, order, per_clerk),
    )


def _assert_indexed(planner: Planner) -> None:
    if planner.known:
        # Shown with `pytest -s`: what the known limits cost today.
        print(f"\nKnown limits ({len(planner.known)}):")
        print("\n".join(f"  {finding.case}: {finding.problem}" for finding in planner.known))
    assert not planner.findings, _report(planner)


# The overview's tabs and the orders each offers (frontend/src/routes.ts ORDERS_OF_TAB); without
# a tab (the API's default, partners' programs) newest or oldest first.
TAB_ORDERS: dict[LeadStatus | None, tuple[LeadOrder, ...]] = {
    None: (LeadOrder.NEWEST, LeadOrder.OLDEST),
    LeadStatus.NEW: (
        LeadOrder.NEWEST,
        LeadOrder.OLDEST,
        LeadOrder.LAST_NAME,
        LeadOrder.COMPANY,
        LeadOrder.CAMPAIGN,
    ),
    LeadStatus.ACTIVE: tuple(LeadOrder),
    LeadStatus.DONE: (
        LeadOrder.NEWEST,
        LeadOrder.OLDEST,
        LeadOrder.LAST_NAME,
        LeadOrder.COMPANY,
        LeadOrder.CAMPAIGN,
        LeadOrder.ASSIGNEE,
    ),
}


@postgres_only
async def test_the_lead_lists_of_a_manager_read_indexes(planned: Planner) -> None:
    """Every tab in each of its orders, overall, per campaign (the campaign page) and per
    clerk; the tab counts."""
    today = Today.in_zone()
    filters = {
        "all": {},
        "campaign": {"campaign_id": 7},
        "busy clerk": {"assignee_id": BUSY_CLERK},
        "quiet clerk": {"assignee_id": QUIET_CLERK},
    }
    for name, conditions in filters.items():
        for status, orders in TAB_ORDERS.items():
            for order in orders:
                lead_filter = LeadFilter(status=status, **conditions)
                await _lead_list(planned, planned.manager, f"manager {name}", lead_filter, order)
        counts_filter = LeadFilter(**conditions)
        await planned.check(
            f"manager {name} leadCounts",
            lambda counts_filter=counts_filter: lead_lists.lead_counts(
                planned.manager, counts_filter, today
            ),
        )
    _assert_indexed(planned)


@postgres_only
async def test_a_clerks_and_a_partners_lead_lists_read_indexes(planned: Planner) -> None:
    for actor in (planned.busy_clerk, planned.quiet_clerk, planned.partner):
        for status, orders in TAB_ORDERS.items():
            for order in orders:
                if actor.role is Role.PARTNER and order not in lead_lists.PARTNER_ORDERS:
                    continue
                lead_filter = LeadFilter(status=status)
                await _lead_list(planned, actor, f"user {actor.id}", lead_filter, order)
        await planned.check(
            f"user {actor.id} leadCounts", lambda actor=actor: lead_lists.lead_counts(actor)
        )
    _assert_indexed(planned)


@postgres_only
async def test_the_task_lists_read_indexes(planned: Planner) -> None:
    """myTasks in each order with each due filter, overall and per campaign; the counts."""
    today = Today.in_zone()
    for clerk in (planned.busy_clerk, planned.quiet_clerk):
        for due in (None, *DueState):
            for campaign_id in (None, 7):
                task_filter = TaskFilter(due=due, campaign_id=campaign_id)
                matching = lead_lists.my_tasks(clerk, task_filter, today)
                for order in TaskOrder:
                    ordering = lead_lists.TASK_ORDERINGS[order]
                    case = f"clerk {clerk.id} tasks {due} campaign {campaign_id} {order}"
                    known = campaign_id is not None and order is TaskOrder.NEWEST
                    await _pages(planned, case, matching, ordering, matching.count, known=known)
        await planned.check(
            f"clerk {clerk.id} myTaskCounts",
            lambda clerk=clerk: lead_lists.my_task_counts(clerk, today),
        )
    _assert_indexed(planned)


@postgres_only
async def test_the_other_lead_lists_read_indexes(planned: Planner) -> None:
    """The aging lists, the distribution's NEW leads by filter, a due filter on the lead list."""
    for kind in AgingKind:
        for campaign_id in (None, 7):
            matching = aging.aging_leads(planned.manager, kind, 3, campaign_id)
            await planned.check(
                f"aging {kind} campaign {campaign_id}",
                lambda matching=matching, kind=kind: fetch_page(
                    matching,
                    50,
                    None,
                    newest_first=False,
                    columns=LEAD_COLUMNS,
                    sort_column=aging.aging_order(kind),
                ),
            )
    for campaign_id in (None, 7):
        new_only = LeadFilter(status=LeadStatus.NEW, campaign_id=campaign_id)
        await planned.check(
            f"distribution by filter campaign {campaign_id}",
            lambda new_only=new_only: (
                lead_lists.filtered_leads(planned.manager, new_only)
                .order_by("id")
                .limit(1000)
                .values_list("id", flat=True)
            ),
        )
    for due in DueState:
        await _lead_list(
            planned,
            planned.manager,
            "manager due",
            LeadFilter(due=due),
            LeadOrder.NEXT_DUE,
            known=due is DueState.NONE,
        )
    _assert_indexed(planned)


@postgres_only
async def test_the_search_reads_indexes(planned: Planner) -> None:
    """A name, an email fragment, a phone fragment and a company, alone and with a tab."""
    for word in ("Last4321", "person12345@", "0511 12345", "Company 1234"):
        for status in (None, LeadStatus.NEW):
            lead_filter = LeadFilter(status=status, search=word)
            await _lead_list(
                planned, planned.manager, f"search {word!r}", lead_filter, LeadOrder.NEWEST
            )
    _assert_indexed(planned)


@postgres_only
async def test_a_broad_search_on_the_new_tab_reads_only_its_matching_new_leads(
    planned: Planner,
) -> None:
    """A word many contacts hold ("Last12": Last12, Last120-129, Last1200-1299, 2 % of the
    contacts, 4,400 leads, 1,200 of them NEW; "müller" at 1M leads is alike): the NEW tab's page
    and totalCount read the matching NEW leads through their own text's index (migration 0023),
    not the contacts' search indexes and every lead of the matching contacts (the page joins
    the contacts of its leads by key)."""
    manager = planned.manager
    lead_filter = LeadFilter(status=LeadStatus.NEW, search="Last12")
    matching = lead_lists.filtered_leads(manager, lead_filter)
    expected = await matching.count()
    assert 1_000 < expected < 1_500  # the data's shape, for the bound below
    with _captured() as statements:
        page = await fetch_ordered_page(
            matching,
            lead_lists.lead_ordering(manager, LeadOrder.NEWEST),
            25,
            None,
            columns=LEAD_COLUMNS,
        )
        assert await lead_lists.count_leads(manager, lead_filter) == expected
    assert len(page.rows) == 25
    client = connections.get("default")
    for query, values in statements.sent:
        rows = await client.execute_query_dict(
            f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, FORMAT JSON) {query}", values
        )
        plan = rows[0]["QUERY PLAN"]
        root = (plan if isinstance(plan, list) else json.loads(plan))[0]["Plan"]
        nodes = list(_nodes(root))
        text = _outline(root)
        # Contacts only by their key, for the page's rows (the row's contact columns).
        searched = [node for node in nodes if "contacts_search" in node.get("Index Name", "")]
        assert not searched, text
        read = sum(_rows_read(node) for node in nodes if node.get("Relation Name") == "leads")
        contacts = sum(
            _rows_read(node) for node in nodes if node.get("Relation Name") == "contacts"
        )
        assert read <= 2 * expected and contacts <= expected, text


@postgres_only
async def test_notifications_and_opportunities_read_indexes(planned: Planner) -> None:
    matching = notifications.own_notifications(planned.busy_clerk)
    await planned.check("notifications", lambda: fetch_page(matching, 50, None))
    for order in OpportunityOrder:
        in_order, ordering = opportunities_in_order(
            opportunities.filtered_opportunities(planned.manager, OpportunityFilter()), order
        )
        await planned.check(
            f"opportunities {order}",
            lambda in_order=in_order, ordering=ordering: fetch_ordered_page(
                in_order, ordering, 50, None, columns=OPPORTUNITY_COLUMNS
            ),
        )
    _assert_indexed(planned)


@postgres_only
async def test_an_intake_finds_known_contacts_through_their_indexes(planned: Planner) -> None:
    """The duplicate check of imports, partners and createLeads (bulk_intake.ContactMatcher):
    by email, and by the phone's key for a contact without email (issue 16 found no index on
    contacts.phone_key in its database; migration 0013 makes it where missing)."""
    intakes = [
        {"email_key": "person12345@example.com", "phone_key": ""},
        {"email_key": None, "phone_key": "+4951154321"},
    ]
    await planned.check("intake", lambda: ContactMatcher.load(intakes, lock=False))
    _assert_indexed(planned)
    assert "idx_contacts_phone_k_06c61b" in "\n".join(planned.plans), planned.plans


@pytest.mark.parametrize("status", [LeadStatus.NEW, LeadStatus.ACTIVE, LeadStatus.DONE])
async def test_sqlite_reads_the_tabs_from_an_index_in_their_order(
    database_url: str, backend: str, status: LeadStatus
) -> None:
    """Newest and oldest first, overall and per campaign (and per clerk, but NEW has none): no
    sort of the tab's leads (`USE TEMP B-TREE FOR ORDER BY`), no scan of the table."""
    if backend != "sqlite":
        pytest.skip("SQLite's planner")
    EXECUTOR_CACHE.clear()
    async with database(database_url):
        manager = await User.create(email="m@example.com", name="M", role=Role.MANAGER)
        client = connections.get("default")
        filters = [LeadFilter(status=status), LeadFilter(status=status, campaign_id=3)]
        if status is LeadStatus.ACTIVE:
            filters.append(LeadFilter(status=status, assignee_id=5))
        plans = {}
        for lead_filter in filters:
            for order in (LeadOrder.NEWEST, LeadOrder.OLDEST):
                with _captured() as statements:
                    await fetch_ordered_page(
                        lead_lists.filtered_leads(manager, lead_filter),
                        lead_lists.lead_ordering(manager, order),
                        50,
                        None,
                        columns=LEAD_COLUMNS,
                    )
                query, values = statements.sent[0]
                rows = await client.execute_query_dict(f"EXPLAIN QUERY PLAN {query}", values)
                plans[f"{lead_filter} {order}"] = _picking_the_page(rows)
    EXECUTOR_CACHE.clear()
    sorted_or_scanned = {
        case: plan
        for case, plan in plans.items()
        if "TEMP B-TREE FOR ORDER BY" in plan or "SCAN leads |" in f"{plan} |"
    }
    assert sorted_or_scanned == {}


def _picking_the_page(rows: list[dict[str, Any]]) -> str:
    """The steps of an EXPLAIN QUERY PLAN that pick a page's rows, joined by " | ": the page
    query's own (under `MATERIALIZE page`, see `sql.joined_rows`). Around it, the statement
    must only look the picked rows up by their keys and sort those (at most `first` + 1)."""
    children: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        children.setdefault(row["parent"], []).append(row)
    top = children.get(0, [])
    picks = [row for row in top if row["detail"] == "MATERIALIZE page"]
    assert len(picks) == 1, [row["detail"] for row in rows]
    around = [row["detail"] for row in top if row is not picks[0]]
    assert around[0] == "SCAN page" and "SEARCH leads USING INTEGER PRIMARY KEY" in around[1]
    assert all(step.startswith("SEARCH") for step in around[1:-1]), around
    assert around[-1] == "USE TEMP B-TREE FOR ORDER BY", around

    def below(row: dict[str, Any]) -> list[str]:
        found = children.get(row["id"], [])
        return [step for child in found for step in (child["detail"], *below(child))]

    return " | ".join(below(picks[0]))
