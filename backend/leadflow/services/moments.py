"""A moment given with its offset, as the UTC moment it means: one place for every caller."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from leadflow.errors import DomainError, ErrorCode

OFFSET_EXAMPLE = "2026-12-07T09:00:00+01:00"


def utc_moment(moment: datetime, field: Sequence[str]) -> datetime:
    """`moment` in UTC, or INVALID on `field`. Refused: a naive moment (what "9:00" means
    depends on the zone; a caller that takes naive input as UTC says so before calling), and
    one that is no moment in UTC's years 1 to 9999 (0001-01-01T00:30+01:00 lies before year 1
    in UTC, 9999-12-31T23:30-01:00 after 9999): `astimezone` raises OverflowError there, which
    must be the user's error rather than a crash."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise DomainError(
            ErrorCode.INVALID,
            f"Give the time with its time zone offset, e.g. {OFFSET_EXAMPLE}.",
            field,
        )
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise DomainError(
            ErrorCode.INVALID,
            f"The time must lie between {datetime.min.isoformat()}Z and "
            f"{datetime.max.isoformat()}Z in UTC.",
            field,
        ) from None
