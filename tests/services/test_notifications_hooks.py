"""What the opportunity, activity and contact services announce: a hand-over notifies the new
owner and writes an opportunity.handed_over event for both owners; a lead's activities and its
contact's corrections write lead.changed for the lead's clerk, in the change's transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest

from leadflow import clock
from leadflow.db.enums import ActivityKind, NotificationKind
from leadflow.db.models import Lead, Notification, Opportunity, OutboxEvent
from leadflow.errors import DomainError
from leadflow.services import activities, campaigns, leads, opportunities, outbox
from leadflow.services.activities import SubjectKind, SubjectRef
from leadflow.services.contact_updates import ContactCorrection, update_contact
from leadflow.services.leads import LeadIntake


async def clerk_a_lead(actors, company: str = "Müller GmbH") -> Lead:
    campaign = await campaigns.create_campaign(actors.manager.user, "Messe Süd")
    [lead] = await leads.create_leads(
        actors.manager.user,
        campaign.id,
        [LeadIntake(last_name="Müller", company=company, email="m@example.com")],
    )
    await leads.assign_leads(actors.manager.user, [lead.id], actors.clerk_a.user.id)
    return await Lead.get(id=lead.id)


async def events(topic: str) -> list[OutboxEvent]:
    return list(await OutboxEvent.filter(topic=topic).order_by("id"))


async def test_a_hand_over_notifies_the_new_owner_and_tells_both(actors):
    lead = await clerk_a_lead(actors)
    clerk_a, clerk_b = actors.clerk_a.user, actors.clerk_b.user
    opportunity = await opportunities.create_opportunity(
        clerk_a, lead.contact_id, "Ausbau 2027", owner_id=clerk_a.id
    )
    # What the assignment announced is not this test's.
    await Notification.all().delete()
    await OutboxEvent.all().delete()

    await opportunities.hand_over_opportunity(clerk_a, opportunity.id, clerk_b.id)

    [notification] = await Notification.all()
    assert notification.user_id == clerk_b.id
    assert notification.kind == NotificationKind.OPPORTUNITY_HANDED_OVER
    assert notification.message == "Verkaufschance Ausbau 2027 von Clara Clerk übergeben"
    assert notification.opportunity_id == opportunity.id
    [event] = await events(outbox.OPPORTUNITY_HANDED_OVER)
    assert event.opportunity_id == opportunity.id
    assert sorted(event.user_ids) == sorted([clerk_a.id, clerk_b.id])
    [added] = await events(outbox.NOTIFICATION_ADDED)
    assert added.user_ids == [clerk_b.id]


async def test_a_refused_hand_over_announces_nothing(actors):
    lead = await clerk_a_lead(actors)
    clerk_a = actors.clerk_a.user
    opportunity = await opportunities.create_opportunity(
        clerk_a, lead.contact_id, "Ausbau 2027", owner_id=clerk_a.id
    )
    before = (await Notification.all().count(), await OutboxEvent.all().count())
    with pytest.raises(DomainError):
        await opportunities.hand_over_opportunity(clerk_a, opportunity.id, clerk_a.id)
    assert (await Notification.all().count(), await OutboxEvent.all().count()) == before
    assert (await Opportunity.get(id=opportunity.id)).owner_id == clerk_a.id


async def test_a_leads_activities_tell_its_clerk(actors):
    lead = await clerk_a_lead(actors)
    clerk_a = actors.clerk_a.user
    await OutboxEvent.all().delete()
    subject = SubjectRef(SubjectKind.LEAD, lead.id)
    due = clock.now() + timedelta(days=2)

    planned = await activities.schedule_activity(clerk_a, subject, ActivityKind.CALL, due)
    await activities.reschedule_activity(clerk_a, planned.id, due + timedelta(days=1))
    await activities.complete_activity(clerk_a, planned.id, "erledigt")

    changed = await events(outbox.LEAD_CHANGED)
    assert [(event.lead_id, event.user_ids) for event in changed] == [(lead.id, [clerk_a.id])] * 3
    assert all(event.payload["activityId"] == planned.id for event in changed)
    assert changed[0].campaign_id == lead.campaign_id


async def test_a_contact_correction_tells_the_clerks_of_its_open_leads(actors):
    lead = await clerk_a_lead(actors)
    await OutboxEvent.all().delete()
    await update_contact(
        actors.manager.user,
        lead.contact_id,
        ContactCorrection(given=frozenset({"phone"}), phone="+49 30 1234"),
    )
    [event] = await events(outbox.LEAD_CHANGED)
    assert (event.lead_id, event.user_ids) == (lead.id, [actors.clerk_a.user.id])
    assert event.payload == {"change": "contact", "contactId": lead.contact_id}
    # Nothing changed, nothing announced.
    await update_contact(
        actors.manager.user,
        lead.contact_id,
        ContactCorrection(given=frozenset({"phone"}), phone="+49 30 1234"),
    )
    assert len(await events(outbox.LEAD_CHANGED)) == 1
