"""The task list's orders read from an index: each clerk's open leads in the order of
myTasks(orderBy: NEXT_DUE) (due time, nothing scheduled last, then the wait, then the id), and
on SQLite also in the order of WAITING_LONGEST.

Partial indexes over the open leads (`closed_at IS NULL`), as migration 0006 made one for the
wait: PostgreSQL cannot order by the third column of (assignee_id, closed_at, next_due_at)
from 0011, since `closed_at IS NULL` is no equality to it, and with 20,000 open leads of one
clerk it sorted them all for each page (about 40 to 230 ms, depending on the plan it chose).
PostgreSQL sorts NULL last when ascending, as the list does, so the plain columns match its
ORDER BY. SQLite sorts NULL first, so the list orders it by a rank first (`CASE WHEN x IS NULL
THEN 1 ELSE 0 END`, `services.keyset`); its indexes hold the same expressions, spelled as the
list spells them, which is what lets SQLite match them. The SQL is spelled out here, not
imported, so that this migration keeps doing what it did.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops


def _blank_rank(column: str) -> str:
    return f"(CASE WHEN {column} IS NULL THEN 1 ELSE 0 END)"


# name: (PostgreSQL columns, SQLite columns); every one WHERE closed_at IS NULL.
INDEXES = {
    "leads_open_by_assignee_due": (
        "assignee_id, next_due_at, waiting_since, id",
        f"assignee_id, {_blank_rank('next_due_at')}, next_due_at, "
        f"{_blank_rank('waiting_since')}, waiting_since, id",
    ),
    # PostgreSQL has it from 0006 (leads_open_by_assignee_waiting); SQLite needs the rank.
    "leads_open_by_assignee_waiting_ranked": (
        None,
        f"assignee_id, {_blank_rank('waiting_since')}, waiting_since, id",
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
    for name, (postgres_columns, sqlite_columns) in INDEXES.items():
        columns = postgres_columns if postgres else sqlite_columns
        if columns is None:
            continue
        await _execute(client, f"CREATE INDEX {name} ON leads ({columns}) WHERE closed_at IS NULL")


async def drop_indexes(apps, schema_editor) -> None:
    client = schema_editor.client
    for name in INDEXES:
        await _execute(client, f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("models", "0011_sales_week")]

    initial = False

    operations = [ops.RunPython(create_indexes, drop_indexes)]
