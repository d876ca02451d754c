"""Opportunity mutations."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from leadflow.api.errors import UserError, user_errors
from leadflow.api.ids import decode_id, decode_optional_id
from leadflow.api.resolvers import load_opportunity_node
from leadflow.api.types import inputs
from leadflow.api.types.nodes import OpportunityNode
from leadflow.errors import DomainError
from leadflow.services import opportunities


@strawberry.type
class CreateOpportunityPayload:
    opportunity: OpportunityNode | None
    user_errors: list[UserError]


@strawberry.type
class HandOverOpportunityPayload:
    opportunity: OpportunityNode | None
    user_errors: list[UserError]


@strawberry.type
class OpportunityMutations:
    @strawberry.mutation(description="Create an opportunity for a contact outside a lead close.")
    async def create_opportunity(
        self,
        info: Info,
        input: inputs.CreateOpportunityInput,
    ) -> CreateOpportunityPayload:
        actor = info.context.require_writer()
        try:
            opportunity = await opportunities.create_opportunity(
                actor,
                decode_id(input.contact_id, "Contact", ["contactId"]),
                input.title,
                input.expected_value,
                decode_optional_id(input.owner_id, "User", ["ownerId"]),
                decode_optional_id(input.lead_id, "Lead", ["leadId"]),
            )
        except DomainError as error:
            return CreateOpportunityPayload(opportunity=None, user_errors=user_errors(error))
        return CreateOpportunityPayload(
            opportunity=await load_opportunity_node(opportunity.id), user_errors=[]
        )

    @strawberry.mutation(description="Hand an open opportunity over to another active clerk.")
    async def hand_over_opportunity(
        self,
        info: Info,
        input: inputs.HandOverOpportunityInput,
    ) -> HandOverOpportunityPayload:
        actor = info.context.require_writer()
        try:
            opportunity = await opportunities.hand_over_opportunity(
                actor,
                decode_id(input.opportunity_id, "Opportunity", ["opportunityId"]),
                decode_id(input.owner_id, "User", ["ownerId"]),
                input.note,
            )
        except DomainError as error:
            return HandOverOpportunityPayload(opportunity=None, user_errors=user_errors(error))
        return HandOverOpportunityPayload(
            opportunity=await load_opportunity_node(opportunity.id), user_errors=[]
        )
