"""Campaign mutations."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from leadflow.api.errors import UserError, user_errors
from leadflow.api.types.inputs import CreateCampaignInput
from leadflow.api.types.nodes import CampaignNode
from leadflow.errors import DomainError
from leadflow.services import campaigns


@strawberry.type
class CreateCampaignPayload:
    campaign: CampaignNode | None
    user_errors: list[UserError]


@strawberry.type
class CampaignMutations:
    @strawberry.mutation(description="Create a campaign (managers).")
    async def create_campaign(
        self, info: Info, input: CreateCampaignInput
    ) -> CreateCampaignPayload:
        actor = info.context.require_writer()
        try:
            campaign = await campaigns.create_campaign(
                actor, input.name, input.description, input.starts_on, input.ends_on
            )
        except DomainError as error:
            return CreateCampaignPayload(campaign=None, user_errors=user_errors(error))
        return CreateCampaignPayload(campaign=CampaignNode.from_model(campaign), user_errors=[])
