"""Writes that interleave with other writes: the rule checked before a write must still hold
when it happens (found in review; each test runs its race several rounds and checks the
invariant, never timings)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from leadflow import clock
from leadflow.db.enums import ActivityKind, Channel, LeadEventKind, Outcome
from leadflow.db.models import Activity, Contact, Feedback, Lead, LeadEvent
from leadflow.errors import AccessDenied, DomainError, ErrorCode
from leadflow.services import activities, campaigns, consent, leads
from leadflow.services.leads import LeadIntake

ROUNDS = 10


async def _lead_of(actors, clerk, name: str) -> int:
    campaign = await campaigns.create_campaign(actors.manager.user, name)
    [lead] = await leads.create_leads(
        actors.manager.user, campaign.id, [LeadIntake(last_name="Race", email=f"{name}@x.example")]
    )
    await leads.assign_leads(actors.manager.user, [lead.id], clerk.user.id)
    return lead.id


async def _quietly(call) -> object:
    try:
        return await call
    except (DomainError, AccessDenied) as refusal:
        return refusal


async def test_a_clerk_never_closes_a_lead_that_was_just_reassigned_away(actors):
    clerk_a, clerk_b = actors.clerk_a, actors.clerk_b
    for round_no in range(ROUNDS):
        lead_id = await _lead_of(actors, clerk_a, f"close-vs-reassign-{round_no}")
        await asyncio.gather(
            _quietly(leads.reassign_lead(actors.manager.user, lead_id, clerk_b.user.id)),
            _quietly(leads.close_lead(clerk_a.user, lead_id, Outcome.SUCCESSFUL)),
        )
        lead = await Lead.get(id=lead_id)
        if lead.closed_by_id is not None:
            # Whoever closed it was its assignee at that moment, and it stayed with them.
            assert lead.closed_by_id == lead.assignee_id == clerk_a.user.id


async def test_feedback_never_lands_on_a_lead_that_was_just_reassigned_away(actors):
    clerk_a, clerk_b = actors.clerk_a, actors.clerk_b
    for round_no in range(ROUNDS):
        lead_id = await _lead_of(actors, clerk_a, f"feedback-vs-reassign-{round_no}")
        feedback, _ = await asyncio.gather(
            _quietly(leads.record_feedback(clerk_a.user, lead_id, Channel.PHONE, "Called")),
            _quietly(leads.reassign_lead(actors.manager.user, lead_id, clerk_b.user.id)),
        )
        stored = await Feedback.filter(lead_id=lead_id).count()
        assert stored == (0 if isinstance(feedback, Exception) else 1)
        # Clerk A's feedback, if any, was recorded while the lead was still A's.
        kinds = [
            event.kind
            for event in await LeadEvent.filter(lead_id=lead_id).order_by("id")
            if event.kind in {LeadEventKind.REASSIGNED, LeadEventKind.FEEDBACK_RECORDED}
        ]
        assert kinds in (
            [],
            [LeadEventKind.REASSIGNED],
            [LeadEventKind.FEEDBACK_RECORDED],
            [LeadEventKind.FEEDBACK_RECORDED, LeadEventKind.REASSIGNED],
        ), kinds


async def test_two_resent_intakes_of_a_known_contact_make_one_lead(actors, backend):
    manager = actors.manager.user
    for round_no in range(ROUNDS):
        campaign = await campaigns.create_campaign(manager, f"resend-{round_no}")
        intake = [LeadIntake(last_name="Known", email=f"known{round_no}@x.example")]
        await leads.create_leads(manager, campaign.id, intake)  # the contact is known now
        other = await campaigns.create_campaign(manager, f"resend-other-{round_no}")
        first, second = await asyncio.gather(
            leads.create_leads(manager, other.id, intake),
            leads.create_leads(manager, other.id, intake),
        )
        assert first[0].id == second[0].id
        assert await Lead.filter(campaign_id=other.id).count() == 1


async def test_an_email_that_grows_when_lower_cased_is_a_clear_error(actors):
    campaign = await campaigns.create_campaign(actors.manager.user, "Istanbul")
    email = "İ" * 60 + "a" * 189 + "@x.de"  # 254 characters, 314 once lower-cased
    try:
        await leads.create_leads(
            actors.manager.user, campaign.id, [LeadIntake(last_name="Long", email=email)]
        )
    except DomainError as error:
        assert error.field == ("leads", "0", "email")
        assert "too long" in error.message
    else:
        raise AssertionError("an over-long email was accepted")
    assert await Lead.filter(campaign_id=campaign.id).count() == 0


async def test_no_call_is_planned_after_the_person_objected(actors):
    """Consent: the objection recorded while a clerk plans a call wins. The check before the
    transaction is repeated inside it, under the contact's row lock (PostgreSQL), so a call
    stored at all was stored before the objection."""
    clerk = actors.clerk_a
    for round_no in range(ROUNDS):
        lead_id = await _lead_of(actors, clerk, f"call-vs-objection-{round_no}")
        lead = await Lead.get(id=lead_id)
        planned, _ = await asyncio.gather(
            _quietly(
                activities.schedule_activity(
                    clerk.user,
                    activities.SubjectRef(activities.SubjectKind.LEAD, lead_id),
                    ActivityKind.CALL,
                    clock.now() + timedelta(days=1),
                )
            ),
            _quietly(consent.set_opt_out(clerk.user, lead.contact_id, True, "Kein Anruf")),
        )
        contact = await Contact.get(id=lead.contact_id)
        assert contact.opted_out and contact.opted_out_at is not None
        calls = await Activity.filter(lead_id=lead_id, kind=ActivityKind.CALL)
        if isinstance(planned, DomainError):
            assert calls == [] and planned.code is ErrorCode.OPTED_OUT
        else:
            assert [call.created_at <= contact.opted_out_at for call in calls] == [True]


async def test_a_managers_override_holds_when_the_objection_comes_meanwhile(actors):
    """A manager who asked to override the objection plans the call, even when the objection
    is recorded while the call is being planned (not refused for a check that passed before)."""
    for round_no in range(ROUNDS):
        lead_id = await _lead_of(actors, actors.clerk_a, f"override-vs-objection-{round_no}")
        lead = await Lead.get(id=lead_id)
        planned, _ = await asyncio.gather(
            _quietly(
                activities.schedule_activity(
                    actors.manager.user,
                    activities.SubjectRef(activities.SubjectKind.LEAD, lead_id),
                    ActivityKind.CALL,
                    clock.now() + timedelta(days=1),
                    override_opt_out=True,
                )
            ),
            _quietly(consent.set_opt_out(actors.manager.user, lead.contact_id, True, "Nein")),
        )
        assert isinstance(planned, Activity), planned
