"""Exporting leads with their status, outcome and feedback as CSV that Excel opens: exactly the
leads a list shows under a filter (the lead list's own filter,
`services.lead_lists.filtered_leads`), for the web's download and `leadflow export`."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import IO, Any, TypeVar

from tortoise.queryset import QuerySet

from leadflow import i18n
from leadflow.auth.actors import Actor
from leadflow.db.enums import Channel, CloseReason, DueState, LeadStatus, Outcome
from leadflow.db.lead_status import lead_status, status_condition
from leadflow.db.models import Feedback, Lead
from leadflow.errors import DomainError, ErrorCode
from leadflow.services import keyset
from leadflow.services.csv_cells import SpreadsheetWriter
from leadflow.services.due import Today
from leadflow.services.lead_lists import LeadFilter, LeadOrder, filtered_leads, lead_ordering

E = TypeVar("E", bound=StrEnum)

PAGE_SIZE = 1000
# Without the list's order: the id alone, oldest first.
BY_ID = keyset.Ordering("ID", ())
SEPARATORS = {"comma": ",", "semicolon": ";"}
LANGUAGES = ("en", "de")


# The words of the file are the product's texts (leadflow/i18n, which the web app shows too): a
# status or an outcome reads the same in the export as on the screen. Reasons and column titles
# have keys of their own (csv.*): the file keeps the words that spreadsheets were built on.
def _words(prefix: str, members: type[StrEnum]) -> dict[str, dict[StrEnum, str]]:
    return {
        language: {member: i18n.text(language, f"{prefix}.{member.value}") for member in members}
        for language in LANGUAGES
    }


_STATUS_WORDS = _words("status", LeadStatus)
_OUTCOME_WORDS = _words("outcome", Outcome)
_REASON_WORDS = _words("csv.reason", CloseReason)
_CHANNEL_WORDS = _words("channel", Channel)
_OPTED_OUT_WORDS = {language: i18n.text(language, "csv.optedOut.yes") for language in LANGUAGES}
# Between the feedback entries of one lead in its feedback cell.
NOTE_SEPARATOR = " | "

# Status words a user may type for --status, in either language.
STATUS_NAMES: dict[str, LeadStatus] = {
    **{status.value.casefold(): status for status in LeadStatus},
    **{
        word.casefold(): LeadStatus(status)
        for words in _STATUS_WORDS.values()
        for status, word in words.items()
    },
}


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    value: Callable[[dict[str, Any], str], str]

    def title(self, language: str) -> str:
        return i18n.text(language, f"csv.column.{self.key}")


def _plain(key: str) -> Callable[[dict[str, Any], str], str]:
    return lambda row, _language: row[key] or ""


def _timestamp(key: str) -> Callable[[dict[str, Any], str], str]:
    def render(row: dict[str, Any], _language: str) -> str:
        moment: datetime | None = row[key]
        return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else ""

    return render


def _status(row: dict[str, Any], language: str) -> str:
    return _STATUS_WORDS[language][lead_status(row["closed_at"], row["assignee_id"])]


def _outcome(row: dict[str, Any], language: str) -> str:
    return _OUTCOME_WORDS[language][Outcome(row["outcome"])] if row["outcome"] else ""


def _opted_out(row: dict[str, Any], language: str) -> str:
    """Consent: whoever calls from the file must see that this person objected."""
    return _OPTED_OUT_WORDS[language] if row["contact__opted_out"] else ""


def _reason(row: dict[str, Any], language: str) -> str:
    reason = row["close_reason"]
    return _REASON_WORDS[language][CloseReason(reason)] if reason else ""


COLUMNS = (
    Column("lead", lambda row, _: str(row["id"])),
    Column("salutation", _plain("contact__salutation")),
    Column("firstName", _plain("contact__first_name")),
    Column("lastName", _plain("contact__last_name")),
    Column("company", _plain("contact__company")),
    Column("email", _plain("contact__email")),
    Column("phone", _plain("contact__phone")),
    Column("street", _plain("contact__street")),
    Column("postalCode", _plain("contact__postal_code")),
    Column("city", _plain("contact__city")),
    Column("country", _plain("contact__country")),
    Column("optedOut", _opted_out),
    Column("campaign", _plain("campaign__name")),
    Column("status", _status),
    Column("assignee", _plain("assignee__name")),
    Column("assignedAt", _timestamp("assigned_at")),
    Column("outcome", _outcome),
    Column("reason", _reason),
    Column("closeNote", _plain("close_note")),
    Column("closedAt", _timestamp("closed_at")),
    Column("createdAt", _timestamp("created_at")),
    Column("feedback", _plain("feedback")),
)
_FIELDS = (
    "id",
    "contact__salutation",
    "contact__first_name",
    "contact__last_name",
    "contact__company",
    "contact__email",
    "contact__phone",
    "contact__street",
    "contact__postal_code",
    "contact__city",
    "contact__country",
    "contact__opted_out",
    "campaign__name",
    "assignee_id",
    "assignee__name",
    "assigned_at",
    "outcome",
    "close_reason",
    "close_note",
    "closed_at",
    "created_at",
)


def _names_of(members: type[E], *words: dict[str, dict[StrEnum, str]]) -> dict[str, E]:
    """What a user may type for a member: its name, or its word in either language."""
    names: dict[str, E] = {member.value.casefold(): member for member in members}
    for language_words in words:
        for by_member in language_words.values():
            names.update({word.casefold(): members(m.value) for m, word in by_member.items()})
    return names


_OUTCOME_NAMES = _names_of(Outcome, _OUTCOME_WORDS)
_REASON_NAMES = _names_of(CloseReason, _REASON_WORDS, _words("reason", CloseReason))


def parse_statuses(raw: Iterable[str], parameter: str = "status") -> list[LeadStatus]:
    """'NEW', 'neu', 'Erledigt', 'active,done': statuses in either language."""
    statuses: list[LeadStatus] = []
    for word in (part.strip() for text in raw for part in text.split(",")):
        if not word:
            continue
        status = STATUS_NAMES.get(word.casefold())
        if status is None:
            raise DomainError(
                ErrorCode.INVALID,
                f"Unknown status {word!r}: use NEW, ACTIVE or DONE (Neu, Aktiv, Erledigt).",
                [parameter],
            )
        if status not in statuses:
            statuses.append(status)
    return statuses


def parse_outcome(word: str, parameter: str = "outcome") -> Outcome:
    """'SUCCESSFUL', 'erfolglos': an outcome by its name or its word in either language."""
    outcome = _OUTCOME_NAMES.get(word.strip().casefold())
    if outcome is None:
        raise DomainError(
            ErrorCode.INVALID,
            f"Unknown outcome {word[:50]!r}: use SUCCESSFUL or UNSUCCESSFUL.",
            [parameter],
        )
    return outcome


def parse_close_reason(word: str, parameter: str = "reason") -> CloseReason:
    """'NOT_INTERESTED', 'kein Interesse': a close reason by its name or its word."""
    reason = _REASON_NAMES.get(word.strip().casefold())
    if reason is None:
        names = ", ".join(reason.value for reason in CloseReason)
        raise DomainError(
            ErrorCode.INVALID, f"Unknown reason {word[:50]!r}: use one of {names}.", [parameter]
        )
    return reason


def parse_moment(text: str, parameter: str) -> datetime:
    """An ISO 8601 date or date-time ('2026-12-01', '2026-12-01T09:30:00+01:00'); without an
    offset it is UTC (a date: its midnight in UTC), as the lead list reads the same text
    (`lead_lists.LeadFilter`): the file holds what the list shows, whatever zone the viewer is
    in. The viewer's zone decides only which day is today (due states)."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise DomainError(
            ErrorCode.INVALID,
            f"{parameter} must be an ISO 8601 date or date-time, e.g. 2026-12-01 or "
            f"2026-12-01T09:30:00+01:00 (got {text[:40]!r}).",
            [parameter],
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def parse_order(word: str, parameter: str = "orderBy") -> LeadOrder:
    """One of the lead list's orders (NEWEST, OLDEST, LAST_NAME, ...)."""
    try:
        return LeadOrder(word.strip().upper())
    except ValueError:
        names = ", ".join(order.value for order in LeadOrder)
        raise DomainError(
            ErrorCode.INVALID, f"Unknown order {word[:50]!r}: use one of {names}.", [parameter]
        ) from None


def parse_due(word: str, parameter: str = "due") -> DueState:
    """OVERDUE, TODAY, UPCOMING or NONE (nothing scheduled)."""
    try:
        return DueState(word.strip().upper())
    except ValueError:
        raise DomainError(
            ErrorCode.INVALID,
            f"Unknown due state {word[:50]!r}: use OVERDUE, TODAY, UPCOMING or NONE.",
            [parameter],
        ) from None


@dataclass(frozen=True, slots=True)
class ExportFilter:
    """Which leads an export holds: the lead list's filter (`lead_lists.filtered_leads`, the
    same rules as GraphQL's `leads`), and, since a file often wants more than one tab, any of
    several statuses. `today` (the viewer's) decides the due states; UTC's when None. `order`
    sorts the file as the list sorts its page."""

    lead_filter: LeadFilter = field(default_factory=LeadFilter)
    statuses: tuple[LeadStatus, ...] = ()
    today: Today | None = None
    # The list's order (its column sort); None: oldest first, by id.
    order: LeadOrder | None = None


async def export_leads(
    actor: Actor,
    export_filter: ExportFilter,
    target: IO[str],
    *,
    separator: str = ",",
    language: str = "en",
) -> int:
    """Write the leads the actor may see under the filter, in its order (oldest first without
    one). Returns the number of leads written. The caller opens `target` with encoding
    "utf-8-sig" so Excel recognises UTF-8."""
    written = 0
    async for chunk, count in export_chunks(
        actor, export_filter, separator=separator, language=language
    ):
        target.write(chunk)
        written += count
    return written


async def export_chunks(
    actor: Actor,
    export_filter: ExportFilter,
    *,
    separator: str = ",",
    language: str = "en",
) -> AsyncIterator[tuple[str, int]]:
    """The CSV text page by page (with the number of leads in each), so that a large export
    never sits in memory: first the header, then one chunk per page of leads. Refusals (the
    filter's rules, the actor's) come before the header."""
    if language not in LANGUAGES:
        raise DomainError(ErrorCode.INVALID, "The language must be en or de.", ["language"])
    if separator not in SEPARATORS.values():
        raise DomainError(ErrorCode.INVALID, "The separator must be ',' or ';'.", ["separator"])
    leads = _selected_leads(actor, export_filter)
    # The list's rule on who may sort by what (partners not by hidden columns) holds here too.
    ordering = lead_ordering(actor, export_filter.order) if export_filter.order else BY_ID
    buffer = io.StringIO()
    # Every cell quoted and neutralised (csv_cells): partners' data must not run in Excel.
    writer = SpreadsheetWriter(buffer, separator)
    writer.writerow([column.title(language) for column in COLUMNS])
    yield _drain(buffer), 0
    async for page in _pages(leads, ordering):
        notes = await _feedback_notes([row["id"] for row in page], language)
        for row in page:
            row["feedback"] = notes.get(row["id"], "")
            writer.writerow([column.value(row, language) for column in COLUMNS])
        yield _drain(buffer), len(page)


async def _pages(
    leads: QuerySet[Lead], ordering: keyset.Ordering
) -> AsyncIterator[list[dict[str, Any]]]:
    """The leads page by page in `ordering`, each page after the last row of the one before
    (keyset, as the list's cursors): one query per page, whatever its depth, and no lead twice
    or left out while the order holds."""
    extra = tuple(path for path in ordering.value_paths if path not in _FIELDS)
    rows = leads
    while True:
        page = await keyset.ordered(rows, ordering).limit(PAGE_SIZE).values(*_FIELDS, *extra)
        if page:
            yield page
        if len(page) < PAGE_SIZE:
            return
        last = page[-1]
        rows = keyset.after(leads, ordering, keyset.values_of(last, ordering), last["id"])


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def _selected_leads(actor: Actor, export_filter: ExportFilter) -> QuerySet[Lead]:
    # Everyone exports the leads they see under the list's own filter (a clerk their own; the
    # operator at the command line all, the policy says so); the web's file routes are for
    # managers (services/lead_files.py).
    leads = filtered_leads(actor, export_filter.lead_filter, export_filter.today)
    if export_filter.statuses:
        condition = status_condition(export_filter.statuses[0])
        for status in export_filter.statuses[1:]:
            condition |= status_condition(status)
        leads = leads.filter(condition)
    return leads


async def _feedback_notes(lead_ids: list[int], language: str) -> dict[int, str]:
    """Each lead's feedback, oldest first, as one cell: "2026-12-01 14:05 Phone, Anna Berg:
    call back on Tuesday | 2026-12-03 ..." (times in UTC, as the other columns)."""
    if not lead_ids:
        return {}
    entries: dict[int, list[str]] = {}
    feedback = (
        await Feedback.filter(lead_id__in=lead_ids)
        .order_by("lead_id", "created_at", "id")
        .values("lead_id", "channel", "note", "created_at", "author__name")
    )
    for row in feedback:
        at = row["created_at"].astimezone(UTC).strftime("%Y-%m-%d %H:%M")
        channel = _CHANNEL_WORDS[language][Channel(row["channel"])]
        # Line breaks inside a note would make a row of many lines; one line per cell reads
        # better in a list of thousands.
        note = " ".join(row["note"].split())
        entries.setdefault(row["lead_id"], []).append(
            f"{at} {channel}, {row['author__name']}: {note}"
        )
    return {lead_id: NOTE_SEPARATOR.join(lines) for lead_id, lines in entries.items()}
