from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0007_import_issue_codes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ImportSource',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('lead_import', fields.OneToOneField('models.LeadImport', source_field='lead_import_id', db_constraint=True, to_field='id', related_name='source', on_delete=OnDelete.CASCADE)),
                ('content', fields.BinaryField()),
                ('mapping', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'import_sources', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The uploaded file of a web import and its column mapping, kept in the database while'},
            bases=['Model'],
        ),
    ]
