"""The indexes the models declare that earlier migrations left out, created where missing.

SQLite: Tortoise's AlterField rebuilds a table (a new table, the rows copied, the old one
dropped) and does not create the table's indexes again. 0009 rebuilt lead_imports, 0010
lead_events, opportunities and opportunity_events; their indexes were gone (reading a lead's
history or a lead's opportunities scanned the whole table). Both databases: 0003's AddField of
contacts.phone_key with db_index=True created no index (the import's duplicate check by phone
scanned every contact).

The names are those Tortoise gives the models' indexes (as PostgreSQL has them where they
survived), so both databases name each index alike. IF NOT EXISTS: a database that kept one
keeps it. tests/db/test_migrations.py compares a migrated database's indexes with the models'.

The SQL is spelled out here, not imported, so that this migration keeps doing what it did.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

# name: (table, columns)
INDEXES = {
    "idx_contacts_phone_k_06c61b": ("contacts", "phone_key"),
    "idx_lead_import_file_di_be8949": ("lead_imports", "file_digest"),
    "idx_lead_import_campaig_ea8d56": ("lead_imports", "campaign_id"),
    "idx_opportuniti_contact_2ef852": ("opportunities", "contact_id"),
    "idx_opportuniti_lead_id_03e539": ("opportunities", "lead_id"),
    "idx_opportuniti_owner_i_f4ce9b": ("opportunities", "owner_id"),
    "idx_lead_events_lead_id_edf49b": ("lead_events", "lead_id"),
    "idx_lead_events_lead_id_e7482e": ("lead_events", "lead_id, kind, at"),
    "idx_opportunity_opportu_09d96f": ("opportunity_events", "opportunity_id"),
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
    for name, (table, columns) in INDEXES.items():
        await _execute(client, f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})")


class Migration(migrations.Migration):
    dependencies = [("models", "0012_task_list_order")]

    initial = False

    # Backwards: nothing to undo. The models declare these indexes (earlier migrations' state
    # holds them), so going back to 0012 keeps them.
    operations = [ops.RunPython(create_indexes, ops.RunPython.noop)]
