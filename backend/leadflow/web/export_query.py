"""The query of `GET /files/exports/leads.csv`: the lead list's filter in the URL's words, each
parameter checked with an error that names it (400), nothing else guessed.

`status` (NEW, ACTIVE, DONE or their words; repeatable or comma-separated), `campaign` and
`assignee` (global IDs), `search`, `outcome`, `reason`, `createdAfter` (included) and
`createdBefore` (excluded) as ISO 8601 dates or date-times, `due` (OVERDUE, TODAY, UPCOMING,
NONE), `orderBy` (the list's LeadOrder, e.g. LAST_NAME; oldest first without it), `timeZone`
and `lang` (en, de). The names are the issue's short ones; GraphQL's LeadFilter
names (`campaignId`, `assigneeId`, `closeReason`) are accepted as their aliases, so the web app
can pass its filter as it has it. An unknown parameter is refused rather than ignored: a typo
such as `stauts=DONE` would otherwise export every lead while the user believes it filtered.
An empty value counts as not given (a form's blank field).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from starlette.requests import Request

from leadflow.api.ids import decode_id
from leadflow.errors import DomainError, ErrorCode
from leadflow.services import exports
from leadflow.services.due import UTC_ZONE, Today, time_zone_named
from leadflow.services.lead_lists import LeadFilter
from leadflow.web.time_zone import header_time_zone

ALIASES = {"campaignId": "campaign", "assigneeId": "assignee", "closeReason": "reason"}
PARAMETERS = (
    "status",
    "campaign",
    "assignee",
    "search",
    "outcome",
    "reason",
    "createdAfter",
    "createdBefore",
    "due",
    "orderBy",
    "timeZone",
    "lang",
)
# Several statuses are one parameter written twice or comma-separated; any other written twice
# is ambiguous.
REPEATABLE = frozenset({"status"})


@dataclass(frozen=True, slots=True)
class ExportQuery:
    export_filter: exports.ExportFilter
    language: str


def export_query(request: Request) -> ExportQuery:
    """The export's filter and language from the request's query (DomainError: 400)."""
    values, spelled = _parameters(request.query_params.multi_items())
    language = values.get("lang") or "en"
    if language not in exports.LANGUAGES:
        raise DomainError(ErrorCode.INVALID, "lang must be en or de.", ["lang"])
    zone = _time_zone(values.get("timeZone"), request)

    def moment(name: str) -> datetime | None:
        raw = values.get(name)
        return exports.parse_moment(_plus_restored(raw), name) if raw else None

    outcome, reason, due = values.get("outcome"), values.get("reason"), values.get("due")
    lead_filter = LeadFilter(
        campaign_id=_id(values.get("campaign"), "Campaign", spelled.get("campaign")),
        assignee_id=_id(values.get("assignee"), "User", spelled.get("assignee")),
        search=values.get("search") or None,
        outcome=exports.parse_outcome(outcome) if outcome else None,
        close_reason=exports.parse_close_reason(reason, spelled["reason"]) if reason else None,
        created_after=moment("createdAfter"),
        created_before=moment("createdBefore"),
        due=exports.parse_due(due) if due else None,
    )
    statuses = exports.parse_statuses(values.get("status", "").split("\n"))
    order = values.get("orderBy")
    export_filter = exports.ExportFilter(
        lead_filter,
        tuple(statuses),
        Today.in_zone(zone),
        exports.parse_order(order) if order else None,
    )
    return ExportQuery(export_filter, language)


def _parameters(items: list[tuple[str, str]]) -> tuple[dict[str, str], dict[str, str]]:
    """Each known parameter's value under its own name (repeated statuses joined by a line
    break, which no status word has), and how the request spelled it (an error names it so);
    a clear error for an unknown, a doubled or an aliased one given twice."""
    values: dict[str, str] = {}
    written_as: dict[str, str] = {}
    for written, value in items:
        name = ALIASES.get(written, written)
        if name not in PARAMETERS:
            known = ", ".join(PARAMETERS)
            raise DomainError(
                ErrorCode.INVALID,
                f"Unknown parameter {written[:40]!r}: the export takes {known} (and "
                f"{', '.join(ALIASES)} as GraphQL names them).",
                [written[:40]],
            )
        if name in written_as and name not in REPEATABLE:
            twice = (
                f"{written} is given twice"
                if written_as[name] == written
                else f"{written_as[name]} and {written} are the same filter"
            )
            raise DomainError(ErrorCode.INVALID, f"{twice}: give it once.", [written])
        written_as[name] = written
        values[name] = f"{values[name]}\n{value}" if name in values else value.strip()
    return values, written_as


# A date-time whose "+01:00" arrived as " 01:00": a "+" typed into a URL is a space.
_OFFSET_AS_SPACE = re.compile(r"^(\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?) (\d\d:?\d\d)$")


def _plus_restored(text: str) -> str:
    return _OFFSET_AS_SPACE.sub(r"\1+\2", text.strip())


def _id(raw: str | None, kind: str, parameter: str | None) -> int | None:
    return decode_id(raw, kind, [parameter or kind]) if raw else None


def _time_zone(parameter: str | None, request: Request) -> ZoneInfo:
    """The zone that says which day is today for `due` (dates without an offset are UTC, as
    in the lead list): the
    `timeZone` parameter (a link cannot send headers), else the `Time-Zone` header the web app
    sends with every request, else UTC."""
    if parameter:
        return time_zone_named(parameter)
    return header_time_zone(request) or UTC_ZONE
