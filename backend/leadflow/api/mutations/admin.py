"""Administration: users, API tokens and partner links (admins only)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info
from tortoise.transactions import in_transaction

from leadflow.api.errors import UserError, user_errors
from leadflow.api.ids import decode_id
from leadflow.api.types.admin import ApiTokenNode
from leadflow.api.types.enums import Role
from leadflow.api.types.nodes import CampaignNode, UserNode
from leadflow.auth import policy
from leadflow.db.models import User
from leadflow.errors import DomainError, ErrorCode
from leadflow.services import accounts, users
from leadflow.services.audit import AuditAction, record


@strawberry.input
class CreateUserInput:
    email: str
    name: str
    role: Role
    password: str | None = strawberry.field(
        default=None, description="At least 8 characters; without one the user cannot log in."
    )
    campaign_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Partners: the campaigns they may feed."
    )


@strawberry.input
class DeactivateUserInput:
    user_id: strawberry.ID


@strawberry.input
class CreateApiTokenInput:
    user_id: strawberry.ID
    name: str | None = None
    read_only: bool = False


@strawberry.input
class RevokeApiTokenInput:
    token_id: strawberry.ID


@strawberry.input
class LinkPartnerCampaignsInput:
    user_id: strawberry.ID
    campaign_ids: list[strawberry.ID]


@strawberry.type
class CreateUserPayload:
    user: UserNode | None
    user_errors: list[UserError]


@strawberry.type
class DeactivateUserPayload:
    user: UserNode | None
    user_errors: list[UserError]


@strawberry.type
class CreateApiTokenPayload:
    token: ApiTokenNode | None
    secret: str | None = strawberry.field(description="The token itself, shown only this once.")
    user_errors: list[UserError]


@strawberry.type
class RevokeApiTokenPayload:
    token: ApiTokenNode | None
    user_errors: list[UserError]


@strawberry.type
class LinkPartnerCampaignsPayload:
    user: UserNode | None
    campaigns: list[CampaignNode] | None = strawberry.field(description="All linked campaigns.")
    user_errors: list[UserError]


async def _user(raw_id: str, field: str) -> User:
    user = await User.get_or_none(id=decode_id(raw_id, "User", [field]))
    if user is None:
        raise DomainError(ErrorCode.NOT_FOUND, "This user does not exist.", [field])
    return user


def _address(info: Info) -> str:
    """Where the request came from, for the audit log."""
    request = info.context.request
    return request.client.host if request is not None and request.client else ""


def _campaign_ids(raw_ids: list[strawberry.ID]) -> list[int]:
    return [
        decode_id(raw, "Campaign", ["campaignIds", str(index)]) for index, raw in enumerate(raw_ids)
    ]


@strawberry.type
class AdminMutations:
    @strawberry.mutation(description="Create a user (admins).")
    async def create_user(self, info: Info, input: CreateUserInput) -> CreateUserPayload:
        actor = info.context.require_writer()
        policy.require_admin(actor, "create users")
        try:
            campaign_ids = _campaign_ids(input.campaign_ids or [])
            if campaign_ids and input.role is not Role.PARTNER:
                raise DomainError(
                    ErrorCode.INVALID, "Only partners are linked to campaigns.", ["campaignIds"]
                )
            # One transaction: a refused campaign link must not leave the user behind.
            async with in_transaction():
                user = await users.create_user(input.email, input.name, input.role, input.password)
                await record(
                    AuditAction.USER_CREATED,
                    actor=actor,
                    detail=f"{user.email} {user.role}",
                    address=_address(info),
                )
                if campaign_ids:
                    await accounts.link_partner_campaigns(
                        actor, user, campaign_ids, address=_address(info)
                    )
        except DomainError as error:
            return CreateUserPayload(user=None, user_errors=user_errors(error))
        return CreateUserPayload(user=UserNode.from_model(user), user_errors=[])

    @strawberry.mutation(description="Deactivate a user: their sessions and tokens stop at once.")
    async def deactivate_user(
        self, info: Info, input: DeactivateUserInput
    ) -> DeactivateUserPayload:
        actor = info.context.require_writer()
        policy.require_admin(actor, "deactivate users")
        try:
            user = await accounts.deactivate_user(
                actor, await _user(input.user_id, "userId"), address=_address(info)
            )
        except DomainError as error:
            return DeactivateUserPayload(user=None, user_errors=user_errors(error))
        return DeactivateUserPayload(user=UserNode.from_model(user), user_errors=[])

    @strawberry.mutation(description="Create an API token for a user (admins).")
    async def create_api_token(
        self, info: Info, input: CreateApiTokenInput
    ) -> CreateApiTokenPayload:
        actor = info.context.require_writer()
        policy.require_admin(actor, "create API tokens")
        try:
            user = await _user(input.user_id, "userId")
            token, secret = await accounts.create_api_token(
                actor,
                user,
                name=input.name or "",
                read_only=input.read_only,
                address=_address(info),
            )
        except DomainError as error:
            return CreateApiTokenPayload(token=None, secret=None, user_errors=user_errors(error))
        await token.fetch_related("user")
        return CreateApiTokenPayload(
            token=ApiTokenNode.from_model(token), secret=secret, user_errors=[]
        )

    @strawberry.mutation(description="Revoke an API token (admins).")
    async def revoke_api_token(
        self, info: Info, input: RevokeApiTokenInput
    ) -> RevokeApiTokenPayload:
        actor = info.context.require_writer()
        policy.require_admin(actor, "revoke API tokens")
        try:
            token_id = decode_id(input.token_id, "ApiToken", ["tokenId"])
            token = await accounts.revoke_api_token(actor, token_id, address=_address(info))
        except DomainError as error:
            return RevokeApiTokenPayload(token=None, user_errors=user_errors(error))
        return RevokeApiTokenPayload(token=ApiTokenNode.from_model(token), user_errors=[])

    @strawberry.mutation(description="Let a partner feed more campaigns (admins).")
    async def link_partner_campaigns(
        self,
        info: Info,
        input: LinkPartnerCampaignsInput,
    ) -> LinkPartnerCampaignsPayload:
        actor = info.context.require_writer()
        policy.require_admin(actor, "link partners to campaigns")
        try:
            partner = await _user(input.user_id, "userId")
            linked = await accounts.link_partner_campaigns(
                actor, partner, _campaign_ids(input.campaign_ids), address=_address(info)
            )
        except DomainError as error:
            return LinkPartnerCampaignsPayload(
                user=None, campaigns=None, user_errors=user_errors(error)
            )
        return LinkPartnerCampaignsPayload(
            user=UserNode.from_model(partner),
            campaigns=[CampaignNode.from_model(campaign) for campaign in linked],
            user_errors=[],
        )
