"""Lead mutations: intake, distribution, feedback, close, reopen."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from leadflow.api.context import Context
from leadflow.api.errors import UserError
from leadflow.api.ids import decode_id, decode_ids
from leadflow.api.inputs.leads import (
    AssignLeadsInput,
    CloseLeadInput,
    CreateLeadsInput,
    ReassignLeadInput,
    RecordFeedbackInput,
    ReopenLeadInput,
)
from leadflow.api.mutations.payload import Payload, payload_mutation
from leadflow.api.types.history import FeedbackNode
from leadflow.api.types.lead import (
    LeadNode,
    OpportunityNode,
    load_assigned_lead_nodes,
    load_lead_node,
    load_lead_nodes,
    load_opportunity_node,
)
from leadflow.services import leads


@strawberry.type
class CreateLeadsPayload(Payload):
    leads: list[LeadNode] | None = strawberry.field(description="In the order of the input.")
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AssignLeadsPayload(Payload):
    leads: list[LeadNode] | None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ReassignLeadPayload(Payload):
    lead: LeadNode | None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RecordFeedbackPayload(Payload):
    feedback: FeedbackNode | None
    lead: LeadNode | None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CloseLeadPayload(Payload):
    lead: LeadNode | None
    opportunity: OpportunityNode | None = strawberry.field(
        description="Created by a SUCCESSFUL close."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ReopenLeadPayload(Payload):
    lead: LeadNode | None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class LeadMutations:
    @payload_mutation(description="Add up to 1000 leads to a campaign, all or nothing.")
    async def create_leads(
        self, info: Info[Context, None], input: CreateLeadsInput
    ) -> CreateLeadsPayload:
        actor = info.context.require_writer()
        created = await leads.create_leads(
            actor,
            decode_id(input.campaign_id, "Campaign", ["campaignId"]),
            [lead.intake() for lead in input.leads],
        )
        return CreateLeadsPayload(leads=await load_lead_nodes([lead.id for lead in created]))

    @payload_mutation(description="Distribute NEW leads to one active clerk, all or nothing.")
    async def assign_leads(
        self, info: Info[Context, None], input: AssignLeadsInput
    ) -> AssignLeadsPayload:
        actor = info.context.require_writer()
        lead_ids = decode_ids(input.lead_ids, "Lead", "leadIds")
        assignee_id = decode_id(input.assignee_id, "User", ["assigneeId"])
        assigned = await leads.assign_leads_by_id(actor, lead_ids, assignee_id)
        return AssignLeadsPayload(leads=await load_assigned_lead_nodes(info, assigned, assignee_id))

    @payload_mutation(description="Move an ACTIVE lead to another active clerk (managers).")
    async def reassign_lead(
        self, info: Info[Context, None], input: ReassignLeadInput
    ) -> ReassignLeadPayload:
        actor = info.context.require_writer()
        lead = await leads.reassign_lead(
            actor,
            decode_id(input.lead_id, "Lead", ["leadId"]),
            decode_id(input.assignee_id, "User", ["assigneeId"]),
        )
        return ReassignLeadPayload(lead=await load_lead_node(lead.id))

    @payload_mutation(description="Note the contact's feedback on an ACTIVE lead.")
    async def record_feedback(
        self, info: Info[Context, None], input: RecordFeedbackInput
    ) -> RecordFeedbackPayload:
        actor = info.context.require_writer()
        feedback, lead = await leads.record_feedback(
            actor, decode_id(input.lead_id, "Lead", ["leadId"]), input.channel, input.note
        )
        await feedback.fetch_related("author")
        return RecordFeedbackPayload(
            feedback=FeedbackNode.from_model(feedback), lead=await load_lead_node(lead.id)
        )

    @payload_mutation(
        description="Close an ACTIVE lead. SUCCESSFUL creates an opportunity; UNSUCCESSFUL needs "
        "a reason."
    )
    async def close_lead(
        self, info: Info[Context, None], input: CloseLeadInput
    ) -> CloseLeadPayload:
        actor = info.context.require_writer()
        draft = input.opportunity.draft() if input.opportunity is not None else None
        result = await leads.close_lead(
            actor,
            decode_id(input.lead_id, "Lead", ["leadId"]),
            input.outcome,
            input.reason,
            input.note,
            draft,
        )
        opportunity = result.opportunity
        return CloseLeadPayload(
            lead=await load_lead_node(result.lead.id),
            opportunity=await load_opportunity_node(opportunity.id) if opportunity else None,
        )

    @payload_mutation(
        description="Reopen a DONE lead (managers): back to its last clerk (ACTIVE) if still an "
        "active clerk, otherwise NEW. An opportunity its close created stays."
    )
    async def reopen_lead(
        self, info: Info[Context, None], input: ReopenLeadInput
    ) -> ReopenLeadPayload:
        actor = info.context.require_writer()
        lead = await leads.reopen_lead(
            actor, decode_id(input.lead_id, "Lead", ["leadId"]), input.note
        )
        return ReopenLeadPayload(lead=await load_lead_node(lead.id))
