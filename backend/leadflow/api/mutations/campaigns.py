"""Campaign mutations."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from leadflow.api.context import Context
from leadflow.api.errors import UserError
from leadflow.api.ids import decode_id
from leadflow.api.inputs.campaigns import CreateCampaignInput, UpdateCampaignInput
from leadflow.api.mutations.payload import Payload, payload_mutation
from leadflow.api.types.lead import CampaignNode
from leadflow.services import campaigns


@strawberry.type
class CreateCampaignPayload(Payload):
    campaign: CampaignNode | None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class UpdateCampaignPayload(Payload):
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
            actor,
            input.name,
            input.description,
            input.starts_on,
            input.ends_on,
            input.waiting_limit_hours,
            input.retention_days,
        )
        return CreateCampaignPayload(campaign=CampaignNode.from_model(campaign))

    @payload_mutation(
        description="Change a campaign's settings (managers): its waiting limit for reminders "
        "and its retention."
    )
    async def update_campaign(
        self, info: Info[Context, None], input: UpdateCampaignInput
    ) -> UpdateCampaignPayload:
        actor = info.context.require_writer()
        campaign_id = decode_id(input.campaign_id, "Campaign", ["campaignId"])
        campaign = await campaigns.update_campaign(actor, campaign_id, input.changes())
        return UpdateCampaignPayload(campaign=CampaignNode.from_model(campaign))
