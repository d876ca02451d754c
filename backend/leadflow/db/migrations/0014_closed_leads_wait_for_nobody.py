"""Closed leads wait for nobody: their `waiting_since` is cleared (closeLead clears it from now
on). Until then a DONE lead kept the wait it had when it was closed, which the API hides, but
the lead list's WAITING_LONGEST and NEXT_DUE orders sorted DONE leads by it and their cursors
carried it. Reports read the wait of ACTIVE leads only; a reopen starts a new wait.

The SQL is spelled out here, not imported, so that this migration keeps doing what it did.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops


CLEAR = (
    "UPDATE leads SET waiting_since = NULL WHERE closed_at IS NOT NULL AND waiting_since IS NOT NULL"
)


async def clear_waits_of_closed_leads(apps, schema_editor) -> None:
    """One statement inside the migration's transaction (see 0006: not execute_script on
    SQLite, which commits first)."""
    client = schema_editor.client
    if client.capabilities.dialect == "postgres":
        await client.execute_script(CLEAR)
    else:
        await client.execute_query(CLEAR)


class Migration(migrations.Migration):
    dependencies = [("models", "0013_lost_indexes")]

    initial = False

    # Backwards: the cleared waits are not known any more, and nothing reads them.
    operations = [ops.RunPython(clear_waits_of_closed_leads, ops.RunPython.noop)]
