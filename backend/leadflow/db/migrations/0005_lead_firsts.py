from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index


async def fill_lead_firsts(apps, schema_editor) -> None:
    """Leads stored before these columns existed get their first assignment, first feedback
    and the start of their current wait from the history (the same statements on SQLite and
    PostgreSQL)."""
    client = schema_editor.client
    await client.execute_script(
        "UPDATE leads SET first_assigned_at = (SELECT MIN(lead_events.at) FROM lead_events "
        "WHERE lead_events.lead_id = leads.id AND lead_events.kind = 'ASSIGNED')"
    )
    await client.execute_script(
        "UPDATE leads SET first_feedback_at = (SELECT MIN(feedback.created_at) FROM feedback "
        "WHERE feedback.lead_id = leads.id)"
    )
    # The current wait starts at the later of the current assignment and the latest feedback
    # (NULL for leads never assigned).
    latest_feedback = (
        "(SELECT MAX(feedback.created_at) FROM feedback WHERE feedback.lead_id = leads.id)"
    )
    await client.execute_script(
        "UPDATE leads SET waiting_since = CASE "
        f"WHEN {latest_feedback} IS NULL OR {latest_feedback} < leads.assigned_at "
        f"THEN leads.assigned_at ELSE {latest_feedback} END "
        "WHERE leads.assignee_id IS NOT NULL"
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
        ops.AddField(
            model_name='Lead',
            name='waiting_since',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.RunPython(fill_lead_firsts, ops.RunPython.noop),
        ops.AddIndex(
            model_name='Lead',
            index=Index(fields=['first_feedback_at']),
        ),
        ops.AddIndex(
            model_name='Lead',
            index=Index(fields=['assignee_id', 'closed_at', 'waiting_since']),
        ),
    ]
