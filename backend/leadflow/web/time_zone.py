"""The viewer's time zone as a request names it: the `Time-Zone` header (an IANA name), which
the web app sends with every request and any token client may send. Read here once for every
route (GraphQL's due states, the export's days)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from starlette.requests import HTTPConnection

from leadflow.errors import DomainError, ErrorCode
from leadflow.services.due import time_zone_named

TIME_ZONE_HEADER = "Time-Zone"


def header_time_zone(connection: HTTPConnection) -> ZoneInfo | None:
    """The zone the `Time-Zone` header names; None without the header. A name that is no
    zone is a DomainError on `timeZone` whose message names the header."""
    name = connection.headers.get(TIME_ZONE_HEADER)
    if not name:
        return None
    try:
        return time_zone_named(name)
    except DomainError as error:
        raise DomainError(
            ErrorCode.INVALID, f"{TIME_ZONE_HEADER} header: {error.message}", ["timeZone"]
        ) from None
