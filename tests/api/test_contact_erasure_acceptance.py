"""Issue 15's "done when" for eraseContact, end to end over HTTP with a real webhook receiver:
a person entered by a web import (with a rejected row of theirs), worked on (feedback,
activities with notes, a correction, a close with a note and an opportunity, a notification, a
failed login with their email) is erased; then nothing finds them over GraphQL, in the lead
export, the rejected-rows file, the audit log or a full dump of the database (pg_dump /
SQLite's .dump); every figure is what it was; the webhook got `contact.erased` and nothing
after it carries their data; and importing the original file again skips them as SUPPRESSED."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest_asyncio
from starlette.applications import Starlette
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.transactions import in_transaction

from leadflow.api.ids import encode_id
from leadflow.app import create_app
from leadflow.db.enums import ImportIssueCode, ImportStatus, WebhookDeliveryStatus
from leadflow.db.models import (
    AuditEntry,
    Contact,
    ImportIssue,
    ImportSource,
    LeadImport,
    OutboxEvent,
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
)
from leadflow.services import outbox
from leadflow.services.imports.resume import resume_abandoned_imports
from leadflow.services.webhooks import config
from leadflow.services.webhooks.events import EVENT_TYPES
from leadflow.settings import Settings
from leadflow.web.access import CSRF_HEADER
from tests.api.test_files import bearer, finished
from tests.erasure_helpers import dump_database, erase, running_import
from tests.helpers import Actor, Actors, data_of, gql, mutate_ok, new_campaign, new_leads, pk
from tests.webhook_receiver import Receiver, running_receiver

SETTINGS = Settings(
    webhook_allow_private=True, webhook_poll_seconds=0.05, webhook_retry_seconds=(0.05, 0.05)
)

# The person, with values found nowhere else (the dump is searched for each).
FIRST_NAME = "Ottilie"
LAST_NAME = "Quastenberg"
COMPANY = "Zwirbelwerk Feinmechanik GmbH"
EMAIL = "o.quastenberg@zwirbelpost.example"
PHONE = "+49 221 9876543"
STREET = "Krummhornweg 17"
POSTAL_CODE = "50999"
CITY = "Kleinquastheim"
# The city as corrected by hand (the history held the old one).
CORRECTED_CITY = "Oberquastheim"
# Their second row, rejected for its mistyped email: theirs all the same.
TYPO_EMAIL = "o.quastenberg@@zwirbelpost"

HEADER = "Vorname;Nachname;Firma;E-Mail;Telefon;Straße;PLZ;Ort"
FILE = "\r\n".join(
    [
        HEADER,
        f"{FIRST_NAME};{LAST_NAME};{COMPANY};{EMAIL};{PHONE};{STREET};{POSTAL_CODE};{CITY}",
        "Bernd;Normalmann;Normal AG;bernd@normal.example;+49 30 1111;Hauptstr. 1;10115;Berlin",
        f"{FIRST_NAME};{LAST_NAME};{COMPANY};{TYPO_EMAIL};{PHONE};{STREET};{POSTAL_CODE};{CITY}",
        "",
    ]
).encode("utf-8")

PERSONAL_VALUES = (
    FIRST_NAME,
    LAST_NAME,
    COMPANY,
    EMAIL,
    PHONE,
    STREET,
    POSTAL_CODE,
    CITY,
    CORRECTED_CITY,
    TYPO_EMAIL,
)

FIGURES = """
query($campaignId: ID!, $from: DateTime!, $to: DateTime!) {
  campaignReports {
    campaign { id name } total new active done successful unsuccessful conversionRate
    unsuccessfulByReason { reason count }
    medianSecondsToAssignment medianSecondsToFirstFeedback medianSecondsToClose mediansEstimated
  }
  clerkReports {
    clerk { id } openLeads closedInPeriod successfulInPeriod successRate
    medianSecondsToFirstFeedback mediansEstimated oldestWaitingLead { id }
  }
  leadCounts { new active done }
  pipeline { stage count totalValue }
  leadTimeSeries(interval: DAY, from: $from, to: $to, campaignId: $campaignId) {
    start created successful unsuccessful
  }
  leads(first: 50) { totalCount edges { node {
    id status outcome closeReason closedAt assignee { id } campaign { id }
  } } }
  opportunities(first: 50) { totalCount edges { node { id stage expectedValue owner { id } } } }
}
"""
SEARCH = """query($search: String!) {
  leads(filter: {search: $search}) { totalCount edges { node { id } } }
}"""
AUDIT_LOG = "{ auditLog(first: 100) { edges { node { action detail actor { id } } } } }"

REASON = "Widerspruch per E-Mail"


@pytest_asyncio.fixture
async def app(database_url: str) -> AsyncIterator[Starlette]:
    """The app with its background work (imports, the webhook worker polling often)."""
    EXECUTOR_CACHE.clear()
    application = create_app(replace(SETTINGS, database_url=database_url))
    async with application.router.lifespan_context(application):
        yield application
    config.configure(Settings())


@pytest_asyncio.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with running_receiver() as running:
        yield running


async def test_an_erased_person_leaves_no_trace_and_every_figure_stays(
    client: httpx.AsyncClient,
    actors: Actors,
    receiver: Receiver,
    database_url: str,
    backend: str,
) -> None:
    manager, clerk = actors.manager, actors.clerk_a
    created = await mutate_ok(
        client,
        manager,
        "createWebhook",
        {"url": receiver.url, "events": list(EVENT_TYPES)},
        "webhook { secret }",
    )
    receiver.secrets.append(created["webhook"]["secret"])
    campaign_id = await new_campaign(client, manager, "Messe Quast")

    import_id = await _import(client, manager, campaign_id, FILE)
    lead_import = await finished(import_id)
    assert lead_import.status is ImportStatus.COMPLETED
    assert (lead_import.leads_created, lead_import.rows_rejected) == (2, 1)
    person_lead = await _lead_found_by(client, manager, EMAIL)
    other_lead = await _lead_found_by(client, manager, "bernd@normal.example")
    contact_id = encode_id("Contact", (await Contact.get(email_key=EMAIL.lower())).id)

    await _work_on_the_person(client, actors, person_lead, contact_id)
    await _close_the_other(client, actors, other_lead)
    # A failed login with the person's email (the audit log keeps it as the detail).
    login = await client.post(
        "/auth/login",
        json={"email": EMAIL, "password": "wrong"},
        headers={CSRF_HEADER: "1"},
    )
    assert login.status_code == 401, login.text
    assert EMAIL.lower() in _audit_text(await _audit_log(client, actors.admin))
    events_before = await _settled_requests(receiver, at_least=8)

    figures_before = await _figures(client, manager, campaign_id)
    clerk_figures_before = await _figures(client, clerk, campaign_id)

    erased = await mutate_ok(
        client,
        actors.admin,
        "eraseContact",
        {"contactId": contact_id, "reason": "Anfrage per Telefon"},
        "contact { id }",
    )
    assert erased["contact"]["id"] == contact_id

    # (f) The webhook got contact.erased; nothing received after it carries the person.
    requests = await _settled_after(receiver, len(events_before), "contact.erased")
    erased_at = next(
        index
        for index, request in enumerate(requests)
        if request.json()["type"] == "contact.erased"
    )
    assert requests[erased_at].json()["data"] == {"id": contact_id}
    for request in requests[erased_at:]:
        assert request.verified, request.error
        _assert_free_of_person(request.body.decode(), f"webhook body {request.json()['type']}")

    # (a) Searching by the old name, email or phone finds nothing.
    for search in (LAST_NAME, FIRST_NAME, EMAIL, PHONE, COMPANY):
        found = data_of(await gql(client, SEARCH, {"search": search}, actor=manager))["leads"]
        assert found["totalCount"] == 0, search
    # The other person is still found: the search itself works.
    found = data_of(await gql(client, SEARCH, {"search": "Normalmann"}, actor=manager))["leads"]
    assert found["totalCount"] == 1

    # (b) The lead export and the rejected-rows file name none of the values.
    export = await client.get(
        "/files/exports/leads.csv", params={"campaign": campaign_id}, headers=bearer(manager)
    )
    assert export.status_code == 200, export.text
    assert "Normalmann" in export.content.decode("utf-8-sig")
    _assert_free_of_person(export.content.decode("utf-8-sig"), "lead export")
    rejected = await client.get(f"/files/imports/{import_id}/rejected.csv", headers=bearer(manager))
    assert rejected.status_code == 200, rejected.text
    rows = list(csv.reader(io.StringIO(rejected.content.decode("utf-8-sig")), delimiter=";"))
    # The person's row (4) is left out or kept without its values; nobody else's was rejected.
    assert {row[-2] for row in rows[1:]} <= {"4"}
    _assert_free_of_person(rejected.content.decode("utf-8-sig"), "rejected rows")

    # (c) The audit log names none of the values, and says who erased which contact and why.
    entries = await _audit_log(client, actors.admin)
    _assert_free_of_person(_audit_text(entries), "audit log")
    [erasure] = [entry for entry in entries if entry["action"] == "contact.erased"]
    assert erasure["actor"] == {"id": actors.admin.gid}
    assert str(pk(contact_id)) in erasure["detail"]
    assert "Anfrage per Telefon" in erasure["detail"]

    # (d) A full dump of the database names none of the values (and still the other person).
    dump = dump_database(database_url, backend)
    assert "Normalmann" in dump and "bernd@normal.example" in dump
    _assert_free_of_person(dump, f"{backend} dump")

    # (e) Every campaign and clerk figure and report is what it was.
    assert await _figures(client, manager, campaign_id) == figures_before
    assert await _figures(client, clerk, campaign_id) == clerk_figures_before

    # (g) The original file imported again skips the person as SUPPRESSED and stores nothing.
    again = await finished(await _import(client, manager, campaign_id, FILE))
    assert again.status is ImportStatus.COMPLETED
    # Row 2 is the person; row 4 (theirs, with the mistyped email) is rejected either way.
    [skipped] = await ImportIssue.filter(lead_import_id=again.id, row_number=2)
    assert (skipped.code, skipped.values) == (ImportIssueCode.SUPPRESSED, [])
    assert again.leads_created == 1  # Bernd, whose lead is closed
    assert await Contact.filter(email_key=EMAIL.lower()).count() == 0
    _assert_free_of_person(
        dump_database(database_url, backend), f"{backend} dump after the re-import"
    )


# --- Steps -----------------------------------------------------------------------------------


async def _import(client: httpx.AsyncClient, manager: Actor, campaign_id: str, file: bytes) -> str:
    response = await client.post(
        "/files/imports",
        params={"campaign": campaign_id, "fileName": "messe-quast.csv"},
        content=file,
        headers=bearer(manager),
    )
    assert response.status_code == 202, response.text
    return str(response.json()["importId"])


async def _lead_found_by(client: httpx.AsyncClient, manager: Actor, search: str) -> str:
    found = data_of(await gql(client, SEARCH, {"search": search}, actor=manager))["leads"]
    assert found["totalCount"] == 1, search
    return str(found["edges"][0]["node"]["id"])


async def _work_on_the_person(
    client: httpx.AsyncClient, actors: Actors, lead_id: str, contact_id: str
) -> None:
    """Everything a team stores about a person in a week: an assignment (a notification naming
    them), feedback, a call with notes, a correction, a close with a note and an opportunity
    with a title, and a follow-up on that opportunity."""
    manager, clerk = actors.manager, actors.clerk_a
    await mutate_ok(
        client,
        manager,
        "assignLeads",
        {"leadIds": [lead_id], "assigneeId": clerk.gid},
        "leads { id }",
    )
    await mutate_ok(
        client,
        clerk,
        "recordFeedback",
        {
            "leadId": lead_id,
            "channel": "PHONE",
            "note": f"Frau {LAST_NAME} bittet um Rückruf unter {PHONE}",
        },
        "lead { id }",
    )
    call = await mutate_ok(
        client,
        clerk,
        "scheduleActivity",
        {
            "subjectId": lead_id,
            "kind": "CALL",
            "dueAt": _due(days=1),
            "note": f"{FIRST_NAME} {LAST_NAME} anrufen, {COMPANY}",
        },
        "activity { id }",
    )
    await mutate_ok(
        client,
        clerk,
        "completeActivity",
        {"activityId": call["activity"]["id"], "note": f"Termin in der {STREET}, {CITY}"},
        "activity { id }",
    )
    await mutate_ok(
        client,
        manager,
        "updateContact",
        {"contactId": contact_id, "city": CORRECTED_CITY},
        "contact { id }",
    )
    closed = await mutate_ok(
        client,
        clerk,
        "closeLead",
        {
            "leadId": lead_id,
            "outcome": "SUCCESSFUL",
            "note": f"{LAST_NAME} unterschreibt, Rechnung an {EMAIL}",
            "opportunity": {"title": f"{COMPANY}: Wartungsvertrag", "expectedValue": "1200.00"},
        },
        "opportunity { id }",
    )
    await mutate_ok(
        client,
        clerk,
        "scheduleActivity",
        {
            "subjectId": closed["opportunity"]["id"],
            "kind": "MEETING",
            "dueAt": _due(days=3),
            "note": f"Angebot für {FIRST_NAME} {LAST_NAME} vorbereiten",
        },
        "activity { id }",
    )


async def _close_the_other(client: httpx.AsyncClient, actors: Actors, lead_id: str) -> None:
    """Bernd's lead, closed unsuccessful by the same clerk: the figures hold both kinds."""
    await mutate_ok(
        client,
        actors.manager,
        "assignLeads",
        {"leadIds": [lead_id], "assigneeId": actors.clerk_a.gid},
        "leads { id }",
    )
    await mutate_ok(
        client,
        actors.clerk_a,
        "closeLead",
        {"leadId": lead_id, "outcome": "UNSUCCESSFUL", "reason": "NOT_INTERESTED"},
        "lead { id }",
    )


def _due(*, days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


# --- Observations ----------------------------------------------------------------------------


async def _figures(client: httpx.AsyncClient, viewer: Actor, campaign_id: str) -> dict[str, Any]:
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    variables = {
        "campaignId": campaign_id,
        "from": (today - timedelta(days=2)).isoformat(),
        "to": (today + timedelta(days=2)).isoformat(),
    }
    return data_of(await gql(client, FIGURES, variables, actor=viewer))


async def _audit_log(client: httpx.AsyncClient, admin: Actor) -> list[dict[str, Any]]:
    edges = data_of(await gql(client, AUDIT_LOG, actor=admin))["auditLog"]["edges"]
    return [edge["node"] for edge in edges]


def _audit_text(entries: list[dict[str, Any]]) -> str:
    return "\n".join(f"{entry['action']} {entry['detail']}" for entry in entries)


async def _settled_requests(receiver: Receiver, at_least: int) -> list[Any]:
    """The requests once `at_least` arrived and no more came for a moment."""
    requests = await receiver.wait_for(at_least, timeout=15)
    while True:
        await asyncio.sleep(0.5)
        if len(receiver.requests) == len(requests):
            return list(requests)
        requests = list(receiver.requests)


async def _settled_after(receiver: Receiver, count: int, event_type: str) -> list[Any]:
    """The requests once one of `event_type` arrived after the first `count`, and no more came
    for a moment."""
    async with asyncio.timeout(15):
        while not any(r.json()["type"] == event_type for r in list(receiver.requests)[count:]):
            await asyncio.sleep(0.05)
    return await _settled_requests(receiver, count + 1)


def _assert_free_of_person(text: str, where: str) -> None:
    """None of the person's values in `text`, in any case; the phone's digits neither, and a
    value of digits only (the postal code) not as a number of its own."""
    folded = text.casefold()
    for value in PERSONAL_VALUES:
        if value.isdigit():
            found = re.search(rf"(?<!\d){value}(?!\d)", folded) is not None
        else:
            found = value.casefold() in folded
        assert not found, f"{where} still holds {value!r}: {_around(text, value)}"
    digits = re.sub(r"\D", "", PHONE)
    assert digits not in re.sub(r"[ \-/()]", "", text), f"{where} holds the phone's digits"


def _around(text: str, value: str) -> str:
    index = text.casefold().find(value.casefold())
    return text[max(index - 120, 0) : index + 120] if index >= 0 else "(as digits)"


# --- The traces no flow above leaves, prepared directly --------------------------------------

PERSON_INPUT = {
    "firstName": FIRST_NAME,
    "lastName": LAST_NAME,
    "company": COMPANY,
    "email": EMAIL,
    "phone": PHONE,
    "street": STREET,
    "postalCode": POSTAL_CODE,
    "city": CITY,
}
# A running import's file in Windows-1252 (as Excel writes it): the person in rows 2 and 5 (by
# email, and without one by their phone's digits and their name, as the contact matcher knows
# them), Bernd in 3, and Berta Quast in 4, whose values resemble the person's but are not theirs.
RUNNING_FILE_ROWS = [
    ["Nachname", "Vorname", "E-Mail", "Telefon", "Straße"],
    [LAST_NAME, FIRST_NAME, EMAIL.upper(), "", STREET],
    ["Normalmann", "Bernd", "bernd@normal.example", "+49 30 1111", "Hauptstraße 1"],
    ["Quast", "Berta", "berta@quast.example", "", "Krummhornweg 18"],
    [LAST_NAME, FIRST_NAME, "", "+49 221 / 98 76 543", ""],
]


def _running_file() -> bytes:
    text = io.StringIO(newline="")
    csv.writer(text, delimiter=";", lineterminator="\r\n").writerows(RUNNING_FILE_ROWS)
    return text.getvalue().encode("cp1252")


async def test_erasure_blanks_the_persons_rows_in_a_running_imports_file_which_then_resumes(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    manager = actors.manager
    campaign_id = await new_campaign(client, manager, "Messe Quast")
    [lead] = await new_leads(client, manager, campaign_id, [PERSON_INPUT])
    content = _running_file()
    lead_import = await running_import(
        pk(campaign_id), manager.user, "messe-quast.csv", content, RUNNING_FILE_ROWS[0], rows=4
    )

    await erase(client, actors.admin, lead["contact"]["id"], REASON)

    source = await ImportSource.get(lead_import_id=lead_import.id)
    stored = bytes(source.content)
    rows = list(csv.reader(io.StringIO(stored.decode("cp1252"), newline=""), delimiter=";"))
    assert rows == [
        RUNNING_FILE_ROWS[0],
        ["", "", "", "", ""],
        RUNNING_FILE_ROWS[2],
        RUNNING_FILE_ROWS[3],
        ["", "", "", "", ""],
    ]
    await lead_import.refresh_from_db()
    assert lead_import.file_digest == hashlib.sha256(stored).hexdigest()

    # Its worker gone, the import resumes from the blanked file after row 2: Bernd and Berta
    # are imported, the person's blank row is an empty row, and nobody is imported twice.
    await LeadImport.filter(id=lead_import.id).update(worker="")
    await resume_abandoned_imports()
    resumed = await finished(encode_id("LeadImport", lead_import.id))
    assert resumed.status is ImportStatus.COMPLETED
    assert (resumed.leads_created, resumed.empty_rows, resumed.rows_rejected) == (2, 1, 0)
    assert await LeadImport.filter(campaign_id=pk(campaign_id)).count() == 1
    assert await ImportSource.filter(lead_import_id=lead_import.id).count() == 0


async def test_erasure_removes_the_person_from_stored_events_deliveries_and_failures(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    """Texts today's code does not write but a row may hold (an older publisher's payload, a
    receiver's answer quoted in an attempt's error, an import's failure): the guard for them."""
    manager = actors.manager
    campaign_id = await new_campaign(client, manager, "Messe Quast")
    [lead, other] = await new_leads(client, manager, campaign_id, [PERSON_INPUT, "Normalmann"])
    lead_pk, other_pk = pk(lead["id"]), pk(other["id"])
    async with in_transaction():
        await outbox.publish(
            [
                outbox.Event(
                    outbox.LEAD_CHANGED,
                    lead_id=lead_pk,
                    payload={"leadId": lead_pk, "note": f"{LAST_NAME} ruft zurück"},
                ),
                outbox.Event(
                    outbox.LEAD_CHANGED,
                    lead_id=other_pk,
                    payload={"leadId": other_pk, "note": "Normalmann ruft zurück"},
                ),
            ]
        )
    webhook = await Webhook.create(
        owner=manager.user, url="https://example.com/hook", events=["lead.closed"], secret="x"
    )
    body = json.dumps(
        {
            "type": "lead.closed",
            "id": "evt_1",
            "timestamp": "2026-12-06T17:50:14.123Z",
            "data": {"id": lead["id"], "status": "DONE", "contactName": f"{FIRST_NAME} X"},
        },
        separators=(",", ":"),
    )
    delivery = await WebhookDelivery.create(
        webhook=webhook,
        event_id=1,
        message_id="evt_1",
        event_type="lead.closed",
        lead_id=lead_pk,
        body=body,
        status=WebhookDeliveryStatus.FAILED,
    )
    await WebhookAttempt.create(
        delivery=delivery,
        at=datetime.now(UTC),
        http_status=422,
        duration_ms=5,
        error=f"422: unknown customer {EMAIL}",
    )
    failed, untouched = [
        await LeadImport.create(
            campaign_id=pk(campaign_id),
            created_by=manager.user,
            file_name=file_name,
            file_digest=str(number) * 64,
            status=ImportStatus.FAILED,
            failure=failure,
        )
        for number, file_name, failure in (
            (0, f"{LAST_NAME} Messe.csv", f"row 7: {PHONE} is not a phone number"),
            (1, "Normalmann.csv", "row 3: Normalmann is too long"),
        )
    ]
    # The audit log is about everyone: only what identifies the person is replaced there (the
    # email, the full name), not a first name alone, which other people's entries share.
    mentioning = await AuditEntry.create(
        action="login.failed",
        detail=f"{EMAIL.upper()} für {LAST_NAME}, {FIRST_NAME} am Rechner von {FIRST_NAME}",
    )
    other_entry = await AuditEntry.create(action="login.failed", detail="bernd@normal.example")

    await erase(client, actors.admin, lead["contact"]["id"], REASON)

    # The first two: the erasure announced the open lead's change after them.
    events = await OutboxEvent.filter(topic=outbox.LEAD_CHANGED).order_by("id").limit(2)
    payloads = {event.lead_id: event.payload for event in events}
    assert payloads[lead_pk] == {"leadId": lead_pk}
    assert payloads[other_pk] == {"leadId": other_pk, "note": "Normalmann ruft zurück"}
    await delivery.refresh_from_db()
    assert json.loads(delivery.body) == {
        "type": "lead.closed",
        "id": "evt_1",
        "timestamp": "2026-12-06T17:50:14.123Z",
        "data": {"id": lead["id"], "status": "DONE"},
    }
    assert [attempt.error for attempt in await WebhookAttempt.all()] == [""]
    await failed.refresh_from_db()
    assert failed.failure == "row 7: [gelöscht] is not a phone number"
    assert failed.file_name == "[gelöscht] Messe.csv"
    await untouched.refresh_from_db()
    assert (untouched.file_name, untouched.failure) == (
        "Normalmann.csv",
        "row 3: Normalmann is too long",
    )
    await mentioning.refresh_from_db()
    await other_entry.refresh_from_db()
    assert mentioning.detail == f"[gelöscht] für [gelöscht] am Rechner von {FIRST_NAME}"
    assert other_entry.detail == "bernd@normal.example"
