"""Managing webhooks over the API: create (the secret shown once), the validation errors, update
and re-enable, delete, rotate, redeliver, who may do what, and the delivery log's pages."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio
from starlette.applications import Starlette
from tortoise.backends.base.executor import EXECUTOR_CACHE

from leadflow import clock
from leadflow.api.ids import encode_id
from leadflow.app import create_app
from leadflow.db.enums import WebhookDeliveryStatus
from leadflow.db.models import AuditEntry, Webhook, WebhookAttempt, WebhookDelivery
from leadflow.errors import DomainError, ErrorCode
from leadflow.services.webhooks import config, manage
from leadflow.settings import Settings
from tests.helpers import (
    Actor,
    Actors,
    QueryCounter,
    data_of,
    error_codes,
    gql,
    mutate,
    mutate_ok,
    mutation_text,
    new_campaign,
    pk,
)

RECEIVER = "http://127.0.0.1:9/hook"
WEBHOOK = "webhook { id url description events active secret previousSecretExpiresAt }"


@pytest_asyncio.fixture
async def app(database_url: str) -> AsyncIterator[Starlette]:
    """The app as in conftest, without webhook delivery of its own: these tests make delivery
    log rows by hand, and a worker must not send them meanwhile."""
    EXECUTOR_CACHE.clear()
    application = create_app(Settings(database_url=database_url, webhook_poll_seconds=0))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
def allow_private(app, monkeypatch):
    """Webhooks to loopback addresses, as tests and closed networks configure it (after the app
    started, which configures the instance's settings)."""
    monkeypatch.setattr(config, "_config", config.WebhookConfig(allow_private=True))


@pytest.fixture
def public_only(app, monkeypatch):
    monkeypatch.setattr(config, "_config", config.WebhookConfig(allow_private=False))


async def create(client, actor: Actor, **input: Any) -> dict[str, Any]:
    fields = {"url": RECEIVER, "events": ["lead.assigned"], **input}
    return await mutate(client, actor, "createWebhook", fields, WEBHOOK)


async def create_ok(client, actor: Actor, **input: Any) -> dict[str, Any]:
    payload = await create(client, actor, **input)
    assert payload["userErrors"] == [], payload
    return payload["webhook"]


def user_errors(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return [(error["code"], error["field"]) for error in payload["userErrors"]]


async def finished_delivery(webhook_gid: str, status=WebhookDeliveryStatus.SUCCEEDED, **extra):
    """A delivery as the worker leaves it (the worker is not what these tests are about)."""
    return await WebhookDelivery.create(
        webhook_id=pk(webhook_gid),
        event_id=1,
        message_id="msg_2f1e",
        event_type="lead.assigned",
        lead_id=None,
        body='{"type":"lead.assigned"}',
        status=status,
        attempts=1,
        finished_at=clock.now() if status != WebhookDeliveryStatus.PENDING else None,
        **extra,
    )


# --- create -------------------------------------------------------------------------------------


async def test_create_shows_the_secret_once(client, actors: Actors, allow_private):
    webhook = await create_ok(
        client,
        actors.manager,
        events=["lead.closed", "lead.assigned", "lead.closed"],
        description="  ERP  ",
    )
    assert webhook["url"] == RECEIVER
    # Duplicates dropped, in the contract's order; the description trimmed.
    assert webhook["events"] == ["lead.assigned", "lead.closed"]
    assert webhook["description"] == "ERP"
    assert webhook["active"] is True
    assert webhook["secret"].startswith("whsec_")
    stored = await Webhook.get(id=pk(webhook["id"]))
    assert stored.secret == webhook["secret"]
    assert stored.owner_id == actors.manager.user.id
    # Later reads never carry it.
    body = await gql(
        client,
        "query($id: ID!) { webhook(id: $id) { id secret owner { name } campaigns { id } } "
        "webhooks { id secret } }",
        {"id": webhook["id"]},
        actor=actors.manager,
    )
    data = data_of(body)
    assert data["webhook"] == {
        "id": webhook["id"],
        "secret": None,
        "owner": {"name": "Mona Manager"},
        "campaigns": None,
    }
    assert data["webhooks"] == [{"id": webhook["id"], "secret": None}]


async def test_create_with_campaigns(client, actors: Actors, allow_private):
    fair = await new_campaign(client, actors.manager, "Fair")
    webhook = await create_ok(client, actors.manager, campaignIds=[fair, fair])
    body = await gql(
        client,
        "query($id: ID!) { webhook(id: $id) { campaigns { id name } } }",
        {"id": webhook["id"]},
        actor=actors.manager,
    )
    assert data_of(body)["webhook"]["campaigns"] == [{"id": fair, "name": "Fair"}]


@pytest.mark.parametrize(
    ("input", "expected"),
    [
        ({"url": "ftp://example.com/hook"}, ("INVALID", ["url"])),
        ({"url": "not a url"}, ("INVALID", ["url"])),
        ({"events": []}, ("REQUIRED", ["events"])),
        ({"events": ["lead.assigned", "lead.exploded"]}, ("INVALID", ["events", "1"])),
        ({"campaignIds": []}, ("REQUIRED", ["campaignIds"])),
        ({"description": "x" * 2001}, ("TOO_LONG", ["description"])),
    ],
)
async def test_create_refuses_bad_input(client, actors: Actors, allow_private, input, expected):
    payload = await create(client, actors.manager, **input)
    assert user_errors(payload) == [expected]
    assert payload["webhook"] is None
    assert await Webhook.all().count() == 0


@pytest.mark.parametrize("name", ["createWebhook", "updateWebhook"])
async def test_a_url_with_a_lone_surrogate_is_refused(client, actors: Actors, allow_private, name):
    """JSON can spell a lone UTF-16 surrogate ("\\udcff"), which no database can store: a user
    error on the url, not a server error at the INSERT. Sent as the raw JSON a client would
    send (httpx's `json=` cannot encode it)."""
    webhook = await create_ok(client, actors.manager)
    url = RECEIVER + "/\udcff"
    input = {"url": url, "events": ["lead.assigned"]}
    if name == "updateWebhook":
        input = {"webhookId": webhook["id"], "url": url}
    document = mutation_text(name, WEBHOOK)
    response = await client.post(
        "/graphql",
        content=json.dumps({"query": document, "variables": {"input": input}}).encode(),
        headers={
            "Authorization": f"Bearer {actors.manager.token}",
            "Content-Type": "application/json",
        },
    )
    payload = data_of(response.json())[name]
    assert user_errors(payload) == [("INVALID", ["url"])]
    assert "lone surrogate" in payload["userErrors"][0]["message"]
    assert [stored.url for stored in await Webhook.all()] == [RECEIVER]


async def test_an_unknown_event_is_named(client, actors: Actors, allow_private):
    payload = await create(client, actors.manager, events=["lead.exploded"])
    assert "'lead.exploded' is no event type" in payload["userErrors"][0]["message"]


async def test_a_missing_campaign_is_named_by_its_place(client, actors: Actors, allow_private):
    fair = await new_campaign(client, actors.manager, "Fair")
    missing = encode_id("Campaign", 99999)
    payload = await create(client, actors.manager, campaignIds=[fair, missing])
    assert user_errors(payload) == [("NOT_FOUND", ["campaignIds", "1"])]


async def test_private_addresses_are_refused_unless_allowed(client, actors: Actors, public_only):
    payload = await create(client, actors.manager, url="http://127.0.0.1:8080/hook")
    assert user_errors(payload) == [("INVALID", ["url"])]
    assert "127.0.0.1" in payload["userErrors"][0]["message"]
    assert await Webhook.all().count() == 0


async def test_at_most_fifty_webhooks_per_owner(client, actors: Actors, allow_private):
    for number in range(50):
        await Webhook.create(
            owner_id=actors.manager.user.id,
            url=f"{RECEIVER}/{number}",
            events=["lead.created"],
            secret="whsec_x",
        )
    payload = await create(client, actors.manager)
    assert user_errors(payload) == [("TOO_MANY", None)]
    # Another owner is not limited by the manager's.
    await create_ok(client, actors.admin)


# --- partners -----------------------------------------------------------------------------------


async def linked_campaign(client, actors: Actors, name: str = "Fair") -> str:
    campaign = await new_campaign(client, actors.manager, name)
    await mutate_ok(
        client,
        actors.admin,
        "linkPartnerCampaigns",
        {"userId": actors.partner.gid, "campaignIds": [campaign]},
        "user { id }",
    )
    return campaign


async def test_a_partner_subscribes_to_lead_events_of_its_campaigns(
    client, actors: Actors, allow_private
):
    fair = await linked_campaign(client, actors)
    foreign = await new_campaign(client, actors.manager, "Webinar")
    webhook = await create_ok(client, actors.partner, campaignIds=[fair])
    assert (await Webhook.get(id=pk(webhook["id"]))).campaign_ids == [pk(fair)]
    payload = await create(client, actors.partner, campaignIds=[fair, foreign])
    assert user_errors(payload) == [("INVALID", ["campaignIds", "1"])]
    payload = await create(client, actors.partner, events=["lead.closed", "opportunity.created"])
    assert user_errors(payload) == [("INVALID", ["events", "1"])]
    assert "lead events only" in payload["userErrors"][0]["message"]
    body = await gql(client, "{ webhookEventTypes }", actor=actors.partner)
    assert data_of(body)["webhookEventTypes"] == [
        "lead.created",
        "lead.assigned",
        "lead.reassigned",
        "lead.closed",
        "lead.reopened",
    ]
    body = await gql(client, "{ webhookEventTypes }", actor=actors.manager)
    assert len(data_of(body)["webhookEventTypes"]) == 11


async def test_a_manager_cannot_give_a_partners_webhook_opportunity_events(
    client, actors: Actors, allow_private
):
    await linked_campaign(client, actors)
    webhook = await create_ok(client, actors.partner)
    payload = await mutate(
        client,
        actors.manager,
        "updateWebhook",
        {"webhookId": webhook["id"], "events": ["opportunity.created"]},
        "webhook { events }",
    )
    assert user_errors(payload) == [("INVALID", ["events", "0"])]
    assert (await Webhook.get(id=pk(webhook["id"]))).events == ["lead.assigned"]


# --- who may see and manage -------------------------------------------------------------------


async def test_who_sees_which_webhooks(client, actors: Actors, allow_private):
    await linked_campaign(client, actors)
    managers = await create_ok(client, actors.manager)
    partners = await create_ok(client, actors.partner)
    listing = "{ webhooks { id } }"
    for actor, expected in (
        (actors.manager, [managers["id"], partners["id"]]),
        (actors.admin, [managers["id"], partners["id"]]),
        (actors.read_only_manager, [managers["id"], partners["id"]]),
        (actors.partner, [partners["id"]]),
    ):
        body = await gql(client, listing, actor=actor)
        assert [w["id"] for w in data_of(body)["webhooks"]] == expected, actor.user.email
    for actor in (actors.clerk_a, actors.inactive_clerk):
        body = await gql(client, listing, actor=actor)
        assert error_codes(body) in (["FORBIDDEN"], ["UNAUTHENTICATED"])
        assert body.get("data") is None
    # The partner cannot read the manager's webhook, by either way in.
    for text in (
        "query($id: ID!) { webhook(id: $id) { id } }",
        "query($id: ID!) { node(id: $id) { id } }",
    ):
        body = await gql(client, text, {"id": managers["id"]}, actor=actors.partner)
        assert error_codes(body) == ["FORBIDDEN"]


async def test_a_clerk_may_not_create_webhooks(client, actors: Actors, allow_private):
    body = await gql(
        client,
        mutation_text("createWebhook", "webhook { id }"),
        {"input": {"url": RECEIVER, "events": ["lead.assigned"]}},
        actor=actors.clerk_a,
    )
    assert error_codes(body) == ["FORBIDDEN"]
    assert await Webhook.all().count() == 0


async def test_a_read_only_token_reads_but_never_writes(client, actors: Actors, allow_private):
    webhook = await create_ok(client, actors.manager)
    for name, input in (
        ("createWebhook", {"url": RECEIVER, "events": ["lead.assigned"]}),
        ("updateWebhook", {"webhookId": webhook["id"], "description": "x"}),
        ("rotateWebhookSecret", {"webhookId": webhook["id"]}),
        ("deleteWebhook", {"webhookId": webhook["id"]}),
    ):
        body = await gql(
            client, mutation_text(name), {"input": input}, actor=actors.read_only_manager
        )
        assert error_codes(body) == ["FORBIDDEN"], name
    stored = await Webhook.get(id=pk(webhook["id"]))
    assert (stored.description, stored.secret) == ("", webhook["secret"])


async def test_a_partner_cannot_change_another_owners_webhook(
    client, actors: Actors, allow_private
):
    await linked_campaign(client, actors)
    webhook = await create_ok(client, actors.manager)
    for name, input in (
        ("updateWebhook", {"webhookId": webhook["id"], "active": False}),
        ("rotateWebhookSecret", {"webhookId": webhook["id"]}),
        ("deleteWebhook", {"webhookId": webhook["id"]}),
    ):
        body = await gql(client, mutation_text(name), {"input": input}, actor=actors.partner)
        assert error_codes(body) == ["FORBIDDEN"], name
    stored = await Webhook.get(id=pk(webhook["id"]))
    assert stored.active and stored.secret == webhook["secret"]


# --- update, delete, rotate ---------------------------------------------------------------------


async def test_update_changes_only_what_is_given(client, actors: Actors, allow_private):
    fair = await new_campaign(client, actors.manager, "Fair")
    webhook = await create_ok(client, actors.manager, campaignIds=[fair], description="ERP")
    payload = await mutate_ok(
        client,
        actors.admin,
        "updateWebhook",
        {"webhookId": webhook["id"], "events": ["lead.created"]},
        "webhook { events description campaigns { id } secret }",
    )
    assert payload["webhook"] == {
        "events": ["lead.created"],
        "description": "ERP",
        "campaigns": [{"id": fair}],
        "secret": None,
    }
    # campaignIds null: every campaign; left out: unchanged.
    payload = await mutate_ok(
        client,
        actors.manager,
        "updateWebhook",
        {"webhookId": webhook["id"], "campaignIds": None, "url": RECEIVER + "/2"},
        "webhook { url campaigns { id } }",
    )
    assert payload["webhook"] == {"url": RECEIVER + "/2", "campaigns": None}
    stored = await Webhook.get(id=pk(webhook["id"]))
    assert stored.campaign_ids is None
    assert stored.secret == webhook["secret"]


async def test_a_bad_update_changes_nothing(client, actors: Actors, allow_private):
    webhook = await create_ok(client, actors.manager)
    payload = await mutate(
        client,
        actors.manager,
        "updateWebhook",
        {"webhookId": webhook["id"], "description": "new", "events": ["nope"]},
        "webhook { id }",
    )
    assert user_errors(payload) == [("INVALID", ["events", "0"])]
    stored = await Webhook.get(id=pk(webhook["id"]))
    assert (stored.description, stored.events) == ("", ["lead.assigned"])
    payload = await mutate(
        client,
        actors.manager,
        "updateWebhook",
        {"webhookId": webhook["id"], "url": None},
        "webhook { id }",
    )
    assert user_errors(payload) == [("REQUIRED", ["url"])]


async def test_re_enabling_forgets_the_failures(client, actors: Actors, allow_private):
    webhook = await create_ok(client, actors.manager)
    await Webhook.filter(id=pk(webhook["id"])).update(
        active=False,
        disabled_at=clock.now(),
        disabled_reason="answered 410 Gone",
        failing_since=clock.now() - timedelta(days=1),
        consecutive_failures=7,
    )
    selection = "webhook { active disabledAt disabledReason failingSince }"
    body = await gql(
        client,
        "query($id: ID!) { webhook(id: $id) { disabledReason } }",
        {"id": webhook["id"]},
        actor=actors.manager,
    )
    assert data_of(body)["webhook"]["disabledReason"] == "answered 410 Gone"
    payload = await mutate_ok(
        client,
        actors.manager,
        "updateWebhook",
        {"webhookId": webhook["id"], "active": True},
        selection,
    )
    assert payload["webhook"] == {
        "active": True,
        "disabledAt": None,
        "disabledReason": None,
        "failingSince": None,
    }
    assert (await Webhook.get(id=pk(webhook["id"]))).consecutive_failures == 0
    # Switching it off by hand says so.
    payload = await mutate_ok(
        client,
        actors.manager,
        "updateWebhook",
        {"webhookId": webhook["id"], "active": False},
        selection,
    )
    assert payload["webhook"]["active"] is False
    assert payload["webhook"]["disabledReason"] == "switched off by Mona Manager"


async def test_delete_takes_the_log_along(client, actors: Actors, allow_private):
    webhook = await create_ok(client, actors.manager)
    delivery = await finished_delivery(webhook["id"])
    await WebhookAttempt.create(delivery_id=delivery.id, at=clock.now(), duration_ms=3)
    payload = await mutate_ok(
        client, actors.manager, "deleteWebhook", {"webhookId": webhook["id"]}, "deletedWebhookId"
    )
    assert payload["deletedWebhookId"] == webhook["id"]
    assert await Webhook.all().count() == 0
    assert await WebhookDelivery.all().count() == 0
    assert await WebhookAttempt.all().count() == 0
    payload = await mutate(
        client, actors.manager, "deleteWebhook", {"webhookId": webhook["id"]}, "deletedWebhookId"
    )
    assert user_errors(payload) == [("NOT_FOUND", ["webhookId"])]


async def test_rotate_keeps_the_previous_secret_for_a_day(client, actors: Actors, allow_private):
    await linked_campaign(client, actors)
    webhook = await create_ok(client, actors.partner)
    before = clock.now()
    payload = await mutate_ok(
        client, actors.partner, "rotateWebhookSecret", {"webhookId": webhook["id"]}, WEBHOOK
    )
    rotated = payload["webhook"]
    assert rotated["secret"].startswith("whsec_")
    assert rotated["secret"] != webhook["secret"]
    stored = await Webhook.get(id=pk(webhook["id"]))
    assert stored.secret == rotated["secret"]
    assert stored.previous_secret == webhook["secret"]
    assert stored.previous_secret_expires_at is not None
    valid_for = stored.previous_secret_expires_at - before
    assert timedelta(hours=23, minutes=59) < valid_for <= timedelta(hours=24, seconds=5)
    assert rotated["previousSecretExpiresAt"] is not None


async def test_concurrent_rotations_lose_no_secret_handed_out(
    client, actors: Actors, allow_private
):
    """Two rotations at once: every secret handed out still signs (the current one, or the
    previous one of the rotation after it); one that lost the race says so instead."""
    webhook = await create_ok(client, actors.manager)
    payloads = await asyncio.gather(
        *(
            mutate(client, actor, "rotateWebhookSecret", {"webhookId": webhook["id"]}, WEBHOOK)
            for actor in (actors.manager, actors.admin)
        )
    )
    handed_out = {p["webhook"]["secret"] for p in payloads if p["webhook"] is not None}
    refused = [p for p in payloads if p["webhook"] is None]
    assert handed_out
    assert all(user_errors(p) == [("CONFLICT", ["webhookId"])] for p in refused)
    stored = await Webhook.get(id=pk(webhook["id"]))
    assert handed_out <= {stored.secret, stored.previous_secret}


async def test_the_audit_log_says_who_pointed_webhooks_where(client, actors: Actors, allow_private):
    webhook = await create_ok(client, actors.manager)
    for name, input in (
        ("updateWebhook", {"webhookId": webhook["id"], "url": RECEIVER + "/new"}),
        ("rotateWebhookSecret", {"webhookId": webhook["id"]}),
        ("deleteWebhook", {"webhookId": webhook["id"]}),
    ):
        await mutate_ok(client, actors.admin, name, input)
    entries = await AuditEntry.filter(action__startswith="webhook.").order_by("id")
    number = pk(webhook["id"])
    assert [(e.action, e.actor_id) for e in entries] == [
        ("webhook.created", actors.manager.user.id),
        ("webhook.changed", actors.admin.user.id),
        ("webhook.secret_rotated", actors.admin.user.id),
        ("webhook.deleted", actors.admin.user.id),
    ]
    assert entries[0].detail == (f"#{number} of manager@test.example to {RECEIVER}: lead.assigned")
    assert f"url={RECEIVER}/new" in entries[1].detail
    # No secret ever goes into the log.
    assert not any("whsec_" in entry.detail for entry in entries)


# --- redeliver ---------------------------------------------------------------------------------


async def test_redeliver_a_finished_delivery(client, actors: Actors, allow_private):
    webhook = await create_ok(client, actors.manager)
    original = await finished_delivery(webhook["id"], WebhookDeliveryStatus.FAILED)
    original_gid = _delivery_gid(original.id)
    payload = await mutate_ok(
        client,
        actors.manager,
        "redeliverWebhookEvent",
        {"deliveryId": original_gid},
        "delivery { id eventId eventType status payload redeliveryOf attemptCount "
        "attempts { at } }",
    )
    delivery = payload["delivery"]
    assert delivery["id"] != original_gid
    assert delivery == {
        "id": delivery["id"],
        "eventId": "msg_2f1e",
        "eventType": "lead.assigned",
        "status": "PENDING",
        "payload": '{"type":"lead.assigned"}',
        "redeliveryOf": original_gid,
        "attemptCount": 0,
        "attempts": [],
    }
    stored = await WebhookDelivery.get(id=pk(delivery["id"]))
    assert stored.next_attempt_at is not None and stored.event_id == original.event_id
    # The new one is pending: sending it again now is refused, with when it goes out.
    payload = await mutate(
        client, actors.manager, "redeliverWebhookEvent", {"deliveryId": delivery["id"]}, ""
    )
    assert user_errors(payload) == [("INVALID_STATE", ["deliveryId"])]
    assert "still being delivered; next attempt at" in payload["userErrors"][0]["message"]
    # So is sending the original again while its redelivery is on its way (a second click).
    payload = await mutate(
        client, actors.manager, "redeliverWebhookEvent", {"deliveryId": original_gid}, ""
    )
    assert user_errors(payload) == [("INVALID_STATE", ["deliveryId"])]
    assert await WebhookDelivery.all().count() == 2
    # Once that one finished, the original may go out again.
    await WebhookDelivery.filter(id=pk(delivery["id"])).update(
        status=WebhookDeliveryStatus.SUCCEEDED, finished_at=clock.now()
    )
    await mutate_ok(
        client, actors.manager, "redeliverWebhookEvent", {"deliveryId": original_gid}, ""
    )
    assert await WebhookDelivery.all().count() == 3


async def test_clicks_at_once_send_the_event_again_once(
    client, actors: Actors, allow_private, backend: str
):
    """ "Send again" three times at the same moment (a double click, or two people), called on
    the service so that nothing between them serialises the calls: one new delivery, the others
    are told the event is on its way."""
    webhook = await create_ok(client, actors.manager)
    original = await finished_delivery(webhook["id"])
    users = (actors.manager.user, actors.admin.user, actors.manager.user)
    with QueryCounter() as counter:
        results = await asyncio.gather(
            *(manage.redeliver(user, original.id) for user in users), return_exceptions=True
        )
    if backend == "postgres":
        # The webhook's row is the lock (a deletion takes it first as well: no deadlock).
        assert any("FOR NO KEY UPDATE" in sql for sql in counter.statements)
    sent = [result for result in results if isinstance(result, WebhookDelivery)]
    refused = [result for result in results if isinstance(result, DomainError)]
    assert len(sent) == 1 and len(refused) == 2, results
    assert all(error.code == ErrorCode.INVALID_STATE for error in refused)
    assert await WebhookDelivery.filter(status=WebhookDeliveryStatus.PENDING).count() == 1


async def test_redeliver_needs_an_active_webhook(client, actors: Actors, allow_private):
    webhook = await create_ok(client, actors.manager)
    original = await finished_delivery(webhook["id"])
    await Webhook.filter(id=pk(webhook["id"])).update(active=False)
    payload = await mutate(
        client,
        actors.manager,
        "redeliverWebhookEvent",
        {"deliveryId": _delivery_gid(original.id)},
        "delivery { id }",
    )
    assert user_errors(payload) == [("INVALID_STATE", ["deliveryId"])]
    assert "enable the webhook first" in payload["userErrors"][0]["message"]
    assert await WebhookDelivery.all().count() == 1


async def test_a_partner_redelivers_only_its_own(client, actors: Actors, allow_private):
    await linked_campaign(client, actors)
    managers = await create_ok(client, actors.manager)
    original = await finished_delivery(managers["id"])
    body = await gql(
        client,
        mutation_text("redeliverWebhookEvent"),
        {"input": {"deliveryId": _delivery_gid(original.id)}},
        actor=actors.partner,
    )
    assert error_codes(body) == ["FORBIDDEN"]
    assert await WebhookDelivery.all().count() == 1


def _delivery_gid(delivery_id: int) -> str:
    return encode_id("WebhookDelivery", delivery_id)


# --- the delivery log --------------------------------------------------------------------------

LOG = """
query($id: ID!, $first: Int, $after: String, $status: WebhookDeliveryStatus) {
  webhook(id: $id) {
    deliveries(first: $first, after: $after, status: $status) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id eventId status attemptCount lastHttpStatus lastError nextAttemptAt
        attempts { at httpStatus durationMs error nextAttemptAt } } }
    }
  }
}
"""


async def test_the_log_pages_newest_first_without_a_query_per_delivery(
    client, actors: Actors, allow_private
):
    webhook = await create_ok(client, actors.manager)
    deliveries = []
    for number in range(7):
        status = WebhookDeliveryStatus.PENDING if number == 6 else WebhookDeliveryStatus.FAILED
        delivery = await finished_delivery(webhook["id"], status)
        for attempt in range(2):
            await WebhookAttempt.create(
                delivery_id=delivery.id,
                at=clock.now(),
                http_status=500 if attempt == 0 else None,
                duration_ms=10 + attempt,
                error="HTTP 500" if attempt == 0 else "timed out after 15 s",
            )
        deliveries.append(delivery)

    async def page(first: int, after: str | None = None, status: str | None = None):
        variables = {"id": webhook["id"], "first": first, "after": after, "status": status}
        body = await gql(client, LOG, variables, actor=actors.manager)
        return data_of(body)["webhook"]["deliveries"]

    with QueryCounter() as small:
        await page(1)
    with QueryCounter() as large:
        first = await page(4)
    # The attempts of a page come in one query, however many deliveries it has.
    assert large.count == small.count
    assert first["totalCount"] == 7
    assert [pk(e["node"]["id"]) for e in first["edges"]] == [d.id for d in deliveries[:2:-1]]
    node = first["edges"][1]["node"]
    assert node["attemptCount"] == 1
    assert node["lastHttpStatus"] is None and node["lastError"] == "timed out after 15 s"
    assert [a["httpStatus"] for a in node["attempts"]] == [500, None]
    second = await page(4, first["pageInfo"]["endCursor"])
    assert [pk(e["node"]["id"]) for e in second["edges"]] == [d.id for d in deliveries[2::-1]]
    assert second["pageInfo"]["hasNextPage"] is False
    pending = await page(10, status="PENDING")
    assert [pk(e["node"]["id"]) for e in pending["edges"]] == [deliveries[6].id]
