"""Whom an erasure finds (SQLite and PostgreSQL): every value the person ever had, their
correction history too, is suppressed and scrubbed (an email corrected away does not bring them
back); and nobody else is touched: the audit log loses only what identifies the person, as
whole words (a clerk "Alina" is not "Ali"), and an import row is the person's only by the rule
the suppression list and the contact matcher recognise a person by (their email; without a
valid email their phone's digits and their name), so a colleague at the same switchboard
number or a namesake keeps their row in a running import's file and among the rejected rows.
Retention's erasure (`suppress=False`) leaves the suppression list alone."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx

from leadflow.api.ids import encode_id
from leadflow.db.enums import ImportIssueKind, ImportStatus
from leadflow.db.models import (
    AuditEntry,
    Campaign,
    Contact,
    ImportIssue,
    ImportSource,
    LeadImport,
    Suppression,
)
from leadflow.services import audit
from leadflow.services.csv_cells import restore
from leadflow.services.privacy import erasure
from leadflow.web.access import CSRF_HEADER
from tests.api.test_files import bearer, finished, upload
from tests.erasure_helpers import dump_database, erase, running_import
from tests.helpers import Actor, Actors, mutate, mutate_ok, new_campaign, new_leads, pk

# The person as first entered, with values found nowhere else in the test database.
BEFORE = {
    "firstName": "Erdmute",
    "lastName": "Quastenflosser",
    "email": "erdmute@alt-quast.example",
    "phone": "+49 5541 771903",
    "city": "Hannoversch Muenden",
}
# Every field corrected before the erasure.
AFTER = {
    "firstName": "Edeltraud",
    "lastName": "Quastenfeld",
    "email": "edeltraud@neu-quast.example",
    "phone": "+49 5542 880114",
    "city": "Witzenhausen",
}
REASON = "Widerspruch per Brief"
SWITCHBOARD = "+49 5541 771903"


async def create_leads(
    client: httpx.AsyncClient, actor: Actor, campaign: str, leads: list[dict[str, Any]]
) -> list[tuple[str, list[str]]]:
    """The user errors' codes and fields of a createLeads call."""
    payload = await mutate(
        client, actor, "createLeads", {"campaignId": campaign, "leads": leads}, "leads { id }"
    )
    return [(error["code"], error["field"]) for error in payload["userErrors"]]


# --- Finding: the values before a correction ------------------------------------------------


async def test_values_corrected_before_the_erasure_are_suppressed_and_in_no_dump(
    client: httpx.AsyncClient, actors: Actors, database_url: str, backend: str
) -> None:
    manager = actors.manager
    campaign = await new_campaign(client, manager, "Messe")
    [lead] = await new_leads(client, manager, campaign, [BEFORE])
    contact_id = lead["contact"]["id"]
    await mutate_ok(client, manager, "updateContact", {"contactId": contact_id, **AFTER})
    # Someone typed the old email into the login form: the audit log and the throttle keep it.
    login = await client.post(
        "/auth/login",
        json={"email": BEFORE["email"], "password": "wrong"},
        headers={CSRF_HEADER: "1"},
    )
    assert login.status_code == 401, login.text
    assert await AuditEntry.filter(detail__icontains=BEFORE["email"]).count() == 1

    await erase(client, actors.admin, contact_id, REASON)

    # The original entry (the old email), and the old phone alone, are refused; so are the
    # values as corrected.
    again = await new_campaign(client, manager, "Messe 2")
    assert await create_leads(client, manager, again, [BEFORE]) == [
        ("SUPPRESSED", ["leads", "0", "email"])
    ]
    old_phone_only = {"lastName": BEFORE["lastName"], "phone": BEFORE["phone"]}
    assert await create_leads(client, manager, again, [old_phone_only]) == [
        ("SUPPRESSED", ["leads", "0", "phone"])
    ]
    assert await create_leads(client, manager, again, [AFTER]) == [
        ("SUPPRESSED", ["leads", "0", "email"])
    ]
    assert await Contact.filter(email_key=BEFORE["email"]).count() == 0
    # Nothing in the database names either version of the person (the correction history, the
    # audit log, the failed login all held the old values).
    dump = dump_database(database_url, backend).casefold()
    for value in (*BEFORE.values(), *AFTER.values(), "555417719", "555428801"):
        assert value.casefold() not in dump.replace(" ", ""), value
        assert value.casefold() not in dump, value


# --- Finding: the audit log is about everyone ------------------------------------------------


async def test_the_audit_log_loses_only_what_identifies_the_person_as_whole_words(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    others = {
        # A clerk whose name contains the person's first name, and one sharing their last name.
        "clerk": "ali.schulz@firma.example: Alina Schulz (CLERK)",
        "namesake": "ay.y@firma.example: Aylin Yilmaz (CLERK)",
        "word": "Invalid token for the mutation 'closeLead'",
        # The person's first name, city and postal code alone are not theirs here.
        "parts": "Ali aus Köln, 50667: Messe Köln geplant",
        # A longer number that holds the person's phone's digits.
        "number": "Rückruf an +4922155501019",
    }
    entries = {
        name: await audit.record(audit.AuditAction.LOGIN_FAILED, detail=detail)
        for name, detail in others.items()
    }
    mentioning = {
        "email": "AY@yil.example: zu viele Versuche",
        "full name": "Ali Yilmaz (ay@yil.example) bat um Löschung",
        "reversed": "Yilmaz, Ali ruft zurück unter +49 221 5550101",
        "digits": "Rückruf an 4922155501 01; +492215550101.",
        "company": "Angebot an Yilmaz Feinkost",
    }
    for name, detail in mentioning.items():
        entries[name] = await audit.record(audit.AuditAction.LOGIN_FAILED, detail=detail)
    campaign = await new_campaign(client, actors.manager, "Messe")
    person = {
        "firstName": "Ali",
        "lastName": "Yilmaz",
        "company": "Yilmaz Feinkost",
        "email": "ay@yil.example",
        "phone": "+49 221 5550101",
        "postalCode": "50667",
        "city": "Köln",
    }
    [lead] = await new_leads(client, actors.manager, campaign, [person])

    await erase(client, actors.admin, lead["contact"]["id"], REASON)

    ids = {name: entry.id for name, entry in entries.items()}
    stored = dict(await AuditEntry.filter(id__in=ids.values()).values_list("id", "detail"))
    details = {name: stored[entry_id] for name, entry_id in ids.items()}
    assert details == others | {
        "email": "[gelöscht]: zu viele Versuche",
        "full name": "[gelöscht] ([gelöscht]) bat um Löschung",
        "reversed": "[gelöscht] ruft zurück unter [gelöscht]",
        "digits": "Rückruf an 4922155501 01; [gelöscht].",
        "company": "Angebot an [gelöscht]",
    }


# --- Finding: import rows of other people ----------------------------------------------------

PERSON = {
    "firstName": "Ottilie",
    "lastName": "Quastenberg",
    "email": "o.quastenberg@zwirbelpost.example",
    "phone": SWITCHBOARD,
}
RUNNING_FILE_ROWS = [
    ["Nachname", "Vorname", "E-Mail", "Telefon"],
    ["Quastenberg", "Ottilie", "O.Quastenberg@zwirbelpost.example", SWITCHBOARD],  # 2: hers
    ["Kollege", "Karl", "karl@zwirbelpost.example", SWITCHBOARD],  # 3: a colleague
    ["Kollegin", "Klara", "", "+49 (5541) 77 19 03"],  # 4: a colleague without email
    ["Quastenberg", "Ottilie", "ottilie@anderswo.example", "0221 123"],  # 5: a namesake
    ["Quastenberg", "Ottilie", "", "+49 5541 77 19 03"],  # 6: hers, without email
]


async def test_a_running_imports_file_keeps_a_colleague_at_the_switchboard_and_a_namesake(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    manager = actors.manager
    campaign = await new_campaign(client, manager, "Messe")
    [lead] = await new_leads(client, manager, campaign, [PERSON])
    text = io.StringIO(newline="")
    csv.writer(text, delimiter=";", lineterminator="\r\n").writerows(RUNNING_FILE_ROWS)
    content = text.getvalue().encode("utf-8")
    lead_import = await running_import(
        pk(campaign), manager.user, "messe.csv", content, RUNNING_FILE_ROWS[0], rows=5
    )

    await erase(client, actors.admin, lead["contact"]["id"], REASON)

    stored = bytes((await ImportSource.get(lead_import_id=lead_import.id)).content)
    rows = list(csv.reader(io.StringIO(stored.decode("utf-8"), newline=""), delimiter=";"))
    blank = ["", "", "", ""]
    assert rows == [RUNNING_FILE_ROWS[0], blank, *RUNNING_FILE_ROWS[2:5], blank]


# The same people, rejected (their emails mistyped) by an import before the erasure.
REJECTED_FILE = "\n".join(
    [
        "Vorname;Nachname;E-Mail;Telefon",
        f"Ottilie;Quastenberg;{PERSON['email']};{SWITCHBOARD}",  # 2: imported
        f"Ottilie;Quastenberg;o.quastenberg@@zwirbelpost;{SWITCHBOARD}",  # 3: hers
        f"Karl;Kollege;karl@@zwirbelpost;{SWITCHBOARD}",  # 4: a colleague
        "Ottilie;Quastenberg;ottilie@@anderswo;0221 123",  # 5: a namesake
        "",
    ]
)


async def test_rejected_rows_of_a_colleague_at_the_switchboard_and_a_namesake_stay(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    messe = await Campaign.create(name="Messe")
    response = await upload(client, actors.manager, messe, REJECTED_FILE.encode())
    assert response.status_code == 202, response.text
    import_id = response.json()["importId"]
    lead_import = await finished(import_id)
    assert (lead_import.leads_created, lead_import.rows_rejected) == (1, 3)
    contact = await Contact.get(email_key=PERSON["email"])
    issues = ImportIssue.filter(lead_import_id=lead_import.id, kind=ImportIssueKind.REJECTED)
    before = {issue.row_number: issue for issue in await issues}

    await erase(client, actors.admin, encode_id("Contact", contact.id), REASON)

    after = {issue.row_number: issue for issue in await issues}
    lines = REJECTED_FILE.splitlines()
    assert {row: issue.values for row, issue in after.items()} == {
        3: [],
        4: lines[3].split(";"),
        5: lines[4].split(";"),
    }
    assert after[4].message == before[4].message
    assert after[5].message == before[5].message
    download = await client.get(
        f"/files/imports/{import_id}/rejected.csv", headers=bearer(actors.manager)
    )
    assert download.status_code == 200, download.text
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig")), delimiter=";"))
    # The file's cells as written (a leading "+" is escaped against spreadsheet formulas).
    assert [[restore(cell) for cell in row[:4]] for row in rows] == [
        lines[0].split(";"),
        lines[3].split(";"),
        lines[4].split(";"),
    ]


async def test_rows_of_an_import_whose_columns_are_no_longer_known_go_by_every_cell(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    """A finished import with its own column names (its explicit mapping went with its stored
    file): the email, the phone and the names are looked for in every cell, by the same rule."""
    manager = actors.manager
    campaign = await new_campaign(client, manager, "Messe")
    [lead] = await new_leads(client, manager, campaign, [PERSON])
    lead_import = await LeadImport.create(
        campaign_id=pk(campaign),
        created_by=manager.user,
        file_name="messe.csv",
        file_digest="0" * 64,
        status=ImportStatus.COMPLETED,
        header=["Spalte A", "Spalte B", "Spalte C", "Spalte D"],
        separator=";",
    )
    rows = {
        2: ["o.quastenberg@ZWIRBELPOST.example", "x", "y", "z"],  # hers: her email
        3: ["Kollege", "Karl", "karl@zwirbelpost.example", SWITCHBOARD],  # a colleague
        4: ["Ottilie", "Quastenberg", "o.q@@zwirbelpost", "+49 5541 77 19 03"],  # hers
        5: ["Ottilie", "Quastenberg", "ottilie@@anderswo", "0221 123"],  # a namesake
        6: ["Klara", "Kollegin", "", SWITCHBOARD],  # a colleague without email
    }
    for row_number, values in rows.items():
        await ImportIssue.create(
            lead_import=lead_import,
            kind=ImportIssueKind.REJECTED,
            row_number=row_number,
            field="email",
            message="rejected",
            values=values,
        )

    await erase(client, actors.admin, lead["contact"]["id"], REASON)

    stored = await ImportIssue.filter(lead_import_id=lead_import.id).values_list(
        "row_number", "values"
    )
    assert dict(stored) == rows | {2: [], 4: []}


async def test_an_erasure_told_not_to_suppress_leaves_the_list_alone(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    """Retention's erasure (`suppress=False`): the person may be entered again."""
    campaign = await new_campaign(client, actors.manager, "Messe")
    [lead] = await new_leads(client, actors.manager, campaign, [BEFORE])
    await mutate_ok(
        client, actors.manager, "updateContact", {"contactId": lead["contact"]["id"], **AFTER}
    )

    await erasure.erase_contact(
        actors.admin.user, pk(lead["contact"]["id"]), "Frist abgelaufen", suppress=False
    )

    assert await Suppression.all().count() == 0
    assert (await Contact.get(id=pk(lead["contact"]["id"]))).erased_at is not None
    again = await new_campaign(client, actors.manager, "Messe 2")
    [back] = await new_leads(client, actors.manager, again, [BEFORE])
    assert (await Contact.get(id=pk(back["contact"]["id"]))).email_key == BEFORE["email"]
