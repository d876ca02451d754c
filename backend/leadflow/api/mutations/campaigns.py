"""Campaign mutations."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from leadflow.api.context import Context
from leadflow.api.errors import UserError
from leadflow.api.inputs.campaigns import CreateCampaignInput
from leadflow.api.mutations.payload import Payload, payload_mutation
from leadflow.api.types.lead import CampaignNode
from leadflow.services import campaigns


@strawberry.type
class CreateCampaignPayload(Payload):
    campaign: CampaignNode | None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CampaignMutations:
    @payload_mutation(description="Create a campaign (managers).")
    async def create_campaign(
        self, info: Info[Context, None], input: CreateCampaignInput
    ) -> CreateCampaignPayload:
        actor = info.context.require_writer()
        campaign = await campaigns.create_campaign(
            actor, input.name, input.description, input.starts_on, input.ends_on
        )
        return CreateCampaignPayload(campaign=CampaignNode.from_model(campaign))
