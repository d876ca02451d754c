from enum import StrEnum
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

# The sales week: activities (follow-ups) with the denormalised next due time on leads and
# opportunities, the contact change history, and the history kinds for activities. The closed
# sets are copied as they were when this was written (not imported from leadflow.db.enums).


class ActivityKind(StrEnum):
    CALL = 'CALL'
    EMAIL = 'EMAIL'
    MEETING = 'MEETING'
    TASK = 'TASK'


class LeadEventKind(StrEnum):
    CREATED = 'CREATED'
    ASSIGNED = 'ASSIGNED'
    REASSIGNED = 'REASSIGNED'
    FEEDBACK_RECORDED = 'FEEDBACK_RECORDED'
    CLOSED = 'CLOSED'
    OPPORTUNITY_CREATED = 'OPPORTUNITY_CREATED'
    REOPENED = 'REOPENED'
    ACTIVITY_SCHEDULED = 'ACTIVITY_SCHEDULED'
    ACTIVITY_RESCHEDULED = 'ACTIVITY_RESCHEDULED'
    ACTIVITY_COMPLETED = 'ACTIVITY_COMPLETED'


class OpportunityEventKind(StrEnum):
    CREATED = 'CREATED'
    HANDED_OVER = 'HANDED_OVER'
    STAGE_CHANGED = 'STAGE_CHANGED'
    UPDATED = 'UPDATED'
    ACTIVITY_SCHEDULED = 'ACTIVITY_SCHEDULED'
    ACTIVITY_RESCHEDULED = 'ACTIVITY_RESCHEDULED'
    ACTIVITY_COMPLETED = 'ACTIVITY_COMPLETED'


class DescriptionOnlyAlterField(ops.AlterField):
    """An AlterField that changes only a column's description (its comment): PostgreSQL gets
    the new comment; SQLite keeps no comments, and Tortoise would rebuild the whole table for
    it, losing the table's indexes (see 0013), so there only the migration state changes."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None):
        if state_editor is None or state_editor.client.capabilities.dialect == "sqlite":
            return
        await super().database_forward(app_label, old_state, new_state, state_editor)

    async def database_backward(self, app_label, old_state, new_state, state_editor=None):
        if state_editor is None or state_editor.client.capabilities.dialect == "sqlite":
            return
        await super().database_backward(app_label, old_state, new_state, state_editor)


class Migration(migrations.Migration):
    dependencies = [('models', '0010_opportunity_pipeline')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Activity',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharEnumField(description='CALL: CALL\nEMAIL: EMAIL\nMEETING: MEETING\nTASK: TASK', enum_type=ActivityKind, max_length=16)),
                ('due_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('note', fields.TextField(default='', unique=False)),
                ('assignee', fields.ForeignKeyField('models.User', source_field='assignee_id', db_constraint=True, to_field='id', related_name='activities', on_delete=OnDelete.RESTRICT)),
                ('lead', fields.ForeignKeyField('models.Lead', source_field='lead_id', null=True, db_constraint=True, to_field='id', related_name='activities', on_delete=OnDelete.CASCADE)),
                ('opportunity', fields.ForeignKeyField('models.Opportunity', source_field='opportunity_id', null=True, db_constraint=True, to_field='id', related_name='activities', on_delete=OnDelete.CASCADE)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', db_constraint=True, to_field='id', related_name='created_activities', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('done_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('done_note', fields.TextField(default='', unique=False)),
                ('done_by', fields.ForeignKeyField('models.User', source_field='done_by_id', null=True, db_constraint=True, to_field='id', related_name='completed_activities', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'activities', 'app': 'models', 'indexes': [Index(fields=['lead_id', 'done_at', 'due_at']), Index(fields=['opportunity_id', 'done_at', 'due_at']), Index(fields=['assignee_id', 'done_at', 'due_at'])], 'pk_attr': 'id', 'table_description': 'A planned next step (call, email, meeting, task) on a lead or an opportunity.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ContactChange',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('contact', fields.ForeignKeyField('models.Contact', source_field='contact_id', db_index=True, db_constraint=True, to_field='id', related_name='changes', on_delete=OnDelete.CASCADE)),
                ('field', fields.CharField(max_length=32)),
                ('old_value', fields.TextField(null=True, unique=False)),
                ('new_value', fields.TextField(null=True, unique=False)),
                ('actor', fields.ForeignKeyField('models.User', source_field='actor_id', db_constraint=True, to_field='id', related_name='contact_changes', on_delete=OnDelete.RESTRICT)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'contact_changes', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Append-only: one changed field of a contact, with its old and new value.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Lead',
            name='next_due_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddIndex(
            model_name='Lead',
            index=Index(fields=['assignee_id', 'closed_at', 'next_due_at']),
        ),
        DescriptionOnlyAlterField(
            model_name='LeadEvent',
            name='kind',
            field=fields.CharEnumField(description='CREATED: CREATED\nASSIGNED: ASSIGNED\nREASSIGNED: REASSIGNED\nFEEDBACK_RECORDED: FEEDBACK_RECORDED\nCLOSED: CLOSED\nOPPORTUNITY_CREATED: OPPORTUNITY_CREATED\nREOPENED: REOPENED\nACTIVITY_SCHEDULED: ACTIVITY_SCHEDULED\nACTIVITY_RESCHEDULED: ACTIVITY_RESCHEDULED\nACTIVITY_COMPLETED: ACTIVITY_COMPLETED', enum_type=LeadEventKind, max_length=32),
        ),
        ops.AddField(
            model_name='LeadEvent',
            name='activity',
            field=fields.ForeignKeyField('models.Activity', source_field='activity_id', null=True, db_constraint=True, to_field='id', related_name='lead_events', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddField(
            model_name='Opportunity',
            name='next_due_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        DescriptionOnlyAlterField(
            model_name='OpportunityEvent',
            name='kind',
            field=fields.CharEnumField(description='CREATED: CREATED\nHANDED_OVER: HANDED_OVER\nSTAGE_CHANGED: STAGE_CHANGED\nUPDATED: UPDATED\nACTIVITY_SCHEDULED: ACTIVITY_SCHEDULED\nACTIVITY_RESCHEDULED: ACTIVITY_RESCHEDULED\nACTIVITY_COMPLETED: ACTIVITY_COMPLETED', enum_type=OpportunityEventKind, max_length=32),
        ),
        ops.AddField(
            model_name='OpportunityEvent',
            name='activity',
            field=fields.ForeignKeyField('models.Activity', source_field='activity_id', null=True, db_constraint=True, to_field='id', related_name='opportunity_events', on_delete=OnDelete.RESTRICT),
        ),
    ]
