from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from enum import StrEnum

# Smart distribution, notifications and the event outbox: clerk capacity and absences, each
# campaign's distribution (strategy, clerks, automatic, the round-robin pointer), a campaign's
# waiting limit, why a lead's clerk got it, notifications with their e-mail queue, and the
# outbox of events that live updates (and webhooks) read. The closed sets are copied as they
# were when this was written (not imported from leadflow.db.enums).


class DistributionStrategy(StrEnum):
    ROUND_ROBIN = 'ROUND_ROBIN'
    LEAST_LOADED = 'LEAST_LOADED'


class NotificationKind(StrEnum):
    LEAD_ASSIGNED = 'LEAD_ASSIGNED'
    LEAD_REASSIGNED_AWAY = 'LEAD_REASSIGNED_AWAY'
    OPPORTUNITY_HANDED_OVER = 'OPPORTUNITY_HANDED_OVER'
    ACTIVITY_DUE = 'ACTIVITY_DUE'
    LEADS_WAITING = 'LEADS_WAITING'


class EmailStatus(StrEnum):
    PENDING = 'PENDING'
    SENT = 'SENT'
    FAILED = 'FAILED'


class Migration(migrations.Migration):
    dependencies = [('models', '0014_closed_leads_wait_for_nobody')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Absence',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='absences', on_delete=OnDelete.CASCADE)),
                ('starts_on', fields.DateField()),
                ('ends_on', fields.DateField()),
            ],
            options={'table': 'absences', 'app': 'models', 'indexes': [Index(fields=['user_id', 'ends_on'])], 'pk_attr': 'id', 'table_description': "Days (inclusive, in the company's calendar) on which a clerk gets no new leads."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CampaignDistribution',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('campaign', fields.OneToOneField('models.Campaign', source_field='campaign_id', db_constraint=True, to_field='id', related_name='distribution', on_delete=OnDelete.CASCADE)),
                ('strategy', fields.CharEnumField(default=DistributionStrategy.LEAST_LOADED, description='ROUND_ROBIN: ROUND_ROBIN\nLEAST_LOADED: LEAST_LOADED', enum_type=DistributionStrategy, max_length=16)),
                ('automatic', fields.BooleanField(default=False)),
                ('clerk_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('last_clerk_id', fields.IntField(null=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'campaign_distributions', 'app': 'models', 'pk_attr': 'id', 'table_description': "A campaign's distribution: the clerks and strategy of its automatic distribution, and"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Notification',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='LEAD_ASSIGNED: LEAD_ASSIGNED\nLEAD_REASSIGNED_AWAY: LEAD_REASSIGNED_AWAY\nOPPORTUNITY_HANDED_OVER: OPPORTUNITY_HANDED_OVER\nACTIVITY_DUE: ACTIVITY_DUE\nLEADS_WAITING: LEADS_WAITING', enum_type=NotificationKind, max_length=32)),
                ('message', fields.TextField(unique=False)),
                ('lead', fields.ForeignKeyField('models.Lead', source_field='lead_id', null=True, db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('opportunity', fields.ForeignKeyField('models.Opportunity', source_field='opportunity_id', null=True, db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('activity', fields.ForeignKeyField('models.Activity', source_field='activity_id', null=True, db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('read_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('once_key', fields.CharField(null=True, unique=True, max_length=100)),
            ],
            options={'table': 'notifications', 'app': 'models', 'indexes': [Index(fields=['user_id', 'id']), Index(fields=['user_id', 'read_at'])], 'pk_attr': 'id', 'table_description': 'Something a user should know, written in the transaction of what it announces.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NotificationEmail',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('notification', fields.OneToOneField('models.Notification', source_field='notification_id', db_constraint=True, to_field='id', related_name='email', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharEnumField(default=EmailStatus.PENDING, description='PENDING: PENDING\nSENT: SENT\nFAILED: FAILED', enum_type=EmailStatus, max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('locked_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.TextField(default='', unique=False)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'notification_emails', 'app': 'models', 'indexes': [Index(fields=['status', 'next_attempt_at'])], 'pk_attr': 'id', 'table_description': 'The durable queue of notification e-mails: one row per notification to be mailed,'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OutboxEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('topic', fields.CharField(max_length=64)),
                ('lead_id', fields.IntField(null=True)),
                ('opportunity_id', fields.IntField(null=True)),
                ('campaign_id', fields.IntField(null=True)),
                ('user_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('payload', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'outbox_events', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The event outbox: every change that live updates (and later webhooks) announce, written'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Campaign',
            name='waiting_limit_hours',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Lead',
            name='assignment_reason',
            field=fields.CharField(null=True, max_length=300),
        ),
        ops.AddField(
            model_name='User',
            name='capacity',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='User',
            name='email_notifications',
            field=fields.BooleanField(default=True),
        ),
    ]
