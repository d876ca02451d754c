from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0003_imports')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Feedback',
            index=Index(fields=['lead_id', 'created_at']),
        ),
        ops.AddIndex(
            model_name='Feedback',
            index=Index(fields=['created_at']),
        ),
        ops.AddIndex(
            model_name='Lead',
            index=Index(fields=['campaign_id', 'created_at']),
        ),
        ops.AddIndex(
            model_name='Lead',
            index=Index(fields=['closed_at']),
        ),
        ops.AddIndex(
            model_name='LeadEvent',
            index=Index(fields=['lead_id', 'kind', 'at']),
        ),
    ]
