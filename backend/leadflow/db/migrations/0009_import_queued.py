from enum import StrEnum
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

# The closed sets as they were when this migration was written, spelled out here (not
# imported from leadflow.db.enums) so that a later change of the enums cannot change what
# this migration does.


class ImportStatus(StrEnum):
    QUEUED = 'QUEUED'
    RUNNING = 'RUNNING'
    COMPLETED = 'COMPLETED'
    FAILED = 'FAILED'


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
