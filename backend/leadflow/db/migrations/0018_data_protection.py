from tortoise import migrations
from tortoise.migrations import operations as ops
from enum import StrEnum
from tortoise.fields.base import OnDelete
from tortoise import fields

# Data protection (DSGVO): the erased contact's tombstone time, the suppression list of erased
# people's keyed hashes, the shared generated secret, a campaign's retention and a lead's import
# (its source). Tortoise's autodetector also proposes re-declaring import_issues.code and
# notifications.kind for their enums' descriptions; left out: on SQLite that rebuilds the tables
# and drops their indexes, and the columns are plain strings either way.


class SuppressionKind(StrEnum):
    # A copy as of this migration: a migration must not change when the enum does.
    EMAIL = "EMAIL"
    PHONE = "PHONE"


class Migration(migrations.Migration):
    dependencies = [('models', '0017_contact_opt_out')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ServerSecret',
            fields=[
                ('name', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('value', fields.CharField(max_length=128)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'server_secrets', 'app': 'models', 'pk_attr': 'name', 'table_description': 'A secret the instances share and generate once when no setting provides it (the'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Suppression',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharEnumField(description='EMAIL: EMAIL\nPHONE: PHONE', enum_type=SuppressionKind, max_length=8)),
                ('digest', fields.CharField(max_length=64)),
                ('contact_id', fields.IntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'suppressions', 'app': 'models', 'unique_together': (('kind', 'digest'),), 'pk_attr': 'id', 'table_description': 'An erased person who must not be stored again: the keyed hash (HMAC-SHA256 with the'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Campaign',
            name='retention_days',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Contact',
            name='erased_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Lead',
            name='lead_import',
            field=fields.ForeignKeyField('models.LeadImport', source_field='lead_import_id', null=True, db_constraint=True, to_field='id', related_name='leads', on_delete=OnDelete.SET_NULL),
        ),
    ]
