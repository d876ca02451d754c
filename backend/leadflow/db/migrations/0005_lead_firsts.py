from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index


async def fill_lead_firsts(apps, schema_editor) -> None:
    """Leads stored before these columns existed get their first assignment and first
    feedback from the history (the same statements on SQLite and PostgreSQL)."""
    client = schema_editor.client
    await client.execute_script(
        "UPDATE leads SET first_assigned_at = (SELECT MIN(lead_events.at) FROM lead_events "
        "WHERE lead_events.lead_id = leads.id AND lead_events.kind = 'ASSIGNED')"
    )
    await client.execute_script(
        "UPDATE leads SET first_feedback_at = (SELECT MIN(feedback.created_at) FROM feedback "
        "WHERE feedback.lead_id = leads.id)"
    )


class Migration(migrations.Migration):
    dependencies = [('models', '0004_report_indexes')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Lead',
            name='first_assigned_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Lead',
            name='first_feedback_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.RunPython(fill_lead_firsts, ops.RunPython.noop),
        ops.AddIndex(
            model_name='Lead',
            index=Index(fields=['first_feedback_at']),
        ),
    ]
