from enum import StrEnum
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

# The closed sets as they were when this migration was written, spelled out here (not
# imported from leadflow.db.enums) so that a later change of the enums cannot change what
# this migration does.


class ImportIssueCode(StrEnum):
    REQUIRED = 'REQUIRED'
    INVALID = 'INVALID'
    TOO_LONG = 'TOO_LONG'
    TOO_MANY_FIELDS = 'TOO_MANY_FIELDS'
    DUPLICATE = 'DUPLICATE'
    DUPLICATE_IN_FILE = 'DUPLICATE_IN_FILE'


# The reasons the import wrote before issues had codes, as it spelled them then, with the code
# each now gets. Spelled out here (not derived from the services) so that this migration keeps
# doing what it did when a message changes later. Other rejected rows keep the column's
# default, INVALID (a bad email address, a NUL character).
REJECTED_CODES = (
    ("TOO_MANY_FIELDS", "The row has % fields but the header %"),
    ("REQUIRED", "% must not be empty."),
    ("REQUIRED", "A lead needs an email address or a phone number to be contacted."),
    ("TOO_LONG", "% is too long (% characters, at most %)."),
    ("TOO_LONG", "This email address is too long (at most %)."),
)


async def fill_issue_codes(apps, schema_editor) -> None:
    """Issues recorded before this column existed: skipped rows are duplicates of an open lead
    (a stored import never reports a repeat within the file, its first row created the lead),
    rejected rows get the code of their message."""
    client = schema_editor.client
    # execute_query, not execute_script: sqlite3's executescript would commit the migration's
    # transaction first.
    await client.execute_query(
        "UPDATE import_issues SET code = 'DUPLICATE' WHERE kind = 'DUPLICATE'"
    )
    for code, pattern in REJECTED_CODES:
        await client.execute_query(
            f"UPDATE import_issues SET code = '{code}' "
            f"WHERE kind = 'REJECTED' AND message LIKE '{pattern}'"
        )


class Migration(migrations.Migration):
    dependencies = [('models', '0006_report_rollups')]

    initial = False

    operations = [
        ops.AddField(
            model_name='ImportIssue',
            name='code',
            field=fields.CharEnumField(description='REQUIRED: REQUIRED\nINVALID: INVALID\nTOO_LONG: TOO_LONG\nTOO_MANY_FIELDS: TOO_MANY_FIELDS\nDUPLICATE: DUPLICATE\nDUPLICATE_IN_FILE: DUPLICATE_IN_FILE', db_default=ImportIssueCode.INVALID, enum_type=ImportIssueCode, max_length=32),
        ),
        ops.RunPython(fill_issue_codes, ops.RunPython.noop),
    ]
