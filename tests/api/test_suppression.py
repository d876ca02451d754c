"""The suppression list over HTTP (SQLite and PostgreSQL): an erased person brought again by
createLeads (managers and partners), by a file import (and its dry run), or by a correction
(updateContact) is refused with SUPPRESSED and nothing of them is stored; an admin lifts the
suppression (liftSuppression) and the person can be entered again, the audit log telling who
and why but never the email or the phone."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
from tortoise.transactions import in_transaction

from leadflow.db.enums import ImportIssueCode, ImportIssueKind, ImportStatus
from leadflow.db.models import AuditEntry, Campaign, Contact, ImportIssue, Lead, Suppression
from leadflow.services import audit
from leadflow.services.privacy.suppression import (
    SUPPRESSED_MESSAGE,
    SUPPRESSED_PHONE_MESSAGE,
    suppress_contact,
)
from leadflow.services.validation import phone_key
from tests.api.test_files import bearer, finished, upload
from tests.helpers import (
    Actor,
    Actors,
    error_codes,
    gql,
    mutate,
    mutate_ok,
    new_campaign,
    new_leads,
    pk,
    snapshot,
)

ERIKA = {"lastName": "Quast", "firstName": "Erika", "email": "erika.quast@example.com"}
ERIKA_PHONE = "+49 511 123 456"
LIFTED = "lifted"


async def erased(email: str | None, phone: str = "") -> int:
    """A person erased as `erasure.erase_contact` leaves them: suppressed, the tombstone without
    email or phone. Returns the tombstone's id."""
    contact = await Contact.create(
        last_name="Quast",
        email=email,
        email_key=email.lower() if email else None,
        phone=phone,
        phone_key=phone_key(phone),
    )
    async with in_transaction():
        await suppress_contact(contact)
    await Contact.filter(id=contact.id).update(
        last_name="[gelöscht]", email=None, email_key=None, phone="", phone_key=""
    )
    return contact.id


async def create_leads(
    client: httpx.AsyncClient, actor: Actor, campaign: str, leads: list[dict[str, Any]]
) -> dict[str, Any]:
    return await mutate(
        client, actor, "createLeads", {"campaignId": campaign, "leads": leads}, "leads { id }"
    )


def refusals(payload: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [(error["code"], error["field"]) for error in payload["userErrors"]]


async def test_create_leads_refuses_a_suppressed_email_in_any_case_and_stores_nothing(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    campaign = await new_campaign(client, actors.manager, "Messe")
    await erased("erika.quast@example.com", ERIKA_PHONE)
    before = await snapshot(client, actors.manager)

    payload = await create_leads(
        client,
        actors.manager,
        campaign,
        [
            {"lastName": "Neu", "email": "neu@example.com"},
            {**ERIKA, "email": "Erika.QUAST@example.com"},
        ],
    )

    assert payload["leads"] is None
    assert refusals(payload) == [("SUPPRESSED", ["leads", "1", "email"])]
    assert payload["userErrors"][0]["message"] == SUPPRESSED_MESSAGE
    # The whole call stored nothing, not even the stranger of row 0.
    assert await snapshot(client, actors.manager) == before
    assert await Contact.filter(last_name__in=["Quast", "Neu"]).count() == 0


async def test_a_suppressed_phone_without_email_is_refused_saying_so_with_an_email_it_is_not(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    campaign = await new_campaign(client, actors.manager, "Messe")
    await erased("erika.quast@example.com", ERIKA_PHONE)
    count = await Contact.all().count()

    # The same digits spelled differently: still her number.
    payload = await create_leads(
        client, actors.manager, campaign, [{"lastName": "Quast", "phone": "+49 (511) 123-456"}]
    )
    assert refusals(payload) == [("SUPPRESSED", ["leads", "0", "phone"])]
    assert await Contact.all().count() == count

    # A colleague at the same switchboard number without an email cannot be told from her:
    # refused too (in her favour), and the message says how to enter someone else.
    colleague = {"lastName": "Kollegin", "firstName": "Karla", "phone": ERIKA_PHONE}
    payload = await create_leads(client, actors.manager, campaign, [colleague])
    assert refusals(payload) == [("SUPPRESSED", ["leads", "0", "phone"])]
    assert payload["userErrors"][0]["message"] == SUPPRESSED_PHONE_MESSAGE
    assert "enter their email address" in SUPPRESSED_PHONE_MESSAGE
    assert await Contact.all().count() == count

    # With an email of her own she is another person.
    (lead,) = await new_leads(
        client,
        actors.manager,
        campaign,
        [{**colleague, "email": "kollegin@example.com"}],
    )
    assert (await Contact.get(id=pk(lead["contact"]["id"]))).phone == ERIKA_PHONE


async def test_a_partner_is_refused_the_same_way(client: httpx.AsyncClient, actors: Actors) -> None:
    campaign = await new_campaign(client, actors.manager, "Partnerkampagne")
    await mutate_ok(
        client,
        actors.admin,
        "linkPartnerCampaigns",
        {"userId": actors.partner.gid, "campaignIds": [campaign]},
        "campaigns { id }",
    )
    await erased(None, "0511 999 000")

    payload = await create_leads(
        client, actors.partner, campaign, [{"lastName": "Quast", "phone": "0511-999-000"}]
    )

    assert refusals(payload) == [("SUPPRESSED", ["leads", "0", "phone"])]
    assert await Lead.all().count() == 0


IMPORT_FILE = (
    "Vorname;Nachname;E-Mail;Telefon;Ort\n"
    "Erika;Quast;ERIKA.QUAST@example.com;;Hannover\n"  # 2: her email
    "Ben;Schulz;ben@example.com;;Berlin\n"  # 3: imported
    "Erika;Quast;erika.quast@@example;+49 511 123 456;Hannover\n"  # 4: a typo, her phone
    "Carl;Clausen;carl@example;;Köln\n"  # 5: rejected as usual, with its values
)
CARL = ["Carl", "Clausen", "carl@example", "", "Köln"]


async def test_an_import_rejects_the_suppressed_rows_without_keeping_their_values(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    messe = await Campaign.create(name="Messe")
    await erased("erika.quast@example.com", ERIKA_PHONE)

    response = await upload(client, actors.manager, messe, IMPORT_FILE.encode())

    assert response.status_code == 202, response.text
    lead_import = await finished(response.json()["importId"])
    assert lead_import.status is ImportStatus.COMPLETED
    assert (lead_import.leads_created, lead_import.rows_rejected) == (1, 3)
    assert await Contact.filter(last_name="Quast").count() == 0
    assert await Lead.filter(contact__last_name="Schulz").count() == 1
    issues = await ImportIssue.filter(lead_import_id=lead_import.id).order_by("row_number")
    assert [(i.row_number, i.kind, i.code, i.field, i.values) for i in issues] == [
        (2, ImportIssueKind.REJECTED, ImportIssueCode.SUPPRESSED, "email", []),
        (4, ImportIssueKind.REJECTED, ImportIssueCode.SUPPRESSED, "phone", []),
        (
            5,
            ImportIssueKind.REJECTED,
            ImportIssueCode.INVALID,
            "email",
            list(IMPORT_FILE.splitlines()[4].split(";")),
        ),
    ]
    assert all("quast" not in issue.message.lower() for issue in issues)

    download = await client.get(
        f"/files/imports/{response.json()['importId']}/rejected.csv",
        headers=bearer(actors.manager),
    )
    assert download.status_code == 200
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig")), delimiter=";"))
    assert [row[:5] for row in rows] == [
        ["Vorname", "Nachname", "E-Mail", "Telefon", "Ort"],
        CARL,
    ]


async def test_the_dry_run_reports_the_suppressed_rows(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    messe = await Campaign.create(name="Messe")
    await erased("erika.quast@example.com", ERIKA_PHONE)

    response = await upload(client, actors.manager, messe, IMPORT_FILE.encode(), dryRun="1")

    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["counts"]["leadsCreated"], report["counts"]["rowsRejected"]) == (1, 3)
    assert [(i["row"], i["kind"], i["code"], i["field"]) for i in report["issues"]] == [
        (2, "REJECTED", "SUPPRESSED", "email"),
        (4, "REJECTED", "SUPPRESSED", "phone"),
        (5, "REJECTED", "INVALID", "email"),
    ]
    messages = [issue["message"] for issue in report["issues"][:2]]
    assert messages == [SUPPRESSED_MESSAGE, SUPPRESSED_PHONE_MESSAGE]
    assert await ImportIssue.all().count() == 0


async def lift(client: httpx.AsyncClient, actor: Actor, **values: Any) -> dict[str, Any]:
    return await mutate(client, actor, "liftSuppression", values, LIFTED)


async def test_lifting_lets_the_person_be_entered_again_and_audits_without_the_values(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    campaign = await new_campaign(client, actors.manager, "Messe")
    await erased("erika.quast@example.com", ERIKA_PHONE)
    reason = "Frau Quast (erika.quast@example.com, +49 511 123 456) willigte am 3.12. ein"

    payload = await lift(
        client, actors.admin, email="Erika.Quast@example.com", phone=ERIKA_PHONE, reason=reason
    )

    assert payload == {"lifted": 2, "userErrors": []}
    assert await Suppression.all().count() == 0
    (lead,) = await new_leads(client, actors.manager, campaign, [{**ERIKA, "phone": ERIKA_PHONE}])
    assert (await Contact.get(id=pk(lead["contact"]["id"]))).email_key == "erika.quast@example.com"
    (entry,) = await AuditEntry.filter(action=audit.AuditAction.SUPPRESSION_LIFTED)
    assert entry.actor_id == actors.admin.user.id
    assert entry.detail.startswith("2 suppression entries lifted (email and phone): Frau Quast (")
    assert "willigte am 3.12. ein" in entry.detail
    assert "erika" not in entry.detail.lower() and "123 456" not in entry.detail


async def test_lifting_only_the_email_keeps_the_phone_suppressed(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    campaign = await new_campaign(client, actors.manager, "Messe")
    await erased("erika.quast@example.com", ERIKA_PHONE)

    assert (await lift(client, actors.admin, email=ERIKA["email"], reason="Einwilligung"))[
        LIFTED
    ] == 1

    await new_leads(client, actors.manager, campaign, [ERIKA])
    payload = await create_leads(
        client, actors.manager, campaign, [{"lastName": "Quast", "phone": ERIKA_PHONE}]
    )
    assert refusals(payload) == [("SUPPRESSED", ["leads", "0", "phone"])]


async def test_lifting_nothing_on_the_list_is_zero_and_bad_input_is_refused(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    await erased("erika.quast@example.com")

    assert await lift(client, actors.admin, email="jemand@example.com", reason="x") == {
        LIFTED: 0,
        "userErrors": [],
    }
    assert refusals(await lift(client, actors.admin, reason="Einwilligung")) == [
        ("REQUIRED", ["email"])
    ]
    assert refusals(await lift(client, actors.admin, email=ERIKA["email"], reason=" ")) == [
        ("REQUIRED", ["reason"])
    ]
    assert refusals(await lift(client, actors.admin, email="kaputt@", reason="x")) == [
        ("INVALID", ["email"])
    ]
    assert refusals(await lift(client, actors.admin, phone="keine", reason="x")) == [
        ("INVALID", ["phone"])
    ]
    assert await Suppression.all().count() == 1
    # Only the zero-count lift was recorded; the refused ones changed nothing.
    assert await AuditEntry.filter(action=audit.AuditAction.SUPPRESSION_LIFTED).count() == 1


async def test_only_admins_lift(client: httpx.AsyncClient, actors: Actors) -> None:
    await erased("erika.quast@example.com")
    document = (
        "mutation($input: LiftSuppressionInput!) { liftSuppression(input: $input) { lifted } }"
    )
    variables = {"input": {"email": ERIKA["email"], "reason": "Einwilligung"}}
    for actor in (actors.manager, actors.clerk_a, actors.partner, actors.read_only_manager):
        body = await gql(client, document, variables, actor=actor)
        assert error_codes(body) == ["FORBIDDEN"], actor.user.email
    assert error_codes(await gql(client, document, variables)) == ["UNAUTHENTICATED"]
    assert await Suppression.all().count() == 1


async def test_update_contact_refuses_a_suppressed_email_or_phone(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    campaign = await new_campaign(client, actors.manager, "Messe")
    await erased("erika.quast@example.com", ERIKA_PHONE)
    (with_email,) = await new_leads(client, actors.manager, campaign, ["Schmidt"])
    (phone_only,) = await new_leads(
        client, actors.manager, campaign, [{"lastName": "Ohne", "phone": "0171 1"}]
    )
    contact, other = with_email["contact"]["id"], phone_only["contact"]["id"]
    before = await snapshot(client, actors.manager)

    async def correct(contact_id: str, **values: str) -> list[tuple[str, list[str]]]:
        payload = await mutate(
            client, actors.manager, "updateContact", {"contactId": contact_id, **values}
        )
        return refusals(payload)

    assert await correct(contact, email="ERIKA.quast@example.com") == [("SUPPRESSED", ["email"])]
    assert await correct(other, phone="+49 (511) 123-456") == [("SUPPRESSED", ["phone"])]
    payload = await mutate(
        client, actors.manager, "updateContact", {"contactId": other, "phone": ERIKA_PHONE}
    )
    assert payload["userErrors"][0]["message"] == SUPPRESSED_PHONE_MESSAGE
    # Her number without an email is her; removing the email while setting it is too.
    assert await correct(contact, email="", phone=ERIKA_PHONE) == [("SUPPRESSED", ["phone"])]
    assert await snapshot(client, actors.manager) == before
    # A contact who keeps an email of their own may have the shared number.
    assert await correct(contact, phone=ERIKA_PHONE) == []
    assert (await Contact.get(id=pk(contact))).phone == ERIKA_PHONE
