"""Indexes for every list the app shows (issue 16): each status tab, overall, per campaign and
per clerk, in the orders the overview offers, so that a page reads about its own rows.

The tabs are partial indexes, one per status, spelled as `db.lead_status.status_condition`
writes the status (NEW: `assignee_id IS NULL AND closed_at IS NULL`; ACTIVE: `assignee_id IS NOT
NULL AND closed_at IS NULL`; DONE: `closed_at IS NOT NULL`), so PostgreSQL sees that the
list's WHERE implies the index's; SQLite's NEW and ACTIVE ones lead with the columns the WHERE
fixes instead (SQLITE_INSTEAD, which says why). Before them, the NEW tab newest first walked the whole
`created_at` index backwards (or `leads_pkey`) past every lead distributed since: once the
newest NEW leads were distributed, 20,000 rows read of 200,000 for one page (177,000-205,000
of a million in issue 16). DONE tabs had the same walk past every open lead, a partner's list
past every lead not theirs (no index on `created_by_id` at all).

- NEWEST/OLDEST (created_at, then id): per status; per campaign and status; per clerk, open
  (a clerk's open leads are ACTIVE) and closed; per creator (partners' lists). The plain
  (created_at) index of the model still serves the list without a tab.
- myTasks NEWEST (the newest assignment first): per clerk, open.
- WAITING_LONGEST and NEXT_DUE (the ACTIVE tab; PostgreSQL puts NULL last when ascending, as the
  lists do): over the open leads, overall and per campaign. Per clerk, 0006 and 0012 made them.
  SQLite sorts NULL first, so the lists order by a rank first (`services.keyset`); its indexes
  hold the same expressions, spelled as the lists spell them (0012's reasoning).
- LAST_NAME and COMPANY sort by the contact: indexes on contacts in that order (the blank rank
  of first name and company as the lists spell it), from which the planner walks the contacts
  and joins their leads by `leads.contact_id`.
- CAMPAIGN and ASSIGNEE sort by a name of another table: the planner walks the few campaigns or
  clerks by name and each one's leads by the per-campaign or per-clerk indexes above; the first
  page sorts the first campaign's or clerk's leads of the tab by id (no index can carry
  another table's name).

None replaces an index of the models (tests/db/test_migrations.py holds them to the models), and
none duplicates 0005/0006/0012's. tests/db/test_query_plans.py checks the plans on PostgreSQL.

The SQL is spelled out here, not imported, so that this migration keeps doing what it did.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

_NEW = "assignee_id IS NULL AND closed_at IS NULL"
_ACTIVE = "assignee_id IS NOT NULL AND closed_at IS NULL"
_OPEN = "closed_at IS NULL"
_DONE = "closed_at IS NOT NULL"


def _blank_rank(condition: str) -> str:
    return f"(CASE WHEN {condition} THEN 1 ELSE 0 END)"


_WAITING_SQLITE = f"{_blank_rank('waiting_since IS NULL')}, waiting_since"
_DUE_SQLITE = f"{_blank_rank('next_due_at IS NULL')}, next_due_at, {_WAITING_SQLITE}"
_NO_FIRST_NAME = _blank_rank("first_name = ''")
_NO_COMPANY = _blank_rank("company = ''")
_BY_LAST_NAME = f"last_name, {_NO_FIRST_NAME}, first_name, id"
_BY_COMPANY = f"{_NO_COMPANY}, company, last_name, id"

# name: (table, PostgreSQL columns, SQLite columns, predicate or None).
INDEXES = {
    # The tabs, newest or oldest first.
    "leads_new_by_created": ("leads", "created_at, id", "created_at, id", _NEW),
    "leads_active_by_created": ("leads", "created_at, id", "created_at, id", _ACTIVE),
    "leads_done_by_created": ("leads", "created_at, id", "created_at, id", _DONE),
    # A campaign's page, per tab.
    "leads_new_by_campaign_created": (
        "leads",
        "campaign_id, created_at, id",
        "campaign_id, created_at, id",
        _NEW,
    ),
    "leads_active_by_campaign_created": (
        "leads",
        "campaign_id, created_at, id",
        "campaign_id, created_at, id",
        _ACTIVE,
    ),
    "leads_done_by_campaign_created": (
        "leads",
        "campaign_id, created_at, id",
        "campaign_id, created_at, id",
        _DONE,
    ),
    # A clerk's leads (their own view, or a manager's filter by clerk): open ones are ACTIVE.
    "leads_open_by_assignee_created": (
        "leads",
        "assignee_id, created_at, id",
        "assignee_id, created_at, id",
        _OPEN,
    ),
    "leads_done_by_assignee_created": (
        "leads",
        "assignee_id, created_at, id",
        "assignee_id, created_at, id",
        _DONE,
    ),
    # A partner's leads (those it created); NULL for imported leads.
    "leads_by_creator_created": (
        "leads",
        "created_by_id, created_at, id",
        "created_by_id, created_at, id",
        "created_by_id IS NOT NULL",
    ),
    # myTasks(orderBy: NEWEST): a clerk's open leads by their assignment, newest first, blank
    # last (PostgreSQL puts NULL first when descending, so the list ranks it; SQLite does not).
    "leads_open_by_assignee_assigned": (
        "leads",
        f"assignee_id, {_blank_rank('assigned_at IS NULL')}, assigned_at DESC, id DESC",
        "assignee_id, assigned_at DESC, id DESC",
        _OPEN,
    ),
    # The ACTIVE tab by wait and by next step, overall and per campaign.
    "leads_open_by_waiting": (
        "leads",
        "waiting_since, id",
        f"{_WAITING_SQLITE}, id",
        _OPEN,
    ),
    "leads_open_by_campaign_waiting": (
        "leads",
        "campaign_id, waiting_since, id",
        f"campaign_id, {_WAITING_SQLITE}, id",
        _OPEN,
    ),
    "leads_open_by_due": (
        "leads",
        "next_due_at, waiting_since, id",
        f"{_DUE_SQLITE}, id",
        _OPEN,
    ),
    "leads_open_by_campaign_due": (
        "leads",
        "campaign_id, next_due_at, waiting_since, id",
        f"campaign_id, {_DUE_SQLITE}, id",
        _OPEN,
    ),
    # LAST_NAME and COMPANY: the contacts in the lists' order.
    "contacts_by_last_name": (
        "contacts",
        _BY_LAST_NAME,
        _BY_LAST_NAME,
        None,
    ),
    "contacts_by_company": (
        "contacts",
        _BY_COMPANY,
        _BY_COMPANY,
        None,
    ),
}


# SQLite: the leading columns are those the list's WHERE fixes. Its planner takes `x IS NULL` as
# an equality and prefers an index that many equalities narrow (0012's reasoning): beside the
# model's (closed_at) index a partial ACTIVE index lost, and the ACTIVE tab sorted all of its
# leads (100,000 leads: 400 ms a page). name: (columns, predicate); None: not on SQLite.
SQLITE_INSTEAD: dict[str, tuple[str, str | None] | None] = {
    # The NEW tab reads leads_open_by_assignee_created with assignee_id IS NULL.
    "leads_new_by_created": None,
    "leads_active_by_created": ("closed_at, created_at, id", None),
    "leads_new_by_campaign_created": ("campaign_id, assignee_id, closed_at, created_at, id", None),
    "leads_active_by_campaign_created": ("campaign_id, closed_at, created_at, id", None),
    "leads_open_by_assignee_created": ("assignee_id, closed_at, created_at, id", None),
}


async def _execute(client, statement: str) -> None:
    """One statement inside the migration's transaction (see 0006: not execute_script on
    SQLite, which commits first)."""
    if client.capabilities.dialect == "postgres":
        await client.execute_script(statement)
    else:
        await client.execute_query(statement)


async def create_indexes(apps, schema_editor) -> None:
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"
    for name, (table, on_postgres, on_sqlite, predicate) in INDEXES.items():
        columns = on_postgres if postgres else on_sqlite
        if not postgres and name in SQLITE_INSTEAD:
            instead = SQLITE_INSTEAD[name]
            if instead is None:
                continue
            columns, predicate = instead
        where = f" WHERE {predicate}" if predicate else ""
        await _execute(client, f"CREATE INDEX {name} ON {table} ({columns}){where}")


async def drop_indexes(apps, schema_editor) -> None:
    client = schema_editor.client
    for name in INDEXES:
        await _execute(client, f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("models", "0019_search")]

    initial = False

    operations = [ops.RunPython(create_indexes, drop_indexes)]
