from tortoise import migrations
from tortoise.migrations import operations as ops
from leadflow.db.enums import ImportStatus
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0008_import_sources')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='LeadImport',
            name='status',
            field=fields.CharEnumField(default=ImportStatus.RUNNING, description='QUEUED: QUEUED\nRUNNING: RUNNING\nCOMPLETED: COMPLETED\nFAILED: FAILED', enum_type=ImportStatus, max_length=16),
        ),
    ]
