from enum import StrEnum
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

# The closed sets as they were when this migration was written, spelled out here (not
# imported from leadflow.db.enums) so that a later change of the enums cannot change what
# this migration does.


class Role(StrEnum):
    ADMIN = 'ADMIN'
    MANAGER = 'MANAGER'
    CLERK = 'CLERK'
    PARTNER = 'PARTNER'


class Outcome(StrEnum):
    SUCCESSFUL = 'SUCCESSFUL'
    UNSUCCESSFUL = 'UNSUCCESSFUL'


class CloseReason(StrEnum):
    NOT_INTERESTED = 'NOT_INTERESTED'
    UNREACHABLE = 'UNREACHABLE'
    WRONG_CONTACT_DATA = 'WRONG_CONTACT_DATA'
    DUPLICATE = 'DUPLICATE'
    OTHER = 'OTHER'


class Channel(StrEnum):
    PHONE = 'PHONE'
    EMAIL = 'EMAIL'
    MEETING = 'MEETING'
    LETTER = 'LETTER'
    OTHER = 'OTHER'


class OpportunityStage(StrEnum):
    OPEN = 'OPEN'
    WON = 'WON'
    LOST = 'LOST'


class LeadEventKind(StrEnum):
    CREATED = 'CREATED'
    ASSIGNED = 'ASSIGNED'
    REASSIGNED = 'REASSIGNED'
    FEEDBACK_RECORDED = 'FEEDBACK_RECORDED'
    CLOSED = 'CLOSED'
    OPPORTUNITY_CREATED = 'OPPORTUNITY_CREATED'


class OpportunityEventKind(StrEnum):
    CREATED = 'CREATED'
    HANDED_OVER = 'HANDED_OVER'


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Campaign',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=200)),
                ('description', fields.TextField(default='', unique=False)),
                ('starts_on', fields.DateField(null=True)),
                ('ends_on', fields.DateField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'campaigns', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Contact',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('salutation', fields.CharField(default='', max_length=100)),
                ('first_name', fields.CharField(default='', max_length=200)),
                ('last_name', fields.CharField(max_length=200)),
                ('company', fields.CharField(default='', max_length=200)),
                ('email', fields.CharField(null=True, max_length=254)),
                ('email_key', fields.CharField(null=True, unique=True, max_length=254)),
                ('phone', fields.CharField(default='', max_length=100)),
                ('street', fields.CharField(default='', max_length=200)),
                ('postal_code', fields.CharField(default='', max_length=20)),
                ('city', fields.CharField(default='', max_length=200)),
                ('country', fields.CharField(default='', max_length=100)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'contacts', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='User',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('email', fields.CharField(unique=True, max_length=254)),
                ('name', fields.CharField(max_length=200)),
                ('role', fields.CharEnumField(description='ADMIN: ADMIN\nMANAGER: MANAGER\nCLERK: CLERK\nPARTNER: PARTNER', enum_type=Role, max_length=16)),
                ('active', fields.BooleanField(default=True)),
                ('password_hash', fields.CharField(null=True, max_length=255)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'users', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ApiToken',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='tokens', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(default='', max_length=100)),
                ('digest', fields.CharField(unique=True, max_length=64)),
                ('read_only', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'api_tokens', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Lead',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('contact', fields.ForeignKeyField('models.Contact', source_field='contact_id', db_index=True, db_constraint=True, to_field='id', related_name='leads', on_delete=OnDelete.RESTRICT)),
                ('campaign', fields.ForeignKeyField('models.Campaign', source_field='campaign_id', db_constraint=True, to_field='id', related_name='leads', on_delete=OnDelete.RESTRICT)),
                ('assignee', fields.ForeignKeyField('models.User', source_field='assignee_id', null=True, db_constraint=True, to_field='id', related_name='assigned_leads', on_delete=OnDelete.RESTRICT)),
                ('assigned_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('outcome', fields.CharEnumField(null=True, description='SUCCESSFUL: SUCCESSFUL\nUNSUCCESSFUL: UNSUCCESSFUL', enum_type=Outcome, max_length=16)),
                ('close_reason', fields.CharEnumField(null=True, description='NOT_INTERESTED: NOT_INTERESTED\nUNREACHABLE: UNREACHABLE\nWRONG_CONTACT_DATA: WRONG_CONTACT_DATA\nDUPLICATE: DUPLICATE\nOTHER: OTHER', enum_type=CloseReason, max_length=32)),
                ('close_note', fields.TextField(default='', unique=False)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('closed_by', fields.ForeignKeyField('models.User', source_field='closed_by_id', null=True, db_constraint=True, to_field='id', related_name='closed_leads', on_delete=OnDelete.RESTRICT)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='created_leads', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'leads', 'app': 'models', 'indexes': [Index(fields=['assignee_id', 'closed_at']), Index(fields=['campaign_id', 'closed_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Feedback',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('lead', fields.ForeignKeyField('models.Lead', source_field='lead_id', db_index=True, db_constraint=True, to_field='id', related_name='feedback', on_delete=OnDelete.CASCADE)),
                ('author', fields.ForeignKeyField('models.User', source_field='author_id', db_constraint=True, to_field='id', related_name='feedback', on_delete=OnDelete.RESTRICT)),
                ('channel', fields.CharEnumField(description='PHONE: PHONE\nEMAIL: EMAIL\nMEETING: MEETING\nLETTER: LETTER\nOTHER: OTHER', enum_type=Channel, max_length=16)),
                ('note', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'feedback', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Opportunity',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('title', fields.CharField(max_length=200)),
                ('contact', fields.ForeignKeyField('models.Contact', source_field='contact_id', db_index=True, db_constraint=True, to_field='id', related_name='opportunities', on_delete=OnDelete.RESTRICT)),
                ('lead', fields.ForeignKeyField('models.Lead', source_field='lead_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='opportunities', on_delete=OnDelete.RESTRICT)),
                ('owner', fields.ForeignKeyField('models.User', source_field='owner_id', db_index=True, db_constraint=True, to_field='id', related_name='opportunities', on_delete=OnDelete.RESTRICT)),
                ('stage', fields.CharEnumField(default=OpportunityStage.OPEN, description='OPEN: OPEN\nWON: WON\nLOST: LOST', enum_type=OpportunityStage, max_length=16)),
                ('expected_value', fields.DecimalField(null=True, max_digits=14, decimal_places=2)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'opportunities', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LeadEvent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('lead', fields.ForeignKeyField('models.Lead', source_field='lead_id', db_index=True, db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='CREATED: CREATED\nASSIGNED: ASSIGNED\nREASSIGNED: REASSIGNED\nFEEDBACK_RECORDED: FEEDBACK_RECORDED\nCLOSED: CLOSED\nOPPORTUNITY_CREATED: OPPORTUNITY_CREATED', enum_type=LeadEventKind, max_length=32)),
                ('actor', fields.ForeignKeyField('models.User', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='lead_events', on_delete=OnDelete.RESTRICT)),
                ('assignee', fields.ForeignKeyField('models.User', source_field='assignee_id', null=True, db_constraint=True, to_field='id', related_name='lead_events_as_assignee', on_delete=OnDelete.RESTRICT)),
                ('previous_assignee', fields.ForeignKeyField('models.User', source_field='previous_assignee_id', null=True, db_constraint=True, to_field='id', related_name='lead_events_as_previous_assignee', on_delete=OnDelete.RESTRICT)),
                ('outcome', fields.CharEnumField(null=True, description='SUCCESSFUL: SUCCESSFUL\nUNSUCCESSFUL: UNSUCCESSFUL', enum_type=Outcome, max_length=16)),
                ('close_reason', fields.CharEnumField(null=True, description='NOT_INTERESTED: NOT_INTERESTED\nUNREACHABLE: UNREACHABLE\nWRONG_CONTACT_DATA: WRONG_CONTACT_DATA\nDUPLICATE: DUPLICATE\nOTHER: OTHER', enum_type=CloseReason, max_length=32)),
                ('note', fields.TextField(default='', unique=False)),
                ('opportunity', fields.ForeignKeyField('models.Opportunity', source_field='opportunity_id', null=True, db_constraint=True, to_field='id', related_name='lead_events', on_delete=OnDelete.RESTRICT)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'lead_events', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Append-only: rows are inserted, never updated or deleted.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OpportunityEvent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('opportunity', fields.ForeignKeyField('models.Opportunity', source_field='opportunity_id', db_index=True, db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='CREATED: CREATED\nHANDED_OVER: HANDED_OVER', enum_type=OpportunityEventKind, max_length=32)),
                ('actor', fields.ForeignKeyField('models.User', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='opportunity_events', on_delete=OnDelete.RESTRICT)),
                ('owner', fields.ForeignKeyField('models.User', source_field='owner_id', null=True, db_constraint=True, to_field='id', related_name='opportunity_events_as_owner', on_delete=OnDelete.RESTRICT)),
                ('previous_owner', fields.ForeignKeyField('models.User', source_field='previous_owner_id', null=True, db_constraint=True, to_field='id', related_name='opportunity_events_as_previous_owner', on_delete=OnDelete.RESTRICT)),
                ('note', fields.TextField(default='', unique=False)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'opportunity_events', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Append-only: rows are inserted, never updated or deleted.'},
            bases=['Model'],
        ),
    ]
