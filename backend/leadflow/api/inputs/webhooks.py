"""Inputs of the webhook mutations."""

from __future__ import annotations

from typing import TypeVar

import strawberry

from leadflow.api.ids import decode_ids
from leadflow.errors import DomainError, ErrorCode
from leadflow.services.webhooks.manage import KEEP, Keep, WebhookChanges

T = TypeVar("T")


@strawberry.input
class CreateWebhookInput:
    url: str = strawberry.field(
        description="http(s) URL the events are POSTed to; no private, loopback or link-local "
        "address unless the server allows them."
    )
    events: list[str] = strawberry.field(
        description="Event types to send (see webhookEventTypes), at least one."
    )
    campaign_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="Only events of leads in these campaigns; null: every campaign the owner "
        "may see (for a partner: every campaign linked to it when the event happens).",
    )
    description: str | None = strawberry.field(
        default=None, description="What the endpoint is for, at most 2000 characters."
    )

    def campaign_pks(self) -> list[int] | None:
        if self.campaign_ids is None:
            return None
        return decode_ids(self.campaign_ids, "Campaign", "campaignIds")


@strawberry.input
class UpdateWebhookInput:
    webhook_id: strawberry.ID
    url: str | None = strawberry.field(default=strawberry.UNSET, description="Left out: unchanged.")
    events: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description="Left out: unchanged."
    )
    campaign_ids: list[strawberry.ID] | None = strawberry.field(
        default=strawberry.UNSET,
        description="null: every campaign the owner may see; left out: unchanged.",
    )
    description: str | None = strawberry.field(
        default=strawberry.UNSET, description="Left out: unchanged."
    )
    active: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="true switches a disabled webhook on again (its failures are forgotten, its "
        "pending deliveries resume); false switches it off. Left out: unchanged.",
    )

    def changes(self) -> WebhookChanges:
        campaign_ids: list[int] | Keep | None = KEEP
        if self.campaign_ids is None:
            campaign_ids = None
        elif self.campaign_ids is not strawberry.UNSET:
            campaign_ids = decode_ids(self.campaign_ids, "Campaign", "campaignIds")
        return WebhookChanges(
            url=_given(self.url, "url"),
            event_types=_given(self.events, "events"),
            campaign_ids=campaign_ids,
            description=self.description if self.description is not strawberry.UNSET else KEEP,
            active=_given(self.active, "active"),
        )


@strawberry.input
class DeleteWebhookInput:
    webhook_id: strawberry.ID


@strawberry.input
class RotateWebhookSecretInput:
    webhook_id: strawberry.ID


@strawberry.input
class RedeliverWebhookEventInput:
    delivery_id: strawberry.ID = strawberry.field(
        description="A finished (SUCCEEDED or FAILED) delivery to send again."
    )


def _given(value: T | None, field: str) -> T | Keep:
    """An optional setting: left out (UNSET) keeps it; null is no value for it."""
    if value is strawberry.UNSET:
        return KEEP
    if value is None:
        raise DomainError(ErrorCode.REQUIRED, f"{field} cannot be null; leave it out.", [field])
    return value
