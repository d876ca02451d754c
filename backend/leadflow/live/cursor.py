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
A gap still open after `hold_seconds` (a transaction left open somewhere in the cluster) is
given up too, and reported (`take_lost_track`): the hub tells its subscribers to refetch, since
an event might then be missed. SQLite has one writer at a time and ids that follow the maximum:
a gap there is never in flight and is given up at once.

More than `max_gaps` missing ids: the live hub's cursor (`lossless=False`) records none of them
and moves on (reported as above; its subscribers refetch, which is cheaper than waiting). The
webhook fan-out's (`lossless=True`) cannot refetch: it records what fits and stops just below
the first id it cannot track, so the ids above are read again later (held back, not lost),
once gaps were filled or given up.

A cursor lives in memory (the live hub's, timed by `time.monotonic`) or is kept between rounds
in a row (the webhook fan-out's: `restored` from its `high` and `saved_gaps`, timed by the wall
clock, since a gap's age must survive a restart and a move to another instance). Saved gaps are
ranges `(first, last, horizon, since)`: the ids of one big transaction are one entry.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from typing import Any

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
    def of(cls, row: Mapping[str, Any]) -> LiveEvent:
        """`row`: the EVENT_COLUMNS of an outbox row, as `.values(*EVENT_COLUMNS)` reads them
        (a value row: half the cost of a model, and the hub and the webhook fan-out each read
        every event, a thousand for one assignment, while requests run)."""
        return cls(
            id=row["id"],
            topic=row["topic"],
            lead_id=row["lead_id"],
            opportunity_id=row["opportunity_id"],
            campaign_id=row["campaign_id"],
            user_ids=tuple(row["user_ids"]),
            payload=dict(row["payload"]),
            created_at=row["created_at"],
        )


EVENT_COLUMNS = (
    "id",
    "topic",
    "lead_id",
    "opportunity_id",
    "campaign_id",
    "user_ids",
    "payload",
    "created_at",
)


@dataclass(frozen=True, slots=True)
class _Gap:
    horizon: int  # a transaction id taken right after the read that saw it
    since: float  # the cursor's clock when it was seen


# Seconds on some clock: only differences of two readings of the same clock count.
Clock = Callable[[], float]
# Consecutive missing ids seen by one read: (first, last, horizon, since).
GapRange = tuple[int, int, int, float]


class OutboxCursor:
    """Where one reader stands in the outbox (see the module's doc)."""

    def __init__(
        self,
        high: int,
        *,
        clock: Clock = time.monotonic,
        max_gaps: int = MAX_GAPS,
        hold_seconds: float = GAP_HOLD_SECONDS,
        lossless: bool = False,
    ) -> None:
        self.high = high
        self._gaps: dict[int, _Gap] = {}
        self._lost_track = False
        self._clock = clock
        self._max_gaps = max_gaps
        self._hold_seconds = hold_seconds
        self._lossless = lossless

    @classmethod
    def restored(
        cls,
        high: int,
        gaps: Iterable[GapRange],
        *,
        clock: Clock,
        max_gaps: int = MAX_GAPS,
        hold_seconds: float = GAP_HOLD_SECONDS,
        lossless: bool = False,
    ) -> OutboxCursor:
        """A cursor as `saved_gaps` and `high` left it (`clock`: the one it was saved with)."""
        cursor = cls(
            high, clock=clock, max_gaps=max_gaps, hold_seconds=hold_seconds, lossless=lossless
        )
        for first, last, horizon, since in gaps:
            gap = _Gap(int(horizon), float(since))
            cursor._gaps.update(dict.fromkeys(range(int(first), int(last) + 1), gap))
        return cursor

    def saved_gaps(self) -> list[GapRange]:
        """The gaps with what decides when each is given up, as ranges of consecutive ids seen
        by the same read, in id order."""
        return [(first, last, gap.horizon, gap.since) for first, last, gap in _runs(self._gaps)]

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
        rows = (
            await OutboxEvent.filter(self._wanted())
            .order_by("id")
            .limit(limit)
            .values(*EVENT_COLUMNS)
        )
        now = self._clock()
        events: list[LiveEvent] = []
        missing: list[range] = []
        # SQLite (no bounds): nothing runs beside this read, so nothing missing is in flight.
        tracking = before is not None
        stopped = False
        for row in rows:
            row_id = row["id"]
            if self._gaps.pop(row_id, None) is None:
                skipped = range(self.high + 1, row_id) if tracking else range(0)
                room = self._room_left(missing)
                if len(skipped) > room and self._lossless:
                    # Track what fits, stop just below the rest: it is read again later.
                    missing.append(skipped[:room])
                    self.high += room
                    stopped = True
                    break
                if len(skipped) > room:
                    log.warning(
                        "Outbox: %d ids missing below %d, not waited for", len(skipped), row_id
                    )
                    self._lost_track = True
                else:
                    missing.append(skipped)
                self.high = row_id
            events.append(LiveEvent.of(row))
        if any(missing):
            horizon = await fresh_transaction_id()
            assert horizon is not None  # PostgreSQL's
            gap = _Gap(horizon, now)
            for ids in missing:
                self._gaps.update(dict.fromkeys(ids, gap))
        full = len(rows) == limit and not stopped
        # A truncated read may have left out gaps' rows that exist: decide on a complete one.
        # Stopped at a new row, it read every gap (they are all below it, rows come in order).
        if not full:
            self._give_up_gaps(before, now)
        return events, full

    def _wanted(self) -> Q:
        wanted = Q(id__gt=self.high)
        for first, last, _gap in _runs(self._gaps, by_gap=False):
            wanted |= Q(id=first) if first == last else Q(id__gte=first, id__lte=last)
        return wanted

    def _room_left(self, noted: list[range]) -> int:
        """How many more missing ids this cursor may track."""
        return max(0, self._max_gaps - len(self._gaps) - sum(map(len, noted)))

    def take_lost_track(self) -> bool:
        """Whether a gap was given up while a transaction might still fill it (since the last
        call): an event may have been missed."""
        lost, self._lost_track = self._lost_track, False
        return lost

    def _give_up_gaps(self, before: SnapshotBounds | None, now: float) -> None:
        ended = [gap_id for gap_id, gap in self._gaps.items() if _ended(gap, before)]
        for event_id in ended:
            del self._gaps[event_id]  # rolled back or skipped: it will never come
        held = [
            gap_id for gap_id, gap in self._gaps.items() if now - gap.since > self._hold_seconds
        ]
        if held:
            log.warning(
                "Outbox: %d ids (from %d) still uncommitted after %g s, not waited for",
                len(held),
                held[0],
                self._hold_seconds,
            )
            for event_id in held:
                del self._gaps[event_id]
            self._lost_track = True


def _ended(gap: _Gap, before: SnapshotBounds | None) -> bool:
    return before is None or before.xmin > gap.horizon


def _runs(gaps: Mapping[int, _Gap], *, by_gap: bool = True) -> list[tuple[int, int, _Gap]]:
    """The gaps' ids as runs of consecutive ids (with the same gap, `by_gap`): (first, last,
    the first one's gap)."""
    runs: list[tuple[int, int, _Gap]] = []
    ordered = sorted(gaps.items())

    def run_key(item: tuple[int, tuple[int, _Gap]]) -> object:
        index, (event_id, gap) = item
        return (event_id - index, gap) if by_gap else event_id - index

    for _key, run in groupby(enumerate(ordered), key=run_key):
        members = [event_id_and_gap for _index, event_id_and_gap in run]
        runs.append((members[0][0], members[-1][0], members[0][1]))
    return runs


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
    rows = (
        await OutboxEvent.filter(id__gt=after, id__lte=upto)
        .order_by("id")
        .limit(limit + 1)
        .values(*EVENT_COLUMNS)
    )
    if len(rows) > limit:
        return None
    return [LiveEvent.of(row) for row in rows]


async def events_by_id(event_ids: list[int]) -> list[LiveEvent]:
    """The stored events with these ids, in the order given (those pruned meanwhile left out)."""
    if not event_ids:
        return []
    found = await OutboxEvent.filter(id__in=event_ids).values(*EVENT_COLUMNS)
    rows = {row["id"]: row for row in found}
    return [LiveEvent.of(rows[event_id]) for event_id in event_ids if event_id in rows]


def gap_ranges_from_json(stored: object) -> list[GapRange]:
    """Saved gaps as a JSON column holds them: a list of `[first, last, horizon, since]`, or
    the first form, `{"<id>": [horizon, since]}` (rows written before the ranges)."""
    if isinstance(stored, dict):
        return [
            (int(event_id), int(event_id), int(gap[0]), float(gap[1]))
            for event_id, gap in stored.items()
        ]
    if isinstance(stored, list):
        return [
            (int(first), int(last), int(horizon), float(since))
            for first, last, horizon, since in stored
        ]
    raise ValueError(f"saved outbox gaps in an unknown form: {stored!r:.100}")
