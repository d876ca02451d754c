"""The webhook types: an endpoint with its subscriptions, its delivery log and each attempt."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from leadflow.api.context import Context
from leadflow.api.ids import encode_id
from leadflow.api.pagination import fetch_page
from leadflow.api.types.connection import Connection
from leadflow.api.types.lead import CampaignNode
from leadflow.api.types.node import Node
from leadflow.api.types.user import UserNode
from leadflow.db import enums, models
from leadflow.services.webhooks import manage

WebhookDeliveryStatus = enums.WebhookDeliveryStatus
strawberry.enum(
    WebhookDeliveryStatus,
    description="Where an event stands on its way to a webhook: PENDING (to be sent, first try "
    "or between retries), SUCCEEDED (the receiver answered 2xx), FAILED (retries exhausted, "
    "the endpoint answered 410 Gone, or the webhook was disabled).",
)


@strawberry.type(
    name="WebhookAttempt",
    description="One HTTP request of a delivery.",
)
class WebhookAttemptNode:
    at: datetime = strawberry.field(description="When the request was sent.")
    http_status: int | None = strawberry.field(
        description="The status the receiver answered; null: no answer (timeout, refused, ...)."
    )
    duration_ms: int = strawberry.field(description="How long the request took.")
    error: str | None = strawberry.field(
        description="What went wrong, e.g. 'HTTP 500' or 'timed out after 15 s'; null: nothing."
    )
    next_attempt_at: datetime | None = strawberry.field(
        description="When the next try was planned after this one; null: none."
    )

    @classmethod
    def from_model(cls, attempt: models.WebhookAttempt) -> WebhookAttemptNode:
        return cls(
            at=attempt.at,
            http_status=attempt.http_status,
            duration_ms=attempt.duration_ms,
            error=attempt.error or None,
            next_attempt_at=attempt.next_attempt_at,
        )


@strawberry.type(
    name="WebhookDelivery",
    description="One event for one webhook: the body as signed and sent (the same on every "
    "attempt), where it stands, and every attempt.",
)
class WebhookDeliveryNode(Node):
    pk: strawberry.Private[int]
    event_id: str = strawberry.field(
        description="The `webhook-id` header: the receiver's idempotency key, the same on "
        "retries and redeliveries."
    )
    event_type: str = strawberry.field(description="e.g. lead.assigned.")
    status: WebhookDeliveryStatus
    created_at: datetime
    finished_at: datetime | None = strawberry.field(
        description="When it succeeded or was given up; null while PENDING."
    )
    attempt_count: int = strawberry.field(description="Requests sent so far.")
    next_attempt_at: datetime | None = strawberry.field(
        description="When the next request goes out; null unless PENDING."
    )
    payload: str = strawberry.field(description="The JSON body, exactly as sent.")
    redelivery_of: strawberry.ID | None = strawberry.field(
        description="The delivery this one sends again (erneut senden); null for an original."
    )

    @strawberry.field(description="Every attempt, oldest first.")
    async def attempts(self, info: Info[Context, None]) -> list[WebhookAttemptNode]:
        found = await info.context.loaders.webhook_attempts.load(self.pk)
        return [WebhookAttemptNode.from_model(attempt) for attempt in found]

    @strawberry.field(description="The HTTP status of the last attempt; null: none or no answer.")
    async def last_http_status(self, info: Info[Context, None]) -> int | None:
        found = await info.context.loaders.webhook_attempts.load(self.pk)
        return found[-1].http_status if found else None

    @strawberry.field(description="What went wrong in the last attempt; null: nothing, or none.")
    async def last_error(self, info: Info[Context, None]) -> str | None:
        found = await info.context.loaders.webhook_attempts.load(self.pk)
        return (found[-1].error or None) if found else None

    @classmethod
    def from_model(cls, delivery: models.WebhookDelivery) -> WebhookDeliveryNode:
        pending = delivery.status == WebhookDeliveryStatus.PENDING
        redelivery_of = delivery.redelivery_of_id
        return cls(
            id=encode_id("WebhookDelivery", delivery.id),
            pk=delivery.id,
            event_id=delivery.message_id,
            event_type=delivery.event_type,
            status=delivery.status,
            created_at=delivery.created_at,
            finished_at=delivery.finished_at,
            attempt_count=delivery.attempts,
            next_attempt_at=delivery.next_attempt_at if pending else None,
            payload=delivery.body,
            redelivery_of=(
                encode_id("WebhookDelivery", redelivery_of) if redelivery_of is not None else None
            ),
        )


WebhookDeliveryConnection = Connection[WebhookDeliveryNode]


@strawberry.type(
    name="Webhook",
    description="An endpoint that is sent the events it subscribed to, signed as the Standard "
    "Webhooks specification says. A partner's webhook carries only its leads, with the fields "
    "a partner may read.",
)
class WebhookNode(Node):
    pk: strawberry.Private[int]
    owner_pk: strawberry.Private[int]
    campaign_pks: strawberry.Private[list[int] | None]
    url: str = strawberry.field(description="Where the events are POSTed.")
    description: str
    events: list[str] = strawberry.field(
        description="The event types it gets (see webhookEventTypes)."
    )
    active: bool = strawberry.field(
        description="False: switched off by hand or disabled by failures; nothing is sent."
    )
    disabled_at: datetime | None
    disabled_reason: str | None = strawberry.field(
        description="Why it was disabled, e.g. 'answered 410 Gone'; null while active."
    )
    failing_since: datetime | None = strawberry.field(
        description="Since when every attempt failed; null after a success. Three days of it "
        "disable the webhook."
    )
    created_at: datetime
    updated_at: datetime
    secret: str | None = strawberry.field(
        description="The signing secret (whsec_...): only in the answers of createWebhook and "
        "rotateWebhookSecret, null everywhere else. Keep it: it is not shown again."
    )
    previous_secret_expires_at: datetime | None = strawberry.field(
        description="After a rotation: until when the previous secret signs too (a second "
        "signature); null when there is none."
    )

    @strawberry.field(
        description="Only events of leads in these campaigns; null: every campaign the owner "
        "may see."
    )
    async def campaigns(self, info: Info[Context, None]) -> list[CampaignNode] | None:
        if self.campaign_pks is None:
            return None
        found = await info.context.loaders.visible_campaign.load_many(self.campaign_pks)
        return [CampaignNode.from_model(campaign) for campaign in found if campaign is not None]

    @strawberry.field(description="Who created it; its events carry what this user may read.")
    async def owner(self, info: Info[Context, None]) -> UserNode:
        owner = await info.context.loaders.user.load(self.owner_pk)
        assert owner is not None  # the foreign key cascades: a webhook has its owner
        return UserNode.from_model(owner)

    @strawberry.field(description="The delivery log, newest first.")
    async def deliveries(
        self,
        info: Info[Context, None],
        first: Annotated[
            int | None, strawberry.argument(description="Page size, at most 100.")
        ] = 20,
        after: str | None = None,
        status: Annotated[
            WebhookDeliveryStatus | None, strawberry.argument(description="Only these.")
        ] = None,
    ) -> WebhookDeliveryConnection:
        # This webhook was found under the viewer's webhook scope: its log is theirs to read.
        matching = manage.deliveries_of_webhook(self.pk, status)
        page = await fetch_page(matching, first, after, newest_first=True)
        return WebhookDeliveryConnection.from_page(page, WebhookDeliveryNode.from_model, matching)

    @classmethod
    def from_model(cls, webhook: models.Webhook, secret: str | None = None) -> WebhookNode:
        """`secret`: only right after it was made (create, rotate)."""
        expires = webhook.previous_secret_expires_at if webhook.previous_secret else None
        return cls(
            id=encode_id("Webhook", webhook.id),
            pk=webhook.id,
            owner_pk=webhook.owner_id,
            campaign_pks=webhook.campaign_ids,
            url=webhook.url,
            description=webhook.description,
            events=list(webhook.events),
            active=webhook.active,
            disabled_at=webhook.disabled_at,
            disabled_reason=webhook.disabled_reason or None,
            failing_since=webhook.failing_since,
            created_at=webhook.created_at,
            updated_at=webhook.updated_at,
            secret=secret,
            previous_secret_expires_at=expires,
        )
