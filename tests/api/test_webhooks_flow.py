"""The webhook API with the app's own delivery worker and a real receiver on loopback that
verifies every signature: a webhook created over the API gets an assignment, its log shows the
delivery and its attempt, "send again" delivers the same webhook-id once more, and after a
rotation the old and the new secret both verify."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest_asyncio
from starlette.applications import Starlette
from tortoise.backends.base.executor import EXECUTOR_CACHE

from leadflow.app import create_app
from leadflow.services.webhooks import config
from leadflow.settings import Settings
from tests.helpers import Actors, data_of, gql, mutate_ok, new_campaign, new_leads
from tests.webhook_receiver import Receiver, running_receiver

SETTINGS = Settings(
    webhook_allow_private=True, webhook_poll_seconds=0.05, webhook_retry_seconds=(0.05, 0.05)
)


@pytest_asyncio.fixture
async def app(database_url: str) -> AsyncIterator[Starlette]:
    """The app with its background work, the webhook worker included, polling often."""
    EXECUTOR_CACHE.clear()
    application = create_app(replace(SETTINGS, database_url=database_url))
    async with application.router.lifespan_context(application):
        yield application
    config.configure(Settings())


@pytest_asyncio.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with running_receiver() as running:
        yield running


LOG = """
query($id: ID!) {
  webhook(id: $id) {
    deliveries(first: 10) {
      edges { node { id eventId eventType status redeliveryOf attempts { httpStatus error } } }
    }
  }
}
"""


async def delivery_log(client, actor, webhook_id: str, settled: int) -> list[dict[str, Any]]:
    """The log, once `settled` deliveries are no longer PENDING (newest first)."""
    async with asyncio.timeout(10):
        while True:
            body = await gql(client, LOG, {"id": webhook_id}, actor=actor)
            edges = data_of(body)["webhook"]["deliveries"]["edges"]
            nodes = [edge["node"] for edge in edges]
            if sum(node["status"] != "PENDING" for node in nodes) >= settled:
                return nodes
            await asyncio.sleep(0.05)


async def test_create_deliver_redeliver_rotate(client, actors: Actors, receiver: Receiver):
    manager = actors.manager
    created = await mutate_ok(
        client,
        manager,
        "createWebhook",
        {"url": receiver.url, "events": ["lead.assigned"]},
        "webhook { id secret }",
    )
    webhook_id, first_secret = created["webhook"]["id"], created["webhook"]["secret"]
    receiver.secrets.append(first_secret)
    campaign = await new_campaign(client, manager, "Fair")
    [lead] = await new_leads(client, manager, campaign, ["Berg"], "leads { id }")
    await mutate_ok(
        client,
        manager,
        "assignLeads",
        {"leadIds": [lead["id"]], "assigneeId": actors.clerk_a.gid},
        "leads { id }",
    )
    [request] = await receiver.wait_for(1, timeout=10)
    assert request.verified, request.error
    assert request.json()["type"] == "lead.assigned"

    [delivered] = await delivery_log(client, manager, webhook_id, settled=1)
    assert delivered["eventId"] == request.webhook_id
    assert delivered["status"] == "SUCCEEDED"
    assert delivered["attempts"] == [{"httpStatus": 200, "error": None}]

    # Send again: a new delivery of the same message, the same webhook-id at the receiver.
    again = await mutate_ok(
        client,
        manager,
        "redeliverWebhookEvent",
        {"deliveryId": delivered["id"]},
        "delivery { id eventId status redeliveryOf }",
    )
    assert again["delivery"]["status"] == "PENDING"
    assert again["delivery"]["redeliveryOf"] == delivered["id"]
    requests = await receiver.wait_for(2, timeout=10)
    assert [r.webhook_id for r in requests] == [request.webhook_id] * 2
    assert requests[1].body == request.body and requests[1].verified

    # After a rotation the receiver that still knows only the old secret verifies, and so does
    # one that knows only the new one: both signatures are sent.
    rotated = await mutate_ok(
        client, manager, "rotateWebhookSecret", {"webhookId": webhook_id}, "webhook { secret }"
    )
    new_secret = rotated["webhook"]["secret"]
    await delivery_log(client, manager, webhook_id, settled=2)
    await mutate_ok(
        client, manager, "redeliverWebhookEvent", {"deliveryId": delivered["id"]}, "delivery { id }"
    )
    third = (await receiver.wait_for(3, timeout=10))[2]
    assert len(third.signatures) == 2
    assert third.verified_by == (first_secret,)
    receiver.secrets[:] = [new_secret]
    await delivery_log(client, manager, webhook_id, settled=3)
    await mutate_ok(
        client, manager, "redeliverWebhookEvent", {"deliveryId": delivered["id"]}, "delivery { id }"
    )
    fourth = (await receiver.wait_for(4, timeout=10))[3]
    assert fourth.verified_by == (new_secret,)
    assert fourth.webhook_id == request.webhook_id
