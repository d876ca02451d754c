"""The rows of an import: what became of each (RowOutcome, RowIssue), the counts and the
report, and the checks a row passes before it is stored. No database."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from leadflow.db.enums import ImportIssueCode, ImportIssueKind
from leadflow.errors import DomainErrors, ErrorCode
from leadflow.services.import_files import FIELD_LABELS, FileLayout, FileRow
from leadflow.services.leads import LeadIntake, clean_intake
from leadflow.services.privacy.suppression import suppressed_message
from leadflow.services.validation import EMAIL_PATTERN, phone_key


@dataclass(frozen=True, slots=True)
class RowIssue:
    """Why a row was rejected or skipped: `code` for programs and translations, `field` the
    contact field it concerns as the API names it ("" for the whole row), `message` in English.
    Rejected rows keep their values as read, except a suppressed person's (no values)."""

    kind: ImportIssueKind
    code: ImportIssueCode
    row_number: int
    field: str
    message: str
    values: tuple[str, ...] = ()


@dataclass(slots=True)
class ImportCounts:
    rows_processed: int = 0
    leads_created: int = 0
    contacts_reused: int = 0
    duplicates_skipped: int = 0
    rows_rejected: int = 0
    empty_rows: int = 0

    def add(self, outcomes: Iterable[RowOutcome]) -> None:
        for outcome in outcomes:
            self.rows_processed += 1
            if outcome.created:
                self.leads_created += 1
                self.contacts_reused += outcome.contact_reused
            elif not outcome.issues:
                self.empty_rows += 1
            elif outcome.issues[0].kind is ImportIssueKind.DUPLICATE:
                self.duplicates_skipped += 1
            else:
                self.rows_rejected += 1

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in COUNTERS}


COUNTERS = tuple(ImportCounts.__dataclass_fields__)


@dataclass(slots=True)
class ImportReport:
    """What an import did (or, in a dry run, would do). Counts cover the whole file, also
    when the import resumed an interrupted one."""

    file_name: str
    campaign: str
    layout: FileLayout
    dry_run: bool
    import_id: int | None = None
    resumed_after_row: int | None = None
    campaign_created: bool = False
    counts: ImportCounts = field(default_factory=ImportCounts)
    # Dry runs keep their issues here; a real import stores them (see `import_issues`).
    issues: list[RowIssue] = field(default_factory=list)

    @property
    def mapped_columns(self) -> dict[str, str]:
        """Header name -> the contact field (API name) it fills."""
        return {
            self.layout.header[index]: FIELD_LABELS[name]
            for index, name in sorted(self.layout.columns.items())
        }


@dataclass(frozen=True, slots=True)
class RowOutcome:
    row: FileRow
    created: bool = False
    contact_reused: bool = False
    issues: tuple[RowIssue, ...] = ()


def batches(rows: Iterable[FileRow], size: int) -> Iterator[list[FileRow]]:
    batch: list[FileRow] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _is_empty(row: FileRow) -> bool:
    return not any(value.strip() for value in row.values)


def _clean_row(row: FileRow, layout: FileLayout) -> dict[str, str | None] | list[RowIssue]:
    """The row's contact details, or every reason it cannot be imported."""
    if len(row.values) > len(layout.header):
        return [
            RowIssue(
                kind=ImportIssueKind.REJECTED,
                code=ImportIssueCode.TOO_MANY_FIELDS,
                row_number=row.number,
                field="",
                message=f"The row has {len(row.values)} fields but the header "
                f"{len(layout.header)}: is a '{layout.separator}' inside a value without quotes?",
                values=row.values,
            )
        ]
    values = {
        name: row.values[index] for index, name in layout.columns.items() if index < len(row.values)
    }
    try:
        return clean_intake(LeadIntake(**{"last_name": "", **values}), [])
    except DomainErrors as errors:
        return [
            RowIssue(
                kind=ImportIssueKind.REJECTED,
                code=_rejection_code(error.code),
                row_number=row.number,
                field=".".join(error.field or ()),
                message=error.message,
                values=row.values,
            )
            for error in errors.errors
        ]


def _rejection_code(code: ErrorCode) -> ImportIssueCode:
    """The code `createLeads` gives the same mistake. The rules of an intake raise only codes
    that rows have (REQUIRED, INVALID, TOO_LONG); should one raise another, the row is still
    reported, as INVALID."""
    try:
        return ImportIssueCode(code.value)
    except ValueError:
        return ImportIssueCode.INVALID


def split_batch(
    batch: list[FileRow], layout: FileLayout
) -> tuple[list[tuple[FileRow, dict[str, str | None]]], list[RowOutcome]]:
    """The batch's rows that can be stored (with their cleaned details), and the outcomes of
    the others: empty rows and rows rejected with their reasons."""
    cleaned: list[tuple[FileRow, dict[str, str | None]]] = []
    outcomes: list[RowOutcome] = []
    for row in batch:
        details = None if _is_empty(row) else _clean_row(row, layout)
        if isinstance(details, dict):
            cleaned.append((row, details))
        else:
            outcomes.append(RowOutcome(row, issues=tuple(details or ())))
    return cleaned, outcomes


def duplicate_issue(row: FileRow, code: ImportIssueCode, message: str) -> RowIssue:
    return RowIssue(
        kind=ImportIssueKind.DUPLICATE, code=code, row_number=row.number, field="", message=message
    )


def suppressed_issue(row: FileRow, field_name: str) -> RowIssue:
    """A row of an erased person on the suppression list: rejected, its values not kept."""
    return RowIssue(
        kind=ImportIssueKind.REJECTED,
        code=ImportIssueCode.SUPPRESSED,
        row_number=row.number,
        field=field_name,
        message=suppressed_message(field_name),
    )


def rejected_row_keys(row: FileRow, layout: FileLayout) -> dict[str, str | None]:
    """A rejected row's email and phone keys as far as its values give them (the suppression
    check: an erased person's row must not be kept with its values just because it has a typo):
    a well-formed email lower-cased, a malformed one counting as none, and the phone's digits."""
    values = {
        name: row.values[index] for index, name in layout.columns.items() if index < len(row.values)
    }
    email = values.get("email", "").strip()
    return {
        "email_key": email.lower() if EMAIL_PATTERN.match(email) else None,
        "phone_key": phone_key(values.get("phone", "")),
    }


def open_lead_message(lead_id: int) -> str:
    return f"This contact already has an open lead (#{lead_id}) in this campaign."
