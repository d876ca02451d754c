"""The suppression list from the command line: `leadflow import` (the same import service as
the web app) rejects an erased person's row with SUPPRESSED and leaves it out of the rejects
file; `leadflow suppression lift` prints how many entries it removed, after which the person
imports again; bad input is a one-line error."""

from __future__ import annotations

import csv
from pathlib import Path

from tortoise.transactions import in_transaction

from leadflow.db.enums import ImportIssueCode
from leadflow.db.models import AuditEntry, Campaign, Contact, ImportIssue, Suppression
from leadflow.services.audit import AuditAction
from leadflow.services.privacy.suppression import suppress_contact
from tests.cli.runner import failed_with, run_with_database, succeeded

FILE = (
    "Vorname;Nachname;E-Mail;Telefon\n"
    "Erika;Quast;Erika.Quast@example.com;0511 123\n"
    "Ben;Schulz;ben@example.com;\n"
    "Carl;Clausen;carl@example;\n"
)


async def _seed() -> None:
    """Messe, and Erika Quast erased (suppressed, her tombstone without email or phone)."""
    await Campaign.create(name="Messe")
    contact = await Contact.create(
        last_name="Quast", email="erika.quast@example.com", email_key="erika.quast@example.com"
    )
    async with in_transaction():
        await suppress_contact(contact)
    await Contact.filter(id=contact.id).update(last_name="[gelöscht]", email=None, email_key=None)


async def _stored() -> tuple[list[str], list[tuple[int, str, list[str]]], int, str]:
    names = await Contact.all().order_by("id").values_list("last_name", flat=True)
    issues = await ImportIssue.all().order_by("row_number")
    entries = await Suppression.all().count()
    lifted = await AuditEntry.filter(action=AuditAction.SUPPRESSION_LIFTED).first()
    return (
        [str(name) for name in names],
        [(issue.row_number, issue.code.value, list(issue.values)) for issue in issues],
        entries,
        lifted.detail if lifted else "",
    )


def test_import_rejects_the_erased_person_until_the_suppression_is_lifted(
    cli, tmp_path: Path
) -> None:
    url = cli.env["LEADFLOW_DATABASE_URL"]
    run_with_database(url, _seed)
    source = tmp_path / "messe.csv"
    source.write_text(FILE, encoding="utf-8")

    preview = succeeded(cli("import", str(source), "--campaign", "Messe", "--dry-run"))
    assert "leads would be imported: 1" in preview
    out = succeeded(cli("import", str(source), "--campaign", "Messe", "--rejects-lang", "en"))

    assert "leads imported: 1 (0 known contacts)" in out
    assert "rows rejected:      2" in out
    assert "row 2 rejected: email: This person's data was erased at their request" in out
    names, issues, entries, _ = run_with_database(url, _stored)
    assert names == ["[gelöscht]", "Schulz"]
    assert issues == [
        (2, ImportIssueCode.SUPPRESSED.value, []),
        (4, ImportIssueCode.INVALID.value, ["Carl", "Clausen", "carl@example", ""]),
    ]
    with (tmp_path / "messe.rejected.csv").open(encoding="utf-8-sig") as rejects:
        rows = list(csv.reader(rejects, delimiter=";"))
    assert [row[:3] for row in rows[1:]] == [["Carl", "Clausen", "carl@example"]]

    lifted = succeeded(
        cli(
            "suppression",
            "lift",
            "--email",
            "ERIKA.QUAST@example.com",
            "--reason",
            "Einwilligung am Telefon",
        )
    )
    assert lifted == "Lifted 1 suppression entry.\n"
    assert succeeded(cli("suppression", "lift", "--phone", "0511 123", "--reason", "x")) == (
        "Lifted 0 suppression entries.\n"
    )

    again = tmp_path / "messe-2.csv"
    again.write_text(FILE.splitlines()[0] + "\n" + FILE.splitlines()[1] + "\n", encoding="utf-8")
    assert "leads imported: 1" in succeeded(cli("import", str(again), "--campaign", "Messe"))
    names, _, entries, detail = run_with_database(url, _stored)
    assert (names[-1], entries) == ("Quast", 0)
    assert (
        detail == "1 suppression entry lifted (email): Einwilligung am Telefon (by system:operator)"
    )


def test_lift_without_email_or_phone_is_a_one_line_error(cli) -> None:
    failed_with(
        cli("suppression", "lift", "--reason", "Einwilligung"), "Give the email or the phone"
    )
    failed_with(cli("suppression", "lift", "--email", "a@example.com", "--reason", " "), "Reason")
