"""Opportunity mutations."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from leadflow.api.context import Context
from leadflow.api.errors import UserError
from leadflow.api.ids import decode_id, decode_optional_id
from leadflow.api.inputs.opportunities import (
    CreateOpportunityInput,
    HandOverOpportunityInput,
    MoveOpportunityInput,
    UpdateOpportunityInput,
)
from leadflow.api.mutations.payload import Payload, payload_mutation
from leadflow.api.types.lead import OpportunityNode, load_opportunity_node
from leadflow.services import opportunities


@strawberry.type
class CreateOpportunityPayload(Payload):
    opportunity: OpportunityNode | None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class HandOverOpportunityPayload(Payload):
    opportunity: OpportunityNode | None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class MoveOpportunityPayload(Payload):
    opportunity: OpportunityNode | None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class UpdateOpportunityPayload(Payload):
    opportunity: OpportunityNode | None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class OpportunityMutations:
    @payload_mutation(description="Create an opportunity for a contact outside a lead close.")
    async def create_opportunity(
        self, info: Info[Context, None], input: CreateOpportunityInput
    ) -> CreateOpportunityPayload:
        actor = info.context.require_writer()
        opportunity = await opportunities.create_opportunity(
            actor,
            decode_id(input.contact_id, "Contact", ["contactId"]),
            input.title,
            input.expected_value,
            decode_optional_id(input.owner_id, "User", ["ownerId"]),
            decode_optional_id(input.lead_id, "Lead", ["leadId"]),
        )
        return CreateOpportunityPayload(opportunity=await load_opportunity_node(opportunity.id))

    @payload_mutation(description="Hand an open opportunity over to another active clerk.")
    async def hand_over_opportunity(
        self, info: Info[Context, None], input: HandOverOpportunityInput
    ) -> HandOverOpportunityPayload:
        actor = info.context.require_writer()
        opportunity = await opportunities.hand_over_opportunity(
            actor,
            decode_id(input.opportunity_id, "Opportunity", ["opportunityId"]),
            decode_id(input.owner_id, "User", ["ownerId"]),
            input.note,
        )
        return HandOverOpportunityPayload(opportunity=await load_opportunity_node(opportunity.id))

    @payload_mutation(
        description="Move an opportunity to another stage of the pipeline (the owner or a "
        "manager). WON and LOST close it, LOST with a reason; only a manager moves a closed one "
        "back. Of two moves at the same moment one wins, the other gets CONFLICT."
    )
    async def move_opportunity(
        self, info: Info[Context, None], input: MoveOpportunityInput
    ) -> MoveOpportunityPayload:
        actor = info.context.require_writer()
        opportunity = await opportunities.move_opportunity(
            actor,
            decode_id(input.opportunity_id, "Opportunity", ["opportunityId"]),
            input.stage,
            input.lost_reason,
            input.note,
        )
        return MoveOpportunityPayload(opportunity=await load_opportunity_node(opportunity.id))

    @payload_mutation(
        description="Change an opportunity's title, expected value or expected close date (the "
        "owner or a manager); only the given fields change."
    )
    async def update_opportunity(
        self, info: Info[Context, None], input: UpdateOpportunityInput
    ) -> UpdateOpportunityPayload:
        actor = info.context.require_writer()
        opportunity = await opportunities.update_opportunity(
            actor,
            decode_id(input.opportunity_id, "Opportunity", ["opportunityId"]),
            input.parse(),
        )
        return UpdateOpportunityPayload(opportunity=await load_opportunity_node(opportunity.id))
