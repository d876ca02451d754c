from enum import StrEnum
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

# The closed sets as they were when this migration was written, spelled out here (not
# imported from leadflow.db.enums) so that a later change of the enums cannot change what
# this migration does. LeadEventKind gained REOPENED (reopenLead) just before: only the
# column's description changes (max_length 32 holds it).


class LeadEventKind(StrEnum):
    CREATED = 'CREATED'
    ASSIGNED = 'ASSIGNED'
    REASSIGNED = 'REASSIGNED'
    FEEDBACK_RECORDED = 'FEEDBACK_RECORDED'
    CLOSED = 'CLOSED'
    OPPORTUNITY_CREATED = 'OPPORTUNITY_CREATED'
    REOPENED = 'REOPENED'


class OpportunityStage(StrEnum):
    OPEN = 'OPEN'
    QUALIFIED = 'QUALIFIED'
    PROPOSAL = 'PROPOSAL'
    NEGOTIATION = 'NEGOTIATION'
    WON = 'WON'
    LOST = 'LOST'


class OpportunityLostReason(StrEnum):
    PRICE = 'PRICE'
    COMPETITOR = 'COMPETITOR'
    NO_BUDGET = 'NO_BUDGET'
    NO_DECISION = 'NO_DECISION'
    OTHER = 'OTHER'


class OpportunityEventKind(StrEnum):
    CREATED = 'CREATED'
    HANDED_OVER = 'HANDED_OVER'
    STAGE_CHANGED = 'STAGE_CHANGED'
    UPDATED = 'UPDATED'


class Migration(migrations.Migration):
    dependencies = [('models', '0009_import_queued')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='LeadEvent',
            name='kind',
            field=fields.CharEnumField(description='CREATED: CREATED\nASSIGNED: ASSIGNED\nREASSIGNED: REASSIGNED\nFEEDBACK_RECORDED: FEEDBACK_RECORDED\nCLOSED: CLOSED\nOPPORTUNITY_CREATED: OPPORTUNITY_CREATED\nREOPENED: REOPENED', enum_type=LeadEventKind, max_length=32),
        ),
        ops.AlterField(
            model_name='Opportunity',
            name='stage',
            field=fields.CharEnumField(default=OpportunityStage.OPEN, description='OPEN: OPEN\nQUALIFIED: QUALIFIED\nPROPOSAL: PROPOSAL\nNEGOTIATION: NEGOTIATION\nWON: WON\nLOST: LOST', enum_type=OpportunityStage, max_length=16),
        ),
        ops.AddField(
            model_name='Opportunity',
            name='closed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Opportunity',
            name='expected_close_date',
            field=fields.DateField(null=True),
        ),
        ops.AddField(
            model_name='Opportunity',
            name='lost_reason',
            field=fields.CharEnumField(null=True, description='PRICE: PRICE\nCOMPETITOR: COMPETITOR\nNO_BUDGET: NO_BUDGET\nNO_DECISION: NO_DECISION\nOTHER: OTHER', enum_type=OpportunityLostReason, max_length=16),
        ),
        ops.AlterField(
            model_name='OpportunityEvent',
            name='kind',
            field=fields.CharEnumField(description='CREATED: CREATED\nHANDED_OVER: HANDED_OVER\nSTAGE_CHANGED: STAGE_CHANGED\nUPDATED: UPDATED', enum_type=OpportunityEventKind, max_length=32),
        ),
        ops.AddField(
            model_name='OpportunityEvent',
            name='previous_stage',
            field=fields.CharEnumField(null=True, description='OPEN: OPEN\nQUALIFIED: QUALIFIED\nPROPOSAL: PROPOSAL\nNEGOTIATION: NEGOTIATION\nWON: WON\nLOST: LOST', enum_type=OpportunityStage, max_length=16),
        ),
        ops.AddField(
            model_name='OpportunityEvent',
            name='stage',
            field=fields.CharEnumField(null=True, description='OPEN: OPEN\nQUALIFIED: QUALIFIED\nPROPOSAL: PROPOSAL\nNEGOTIATION: NEGOTIATION\nWON: WON\nLOST: LOST', enum_type=OpportunityStage, max_length=16),
        ),
    ]
