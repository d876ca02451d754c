"""Managing webhooks: create, change, delete, rotate the secret, send an event again, and read
the delivery log. Who may do it is `auth.policy`'s (`webhook_scope`); what a webhook may
subscribe to depends on its owner: a partner's webhook only the partner's lead events of the
campaigns linked to it."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from typing import Any

from tortoise.functions import Max
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from leadflow import clock
from leadflow.auth import policy
from leadflow.auth.actors import Actor, is_system
from leadflow.db.enums import Role, WebhookDeliveryStatus
from leadflow.db.models import (
    TEXT_MAX,
    Campaign,
    PartnerCampaign,
    User,
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
)
from leadflow.db.sql import is_postgres
from leadflow.errors import DomainError, ErrorCode
from leadflow.global_ids import may_be_key
from leadflow.services.audit import AuditAction, record
from leadflow.services.validation import clean_text
from leadflow.services.webhooks import events, guard

# Enough for every system a team feeds; a runaway script stops here.
MAX_WEBHOOKS_PER_OWNER = 50
# After a rotation the old secret still signs this long, so receivers can switch over.
PREVIOUS_SECRET_VALIDITY = timedelta(hours=24)
SECRET_PREFIX = "whsec_"
FINISHED = (WebhookDeliveryStatus.SUCCEEDED, WebhookDeliveryStatus.FAILED)


class Keep(Enum):
    """A setting left out of an update: it stays as it is (None for campaigns means all)."""

    KEEP = "KEEP"


KEEP = Keep.KEEP


def new_secret() -> str:
    """A Standard Webhooks signing secret: "whsec_" and 24 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


# --- Reading ------------------------------------------------------------------------------------


def webhooks_of(actor: Actor) -> QuerySet[Webhook]:
    """The webhooks the actor manages (managers and admins: all; a partner: its own), oldest
    first."""
    return policy.webhook_scope(actor).apply(Webhook.all()).order_by("id")


async def find_webhook(actor: Actor, webhook_id: int, field: Sequence[str] = ("id",)) -> Webhook:
    if not may_be_key(webhook_id):
        raise _missing_webhook(field)
    return await policy.find_webhook(actor, webhook_id, _missing_webhook(field))


async def find_delivery(
    actor: Actor, delivery_id: int, field: Sequence[str] = ("id",)
) -> WebhookDelivery:
    if not may_be_key(delivery_id):
        raise _missing_delivery(field)
    return await policy.find_webhook_delivery(actor, delivery_id, _missing_delivery(field))


def deliveries_of_webhook(
    webhook_id: int, status: WebhookDeliveryStatus | None = None
) -> QuerySet[WebhookDelivery]:
    """A webhook's deliveries, for a caller that found the webhook through `find_webhook`;
    pages go newest first by id, keyset paging over the (webhook_id, id) index."""
    deliveries = WebhookDelivery.filter(webhook_id=webhook_id)
    return deliveries.filter(status=status) if status is not None else deliveries


async def attempts_of(delivery_ids: Sequence[int]) -> dict[int, list[WebhookAttempt]]:
    """The attempts of many deliveries in one query, each delivery's oldest first."""
    attempts: dict[int, list[WebhookAttempt]] = {delivery_id: [] for delivery_id in delivery_ids}
    if not delivery_ids:
        return attempts
    for attempt in await WebhookAttempt.filter(delivery_id__in=list(delivery_ids)).order_by("id"):
        attempts[attempt.delivery_id].append(attempt)
    return attempts


async def last_statuses(webhook_ids: Sequence[int]) -> dict[int, WebhookDeliveryStatus]:
    """The status of each webhook's newest delivery (webhooks without one are left out), in two
    queries."""
    if not webhook_ids:
        return {}
    newest = (
        await WebhookDelivery.filter(webhook_id__in=list(webhook_ids))
        .group_by("webhook_id")
        .annotate(newest_id=Max("id"))
        .values_list("newest_id", flat=True)
    )
    rows = await WebhookDelivery.filter(id__in=list(newest)).values_list("webhook_id", "status")
    return {webhook_id: WebhookDeliveryStatus(status) for webhook_id, status in rows}


async def default_owner() -> User | None:
    """Whom a webhook made at the command line belongs to when no owner is named: the first
    active admin."""
    return await User.filter(role=Role.ADMIN, active=True).order_by("id").first()


def event_types_for(actor: Actor) -> list[str]:
    """The event types the actor's own webhooks may subscribe to, in the contract's order."""
    policy.require_may_manage_webhooks(actor)
    return [
        event for event in events.EVENT_TYPES if _may_subscribe(policy.is_partner(actor), event)
    ]


# --- Writing ------------------------------------------------------------------------------------


async def create_webhook(
    actor: Actor,
    url: str,
    event_types: Sequence[str],
    campaign_ids: Sequence[int] | None = None,
    description: str | None = None,
    *,
    owner: User | None = None,
    address: str = "",
) -> tuple[Webhook, str]:
    """A new webhook owned by the actor (the system names its `owner`), and its secret, which
    is shown this once. A partner's webhook gets its lead events of the campaigns linked to it
    (`campaign_ids` None: every campaign linked at delivery time)."""
    policy.require_may_manage_webhooks(actor)
    owner = _owner_for(actor, owner)
    clean_url = await guard.check_url(url, field=["url"])
    clean_events = _clean_events(event_types, owner)
    clean_campaigns = await _clean_campaign_ids(campaign_ids, owner)
    clean_description = clean_text(description, ["description"], max_length=TEXT_MAX)
    secret = new_secret()
    async with in_transaction():
        # Counted in the transaction: two creates racing for the last place may both pass on
        # SQLite's snapshot, which oversteps a soft limit by one, never by many.
        if await Webhook.filter(owner_id=owner.id).count() >= MAX_WEBHOOKS_PER_OWNER:
            raise DomainError(
                ErrorCode.TOO_MANY,
                f"{owner.name} has {MAX_WEBHOOKS_PER_OWNER} webhooks already, the most one user "
                "may have: delete one first.",
            )
        webhook = await Webhook.create(
            owner_id=owner.id,
            url=clean_url,
            description=clean_description,
            events=clean_events,
            campaign_ids=clean_campaigns,
            secret=secret,
        )
        await record(
            AuditAction.WEBHOOK_CREATED,
            actor=actor,
            detail=f"#{webhook.id} of {owner.email} to {clean_url}: {', '.join(clean_events)}",
            address=address,
        )
    return webhook, secret


@dataclass(frozen=True, slots=True)
class WebhookChanges:
    """An edit of a webhook: what is not KEEP changes (`campaign_ids` None: every campaign)."""

    url: str | Keep = KEEP
    event_types: Sequence[str] | Keep = KEEP
    campaign_ids: Sequence[int] | Keep | None = KEEP
    description: str | Keep | None = KEEP
    active: bool | Keep = KEEP


async def update_webhook(
    actor: Actor, webhook_id: int, changes: WebhookChanges, *, address: str = ""
) -> Webhook:
    """Change what `changes` gives; switching a disabled webhook on again forgets why it was
    disabled and its failures, and its pending deliveries resume. Only the changed columns are
    written: two managers editing different settings at once both keep theirs (on the same
    setting, the last write wins), and a rotation meanwhile keeps its secret."""
    webhook = await find_webhook(actor, webhook_id, ["webhookId"])
    owner = await User.get(id=webhook.owner_id)
    columns: dict[str, Any] = {}
    if not isinstance(changes.url, Keep):
        columns["url"] = await guard.check_url(changes.url, field=["url"])
    if not isinstance(changes.event_types, Keep):
        columns["events"] = _clean_events(changes.event_types, owner)
    if not isinstance(changes.campaign_ids, Keep):
        columns["campaign_ids"] = await _clean_campaign_ids(changes.campaign_ids, owner)
    if not isinstance(changes.description, Keep):
        columns["description"] = clean_text(
            changes.description, ["description"], max_length=TEXT_MAX
        )
    if not isinstance(changes.active, Keep) and changes.active != webhook.active:
        columns.update(_switched_on() if changes.active else _switched_off(actor))
    if columns:
        changed = ", ".join(f"{name}={columns[name]}" for name in sorted(columns))
        columns["updated_at"] = clock.now()
        async with in_transaction():
            await Webhook.filter(id=webhook.id).update(**columns)
            await record(
                AuditAction.WEBHOOK_CHANGED,
                actor=actor,
                detail=f"#{webhook.id}: {changed}",
                address=address,
            )
    return await find_webhook(actor, webhook.id, ["webhookId"])


def _switched_on() -> dict[str, Any]:
    return {
        "active": True,
        "disabled_at": None,
        "disabled_reason": "",
        "failing_since": None,
        "consecutive_failures": 0,
    }


def _switched_off(actor: Actor) -> dict[str, Any]:
    who = str(actor) if is_system(actor) else actor.name
    return {
        "active": False,
        "disabled_at": clock.now(),
        "disabled_reason": f"switched off by {who}",
    }


async def delete_webhook(actor: Actor, webhook_id: int, *, address: str = "") -> int:
    """Delete a webhook with its delivery log (cascade). A delivery in flight meanwhile finds
    its row gone when it records the attempt, and stops. Returns the deleted webhook's id."""
    webhook = await find_webhook(actor, webhook_id, ["webhookId"])
    async with in_transaction():
        await Webhook.filter(id=webhook.id).delete()
        await record(
            AuditAction.WEBHOOK_DELETED,
            actor=actor,
            detail=f"#{webhook.id} to {webhook.url}",
            address=address,
        )
    return webhook.id


async def rotate_webhook_secret(
    actor: Actor, webhook_id: int, *, address: str = ""
) -> tuple[Webhook, str]:
    """A new secret, shown this once; the current one keeps signing (a second signature) for
    24 hours. An older previous secret is dropped."""
    webhook = await find_webhook(actor, webhook_id, ["webhookId"])
    secret = new_secret()
    # Guarded by the secret we read: of two rotations at once one wins, and the other is told
    # so, instead of replacing a secret its caller never saw (which would then sign nothing).
    changed = await Webhook.filter(id=webhook.id, secret=webhook.secret).update(
        secret=secret,
        previous_secret=webhook.secret,
        previous_secret_expires_at=clock.now() + PREVIOUS_SECRET_VALIDITY,
        updated_at=clock.now(),
    )
    if not changed:
        raise DomainError(
            ErrorCode.CONFLICT,
            "The secret was changed by someone else just now (or the webhook was deleted): "
            "reload it, and rotate again if you still need a new secret.",
            ["webhookId"],
        )
    await record(
        AuditAction.WEBHOOK_SECRET_ROTATED, actor=actor, detail=f"#{webhook.id}", address=address
    )
    return await find_webhook(actor, webhook.id, ["webhookId"]), secret


async def redeliver(actor: Actor, delivery_id: int) -> WebhookDelivery:
    """Send a finished delivery's event again ("erneut senden"): a new delivery of the same
    message (same `webhook-id`, so the receiver can tell it has seen it) and body."""
    delivery = await find_delivery(actor, delivery_id, ["deliveryId"])
    # The check and the insert in one transaction, the webhook held first: of two clicks at
    # once (or two people) one sends, and the other then sees its delivery on the way.
    async with in_transaction():
        webhook = await _held_webhook(delivery.webhook_id)
        if webhook is None:
            raise DomainError(
                ErrorCode.NOT_FOUND, "This webhook was deleted just now.", ["deliveryId"]
            )
        await _refuse_while_on_its_way(delivery)
        if not webhook.active:
            raise DomainError(
                ErrorCode.INVALID_STATE,
                "The webhook is switched off: enable the webhook first, then send the event again.",
                ["deliveryId"],
            )
        return await WebhookDelivery.create(
            webhook_id=delivery.webhook_id,
            event_id=delivery.event_id,
            message_id=delivery.message_id,
            event_type=delivery.event_type,
            lead_id=delivery.lead_id,
            body=delivery.body,
            status=WebhookDeliveryStatus.PENDING,
            next_attempt_at=clock.now(),
            redelivery_of_id=delivery.id,
        )


async def _held_webhook(webhook_id: int) -> Webhook | None:
    """The webhook, its row locked until the transaction ends on PostgreSQL (SQLite's
    IMMEDIATE transactions let one writer in at a time anyway). The webhook's row, not the
    delivery's: a deletion locks the webhook first, then its deliveries, and the same order
    here waits instead of deadlocking. NO KEY: the worker's streak writes wait only briefly."""
    webhooks = Webhook.filter(id=webhook_id).only("id", "active")
    if is_postgres():
        webhooks = webhooks.select_for_update(no_key=True)
    return await webhooks.first()


async def _refuse_while_on_its_way(delivery: WebhookDelivery) -> None:
    """This delivery, or a redelivery of the same message (a second click), still on its way."""
    on_its_way = (
        await _deliveries_of_message(delivery)
        .filter(status=WebhookDeliveryStatus.PENDING)
        .order_by("id")
        .first()
    )
    if on_its_way is None:
        return
    planned = on_its_way.next_attempt_at
    when = f"; next attempt at {planned:%Y-%m-%d %H:%M:%S} UTC" if planned else ""
    raise DomainError(
        ErrorCode.INVALID_STATE, f"This event is still being delivered{when}.", ["deliveryId"]
    )


def _deliveries_of_message(delivery: WebhookDelivery) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.filter(webhook_id=delivery.webhook_id, message_id=delivery.message_id)


# --- Validation ---------------------------------------------------------------------------------


def _owner_for(actor: Actor, owner: User | None) -> User:
    """A user's webhook is their own; the system (the command line) names its owner."""
    if not is_system(actor):
        return actor
    if owner is None:
        raise DomainError(ErrorCode.REQUIRED, "Name the webhook's owner.", ["owner"])
    if owner.role == Role.CLERK:
        raise DomainError(
            ErrorCode.INVALID,
            f"{owner.name} is a clerk: only managers, admins and partners own webhooks.",
            ["owner"],
        )
    return owner


def _may_subscribe(partner: bool, event_type: str) -> bool:
    return not partner or event_type in events.PARTNER_EVENT_TYPES


def _clean_events(event_types: Sequence[str], owner: User) -> list[str]:
    """At least one known event type (a partner's webhook: lead events only), each once, in the
    contract's order."""
    if not event_types:
        raise DomainError(ErrorCode.REQUIRED, "Choose at least one event.", ["events"])
    partner = owner.role == Role.PARTNER
    for index, event_type in enumerate(event_types):
        field = ["events", str(index)]
        if event_type not in events.EVENT_TYPES:
            raise DomainError(
                ErrorCode.INVALID,
                f"{event_type[:64]!r} is no event type; known are: "
                + ", ".join(events.EVENT_TYPES)
                + ".",
                field,
            )
        if not _may_subscribe(partner, event_type):
            raise DomainError(
                ErrorCode.INVALID,
                f"A partner's webhook gets lead events only, not {event_type}.",
                field,
            )
    chosen = set(event_types)
    return [event_type for event_type in events.EVENT_TYPES if event_type in chosen]


async def _clean_campaign_ids(campaign_ids: Sequence[int] | None, owner: User) -> list[int] | None:
    """None: every campaign (the owner may see at delivery time). Otherwise at least one, each
    existing and, for a partner's webhook, linked to the partner; duplicates dropped."""
    if campaign_ids is None:
        return None
    if not campaign_ids:
        raise DomainError(
            ErrorCode.REQUIRED,
            "Choose at least one campaign, or none at all for every campaign.",
            ["campaignIds"],
        )
    unique = list(dict.fromkeys(campaign_ids))
    existing = {campaign.id for campaign in await Campaign.filter(id__in=unique).only("id")}
    partner = owner.role == Role.PARTNER
    linked: set[int] = set()
    if partner:
        links = PartnerCampaign.filter(partner_id=owner.id, campaign_id__in=unique)
        linked = {link.campaign_id for link in await links.only("id", "campaign_id")}
    for index, campaign_id in enumerate(campaign_ids):
        field = ["campaignIds", str(index)]
        # For a partner, a campaign not linked to it reads the same whether it exists or not.
        if partner and campaign_id not in linked:
            raise DomainError(
                ErrorCode.INVALID, f"This campaign is not linked to {owner.name}.", field
            )
        if campaign_id not in existing:
            raise DomainError(ErrorCode.NOT_FOUND, "This campaign does not exist.", field)
    return unique


def _missing_webhook(field: Sequence[str]) -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, "This webhook does not exist.", field)


def _missing_delivery(field: Sequence[str]) -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, "This delivery does not exist.", field)
