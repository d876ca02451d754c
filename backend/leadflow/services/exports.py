"""Exporting a campaign's leads with their status and outcome as CSV that Excel opens."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import IO, Any

from tortoise.queryset import QuerySet

from leadflow import i18n
from leadflow.auth import policy
from leadflow.auth.actors import Actor
from leadflow.db.enums import CloseReason, LeadStatus, Outcome
from leadflow.db.lead_status import lead_status, status_condition
from leadflow.db.models import Campaign, Lead
from leadflow.errors import DomainError, ErrorCode
from leadflow.services.csv_cells import SpreadsheetWriter

PAGE_SIZE = 1000
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
    Column("campaign", _plain("campaign__name")),
    Column("status", _status),
    Column("assignee", _plain("assignee__name")),
    Column("assignedAt", _timestamp("assigned_at")),
    Column("outcome", _outcome),
    Column("reason", _reason),
    Column("closeNote", _plain("close_note")),
    Column("closedAt", _timestamp("closed_at")),
    Column("createdAt", _timestamp("created_at")),
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


def parse_statuses(raw: Iterable[str]) -> list[LeadStatus]:
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
                ["status"],
            )
        if status not in statuses:
            statuses.append(status)
    return statuses


async def export_leads(
    actor: Actor,
    campaign: Campaign,
    target: IO[str],
    *,
    statuses: Sequence[LeadStatus] = (),
    separator: str = ",",
    language: str = "en",
) -> int:
    """Write the campaign's leads the actor may see, oldest first. Returns the number of leads
    written. The caller opens `target` with encoding "utf-8-sig" so Excel recognises UTF-8."""
    written = 0
    async for chunk, count in export_chunks(
        actor, campaign, statuses=statuses, separator=separator, language=language
    ):
        target.write(chunk)
        written += count
    return written


async def export_chunks(
    actor: Actor,
    campaign: Campaign,
    *,
    statuses: Sequence[LeadStatus] = (),
    separator: str = ",",
    language: str = "en",
) -> AsyncIterator[tuple[str, int]]:
    """The CSV text page by page (with the number of leads in each), so that a large campaign
    never sits in memory: first the header, then one chunk per page of leads."""
    if language not in LANGUAGES:
        raise DomainError(ErrorCode.INVALID, "The language must be en or de.", ["language"])
    if separator not in SEPARATORS.values():
        raise DomainError(ErrorCode.INVALID, "The separator must be ',' or ';'.", ["separator"])
    leads = _leads_of(actor, campaign, statuses)
    buffer = io.StringIO()
    # Every cell quoted and neutralised (csv_cells): partners' data must not run in Excel.
    writer = SpreadsheetWriter(buffer, separator)
    writer.writerow([column.title(language) for column in COLUMNS])
    yield _drain(buffer), 0
    last_id = 0
    while True:
        page = await leads.filter(id__gt=last_id).order_by("id").limit(PAGE_SIZE).values(*_FIELDS)
        for row in page:
            writer.writerow([column.value(row, language) for column in COLUMNS])
        if page:
            yield _drain(buffer), len(page)
        if len(page) < PAGE_SIZE:
            return
        last_id = page[-1]["id"]


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def _leads_of(actor: Actor, campaign: Campaign, statuses: Sequence[LeadStatus]) -> QuerySet[Lead]:
    # Everyone exports the leads they see (a clerk their own; the operator at the command line
    # all, the policy says so); the web's file routes are for managers (services/lead_files.py).
    leads = policy.visible_leads(actor).filter(campaign_id=campaign.id)
    if statuses:
        condition = status_condition(statuses[0])
        for status in statuses[1:]:
            condition |= status_condition(status)
        leads = leads.filter(condition)
    return leads
