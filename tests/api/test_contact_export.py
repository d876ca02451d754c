"""A person's data export (DSGVO Art. 15) over HTTP: `contactDataExport` and GET
/files/contacts/<id>/export.json hold every value stored about the person, with where it came
from (an import, a partner, by hand), and nothing of another person in the same campaign with the
same clerk; admins only unless the instance lets managers export; each export audited without
personal data; a fixed number of statements however many leads the person has (SQLite and
PostgreSQL)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette
from tortoise.backends.base.executor import EXECUTOR_CACHE

from leadflow import clock
from leadflow.api.ids import decode_id, encode_id
from leadflow.app import create_app
from leadflow.auth.actors import OPERATOR
from leadflow.auth.sessions import SESSION_COOKIE, open_session
from leadflow.auth.tokens import issue_token
from leadflow.db.enums import ActivityKind, Channel, CloseReason, ImportStatus, Outcome
from leadflow.db.models import AuditEntry, ImportIssue, Lead, LeadImport
from leadflow.services import activities, campaigns, imports, leads
from leadflow.services.audit import AuditAction
from leadflow.services.leads import LeadIntake
from leadflow.services.webhooks import config as webhook_config
from leadflow.services.webhooks import fanout
from leadflow.settings import Settings
from leadflow.web.access import CSRF_HEADER
from tests.helpers import (
    Actor,
    Actors,
    QueryCounter,
    data_of,
    error_codes,
    gql,
    mutate_ok,
    new_campaign,
    new_leads,
    pk,
)

EXPORT = "query($id: ID!) { contactDataExport(contactId: $id) }"

# The person the export is about: every value unique enough to be searched for in the text.
ERIKA = {
    "salutation": "Frau",
    "firstName": "Erika",
    "lastName": "Mustermann",
    "company": "Mustermann Feinkost",
    "email": "erika.mustermann@example.com",
    "phone": "+49 221 5550101",
    "street": "Domkloster 4",
    "postalCode": "50667",
    "city": "Köln",
    "country": "Deutschland",
}
# The other person: same campaigns, same clerk; none of this may appear in Erika's export.
OTTO = {
    "firstName": "Otto",
    "lastName": "Normalverbraucher",
    "company": "Normalo Handels GmbH",
    "email": "otto.normal@example.org",
    "phone": "+49 30 7770202",
    "street": "Unter den Linden 77",
    "postalCode": "10117",
    "city": "Potsdam",
}
IMPORT_FILE_NAME = "Messe Köln 2026.csv"
IMPORT_FILE = (
    "Anrede;Vorname;Nachname;Firma;E-Mail;Telefon;Straße;PLZ;Ort;Land\n"
    f"Frau;Erika;Mustermann;Mustermann Feinkost;{ERIKA['email']};{ERIKA['phone']};"
    "Domkloster 4;50667;Köln;Deutschland\n"
    f"Herr;Otto;Normalverbraucher;Normalo Handels GmbH;{OTTO['email']};{OTTO['phone']};"
    "Unter den Linden 77;10117;Potsdam;\n"
).encode()


@pytest.fixture
def contact_export_managers() -> bool:
    """LEADFLOW_CONTACT_EXPORT_MANAGERS for the app; a test parametrizes it to True."""
    return False


@pytest_asyncio.fixture
async def app(database_url: str, contact_export_managers: bool) -> AsyncIterator[Starlette]:
    """The real application (as tests/conftest.py's), with the export setting of the test."""
    EXECUTOR_CACHE.clear()
    settings = Settings(
        database_url=database_url,
        contact_export_managers=contact_export_managers,
        # The partner's webhook points at a closed port on loopback (tests/api/test_webhooks_api).
        webhook_allow_private=True,
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application
    webhook_config.configure(Settings())


def due(days: float) -> str:
    return (clock.now() + timedelta(days=days)).isoformat()


def bearer(actor: Actor) -> dict[str, str]:
    return {"Authorization": f"Bearer {actor.token}"}


async def export_over_graphql(client: httpx.AsyncClient, actor: Actor, contact: str) -> str:
    return data_of(await gql(client, EXPORT, {"id": contact}, actor=actor))["contactDataExport"]


async def download(client: httpx.AsyncClient, actor: Actor, contact: str) -> httpx.Response:
    return await client.get(f"/files/contacts/{contact}/export.json", headers=bearer(actor))


# --- the prepared people -------------------------------------------------------------------------


@dataclass
class World:
    erika: str  # her contact
    otto: str
    import_lead: str  # Erika's lead from the web import
    partner_lead: str  # Erika's lead from the partner's createLeads
    manual_lead: str  # Erika's lead entered by the manager
    otto_lead: str  # Otto's lead entered by the manager, same campaign and clerk
    lead_import: str
    direct_campaign: str
    opportunity: str
    activity: str
    opportunity_activity: str
    otto_opportunity: str


async def web_import(
    client: httpx.AsyncClient,
    manager: Actor,
    campaign: str,
    *,
    file_name: str = IMPORT_FILE_NAME,
    content: bytes = IMPORT_FILE,
) -> LeadImport:
    """Import a file (IMPORT_FILE) into `campaign` over the upload endpoint; the import when
    done."""
    response = await client.post(
        "/files/imports",
        params={"campaign": campaign, "fileName": file_name},
        content=content,
        headers={**bearer(manager), "Content-Type": "text/csv"},
    )
    assert response.status_code == 202, response.text
    import_id: str = response.json()["importId"]
    for _ in range(500):
        lead_import = await LeadImport.get(id=decode_id(import_id, "LeadImport", ["id"]))
        if lead_import.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING):
            assert lead_import.status is ImportStatus.COMPLETED, lead_import.failure
            return lead_import
        await asyncio.sleep(0.02)
    raise AssertionError("the import did not finish")


async def assign(client: httpx.AsyncClient, actors: Actors, lead: str) -> None:
    """One lead at a time: clerk A's notification then names and links that lead."""
    await mutate_ok(
        client, actors.manager, "assignLeads", {"leadIds": [lead], "assigneeId": actors.clerk_a.gid}
    )


async def close_with_opportunity(
    client: httpx.AsyncClient, clerk: Actor, lead: str, note: str, title: str, value: str
) -> str:
    closed = await mutate_ok(
        client,
        clerk,
        "closeLead",
        {
            "leadId": lead,
            "outcome": "SUCCESSFUL",
            "note": note,
            "opportunity": {"title": title, "expectedValue": value},
        },
        "opportunity { id }",
    )
    opportunity: str = closed["opportunity"]["id"]
    return opportunity


async def schedule(client: httpx.AsyncClient, clerk: Actor, subject: str, note: str) -> str:
    payload = await mutate_ok(
        client,
        clerk,
        "scheduleActivity",
        {"subjectId": subject, "kind": "CALL", "dueAt": due(2), "note": note},
        "activity { id }",
    )
    activity: str = payload["activity"]["id"]
    return activity


@pytest_asyncio.fixture
async def world(client: httpx.AsyncClient, actors: Actors) -> World:
    """Erika with every kind of data, from three sources; Otto beside her in the same
    campaigns, with the same clerk, with data of every kind too."""
    manager, clerk = actors.manager, actors.clerk_a
    fair = await new_campaign(client, manager, "Messe Köln")
    portal = await new_campaign(client, manager, "Partnerportal")
    direct = await new_campaign(client, manager, "Direktansprache")
    lead_import = await web_import(client, manager, fair)
    assert lead_import.leads_created == 2
    await mutate_ok(
        client,
        actors.admin,
        "linkPartnerCampaigns",
        {"userId": actors.partner.gid, "campaignIds": [portal]},
    )
    await mutate_ok(
        client,
        actors.partner,
        "createWebhook",
        {"url": "http://127.0.0.1:9/hook", "events": ["lead.created", "lead.closed"]},
    )
    # A partner reads no contacts: the partner's lead is found through Erika's leads below.
    await new_leads(
        client,
        actors.partner,
        portal,
        [{"lastName": "Mustermann", "email": ERIKA["email"]}],
        selection="leads { id }",
    )
    manual, otto_lead = await new_leads(
        client,
        manager,
        direct,
        [{"lastName": "Mustermann", "email": ERIKA["email"]}, OTTO],
    )
    erika, otto = manual["contact"]["id"], otto_lead["contact"]["id"]
    her_leads = await Lead.filter(contact_id=pk(erika)).values_list("campaign_id", "id")
    by_campaign = {encode_id("Campaign", c): encode_id("Lead", lead) for c, lead in her_leads}
    assert len(her_leads) == 3 and by_campaign.keys() == {fair, portal, direct}
    partner_lead = {"id": by_campaign[portal]}
    from_import = by_campaign[fair]

    for lead in (manual["id"], otto_lead["id"], partner_lead["id"]):
        await assign(client, actors, lead)
    await record_feedback(client, clerk, manual["id"], "Erika wünscht Rückruf nach Ostern")
    await record_feedback(client, clerk, otto_lead["id"], "Otto hat kein Budget vor Juni")
    activity = await schedule(client, clerk, manual["id"], "Erika Preisliste durchgehen")
    await mutate_ok(
        client,
        clerk,
        "completeActivity",
        {"activityId": activity, "note": "Erika hat Preisliste erhalten"},
    )
    await schedule(client, clerk, otto_lead["id"], "Otto Muster schicken")
    opportunity = await close_with_opportunity(
        client,
        clerk,
        manual["id"],
        "Erika bestellt Probepaket",
        "Erika Feinkost-Sortiment",
        "1234.50",
    )
    otto_opportunity = await close_with_opportunity(
        client, clerk, otto_lead["id"], "Otto will Angebot", "Otto Großhandel", "999.00"
    )
    await mutate_ok(
        client,
        clerk,
        "moveOpportunity",
        {"opportunityId": opportunity, "stage": "QUALIFIED", "note": "Erika Budget bestätigt"},
    )
    opportunity_activity = await schedule(client, clerk, opportunity, "Erika Angebot senden")
    await mutate_ok(
        client,
        clerk,
        "closeLead",
        {
            "leadId": partner_lead["id"],
            "outcome": "UNSUCCESSFUL",
            "reason": "NOT_INTERESTED",
            "note": "Erika kauft beim Partner nicht",
        },
    )
    # The webhook worker would fan the events out soon; the test does not wait for it.
    await fanout.run_round()
    await mutate_ok(client, manager, "updateContact", {"contactId": erika, "city": "Bonn"})
    await mutate_ok(
        client,
        manager,
        "setContactOptOut",
        {"contactId": erika, "optedOut": True, "note": "Erika widerspricht am Telefon"},
    )
    return World(
        erika=erika,
        otto=otto,
        import_lead=from_import,
        partner_lead=partner_lead["id"],
        manual_lead=manual["id"],
        otto_lead=otto_lead["id"],
        lead_import=encode_id("LeadImport", lead_import.id),
        direct_campaign=direct,
        opportunity=opportunity,
        activity=activity,
        opportunity_activity=opportunity_activity,
        otto_opportunity=otto_opportunity,
    )


async def record_feedback(client: httpx.AsyncClient, clerk: Actor, lead: str, note: str) -> None:
    await mutate_ok(
        client, clerk, "recordFeedback", {"leadId": lead, "channel": "PHONE", "note": note}
    )


def lead_in(document: dict[str, Any], lead: str) -> dict[str, Any]:
    (found,) = [entry for entry in document["leads"] if entry["id"] == lead]
    return found


# --- the document --------------------------------------------------------------------------------


async def test_the_export_holds_everything_stored_about_the_person(client, actors, world):
    text = await export_over_graphql(client, actors.admin, world.erika)
    document = json.loads(text)

    assert document["format"] == "leadflow.contact-export/1"
    contact = document["contact"]
    assert contact["id"] == world.erika
    assert {key: contact[key] for key in ERIKA} == {**ERIKA, "city": "Bonn"}
    assert contact["optedOut"] is True
    assert contact["optedOutNote"] == "Erika widerspricht am Telefon"
    assert contact["optedOutAt"].endswith("+00:00")
    assert contact["erasedAt"] is None
    assert [
        (change["field"], change["old"], change["new"], change["by"])
        for change in document["history"]
    ] == [
        ("city", "Köln", "Bonn", "Mona Manager"),
        ("optedOut", "false", "true", "Mona Manager"),
        ("optedOutNote", None, "Erika widerspricht am Telefon", "Mona Manager"),
    ]

    assert {lead["id"] for lead in document["leads"]} == {
        world.import_lead,
        world.partner_lead,
        world.manual_lead,
    }
    imported = lead_in(document, world.import_lead)
    assert imported["campaign"]["name"] == "Messe Köln"
    assert imported["source"]["kind"] == "import"
    assert imported["source"]["import"]["id"] == world.lead_import
    assert imported["source"]["import"]["fileName"] == IMPORT_FILE_NAME
    assert imported["source"]["partner"] is None
    assert imported["createdBy"] == {"name": "Mona Manager", "role": "MANAGER"}
    assert imported["status"] == "NEW"

    from_partner = lead_in(document, world.partner_lead)
    assert from_partner["source"] == {
        "kind": "partner",
        "import": None,
        "partner": {"name": "Paul Partner"},
    }
    assert (from_partner["outcome"], from_partner["closeReason"]) == (
        "UNSUCCESSFUL",
        "NOT_INTERESTED",
    )
    assert from_partner["closeNote"] == "Erika kauft beim Partner nicht"

    manual = lead_in(document, world.manual_lead)
    assert manual["source"] == {"kind": "manual", "import": None, "partner": None}
    assert manual["campaign"] == {"id": world.direct_campaign, "name": "Direktansprache"}
    assert (manual["status"], manual["outcome"]) == ("DONE", "SUCCESSFUL")
    assert manual["assignee"] == "Clara Clerk" and manual["closedBy"] == "Clara Clerk"
    assert manual["closeNote"] == "Erika bestellt Probepaket"
    assert [(entry["channel"], entry["note"], entry["by"]) for entry in manual["feedback"]] == [
        ("PHONE", "Erika wünscht Rückruf nach Ostern", "Clara Clerk")
    ]
    (activity,) = manual["activities"]
    assert activity["id"] == world.activity
    assert (activity["kind"], activity["note"], activity["done"]) == (
        "CALL",
        "Erika Preisliste durchgehen",
        True,
    )
    assert activity["doneNote"] == "Erika hat Preisliste erhalten"
    kinds = [event["kind"] for event in manual["events"]]
    assert kinds[0] == "CREATED" and "ASSIGNED" in kinds and "FEEDBACK_RECORDED" in kinds
    assert "ACTIVITY_COMPLETED" in kinds and "CLOSED" in kinds
    (closed,) = [event for event in manual["events"] if event["kind"] == "CLOSED"]
    assert closed["note"] == "Erika bestellt Probepaket" and closed["actor"] == "Clara Clerk"

    (opportunity,) = document["opportunities"]
    assert opportunity["id"] == world.opportunity
    assert opportunity["lead"] == world.manual_lead
    assert opportunity["title"] == "Erika Feinkost-Sortiment"
    assert (opportunity["stage"], opportunity["expectedValue"]) == ("QUALIFIED", "1234.50")
    assert opportunity["owner"] == "Clara Clerk"
    assert [a["note"] for a in opportunity["activities"]] == ["Erika Angebot senden"]
    assert opportunity["activities"][0]["id"] == world.opportunity_activity
    (moved,) = [event for event in opportunity["events"] if event["kind"] == "STAGE_CHANGED"]
    assert (moved["stage"], moved["previousStage"], moved["note"]) == (
        "QUALIFIED",
        "OPEN",
        "Erika Budget bestätigt",
    )

    # Clerk A was told of each of Erika's leads one by one: the messages name her.
    told = [entry for entry in document["notifications"] if entry["kind"] == "LEAD_ASSIGNED"]
    assert {entry["lead"] for entry in told} == {world.manual_lead, world.partner_lead}
    assert all(entry["recipient"] == "Clara Clerk" for entry in told)
    assert all("Mustermann Feinkost" in entry["message"] for entry in told)

    # Her data went out to the partner's webhook: the events of her lead in its campaign.
    assert [
        (entry["recipient"], entry["eventType"], entry["lead"]) for entry in document["recipients"]
    ] == [
        ("Paul Partner", "lead.created", world.partner_lead),
        ("Paul Partner", "lead.closed", world.partner_lead),
    ]


async def test_the_export_holds_nothing_of_anyone_else(client, actors, world):
    text = await export_over_graphql(client, actors.admin, world.erika)

    others = [
        *OTTO.values(),
        world.otto,
        world.otto_lead,
        world.otto_opportunity,
        "Otto hat kein Budget vor Juni",
        "Otto Muster schicken",
        "Otto will Angebot",
        "Otto Großhandel",
        "999.00",
        # Staff appear by name only.
        "clerk.a@test.example",
        "manager@test.example",
        "partner@test.example",
    ]
    found = [value for value in others if value.casefold() in text.casefold()]
    assert found == []
    # Otto's own export is about Otto.
    assert "Mustermann" not in await export_over_graphql(client, actors.admin, world.otto)


async def test_the_download_is_the_same_document(client, actors, world):
    text = await export_over_graphql(client, actors.admin, world.erika)

    response = await download(client, actors.admin, world.erika)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    number = decode_id(world.erika, "Contact", ["id"])
    assert (
        f'attachment; filename="kontakt-{number}-auskunft.json"'
        in response.headers["content-disposition"]
    )
    assert response.headers["cache-control"] == "no-store"
    downloaded = json.loads(response.content.decode("utf-8"))
    expected = json.loads(text)
    # Only the moment of the export differs.
    assert downloaded.pop("exportedAt") >= expected.pop("exportedAt")
    assert downloaded == expected
    assert "Köln" in response.content.decode("utf-8")  # UTF-8 as written, not \u escapes


async def test_a_browser_download_by_link_needs_no_csrf_header(client, actors, world):
    _session, secret = await open_session(actors.admin.user, lifetime=timedelta(hours=1))

    response = await client.get(
        f"/files/contacts/{world.erika}/export.json",
        headers={"Cookie": f"{SESSION_COOKIE}={secret}"},
    )

    assert response.status_code == 200, response.text
    assert json.loads(response.text)["contact"]["lastName"] == "Mustermann"


async def test_each_export_is_audited_without_personal_data(client, actors, world):
    await export_over_graphql(client, actors.admin, world.erika)
    await download(client, actors.admin, world.erika)

    entries = await AuditEntry.filter(action=AuditAction.CONTACT_DATA_EXPORTED).order_by("id")
    number = decode_id(world.erika, "Contact", ["id"])
    assert [(entry.actor_id, entry.detail) for entry in entries] == [
        (actors.admin.user.id, f"contact {number}"),
        (actors.admin.user.id, f"contact {number}"),
    ]
    logged = data_of(
        await gql(client, "{ auditLog { edges { node { detail } } } }", actor=actors.admin)
    )
    text = json.dumps(logged, ensure_ascii=False)
    assert not [value for value in ERIKA.values() if value in text]


# --- who may export ------------------------------------------------------------------------------


async def test_only_admins_export_by_default(client, actors, world):
    for actor in (
        actors.manager,
        actors.read_only_manager,
        actors.clerk_a,
        actors.partner,
    ):
        body = await gql(client, EXPORT, {"id": world.erika}, actor=actor)
        assert error_codes(body) == ["FORBIDDEN"], body
        assert body.get("data") is None
        response = await download(client, actor, world.erika)
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "FORBIDDEN"
        # The refusal does not depend on the path: a bad ID is refused the same.
        refused = await client.get("/files/contacts/nonsense/export.json", headers=bearer(actor))
        assert refused.status_code == 403
    anonymous = await client.get(f"/files/contacts/{world.erika}/export.json")
    assert anonymous.status_code == 401
    assert await AuditEntry.filter(action=AuditAction.CONTACT_DATA_EXPORTED).count() == 0
    # Every refusal is recorded as such.
    assert await AuditEntry.filter(action=AuditAction.ACCESS_DENIED).count() == 12


async def test_an_admins_read_only_token_may_export(client, actors, world):
    """The export is a read (its audit entry is a record, as refusals are for reads too)."""
    _, secret = await issue_token(actors.admin.user, read_only=True)
    read_only_admin = Actor(user=actors.admin.user, token=secret)

    text = await export_over_graphql(client, read_only_admin, world.erika)

    assert json.loads(text)["contact"]["lastName"] == "Mustermann"
    assert (await download(client, read_only_admin, world.erika)).status_code == 200


@pytest.mark.parametrize("contact_export_managers", [True])
async def test_managers_export_when_the_instance_allows_it(client, actors, world):
    text = await export_over_graphql(client, actors.manager, world.erika)
    assert json.loads(text)["contact"]["email"] == ERIKA["email"]
    assert (await download(client, actors.manager, world.erika)).status_code == 200
    # Clerks and partners still not.
    for actor in (actors.clerk_a, actors.partner):
        body = await gql(client, EXPORT, {"id": world.erika}, actor=actor)
        assert error_codes(body) == ["FORBIDDEN"]
        assert (await download(client, actor, world.erika)).status_code == 403


MAY_EXPORT = "query($id: ID!) { node(id: $id) { ... on Contact { viewerMayExport } } }"


async def _may_export(client: httpx.AsyncClient, actor: Actor, contact_id: str) -> bool:
    body = await gql(client, MAY_EXPORT, {"id": contact_id}, actor=actor)
    assert "errors" not in body, body
    return bool(body["data"]["node"]["viewerMayExport"])


async def test_the_contact_says_whether_the_viewer_may_export(client, actors, world):
    """The web app offers the download by Contact.viewerMayExport (the same rule as the export)."""
    assert await _may_export(client, actors.admin, world.erika) is True
    assert await _may_export(client, actors.manager, world.erika) is False


@pytest.mark.parametrize("contact_export_managers", [True])
async def test_the_contact_says_managers_may_export_where_allowed(client, actors, world):
    assert await _may_export(client, actors.manager, world.erika) is True


async def test_an_unknown_or_wrong_id_is_refused_clearly(client, actors):
    missing = encode_id("Contact", 4711)
    body = await gql(client, EXPORT, {"id": missing}, actor=actors.admin)
    assert error_codes(body) == ["NOT_FOUND"]
    response = await download(client, actors.admin, missing)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"

    lead_id = encode_id("Lead", 1)
    assert error_codes(await gql(client, EXPORT, {"id": lead_id}, actor=actors.admin)) == [
        "BAD_USER_INPUT"
    ]
    wrong = await download(client, actors.admin, lead_id)
    assert wrong.status_code == 400
    assert wrong.json()["error"]["code"] == "INVALID"
    assert wrong.json()["error"]["field"] == ["id"]
    assert await AuditEntry.filter(action=AuditAction.CONTACT_DATA_EXPORTED).count() == 0


# --- rows that name the person without an id ----------------------------------------------------

# Erika's mobile when the file was imported; corrected to the company's switchboard afterwards.
MOBILE = "+49 171 4443322"
SWITCHBOARD = ERIKA["phone"]
REJECTS_FILE_NAME = "Messe Bonn 2026.csv"
REJECTS_FILE = (
    "Vorname;Nachname;E-Mail;Telefon\n"
    f"Erika;Mustermann;{ERIKA['email']};{MOBILE}\n"
    # Hers: no valid email, and her (former) phone with her names.
    f"Erika;Mustermann;erika.mustermann@example;{MOBILE}\n"
    # Hers: her email (in capitals), no last name.
    f"Erika;;{ERIKA['email'].upper()};+49 30 1234567\n"
    # A colleague at the same switchboard with an email of his own.
    f"Max;;max.kollege@mustermann-feinkost.example;{SWITCHBOARD}\n"
    # A namesake colleague at the switchboard without a valid email: another first name.
    f"Max;Mustermann;max.kollege@@mustermann;{SWITCHBOARD}\n"
    # Another Erika Mustermann, another phone.
    "Erika;Mustermann;erika@@mustermann;+49 89 999888\n"
).encode()
NOT_HERS = (
    "max.kollege@mustermann-feinkost.example",
    "max.kollege@@mustermann",
    "erika@@mustermann",
    "+49 89 999888",
)


async def test_the_persons_rejected_import_rows_are_in_the_export_by_the_erasures_rule(
    client, actors
):
    """The rows an import rejected are kept with their values (to be fixed and imported
    again); those that are hers by the rule the erasure empties them by (her email, or no
    valid email and her phone, current or former, with her names) are in her export, with
    their import and cells by column; a colleague's at her switchboard number is not. The
    erasure then empties exactly the rows the export listed."""
    fair = await new_campaign(client, actors.manager, "Messe Bonn")
    lead_import = await web_import(
        client, actors.manager, fair, file_name=REJECTS_FILE_NAME, content=REJECTS_FILE
    )
    assert (lead_import.leads_created, lead_import.rows_rejected) == (1, 5)
    erika = encode_id("Contact", (await Lead.get(lead_import_id=lead_import.id)).contact_id)
    await mutate_ok(
        client, actors.manager, "updateContact", {"contactId": erika, "phone": SWITCHBOARD}
    )

    text = await export_over_graphql(client, actors.admin, erika)

    rows = json.loads(text)["importRows"]
    import_id = encode_id("LeadImport", lead_import.id)
    assert [
        (row["import"], row["fileName"], row["rowNumber"], row["field"], row["code"])
        for row in rows
    ] == [
        (import_id, REJECTS_FILE_NAME, 3, "email", "INVALID"),
        (import_id, REJECTS_FILE_NAME, 4, "lastName", "REQUIRED"),
    ]
    assert rows[0]["values"] == {
        "Vorname": "Erika",
        "Nachname": "Mustermann",
        "E-Mail": "erika.mustermann@example",
        "Telefon": MOBILE,
    }
    assert rows[1]["values"]["E-Mail"] == ERIKA["email"].upper()
    assert [value for value in NOT_HERS if value in text] == []

    await mutate_ok(
        client, actors.admin, "eraseContact", {"contactId": erika, "reason": "Antrag per Mail"}
    )
    issues = await ImportIssue.filter(lead_import_id=lead_import.id).order_by("row_number")
    assert [issue.row_number for issue in issues if not issue.values] == [3, 4]
    assert json.loads(await export_over_graphql(client, actors.admin, erika))["importRows"] == []


async def test_failed_logins_with_the_persons_email_are_in_the_export(client, actors, world):
    """Anyone may type her email into the login form: when that was tried is hers to know;
    the address it came from stays out (it is whoever typed it). Otto's are not hers."""
    for email in (ERIKA["email"].upper(), OTTO["email"]):
        login = await client.post(
            "/auth/login", json={"email": email, "password": "wrong"}, headers={CSRF_HEADER: "1"}
        )
        assert login.status_code == 401, login.text

    document = json.loads(await export_over_graphql(client, actors.admin, world.erika))

    (failed,) = document["failedLogins"]
    assert failed["email"] == ERIKA["email"]
    assert failed["at"].endswith("+00:00")
    assert set(failed) == {"email", "at"}
    assert OTTO["email"] not in json.dumps(document)


# --- cost ----------------------------------------------------------------------------------------


async def person_with_leads(actors: Actors, name: str, count: int) -> int:
    """A contact with `count` leads in as many campaigns, each assigned, with feedback, an
    activity and a close; every other one successful (an opportunity). Its id."""
    manager, clerk = actors.manager.user, actors.clerk_a.user
    lead_ids = []
    for number in range(count):
        campaign = await campaigns.create_campaign(manager, f"{name} {number}")
        (lead,) = await leads.create_leads(
            manager, campaign.id, [LeadIntake(last_name=name, email=f"{name}@example.com")]
        )
        lead_ids.append(lead.id)
    await leads.assign_leads(manager, lead_ids, clerk.id)
    for number, lead_id in enumerate(lead_ids):
        await leads.record_feedback(clerk, lead_id, Channel.PHONE, f"Called {number}.")
        await activities.schedule_activity(
            clerk,
            activities.SubjectRef(activities.SubjectKind.LEAD, lead_id),
            ActivityKind.TASK,
            clock.now() + timedelta(days=1),
            f"Step {number}.",
        )
        if number % 2 == 0:
            await leads.close_lead(clerk, lead_id, Outcome.SUCCESSFUL)
        else:
            await leads.close_lead(clerk, lead_id, Outcome.UNSUCCESSFUL, CloseReason.UNREACHABLE)
    return lead.contact_id


async def rejected_rows(actors: Actors, tmp_path: Path, email: str, files: int) -> None:
    """`files` imports (command line, into a new campaign), each rejecting two rows with
    `email` (no last name) and one of someone else."""
    campaign = await campaigns.create_campaign(actors.manager.user, f"Abgelehnt {email}")
    for number in range(files):
        path = tmp_path / f"{email}-{number}.csv"
        path.write_text(
            "Vorname;Nachname;E-Mail\n"
            f"Eins {number};;{email}\n"
            f"Zwei {number};;{email}\n"
            f"Drei {number};;someone{number}@example.net\n",
            encoding="utf-8",
        )
        report = await imports.import_file(OPERATOR, campaign.id, imports.ImportFile(path))
        assert report.counts.rows_rejected == 3


async def counted_export(
    client: httpx.AsyncClient, actor: Actor, contact_id: int
) -> tuple[int, Any]:
    with QueryCounter() as counter:
        text = await export_over_graphql(client, actor, encode_id("Contact", contact_id))
    return counter.count, json.loads(text)


async def test_the_export_costs_a_fixed_number_of_statements(client, actors, tmp_path):
    """However many leads, rejected rows and imports holding them: the rejected rows are read
    in batches of a thousand with their imports' headers, not an import at a time."""
    few = await person_with_leads(actors, "few", 2)
    many = await person_with_leads(actors, "many", 12)
    await rejected_rows(actors, tmp_path, "few@example.com", files=1)

    few_count, _ = await counted_export(client, actors.admin, few)
    await rejected_rows(actors, tmp_path, "many@example.com", files=4)
    many_count, document = await counted_export(client, actors.admin, many)

    assert all(lead["feedback"] and lead["activities"] for lead in document["leads"])
    assert len(document["leads"]) == 12
    assert len(document["opportunities"]) == 6
    assert len(document["importRows"]) == 8
    print(f"contactDataExport statements: few {few_count}, many {many_count}")
    assert few_count == many_count
    assert many_count <= 22


# --- after erasure -------------------------------------------------------------------------------


async def test_an_erased_persons_export_holds_only_the_tombstone(client, actors, world):
    await mutate_ok(
        client,
        actors.admin,
        "eraseContact",
        {"contactId": world.erika, "reason": "Antrag per Brief vom 1. Dezember"},
    )

    text = await export_over_graphql(client, actors.admin, world.erika)

    # Every note of hers starts with "Erika"; none of her values is left anywhere.
    found = [
        value
        for value in (
            "Erika",
            "Mustermann",
            ERIKA["company"],
            ERIKA["email"],
            ERIKA["phone"],
            ERIKA["street"],
            "Bonn",
            "Feinkost",
        )
        if value.casefold() in text.casefold()
    ]
    assert found == []
    document = json.loads(text)
    contact = document["contact"]
    assert contact["erasedAt"] is not None
    assert contact["lastName"] == "[gelöscht]"
    assert [contact[key] for key in ("firstName", "company", "email", "phone", "postalCode")] == [
        "",
        "",
        None,
        "",
        "",
    ]
    # What stays for the figures: the leads, their outcomes, reasons and clerks, the stage.
    manual = lead_in(document, world.manual_lead)
    assert (manual["outcome"], manual["assignee"]) == ("SUCCESSFUL", "Clara Clerk")
    assert lead_in(document, world.partner_lead)["closeReason"] == "NOT_INTERESTED"
    (opportunity,) = document["opportunities"]
    assert (opportunity["stage"], opportunity["expectedValue"]) == ("QUALIFIED", "1234.50")
