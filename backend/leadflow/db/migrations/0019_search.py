"""Search that scales (issue 16): indexes the lead search (`services/lead_search.py`) reads.

PostgreSQL: the pg_trgm extension and a GIN trigram index per searched contact column. The
search compares text as Tortoise's `icontains` writes it, `UPPER(CAST(col AS VARCHAR)) LIKE
UPPER(?)`, so the text indexes hold exactly that expression (the planner matches an index
expression only when the query spells the same one; ANALYZE then also keeps statistics of the
expression, which the planner needs to see how few contacts a name matches). Phones are
compared by their digits key as `contains`/`startswith` write it, `CAST(phone_key AS VARCHAR)
LIKE ?`, which is the plain column to PostgreSQL. A word shorter than three characters has no
trigram and cannot use these indexes.

SQLite: an FTS5 table with the trigram tokenizer over the same columns, its content read from
`contacts` (external content: no second copy of the values), kept by triggers on every insert,
update and delete of a contact (an erasure blanks the columns with an UPDATE, so the index
follows). The search uses it to narrow the contacts and then compares them exactly as on
PostgreSQL. A table rebuild of `contacts` by a later migration (Tortoise's AlterField on
SQLite) drops these triggers: such a migration must create them again.

The SQL is spelled out here, not imported, so that this migration keeps doing what it did.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

# index name: the indexed expression, as the search's SQL spells it.
POSTGRES_INDEXES = {
    "contacts_search_first_name": "UPPER(CAST(first_name AS VARCHAR))",
    "contacts_search_last_name": "UPPER(CAST(last_name AS VARCHAR))",
    "contacts_search_company": "UPPER(CAST(company AS VARCHAR))",
    "contacts_search_email_key": "UPPER(CAST(email_key AS VARCHAR))",
    "contacts_search_phone_key": "CAST(phone_key AS VARCHAR)",
}

SEARCH_TABLE = "contact_search"
SEARCH_COLUMNS = ("first_name", "last_name", "company", "email_key", "phone_key")


def _values(row: str) -> str:
    return ", ".join(f"{row}.{column}" for column in SEARCH_COLUMNS)


def _sqlite_statements() -> list[str]:
    columns = ", ".join(SEARCH_COLUMNS)
    # The 'delete' command needs the values the index holds for the row: the old ones.
    remove_old = (
        f"INSERT INTO {SEARCH_TABLE} ({SEARCH_TABLE}, rowid, {columns}) "
        f"VALUES ('delete', old.id, {_values('old')});"
    )
    add_new = f"INSERT INTO {SEARCH_TABLE} (rowid, {columns}) VALUES (new.id, {_values('new')});"
    changed = " OR ".join(f"old.{column} IS NOT new.{column}" for column in SEARCH_COLUMNS)
    return [
        f"CREATE VIRTUAL TABLE {SEARCH_TABLE} USING fts5({columns}, content='contacts', "
        "content_rowid='id', tokenize='trigram')",
        f"CREATE TRIGGER {SEARCH_TABLE}_insert AFTER INSERT ON contacts BEGIN {add_new} END",
        f"CREATE TRIGGER {SEARCH_TABLE}_delete AFTER DELETE ON contacts BEGIN {remove_old} END",
        f"CREATE TRIGGER {SEARCH_TABLE}_update AFTER UPDATE ON contacts WHEN {changed} "
        f"BEGIN {remove_old} {add_new} END",
        # The contacts stored before this migration.
        f"INSERT INTO {SEARCH_TABLE} ({SEARCH_TABLE}) VALUES ('rebuild')",
    ]


async def _execute(client, statement: str) -> None:
    """One statement inside the migration's transaction (see 0006: not execute_script on
    SQLite, which commits first)."""
    if client.capabilities.dialect == "postgres":
        await client.execute_script(statement)
    else:
        await client.execute_query(statement)


async def create_search(apps, schema_editor) -> None:
    client = schema_editor.client
    if client.capabilities.dialect == "postgres":
        # Part of PostgreSQL's contrib; creating it needs a superuser or a trusted extension
        # (pg_trgm is trusted since PostgreSQL 13: the database's owner may create it).
        await _execute(client, "CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, expression in POSTGRES_INDEXES.items():
            await _execute(
                client, f"CREATE INDEX {name} ON contacts USING gin (({expression}) gin_trgm_ops)"
            )
        return
    for statement in _sqlite_statements():
        await _execute(client, statement)


async def drop_search(apps, schema_editor) -> None:
    client = schema_editor.client
    if client.capabilities.dialect == "postgres":
        # The extension stays: other objects may use it by now.
        for name in POSTGRES_INDEXES:
            await _execute(client, f"DROP INDEX IF EXISTS {name}")
        return
    for event in ("insert", "delete", "update"):
        await _execute(client, f"DROP TRIGGER IF EXISTS {SEARCH_TABLE}_{event}")
    await _execute(client, f"DROP TABLE IF EXISTS {SEARCH_TABLE}")


class Migration(migrations.Migration):
    dependencies = [("models", "0018_data_protection")]

    initial = False

    operations = [ops.RunPython(create_search, drop_search)]
