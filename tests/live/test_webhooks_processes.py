"""Webhooks proved at process level (issue 14's "Done when"): real `leadflow serve` processes
deliver to a real HTTP receiver on loopback (tests/webhook_receiver.py) that verifies every
signature with the `standardwebhooks` package.

- an assignment made over HTTP arrives within two seconds, signed, with the lead's global ID;
- two instances on one PostgreSQL database deliver each of 50 events exactly once;
- kill -9 of the delivering instance while its request is open: after a restart the event
  arrives again with the same `webhook-id` (the claim is a lease, not a held lock);
- a partner's webhook carries only the partner's own leads and only the fields it may read;
- a receiver answering 500, 500, 200 gets the same `webhook-id` three times, and
  `webhook(id).deliveries` shows the three attempts.

The servers run with LEADFLOW_WEBHOOK_ALLOW_PRIVATE=1 (the receiver is on loopback), short
retries, a 2 s time limit per request (the lease a killed instance leaves behind runs out soon)
and a short poll. The test process itself runs no app: an app here would deliver too (from the
same database, refusing loopback), so the users are read from the database directly."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from tortoise.backends.base.executor import EXECUTOR_CACHE

from leadflow.db.lifecycle import database
from tests.databases import DatabaseState, DatabaseTemplate
from tests.helpers import Actor, Actors, data_of, gql, mutate_ok, new_campaign, new_leads
from tests.live_server import start_server
from tests.webhook_receiver import Answer, ReceivedRequest, Receiver, running_receiver

WAIT = 10.0
WEBHOOK_SETTINGS = {
    "LEADFLOW_WEBHOOK_ALLOW_PRIVATE": "1",
    "LEADFLOW_WEBHOOK_RETRY_SECONDS": "0.3,0.3,0.3",
    "LEADFLOW_WEBHOOK_TIMEOUT_SECONDS": "2",
    "LEADFLOW_WEBHOOK_POLL_SECONDS": "0.2",
}
# What a partner's payload may hold: the envelope, and of a lead what the API lets a partner
# read (auth/field_rules.PARTNER_READABLE["Lead"]: campaign, assignee, status, dates, outcome;
# no contact, feedback or history).
ENVELOPE_KEYS = {"type", "id", "timestamp", "data"}
PARTNER_LEAD_KEYS = {
    "id",
    "campaignId",
    "status",
    "assigneeId",
    "assignedAt",
    "outcome",
    "closeReason",
    "closedAt",
    "createdAt",
}


@pytest.fixture
def database_state(database_template: DatabaseTemplate) -> DatabaseState:
    """The test users of `make_actors` (there is no `app` fixture here to ask for them)."""
    return database_template.with_actors


@pytest_asyncio.fixture
async def people(database_url: str, database_template: DatabaseTemplate) -> Actors:
    """The test users, read with a short-lived ORM (no app, so no webhook worker, here)."""
    # Tortoise caches statements per connection name: SQLite's must not serve PostgreSQL.
    EXECUTOR_CACHE.clear()
    async with database(database_url):
        return await database_template.seeded.load()


@pytest.fixture
def postgres_only(backend: str) -> None:
    if backend != "postgres":
        pytest.skip("several instances share PostgreSQL only (SQLite serves one)")


@dataclass
class Instance:
    """A `leadflow serve` process on the tests' database."""

    url: str
    process: subprocess.Popen[bytes]

    def kill(self) -> None:
        """kill -9: no shutdown, no grace for the requests in flight."""
        self.process.kill()
        self.process.wait()


@contextmanager
def serving(database_url: str, directory: Path, name: str) -> Iterator[Instance]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("LEADFLOW_")}
    env.update(WEBHOOK_SETTINGS, LEADFLOW_DATABASE_URL=database_url)
    process, url = start_server(env, directory, directory / f"instance-{name}.log")
    try:
        yield Instance(url, process)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@asynccontextmanager
async def api(instance: Instance) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=instance.url, timeout=WAIT) as client:
        yield client


@dataclass(frozen=True)
class CreatedWebhook:
    id: str
    secret: str


async def create_webhook(
    client: httpx.AsyncClient,
    owner: Actor,
    receiver: Receiver,
    url: str,
    events: list[str],
) -> CreatedWebhook:
    """createWebhook over GraphQL; the receiver learns the secret (shown this once)."""
    payload = await mutate_ok(
        client, owner, "createWebhook", {"url": url, "events": events}, "webhook { id secret }"
    )
    webhook = CreatedWebhook(payload["webhook"]["id"], payload["webhook"]["secret"])
    assert webhook.secret.startswith("whsec_")
    receiver.secrets.append(webhook.secret)
    return webhook


async def assign(
    client: httpx.AsyncClient, manager: Actor, lead_ids: list[str], clerk: Actor
) -> None:
    await mutate_ok(
        client,
        manager,
        "assignLeads",
        {"leadIds": lead_ids, "assigneeId": clerk.gid},
        "leads { id }",
    )


async def quiet_then(receiver: Receiver, seconds: float = 1.5) -> list[ReceivedRequest]:
    """Everything received, after `seconds` more (longer than the poll and the retries): what
    would come doubled or late has come by then."""
    await asyncio.sleep(seconds)
    return receiver.received()


def verified_bodies(requests: list[ReceivedRequest]) -> list[dict[str, Any]]:
    """Each request's parsed body; every signature must verify and the body's id must be the
    `webhook-id` header."""
    bodies = []
    for request in requests:
        assert request.verified, request.error
        body = request.json()
        assert body["id"] == request.webhook_id
        bodies.append(body)
    return bodies


DELIVERIES = """
query($id: ID!) {
  webhook(id: $id) {
    deliveries(first: 10) {
      edges { node { eventId eventType status attempts { httpStatus error } } }
    }
  }
}
"""


async def deliveries_of(
    client: httpx.AsyncClient, owner: Actor, webhook: CreatedWebhook
) -> list[dict[str, Any]]:
    data = data_of(await gql(client, DELIVERIES, {"id": webhook.id}, actor=owner))
    return [edge["node"] for edge in data["webhook"]["deliveries"]["edges"]]


async def finished_deliveries(
    client: httpx.AsyncClient, owner: Actor, webhook: CreatedWebhook
) -> list[dict[str, Any]]:
    """The deliveries once none is PENDING any more (the attempt is recorded after the answer)."""
    deadline = time.monotonic() + WAIT
    while True:
        deliveries = await deliveries_of(client, owner, webhook)
        if deliveries and all(delivery["status"] != "PENDING" for delivery in deliveries):
            return deliveries
        assert time.monotonic() < deadline, deliveries
        await asyncio.sleep(0.1)


# --- the tests ------------------------------------------------------------------------------


async def test_an_assignment_arrives_signed_within_two_seconds(
    people: Actors, database_url: str, tmp_path: Path
) -> None:
    manager, clerk = people.manager, people.clerk_a
    async with running_receiver() as receiver:
        with serving(database_url, tmp_path, "a") as a:
            async with api(a) as client:
                await create_webhook(client, manager, receiver, receiver.url, ["lead.assigned"])
                campaign = await new_campaign(client, manager, "Messe Nord")
                [lead] = await new_leads(client, manager, campaign, ["Adler"])
                sent = time.monotonic()
                await assign(client, manager, [lead["id"]], clerk)
                [request] = await receiver.wait_for(1, timeout=WAIT)
                # The promise, from the mutation's send to the receiver's arrival.
                assert request.monotonic - sent < 2.0
                [body] = verified_bodies([request])
                assert body["type"] == "lead.assigned"
                assert body["data"]["id"] == lead["id"]
                assert body["data"]["assigneeId"] == clerk.gid
                assert request.headers["content-type"].startswith("application/json")
                # lead.created was not subscribed to; nothing else comes.
                assert await quiet_then(receiver) == [request]


async def test_two_instances_deliver_each_event_exactly_once(
    postgres_only: None, people: Actors, database_url: str, tmp_path: Path
) -> None:
    manager, clerk = people.manager, people.clerk_a
    async with running_receiver() as receiver:
        with serving(database_url, tmp_path, "a") as a, serving(database_url, tmp_path, "b") as b:
            async with api(a) as on_a, api(b) as on_b:
                campaign = await new_campaign(on_a, manager, "Messe Ost")
                # Made before the webhook: their lead.created is not its business.
                earlier = [
                    lead["id"]
                    for lead in await new_leads(on_a, manager, campaign, list("ABCDEFGHIJ"))
                ]
                await create_webhook(
                    on_a, manager, receiver, receiver.url, ["lead.created", "lead.assigned"]
                )

                async def changes(
                    client: httpx.AsyncClient, prefix: str, old: list[str]
                ) -> list[str]:
                    """10 leads created one by one, then 15 assignments one by one: 25 events."""
                    new = []
                    for n in range(10):
                        [lead] = await new_leads(client, manager, campaign, [f"{prefix}{n}"])
                        new.append(lead["id"])
                    for lead_id in [*new, *old]:
                        await assign(client, manager, [lead_id], clerk)
                    return new

                # Both instances at once, each writing (and so woken to deliver) its own.
                new_on_a, new_on_b = await asyncio.gather(
                    changes(on_a, "Anna", earlier[:5]), changes(on_b, "Bert", earlier[5:])
                )
                await receiver.wait_for(50, timeout=WAIT * 2)
                requests = await quiet_then(receiver)
    created = {("lead.created", lead_id) for lead_id in [*new_on_a, *new_on_b]}
    assigned = {("lead.assigned", lead_id) for lead_id in [*new_on_a, *new_on_b, *earlier]}
    assert len(created | assigned) == 50
    bodies = verified_bodies(requests)
    # Every event once: none missing, no webhook-id twice.
    assert sorted(request.webhook_id for request in requests) == sorted(
        {request.webhook_id for request in requests}
    )
    assert len(requests) == 50
    assert {(body["type"], body["data"]["id"]) for body in bodies} == created | assigned


async def test_a_delivery_cut_by_kill_9_is_sent_again_after_the_restart(
    people: Actors, database_url: str, tmp_path: Path
) -> None:
    manager, clerk = people.manager, people.clerk_a
    async with running_receiver() as receiver:
        # The first request hangs (held open far beyond the sender's 2 s); then 200.
        receiver.script(Answer(200, delay_seconds=60))
        with serving(database_url, tmp_path, "a") as a:
            async with api(a) as client:
                webhook = await create_webhook(
                    client, manager, receiver, receiver.url, ["lead.assigned"]
                )
                campaign = await new_campaign(client, manager, "Messe West")
                [lead] = await new_leads(client, manager, campaign, ["Kranich"])
                await assign(client, manager, [lead["id"]], clerk)
                [cut] = await receiver.wait_for(1, timeout=WAIT)
            a.kill()  # while the request is open at the receiver
        with serving(database_url, tmp_path, "a-restarted") as restarted:
            # The killed instance's lease runs out (2 s and a margin); the restart claims it.
            first, again = await receiver.wait_for(2, timeout=WAIT * 2)
            async with api(restarted) as client:
                [delivery] = await finished_deliveries(client, manager, webhook)
            requests = await quiet_then(receiver, 1.0)
    assert first == cut
    _, body = verified_bodies([cut, again])
    # At least once, as the same message: same webhook-id, same bytes.
    assert again.webhook_id == cut.webhook_id
    assert again.body == cut.body
    assert body["data"]["id"] == lead["id"]
    assert delivery["eventId"] == cut.webhook_id
    assert delivery["status"] == "SUCCEEDED"
    assert delivery["attempts"][-1]["httpStatus"] == 200
    assert len(requests) == 2


async def test_a_partners_webhook_carries_only_its_own_leads_and_readable_fields(
    people: Actors, database_url: str, tmp_path: Path
) -> None:
    manager, partner, clerk = people.manager, people.partner, people.clerk_a
    async with running_receiver() as receiver:
        with serving(database_url, tmp_path, "a") as a:
            async with api(a) as client:
                linked = await new_campaign(client, manager, "Partnerkampagne X")
                other = await new_campaign(client, manager, "Eigene Kampagne Y")
                await mutate_ok(
                    client,
                    people.admin,
                    "linkPartnerCampaigns",
                    {"userId": partner.gid, "campaignIds": [linked]},
                )
                partner_url, manager_url = receiver.url_for("/partner"), receiver.url_for("/all")
                lead_events = ["lead.created", "lead.assigned", "lead.reassigned", "lead.closed"]
                await create_webhook(client, partner, receiver, partner_url, lead_events)
                # The manager's webhook sees everything: when it has it all, so has the fan-out.
                await create_webhook(client, manager, receiver, manager_url, lead_events)
                partners = await new_leads(
                    client, partner, linked, ["Pohl", "Paulsen"], "leads { id }"
                )
                managers_in_x = await new_leads(client, manager, linked, ["Moser"])
                managers_in_y = await new_leads(client, manager, other, ["Yilmaz", "Yorck"])
                everyone = [*partners, *managers_in_x, *managers_in_y]
                await assign(client, manager, [lead["id"] for lead in everyone], clerk)
                # A reassignment's event records the previous clerk, which a partner may not read.
                moved = partners[0]["id"]
                await mutate_ok(
                    client,
                    manager,
                    "reassignLead",
                    {"leadId": moved, "assigneeId": people.clerk_b.gid},
                )
                for lead in everyone:
                    await mutate_ok(
                        client,
                        manager,
                        "closeLead",
                        {"leadId": lead["id"], "outcome": "UNSUCCESSFUL", "reason": "OTHER"},
                    )
                await receiver.wait_for(16 + 7, timeout=WAIT * 2)
                requests = await quiet_then(receiver)
    to_manager = [request for request in requests if request.path == "/all"]
    to_partner = [request for request in requests if request.path == "/partner"]
    assert len(to_manager) == 16
    [managers_view] = [
        body for body in verified_bodies(to_manager) if body["type"] == "lead.reassigned"
    ]
    assert managers_view["data"]["previousAssigneeId"] == clerk.gid
    assert {(body["type"], body["data"]["id"]) for body in verified_bodies(to_partner)} == {
        (event, lead["id"]) for event in lead_events for lead in partners
    } - {("lead.reassigned", partners[1]["id"])}
    for request in to_partner:
        body = request.json()
        assert set(body) == ENVELOPE_KEYS
        assert set(body["data"]) <= PARTNER_LEAD_KEYS, body
        assert body["data"].get("campaignId", linked) == linked
        # No contact data at all (the contacts' emails are NAME@example.com).
        assert "example.com" not in request.body.decode()
    # The partner's secret signed only its own; the manager's its own.
    assert {request.verified_by for request in to_partner} == {(receiver.secrets[0],)}
    assert {request.verified_by for request in to_manager} == {(receiver.secrets[1],)}


async def test_500_twice_then_200_is_one_message_with_three_attempts(
    people: Actors, database_url: str, tmp_path: Path
) -> None:
    manager, clerk = people.manager, people.clerk_a
    async with running_receiver() as receiver:
        receiver.script(Answer(500), Answer(500))
        with serving(database_url, tmp_path, "a") as a:
            async with api(a) as client:
                webhook = await create_webhook(
                    client, manager, receiver, receiver.url, ["lead.assigned"]
                )
                campaign = await new_campaign(client, manager, "Messe Süd")
                [lead] = await new_leads(client, manager, campaign, ["Zander"])
                await assign(client, manager, [lead["id"]], clerk)
                await receiver.wait_for(3, timeout=WAIT)
                [delivery] = await finished_deliveries(client, manager, webhook)
                requests = await quiet_then(receiver, 1.0)
    assert [request.answered for request in requests] == [500, 500, 200]
    bodies = verified_bodies(requests)
    assert len({request.webhook_id for request in requests}) == 1
    assert len({request.body for request in requests}) == 1
    assert bodies[0]["data"]["id"] == lead["id"]
    assert delivery["eventId"] == requests[0].webhook_id
    assert delivery["status"] == "SUCCEEDED"
    assert [attempt["httpStatus"] for attempt in delivery["attempts"]] == [500, 500, 200]
