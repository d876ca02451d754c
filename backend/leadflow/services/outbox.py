"""The event outbox, write side: every change that live updates (and later webhooks) announce
is written to `outbox_events` by the service that makes it, inside the same transaction, so an
event exists exactly when its change committed. After commit, PostgreSQL NOTIFY wakes each
instance's listener (`db.sql.wake_outbox_listeners`); on SQLite `committed` wakes the one
process. Readers go by event id (`leadflow.live`), never by the wake-up's content.

Topics name what happened, in the webhook issue's words where they overlap:
"lead.created", "lead.assigned", "lead.reassigned", "lead.changed", "lead.closed",
"lead.reopened", "opportunity.handed_over", "notification.added".
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from leadflow import clock
from leadflow.db.models import OutboxEvent
from leadflow.db.sql import next_ids, wake_outbox_listeners

LEAD_CREATED = "lead.created"
LEAD_ASSIGNED = "lead.assigned"
LEAD_REASSIGNED = "lead.reassigned"
LEAD_CHANGED = "lead.changed"
LEAD_CLOSED = "lead.closed"
LEAD_REOPENED = "lead.reopened"
OPPORTUNITY_HANDED_OVER = "opportunity.handed_over"
NOTIFICATION_ADDED = "notification.added"


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


# SQLite (one process): set after a commit that wrote events; the live dispatcher waits on it.
_written = asyncio.Event()


async def publish(events: Iterable[Event]) -> None:
    """Write `events` in the caller's transaction (call it inside `in_transaction()`, after
    the change itself). Ids are taken first so the wake-up can name the last one."""
    rows = list(events)
    if not rows:
        return
    ids = await next_ids(OutboxEvent, len(rows))
    at = clock.now()
    await OutboxEvent.bulk_create(
        [
            OutboxEvent(
                id=event_id,
                topic=event.topic,
                lead_id=event.lead_id,
                opportunity_id=event.opportunity_id,
                campaign_id=event.campaign_id,
                user_ids=sorted(set(event.user_ids)),
                payload=event.payload,
                created_at=at,
            )
            for event_id, event in zip(ids, rows, strict=True)
        ]
    )
    await wake_outbox_listeners(ids[-1])
    # SQLite: the dispatcher reads by id and sees only committed rows, so waking it before the
    # commit only costs it an empty read; it reads again on its next tick.
    _written.set()


def written() -> asyncio.Event:
    """The in-process wake-up (SQLite's only one; on PostgreSQL an extra, harmless one)."""
    return _written
