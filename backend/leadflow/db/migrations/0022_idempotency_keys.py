"""Idempotency keys for mutations (issue 16): `idempotency_keys` holds, per user and key, the
digest of a mutation request and the response it got, written in the mutation's transaction
(services/idempotency.py). Tortoise's autodetector also proposes re-declaring import_issues.code
and notifications.kind for their enums' descriptions; left out, as in 0018: on SQLite that
rebuilds the tables and drops their indexes, and the columns are plain strings either way."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0021_lead_counts')]

    initial = False

    operations = [
        ops.CreateModel(
            name='IdempotencyKey',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='idempotency_keys', on_delete=OnDelete.CASCADE)),
                ('key', fields.CharField(max_length=200)),
                ('request_digest', fields.CharField(max_length=64)),
                ('status', fields.IntField(default=0)),
                ('response', fields.TextField(default='', unique=False)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'idempotency_keys', 'app': 'models', 'unique_together': (('user', 'key'),), 'pk_attr': 'id', 'table_description': 'A mutation request sent with an `Idempotency-Key` header, per user: written in the'},
            bases=['Model'],
        ),
    ]
