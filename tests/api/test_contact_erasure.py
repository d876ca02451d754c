"""Erasure over HTTP (eraseContact, DSGVO Art. 17): an admin erases a person, and the contact
becomes a tombstone while every lead, opportunity, outcome, date, clerk and figure stays; the
free texts about the person in linked rows are gone (read from the database); clerks, managers,
partners and tokens are refused and change nothing; bad input is a user error; a second erasure,
or two at once, erase once (one audit entry, one contact.erased); the tombstone refuses
corrections, consent changes and new calls (SQLite and PostgreSQL). The traces outside the
contact's rows and the full database dump are tests/api/test_contact_erasure_acceptance.py's."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from leadflow import clock
from leadflow.api.ids import encode_id
from leadflow.auth.actors import SystemActor
from leadflow.db.models import (
    Activity,
    AuditEntry,
    Contact,
    ContactChange,
    Feedback,
    Lead,
    LeadEvent,
    Notification,
    Opportunity,
    OpportunityEvent,
    OutboxEvent,
)
from leadflow.errors import DomainError, ErrorCode
from leadflow.services import audit, contact_updates, outbox
from leadflow.services.privacy import erasure
from tests.helpers import (
    Actor,
    Actors,
    data_of,
    error_codes,
    gql,
    mutate,
    mutate_ok,
    new_campaign,
    new_leads,
    pk,
)

ERASED_FIELDS = (
    "contact { id salutation firstName lastName company email phone street postalCode city "
    "country optedOut optedOutNote erasedAt }"
)
_campaigns = iter(range(1_000_000))

# The person, with values found nowhere else in the test database.
PERSON = {
    "salutation": "Frau",
    "firstName": "Erdmute",
    "lastName": "Quastenflosser",
    "company": "Quastenflosser Bootsbau KG",
    "email": "erdmute.q@bootsbau-quast.example",
    "phone": "+49 5541 771903",
    "street": "Fischerstieg 23",
    "postalCode": "34346",
    "city": "Hann. Münden",
    "country": "Deutschland",
}
# Someone else in the same campaigns: nothing of theirs may change.
OTHER = {"lastName": "Bleibtreu", "firstName": "Bernd", "email": "bernd@bleibtreu.example"}


def due(days: float = 1) -> str:
    return (clock.now() + timedelta(days=days)).isoformat()


@dataclass
class World:
    contact: str  # the person's
    fair_lead: str  # closed SUCCESSFUL, with an opportunity
    webinar_lead: str  # open, clerk A's, an e-mail planned
    opportunity: str
    other_contact: str
    other_lead: str  # closed UNSUCCESSFUL


async def create_lead(client, actors: Actors, campaign: str, values: dict[str, str]) -> dict:
    payload = await mutate_ok(
        client,
        actors.manager,
        "createLeads",
        {"campaignId": campaign, "leads": [values]},
        "leads { id contact { id } }",
    )
    (lead,) = payload["leads"]
    # One lead at a time: clerk A's notification names the person and links the lead.
    await mutate_ok(
        client,
        actors.manager,
        "assignLeads",
        {"leadIds": [lead["id"]], "assigneeId": actors.clerk_a.gid},
    )
    return lead


async def build_world(client, actors: Actors) -> World:
    """The person's life in the database, each free text naming them: a fair lead with
    feedback, a done call, a close note and an opportunity (with an activity and a stage move
    noted), a webinar lead left open with an e-mail planned, a corrected city and an objection
    with a note; and another person's lead closed unsuccessful beside it."""
    clerk = actors.clerk_a
    number = next(_campaigns)
    fair = await new_campaign(client, actors.manager, f"Messe {number}")
    webinar = await new_campaign(client, actors.manager, f"Webinar {number}")
    fair_lead = await create_lead(client, actors, fair, PERSON)
    contact = fair_lead["contact"]["id"]
    values = {key: value for key, value in PERSON.items() if key != "salutation"}
    webinar_lead = await create_lead(client, actors, webinar, PERSON | {"salutation": ""})
    assert webinar_lead["contact"]["id"] == contact
    await mutate_ok(
        client,
        clerk,
        "recordFeedback",
        {
            "leadId": fair_lead["id"],
            "channel": "PHONE",
            "note": "Erdmute Quastenflosser ruft zurück",
        },
    )
    call = await mutate_ok(
        client,
        clerk,
        "scheduleActivity",
        {
            "subjectId": fair_lead["id"],
            "kind": "CALL",
            "dueAt": due(),
            "note": "Quastenflosser anrufen",
        },
        "activity { id }",
    )
    await mutate_ok(
        client,
        clerk,
        "completeActivity",
        {"activityId": call["activity"]["id"], "note": "Erdmute will ein Angebot"},
    )
    closed = await mutate_ok(
        client,
        clerk,
        "closeLead",
        {
            "leadId": fair_lead["id"],
            "outcome": "SUCCESSFUL",
            "note": "Quastenflosser Bootsbau kauft",
            "opportunity": {"title": "Quastenflosser Bootshalle", "expectedValue": "12500.00"},
        },
        "opportunity { id }",
    )
    opportunity = closed["opportunity"]["id"]
    await mutate_ok(
        client,
        clerk,
        "scheduleActivity",
        {"subjectId": opportunity, "kind": "MEETING", "dueAt": due(3), "note": "Fischerstieg 23"},
    )
    await mutate_ok(
        client,
        clerk,
        "moveOpportunity",
        {"opportunityId": opportunity, "stage": "QUALIFIED", "note": "Erdmute hat Budget"},
    )
    await mutate_ok(
        client,
        clerk,
        "scheduleActivity",
        {
            "subjectId": webinar_lead["id"],
            "kind": "EMAIL",
            "dueAt": due(2),
            "note": values["email"],
        },
    )
    await mutate_ok(
        client, clerk, "updateContact", {"contactId": contact, "city": "Hannoversch Münden"}
    )
    await mutate_ok(
        client,
        clerk,
        "setContactOptOut",
        {"contactId": contact, "optedOut": True, "note": "Erdmute will keine Werbung"},
    )
    other_lead = await create_lead(client, actors, fair, OTHER)
    await mutate_ok(
        client,
        clerk,
        "recordFeedback",
        {"leadId": other_lead["id"], "channel": "EMAIL", "note": "Bernd meldet sich nicht"},
    )
    await mutate_ok(
        client,
        clerk,
        "closeLead",
        {
            "leadId": other_lead["id"],
            "outcome": "UNSUCCESSFUL",
            "reason": "NOT_INTERESTED",
            "note": "Bernd kein Interesse",
        },
    )
    return World(
        contact=contact,
        fair_lead=fair_lead["id"],
        webinar_lead=webinar_lead["id"],
        opportunity=opportunity,
        other_contact=other_lead["contact"]["id"],
        other_lead=other_lead["id"],
    )


@pytest.fixture
async def world(client, actors: Actors) -> World:
    return await build_world(client, actors)


async def erase(client, actor: Actor, contact: str, reason: str = "Anruf vom 6.12.") -> dict:
    return await mutate(
        client, actor, "eraseContact", {"contactId": contact, "reason": reason}, ERASED_FIELDS
    )


async def raw_erase(client, actor: Actor, contact: str) -> dict:
    """The whole response (for top-level refusals)."""
    return await gql(
        client,
        "mutation($input: EraseContactInput!) { eraseContact(input: $input) "
        "{ contact { id } userErrors { code field } } }",
        {"input": {"contactId": contact, "reason": "Bitte löschen"}},
        actor=actor,
    )


def codes(payload: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [(error["code"], error["field"]) for error in payload["userErrors"]]


async def erasure_entries() -> list[AuditEntry]:
    return await AuditEntry.filter(action=audit.AuditAction.CONTACT_ERASED).order_by("id")


async def contact_row(contact: str) -> dict[str, Any]:
    return (await Contact.filter(id=pk(contact)).values())[0]


# --- what stays: rows and figures -------------------------------------------------------------


async def kept_rows(world: World) -> dict[str, Any]:
    """Everything of the person's rows but the blanked texts: ids, outcomes, reasons, dates,
    clerks, stages, amounts, kinds."""
    lead_ids = [pk(world.fair_lead), pk(world.webinar_lead)]
    leads = await Lead.filter(id__in=lead_ids).order_by("id").values()
    opportunities = await Opportunity.filter(contact_id=pk(world.contact)).values()
    activities = await Activity.filter(lead_id__in=lead_ids).order_by("id").values()
    activities += await Activity.filter(opportunity_id=pk(world.opportunity)).values()
    lead_events = await LeadEvent.filter(lead_id__in=lead_ids).order_by("id").values()
    opportunity_events = await OpportunityEvent.filter(
        opportunity_id=pk(world.opportunity)
    ).values()
    feedback = await Feedback.filter(lead_id__in=lead_ids).order_by("id").values()
    changes = await ContactChange.filter(contact_id=pk(world.contact)).order_by("id").values()
    notifications = await Notification.filter(lead_id__in=lead_ids).order_by("id").values()
    texts = {"close_note", "note", "done_note", "title", "old_value", "new_value", "message"}

    def without_texts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{key: value for key, value in row.items() if key not in texts} for row in rows]

    return {
        "leads": without_texts(leads),
        "opportunities": without_texts(opportunities),
        "activities": without_texts(activities),
        "lead_events": without_texts(lead_events),
        "opportunity_events": without_texts(opportunity_events),
        "feedback": without_texts(feedback),
        "changes": without_texts(changes),
        "notifications": without_texts(notifications),
    }


FIGURES = """
query {
  leadCounts { new active done }
  campaigns { edges { node { name stats { total new active done successful unsuccessful
    conversionRate } } } }
  campaignReports {
    campaign { name }
    total new active done successful unsuccessful conversionRate
    unsuccessfulByReason { reason count }
    medianSecondsToAssignment medianSecondsToFirstFeedback medianSecondsToClose
  }
  clerkReports {
    clerk { name }
    openLeads closedInPeriod successfulInPeriod successRate medianSecondsToFirstFeedback
  }
  pipeline { stage count totalValue }
}"""


async def figures(client, actor: Actor) -> dict[str, Any]:
    return data_of(await gql(client, FIGURES, actor=actor))


async def test_the_person_is_erased_and_every_row_and_figure_stays(client, actors, world):
    rows_before = await kept_rows(world)
    figures_before = {
        actor: await figures(client, getattr(actors, actor)) for actor in ("manager", "clerk_a")
    }
    other_before = await contact_row(world.other_contact)

    payload = await erase(client, actors.admin, world.contact)

    assert payload["userErrors"] == []
    shown = payload["contact"]
    assert shown["erasedAt"] is not None
    assert {key: value for key, value in shown.items() if key != "erasedAt"} == {
        "id": world.contact,
        "salutation": "",
        "firstName": "",
        "lastName": "[gelöscht]",
        "company": "",
        "email": None,
        "phone": "",
        "street": "",
        "postalCode": "",
        "city": "",
        "country": "",
        "optedOut": True,
        "optedOutNote": None,
    }
    assert await kept_rows(world) == rows_before
    for actor, before in figures_before.items():
        assert await figures(client, getattr(actors, actor)) == before, actor
    assert await contact_row(world.other_contact) == other_before


async def test_every_personal_column_and_free_text_is_blank(client, actors, world):
    objected_at = (await contact_row(world.contact))["opted_out_at"]
    assert objected_at is not None

    await erase(client, actors.admin, world.contact)

    row = await contact_row(world.contact)
    assert row["erased_at"] is not None
    assert {key: row[key] for key in (*erasure.PERSONAL_COLUMNS, "salutation", "country")} == {
        "first_name": "",
        "last_name": "[gelöscht]",
        "company": "",
        "email": None,
        "phone": "",
        "street": "",
        "postal_code": "",
        "city": "",
        "salutation": "",
        "country": "",
    }
    assert (row["email_key"], row["phone_key"], row["opted_out"], row["opted_out_note"]) == (
        None,
        "",
        True,
        "",
    )
    # The objection recorded before keeps its time.
    assert row["opted_out_at"] == objected_at

    lead_ids = [pk(world.fair_lead), pk(world.webinar_lead)]
    opportunity_id = pk(world.opportunity)
    assert await Lead.filter(id__in=lead_ids).values_list("close_note", flat=True) == ["", ""]
    assert set(await Feedback.filter(lead_id__in=lead_ids).values_list("note", flat=True)) == {""}
    activities = await Activity.filter(lead_id__in=lead_ids).values_list("note", "done_note")
    activities += await Activity.filter(opportunity_id=opportunity_id).values_list(
        "note", "done_note"
    )
    assert len(activities) == 3 and set(activities) == {("", "")}
    assert await Opportunity.filter(id=opportunity_id).values_list("title", flat=True) == [
        "[gelöscht]"
    ]
    assert set(await LeadEvent.filter(lead_id__in=lead_ids).values_list("note", flat=True)) == {""}
    assert set(
        await OpportunityEvent.filter(opportunity_id=opportunity_id).values_list("note", flat=True)
    ) == {""}
    # The history keeps who changed which field when; only the consent flag keeps its values.
    changes = (
        await ContactChange.filter(contact_id=pk(world.contact))
        .order_by("id")
        .values_list("field", "old_value", "new_value", "actor_id")
    )
    clerk = actors.clerk_a.user.id
    assert changes == [
        ("city", None, None, clerk),
        ("optedOut", "false", "true", clerk),
        ("optedOutNote", None, None, clerk),
    ]
    messages = await Notification.filter(lead_id__in=lead_ids).values_list("message", flat=True)
    assert len(messages) == 2 and set(messages) == {erasure.ERASED_MESSAGE}


async def test_the_other_persons_texts_stay(client, actors, world):
    await erase(client, actors.admin, world.contact)

    other = pk(world.other_lead)
    assert await Lead.filter(id=other).values_list("close_note", flat=True) == [
        "Bernd kein Interesse"
    ]
    assert await Feedback.filter(lead_id=other).values_list("note", flat=True) == [
        "Bernd meldet sich nicht"
    ]
    (message,) = await Notification.filter(lead_id=other).values_list("message", flat=True)
    assert "Bleibtreu" in message


# --- who may, and bad input --------------------------------------------------------------------


async def test_clerks_managers_partners_and_tokens_are_refused(client, actors, world):
    before = await contact_row(world.contact)

    for actor in (
        actors.clerk_a,
        actors.manager,
        actors.partner,
        actors.read_only_manager,
    ):
        body = await raw_erase(client, actor, world.contact)
        assert error_codes(body) == ["FORBIDDEN"], body

    assert await contact_row(world.contact) == before
    assert await erasure_entries() == []
    assert not await OutboxEvent.filter(topic=outbox.CONTACT_ERASED).exists()


@pytest.mark.parametrize(
    ("reason", "code"), [("", "REQUIRED"), ("   ", "REQUIRED"), ("x" * 501, "TOO_LONG")]
)
async def test_a_missing_or_long_reason_is_refused(client, actors, world, reason, code):
    before = await contact_row(world.contact)

    payload = await erase(client, actors.admin, world.contact, reason)

    assert codes(payload) == [(code, ["reason"])]
    assert payload["contact"] is None
    assert await contact_row(world.contact) == before
    assert await erasure_entries() == []


async def test_an_unknown_contact_is_not_found(client, actors, world):
    payload = await erase(client, actors.admin, encode_id("Contact", 10**6))

    assert codes(payload) == [("NOT_FOUND", ["contactId"])]
    assert await erasure_entries() == []


async def test_a_lead_id_is_no_contact_id(client, actors, world):
    payload = await erase(client, actors.admin, world.fair_lead)

    assert codes(payload)[0][1] == ["contactId"]
    assert (await contact_row(world.contact))["erased_at"] is None


# --- once, the record, the events ------------------------------------------------------------


async def test_the_audit_entry_says_who_which_contact_and_why_without_the_values(
    client, actors, world
):
    await erase(client, actors.admin, world.contact, "Erdmute Quastenflosser rief am 6.12. an")

    (entry,) = await erasure_entries()
    assert entry.actor_id == actors.admin.user.id
    assert entry.detail == f"contact {pk(world.contact)}: [gelöscht] [gelöscht] rief am 6.12. an"


async def test_erasing_twice_erases_once(client, actors, world):
    first = await erase(client, actors.admin, world.contact)

    second = await erase(client, actors.admin, world.contact, "noch einmal")

    assert second["userErrors"] == []
    assert second["contact"] == first["contact"]
    assert len(await erasure_entries()) == 1
    assert await OutboxEvent.filter(topic=outbox.CONTACT_ERASED).count() == 1


async def test_two_erasures_at_once_erase_once(client, actors, world):
    contact_id = pk(world.contact)

    contacts = await asyncio.gather(
        erasure.erase_contact(actors.admin.user, contact_id, "erste"),
        erasure.erase_contact(SystemActor("retention"), contact_id, "zweite"),
    )

    assert {contact.erased_at for contact in contacts} != {None}
    assert contacts[0].erased_at == contacts[1].erased_at
    assert len(await erasure_entries()) == 1
    assert await OutboxEvent.filter(topic=outbox.CONTACT_ERASED).count() == 1


async def test_the_system_erases_too_and_is_named_in_the_record(client, actors, world):
    await erasure.erase_contact(SystemActor("retention"), pk(world.contact), "Frist abgelaufen")

    (entry,) = await erasure_entries()
    assert entry.actor_id is None
    assert entry.detail == f"contact {pk(world.contact)}: Frist abgelaufen (by system:retention)"


async def test_contact_erased_is_published_for_the_open_leads_clerk(client, actors, world):
    since = (await OutboxEvent.all().order_by("-id").first()).id

    await erase(client, actors.admin, world.contact)

    events = await OutboxEvent.filter(id__gt=since).order_by("id")
    contact_id = pk(world.contact)
    assert [(event.topic, event.payload, event.user_ids) for event in events] == [
        (outbox.CONTACT_ERASED, {"contactId": contact_id}, [actors.clerk_a.user.id]),
        (
            outbox.LEAD_CHANGED,
            {"change": "contact", "contactId": contact_id},
            [actors.clerk_a.user.id],
        ),
    ]
    assert events[1].lead_id == pk(world.webinar_lead)


# --- the tombstone ------------------------------------------------------------------------------


async def test_a_person_who_had_not_objected_is_opted_out_from_the_erasure(client, actors):
    campaign = await new_campaign(client, actors.manager, f"Ohne {next(_campaigns)}")
    (lead,) = await new_leads(client, actors.manager, campaign, ["Ohnewiderspruch"])

    payload = await mutate_ok(
        client,
        actors.admin,
        "eraseContact",
        {"contactId": lead["contact"]["id"], "reason": "Mail"},
        "contact { optedOut optedOutAt erasedAt }",
    )

    shown = payload["contact"]
    assert shown["optedOut"] is True
    assert shown["optedOutAt"] == shown["erasedAt"] is not None


async def test_the_tombstone_refuses_corrections_consent_and_new_calls(client, actors, world):
    await erase(client, actors.admin, world.contact)
    before = await contact_row(world.contact)

    corrected = await mutate(
        client, actors.manager, "updateContact", {"contactId": world.contact, "city": "Kassel"}
    )
    lifted = await mutate(
        client,
        actors.manager,
        "setContactOptOut",
        {"contactId": world.contact, "optedOut": False},
    )
    marked = await mutate(
        client,
        actors.clerk_a,
        "setContactOptOut",
        {"contactId": world.contact, "optedOut": True},
    )
    called = await mutate(
        client,
        actors.clerk_a,
        "scheduleActivity",
        {"subjectId": world.webinar_lead, "kind": "CALL", "dueAt": due()},
    )

    for payload in (corrected, lifted, marked):
        assert codes(payload) == [("INVALID_STATE", ["contactId"])]
        assert payload["userErrors"][0]["message"] == "The person's data was erased."
    assert codes(called) == [("OPTED_OUT", ["kind"])]
    assert await contact_row(world.contact) == before


async def test_an_erasure_between_read_and_write_fails_the_correction(client, actors):
    """The interleaving: a correction read the contact before the erasure committed. Its
    compare-and-set guards on the values read, and the street it read ("") is the erased one
    too, so only the guard on erased_at keeps the tombstone from getting a street."""
    campaign = await new_campaign(client, actors.manager, f"Zwischen {next(_campaigns)}")
    (lead,) = await new_leads(client, actors.manager, campaign, ["Zwischendurch"])
    contact_id = pk(lead["contact"]["id"])
    stale = await Contact.get(id=contact_id)
    await erasure.erase_contact(actors.admin.user, contact_id, "Anruf")

    written = await contact_updates._write_if_unchanged(
        actors.manager.user, stale, {"street": "Neuer Weg 1"}
    )

    assert written is False
    assert (await Contact.get(id=contact_id)).street == ""
    with pytest.raises(DomainError) as refused:
        await contact_updates.find_contact_to_edit(actors.manager.user, contact_id)
    assert refused.value.code == ErrorCode.INVALID_STATE
