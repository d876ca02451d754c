"""Lead counts from maintained counters (issue 16): `lead_counts` holds, per campaign, assignee
and creator, how many of their leads are NEW, ACTIVE and DONE, kept by triggers on `leads`.

The lists' counts (leadCounts, the tabs' totalCount, a campaign's leads, a clerk's own leads, a
partner's submitted leads) for filters by status, campaign and assignee sum the rows of the
wanted keys in this table instead of counting up to a million leads (69-210 ms at 1M leads
before). A NULL assignee or creator is stored as 0 (user ids start at 1).

The triggers run inside the writing statement and are the only writers besides the fold, so a
count read in the writing transaction (or after its commit) includes its changes, and every way
a lead changes (the services, bulk imports, an operator's UPDATE, a deletion) keeps the counts
exact. Each change is applied as "minus the old row, plus the new row" (as 0006's rollups).

PostgreSQL: the counters are insert-only. One trigger per statement with transition tables
INSERTs one row per key with the statement's net deltas (none for a key whose deltas are all
zero; none at all for a statement that changes no counted column: a note, first_assigned_at,
waiting_since); no trigger ever updates or locks a shared row. A count is the SUM of its keys'
rows (indexes on the keys). So counters add no lock to a write and no lock order between
writers: updating one row per key in place made intake + automatic distribution vs.
distributeLeads, and distributeLeads of >1,000 leads (one UPDATE per 1,000) vs. assignLeads,
deadlock over (campaign, 0, creator) and the assignees' rows, and every intake and assignment
of a creator's NEW leads queued on one row until commit. The rows pile up between folds:
leadflow.jobs folds them every minute (lead_lists.fold_counts, under an advisory lock; one
statement: `WITH gone AS (DELETE ... RETURNING) INSERT ... SELECT key, SUM(..) GROUP BY key`,
only keys with several rows or all-zero sums). MVCC keeps a count exact during a fold: a
reader sees the rows before or after it; the rows of writers not committed when the fold
began are not in its snapshot and stay as they are. 0006's rollups still update
(campaign, day) rows in place.
SQLite: one trigger per row (it has no statement triggers) that adds to the key's one row in
place (an upsert on the primary key); SQLite writers never run concurrently. Its fold only
drops rows whose counts are all zero.

The SQL is spelled out here, not imported, so that this migration keeps doing what it did when a
later one changes the triggers.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

TRIGGERS = ("insert", "update", "delete")
# The key columns of a counter row; NULL is stored as 0.
KEYS = ("campaign_id", "assignee_id", "created_by_id")
# A lead's status, spelled as leadflow.db.lead_status derives it (closed wins, then whether a
# clerk is assigned), over the key columns as stored (assignee 0: nobody).
STATUSES = {
    "new": "closed_at IS NULL AND assignee_id = 0",
    "active": "closed_at IS NULL AND assignee_id <> 0",
    "done": "closed_at IS NOT NULL",
}

_TABLE = {
    # No key: every statement adds rows of its own (see the docstring).
    "postgres": (
        "CREATE TABLE lead_counts (campaign_id INT NOT NULL, assignee_id INT NOT NULL, "
        "created_by_id INT NOT NULL, new INT NOT NULL DEFAULT 0, active INT NOT NULL DEFAULT 0, "
        "done INT NOT NULL DEFAULT 0)"
    ),
    "sqlite": (
        "CREATE TABLE lead_counts (campaign_id INTEGER NOT NULL, assignee_id INTEGER NOT NULL, "
        "created_by_id INTEGER NOT NULL, new INTEGER NOT NULL DEFAULT 0, "
        "active INTEGER NOT NULL DEFAULT 0, done INTEGER NOT NULL DEFAULT 0, "
        "PRIMARY KEY (campaign_id, assignee_id, created_by_id)) WITHOUT ROWID"
    ),
}
# PostgreSQL: the reads' conditions (a campaign, with or without a clerk; a clerk; a creator).
_INDEXES = (
    "CREATE INDEX lead_counts_by_key ON lead_counts (campaign_id, assignee_id, created_by_id)",
    "CREATE INDEX lead_counts_by_assignee ON lead_counts (assignee_id)",
    "CREATE INDEX lead_counts_by_creator ON lead_counts (created_by_id)",
)


def _insert(changes: str, *, upsert: bool) -> str:
    """The statement adding `changes` (a subquery of the key columns as stored, `closed_at`
    and `sign`: 1 for a row that now exists, -1 for one that no longer does) to the counters,
    one row per key: a new row of deltas (PostgreSQL), or added to the key's one row in place
    (`upsert`, SQLite). Keys whose deltas are all zero add nothing."""
    keys = ", ".join(KEYS)
    sums = [f"SUM(CASE WHEN {condition} THEN sign ELSE 0 END)" for condition in STATUSES.values()]
    # `WHERE true`: SQLite's parser needs it between a SELECT and ON CONFLICT.
    statement = (
        f"INSERT INTO lead_counts ({keys}, {', '.join(STATUSES)}) "
        f"SELECT {keys}, {', '.join(sums)} FROM ({changes}) AS changes WHERE true "
        f"GROUP BY {keys} HAVING " + " OR ".join(f"{total} <> 0" for total in sums)
    )
    if not upsert:
        return statement
    return f"{statement} ON CONFLICT ({keys}) DO UPDATE SET " + ", ".join(
        f"{name} = lead_counts.{name} + excluded.{name}" for name in STATUSES
    )


def _rows(source: str, sign: int, where: str = "") -> str:
    return (
        f"SELECT {source}.campaign_id AS campaign_id, "
        f"COALESCE({source}.assignee_id, 0) AS assignee_id, "
        f"COALESCE({source}.created_by_id, 0) AS created_by_id, "
        f"{source}.closed_at AS closed_at, {sign} AS sign{where}"
    )


def _changed(old: str, new: str, distinct: str) -> str:
    """Whether an update changed what a lead counts for: a key column, or open/closed."""
    return " OR ".join(
        [f"{old}.{column} {distinct} {new}.{column}" for column in KEYS]
        + [f"({old}.closed_at IS NULL) <> ({new}.closed_at IS NULL)"]
    )


def _postgres_statements() -> list[str]:
    changed = _changed("old_rows", "new_rows", "IS DISTINCT FROM")
    joined = f" FROM old_rows JOIN new_rows ON new_rows.id = old_rows.id WHERE {changed}"
    changes = {
        "insert": _rows("new_rows", 1, " FROM new_rows"),
        "delete": _rows("old_rows", -1, " FROM old_rows"),
        "update": f"{_rows('old_rows', -1, joined)} UNION ALL {_rows('new_rows', 1, joined)}",
    }
    transition = {
        "insert": "NEW TABLE AS new_rows",
        "delete": "OLD TABLE AS old_rows",
        "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    }
    statements = []
    for event in TRIGGERS:
        statements.append(
            # The column `new` would otherwise clash with PL/pgSQL's NEW record.
            f"CREATE FUNCTION lead_counts_{event}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"#variable_conflict use_column\nBEGIN {_insert(changes[event], upsert=False)}; "
            "RETURN NULL; END $$"
        )
        statements.append(
            f"CREATE TRIGGER lead_counts_{event} AFTER {event.upper()} ON leads "
            f"REFERENCING {transition[event]} FOR EACH STATEMENT "
            f"EXECUTE FUNCTION lead_counts_{event}()"
        )
    return statements


def _sqlite_statements() -> list[str]:
    changes = {
        "insert": _rows("NEW", 1),
        "delete": _rows("OLD", -1),
        "update": f"{_rows('OLD', -1)} UNION ALL {_rows('NEW', 1)}",
    }
    statements = []
    for event in TRIGGERS:
        when = f" WHEN {_changed('OLD', 'NEW', 'IS NOT')}" if event == "update" else ""
        statements.append(
            f"CREATE TRIGGER lead_counts_{event} AFTER {event.upper()} ON leads "
            f"FOR EACH ROW{when} BEGIN {_insert(changes[event], upsert=True)}; END"
        )
    return statements


async def _execute(client, statement: str) -> None:
    """One statement inside the migration's transaction (see 0006: not execute_script on
    SQLite, which commits first)."""
    if client.capabilities.dialect == "postgres":
        await client.execute_script(statement)
    else:
        await client.execute_query(statement)


async def install_counts(apps, schema_editor) -> None:
    """Fill the counters from the leads stored so far, then keep them by triggers. Writers
    wait meanwhile (PostgreSQL: the lock below; SQLite: the migration's write transaction),
    so no lead changes between the backfill's snapshot and the triggers (other app instances
    keep running during a rolling deploy)."""
    client = schema_editor.client
    dialect = client.capabilities.dialect
    postgres = dialect == "postgres"
    if postgres:
        await _execute(client, "LOCK TABLE leads IN SHARE ROW EXCLUSIVE MODE")
    await _execute(client, _TABLE["postgres" if postgres else "sqlite"])
    for statement in _INDEXES if postgres else ():
        await _execute(client, statement)
    # One row per key (the table is empty).
    await _execute(client, _insert(_rows("leads", 1, " FROM leads"), upsert=False))
    for statement in _postgres_statements() if postgres else _sqlite_statements():
        await _execute(client, statement)


async def remove_counts(apps, schema_editor) -> None:
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"
    for event in TRIGGERS:
        on_table = " ON leads" if postgres else ""
        await _execute(client, f"DROP TRIGGER IF EXISTS lead_counts_{event}{on_table}")
        if postgres:
            await _execute(client, f"DROP FUNCTION IF EXISTS lead_counts_{event}()")
    await _execute(client, "DROP TABLE IF EXISTS lead_counts")


class Migration(migrations.Migration):
    dependencies = [("models", "0020_list_indexes")]

    initial = False

    operations = [ops.RunPython(install_counts, remove_counts)]
