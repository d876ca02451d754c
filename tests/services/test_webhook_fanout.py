"""The webhook fan-out (services/webhooks/fanout.run_round), on both databases: each committed
event becomes one delivery per active webhook that wants it (event type, campaign filter,
active webhook and owner, created before the event), once, also when rounds run at the same
time; a partner's webhook gets only its own submitted leads in its linked campaigns and none of
the private fields; on PostgreSQL an event id that commits after a larger one is still fanned
out (also 1,200 of them in one transaction, or one open for an hour; beyond its limit the
fan-out waits instead of skipping) and a rolled-back one is given up; the place in the outbox
(gaps as ranges) survives a restart; the statements per round do not grow with the events.
Pruning: the outbox keeps what the fan-out has not read (before its first round: from where it
will start), in batches; the delivery log drops finished deliveries past the kept days."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio
from starlette.applications import Starlette
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.transactions import in_transaction

from leadflow import clock
from leadflow.app import create_app
from leadflow.db.enums import Channel, OpportunityStage, WebhookDeliveryStatus
from leadflow.db.models import (
    Campaign,
    Contact,
    Feedback,
    Lead,
    Opportunity,
    OutboxEvent,
    PartnerCampaign,
    User,
    Webhook,
    WebhookAttempt,
    WebhookCursor,
    WebhookDelivery,
)
from leadflow.db.sql import snapshot_bounds
from leadflow.global_ids import encode_id
from leadflow.live.cursor import MAX_GAPS as HUB_MAX_GAPS
from leadflow.live.cursor import OutboxCursor, gap_ranges_from_json
from leadflow.services import outbox
from leadflow.services.webhooks import fanout
from leadflow.services.webhooks.events import EVENT_TYPES
from leadflow.services.webhooks.housekeeping import prune_deliveries
from leadflow.settings import Settings
from tests.helpers import Actors, QueryCounter

WAIT = 5.0
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
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


class Boom(Exception):
    pass


@pytest_asyncio.fixture
async def app(database_url: str) -> AsyncIterator[Starlette]:
    """The app without its webhook worker (poll 0): the tests run the rounds themselves."""
    EXECUTOR_CACHE.clear()
    application = create_app(Settings(database_url=database_url, webhook_poll_seconds=0.0))
    async with application.router.lifespan_context(application):
        yield application


# --- Making the world ------------------------------------------------------------------------


async def new_lead(campaign: Campaign, *, created_by: User | None = None, **columns: Any) -> Lead:
    contact = await Contact.create(last_name="Berg", email=None)
    return await Lead.create(campaign=campaign, contact=contact, created_by=created_by, **columns)


async def new_webhook(
    owner: User,
    events: Iterable[str],
    campaigns: Sequence[Campaign] | None = None,
    **columns: Any,
) -> Webhook:
    return await Webhook.create(
        owner=owner,
        url="https://receiver.example/hook",
        events=list(events),
        campaign_ids=None if campaigns is None else [c.id for c in campaigns],
        secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        **columns,
    )


def lead_event(topic: str, lead: Lead, **payload: object) -> outbox.Event:
    return outbox.Event(
        topic,
        lead_id=lead.id,
        campaign_id=lead.campaign_id,
        payload={"leadId": lead.id, "campaignId": lead.campaign_id, **payload},
    )


async def publish(*events: outbox.Event) -> None:
    async with in_transaction():
        await outbox.publish(events)


async def deliveries_of(webhook: Webhook) -> list[WebhookDelivery]:
    return list(await WebhookDelivery.filter(webhook_id=webhook.id).order_by("event_id"))


def data_of(delivery: WebhookDelivery) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(delivery.body)
    return body["data"]


async def held_open(
    *events: outbox.Event, fails: bool = False
) -> tuple[asyncio.Task[None], asyncio.Event]:
    """A change whose event ids are taken and whose transaction stays open until the returned
    event is set; then it commits (or, `fails`, rolls back with Boom)."""
    holding, release = asyncio.Event(), asyncio.Event()

    async def change() -> None:
        async with in_transaction():
            await outbox.publish(events)
            holding.set()
            await release.wait()
            if fails:
                raise Boom

    task = asyncio.create_task(change())
    await asyncio.wait_for(holding.wait(), WAIT)
    return task, release


# --- Who gets what ---------------------------------------------------------------------------


async def test_each_matching_webhook_gets_one_delivery_per_event(actors: Actors) -> None:
    manager, admin = actors.manager.user, actors.admin.user
    fair, expo = await Campaign.create(name="Messe"), await Campaign.create(name="Expo")
    at_fair, at_expo = await new_lead(fair), await new_lead(expo)
    gone = actors.manager2.user
    every = await new_webhook(manager, [outbox.LEAD_ASSIGNED])
    fair_only = await new_webhook(admin, [outbox.LEAD_ASSIGNED], [fair])
    closes_only = await new_webhook(manager, [outbox.LEAD_CLOSED])
    inactive = await new_webhook(manager, [outbox.LEAD_ASSIGNED], active=False)
    of_gone = await new_webhook(gone, [outbox.LEAD_ASSIGNED])
    gone.active = False
    await gone.save()

    await publish(
        lead_event(outbox.LEAD_ASSIGNED, at_fair, assigneeId=actors.clerk_a.user.id),
        lead_event(outbox.LEAD_ASSIGNED, at_expo),
        outbox.Event(outbox.LEAD_CHANGED, lead_id=at_fair.id, campaign_id=fair.id),
    )
    later = await new_webhook(manager, [outbox.LEAD_ASSIGNED])

    assert await fanout.run_round() == 3
    assert await fanout.run_round() == 0  # once

    assert [d.lead_id for d in await deliveries_of(every)] == [at_fair.id, at_expo.id]
    assert [d.lead_id for d in await deliveries_of(fair_only)] == [at_fair.id]
    for unwanted in (closes_only, inactive, of_gone, later):
        assert await deliveries_of(unwanted) == []
    first = (await deliveries_of(every))[0]
    body = json.loads(first.body)
    assert list(body) == ["type", "id", "timestamp", "data"]
    assert (body["type"], body["id"]) == (outbox.LEAD_ASSIGNED, f"evt_{first.event_id}")
    assert (first.message_id, first.event_type) == (body["id"], outbox.LEAD_ASSIGNED)
    assert TIMESTAMP.match(body["timestamp"])
    assert (first.status, first.attempts) == (WebhookDeliveryStatus.PENDING, 0)
    assert first.next_attempt_at is not None and first.next_attempt_at <= clock.now()
    assert body["data"]["id"] == encode_id("Lead", at_fair.id)
    assert body["data"]["campaignId"] == encode_id("Campaign", fair.id)
    assert body["data"]["status"] == "NEW"  # as the lead stands at fan-out
    # Compact, in the order written: the exact bytes that are signed and sent.
    assert first.body == json.dumps(body, separators=(",", ":"))


async def test_a_lead_event_carries_the_lead_as_it_stands(actors: Actors) -> None:
    clerk, other = actors.clerk_a.user, actors.clerk_b.user
    fair = await Campaign.create(name="Messe")
    lead = await new_lead(fair, assignee=clerk, assigned_at=clock.now())
    feedback = await Feedback.create(lead=lead, author=clerk, channel=Channel.PHONE, note="Rückruf")
    hook = await new_webhook(
        actors.manager.user, [outbox.LEAD_REASSIGNED, outbox.LEAD_FEEDBACK_RECORDED]
    )
    await publish(
        lead_event(outbox.LEAD_REASSIGNED, lead, assigneeId=clerk.id, previousAssigneeId=other.id),
        lead_event(outbox.LEAD_FEEDBACK_RECORDED, lead, feedbackId=feedback.id),
    )
    await fanout.run_round()

    reassigned, recorded = [data_of(d) for d in await deliveries_of(hook)]
    assert reassigned["assigneeId"] == encode_id("User", clerk.id)
    assert reassigned["previousAssigneeId"] == encode_id("User", other.id)
    assert reassigned["status"] == "ACTIVE" and TIMESTAMP.match(reassigned["assignedAt"])
    assert (reassigned["closedAt"], reassigned["outcome"]) == (None, None)
    assert recorded["channel"] == "PHONE" and "previousAssigneeId" not in recorded
    assert "note" not in json.dumps(recorded)


async def test_a_partners_webhook_gets_only_its_own_leads_in_its_campaigns(actors: Actors) -> None:
    partner, manager = actors.partner.user, actors.manager.user
    linked, other = (
        await Campaign.create(name="Partnerkampagne"),
        await Campaign.create(name="Intern"),
    )
    await PartnerCampaign.create(partner=partner, campaign=linked)
    own = await new_lead(linked, created_by=partner)
    colleagues = await new_lead(linked, created_by=manager)
    own_elsewhere = await new_lead(other, created_by=partner)
    topics = [
        outbox.LEAD_ASSIGNED,
        outbox.LEAD_REASSIGNED,
        outbox.LEAD_FEEDBACK_RECORDED,  # refused when created; the fan-out refuses it too
        outbox.CONTACT_UPDATED,
    ]
    partners = await new_webhook(partner, topics)
    managers = await new_webhook(manager, topics)
    clerk = actors.clerk_a.user
    await publish(
        lead_event(outbox.LEAD_ASSIGNED, own, assigneeId=clerk.id),
        lead_event(outbox.LEAD_ASSIGNED, colleagues),
        lead_event(outbox.LEAD_ASSIGNED, own_elsewhere),
        lead_event(outbox.LEAD_REASSIGNED, own, previousAssigneeId=actors.clerk_b.user.id),
        lead_event(outbox.LEAD_FEEDBACK_RECORDED, own),
        outbox.Event(outbox.CONTACT_UPDATED, payload={"contactId": own.contact_id}),
    )
    await fanout.run_round()

    received = await deliveries_of(partners)
    assert [(d.event_type, d.lead_id) for d in received] == [
        (outbox.LEAD_ASSIGNED, own.id),
        (outbox.LEAD_REASSIGNED, own.id),
    ]
    for delivery in received:
        data = data_of(delivery)
        assert set(data) == PARTNER_LEAD_KEYS  # no previous clerk, feedback or contact
        assert data["id"] == encode_id("Lead", own.id)
    assert len(await deliveries_of(managers)) == 6
    managers_reassigned = next(
        d for d in await deliveries_of(managers) if d.event_type == outbox.LEAD_REASSIGNED
    )
    assert "previousAssigneeId" in data_of(managers_reassigned)
    # The same event, two audiences: the manager's body is not the partner's.
    assert managers_reassigned.body != received[1].body
    assert managers_reassigned.message_id == received[1].message_id


async def test_a_partners_webhook_follows_its_links_at_fan_out(actors: Actors) -> None:
    partner = actors.partner.user
    fair = await Campaign.create(name="Messe")
    link = await PartnerCampaign.create(partner=partner, campaign=fair)
    lead = await new_lead(fair, created_by=partner)
    hook = await new_webhook(partner, [outbox.LEAD_CLOSED, outbox.LEAD_REOPENED])
    await publish(lead_event(outbox.LEAD_CLOSED, lead))
    await fanout.run_round()
    await link.delete()  # unlinked: what follows is none of its business
    await publish(lead_event(outbox.LEAD_REOPENED, lead))
    await fanout.run_round()
    assert [d.event_type for d in await deliveries_of(hook)] == [outbox.LEAD_CLOSED]


async def test_a_contact_event_goes_to_the_campaigns_of_the_contacts_leads(actors: Actors) -> None:
    manager = actors.manager.user
    fair, expo = await Campaign.create(name="Messe"), await Campaign.create(name="Expo")
    lead = await new_lead(fair)
    every = await new_webhook(manager, [outbox.CONTACT_UPDATED])
    fair_only = await new_webhook(manager, [outbox.CONTACT_UPDATED], [fair])
    expo_only = await new_webhook(manager, [outbox.CONTACT_UPDATED], [expo])
    await publish(
        outbox.Event(
            outbox.CONTACT_UPDATED, payload={"contactId": lead.contact_id, "fields": ["phone"]}
        )
    )
    await fanout.run_round()

    [delivery] = await deliveries_of(every)
    assert data_of(delivery) == {"id": encode_id("Contact", lead.contact_id), "fields": ["phone"]}
    assert delivery.lead_id is None
    assert len(await deliveries_of(fair_only)) == 1
    assert await deliveries_of(expo_only) == []


async def test_an_opportunity_event_counts_for_its_leads_campaign(actors: Actors) -> None:
    manager, clerk = actors.manager.user, actors.clerk_a.user
    fair, expo = await Campaign.create(name="Messe"), await Campaign.create(name="Expo")
    lead = await new_lead(fair)
    opportunity = await Opportunity.create(
        title="Anlage",
        contact_id=lead.contact_id,
        lead=lead,
        owner=clerk,
        stage=OpportunityStage.PROPOSAL,
    )
    without_lead = await Opportunity.create(title="Direkt", contact_id=lead.contact_id, owner=clerk)
    fair_only = await new_webhook(manager, [outbox.OPPORTUNITY_STAGE_CHANGED], [fair])
    expo_only = await new_webhook(manager, [outbox.OPPORTUNITY_STAGE_CHANGED], [expo])
    every = await new_webhook(manager, [outbox.OPPORTUNITY_STAGE_CHANGED])
    stage_changed = {"stage": "PROPOSAL", "previousStage": "QUALIFIED"}
    await publish(
        # No campaign on the event: the fan-out finds it through the opportunity's lead.
        outbox.Event(
            outbox.OPPORTUNITY_STAGE_CHANGED, opportunity_id=opportunity.id, payload=stage_changed
        ),
        outbox.Event(
            outbox.OPPORTUNITY_STAGE_CHANGED, opportunity_id=without_lead.id, payload=stage_changed
        ),
    )
    await fanout.run_round()

    [delivery] = await deliveries_of(fair_only)
    assert data_of(delivery) == {
        "id": encode_id("Opportunity", opportunity.id),
        "leadId": encode_id("Lead", lead.id),
        "ownerId": encode_id("User", clerk.id),
        "stage": "PROPOSAL",
        "previousStage": "QUALIFIED",
    }
    assert await deliveries_of(expo_only) == []
    assert len(await deliveries_of(every)) == 2  # the one without a campaign: no filter only
    assert data_of((await deliveries_of(every))[1])["leadId"] is None


async def test_a_lead_deleted_since_is_sent_by_its_id_alone(actors: Actors) -> None:
    fair = await Campaign.create(name="Messe")
    lead = await new_lead(fair)
    hook = await new_webhook(actors.manager.user, [outbox.LEAD_CREATED])
    partners = await new_webhook(actors.partner.user, [outbox.LEAD_CREATED])
    await publish(lead_event(outbox.LEAD_CREATED, lead))
    await lead.delete()
    await fanout.run_round()
    [delivery] = await deliveries_of(hook)
    assert data_of(delivery) == {"id": encode_id("Lead", lead.id)}
    assert await deliveries_of(partners) == []  # whose lead it was cannot be told any more


async def test_events_before_the_first_webhook_are_not_replayed(actors: Actors) -> None:
    fair = await Campaign.create(name="Messe")
    lead = await new_lead(fair)
    await publish(lead_event(outbox.LEAD_CREATED, lead))
    hook = await new_webhook(actors.manager.user, [outbox.LEAD_CREATED, outbox.LEAD_CLOSED])
    await publish(lead_event(outbox.LEAD_CLOSED, lead))
    await fanout.run_round()
    assert [d.event_type for d in await deliveries_of(hook)] == [outbox.LEAD_CLOSED]


async def test_events_nobody_wants_move_the_place_on(actors: Actors) -> None:
    await publish(outbox.Event(outbox.NOTIFICATION_ADDED), outbox.Event(outbox.LEAD_CHANGED))
    assert await fanout.run_round() == 0
    newest = await OutboxEvent.all().order_by("-id").first()
    assert newest is not None
    cursor = await WebhookCursor.get(id=outbox.WEBHOOK_CURSOR_ID)
    assert (cursor.high, cursor.gaps) == (newest.id, [])


async def test_two_rounds_at_once_create_each_delivery_once(actors: Actors) -> None:
    fair = await Campaign.create(name="Messe")
    lead = await new_lead(fair)
    hooks = [
        await new_webhook(actors.manager.user, [outbox.LEAD_CHANGED, outbox.LEAD_CLOSED])
        for _ in range(2)
    ]
    hooks.append(await new_webhook(actors.admin.user, [outbox.LEAD_CLOSED]))
    events = [lead_event(outbox.LEAD_CLOSED, lead) for _ in range(fanout.BATCH + 100)]
    await publish(*events)  # more than a batch: each round goes on while full

    created = await asyncio.gather(*(fanout.run_round() for _ in range(3)))
    created_later = await fanout.run_round()

    expected = len(events) * len(hooks)
    assert sum(created) + created_later == expected
    rows = await WebhookDelivery.all().values_list("webhook_id", "event_id")
    assert len(rows) == expected and len(set(rows)) == expected


async def test_the_statements_of_a_round_do_not_grow_with_its_events(actors: Actors) -> None:
    partner = actors.partner.user
    fair = await Campaign.create(name="Messe")
    await PartnerCampaign.create(partner=partner, campaign=fair)
    lead = await new_lead(fair, created_by=partner)
    opportunity = await Opportunity.create(
        title="Anlage", contact_id=lead.contact_id, lead=lead, owner=actors.clerk_a.user
    )
    await new_webhook(actors.manager.user, EVENT_TYPES, [fair])
    await new_webhook(partner, [outbox.LEAD_CLOSED])
    await fanout.run_round()  # the first one finds where to start

    async def counted_round(times: int) -> int:
        batch = []
        for _ in range(times):
            batch += [
                lead_event(outbox.LEAD_CLOSED, lead),
                lead_event(outbox.LEAD_FEEDBACK_RECORDED, lead, feedbackId=1),
                outbox.Event(
                    outbox.OPPORTUNITY_CREATED, lead_id=lead.id, opportunity_id=opportunity.id
                ),
                outbox.Event(outbox.CONTACT_UPDATED, payload={"contactId": lead.contact_id}),
            ]
        await publish(*batch)
        with QueryCounter() as counter:
            assert await fanout.run_round() == 5 * times  # the partner's: the closes
        return counter.count

    assert await counted_round(2) == await counted_round(40)


async def test_an_idle_round_only_looks(actors: Actors) -> None:
    """Every wake-up and poll of every instance runs a round: with nothing new it reads two
    rows and writes nothing (no transaction, no SQLite write lock)."""
    await new_webhook(actors.manager.user, [outbox.LEAD_CLOSED])
    await publish(outbox.Event(outbox.LEAD_CHANGED))
    await fanout.run_round()
    with QueryCounter() as counter:
        assert await fanout.run_round() == 0
    assert len(counter.statements) == 2
    assert all(statement.startswith("SELECT") for statement in counter.statements)


# --- The place in the outbox -----------------------------------------------------------------


async def test_the_place_survives_a_restart(actors: Actors) -> None:
    fair = await Campaign.create(name="Messe")
    lead = await new_lead(fair)
    hook = await new_webhook(actors.manager.user, [outbox.LEAD_CLOSED])
    await publish(lead_event(outbox.LEAD_CLOSED, lead))
    await fanout.run_round()
    first_high = (await WebhookCursor.get(id=outbox.WEBHOOK_CURSOR_ID)).high

    await publish(lead_event(outbox.LEAD_CLOSED, lead), lead_event(outbox.LEAD_CLOSED, lead))
    assert await fanout.run_round() == 2  # each round starts from the stored place
    delivered = [d.event_id for d in await deliveries_of(hook)]
    assert delivered == [first_high, first_high + 1, first_high + 2]


def test_a_cursor_is_restored_from_what_it_saved() -> None:
    saved = [(30, 39, 1000, 12.5), (40, 40, 1001, 13.0), (42, 44, 1001, 13.0)]
    cursor = OutboxCursor.restored(50, saved, clock=time.time)
    assert (cursor.high, cursor.gaps) == (50, {*range(30, 41), 42, 43, 44})
    assert cursor.saved_gaps() == saved  # consecutive ids of one read are one range
    # The row's JSON: the ranges, or the first form (one entry per id) of older rows.
    assert gap_ranges_from_json([[30, 39, 1000, 12.5]]) == [(30, 39, 1000, 12.5)]
    first_form = {"41": [1001, 13.0], "40": [1000, 12.5]}
    assert gap_ranges_from_json(first_form) == [(41, 41, 1001, 13.0), (40, 40, 1000, 12.5)]
    restored = OutboxCursor.restored(42, gap_ranges_from_json(first_form), clock=time.time)
    assert restored.saved_gaps() == [(40, 40, 1000, 12.5), (41, 41, 1001, 13.0)]
    assert gap_ranges_from_json({}) == [] == gap_ranges_from_json([])


@pytest.mark.parametrize("started", [True, False], ids=["running", "first-round"])
async def test_a_smaller_id_that_commits_later_is_still_fanned_out(
    actors: Actors, backend: str, started: bool
) -> None:
    if backend != "postgres":
        pytest.skip("SQLite runs one writer at a time: ids are committed in their order")
    fair = await Campaign.create(name="Messe")
    slow_lead, quick_lead = await new_lead(fair), await new_lead(fair)
    hook = await new_webhook(actors.manager.user, [outbox.LEAD_CLOSED])
    if started:
        await fanout.run_round()
    # Else the first round ever meets the open transaction: it starts after the events from
    # before the first webhook, not after the first visible one.
    slow, release = await held_open(lead_event(outbox.LEAD_CLOSED, slow_lead))
    await publish(lead_event(outbox.LEAD_CLOSED, quick_lead))

    assert await fanout.run_round() == 1
    stored = await WebhookCursor.get(id=outbox.WEBHOOK_CURSOR_ID)
    [quick] = await deliveries_of(hook)
    [[first, last, _horizon, _since]] = stored.gaps  # saved with the place
    assert first == last == quick.event_id - 1

    release.set()
    await slow
    assert await fanout.run_round() == 1  # a new round: the gap restored from the row
    assert [d.lead_id for d in await deliveries_of(hook)] == [slow_lead.id, quick_lead.id]
    assert (await WebhookCursor.get(id=outbox.WEBHOOK_CURSOR_ID)).gaps == []
    assert await fanout.run_round() == 0


async def test_a_rolled_back_smaller_id_is_given_up(actors: Actors, backend: str) -> None:
    if backend != "postgres":
        pytest.skip("SQLite runs one writer at a time: no id is in flight beside a reader")
    fair = await Campaign.create(name="Messe")
    lead = await new_lead(fair)
    hook = await new_webhook(actors.manager.user, [outbox.LEAD_CLOSED])
    await fanout.run_round()
    failing, release = await held_open(lead_event(outbox.LEAD_CLOSED, lead), fails=True)
    await publish(lead_event(outbox.LEAD_REOPENED, lead), lead_event(outbox.LEAD_CLOSED, lead))
    await fanout.run_round()
    stored = await WebhookCursor.get(id=outbox.WEBHOOK_CURSOR_ID)
    [[gap, _last, horizon, _since]] = stored.gaps

    release.set()
    with pytest.raises(Boom):
        await failing
    # Given up once every transaction running when the gap was seen has ended (other sessions
    # of this cluster may keep one open a while: wait for that first).
    for _ in range(600):
        bounds = await snapshot_bounds()
        assert bounds is not None
        if bounds.xmin > horizon:
            break
        await asyncio.sleep(0.1)
    else:
        pytest.skip("another session kept a transaction open for a minute")
    assert await fanout.run_round() == 0
    assert (await WebhookCursor.get(id=outbox.WEBHOOK_CURSOR_ID)).gaps == []
    assert len(await deliveries_of(hook)) == 1 and int(gap) not in [
        d.event_id for d in await deliveries_of(hook)
    ]


async def fan_out_all() -> int:
    created = 0
    while count := await fanout.run_round():
        created += count
    return created


async def test_a_big_transaction_overtaken_by_a_small_commit_is_fanned_out_whole(
    actors: Actors, backend: str
) -> None:
    """More missing ids than the live hub tracks (an assignment writes up to 10,000 events in
    one transaction): the fan-out waits for every one of them, kept as one range in its row."""
    if backend != "postgres":
        pytest.skip("SQLite runs one writer at a time: ids are committed in their order")
    big = HUB_MAX_GAPS + 200
    fair = await Campaign.create(name="Messe")
    slow_lead, quick_lead = await new_lead(fair), await new_lead(fair)
    hook = await new_webhook(actors.manager.user, [outbox.LEAD_ASSIGNED])
    await fanout.run_round()
    slow, release = await held_open(
        *(lead_event(outbox.LEAD_ASSIGNED, slow_lead) for _ in range(big))
    )
    await publish(lead_event(outbox.LEAD_ASSIGNED, quick_lead))

    assert await fan_out_all() == 1
    stored = await WebhookCursor.get(id=outbox.WEBHOOK_CURSOR_ID)
    [quick] = await deliveries_of(hook)
    [[first, last, _horizon, _since]] = stored.gaps
    assert (first, last, stored.high) == (quick.event_id - big, quick.event_id - 1, quick.event_id)

    release.set()
    await slow
    assert await fan_out_all() == big
    delivered = [d.event_id for d in await deliveries_of(hook)]
    assert delivered == list(range(quick.event_id - big, quick.event_id + 1))  # each once
    assert (await WebhookCursor.get(id=outbox.WEBHOOK_CURSOR_ID)).gaps == []


async def test_beyond_its_gap_limit_the_fan_out_waits_instead_of_skipping(
    actors: Actors, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if backend != "postgres":
        pytest.skip("SQLite runs one writer at a time: ids are committed in their order")
    monkeypatch.setattr(fanout, "MAX_GAPS", 3)
    fair = await Campaign.create(name="Messe")
    slow_lead, quick_lead = await new_lead(fair), await new_lead(fair)
    hook = await new_webhook(actors.manager.user, [outbox.LEAD_ASSIGNED])
    await fanout.run_round()
    slow, release = await held_open(
        *(lead_event(outbox.LEAD_ASSIGNED, slow_lead) for _ in range(5))
    )
    await publish(lead_event(outbox.LEAD_ASSIGNED, quick_lead))

    # Three missing ids tracked, the place just below the fourth: the quick event waits.
    assert await fan_out_all() == 0
    stored = await WebhookCursor.get(id=outbox.WEBHOOK_CURSOR_ID)
    [[first, last, _horizon, _since]] = stored.gaps
    assert (last - first, stored.high) == (2, last)
    assert await deliveries_of(hook) == []

    release.set()
    await slow
    assert await fan_out_all() == 6
    delivered = [d.event_id for d in await deliveries_of(hook)]
    assert delivered == list(range(first, first + 6))
    assert [d.lead_id for d in await deliveries_of(hook)] == [slow_lead.id] * 5 + [quick_lead.id]
    assert (await WebhookCursor.get(id=outbox.WEBHOOK_CURSOR_ID)).gaps == []


async def test_a_gap_open_for_an_hour_is_still_awaited(actors: Actors, backend: str) -> None:
    """The live hub gives a gap up after 5 minutes (its subscribers refetch); the fan-out
    cannot refetch: it waits for a transaction that is still open far longer."""
    if backend != "postgres":
        pytest.skip("SQLite runs one writer at a time: ids are committed in their order")
    fair = await Campaign.create(name="Messe")
    slow_lead, quick_lead = await new_lead(fair), await new_lead(fair)
    hook = await new_webhook(actors.manager.user, [outbox.LEAD_CLOSED])
    await fanout.run_round()
    slow, release = await held_open(lead_event(outbox.LEAD_CLOSED, slow_lead))
    await publish(lead_event(outbox.LEAD_CLOSED, quick_lead))
    assert await fanout.run_round() == 1
    [[first, last, horizon, _since]] = (await WebhookCursor.get(id=outbox.WEBHOOK_CURSOR_ID)).gaps
    an_hour_ago = time.time() - 3600
    await WebhookCursor.filter(id=outbox.WEBHOOK_CURSOR_ID).update(
        gaps=[[first, last, horizon, an_hour_ago]]
    )

    assert await fanout.run_round() == 0
    assert (await WebhookCursor.get(id=outbox.WEBHOOK_CURSOR_ID)).gaps == [
        [first, last, horizon, an_hour_ago]
    ]
    release.set()
    await slow
    assert await fanout.run_round() == 1
    assert [d.lead_id for d in await deliveries_of(hook)] == [slow_lead.id, quick_lead.id]


@pytest.mark.parametrize("lossless", [False, True], ids=["live-hub", "fan-out"])
async def test_too_many_missing_ids_are_skipped_by_the_hubs_cursor_only(
    actors: Actors, backend: str, lossless: bool
) -> None:
    if backend != "postgres":
        pytest.skip("SQLite runs one writer at a time: ids are committed in their order")
    fair = await Campaign.create(name="Messe")
    slow_lead, quick_lead = await new_lead(fair), await new_lead(fair)
    cursor = await OutboxCursor.at_newest()
    cursor = OutboxCursor(cursor.high, max_gaps=2, lossless=lossless)
    slow, release = await held_open(*(lead_event(outbox.LEAD_CLOSED, slow_lead) for _ in range(3)))
    await publish(lead_event(outbox.LEAD_CLOSED, quick_lead))
    start = cursor.high

    events, _more = await cursor.read()
    if lossless:  # two tracked, the place below the third: the quick one waits
        assert (events, cursor.high, cursor.gaps) == ([], start + 2, {start + 1, start + 2})
        assert not cursor.take_lost_track()
    else:  # none tracked, moved past them, and said so (the hub's subscribers refetch)
        assert [e.lead_id for e in events] == [quick_lead.id]
        assert (cursor.high, cursor.gaps) == (start + 4, frozenset())
        assert cursor.take_lost_track()
    release.set()
    await slow
    events, _more = await cursor.read()
    read = [e.lead_id for e in events]
    assert read == ([slow_lead.id] * 3 + [quick_lead.id] if lossless else [])


# --- Pruning ---------------------------------------------------------------------------------


async def test_the_outbox_keeps_what_the_fan_out_has_not_read(actors: Actors) -> None:
    fair = await Campaign.create(name="Messe")
    lead = await new_lead(fair)
    await new_webhook(actors.manager.user, [outbox.LEAD_CLOSED])
    await publish(lead_event(outbox.LEAD_CLOSED, lead))
    await fanout.run_round()  # read up to here
    await publish(*(lead_event(outbox.LEAD_CLOSED, lead) for _ in range(3)))
    read, *unread = [event.id for event in await OutboxEvent.all().order_by("id")]
    await OutboxEvent.all().update(created_at=clock.now() - timedelta(hours=100))

    assert await outbox.prune(keep_hours=1) == 1
    assert [e.id for e in await OutboxEvent.all().order_by("id")] == unread
    # An id awaited below the place (a gap) is kept too.
    await WebhookCursor.filter(id=outbox.WEBHOOK_CURSOR_ID).update(
        high=unread[-1], gaps=[[unread[1], unread[1], 1, 0.0]]
    )
    assert await outbox.prune(keep_hours=1) == 1
    assert [e.id for e in await OutboxEvent.all().order_by("id")] == unread[1:]
    # Without an active webhook nothing waits for them.
    await Webhook.all().update(active=False)
    assert await outbox.prune(keep_hours=1) == 1
    assert [e.id for e in await OutboxEvent.all().order_by("id")] == unread[2:]
    assert read not in unread


async def test_finished_deliveries_past_the_kept_days_are_pruned(
    actors: Actors, monkeypatch: pytest.MonkeyPatch
) -> None:
    hook = await new_webhook(actors.manager.user, [outbox.LEAD_CLOSED])
    monkeypatch.setattr("leadflow.services.webhooks.housekeeping.PRUNE_BATCH", 2)
    old, recent = clock.now() - timedelta(days=31), clock.now() - timedelta(days=29)

    async def delivery(status: WebhookDeliveryStatus, created_at: Any) -> WebhookDelivery:
        made = await WebhookDelivery.create(
            webhook=hook,
            event_id=1,
            message_id="evt_1",
            event_type=outbox.LEAD_CLOSED,
            body="{}",
            status=status,
        )
        await WebhookDelivery.filter(id=made.id).update(created_at=created_at)
        await WebhookAttempt.create(delivery=made, at=created_at, http_status=200, duration_ms=5)
        return made

    doomed = [
        await delivery(WebhookDeliveryStatus.SUCCEEDED, old),
        await delivery(WebhookDeliveryStatus.FAILED, old),
        await delivery(WebhookDeliveryStatus.SUCCEEDED, old - timedelta(days=1)),
    ]
    kept = [
        await delivery(WebhookDeliveryStatus.PENDING, old),  # still being retried
        await delivery(WebhookDeliveryStatus.SUCCEEDED, recent),
    ]
    assert await prune_deliveries(30) == len(doomed)  # in batches of 2
    assert {d.id for d in await WebhookDelivery.all()} == {d.id for d in kept}
    assert await WebhookAttempt.filter(delivery_id__in=[d.id for d in doomed]).count() == 0
    assert await WebhookAttempt.all().count() == len(kept)
    assert await prune_deliveries() == 0  # the configured 30 days


async def test_the_outbox_is_pruned_in_batches(
    actors: Actors, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox, "PRUNE_BATCH", 2)
    await publish(*(outbox.Event(outbox.LEAD_CHANGED) for _ in range(6)))
    *old, newest = [event.id for event in await OutboxEvent.all().order_by("id")]
    await OutboxEvent.all().update(created_at=clock.now() - timedelta(hours=100))
    with QueryCounter() as counter:
        assert await outbox.prune(keep_hours=1) == len(old)  # the newest always stays
    deletes = [s for s in counter.statements if s.startswith("DELETE")]
    assert len(deletes) == 3  # 2 + 2 + 1
    assert [e.id for e in await OutboxEvent.all()] == [newest]


async def test_before_the_first_round_the_outbox_keeps_where_it_will_start(
    actors: Actors,
) -> None:
    """No place stored yet (no round ran): the first round will start at the newest event from
    before the oldest active webhook; that event and those after it stay."""
    fair = await Campaign.create(name="Messe")
    lead = await new_lead(fair)
    long_ago = clock.now() - timedelta(hours=300)
    switched_off = await new_webhook(actors.manager.user, [outbox.LEAD_CLOSED], active=False)
    await Webhook.filter(id=switched_off.id).update(created_at=long_ago)
    hook = await new_webhook(actors.manager.user, [outbox.LEAD_CLOSED])
    await Webhook.filter(id=hook.id).update(created_at=long_ago + timedelta(hours=100))
    await publish(*(lead_event(outbox.LEAD_CLOSED, lead) for _ in range(6)))
    ids = [event.id for event in await OutboxEvent.all().order_by("id")]
    older, start, since, newest = ids[:2], ids[2], ids[3:5], ids[5]
    for event_ids, hours in ((older, 20), ([start], 50), (since, 150)):
        await OutboxEvent.filter(id__in=event_ids).update(
            created_at=long_ago + timedelta(hours=hours)
        )
    assert await WebhookCursor.get_or_none(id=outbox.WEBHOOK_CURSOR_ID) is None
    assert await outbox.webhook_starting_place() == start

    assert await outbox.prune(keep_hours=1) == len(older)
    assert [e.id for e in await OutboxEvent.all().order_by("id")] == [start, *since, newest]
    assert await fanout.run_round() == 3  # the first round sends those after the start
    assert [d.event_id for d in await deliveries_of(hook)] == [*since, newest]
    assert await outbox.prune(keep_hours=1) == 3  # read: no longer kept
    # Without an active webhook the first round would start after the newest event.
    await Webhook.all().update(active=False)
    assert await outbox.webhook_starting_place() is None
