"""Inputs of the administration: users, API tokens and partner links."""

from __future__ import annotations

import strawberry

from leadflow.api.types.enums import Role


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
