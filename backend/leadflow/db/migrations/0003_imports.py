import functools
import re
from enum import StrEnum
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

# What this migration needs of the application, as it was when the migration was written,
# spelled out here (not imported) so that a later change of the application cannot change what
# this migration does.


class ImportStatus(StrEnum):
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


class ImportIssueKind(StrEnum):
    REJECTED = "REJECTED"
    DUPLICATE = "DUPLICATE"


def phone_key(phone: str) -> str:
    """The digits of a phone number, with a leading "+" kept (services.validation.phone_key
    of the time): "+49 (30) 123-45" and "+4930 12345" are the same number."""
    digits = re.sub(r"\D", "", phone)
    return f"+{digits}" if digits and phone.lstrip().startswith("+") else digits


async def fill_phone_keys(apps, schema_editor) -> None:
    """Contacts stored before phone keys existed get theirs, so imports recognise them."""
    client = schema_editor.client
    rows = await client.execute_query_dict("SELECT id, phone FROM contacts WHERE phone <> ''")
    for row in rows:
        await client.execute_query(
            "UPDATE contacts SET phone_key = $1 WHERE id = $2"
            if client.capabilities.dialect == "postgres"
            else "UPDATE contacts SET phone_key = ? WHERE id = ?",
            [phone_key(row["phone"]), row["id"]],
        )


class Migration(migrations.Migration):
    dependencies = [('models', '0002_access')]

    initial = False

    operations = [
        ops.CreateModel(
            name='LeadImport',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('campaign', fields.ForeignKeyField('models.Campaign', source_field='campaign_id', db_index=True, db_constraint=True, to_field='id', related_name='imports', on_delete=OnDelete.RESTRICT)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='imports', on_delete=OnDelete.RESTRICT)),
                ('file_name', fields.CharField(max_length=200)),
                ('file_digest', fields.CharField(db_index=True, max_length=64)),
                ('status', fields.CharEnumField(default=ImportStatus.RUNNING, description='RUNNING: RUNNING\nCOMPLETED: COMPLETED\nFAILED: FAILED', enum_type=ImportStatus, max_length=16)),
                ('worker', fields.CharField(default='', max_length=100)),
                ('heartbeat_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('rows_total', fields.IntField(null=True)),
                ('rows_processed', fields.IntField(default=0)),
                ('last_row_number', fields.IntField(default=1)),
                ('leads_created', fields.IntField(default=0)),
                ('contacts_reused', fields.IntField(default=0)),
                ('duplicates_skipped', fields.IntField(default=0)),
                ('rows_rejected', fields.IntField(default=0)),
                ('empty_rows', fields.IntField(default=0)),
                ('unknown_columns', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('header', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('separator', fields.CharField(default=',', max_length=1)),
                ('failure', fields.TextField(default='', unique=False)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'lead_imports', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One import of a lead file: who, when, which file, how far it got and what it found.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ImportIssue',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('lead_import', fields.ForeignKeyField('models.LeadImport', source_field='lead_import_id', db_index=True, db_constraint=True, to_field='id', related_name='issues', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='REJECTED: REJECTED\nDUPLICATE: DUPLICATE', enum_type=ImportIssueKind, max_length=16)),
                ('row_number', fields.IntField()),
                ('field', fields.CharField(default='', max_length=100)),
                ('message', fields.TextField(unique=False)),
                ('values', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'import_issues', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A row an import rejected (with the field and reason) or skipped as a duplicate. Rejected'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Contact',
            name='phone_key',
            field=fields.CharField(default='', db_index=True, max_length=100),
        ),
        ops.RunPython(fill_phone_keys, ops.RunPython.noop),
    ]
