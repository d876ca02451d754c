"""The webhook fan-out: turns each committed outbox event into one `WebhookDelivery` per active
webhook that wants it, exactly once across all app instances; the delivery worker sends them.

One round reads a batch of events after the fan-out's place in the outbox (the `WebhookCursor`
row), inserts their deliveries and moves the place on, in one transaction: deliveries and place
commit together, so a crash or a lost race repeats or skips nothing. Rounds on several instances
take turns through an advisory lock (PostgreSQL; SQLite serves one instance). The place keeps
live/cursor.py's rule, so an event whose id was taken before a later one's but which commits
after it is still fanned out, and the place (gaps included) survives a restart. Unlike the live
hub, which may tell its subscribers to refetch, the fan-out never moves past an id it is not
sure about: it tracks up to MAX_GAPS missing ids (a big assignment overtaken by a small commit
is 10,000), holds each up to a day, and beyond MAX_GAPS it waits rather than skip.

Which webhook gets what is decided when the event is fanned out, with the current state:
the event type is subscribed, the webhook is active, it existed when the event happened, the
event is in one of its campaigns (none set: any; an event of no campaign only then, except a
contact's, which counts for the campaigns of that contact's leads), and its owner may be sent
it (`auth.policy.may_webhook_carry`: a partner only its own leads' events in its campaigns).
The body is built for the owner's audience (`payloads`). Statements per batch are a constant,
whatever the number of events and webhooks.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from tortoise.transactions import in_transaction

from leadflow import clock
from leadflow.auth import policy
from leadflow.db.enums import WebhookDeliveryStatus
from leadflow.db.models import (
    Lead,
    OutboxEvent,
    PartnerCampaign,
    User,
    Webhook,
    WebhookCursor,
    WebhookDelivery,
)
from leadflow.db.sql import try_job_lock
from leadflow.live.cursor import (
    GapRange,
    LiveEvent,
    OutboxCursor,
    gap_ranges_from_json,
    newest_event_id,
)
from leadflow.services import outbox
from leadflow.services.webhooks import payloads
from leadflow.services.webhooks.events import PARTNER_EVENT_TYPES

# The advisory lock of the fan-out rounds (any constant no other job uses: "LF" 0002).
FANOUT_LOCK_KEY = 0x4C46_0002
BATCH = 500
# The fan-out's cursor never skips an id (it cannot tell anyone to refetch): beyond this many
# missing ids it stops below the first one it cannot track and reads the rest later. A bound on
# the memory of a round, far above what one transaction writes (an assignment: 10,000 events).
MAX_GAPS = 200_000
# A missing id normally ends with its transaction (the cursor's xmin rule), however long that
# runs. This only bounds the wait while some transaction in the cluster stays open for hours (a
# long pg_dump holds xmin back): giving up an id whose transaction is still open loses its
# events, holding it costs one small range in the cursor row.
GAP_HOLD_SECONDS = 24 * 3600.0
CONTACT_TOPICS = frozenset({outbox.CONTACT_UPDATED, outbox.CONTACT_ERASED})


async def run_round() -> int:
    """Fan out every event committed since the last round, a batch (one transaction) at a
    time; returns how many deliveries were created. 0 at once when another instance is
    fanning out (it reads these events)."""
    if not await _anything_new():
        return 0
    created = 0
    more = True
    while more:
        count, more = await _fan_out_batch()
        created += count
    return created


async def _anything_new() -> bool:
    """Whether a round may find anything: a look without a transaction, so that the frequent
    idle rounds (every wake-up and poll of every instance) neither queue for SQLite's write
    lock nor open a transaction. A stale answer is harmless: a round finds nothing, or the
    next wake-up or poll finds what committed after this look."""
    stored = await WebhookCursor.get_or_none(id=outbox.WEBHOOK_CURSOR_ID)
    if stored is None or stored.gaps:
        return True
    return await OutboxEvent.filter(id__gt=stored.high).exists()


async def _fan_out_batch() -> tuple[int, bool]:
    """One batch: (deliveries created, whether more events may wait)."""
    async with in_transaction():
        if not await try_job_lock(FANOUT_LOCK_KEY):
            return 0, False
        stored = await WebhookCursor.get_or_none(id=outbox.WEBHOOK_CURSOR_ID)
        cursor = _restored(stored) if stored else await _starting_cursor()
        # Nothing is written in this transaction before the read: the cursor's gap rule needs
        # the transaction id it takes right after the read (`fresh_transaction_id`, which here
        # gives this transaction its id) to be above every holder of a missing event id. The
        # advisory lock and the reads above take no transaction id; a first cursor row is
        # therefore inserted at the end, with the deliveries.
        events, more = await cursor.read(BATCH)
        deliveries = await _deliveries_for(events) if events else []
        if deliveries:
            await WebhookDelivery.bulk_create(deliveries)
        await _save(cursor, stored)
    return len(deliveries), more


# --- The place in the outbox -----------------------------------------------------------------


def _restored(stored: WebhookCursor) -> OutboxCursor:
    return _cursor(stored.high, gap_ranges_from_json(stored.gaps))


def _cursor(high: int, gaps: list[GapRange] | None = None) -> OutboxCursor:
    # Wall-clock seconds: a gap's age must hold across restarts and instances.
    return OutboxCursor.restored(
        high,
        gaps or [],
        clock=time.time,
        max_gaps=MAX_GAPS,
        hold_seconds=GAP_HOLD_SECONDS,
        lossless=True,
    )


async def _starting_cursor() -> OutboxCursor:
    """The first round: after the events that happened before the oldest active webhook was
    created (they are not replayed; `outbox.webhook_starting_place`, which pruning keeps); with
    no active webhook, after the newest event."""
    place = await outbox.webhook_starting_place()
    if place is None:
        place = await newest_event_id() or 0
    return _cursor(place)


async def _save(cursor: OutboxCursor, stored: WebhookCursor | None) -> None:
    # Ranges: the 10,000 ids of one open assignment are one entry, not 10,000.
    gaps = [list(gap_range) for gap_range in cursor.saved_gaps()]
    if stored is None:
        await WebhookCursor.create(id=outbox.WEBHOOK_CURSOR_ID, high=cursor.high, gaps=gaps)
    elif (stored.high, stored.gaps) != (cursor.high, gaps):
        # Unchanged (an idle poll): no write, no transaction id, no row version.
        await WebhookCursor.filter(id=outbox.WEBHOOK_CURSOR_ID).update(high=cursor.high, gaps=gaps)


# --- Who gets what ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Target:
    """An active webhook as the round matches it."""

    id: int
    owner: User
    events: frozenset[str]
    campaign_ids: frozenset[int] | None  # None: any campaign
    created_at: datetime
    partner: bool


@dataclass(frozen=True, slots=True)
class _Batch:
    """What the round knows about the batch's events, read once."""

    subjects: payloads.Subjects
    linked_campaigns: Mapping[int, frozenset[int]]  # partner id -> its campaigns
    contact_campaigns: Mapping[int, frozenset[int]]  # contact id -> its leads' campaigns


async def _deliveries_for(events: Sequence[LiveEvent]) -> list[WebhookDelivery]:
    targets = await _active_webhooks()
    subscribed = frozenset().union(*(target.events for target in targets))
    wanted = [event for event in events if event.topic in subscribed]
    if not wanted:
        return []  # the cursor still moves past them
    batch = _Batch(
        subjects=await payloads.load_subjects(wanted),
        linked_campaigns=await _linked_campaigns(targets),
        contact_campaigns=await _contact_campaigns(wanted, targets),
    )
    now = clock.now()
    bodies: dict[tuple[int, bool], str] = {}
    deliveries = []
    for event in wanted:
        for target in targets:
            if not _carries(target, event, batch):
                continue
            audience = (event.id, target.partner)
            if audience not in bodies:
                bodies[audience] = payloads.body(event, batch.subjects, partner=target.partner)
            deliveries.append(
                WebhookDelivery(
                    webhook_id=target.id,
                    event_id=event.id,
                    message_id=payloads.message_id(event),
                    event_type=event.topic,
                    lead_id=event.lead_id,
                    body=bodies[audience],
                    status=WebhookDeliveryStatus.PENDING,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
    return deliveries


async def _active_webhooks() -> list[_Target]:
    webhooks = await Webhook.filter(active=True).select_related("owner").order_by("id")
    return [
        _Target(
            id=webhook.id,
            owner=webhook.owner,
            events=frozenset(webhook.events),
            campaign_ids=None if webhook.campaign_ids is None else frozenset(webhook.campaign_ids),
            created_at=webhook.created_at,
            partner=policy.is_partner(webhook.owner),
        )
        for webhook in webhooks
    ]


def _carries(target: _Target, event: LiveEvent, batch: _Batch) -> bool:
    if event.topic not in target.events or event.created_at < target.created_at:
        return False
    may = policy.may_webhook_carry(
        target.owner,
        batch.subjects.lead_of(event),
        batch.linked_campaigns.get(target.owner.id, frozenset()),
        partner_event_type=event.topic in PARTNER_EVENT_TYPES,
    )
    return may and _in_campaigns(target, event, batch)


def _in_campaigns(target: _Target, event: LiveEvent, batch: _Batch) -> bool:
    if target.campaign_ids is None:
        return True
    if event.topic in CONTACT_TOPICS:
        contact_id = payloads.contact_id_of(event)
        campaigns = batch.contact_campaigns.get(contact_id, frozenset()) if contact_id else None
        return bool(campaigns and campaigns & target.campaign_ids)
    campaign_id = batch.subjects.campaign_of(event)
    return campaign_id is not None and campaign_id in target.campaign_ids


async def _linked_campaigns(targets: Iterable[_Target]) -> dict[int, frozenset[int]]:
    partner_ids = {target.owner.id for target in targets if target.partner}
    if not partner_ids:
        return {}
    links = await PartnerCampaign.filter(partner_id__in=partner_ids).values_list(
        "partner_id", "campaign_id"
    )
    return _grouped(links)


async def _contact_campaigns(
    events: Iterable[LiveEvent], targets: Sequence[_Target]
) -> dict[int, frozenset[int]]:
    """The campaigns each contact of the batch's contact events has leads in, when a webhook
    with a campaign filter may want such an event."""
    if all(target.campaign_ids is None for target in targets):
        return {}
    contact_ids = {
        contact_id
        for event in events
        if event.topic in CONTACT_TOPICS and (contact_id := payloads.contact_id_of(event))
    }
    if not contact_ids:
        return {}
    pairs = (
        await Lead.filter(contact_id__in=contact_ids)
        .distinct()
        .values_list("contact_id", "campaign_id")
    )
    return _grouped(pairs)


def _grouped(pairs: Iterable[tuple[int, int]]) -> dict[int, frozenset[int]]:
    grouped: dict[int, set[int]] = {}
    for key, value in pairs:
        grouped.setdefault(key, set()).add(value)
    return {key: frozenset(values) for key, values in grouped.items()}
