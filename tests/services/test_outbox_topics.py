"""The outbox topics of the webhook contract (services/webhooks/events.py): each change, made
through its service, writes exactly its events, with the lead, opportunity and campaign they are
about (the webhooks' fan-out filters by campaign and scopes partners by lead) and ids-only
payloads; a change that fails writes none. (`contact.erased` has no publisher yet: issue 15.)"""

from __future__ import annotations

from decimal import Decimal

import pytest
from tortoise.transactions import in_transaction

from leadflow.db.enums import Channel, CloseReason, OpportunityLostReason, OpportunityStage, Outcome
from leadflow.db.models import Lead, Opportunity, OutboxEvent
from leadflow.errors import DomainError, ErrorCode
from leadflow.services import campaigns, leads, opportunities, outbox
from leadflow.services.contact_updates import ContactCorrection, update_contact
from leadflow.services.leads import LeadIntake, OpportunityDraft
from leadflow.services.webhooks.events import EVENT_TYPES
from tests.services.test_rule_guards import between_read_and_write

# What one event row says, as compared here.
Row = tuple[str, int | None, int | None, int | None, list[int], dict[str, object]]


async def last_event_id() -> int:
    newest = await OutboxEvent.all().order_by("-id").first()
    return newest.id if newest is not None else 0


async def written_after(mark: int) -> list[Row]:
    """The events written after `mark`, in order; notifications' own events are the
    notification tests' (tests/services/test_notifications_hooks.py)."""
    events = (
        await OutboxEvent.filter(id__gt=mark)
        .exclude(topic=outbox.NOTIFICATION_ADDED)
        .order_by("id")
    )
    return [
        (
            event.topic,
            event.lead_id,
            event.opportunity_id,
            event.campaign_id,
            sorted(event.user_ids),
            event.payload,
        )
        for event in events
    ]


async def new_lead(actors, name: str, email: str = "m@example.com") -> Lead:
    campaign = await campaigns.create_campaign(actors.manager.user, name)
    [lead] = await leads.create_leads(
        actors.manager.user, campaign.id, [LeadIntake(last_name="Müller", email=email)]
    )
    return lead


async def active_lead(actors, name: str, email: str = "m@example.com") -> Lead:
    lead = await new_lead(actors, name, email)
    await leads.assign_leads(actors.manager.user, [lead.id], actors.clerk_a.user.id)
    return await Lead.get(id=lead.id)


def lead_payload(lead: Lead, **extra: object) -> dict[str, object]:
    return {"leadId": lead.id, "campaignId": lead.campaign_id, **extra}


async def test_the_contract_names_the_topics_the_services_publish():
    assert set(EVENT_TYPES) == {
        outbox.LEAD_CREATED,
        outbox.LEAD_ASSIGNED,
        outbox.LEAD_REASSIGNED,
        outbox.LEAD_FEEDBACK_RECORDED,
        outbox.LEAD_CLOSED,
        outbox.LEAD_REOPENED,
        outbox.OPPORTUNITY_CREATED,
        outbox.OPPORTUNITY_STAGE_CHANGED,
        outbox.OPPORTUNITY_HANDED_OVER,
        outbox.CONTACT_UPDATED,
        outbox.CONTACT_ERASED,
    }


async def test_an_intake_publishes_lead_created_per_new_lead(actors):
    campaign = await campaigns.create_campaign(actors.manager.user, "Messe Nord")
    mark = await last_event_id()
    created = await leads.create_leads(
        actors.manager.user,
        campaign.id,
        [
            LeadIntake(last_name="Eins", email="1@x.example"),
            LeadIntake(last_name="Zwei", phone="030 1"),
        ],
    )
    assert await written_after(mark) == [
        (outbox.LEAD_CREATED, lead.id, None, campaign.id, [], lead_payload(lead))
        for lead in created
    ]
    # The same batch again returns the open leads: nothing is created, nothing published.
    mark = await last_event_id()
    await leads.create_leads(
        actors.manager.user, campaign.id, [LeadIntake(last_name="Eins", email="1@x.example")]
    )
    assert await written_after(mark) == []


async def test_an_assignment_publishes_lead_assigned(actors):
    lead = await new_lead(actors, "Messe Nord")
    clerk = actors.clerk_a.user
    mark = await last_event_id()
    await leads.assign_leads(actors.manager.user, [lead.id], clerk.id)
    assert await written_after(mark) == [
        (
            outbox.LEAD_ASSIGNED,
            lead.id,
            None,
            lead.campaign_id,
            [clerk.id],
            lead_payload(lead, assigneeId=clerk.id),
        )
    ]


async def test_a_reassignment_publishes_lead_reassigned(actors):
    lead = await active_lead(actors, "Messe Nord")
    clerk_a, clerk_b = actors.clerk_a.user, actors.clerk_b.user
    mark = await last_event_id()
    await leads.reassign_lead(actors.manager.user, lead.id, clerk_b.id)
    assert await written_after(mark) == [
        (
            outbox.LEAD_REASSIGNED,
            lead.id,
            None,
            lead.campaign_id,
            sorted([clerk_a.id, clerk_b.id]),
            lead_payload(lead, assigneeId=clerk_b.id, previousAssigneeId=clerk_a.id),
        )
    ]


async def test_feedback_publishes_lead_feedback_recorded_instead_of_lead_changed(actors):
    lead = await active_lead(actors, "Messe Nord")
    clerk = actors.clerk_a.user
    mark = await last_event_id()
    feedback, _ = await leads.record_feedback(clerk, lead.id, Channel.PHONE, "Rückruf morgen")
    assert await written_after(mark) == [
        (
            outbox.LEAD_FEEDBACK_RECORDED,
            lead.id,
            None,
            lead.campaign_id,
            [clerk.id],
            lead_payload(lead, feedbackId=feedback.id),
        )
    ]


async def test_an_unsuccessful_close_publishes_lead_closed_only(actors):
    lead = await active_lead(actors, "Messe Nord")
    clerk = actors.clerk_a.user
    mark = await last_event_id()
    await leads.close_lead(clerk, lead.id, Outcome.UNSUCCESSFUL, CloseReason.NOT_INTERESTED)
    assert await written_after(mark) == [
        (outbox.LEAD_CLOSED, lead.id, None, lead.campaign_id, [clerk.id], lead_payload(lead))
    ]


async def test_a_successful_close_publishes_lead_closed_then_opportunity_created(actors):
    lead = await active_lead(actors, "Messe Nord")
    clerk_a, clerk_b = actors.clerk_a.user, actors.clerk_b.user
    mark = await last_event_id()
    result = await leads.close_lead(
        clerk_a,
        lead.id,
        Outcome.SUCCESSFUL,
        draft=OpportunityDraft(expected_value=Decimal("1200"), owner_id=clerk_b.id),
    )
    assert result.opportunity is not None
    assert await written_after(mark) == [
        (outbox.LEAD_CLOSED, lead.id, None, lead.campaign_id, [clerk_a.id], lead_payload(lead)),
        (
            outbox.OPPORTUNITY_CREATED,
            lead.id,
            result.opportunity.id,
            lead.campaign_id,
            [clerk_b.id],
            {"ownerId": clerk_b.id},
        ),
    ]


async def test_a_reopen_publishes_lead_reopened(actors):
    lead = await active_lead(actors, "Messe Nord")
    clerk = actors.clerk_a.user
    await leads.close_lead(clerk, lead.id, Outcome.UNSUCCESSFUL, CloseReason.OTHER)
    mark = await last_event_id()
    await leads.reopen_lead(actors.manager.user, lead.id)
    assert await written_after(mark) == [
        (
            outbox.LEAD_REOPENED,
            lead.id,
            None,
            lead.campaign_id,
            [clerk.id],
            lead_payload(lead, assigneeId=clerk.id),
        )
    ]


async def test_an_opportunity_created_outside_a_close_carries_its_leads_campaign(actors):
    lead = await active_lead(actors, "Messe Nord")
    clerk = actors.clerk_a.user
    mark = await last_event_id()
    from_lead = await opportunities.create_opportunity(
        clerk, lead.contact_id, "Ausbau", lead_id=lead.id
    )
    # Without a lead it is in no campaign.
    on_its_own = await opportunities.create_opportunity(clerk, lead.contact_id, "Wartung")
    assert await written_after(mark) == [
        (
            outbox.OPPORTUNITY_CREATED,
            lead.id,
            from_lead.id,
            lead.campaign_id,
            [clerk.id],
            {"ownerId": clerk.id},
        ),
        (outbox.OPPORTUNITY_CREATED, None, on_its_own.id, None, [clerk.id], {"ownerId": clerk.id}),
    ]


async def test_every_stage_move_publishes_opportunity_stage_changed(actors):
    lead = await active_lead(actors, "Messe Nord")
    clerk = actors.clerk_a.user
    opportunity = (await leads.close_lead(clerk, lead.id, Outcome.SUCCESSFUL)).opportunity
    assert opportunity is not None
    mark = await last_event_id()
    await opportunities.move_opportunity(clerk, opportunity.id, OpportunityStage.QUALIFIED)
    await opportunities.move_opportunity(
        clerk, opportunity.id, OpportunityStage.LOST, OpportunityLostReason.PRICE
    )
    # A manager's reopen of a lost one is a move too.
    await opportunities.move_opportunity(
        actors.manager.user, opportunity.id, OpportunityStage.NEGOTIATION
    )

    def moved(stage: str, previous: str) -> Row:
        return (
            outbox.OPPORTUNITY_STAGE_CHANGED,
            lead.id,
            opportunity.id,
            lead.campaign_id,
            [clerk.id],
            {"stage": stage, "previousStage": previous},
        )

    assert await written_after(mark) == [
        moved("QUALIFIED", "OPEN"),
        moved("LOST", "QUALIFIED"),
        moved("NEGOTIATION", "LOST"),
    ]
    # A refused move (the same stage) publishes nothing.
    mark = await last_event_id()
    with pytest.raises(DomainError):
        await opportunities.move_opportunity(clerk, opportunity.id, OpportunityStage.NEGOTIATION)
    assert await written_after(mark) == []


async def test_a_hand_over_publishes_opportunity_handed_over_with_its_campaign(actors):
    lead = await active_lead(actors, "Messe Nord")
    clerk_a, clerk_b = actors.clerk_a.user, actors.clerk_b.user
    opportunity = (await leads.close_lead(clerk_a, lead.id, Outcome.SUCCESSFUL)).opportunity
    assert opportunity is not None
    mark = await last_event_id()
    await opportunities.hand_over_opportunity(clerk_a, opportunity.id, clerk_b.id)
    assert await written_after(mark) == [
        (
            outbox.OPPORTUNITY_HANDED_OVER,
            lead.id,
            opportunity.id,
            lead.campaign_id,
            sorted([clerk_a.id, clerk_b.id]),
            {"ownerId": clerk_b.id, "previousOwnerId": clerk_a.id},
        )
    ]


async def test_a_contact_correction_publishes_contact_updated_once(actors):
    first = await active_lead(actors, "Messe Nord")
    # The same person in a second campaign: two open leads, one contact.
    second = await new_lead(actors, "Messe Süd")
    assert second.contact_id == first.contact_id
    mark = await last_event_id()
    await update_contact(
        actors.manager.user,
        first.contact_id,
        ContactCorrection(
            given=frozenset({"phone", "city", "email"}),
            phone="+49 30 1234",
            city="Berlin",
            email="m@example.com",  # unchanged: not named
        ),
    )
    contact_id = first.contact_id
    assert await written_after(mark) == [
        (
            outbox.CONTACT_UPDATED,
            None,
            None,
            None,
            [],
            {"contactId": contact_id, "fields": ["phone", "city"]},
        ),
        # The open leads' live updates stay, newest lead first.
        (
            outbox.LEAD_CHANGED,
            second.id,
            None,
            second.campaign_id,
            [],
            {"change": "contact", "contactId": contact_id},
        ),
        (
            outbox.LEAD_CHANGED,
            first.id,
            None,
            first.campaign_id,
            [actors.clerk_a.user.id],
            {"change": "contact", "contactId": contact_id},
        ),
    ]
    # A correction that changes nothing publishes nothing.
    mark = await last_event_id()
    await update_contact(
        actors.manager.user,
        contact_id,
        ContactCorrection(given=frozenset({"city"}), city="Berlin"),
    )
    assert await written_after(mark) == []


async def test_a_close_that_fails_its_guard_publishes_nothing(actors):
    lead = await active_lead(actors, "Messe Nord")
    clerk_a, clerk_b = actors.clerk_a.user, actors.clerk_b.user
    mark = await last_event_id()

    async def reassign() -> None:
        await leads.reassign_lead(actors.manager.user, lead.id, clerk_b.id)

    # The reassignment commits between the close's checks and its guarded write.
    async with between_read_and_write(Lead, reassign):
        with pytest.raises(DomainError) as refused:
            await leads.close_lead(clerk_a, lead.id, Outcome.SUCCESSFUL)
    assert refused.value.code == ErrorCode.CONFLICT

    assert [row[0] for row in await written_after(mark)] == [outbox.LEAD_REASSIGNED]
    assert await Opportunity.filter(lead_id=lead.id).count() == 0


async def test_events_written_in_a_transaction_that_rolls_back_are_gone(actors):
    """What every publisher relies on: `publish` writes in the caller's transaction."""
    lead = await active_lead(actors, "Messe Nord")
    mark = await last_event_id()
    with pytest.raises(RuntimeError):
        async with in_transaction():
            await outbox.publish([outbox.Event(outbox.LEAD_CLOSED, lead_id=lead.id)])
            assert len(await written_after(mark)) == 1  # there, inside the transaction
            raise RuntimeError("the change fails after its event was written")
    assert await written_after(mark) == []
