"""Lead mutations: intake, distribution, feedback, close."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from leadflow.api.errors import UserError, user_errors
from leadflow.api.ids import decode_id, decode_optional_id
from leadflow.api.resolvers import load_lead_node, load_lead_nodes, load_opportunity_node
from leadflow.api.types import inputs
from leadflow.api.types.nodes import FeedbackNode, LeadNode, OpportunityNode
from leadflow.errors import DomainError
from leadflow.services import leads


@strawberry.type
class CreateLeadsPayload:
    leads: list[LeadNode] | None = strawberry.field(description="In the order of the input.")
    user_errors: list[UserError]


@strawberry.type
class AssignLeadsPayload:
    leads: list[LeadNode] | None
    user_errors: list[UserError]


@strawberry.type
class ReassignLeadPayload:
    lead: LeadNode | None
    user_errors: list[UserError]


@strawberry.type
class RecordFeedbackPayload:
    feedback: FeedbackNode | None
    lead: LeadNode | None
    user_errors: list[UserError]


@strawberry.type
class CloseLeadPayload:
    lead: LeadNode | None
    opportunity: OpportunityNode | None = strawberry.field(
        description="Created by a SUCCESSFUL close."
    )
    user_errors: list[UserError]


def _intake(lead: inputs.LeadInput) -> leads.LeadIntake:
    return leads.LeadIntake(
        last_name=lead.last_name,
        first_name=lead.first_name,
        salutation=lead.salutation,
        company=lead.company,
        email=lead.email,
        phone=lead.phone,
        street=lead.street,
        postal_code=lead.postal_code,
        city=lead.city,
        country=lead.country,
    )


@strawberry.type
class LeadMutations:
    @strawberry.mutation(description="Add up to 1000 leads to a campaign, all or nothing.")
    async def create_leads(self, info: Info, input: inputs.CreateLeadsInput) -> CreateLeadsPayload:
        actor = info.context.require_writer()
        try:
            campaign_id = decode_id(input.campaign_id, "Campaign", ["campaignId"])
            created = await leads.create_leads(
                actor, campaign_id, [_intake(lead) for lead in input.leads]
            )
        except DomainError as error:
            return CreateLeadsPayload(leads=None, user_errors=user_errors(error))
        return CreateLeadsPayload(
            leads=await load_lead_nodes([lead.id for lead in created]), user_errors=[]
        )

    @strawberry.mutation(description="Distribute NEW leads to one active clerk, all or nothing.")
    async def assign_leads(self, info: Info, input: inputs.AssignLeadsInput) -> AssignLeadsPayload:
        actor = info.context.require_writer()
        try:
            lead_ids = [
                decode_id(raw, "Lead", ["leadIds", str(index)])
                for index, raw in enumerate(input.lead_ids)
            ]
            assignee_id = decode_id(input.assignee_id, "User", ["assigneeId"])
            assigned = await leads.assign_leads(actor, lead_ids, assignee_id)
        except DomainError as error:
            return AssignLeadsPayload(leads=None, user_errors=user_errors(error))
        return AssignLeadsPayload(
            leads=await load_lead_nodes([lead.id for lead in assigned]), user_errors=[]
        )

    @strawberry.mutation(description="Move an ACTIVE lead to another active clerk (managers).")
    async def reassign_lead(
        self, info: Info, input: inputs.ReassignLeadInput
    ) -> ReassignLeadPayload:
        actor = info.context.require_writer()
        try:
            lead = await leads.reassign_lead(
                actor,
                decode_id(input.lead_id, "Lead", ["leadId"]),
                decode_id(input.assignee_id, "User", ["assigneeId"]),
            )
        except DomainError as error:
            return ReassignLeadPayload(lead=None, user_errors=user_errors(error))
        return ReassignLeadPayload(lead=await load_lead_node(lead.id), user_errors=[])

    @strawberry.mutation(description="Note the contact's feedback on an ACTIVE lead.")
    async def record_feedback(
        self,
        info: Info,
        input: inputs.RecordFeedbackInput,
    ) -> RecordFeedbackPayload:
        actor = info.context.require_writer()
        try:
            feedback, lead = await leads.record_feedback(
                actor, decode_id(input.lead_id, "Lead", ["leadId"]), input.channel, input.note
            )
        except DomainError as error:
            return RecordFeedbackPayload(feedback=None, lead=None, user_errors=user_errors(error))
        await feedback.fetch_related("author")
        return RecordFeedbackPayload(
            feedback=FeedbackNode.from_model(feedback),
            lead=await load_lead_node(lead.id),
            user_errors=[],
        )

    @strawberry.mutation(
        description="Close an ACTIVE lead. SUCCESSFUL creates an opportunity; UNSUCCESSFUL needs "
        "a reason."
    )
    async def close_lead(self, info: Info, input: inputs.CloseLeadInput) -> CloseLeadPayload:
        actor = info.context.require_writer()
        try:
            draft = None
            if input.opportunity is not None:
                draft = leads.OpportunityDraft(
                    title=input.opportunity.title,
                    expected_value=input.opportunity.expected_value,
                    owner_id=decode_optional_id(
                        input.opportunity.owner_id, "User", ["opportunity", "ownerId"]
                    ),
                )
            result = await leads.close_lead(
                actor,
                decode_id(input.lead_id, "Lead", ["leadId"]),
                input.outcome,
                input.reason,
                input.note,
                draft,
            )
        except DomainError as error:
            return CloseLeadPayload(lead=None, opportunity=None, user_errors=user_errors(error))
        opportunity = (
            await load_opportunity_node(result.opportunity.id) if result.opportunity else None
        )
        return CloseLeadPayload(
            lead=await load_lead_node(result.lead.id), opportunity=opportunity, user_errors=[]
        )
