"""Messy lead files (tests/messy_leads.py) imported through the import service, on SQLite and
PostgreSQL: the report, the stored leads and contacts, every rejected and duplicate row, the
rejected-rows file and the dry run must match what the generator made, row by row."""

from __future__ import annotations

import csv
import io
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

from leadflow.auth.actors import OPERATOR
from leadflow.db.enums import ImportIssueCode, ImportIssueKind, ImportStatus, LeadEventKind
from leadflow.db.models import Campaign, Contact, ImportIssue, Lead, LeadEvent, LeadImport
from leadflow.services.csv_cells import restore
from leadflow.services.imports import (
    ImportFile,
    ImportReport,
    RowIssue,
    import_by_name,
    import_issues,
    write_rejected_rows,
)
from tests.messy_leads import (
    CONTACT_FIELDS,
    ExpectedImport,
    FileVariant,
    choose_variant,
    write_messy_leads,
)

CAMPAIGN = "Messe Hannover 2024"
TABLES = (Campaign, Contact, Lead, LeadEvent, LeadImport, ImportIssue)


@dataclass(frozen=True)
class Sample:
    seed: int
    rows: int
    variant: FileVariant


# One 10,000-row file per backend; the other variants with 1,000 rows keep the suite quick.
SAMPLES = [
    Sample(seed=11, rows=10_000, variant=FileVariant(";", "cp1252", "de")),
    Sample(seed=12, rows=1_000, variant=FileVariant(",", "utf-8-sig", "en")),
    Sample(seed=13, rows=1_000, variant=FileVariant(",", "utf-8", "de")),
    Sample(seed=14, rows=1_000, variant=FileVariant(";", "utf-8", "en")),
]


def sample_id(sample: Sample) -> str:
    return f"{sample.variant.label}-{sample.rows}"


async def table_counts() -> dict[str, int]:
    return {model.__name__: await model.all().count() for model in TABLES}


# --- Checks ---------------------------------------------------------------------------------


def check_layout(report: ImportReport, expected: ExpectedImport) -> None:
    assert report.layout.encoding == expected.variant.encoding
    assert report.layout.separator == expected.variant.separator
    assert report.layout.header == expected.header
    assert report.layout.unknown_columns == expected.unknown_columns
    assert report.mapped_columns == expected.mapped_columns


def issues_by_row(issues: list[RowIssue]) -> dict[ImportIssueKind, dict[int, list[RowIssue]]]:
    grouped: dict[ImportIssueKind, dict[int, list[RowIssue]]] = defaultdict(dict)
    for issue in issues:
        grouped[issue.kind].setdefault(issue.row_number, []).append(issue)
    return grouped


def check_rejected(issues: list[RowIssue], expected: ExpectedImport) -> None:
    """Each rejected row once per reason, with the values as read and the expected fields and
    codes."""
    rejected = issues_by_row(issues)[ImportIssueKind.REJECTED]
    assert set(rejected) == expected.rejected_rows
    for row, row_issues in rejected.items():
        wanted = expected.rejected[row]
        reasons = [(issue.field, issue.code) for issue in row_issues]
        assert sorted(reasons) == sorted(wanted.reasons.items()), (row, row_issues)
        assert all(issue.values == wanted.values for issue in row_issues), (row, wanted)
        assert all(issue.message for issue in row_issues)
    codes = {issue.code for row_issues in rejected.values() for issue in row_issues}
    assert all(isinstance(code, ImportIssueCode) for code in codes)


def check_preview_duplicates(issues: list[RowIssue], expected: ExpectedImport) -> None:
    """A dry run finds repeats within the file (nothing is stored yet)."""
    duplicates = issues_by_row(issues)[ImportIssueKind.DUPLICATE]
    assert set(duplicates) == set(expected.duplicate_of)
    for row, [issue] in duplicates.items():
        assert issue.code is ImportIssueCode.DUPLICATE_IN_FILE, (row, issue)
        assert issue.message == f"Same contact as row {expected.duplicate_of[row]}."


def check_import_duplicates(
    issues: list[RowIssue], duplicate_of: dict[int, int], lead_of_row: dict[int, int]
) -> None:
    """Every duplicate names the open lead that the contact's first row created."""
    duplicates = issues_by_row(issues)[ImportIssueKind.DUPLICATE]
    assert set(duplicates) == set(duplicate_of)
    for row, [issue] in duplicates.items():
        assert issue.code is ImportIssueCode.DUPLICATE, (row, issue)
        assert f"(#{lead_of_row[duplicate_of[row]]})" in issue.message, (row, issue.message)


def rejects_file(target: Path, report: ImportReport, issues: list[RowIssue]) -> tuple[str, int]:
    """The rejected rows written as the command line writes them (UTF-8 with BOM), read back."""
    with target.open("w", encoding="utf-8-sig", newline="") as handle:
        written = write_rejected_rows(handle, report.layout.header, report.layout.separator, issues)
    return target.read_text(encoding="utf-8-sig"), written


def check_rejects_file(text: str, written: int, expected: ExpectedImport) -> None:
    """One line per rejected row, in row order: its values under the file's own columns (cut
    or padded to them), its row number and every reason, the two last under Row and Error."""
    separator = expected.variant.separator
    header, *lines = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    width = len(expected.header)
    assert header == [*expected.header, "Row", "Error"]
    assert written == len(lines) == len(expected.rejected)
    for row, line in zip(sorted(expected.rejected), lines, strict=True):
        wanted = expected.rejected[row]
        assert len(line) == width + 2, (row, line)
        *values, number, reason = line
        # Formula starts are marked for Excel ("'+49 ..."); read back as the import reads them.
        assert tuple(map(restore, values)) == (*wanted.values, *[""] * width)[:width], row
        assert number == str(row)
        reasons = reason.split(" / ")
        assert len(reasons) == len(wanted.reasons), (row, reason)
        for field in wanted.reasons:
            if field:
                assert any(part.startswith(f"{field}: ") for part in reasons), (row, reason)
            else:
                # The one field too many, cut off above, is kept in the reason.
                assert reasons == [
                    f"The row has {width + 1} fields but the header {width}: is a "
                    f"'{separator}' inside a value without quotes? "
                    f"Values beyond the last column: {wanted.values[width]}"
                ], (row, reason)


async def check_stored(campaign: Campaign, expected: ExpectedImport) -> dict[int, int]:
    """Exactly the expected contacts and one lead (with its CREATED event) each; returns the
    lead of each row that created one."""
    contacts = await Contact.all().order_by("id").values_list("id", *CONTACT_FIELDS)
    assert [tuple(values) for _, *values in contacts] == list(expected.created.values())
    leads = (
        await Lead.filter(campaign_id=campaign.id).order_by("id").values_list("id", "contact_id")
    )
    assert [contact for _, contact in leads] == [contact_id for contact_id, *_ in contacts]
    assert await Lead.all().count() == expected.leads_created
    events = await LeadEvent.all().values_list("kind", flat=True)
    assert events == [LeadEventKind.CREATED] * expected.leads_created
    return {row: lead_id for row, (lead_id, _) in zip(expected.created, leads, strict=True)}


async def check_import_record(report: ImportReport, expected: ExpectedImport) -> None:
    record = await LeadImport.get(id=report.import_id)
    assert record.status is ImportStatus.COMPLETED
    assert record.rows_total == expected.rows_read
    assert record.last_row_number == expected.rows_read + 1
    assert {name: getattr(record, name) for name in expected.counts} == report.counts.as_dict()
    assert record.unknown_columns == list(expected.unknown_columns)


# --- Tests ----------------------------------------------------------------------------------


@pytest.mark.usefixtures("app")
@pytest.mark.parametrize("sample", SAMPLES, ids=sample_id)
async def test_import_of_a_messy_file_reports_exactly_what_it_holds(sample: Sample, tmp_path):
    path = tmp_path / "messe-scanner.csv"
    expected = write_messy_leads(path, sample.rows, sample.seed, sample.variant)
    empty = await table_counts()

    # A dry run predicts the import to the row, and writes nothing (not even the campaign).
    preview = await import_by_name(
        OPERATOR, CAMPAIGN, ImportFile(path), create_campaign_if_missing=True, dry_run=True
    )
    check_layout(preview, expected)
    assert preview.counts.as_dict() == expected.counts
    assert preview.campaign_created
    check_rejected(preview.issues, expected)
    check_preview_duplicates(preview.issues, expected)
    assert await table_counts() == empty

    report = await import_by_name(
        OPERATOR, CAMPAIGN, ImportFile(path), create_campaign_if_missing=True
    )
    check_layout(report, expected)
    assert report.counts.as_dict() == expected.counts
    assert report.campaign_created and not report.dry_run
    assert report.import_id is not None and report.resumed_after_row is None
    campaign = await Campaign.get(name=CAMPAIGN)
    lead_of_row = await check_stored(campaign, expected)
    await check_import_record(report, expected)
    issues = await import_issues(report.import_id)
    check_rejected(issues, expected)
    check_import_duplicates(issues, expected.duplicate_of, lead_of_row)

    # The rejected rows, ready to fix: the same file from the dry run and from the import.
    text, written = rejects_file(tmp_path / "rejected.csv", report, issues)
    check_rejects_file(text, written, expected)
    assert rejects_file(tmp_path / "preview.csv", preview, preview.issues) == (text, written)

    # The same file again adds nothing: every good row is now a duplicate of its open lead.
    stored = await table_counts()
    again = await import_by_name(OPERATOR, CAMPAIGN, ImportFile(path))
    assert again.counts.as_dict() == {
        **expected.counts,
        "leads_created": 0,
        "duplicates_skipped": expected.leads_created + len(expected.duplicate_of),
    }
    assert not again.campaign_created and again.import_id != report.import_id
    # A new import record with the same rejected rows, and every good row as a duplicate.
    assert await table_counts() == {
        **stored,
        "LeadImport": stored["LeadImport"] + 1,
        "ImportIssue": stored["ImportIssue"] + len(issues) + expected.leads_created,
    }
    issues_again = await import_issues(again.import_id)
    check_rejected(issues_again, expected)
    first_rows = {row: row for row in expected.created}
    check_import_duplicates(issues_again, {**first_rows, **expected.duplicate_of}, lead_of_row)


@pytest.mark.usefixtures("app")
async def test_a_second_campaign_reuses_every_contact(tmp_path):
    path = tmp_path / "scanner.csv"
    expected = write_messy_leads(path, rows=500, seed=21, variant=FileVariant(";", "cp1252", "en"))
    await import_by_name(OPERATOR, "Spring Fair", ImportFile(path), create_campaign_if_missing=True)
    contacts = await Contact.all().count()

    preview = await import_by_name(
        OPERATOR, "Autumn Fair", ImportFile(path), create_campaign_if_missing=True, dry_run=True
    )
    report = await import_by_name(
        OPERATOR, "Autumn Fair", ImportFile(path), create_campaign_if_missing=True
    )

    reused = {**expected.counts, "contacts_reused": expected.leads_created}
    assert preview.counts.as_dict() == report.counts.as_dict() == reused
    assert await Contact.all().count() == contacts == expected.leads_created
    autumn = await Campaign.get(name="Autumn Fair")
    assert await Lead.filter(campaign_id=autumn.id).count() == expected.leads_created


def test_the_generator_is_deterministic_and_keeps_one_line_per_row(tmp_path):
    first, second, other = (tmp_path / name for name in ("a.csv", "b.csv", "c.csv"))
    expected = write_messy_leads(first, rows=1_000, seed=5)
    assert write_messy_leads(second, rows=1_000, seed=5) == expected
    assert first.read_bytes() == second.read_bytes()
    assert write_messy_leads(other, rows=1_000, seed=6) != expected

    variant = expected.variant
    assert variant == choose_variant(random.Random(5))  # chosen by the seed
    data = first.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") == (variant.encoding == "utf-8-sig")
    text = data.decode(variant.encoding)
    assert text.count("\r\n") == text.count("\n") == 1_000 + 1  # the header is row 1
    assert text.endswith("\r\n")
    kinds = (expected.created, expected.duplicate_of, expected.rejected, expected.empty)
    assert sum(len(rows) for rows in kinds) == expected.rows_read == 1_000


def test_the_generator_makes_every_kind_of_mess(tmp_path):
    expected = write_messy_leads(tmp_path / "leads.csv", rows=10_000, seed=11)
    reasons = [row.reasons for row in expected.rejected.values()]
    assert set().union(*(reason.items() for reason in reasons)) == {
        ("email", "INVALID"),
        ("email", "REQUIRED"),
        ("lastName", "REQUIRED"),
        ("postalCode", "TOO_LONG"),
        ("", "TOO_MANY_FIELDS"),
    }
    assert any(len(reason) == 2 for reason in reasons)
    email = CONTACT_FIELDS.index("email")
    phone_only = {row for row, contact in expected.created.items() if contact[email] is None}
    assert phone_only and set(expected.duplicate_of.values()) & phone_only
    assert set(expected.duplicate_of.values()) - phone_only
    assert len(expected.empty) > 50
