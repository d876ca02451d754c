"""Reading the event outbox by id without losing an event to PostgreSQL's commit order.

Ids come from a sequence before the commit, so a transaction holding id 9 may commit after one
holding id 10. A reader that moved past 10 would never read 9. This cursor therefore keeps
`high` (the largest id read) and the ids below it it has not seen (gaps). Each read asks for
the ids above `high` and the gaps, so a gap's event is delivered as soon as it commits (events
go out in the order they become visible, i.e. commit order, never held back behind a gap).

When is a gap given up (a rolled-back transaction, or a number the sequence skipped)? Not after
a guessed grace period: after every transaction that had begun when the gap was seen has ended.
An id below a visible id was handed out before that visible event committed, so before this
read; its holder took its transaction id even earlier (the outbox takes one before its event
ids, `db.sql.take_transaction_id`). Right after the read the cursor takes a fresh transaction
id (`db.sql.fresh_transaction_id`), above the holder's. Once a later snapshot's `xmin` is above
that (a running transaction is never below `xmin`), the holder has committed or rolled back; a
read after that which still misses the id proves it will never come. (The snapshot's `xmax` is
no such bound: it is the last completed id plus one, running ones may be at or above it.)
A gap still open after GAP_HOLD_SECONDS (a transaction left open for minutes somewhere in the
cluster) or too many gaps at once are given up too, and reported (`take_lost_track`): the hub
tells its subscribers to refetch, since an event might then be missed. SQLite has one writer at
a time and ids that follow the maximum: a gap there is never in flight and is given up at once.

A cursor lives in memory (the live hub's, timed by `time.monotonic`) or is kept between rounds
in a row (the webhook fan-out's: `restored` from its `high` and `saved_gaps`, timed by the wall
clock, since a gap's age must survive a restart and a move to another instance).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Q

from leadflow.db.models import OutboxEvent
from leadflow.db.sql import SnapshotBounds, fresh_transaction_id, snapshot_bounds

log = logging.getLogger("leadflow.live")

READ_BATCH = 500
MAX_GAPS = 1_000
GAP_HOLD_SECONDS = 300.0


@dataclass(frozen=True, slots=True)
class LiveEvent:
    """One committed outbox event, as the hub hands it to its subscribers."""

    id: int
    topic: str
    lead_id: int | None
    opportunity_id: int | None
    campaign_id: int | None
    user_ids: tuple[int, ...]
    payload: dict[str, object]
    created_at: datetime

    @classmethod
    def of(cls, row: OutboxEvent) -> LiveEvent:
        return cls(
            id=row.id,
            topic=row.topic,
            lead_id=row.lead_id,
            opportunity_id=row.opportunity_id,
            campaign_id=row.campaign_id,
            user_ids=tuple(row.user_ids),
            payload=dict(row.payload),
            created_at=row.created_at,
        )


@dataclass(frozen=True, slots=True)
class _Gap:
    horizon: int  # a transaction id taken right after the read that saw it
    since: float  # the cursor's clock when it was seen


# Seconds on some clock: only differences of two readings of the same clock count.
Clock = Callable[[], float]


class OutboxCursor:
    """Where one reader stands in the outbox (see the module's doc)."""

    def __init__(self, high: int, *, clock: Clock = time.monotonic) -> None:
        self.high = high
        self._gaps: dict[int, _Gap] = {}
        self._lost_track = False
        self._clock = clock

    @classmethod
    def restored(
        cls, high: int, gaps: Mapping[int, tuple[int, float]], *, clock: Clock
    ) -> OutboxCursor:
        """A cursor as `saved_gaps` and `high` left it (`clock`: the one it was saved with)."""
        cursor = cls(high, clock=clock)
        cursor._gaps = {event_id: _Gap(int(h), float(s)) for event_id, (h, s) in gaps.items()}
        return cursor

    def saved_gaps(self) -> dict[int, tuple[int, float]]:
        """The gaps with what decides when each is given up: {id: (horizon, since)}."""
        return {event_id: (gap.horizon, gap.since) for event_id, gap in self._gaps.items()}

    @classmethod
    async def at_newest(cls) -> OutboxCursor:
        """A cursor after the newest event: it reads what is written from now on."""
        return cls(await newest_event_id() or 0)

    @property
    def gaps(self) -> frozenset[int]:
        return frozenset(self._gaps)

    async def read(self, limit: int = READ_BATCH) -> tuple[list[LiveEvent], bool]:
        """The events that became visible since the last read, and whether there may be more
        (a full batch)."""
        # What has surely ended before the rows are read: see the module's doc.
        before = await snapshot_bounds()
        wanted = Q(id__gt=self.high)
        if self._gaps:
            wanted |= Q(id__in=sorted(self._gaps))
        rows = await OutboxEvent.filter(wanted).order_by("id").limit(limit)
        now = self._clock()
        events: list[LiveEvent] = []
        missing: list[int] = []
        for row in rows:
            if self._gaps.pop(row.id, None) is None:
                missing.extend(range(self.high + 1, row.id))
                self.high = row.id
            events.append(LiveEvent.of(row))
        # SQLite (no bounds): nothing runs beside this read, so nothing missing is in flight.
        if missing and before is not None:
            self._note_gaps(missing, await fresh_transaction_id(), now)
        full = len(rows) == limit
        # A truncated read may have left out gaps' rows that exist: decide on a complete one.
        if not full:
            self._give_up_gaps(before, now)
        return events, full

    def take_lost_track(self) -> bool:
        """Whether a gap was given up while a transaction might still fill it (since the last
        call): an event may have been missed."""
        lost, self._lost_track = self._lost_track, False
        return lost

    def _note_gaps(self, missing: list[int], horizon: int | None, now: float) -> None:
        assert horizon is not None  # PostgreSQL's
        if len(self._gaps) + len(missing) > MAX_GAPS:
            log.warning("Outbox: %d ids missing below %d, not waited for", len(missing), self.high)
            self._lost_track = True
            return
        gap = _Gap(horizon, now)
        self._gaps.update(dict.fromkeys(missing, gap))

    def _give_up_gaps(self, before: SnapshotBounds | None, now: float) -> None:
        for event_id, gap in list(self._gaps.items()):
            if before is None or before.xmin > gap.horizon:
                del self._gaps[event_id]  # rolled back or skipped: it will never come
            elif now - gap.since > GAP_HOLD_SECONDS:
                log.warning("Outbox: id %d still uncommitted after %g s", event_id, now - gap.since)
                del self._gaps[event_id]
                self._lost_track = True


async def newest_event_id() -> int | None:
    newest = await OutboxEvent.all().order_by("-id").only("id").first()
    return newest.id if newest else None


async def stored_events(after: int, upto: int, limit: int) -> list[LiveEvent] | None:
    """The stored events with ids in (after, upto], in id order, for a subscriber resuming
    after `after`; None when it cannot be done exactly: events after `after` were pruned, or
    there are more than `limit` (the subscriber refetches instead)."""
    if after >= upto:
        return []
    oldest_row = await OutboxEvent.all().order_by("id").only("id").first()
    oldest = oldest_row.id if oldest_row else None
    # Ids between `after` and the oldest kept one were pruned (or rolled back: refetching is
    # then needless but harmless).
    if oldest is None or after < oldest - 1:
        return None
    rows = await OutboxEvent.filter(id__gt=after, id__lte=upto).order_by("id").limit(limit + 1)
    if len(rows) > limit:
        return None
    return [LiveEvent.of(row) for row in rows]


async def events_by_id(event_ids: list[int]) -> list[LiveEvent]:
    """The stored events with these ids, in the order given (those pruned meanwhile left out)."""
    if not event_ids:
        return []
    rows = {row.id: row for row in await OutboxEvent.filter(id__in=event_ids)}
    return [LiveEvent.of(rows[event_id]) for event_id in event_ids if event_id in rows]
