"""Lead counts from maintained counters (issue 16): `lead_counts` holds, per campaign, assignee
and creator, how many of their leads are NEW, ACTIVE and DONE, kept by triggers on `leads`.

The lists' counts (leadCounts, the tabs' totalCount, a campaign's leads, a clerk's own leads, a
partner's submitted leads) for filters by status, campaign and assignee sum a few hundred rows
of this table instead of counting up to a million leads (69-210 ms at 1M leads before). A NULL
assignee or creator is stored as 0 (user ids start at 1), so each combination has one row and
one key for ON CONFLICT.

The triggers are the table's only writers and run inside the writing statement, so a count read
in the writing transaction (or after its commit) includes its changes, and every way a lead
changes (the services, bulk imports, an operator's UPDATE, a deletion) keeps the table exact.
Each change is applied as "minus the old row, plus the new row" (as 0006's rollups).

PostgreSQL: one trigger per statement with transition tables: a statement changing 1,000 leads
makes one upsert. The upsert goes in key order (campaign, assignee, creator; the NEW leads'
row, assignee 0, first), so two statements touching the same rows lock them in the same order
and cannot deadlock each other. The trigger's name sorts before 0006's (`lead_counts_*` <
`report_rollups_*`; PostgreSQL fires a statement's triggers in name order), so every statement
locks counter rows first, then rollup rows: one order for all. Statements that change no
counted column (a note, first_assigned_at, waiting_since) upsert no row and lock nothing. A
counter row is a point where writers of the same campaign, clerk and creator queue until the
first commits (assignment: also the campaign's NEW row); 0006's (campaign, day) rows already
queue most of them (every close of a campaign on one day, every creation).
SQLite: one trigger per row (it has no statement triggers); SQLite writers never run
concurrently.

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
    "postgres": (
        "CREATE TABLE lead_counts (campaign_id INT NOT NULL, assignee_id INT NOT NULL, "
        "created_by_id INT NOT NULL, new INT NOT NULL DEFAULT 0, active INT NOT NULL DEFAULT 0, "
        "done INT NOT NULL DEFAULT 0, PRIMARY KEY (campaign_id, assignee_id, created_by_id))"
    ),
    "sqlite": (
        "CREATE TABLE lead_counts (campaign_id INTEGER NOT NULL, assignee_id INTEGER NOT NULL, "
        "created_by_id INTEGER NOT NULL, new INTEGER NOT NULL DEFAULT 0, "
        "active INTEGER NOT NULL DEFAULT 0, done INTEGER NOT NULL DEFAULT 0, "
        "PRIMARY KEY (campaign_id, assignee_id, created_by_id)) WITHOUT ROWID"
    ),
}


def _upsert(changes: str) -> str:
    """The statement applying `changes` (a subquery of the key columns as stored, `closed_at`
    and `sign`: 1 for a row that now exists, -1 for one that no longer does)."""
    keys = ", ".join(KEYS)
    sums = ", ".join(
        f"SUM(CASE WHEN {condition} THEN sign ELSE 0 END)" for condition in STATUSES.values()
    )
    # `WHERE true`: SQLite's parser needs it between a SELECT and ON CONFLICT.
    return (
        f"INSERT INTO lead_counts ({keys}, {', '.join(STATUSES)}) "
        f"SELECT {keys}, {sums} FROM ({changes}) AS changes WHERE true "
        f"GROUP BY {keys} ORDER BY {keys} "
        f"ON CONFLICT ({keys}) DO UPDATE SET "
        + ", ".join(f"{name} = lead_counts.{name} + excluded.{name}" for name in STATUSES)
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
            f"#variable_conflict use_column\nBEGIN {_upsert(changes[event])}; RETURN NULL; END $$"
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
            f"FOR EACH ROW{when} BEGIN {_upsert(changes[event])}; END"
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
    await _execute(client, _upsert(_rows("leads", 1, " FROM leads")))
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
