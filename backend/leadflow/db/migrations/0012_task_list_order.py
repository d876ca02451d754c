"""The task list's orders read from an index: each clerk's open leads in the order of
myTasks(orderBy: NEXT_DUE) (due time, nothing scheduled last, then the wait, then the id), and
on SQLite also in the order of WAITING_LONGEST.

PostgreSQL: a partial index over the open leads (`closed_at IS NULL`), as migration 0006 made
one for the wait. It cannot order by the third column of (assignee_id, closed_at,
next_due_at) from 0011, since `closed_at IS NULL` is no equality to it, and with 20,000 open
leads of one clerk it sorted them all for each page (about 40 to 230 ms, depending on the plan
it chose). It sorts NULL last when ascending, as the list does, so the plain columns match.

SQLite sorts NULL first, so the list orders by a rank first (`CASE WHEN x IS NULL THEN 1 ELSE 0
END`, `services.keyset`); its indexes hold the same expressions, spelled as the list spells
them, which is what lets SQLite match them. They start like 0011's (assignee_id, closed_at)
and cover every lead, not only the open ones: after an ANALYZE, SQLite's average rows per
(assignee_id, closed_at) counts each closed lead's own closed_at and promises 3 rows, so a
partial index (8,831 rows per clerk by its statistics) lost to 0011's index plus a sort of all
of a clerk's open leads; with the same prefix and the same statistics, the index that needs no
sort wins, with or without statistics.

The SQL is spelled out here, not imported, so that this migration keeps doing what it did.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops


def _blank_rank(column: str) -> str:
    return f"(CASE WHEN {column} IS NULL THEN 1 ELSE 0 END)"


_OPEN = "closed_at IS NULL"

# name: (PostgreSQL (columns, predicate) or None, SQLite (columns, predicate)).
INDEXES = {
    "leads_open_by_assignee_due": (
        ("assignee_id, next_due_at, waiting_since, id", _OPEN),
        (
            f"assignee_id, closed_at, {_blank_rank('next_due_at')}, next_due_at, "
            f"{_blank_rank('waiting_since')}, waiting_since, id",
            None,
        ),
    ),
    # PostgreSQL has it from 0006 (leads_open_by_assignee_waiting); SQLite needs the rank.
    "leads_open_by_assignee_waiting_ranked": (
        None,
        (f"assignee_id, closed_at, {_blank_rank('waiting_since')}, waiting_since, id", None),
    ),
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
    for name, (on_postgres, on_sqlite) in INDEXES.items():
        index = on_postgres if postgres else on_sqlite
        if index is None:
            continue
        columns, predicate = index
        where = f" WHERE {predicate}" if predicate else ""
        await _execute(client, f"CREATE INDEX {name} ON leads ({columns}){where}")


async def drop_indexes(apps, schema_editor) -> None:
    client = schema_editor.client
    for name in INDEXES:
        await _execute(client, f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("models", "0011_sales_week")]

    initial = False

    operations = [ops.RunPython(create_indexes, drop_indexes)]
