"""The notification service: one notification per clerk per batch, the texts, once-keys, the
outbox event per notification, and that notifications live and die with the transaction of
what they announce."""

from __future__ import annotations

import pytest
from tortoise.transactions import in_transaction

from leadflow.db.enums import NotificationKind
from leadflow.db.models import Campaign, Lead, Notification, OutboxEvent
from leadflow.services import campaigns, leads, notifications, outbox
from leadflow.services.leads import LeadIntake
from leadflow.services.notifications import NewNotification


async def new_campaign(actors, name: str = "Messe Süd") -> Campaign:
    return await campaigns.create_campaign(actors.manager.user, name)


async def intake(actors, campaign: Campaign, count: int, prefix: str = "p") -> list[Lead]:
    return await leads.create_leads(
        actors.manager.user,
        campaign.id,
        [
            LeadIntake(last_name=f"Person {i}", first_name="Pat", email=f"{prefix}{i}@example.com")
            for i in range(count)
        ],
    )


async def notification_events() -> list[OutboxEvent]:
    return list(await OutboxEvent.filter(topic=outbox.NOTIFICATION_ADDED).order_by("id").all())


async def test_a_batch_of_500_leads_is_one_notification_per_clerk(actors):
    campaign = await new_campaign(actors)
    batch = await intake(actors, campaign, 500)
    clerk_a, clerk_b = actors.clerk_a.user, actors.clerk_b.user
    async with in_transaction():
        created = await notifications.notify_leads_assigned(
            actors.manager.user, {clerk_a.id: batch[:499], clerk_b.id: batch[499:]}
        )

    rows = await Notification.all().order_by("id")
    assert [(row.user_id, row.kind) for row in rows] == [
        (clerk_a.id, NotificationKind.LEAD_ASSIGNED),
        (clerk_b.id, NotificationKind.LEAD_ASSIGNED),
    ]
    assert [row.id for row in created] == [row.id for row in rows]
    assert rows[0].message == "499 neue Leads aus Messe Süd"
    assert rows[0].lead_id is None
    # One lead is named and linked.
    assert rows[1].message == "Neuer Lead: Pat Person 499"
    assert rows[1].lead_id == batch[499].id
    assert rows[0].read_at is None and rows[0].created_at is not None

    events = await notification_events()
    assert [(event.user_ids, event.payload["notificationId"]) for event in events] == [
        ([clerk_a.id], rows[0].id),
        ([clerk_b.id], rows[1].id),
    ]


async def test_leads_of_several_campaigns_name_the_number_of_campaigns(actors):
    spring = await new_campaign(actors, "Frühjahr")
    autumn = await new_campaign(actors, "Herbst")
    batch = [*await intake(actors, spring, 3, "s"), *await intake(actors, autumn, 4, "h")]
    async with in_transaction():
        await notifications.notify_leads_assigned(
            actors.manager.user, {actors.clerk_a.user.id: batch}
        )
    [row] = await Notification.all()
    assert row.message == "7 neue Leads aus 2 Kampagnen"


async def test_a_company_names_the_lead_and_nobody_is_told_of_their_own_doing(actors):
    campaign = await new_campaign(actors)
    [lead] = await leads.create_leads(
        actors.manager.user,
        campaign.id,
        [LeadIntake(last_name="Müller", company="Müller GmbH", email="m@example.com")],
    )
    clerk_a = actors.clerk_a.user
    async with in_transaction():
        assert await notifications.notify_leads_assigned(clerk_a, {clerk_a.id: [lead]}) == []
        await notifications.notify_leads_assigned(actors.manager.user, {clerk_a.id: [lead]})
    [row] = await Notification.all()
    assert row.message == "Neuer Lead: Müller GmbH"


async def test_a_rolled_back_transaction_leaves_no_notification_and_no_event(actors):
    campaign = await new_campaign(actors)
    batch = await intake(actors, campaign, 3)
    before = await OutboxEvent.all().count()
    with pytest.raises(RuntimeError):
        async with in_transaction():
            await notifications.notify_leads_assigned(
                actors.manager.user, {actors.clerk_a.user.id: batch}
            )
            assert await Notification.all().count() == 1
            raise RuntimeError("the assignment fails after the notification was written")
    assert await Notification.all().count() == 0
    assert await OutboxEvent.all().count() == before


async def test_a_once_key_is_notified_once(actors):
    clerk = actors.clerk_a.user
    row = NewNotification(
        clerk.id, NotificationKind.LEADS_WAITING, "3 Leads warten", once_key="waiting:1:x"
    )
    async with in_transaction():
        first = await notifications.create_notifications([row, row])
    async with in_transaction():
        again = await notifications.create_notifications([row])
    assert len(first) == 1 and again == []
    assert await Notification.all().count() == 1
    assert len(await notification_events()) == 1


async def test_reassignment_tells_both_clerks(actors):
    campaign = await new_campaign(actors)
    [lead] = await leads.create_leads(
        actors.manager.user,
        campaign.id,
        [LeadIntake(last_name="Müller", company="Müller GmbH", email="m@example.com")],
    )
    clerk_a, clerk_b = actors.clerk_a.user, actors.clerk_b.user
    async with in_transaction():
        await notifications.notify_lead_reassigned(
            actors.manager.user, lead, clerk_a.id, clerk_b.id
        )
    rows = await Notification.all().order_by("id")
    assert [(row.user_id, row.kind, row.message, row.lead_id) for row in rows] == [
        (
            clerk_a.id,
            NotificationKind.LEAD_REASSIGNED_AWAY,
            "Lead Müller GmbH wurde an Bruno Clerk übertragen",
            lead.id,
        ),
        (clerk_b.id, NotificationKind.LEAD_ASSIGNED, "Neuer Lead: Müller GmbH", lead.id),
    ]
    assert [event.user_ids for event in await notification_events()] == [
        [clerk_a.id],
        [clerk_b.id],
    ]
