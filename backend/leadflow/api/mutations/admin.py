"""Administration: users, API tokens and partner links (admins only)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from leadflow.api.context import Context
from leadflow.api.errors import UserError
from leadflow.api.ids import decode_id, decode_ids
from leadflow.api.inputs.admin import (
    CreateApiTokenInput,
    CreateUserInput,
    DeactivateUserInput,
    LinkPartnerCampaignsInput,
    RevokeApiTokenInput,
)
from leadflow.api.mutations.payload import Payload, payload_mutation
from leadflow.api.types.admin import ApiTokenNode
from leadflow.api.types.lead import CampaignNode
from leadflow.api.types.user import UserNode
from leadflow.services import accounts, users


@strawberry.type
class CreateUserPayload(Payload):
    user: UserNode | None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeactivateUserPayload(Payload):
    user: UserNode | None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CreateApiTokenPayload(Payload):
    token: ApiTokenNode | None
    secret: str | None = strawberry.field(description="The token itself, shown only this once.")
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RevokeApiTokenPayload(Payload):
    token: ApiTokenNode | None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class LinkPartnerCampaignsPayload(Payload):
    user: UserNode | None
    campaigns: list[CampaignNode] | None = strawberry.field(description="All linked campaigns.")
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _user_id(raw_id: str) -> int:
    return decode_id(raw_id, "User", ["userId"])


@strawberry.type
class AdminMutations:
    @payload_mutation(description="Create a user (admins).")
    async def create_user(
        self, info: Info[Context, None], input: CreateUserInput
    ) -> CreateUserPayload:
        actor = info.context.require_writer()
        accounts.require_admin_for(actor, accounts.AdminAction.CREATE_USERS)
        user = await users.create_user(
            actor,
            input.email,
            input.name,
            input.role,
            input.password,
            campaign_ids=decode_ids(input.campaign_ids or [], "Campaign", "campaignIds"),
            address=info.context.address,
        )
        return CreateUserPayload(user=UserNode.from_model(user))

    @payload_mutation(description="Deactivate a user: their sessions and tokens stop at once.")
    async def deactivate_user(
        self, info: Info[Context, None], input: DeactivateUserInput
    ) -> DeactivateUserPayload:
        actor = info.context.require_writer()
        accounts.require_admin_for(actor, accounts.AdminAction.DEACTIVATE_USERS)
        user = await accounts.deactivate_user(
            actor, _user_id(input.user_id), address=info.context.address
        )
        return DeactivateUserPayload(user=UserNode.from_model(user))

    @payload_mutation(description="Create an API token for a user (admins).")
    async def create_api_token(
        self, info: Info[Context, None], input: CreateApiTokenInput
    ) -> CreateApiTokenPayload:
        actor = info.context.require_writer()
        accounts.require_admin_for(actor, accounts.AdminAction.CREATE_API_TOKENS)
        token, secret = await accounts.create_api_token(
            actor,
            _user_id(input.user_id),
            name=input.name or "",
            read_only=input.read_only,
            address=info.context.address,
        )
        return CreateApiTokenPayload(token=ApiTokenNode.from_model(token), secret=secret)

    @payload_mutation(description="Revoke an API token (admins).")
    async def revoke_api_token(
        self, info: Info[Context, None], input: RevokeApiTokenInput
    ) -> RevokeApiTokenPayload:
        actor = info.context.require_writer()
        accounts.require_admin_for(actor, accounts.AdminAction.REVOKE_API_TOKENS)
        token_id = decode_id(input.token_id, "ApiToken", ["tokenId"])
        token = await accounts.revoke_api_token(actor, token_id, address=info.context.address)
        return RevokeApiTokenPayload(token=ApiTokenNode.from_model(token))

    @payload_mutation(description="Let a partner feed more campaigns (admins).")
    async def link_partner_campaigns(
        self, info: Info[Context, None], input: LinkPartnerCampaignsInput
    ) -> LinkPartnerCampaignsPayload:
        actor = info.context.require_writer()
        accounts.require_admin_for(actor, accounts.AdminAction.LINK_PARTNERS)
        linked = await accounts.link_partner_campaigns(
            actor,
            _user_id(input.user_id),
            decode_ids(input.campaign_ids, "Campaign", "campaignIds"),
            address=info.context.address,
        )
        return LinkPartnerCampaignsPayload(
            user=UserNode.from_model(linked.partner),
            campaigns=[CampaignNode.from_model(campaign) for campaign in linked.campaigns],
        )
