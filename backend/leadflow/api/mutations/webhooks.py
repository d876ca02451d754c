"""Webhook mutations: create, change, delete, rotate the secret, send an event again."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from leadflow.api.context import Context
from leadflow.api.errors import UserError
from leadflow.api.ids import decode_id, encode_id
from leadflow.api.inputs.webhooks import (
    CreateWebhookInput,
    DeleteWebhookInput,
    RedeliverWebhookEventInput,
    RotateWebhookSecretInput,
    UpdateWebhookInput,
)
from leadflow.api.mutations.payload import Payload, payload_mutation
from leadflow.api.types.webhook import WebhookDeliveryNode, WebhookNode
from leadflow.services.webhooks import manage


@strawberry.type
class CreateWebhookPayload(Payload):
    webhook: WebhookNode | None = strawberry.field(
        description="The new webhook, with its secret (shown this once)."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class UpdateWebhookPayload(Payload):
    webhook: WebhookNode | None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteWebhookPayload(Payload):
    deleted_webhook_id: strawberry.ID | None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RotateWebhookSecretPayload(Payload):
    webhook: WebhookNode | None = strawberry.field(
        description="The webhook with its new secret (shown this once)."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RedeliverWebhookEventPayload(Payload):
    delivery: WebhookDeliveryNode | None = strawberry.field(
        description="The new delivery: PENDING, the same eventId and payload."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _webhook_id(raw: str) -> int:
    return decode_id(raw, "Webhook", ["webhookId"])


@strawberry.type
class WebhookMutations:
    @payload_mutation(
        description="Create a webhook: managers and admins for any events and campaigns, a "
        "partner for lead events of the campaigns linked to it. The answer carries the secret, "
        "shown this once."
    )
    async def create_webhook(
        self, info: Info[Context, None], input: CreateWebhookInput
    ) -> CreateWebhookPayload:
        actor = info.context.require_writer()
        webhook, secret = await manage.create_webhook(
            actor,
            input.url,
            input.events,
            input.campaign_pks(),
            input.description,
            address=info.context.address,
        )
        return CreateWebhookPayload(webhook=WebhookNode.from_model(webhook, secret))

    @payload_mutation(description="Change a webhook; what is left out stays.")
    async def update_webhook(
        self, info: Info[Context, None], input: UpdateWebhookInput
    ) -> UpdateWebhookPayload:
        actor = info.context.require_writer()
        webhook_id = _webhook_id(input.webhook_id)
        webhook = await manage.update_webhook(
            actor, webhook_id, input.changes(), address=info.context.address
        )
        return UpdateWebhookPayload(webhook=WebhookNode.from_model(webhook))

    @payload_mutation(description="Delete a webhook and its delivery log.")
    async def delete_webhook(
        self, info: Info[Context, None], input: DeleteWebhookInput
    ) -> DeleteWebhookPayload:
        actor = info.context.require_writer()
        deleted = await manage.delete_webhook(
            actor, _webhook_id(input.webhook_id), address=info.context.address
        )
        return DeleteWebhookPayload(deleted_webhook_id=encode_id("Webhook", deleted))

    @payload_mutation(
        description="A new signing secret, shown this once; the previous one keeps signing (a "
        "second signature) for 24 hours, so the receiver can switch over."
    )
    async def rotate_webhook_secret(
        self, info: Info[Context, None], input: RotateWebhookSecretInput
    ) -> RotateWebhookSecretPayload:
        actor = info.context.require_writer()
        webhook, secret = await manage.rotate_webhook_secret(
            actor, _webhook_id(input.webhook_id), address=info.context.address
        )
        return RotateWebhookSecretPayload(webhook=WebhookNode.from_model(webhook, secret))

    @payload_mutation(
        description="Send a finished delivery's event again (same eventId and payload) as a "
        "new delivery; the webhook must be active."
    )
    async def redeliver_webhook_event(
        self, info: Info[Context, None], input: RedeliverWebhookEventInput
    ) -> RedeliverWebhookEventPayload:
        actor = info.context.require_writer()
        delivery_id = decode_id(input.delivery_id, "WebhookDelivery", ["deliveryId"])
        delivery = await manage.redeliver(actor, delivery_id)
        return RedeliverWebhookEventPayload(delivery=WebhookDeliveryNode.from_model(delivery))
