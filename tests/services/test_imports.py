"""Importing lead files through the import service with a real database: how files are read,
what every row becomes, duplicates, dry runs, resuming, and the export back to CSV."""

from __future__ import annotations

import csv
import io
import os
import socket
from collections.abc import Sequence
from pathlib import Path

import pytest

from leadflow.auth.actors import OPERATOR
from leadflow.db.enums import (
    CloseReason,
    ImportIssueCode,
    ImportIssueKind,
    ImportStatus,
    LeadStatus,
    Outcome,
)
from leadflow.db.models import Campaign, Contact, ImportIssue, Lead, LeadEvent, LeadImport
from leadflow.errors import AccessDenied, DomainError, ErrorCode
from leadflow.services import campaigns, exports, imports, leads
from leadflow.services.import_files import inspect_file, map_columns
from leadflow.services.leads import LeadFilter, LeadIntake

GERMAN_HEADER = "Anrede;Vorname;Nachname;Firma;E-Mail;Telefon;Straße;PLZ;Ort;Land"


def write(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "leads.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


async def counts() -> tuple[int, int, int, int]:
    return (
        await Contact.all().count(),
        await Lead.all().count(),
        await LeadImport.all().count(),
        await ImportIssue.all().count(),
    )


async def test_reads_excel_german_semicolons_in_windows_1252(actors, tmp_path):
    await campaigns.create_campaign(actors.manager.user, "Messe")
    path = write(
        tmp_path,
        f"{GERMAN_HEADER}\r\n"
        "Frau;Jürgen;Größe;Bäckerei Süß;J.Groesse@Example.com;;Hauptstraße 1;10115;Köln;DE\r\n"
        'Herr;Otto;Ölmann;"Müller; Söhne";;+49 (30) 1234;;;;\r\n',
        encoding="cp1252",
    )

    report = await imports.import_by_name(actors.manager.user, "Messe", imports.ImportFile(path))

    assert (report.layout.encoding, report.layout.separator) == ("cp1252", ";")
    assert report.layout.unknown_columns == ()
    assert report.counts.leads_created == 2
    assert report.counts.rows_processed == 2
    first = await Contact.get(email_key="j.groesse@example.com")
    assert (first.first_name, first.last_name, first.company) == ("Jürgen", "Größe", "Bäckerei Süß")
    assert (first.street, first.postal_code, first.city, first.salutation) == (
        "Hauptstraße 1",
        "10115",
        "Köln",
        "Frau",
    )
    second = await Contact.get(last_name="Ölmann")
    assert second.company == "Müller; Söhne"
    assert second.phone_key == "+49301234"
    lead_import = await LeadImport.get(id=report.import_id)
    assert lead_import.status is ImportStatus.COMPLETED
    assert lead_import.created_by_id == actors.manager.user.id
    assert (lead_import.file_name, lead_import.leads_created) == ("leads.csv", 2)
    created = await Lead.filter(campaign__name="Messe").values_list("created_by_id", flat=True)
    assert created == [actors.manager.user.id] * 2
    assert await LeadEvent.filter(lead__campaign__name="Messe").count() == 2


async def test_reads_english_commas_utf8_with_bom_and_quotes(actors, tmp_path):
    path = write(
        tmp_path,
        "First name,Last name,Company,Email,Phone,Note\n"
        'Zoë,"O\'Brien","ACME, Inc. ""East""",zoe@example.com,,call after 5\n',
        encoding="utf-8-sig",
    )

    report = await imports.import_by_name(
        OPERATOR, "Spring", imports.ImportFile(path), create_campaign_if_missing=True
    )

    assert (report.layout.encoding, report.layout.separator) == ("utf-8-sig", ",")
    assert report.campaign_created
    assert report.layout.unknown_columns == ("Note",)
    assert report.mapped_columns == {
        "First name": "firstName",
        "Last name": "lastName",
        "Company": "company",
        "Email": "email",
        "Phone": "phone",
    }
    contact = await Contact.get(email_key="zoe@example.com")
    assert (contact.first_name, contact.last_name, contact.company) == (
        "Zoë",
        "O'Brien",
        'ACME, Inc. "East"',
    )
    lead = await Lead.get(contact_id=contact.id)
    assert lead.created_by_id is None  # the command line
    assert (await LeadImport.get(id=report.import_id)).unknown_columns == ["Note"]


async def test_explicit_mapping_uses_and_ignores_columns(actors, tmp_path):
    await campaigns.create_campaign(actors.manager.user, "Messe")
    path = write(tmp_path, "Nachname;Mobil;Notiz\nBerg;0171 555;x\n")

    with pytest.raises(DomainError) as caught:
        await imports.import_by_name(OPERATOR, "Messe", imports.ImportFile(path))
    assert caught.value.code is ErrorCode.REQUIRED
    assert "neither an email" in caught.value.message

    report = await imports.import_by_name(
        OPERATOR, "Messe", imports.ImportFile(path, mapping={"mobil": "phone", "Notiz": ""})
    )
    assert report.layout.unknown_columns == ()
    assert (await Contact.get(last_name="Berg")).phone == "0171 555"


@pytest.mark.parametrize(
    ("content", "code", "fragment"),
    [
        (b"", ErrorCode.REQUIRED, "empty"),
        (b"  \n\n", ErrorCode.REQUIRED, "empty"),
        (b"Vorname;Firma;E-Mail\nA;B;a@example.com\n", ErrorCode.REQUIRED, "last name"),
        (b"Nachname;Firma\nBerg;ACME\n", ErrorCode.REQUIRED, "neither an email"),
        (b"Nachname;Last name;Email\nA;B;c@d.de\n", ErrorCode.INVALID, "both map"),
        (b"Nachname\nBerg\n", ErrorCode.INVALID, "single column"),
        (b"Nachname;E-Mail\nBerg;\x81\x8d\x90@x.de\n", ErrorCode.INVALID, "neither UTF-8"),
    ],
    ids=["empty", "blank", "no-last-name", "no-contact", "twice", "one-column", "binary"],
)
async def test_unusable_files_are_refused_before_anything_is_written(
    actors, tmp_path, content, code, fragment
):
    await campaigns.create_campaign(actors.manager.user, "Messe")
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    before = await counts()

    with pytest.raises(DomainError) as caught:
        await imports.import_by_name(OPERATOR, "Messe", imports.ImportFile(path))

    assert caught.value.code is code
    assert fragment in caught.value.message
    assert await counts() == before


async def test_unknown_campaign_and_wrong_role_are_refused(actors, tmp_path):
    path = write(tmp_path, "Nachname;E-Mail\nBerg;berg@example.com\n")
    before = await counts()
    with pytest.raises(DomainError) as caught:
        await imports.import_by_name(OPERATOR, "Nowhere", imports.ImportFile(path))
    assert (caught.value.code, caught.value.field) == (ErrorCode.NOT_FOUND, ("campaign",))
    with pytest.raises(AccessDenied):
        await imports.import_by_name(
            actors.clerk_a.user,
            "Nowhere",
            imports.ImportFile(path),
            create_campaign_if_missing=True,
        )
    assert await counts() == before
    assert not await Campaign.filter(name="Nowhere").exists()


MESSY = (
    "Vorname;Nachname;E-Mail;Telefon\n"
    "Anna;Berg;anna@example.com;\n"  # 2: imported
    "Ben;Schulz;ben@example;+49 30 1\n"  # 3: bad email
    ";;;\n"  # 4: empty
    "Carl;;carl@example.com;\n"  # 5: no last name
    "Anna;Berg;ANNA@example.com;\n"  # 6: same contact as row 2
    "Dora;Klein;;0301234\n"  # 7: phone only, imported
    "Dora;KLEIN;;030 1234\n"  # 8: same phone and name as row 7
    "Emil;Ernst;;\n"  # 9: neither email nor phone
    "Fritz;Fuchs;f@example.com;;extra\n"  # 10: one field too many
    "Gina;Gold;gina@example.com\n"  # 11: trailing field missing, imported
    ";Hanf;bad mail;" + "9" * 101 + "\n"  # 12: two errors
)


async def test_every_row_is_imported_rejected_or_skipped_with_its_reason(actors, tmp_path):
    await campaigns.create_campaign(actors.manager.user, "Messe")
    path = write(tmp_path, MESSY)

    report = await imports.import_by_name(OPERATOR, "Messe", imports.ImportFile(path))

    counted = report.counts
    assert counted.rows_processed == 11
    assert (counted.leads_created, counted.duplicates_skipped) == (3, 2)
    assert (counted.rows_rejected, counted.empty_rows, counted.contacts_reused) == (5, 1, 0)
    issues = await imports.import_issues(report.import_id)
    rejected, duplicate = ImportIssueKind.REJECTED, ImportIssueKind.DUPLICATE
    assert [(i.row_number, i.kind, i.code, i.field) for i in issues] == [
        (3, rejected, ImportIssueCode.INVALID, "email"),
        (5, rejected, ImportIssueCode.REQUIRED, "lastName"),
        (6, duplicate, ImportIssueCode.DUPLICATE, ""),
        (8, duplicate, ImportIssueCode.DUPLICATE, ""),
        (9, rejected, ImportIssueCode.REQUIRED, "email"),
        (10, rejected, ImportIssueCode.TOO_MANY_FIELDS, ""),
        (12, rejected, ImportIssueCode.INVALID, "email"),
        (12, rejected, ImportIssueCode.TOO_LONG, "phone"),
    ]
    by_row = {issue.row_number: issue.message for issue in issues}
    assert by_row[3] == "'ben@example' is not a valid email address."
    assert by_row[5] == "Last name must not be empty."
    first_lead = await Lead.get(contact__email_key="anna@example.com")
    assert (
        by_row[6] == f"This contact already has an open lead (#{first_lead.id}) in this campaign."
    )
    assert by_row[9] == "A lead needs an email address or a phone number to be contacted."
    assert by_row[10] == (
        "The row has 5 fields but the header 4: is a ';' inside a value without quotes?"
    )
    # The codes as the database holds them.
    stored = ImportIssue.filter(lead_import_id=report.import_id).order_by("row_number", "id")
    assert await stored.values_list("row_number", "code") == [
        (3, "INVALID"),
        (5, "REQUIRED"),
        (6, "DUPLICATE"),
        (8, "DUPLICATE"),
        (9, "REQUIRED"),
        (10, "TOO_MANY_FIELDS"),
        (12, "INVALID"),
        (12, "TOO_LONG"),
    ]
    assert await Lead.filter(campaign__name="Messe").count() == 3
    assert await Contact.all().count() == 3


EMAIL_ERROR = "email: '{}' is not a valid email address."
NO_CONTACT = "A lead needs an email address or a phone number to be contacted."
FIELD_TOO_MANY = (
    "The row has 5 fields but the header 4: is a ';' inside a value without quotes? "
    "Values beyond the last column:"
)


def rejected_rows(report: imports.ImportReport, issues: list[imports.RowIssue]) -> list[list[str]]:
    buffer = io.StringIO()
    written = imports.write_rejected_rows(buffer, report.layout.header, ";", issues)
    rows = list(csv.reader(io.StringIO(buffer.getvalue()), delimiter=";"))
    assert written == len(rows) - 1
    return rows


async def test_rejected_rows_download_fixes_and_imports_again(actors, tmp_path):
    await campaigns.create_campaign(actors.manager.user, "Messe")
    path = write(tmp_path, MESSY)
    report = await imports.import_by_name(OPERATOR, "Messe", imports.ImportFile(path))

    rows = rejected_rows(report, await imports.import_issues(report.import_id))

    # The file's columns in their order, then Row and Error, lined up on every row; the field
    # too many of row 10 is cut off its columns and kept in its reason.
    assert rows == [
        ["Vorname", "Nachname", "E-Mail", "Telefon", "Row", "Error"],
        # A formula start gets an apostrophe (services/csv_cells.py); the import removes it.
        ["Ben", "Schulz", "ben@example", "'+49 30 1", "3", EMAIL_ERROR.format("ben@example")],
        ["Carl", "", "carl@example.com", "", "5", "lastName: Last name must not be empty."],
        ["Emil", "Ernst", "", "", "9", f"email: {NO_CONTACT}"],
        ["Fritz", "Fuchs", "f@example.com", "", "10", f"{FIELD_TOO_MANY} extra"],
        [
            "",
            "Hanf",
            "bad mail",
            "9" * 101,
            "12",
            EMAIL_ERROR.format("bad mail")
            + " / phone: Phone is too long (101 characters, at most 100).",
        ],
    ]

    # Ben's email fixed in the downloaded file itself: Row and Error are left out silently.
    rows[1][2] = "ben@example.com"
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows(rows)  # as Excel saves it: quoted where needed
    again = await imports.import_by_name(
        OPERATOR, "Messe", imports.ImportFile(write(tmp_path, buffer.getvalue(), name="fixed.csv"))
    )

    assert again.layout.unknown_columns == ()
    assert again.mapped_columns == {
        "Vorname": "firstName",
        "Nachname": "lastName",
        "E-Mail": "email",
        "Telefon": "phone",
    }
    # Ben, and Fritz whose extra field was cut off; the others still have their mistakes.
    assert (again.counts.leads_created, again.counts.rows_rejected) == (2, 3)
    assert (await Contact.get(email_key="ben@example.com")).phone == "+49 30 1"
    assert await Contact.filter(email_key="f@example.com").exists()
    # Rejected again: the stale Row and Error columns give way to fresh ones (the rows'
    # numbers in the fixed file).
    rows_again = rejected_rows(again, await imports.import_issues(again.import_id))
    assert rows_again == [
        ["Vorname", "Nachname", "E-Mail", "Telefon", "Row", "Error"],
        ["Carl", "", "carl@example.com", "", "3", "lastName: Last name must not be empty."],
        ["Emil", "Ernst", "", "", "4", f"email: {NO_CONTACT}"],
        [*rows[5][:4], "6", rows[5][5]],
    ]


async def test_rejected_rows_are_padded_and_keep_every_surplus_value(actors, tmp_path):
    """A short row is padded to the header; a row with two fields too many keeps both, in
    the order of the file, separated as in the file."""
    text = "Nachname,E-Mail,Firma\nBerg,berg@example\nKlein,k@example.com,ACME, Inc, Nord\n"
    report = await imports.import_by_name(
        OPERATOR,
        "Messe",
        imports.ImportFile(write(tmp_path, text)),
        create_campaign_if_missing=True,
        dry_run=True,
    )
    buffer = io.StringIO()
    imports.write_rejected_rows(buffer, report.layout.header, ",", report.issues)

    assert list(csv.reader(io.StringIO(buffer.getvalue()))) == [
        ["Nachname", "E-Mail", "Firma", "Row", "Error"],
        ["Berg", "berg@example", "", "2", EMAIL_ERROR.format("berg@example")],
        [
            "Klein",
            "k@example.com",
            "ACME",
            "3",
            "The row has 5 fields but the header 3: is a ',' inside a value without quotes? "
            "Values beyond the last column:  Inc, Nord",
        ],
    ]


def test_the_columns_of_a_rejected_rows_file_are_ignored_in_either_language():
    header = ("Nachname", "E-Mail", "Zeile", "Fehler", "Notiz", "Row", "error")
    assert map_columns(header, {}) == ({0: "last_name", 1: "email"}, ("Notiz",))
    # Mapped explicitly, such a column is imported like any other.
    assert map_columns(header, {"Fehler": "company"}) == (
        {0: "last_name", 1: "email", 3: "company"},
        ("Notiz",),
    )


async def test_dry_run_reports_the_same_and_writes_nothing(actors, tmp_path):
    manager = actors.manager.user
    messe = await campaigns.create_campaign(manager, "Messe")
    # Known beforehand: Anna from another campaign (reused), Gina already open in Messe.
    other = await campaigns.create_campaign(manager, "Web")
    await leads.create_leads(manager, other.id, [LeadIntake(last_name="Berg", email="a@x.de")])
    await leads.create_leads(
        manager, messe.id, [LeadIntake(last_name="Gold", email="gina@example.com")]
    )
    text = MESSY.replace("anna@example.com", "a@x.de").replace("ANNA@example.com", "A@X.de")
    path = write(tmp_path, text)
    before = await counts()

    preview = await imports.import_by_name(manager, "Messe", imports.ImportFile(path), dry_run=True)

    assert await counts() == before
    assert preview.import_id is None
    real = await imports.import_by_name(manager, "Messe", imports.ImportFile(path))
    assert preview.counts == real.counts
    assert (real.counts.leads_created, real.counts.contacts_reused) == (2, 1)
    assert real.counts.duplicates_skipped == 3
    stored = await imports.import_issues(real.import_id)
    assert [(i.row_number, i.kind, i.field) for i in preview.issues] == [
        (i.row_number, i.kind, i.field) for i in stored
    ]
    # The codes too, but for repeats within the file: the import finds the lead that the
    # first row created, a dry run the row itself.
    codes = {i.row_number: i.code for i in preview.issues}
    assert [codes[row] for row in (6, 8, 11)] == [
        ImportIssueCode.DUPLICATE_IN_FILE,
        ImportIssueCode.DUPLICATE_IN_FILE,
        ImportIssueCode.DUPLICATE,  # Gina's open lead in Messe, known beforehand
    ]
    assert [i.code for i in stored if i.row_number in (6, 8, 11)] == [ImportIssueCode.DUPLICATE] * 3
    assert [i.code for i in preview.issues if i.kind is ImportIssueKind.REJECTED] == [
        i.code for i in stored if i.kind is ImportIssueKind.REJECTED
    ]


async def test_dry_run_into_a_campaign_still_to_be_created(actors, tmp_path):
    path = write(tmp_path, MESSY)
    preview = await imports.import_by_name(
        OPERATOR, "Neu", imports.ImportFile(path), create_campaign_if_missing=True, dry_run=True
    )
    assert preview.campaign_created and preview.counts.leads_created == 3
    assert not await Campaign.filter(name="Neu").exists()


async def test_importing_the_same_file_twice_adds_nothing(actors, tmp_path):
    await campaigns.create_campaign(actors.manager.user, "Messe")
    path = write(tmp_path, MESSY)
    await imports.import_by_name(OPERATOR, "Messe", imports.ImportFile(path))
    leads_before = await Lead.all().count()

    second = await imports.import_by_name(OPERATOR, "Messe", imports.ImportFile(path))

    assert second.counts.leads_created == 0
    assert second.counts.duplicates_skipped == 5
    assert await Lead.all().count() == leads_before
    assert await LeadImport.filter(status=ImportStatus.COMPLETED).count() == 2


async def test_a_closed_lead_does_not_block_a_new_one(actors, tmp_path):
    manager = actors.manager.user
    messe = await campaigns.create_campaign(manager, "Messe")
    [old] = await leads.create_leads(
        manager, messe.id, [LeadIntake(last_name="Berg", email="a@x.de")]
    )
    await leads.assign_leads(manager, [old.id], actors.clerk_a.user.id)
    await leads.close_lead(
        actors.clerk_a.user, old.id, Outcome.UNSUCCESSFUL, CloseReason.UNREACHABLE
    )

    report = await imports.import_by_name(
        OPERATOR, "Messe", imports.ImportFile(write(tmp_path, "Nachname;E-Mail\nBerg;A@x.de\n"))
    )

    assert (report.counts.leads_created, report.counts.contacts_reused) == (1, 1)


async def test_an_interrupted_import_resumes_after_its_last_committed_batch(
    actors, tmp_path, monkeypatch
):
    await campaigns.create_campaign(actors.manager.user, "Messe")
    monkeypatch.setattr(imports.intake, "BATCH_SIZE", 3)
    lines = ["Nachname;E-Mail"] + [f"P{i};p{i}@example.com" for i in range(10)]
    lines[5] = "P4;not-an-email"  # row 6 is rejected
    path = write(tmp_path, "\n".join(lines) + "\n")

    def stop_after_two_batches(done: int, _expected: int) -> None:
        if done >= 6:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        await imports.import_by_name(
            OPERATOR, "Messe", imports.ImportFile(path), on_progress=stop_after_two_batches
        )
    interrupted = await LeadImport.get()
    assert (interrupted.status, interrupted.last_row_number) == (ImportStatus.FAILED, 7)
    assert await Lead.all().count() == 5

    resumed = await imports.import_by_name(OPERATOR, "Messe", imports.ImportFile(path))

    assert resumed.import_id == interrupted.id
    assert resumed.resumed_after_row == 7
    assert resumed.counts.rows_processed == 10  # the whole file, both runs together
    assert (resumed.counts.leads_created, resumed.counts.rows_rejected) == (9, 1)
    assert await Lead.all().count() == 9
    assert await Contact.all().count() == 9
    assert await LeadImport.all().count() == 1
    assert (await LeadImport.get()).status is ImportStatus.COMPLETED
    assert [i.row_number for i in await imports.import_issues(interrupted.id)] == [6]


async def test_a_running_import_is_not_run_twice_but_a_dead_one_is_taken_over(actors, tmp_path):
    campaign = await campaigns.create_campaign(actors.manager.user, "Messe")
    path = write(tmp_path, "Nachname;E-Mail\nBerg;a@x.de\n")
    layout_digest = inspect_file(path).digest

    running = await LeadImport.create(
        campaign=campaign,
        file_name="leads.csv",
        file_digest=layout_digest,
        worker=f"{socket.gethostname()}:{os.getppid()}",  # a live process on this machine
    )
    with pytest.raises(DomainError) as caught:
        await imports.import_by_name(OPERATOR, "Messe", imports.ImportFile(path))
    assert caught.value.code is ErrorCode.CONFLICT
    assert f"import #{running.id}" in caught.value.message
    assert await Lead.all().count() == 0

    await LeadImport.filter(id=running.id).update(worker=f"{socket.gethostname()}:999999999")
    report = await imports.import_by_name(OPERATOR, "Messe", imports.ImportFile(path))
    assert report.import_id == running.id
    assert report.counts.leads_created == 1


# --- Export ---------------------------------------------------------------------------------


def of_campaign(campaign: Campaign, statuses: Sequence[LeadStatus] = ()) -> exports.ExportFilter:
    return exports.ExportFilter(LeadFilter(campaign_id=campaign.id), tuple(statuses))


async def test_export_writes_status_and_outcome_in_either_language(actors):
    manager, clerk = actors.manager.user, actors.clerk_a.user
    messe = await campaigns.create_campaign(manager, "Messe")
    new, active, closed = await leads.create_leads(
        manager,
        messe.id,
        [
            LeadIntake(last_name="Neu", email="n@x.de"),
            LeadIntake(last_name="Aktiv", email="a@x.de", company="=HYPERLINK(1)"),
            LeadIntake(last_name="Zu", phone="+49 30 1"),
        ],
    )
    await leads.assign_leads(manager, [active.id, closed.id], clerk.id)
    await leads.close_lead(
        clerk, closed.id, Outcome.UNSUCCESSFUL, CloseReason.NOT_INTERESTED, "kein Bedarf"
    )

    english = io.StringIO()
    assert await exports.export_leads(OPERATOR, of_campaign(messe), english) == 3
    rows = list(csv.DictReader(io.StringIO(english.getvalue())))
    assert [row["Lead"] for row in rows] == [str(new.id), str(active.id), str(closed.id)]
    assert [row["Status"] for row in rows] == ["New", "Active", "Done"]
    assert rows[1]["Company"] == "'=HYPERLINK(1)"  # Excel shows it, never runs it
    assert rows[2]["Phone"] == "'+49 30 1"
    assert (rows[2]["Outcome"], rows[2]["Reason"], rows[2]["Close note"]) == (
        "unsuccessful",
        "not interested",
        "kein Bedarf",
    )
    assert rows[1]["Assignee"] == clerk.name and rows[0]["Assignee"] == ""

    german = io.StringIO()
    statuses = exports.parse_statuses(["aktiv,Erledigt"])
    assert statuses == [LeadStatus.ACTIVE, LeadStatus.DONE]
    await exports.export_leads(
        OPERATOR, of_campaign(messe, statuses), german, separator=";", language="de"
    )
    rows = list(csv.DictReader(io.StringIO(german.getvalue()), delimiter=";"))
    assert [(row["Nachname"], row["Status"]) for row in rows] == [
        ("Aktiv", "Aktiv"),
        ("Zu", "Erledigt"),
    ]
    assert (rows[1]["Ergebnis"], rows[1]["Grund"]) == ("erfolglos", "kein Interesse")


async def test_export_of_a_clerk_holds_only_their_leads_and_bad_statuses_are_refused(actors):
    manager = actors.manager.user
    messe = await campaigns.create_campaign(manager, "Messe")
    mine, theirs = await leads.create_leads(
        manager,
        messe.id,
        [LeadIntake(last_name="A", email="a@x.de"), LeadIntake(last_name="B", email="b@x.de")],
    )
    await leads.assign_leads(manager, [mine.id], actors.clerk_a.user.id)
    await leads.assign_leads(manager, [theirs.id], actors.clerk_b.user.id)

    target = io.StringIO()
    assert await exports.export_leads(actors.clerk_a.user, of_campaign(messe), target) == 1
    with pytest.raises(DomainError) as caught:
        exports.parse_statuses(["OPEN"])
    assert caught.value.code is ErrorCode.INVALID and "NEW, ACTIVE or DONE" in caught.value.message


async def test_large_export_pages_through_every_lead(actors, monkeypatch):
    manager = actors.manager.user
    messe = await campaigns.create_campaign(manager, "Messe")
    await leads.create_leads(
        manager, messe.id, [LeadIntake(last_name=f"P{i}", email=f"p{i}@x.de") for i in range(7)]
    )
    monkeypatch.setattr(exports, "PAGE_SIZE", 3)
    target = io.StringIO()
    assert await exports.export_leads(OPERATOR, of_campaign(messe), target) == 7
    names = [row["Last name"] for row in csv.DictReader(io.StringIO(target.getvalue()))]
    assert names == [f"P{i}" for i in range(7)]
