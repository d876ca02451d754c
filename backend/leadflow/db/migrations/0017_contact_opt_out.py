from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

# Consent (DSGVO): a contact who objected to being contacted (opted_out, when, and the note why).
# Tortoise's autodetector also proposes re-declaring notifications.kind for its enum's description
# (WEBHOOK_DISABLED); that is left out: on SQLite it rebuilds the table and drops its indexes,
# and the column is a plain string either way.

class Migration(migrations.Migration):
    dependencies = [('models', '0016_webhooks')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Contact',
            name='opted_out',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='Contact',
            name='opted_out_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Contact',
            name='opted_out_note',
            field=fields.CharField(default='', db_default='', max_length=2000),
        ),
    ]
