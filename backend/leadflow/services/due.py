"""Due states: where a next activity falls by calendar day in the viewer's time zone.

One definition for every reader (Lead.dueState, myTasks' filter, order and counts, the lead
list's `due` filter, the export): a due time before the start of today is OVERDUE, within
today TODAY, from tomorrow on UPCOMING; an open subject with nothing scheduled is NONE. Like
Odoo's activity_state, by day not by hour: a call planned for 9:00 is still "today" at 15:00.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from leadflow import clock
from leadflow.db.enums import DueState
from leadflow.errors import DomainError, ErrorCode

UTC_ZONE = ZoneInfo("UTC")


def time_zone_named(name: str) -> ZoneInfo:
    """The IANA zone `name` (e.g. Europe/Berlin); a clear error for anything else."""
    cleaned = name.strip()
    try:
        if not cleaned or len(cleaned) > 64 or cleaned.startswith(("/", ".")) or ".." in cleaned:
            raise ValueError(cleaned)
        return ZoneInfo(cleaned)
    # OSError: a directory of the zone database ("Europe", "America/Argentina") is found but
    # cannot be read as a zone (IsADirectoryError; PermissionError alike).
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise DomainError(
            ErrorCode.INVALID,
            f"Unknown time zone {cleaned[:64]!r}: use an IANA name such as Europe/Berlin.",
            ["timeZone"],
        ) from None


@dataclass(frozen=True)
class Today:
    """Start of today and of tomorrow in one time zone, as UTC moments."""

    starts: datetime
    ends: datetime

    @classmethod
    def in_zone(cls, zone: ZoneInfo = UTC_ZONE, moment: datetime | None = None) -> Today:
        local = (moment or clock.now()).astimezone(zone)
        start = datetime.combine(local.date(), time(0), tzinfo=zone)
        # Through the calendar, not +24 h: a day with a clock change has 23 or 25 hours.
        end = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=zone)
        return cls(start.astimezone(UTC), end.astimezone(UTC))

    def state_of(self, next_due_at: datetime | None, is_open: bool = True) -> DueState:
        """The due state of a subject whose earliest open activity is due then; NONE for a
        closed one (a DONE lead, a WON or LOST opportunity: nothing is left to do)."""
        if not is_open or next_due_at is None:
            return DueState.NONE
        if next_due_at < self.starts:
            return DueState.OVERDUE
        if next_due_at < self.ends:
            return DueState.TODAY
        return DueState.UPCOMING
