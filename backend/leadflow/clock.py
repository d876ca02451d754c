"""The application's clock: the time every service stamps on what it writes, and a way to run
the services at another moment (the demo tells a story of eight weeks; tests pin a moment)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

# A context variable rather than a module global: a frozen moment holds for the code run inside
# `frozen_at` (and the tasks it starts), never for other requests served meanwhile.
_frozen: ContextVar[datetime | None] = ContextVar("leadflow_clock_frozen", default=None)


def now() -> datetime:
    """The current moment, timezone-aware in UTC."""
    frozen = _frozen.get()
    return frozen if frozen is not None else datetime.now(UTC)


@contextmanager
def frozen_at(moment: datetime) -> Iterator[datetime]:
    """Run the block as if it were `moment`: every `now()` inside returns it (time stands
    still, so the steps of one service call share their timestamp, as they share a
    transaction)."""
    if moment.tzinfo is None:
        raise ValueError("The clock only takes timezone-aware moments.")
    utc_moment = moment.astimezone(UTC)
    token = _frozen.set(utc_moment)
    try:
        yield utc_moment
    finally:
        _frozen.reset(token)
