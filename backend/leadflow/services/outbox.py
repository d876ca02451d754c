"""The event outbox, write side: every change that live updates (and later webhooks) announce
is written to `outbox_events` by the service that makes it, inside the same transaction, so an
event exists exactly when its change committed. After commit, PostgreSQL NOTIFY wakes each
instance's listener (`db.sql.wake_outbox_listeners`); on SQLite `committed` wakes the one
process. Readers go by event id (`leadflow.live`), never by the wake-up's content.

Topics name what happened. Those that are also webhook event types (services/webhooks) use the
webhook contract's names: "lead.created", "lead.assigned", "lead.reassigned",
"lead.feedback_recorded", "lead.closed", "lead.reopened", "opportunity.created",
"opportunity.stage_changed", "opportunity.handed_over", "contact.updated", "contact.erased".
The others are for live updates only: "lead.changed" (a lead's next steps or shown contact
details changed), "notification.added".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from leadflow import clock
from leadflow.db.models import OutboxEvent, Webhook, WebhookCursor
from leadflow.db.sql import insert_rows, next_ids, take_transaction_id, wake_outbox_listeners
from leadflow.live.cursor import gap_ranges_from_json

LEAD_CREATED = "lead.created"
LEAD_ASSIGNED = "lead.assigned"
LEAD_REASSIGNED = "lead.reassigned"
LEAD_FEEDBACK_RECORDED = "lead.feedback_recorded"
LEAD_CHANGED = "lead.changed"
LEAD_CLOSED = "lead.closed"
LEAD_REOPENED = "lead.reopened"
OPPORTUNITY_CREATED = "opportunity.created"
OPPORTUNITY_STAGE_CHANGED = "opportunity.stage_changed"
OPPORTUNITY_HANDED_OVER = "opportunity.handed_over"
CONTACT_UPDATED = "contact.updated"
CONTACT_ERASED = "contact.erased"
NOTIFICATION_ADDED = "notification.added"

# The one row of the webhook fan-out's place in the outbox (services/webhooks/fanout.py).
WEBHOOK_CURSOR_ID = 1
# Events deleted per statement when pruning.
PRUNE_BATCH = 1_000


@dataclass(frozen=True, slots=True)
class Event:
    """One event to publish. `user_ids`: the users whose own lists it changes (the clerk a
    lead went to and the one it came from; a notification's recipient)."""

    topic: str
    lead_id: int | None = None
    opportunity_id: int | None = None
    campaign_id: int | None = None
    user_ids: Sequence[int] = ()
    payload: dict[str, object] = field(default_factory=dict)


# The in-process wake-ups: each running live hub registers one (`on_written`). A callback, not
# a module-level asyncio.Event: such an event binds to the first event loop that waits on it,
# and one process (the tests) runs several loops one after another.
_wakers: set[Callable[[], None]] = set()


async def publish(events: Iterable[Event]) -> None:
    """Write `events` in the caller's transaction (call it inside `in_transaction()`, after
    the change itself). Ids are taken first so the wake-up can name the last one."""
    rows = list(events)
    if not rows:
        return
    # The transaction's own id first: the live reader's gap rule needs every holder of an
    # uncommitted event id to be a running transaction (db.sql.take_transaction_id).
    await take_transaction_id()
    ids = await next_ids(OutboxEvent, len(rows))
    at = clock.now()
    await insert_rows(
        OutboxEvent,
        [
            {
                "id": event_id,
                "topic": event.topic,
                "lead_id": event.lead_id,
                "opportunity_id": event.opportunity_id,
                "campaign_id": event.campaign_id,
                "user_ids": sorted(set(event.user_ids)),
                "payload": event.payload,
                "created_at": at,
            }
            for event_id, event in zip(ids, rows, strict=True)
        ],
    )
    await announce(ids[-1])


async def announce(last_event_id: int) -> None:
    """Wake the readers for events up to `last_event_id`, written in the caller's transaction
    (by `publish`, or by a statement that writes its events itself:
    `db.sql.write_recorded_assignments`)."""
    await wake_outbox_listeners(last_event_id)
    # In-process (SQLite's only wake-up; on PostgreSQL an extra, harmless one): this runs before
    # the commit, but on SQLite the hub's read waits for the one connection this transaction
    # holds, so it reads after the commit (or the rollback); the hub's poll covers the rest.
    for wake in list(_wakers):
        wake()


def on_written(wake: Callable[[], None]) -> Callable[[], None]:
    """Call `wake` whenever this process writes events; returns the function that stops it."""
    _wakers.add(wake)
    return lambda: _wakers.discard(wake)


async def prune(keep_hours: float) -> int:
    """Delete events older than `keep_hours`; returns how many. The newest event always stays:
    SQLite's ids are the maximum plus one (db.sql.next_ids), so an emptied table would hand
    out ids again that the live readers' cursors have passed. So do the events the webhook
    fan-out has not passed yet (above its place, or awaited below it; before its first round,
    from where that round will start): they are still to be sent, however old. Deleted a
    bounded batch at a time: the backlog held for the fan-out may be large, and one statement
    over all of it would hold its locks (and its transaction) that long."""
    newest = await OutboxEvent.all().order_by("-id").only("id").first()
    if newest is None:
        return 0
    kept_from = newest.id
    awaited = await _first_awaited_by_webhooks()
    if awaited is not None:
        kept_from = min(kept_from, awaited)
    cutoff = clock.now() - timedelta(hours=keep_hours)
    pruned = 0
    while True:
        batch = (
            await OutboxEvent.filter(created_at__lt=cutoff, id__lt=kept_from)
            .order_by("id")
            .limit(PRUNE_BATCH)
            .values_list("id", flat=True)
        )
        if not batch:
            return pruned
        pruned += await OutboxEvent.filter(id__in=batch).delete()
        if len(batch) < PRUNE_BATCH:
            return pruned


async def webhook_starting_place() -> int | None:
    """Where the webhook fan-out's first round (no place stored yet) starts reading: after the
    events from before the oldest active webhook was created, i.e. at the newest of those (0:
    none); None without an active webhook. Those events are sent to nobody (a webhook gets what
    happens after it was created, and only an active one gets anything): no history replayed.
    Ids above the place that are not visible yet become gaps as usual, so an event in flight
    at the first round is kept."""
    oldest = await Webhook.filter(active=True).order_by("created_at").only("created_at").first()
    if oldest is None:
        return None
    before = (
        await OutboxEvent.filter(created_at__lt=oldest.created_at)
        .order_by("-id")
        .only("id")
        .first()
    )
    return before.id if before else 0


async def _first_awaited_by_webhooks() -> int | None:
    """The smallest event id the webhook fan-out still has to read (before its first round:
    the event at its starting place, kept so that the place stays where it is); None when it
    awaits none. Without an active webhook nothing is held back: no round would send those
    events to anyone (a webhook is sent only what happens while it is active), and an instance
    that fans out nothing (LEADFLOW_WEBHOOK_POLL_SECONDS=0 everywhere) must not let the outbox
    grow."""
    if not await Webhook.filter(active=True).exists():
        return None
    cursor = await WebhookCursor.get_or_none(id=WEBHOOK_CURSOR_ID)
    if cursor is None:
        return await webhook_starting_place()
    high: int = cursor.high
    return min([high + 1, *(first for first, *_rest in gap_ranges_from_json(cursor.gaps))])
