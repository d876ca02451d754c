"""Webhook bodies (services/webhooks/payloads): compact JSON in a fixed order with the event's
time in UTC milliseconds; a partner's webhook gets exactly what the partner reads of the lead
through the API (the same field table: removing a field from it removes it from the body); the
lead's story through the real API (a partner's submission, a manager's assignment, a clerk's
feedback and close) reaches a manager's and a partner's webhook, the partner's without the
feedback, the close note or the contact; every field names a real type and field of the API."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette
from tortoise.backends.base.executor import EXECUTOR_CACHE

from leadflow.api.schema import schema
from leadflow.app import create_app
from leadflow.auth import field_rules
from leadflow.db.enums import LeadStatus
from leadflow.db.models import Campaign, PartnerCampaign, Webhook, WebhookDelivery
from leadflow.global_ids import encode_id
from leadflow.live.cursor import LiveEvent
from leadflow.services import outbox
from leadflow.services.webhooks import fanout, payloads
from leadflow.services.webhooks.events import EVENT_TYPES, PARTNER_EVENT_TYPES
from leadflow.settings import Settings
from tests.helpers import Actors, data_of, gql, mutate_ok, new_leads, pk

AT = datetime(2026, 12, 6, 17, 50, 14, 123456, tzinfo=UTC)
LEAD_ROW: dict[str, Any] = {
    "id": 42,
    "campaign_id": 7,
    "assignee_id": 5,
    "assigned_at": datetime(2026, 12, 6, 9, 0, tzinfo=UTC),
    "outcome": None,
    "close_reason": None,
    "closed_at": None,
    "created_at": datetime(2026, 12, 5, 8, 30, 0, 999999, tzinfo=UTC),
    "created_by_id": 9,
}


@pytest_asyncio.fixture
async def app(database_url: str) -> AsyncIterator[Starlette]:
    """The app without its webhook worker (poll 0): the tests run the rounds themselves."""
    EXECUTOR_CACHE.clear()
    application = create_app(Settings(database_url=database_url, webhook_poll_seconds=0.0))
    async with application.router.lifespan_context(application):
        yield application


def event(topic: str, **fields: Any) -> LiveEvent:
    values: dict[str, Any] = {
        "id": 123,
        "topic": topic,
        "lead_id": None,
        "opportunity_id": None,
        "campaign_id": None,
        "user_ids": (),
        "payload": {},
        "created_at": AT,
    }
    return LiveEvent(**{**values, **fields})


def subjects(**leads: dict[str, Any]) -> payloads.Subjects:
    return payloads.Subjects(
        leads={row["id"]: row for row in leads.values()}, opportunities={}, feedback_channels={}
    )


def test_a_body_is_compact_json_in_a_fixed_order() -> None:
    reassigned = event(
        outbox.LEAD_REASSIGNED, lead_id=42, campaign_id=7, payload={"previousAssigneeId": 3}
    )
    text = payloads.body(reassigned, subjects(lead=LEAD_ROW), partner=False)
    assert text == (
        '{"type":"lead.reassigned","id":"evt_123","timestamp":"2026-12-06T17:50:14.123Z",'
        f'"data":{{"id":"{encode_id("Lead", 42)}","campaignId":"{encode_id("Campaign", 7)}",'
        f'"status":"ACTIVE","assigneeId":"{encode_id("User", 5)}",'
        '"assignedAt":"2026-12-06T09:00:00.000Z","outcome":null,"closeReason":null,'
        '"closedAt":null,"createdAt":"2026-12-05T08:30:00.999Z",'
        f'"previousAssigneeId":"{encode_id("User", 3)}"}}}}'
    )
    assert payloads.message_id(reassigned) == "evt_123"


def test_a_partner_body_holds_what_the_partner_reads_of_a_lead() -> None:
    reassigned = event(
        outbox.LEAD_REASSIGNED, lead_id=42, campaign_id=7, payload={"previousAssigneeId": 3}
    )
    data = json.loads(payloads.body(reassigned, subjects(lead=LEAD_ROW), partner=True))["data"]
    readable = {
        field.key
        for field in payloads.LEAD_FIELDS
        if field_rules.partner_may_read("Lead", field.field_name)
    }
    assert set(data) == readable
    assert "previousAssigneeId" not in data  # the lead's history is not the partner's


def test_the_partner_filter_is_the_apis_field_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """A field the API stops letting partners read leaves their bodies too (no list of its own)."""
    lead_fields = field_rules.PARTNER_READABLE["Lead"]
    assert isinstance(lead_fields, frozenset) and "assignee" in lead_fields
    monkeypatch.setitem(field_rules.PARTNER_READABLE, "Lead", lead_fields - {"assignee"})
    assigned = event(outbox.LEAD_ASSIGNED, lead_id=42, campaign_id=7)
    partners = json.loads(payloads.body(assigned, subjects(lead=LEAD_ROW), partner=True))
    managers = json.loads(payloads.body(assigned, subjects(lead=LEAD_ROW), partner=False))
    assert "assigneeId" not in partners["data"] and "assigneeId" in managers["data"]


def test_every_field_names_a_type_and_field_of_the_api() -> None:
    types = schema._schema.type_map
    tables = (
        payloads.LEAD_FIELDS,
        payloads.LEAD_EVENT_FIELDS,
        payloads.OPPORTUNITY_FIELDS,
        payloads.OPPORTUNITY_EVENT_FIELDS,
        payloads.CONTACT_FIELDS,
        payloads.CONTACT_EVENT_FIELDS,
    )
    for table in tables:
        for field in table:
            api_type = types.get(field.type_name)
            assert api_type is not None, field
            assert field.field_name in api_type.fields, field  # type: ignore[attr-defined]


def test_an_oddly_shaped_payload_value_is_left_out_not_fatal() -> None:
    """A round that failed on one event would hold every later event back."""
    odd = event(outbox.LEAD_REASSIGNED, lead_id=42, payload={"previousAssigneeId": "Ben"})
    data = json.loads(payloads.body(odd, subjects(lead=LEAD_ROW), partner=False))["data"]
    assert "previousAssigneeId" not in data and data["id"] == encode_id("Lead", 42)


def test_an_object_gone_since_is_sent_by_its_id() -> None:
    closed = event(outbox.LEAD_CLOSED, lead_id=99, campaign_id=7)
    data = json.loads(payloads.body(closed, subjects(), partner=False))["data"]
    assert data == {"id": encode_id("Lead", 99)}
    handed = event(outbox.OPPORTUNITY_HANDED_OVER, opportunity_id=4, payload={"ownerId": 5})
    data = json.loads(payloads.body(handed, subjects(), partner=False))["data"]
    assert data == {"id": encode_id("Opportunity", 4)}


def test_a_contact_event_carries_the_contact_and_the_changed_fields() -> None:
    updated = event(outbox.CONTACT_UPDATED, payload={"contactId": 8, "fields": ["email", "city"]})
    data = json.loads(payloads.body(updated, subjects(), partner=False))["data"]
    assert data == {"id": encode_id("Contact", 8), "fields": ["email", "city"]}
    erased = event(outbox.CONTACT_ERASED, payload={"contactId": 8})
    assert json.loads(payloads.body(erased, subjects(), partner=False))["data"] == {
        "id": encode_id("Contact", 8)
    }


# --- Through the API -------------------------------------------------------------------------

PARTNER_LEAD = """query($id: ID!) { lead(id: $id) {
  id status assignedAt outcome closeReason closedAt createdAt assignee { id } campaign { id }
} }"""


def as_sent(api_lead: dict[str, Any]) -> dict[str, Any]:
    """The API's answer in the body's words (objects by ID, times to the millisecond)."""
    shown = dict(api_lead)
    shown["assigneeId"] = (shown.pop("assignee") or {}).get("id")
    shown["campaignId"] = shown.pop("campaign")["id"]
    for name in ("assignedAt", "closedAt", "createdAt"):
        if shown[name] is not None:
            moment = datetime.fromisoformat(shown[name]).astimezone(UTC)
            shown[name] = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return shown


async def bodies_sent_to(webhook: Webhook) -> list[dict[str, Any]]:
    deliveries = await WebhookDelivery.filter(webhook_id=webhook.id).order_by("id")
    return [json.loads(delivery.body) for delivery in deliveries]


async def test_a_leads_story_through_the_api(client: httpx.AsyncClient, actors: Actors) -> None:
    partner, manager, clerk = actors.partner, actors.manager, actors.clerk_a
    fair = await Campaign.create(name="Messe")
    await PartnerCampaign.create(partner=partner.user, campaign=fair)
    partners = await Webhook.create(
        owner=partner.user,
        url="https://p.example/h",
        events=sorted(PARTNER_EVENT_TYPES),
        secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    )
    managers = await Webhook.create(
        owner=manager.user,
        url="https://m.example/h",
        events=list(EVENT_TYPES),
        secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    )
    [lead] = await new_leads(
        client, partner, encode_id("Campaign", fair.id), ["Sommer"], "leads { id }"
    )
    await mutate_ok(
        client,
        manager,
        "assignLeads",
        {"leadIds": [lead["id"]], "assigneeId": clerk.gid},
        "leads { id }",
    )
    await mutate_ok(
        client,
        clerk,
        "recordFeedback",
        {"leadId": lead["id"], "channel": "EMAIL", "note": "Geheime Notiz"},
        "feedback { id }",
    )
    await mutate_ok(
        client,
        clerk,
        "closeLead",
        {
            "leadId": lead["id"],
            "outcome": "UNSUCCESSFUL",
            "reason": "NOT_INTERESTED",
            "note": "Geheimer Abschluss",
        },
        "lead { id }",
    )
    await fanout.run_round()

    sent_to_partner = await bodies_sent_to(partners)
    assert [body["type"] for body in sent_to_partner] == [
        outbox.LEAD_CREATED,
        outbox.LEAD_ASSIGNED,
        outbox.LEAD_CLOSED,
    ]
    api_now = data_of(await gql(client, PARTNER_LEAD, {"id": lead["id"]}, actor=partner))["lead"]
    for body in sent_to_partner:
        # The lead as it stands at fan-out, exactly as the partner reads it through the API.
        assert body["data"] == as_sent(api_now)
        assert body["data"]["status"] == LeadStatus.DONE.value
    text = json.dumps(sent_to_partner)
    assert "Geheim" not in text and "sommer@" not in text.lower()

    sent_to_manager = await bodies_sent_to(managers)
    types = [body["type"] for body in sent_to_manager]
    assert types[:2] == [outbox.LEAD_CREATED, outbox.LEAD_ASSIGNED]
    assert outbox.LEAD_FEEDBACK_RECORDED in types and types[-1] == outbox.LEAD_CLOSED
    feedback = next(b for b in sent_to_manager if b["type"] == outbox.LEAD_FEEDBACK_RECORDED)
    assert feedback["data"]["channel"] == "EMAIL"
    assert feedback["data"]["id"] == lead["id"] and pk(lead["id"]) > 0
    assert "Geheim" not in json.dumps(sent_to_manager)  # thin: notes are read through the API
