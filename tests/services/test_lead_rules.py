"""The lead and opportunity rules, called directly on the services with real users and a real
database. Every refusal is checked for its code and field, and for having changed nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from tortoise import connections

from leadflow.db.enums import (
    Channel,
    CloseReason,
    LeadEventKind,
    LeadStatus,
    OpportunityEventKind,
    OpportunityStage,
    Outcome,
)
from leadflow.db.models import (
    Campaign,
    Contact,
    Feedback,
    Lead,
    LeadEvent,
    Opportunity,
    OpportunityEvent,
    User,
)
from leadflow.errors import AccessDenied, DomainError, ErrorCode
from leadflow.services import campaigns, leads, opportunities
from leadflow.services.leads import LeadIntake, OpportunityDraft

TABLES = (User, Campaign, Contact, Lead, LeadEvent, Feedback, Opportunity, OpportunityEvent)


async def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row of every domain table, to prove that a refused call changed nothing."""
    return {model.__name__: await model.all().order_by("id").values() for model in TABLES}


async def refused(call: Awaitable[Any], code: ErrorCode, field: Sequence[str]) -> DomainError:
    before = await snapshot()
    with pytest.raises(DomainError) as caught:
        await call
    error = caught.value
    assert (error.code, error.field) == (code, tuple(field)), error.message
    assert error.message
    assert await snapshot() == before, "a refused call changed the database"
    return error


async def denied(call: Awaitable[Any]) -> AccessDenied:
    before = await snapshot()
    with pytest.raises(AccessDenied) as caught:
        await call
    assert await snapshot() == before, "a denied call changed the database"
    return caught.value


async def new_campaign(actors, name: str = "Spring Fair") -> Campaign:
    return await campaigns.create_campaign(actors.manager.user, name)


async def intake(actors, campaign: Campaign, count: int, prefix: str = "person") -> list[Lead]:
    return await leads.create_leads(
        actors.manager.user,
        campaign.id,
        [
            LeadIntake(last_name=f"Person {i}", first_name="Pat", email=f"{prefix}{i}@example.com")
            for i in range(count)
        ],
    )


async def active_lead(actors, campaign: Campaign | None = None, **contact: str) -> Lead:
    """One lead assigned to clerk A."""
    campaign = campaign or await new_campaign(actors)
    details = {"last_name": "Berg", "first_name": "Anna", "email": "anna@example.com", **contact}
    [lead] = await leads.create_leads(actors.manager.user, campaign.id, [LeadIntake(**details)])
    await leads.assign_leads(actors.manager.user, [lead.id], actors.clerk_a.user.id)
    return await Lead.get(id=lead.id)


async def kinds(lead_id: int) -> list[LeadEventKind]:
    return list(
        await LeadEvent.filter(lead_id=lead_id).order_by("id").values_list("kind", flat=True)
    )


# --- Intake ---------------------------------------------------------------------------------


async def test_known_email_reuses_the_contact_in_any_case(actors):
    spring = await new_campaign(actors, "Spring Fair")
    autumn = await new_campaign(actors, "Autumn Fair")
    manager = actors.manager.user

    [first] = await leads.create_leads(
        manager, spring.id, [LeadIntake(last_name="Berg", email="Anna.Berg@Example.com")]
    )
    [second] = await leads.create_leads(
        manager, autumn.id, [LeadIntake(last_name="Berg", email="  anna.berg@EXAMPLE.COM ")]
    )

    assert second.id != first.id
    assert second.contact_id == first.contact_id
    assert await Contact.all().count() == 1
    contact = await Contact.get(id=first.contact_id)
    assert contact.email == "Anna.Berg@Example.com"

    # A different address is a different contact. Without email, the same phone digits and
    # the same name are the same person; another name at that number (a switchboard) is not.
    others = await leads.create_leads(
        manager,
        autumn.id,
        [
            LeadIntake(last_name="Berg", email="anna.berg@example.org"),
            LeadIntake(last_name="Berg", first_name="Anna", phone="+49 30 1234"),
            LeadIntake(last_name="BERG", first_name="anna", phone="+49 (30) 12-34"),
            LeadIntake(last_name="Berg", first_name="Otto", phone="+49 30 1234"),
            LeadIntake(last_name="Berg", first_name="Anna", phone="030 1234"),
        ],
    )
    contact_ids = [lead.contact_id for lead in others]
    assert contact_ids[1] == contact_ids[2], "same phone and name: one contact"
    assert others[1].id == others[2].id, "and one open lead in the campaign"
    assert len({*contact_ids, first.contact_id}) == 5


async def test_same_email_twice_in_one_batch_is_one_contact_and_one_lead(actors):
    campaign = await new_campaign(actors)
    batch = await leads.create_leads(
        actors.manager.user,
        campaign.id,
        [
            LeadIntake(last_name="Berg", email="anna@example.com"),
            LeadIntake(last_name="Berg", email="ANNA@example.com"),
        ],
    )
    assert batch[0].id == batch[1].id
    assert await Lead.all().count() == 1
    assert await kinds(batch[0].id) == [LeadEventKind.CREATED]


async def test_resending_the_same_intake_returns_the_same_open_lead(actors):
    campaign = await new_campaign(actors)
    batch = [
        LeadIntake(last_name="Berg", email="anna@example.com"),
        LeadIntake(last_name="Kurz", email="karl@example.com"),
    ]
    first = await leads.create_leads(actors.manager.user, campaign.id, batch)
    before = await snapshot()

    again = await leads.create_leads(actors.manager.user, campaign.id, batch)

    assert [lead.id for lead in again] == [lead.id for lead in first]
    assert await snapshot() == before  # no new contact, lead or CREATED event

    # Still the same lead while it is being worked on (ACTIVE is open, too).
    await leads.assign_leads(actors.manager.user, [first[0].id], actors.clerk_a.user.id)
    again = await leads.create_leads(actors.manager.user, campaign.id, batch[:1])
    assert [lead.id for lead in again] == [first[0].id]


async def test_after_a_close_the_same_intake_is_a_new_lead_for_the_same_contact(actors):
    lead = await active_lead(actors)
    await leads.close_lead(actors.clerk_a.user, lead.id, Outcome.UNSUCCESSFUL, CloseReason.OTHER)

    [again] = await leads.create_leads(
        actors.manager.user,
        lead.campaign_id,
        [LeadIntake(last_name="Berg", email="anna@example.com")],
    )

    assert again.id != lead.id
    assert again.contact_id == lead.contact_id
    assert again.status is LeadStatus.NEW


async def test_intake_refusals_change_nothing(actors):
    campaign = await new_campaign(actors)
    manager = actors.manager.user
    good = LeadIntake(last_name="Berg", email="anna@example.com")

    await refused(leads.create_leads(manager, campaign.id, []), ErrorCode.REQUIRED, ["leads"])
    await refused(leads.create_leads(manager, 999_999, [good]), ErrorCode.NOT_FOUND, ["campaignId"])
    await refused(
        leads.create_leads(manager, campaign.id, [good, LeadIntake(last_name="No Contact")]),
        ErrorCode.REQUIRED,
        ["leads", "1", "email"],
    )
    await refused(
        leads.create_leads(manager, campaign.id, [good, LeadIntake(last_name="X", email="x@")]),
        ErrorCode.INVALID,
        ["leads", "1", "email"],
    )
    await refused(
        leads.create_leads(manager, campaign.id, [good] * 1001), ErrorCode.TOO_MANY, ["leads"]
    )
    await denied(leads.create_leads(actors.clerk_a.user, campaign.id, [good]))


# --- Status -------------------------------------------------------------------------------


async def test_status_is_derived_new_active_done(actors):
    campaign = await new_campaign(actors)
    manager = actors.manager.user
    fresh, worked, lost, won = await intake(actors, campaign, 4)

    await leads.assign_leads(manager, [worked.id, lost.id, won.id], actors.clerk_a.user.id)
    await leads.close_lead(manager, lost.id, Outcome.UNSUCCESSFUL, CloseReason.UNREACHABLE)
    await leads.close_lead(manager, won.id, Outcome.SUCCESSFUL)

    expected = {
        fresh.id: LeadStatus.NEW,
        worked.id: LeadStatus.ACTIVE,
        lost.id: LeadStatus.DONE,
        won.id: LeadStatus.DONE,
    }
    stored = {lead.id: lead.status for lead in await Lead.all()}
    assert stored == expected
    # A closed lead keeps its assignee and is still DONE, not ACTIVE.
    assert (await Lead.get(id=won.id)).assignee_id == actors.clerk_a.user.id

    for status in LeadStatus:
        listed = await leads.filtered_leads(manager, leads.LeadFilter(status=status))
        assert {lead.id for lead in listed} == {i for i, s in expected.items() if s is status}
    counts = await leads.lead_counts(manager, leads.LeadFilter(status=LeadStatus.NEW))
    assert (counts.new, counts.active, counts.done) == (1, 1, 2)
    clerk_counts = await leads.lead_counts(actors.clerk_a.user)
    assert (clerk_counts.new, clerk_counts.active, clerk_counts.done) == (0, 1, 2)
    assert [lead.id for lead in await leads.my_tasks(actors.clerk_a.user)] == [worked.id]


# --- Assigning ------------------------------------------------------------------------------


async def test_assign_moves_new_leads_to_the_clerk_with_history(actors):
    campaign = await new_campaign(actors)
    batch = await intake(actors, campaign, 3)
    ids = [batch[2].id, batch[0].id, batch[0].id]  # order kept, repeats ignored

    assigned = await leads.assign_leads(actors.manager.user, ids, actors.clerk_a.user.id)

    assert [lead.id for lead in assigned] == [batch[2].id, batch[0].id]
    for lead in assigned:
        assert lead.status is LeadStatus.ACTIVE
        assert lead.assignee_id == actors.clerk_a.user.id
        assert lead.assigned_at is not None
        event = await LeadEvent.get(lead_id=lead.id, kind=LeadEventKind.ASSIGNED)
        assert (event.actor_id, event.assignee_id) == (
            actors.manager.user.id,
            actors.clerk_a.user.id,
        )
    assert (await Lead.get(id=batch[1].id)).status is LeadStatus.NEW
    assert await LeadEvent.filter(kind=LeadEventKind.ASSIGNED).count() == 2


async def test_assign_is_all_or_nothing(actors):
    campaign = await new_campaign(actors)
    manager = actors.manager.user
    taken, free_1, free_2, closed = await intake(actors, campaign, 4)
    await leads.assign_leads(manager, [taken.id, closed.id], actors.clerk_b.user.id)
    await leads.close_lead(manager, closed.id, Outcome.UNSUCCESSFUL, CloseReason.DUPLICATE)

    error = await refused(
        leads.assign_leads(
            manager, [free_1.id, taken.id, free_2.id, closed.id], actors.clerk_a.user.id
        ),
        ErrorCode.CONFLICT,
        ["leadIds", "1"],
    )
    # One error per lead that is no longer new, at its position in the input.
    assert [(e.code, e.field) for e in error.errors] == [
        (ErrorCode.CONFLICT, ("leadIds", "1")),
        (ErrorCode.CONFLICT, ("leadIds", "3")),
    ]
    assert f"#{taken.id}" in error.errors[0].message
    assert f"#{closed.id}" in error.errors[1].message
    assert all(f"#{free_1.id}" not in e.message for e in error.errors)

    error = await refused(
        leads.assign_leads(manager, [free_1.id, 999_999], actors.clerk_a.user.id),
        ErrorCode.NOT_FOUND,
        ["leadIds", "1"],
    )
    assert "#999999" in error.message
    for lead in (free_1, free_2):
        assert (await Lead.get(id=lead.id)).status is LeadStatus.NEW


async def test_assign_refusals(actors):
    campaign = await new_campaign(actors)
    [lead] = await intake(actors, campaign, 1)
    manager = actors.manager.user

    await refused(
        leads.assign_leads(manager, [lead.id], actors.inactive_clerk.user.id),
        ErrorCode.INVALID,
        ["assigneeId"],
    )
    await refused(
        leads.assign_leads(manager, [lead.id], actors.manager2.user.id),
        ErrorCode.INVALID,
        ["assigneeId"],
    )
    await refused(
        leads.assign_leads(manager, [lead.id], 999_999), ErrorCode.NOT_FOUND, ["assigneeId"]
    )
    await refused(
        leads.assign_leads(manager, [], actors.clerk_a.user.id), ErrorCode.REQUIRED, ["leadIds"]
    )
    await refused(
        leads.assign_leads(manager, list(range(1, 1002)), actors.clerk_a.user.id),
        ErrorCode.TOO_MANY,
        ["leadIds"],
    )
    await denied(leads.assign_leads(actors.clerk_a.user, [lead.id], actors.clerk_a.user.id))
    await denied(leads.assign_leads(actors.partner.user, [lead.id], actors.clerk_a.user.id))
    # An admin manages, too.
    await leads.assign_leads(actors.admin.user, [lead.id], actors.clerk_a.user.id)


# --- Reassigning ----------------------------------------------------------------------------


async def test_reassign_records_previous_assignee(actors):
    lead = await active_lead(actors)
    first_assigned_at = lead.assigned_at

    moved = await leads.reassign_lead(actors.manager2.user, lead.id, actors.clerk_b.user.id)

    assert moved.assignee_id == actors.clerk_b.user.id
    assert moved.status is LeadStatus.ACTIVE
    assert moved.assigned_at >= first_assigned_at
    assert await kinds(lead.id) == [
        LeadEventKind.CREATED,
        LeadEventKind.ASSIGNED,
        LeadEventKind.REASSIGNED,
    ]
    event = await LeadEvent.get(lead_id=lead.id, kind=LeadEventKind.REASSIGNED)
    assert (event.actor_id, event.assignee_id, event.previous_assignee_id) == (
        actors.manager2.user.id,
        actors.clerk_b.user.id,
        actors.clerk_a.user.id,
    )
    assert [t.id for t in await leads.my_tasks(actors.clerk_b.user)] == [lead.id]
    assert await leads.my_tasks(actors.clerk_a.user) == []


async def test_reassign_refusals(actors):
    campaign = await new_campaign(actors)
    lead = await active_lead(actors, campaign)
    [fresh] = await intake(actors, campaign, 1, prefix="fresh")
    manager = actors.manager.user

    await refused(
        leads.reassign_lead(manager, lead.id, actors.clerk_a.user.id),
        ErrorCode.INVALID,
        ["assigneeId"],
    )
    await refused(
        leads.reassign_lead(manager, lead.id, actors.inactive_clerk.user.id),
        ErrorCode.INVALID,
        ["assigneeId"],
    )
    await refused(
        leads.reassign_lead(manager, lead.id, actors.manager2.user.id),
        ErrorCode.INVALID,
        ["assigneeId"],
    )
    await refused(
        leads.reassign_lead(manager, fresh.id, actors.clerk_b.user.id),
        ErrorCode.INVALID_STATE,
        ["leadId"],
    )
    await refused(
        leads.reassign_lead(manager, 999_999, actors.clerk_b.user.id),
        ErrorCode.NOT_FOUND,
        ["leadId"],
    )
    await denied(leads.reassign_lead(actors.clerk_a.user, lead.id, actors.clerk_b.user.id))

    await leads.close_lead(manager, lead.id, Outcome.UNSUCCESSFUL, CloseReason.NOT_INTERESTED)
    await refused(
        leads.reassign_lead(manager, lead.id, actors.clerk_b.user.id),
        ErrorCode.INVALID_STATE,
        ["leadId"],
    )


# --- Feedback -------------------------------------------------------------------------------


async def test_feedback_by_the_assignee_and_by_a_manager(actors):
    lead = await active_lead(actors)

    feedback, same = await leads.record_feedback(
        actors.clerk_a.user, lead.id, Channel.PHONE, "  Call back on Monday. "
    )
    await leads.record_feedback(actors.manager.user, lead.id, Channel.MEETING, "Met at the fair.")

    assert same.id == lead.id
    assert (feedback.author_id, feedback.channel, feedback.note) == (
        actors.clerk_a.user.id,
        Channel.PHONE,
        "Call back on Monday.",
    )
    rows = await Feedback.filter(lead_id=lead.id).order_by("id").values_list("author_id", "note")
    assert rows == [
        (actors.clerk_a.user.id, "Call back on Monday."),
        (actors.manager.user.id, "Met at the fair."),
    ]
    events = await LeadEvent.filter(lead_id=lead.id, kind=LeadEventKind.FEEDBACK_RECORDED)
    assert sorted((e.actor_id, e.note) for e in events) == sorted(rows)
    assert (await Lead.get(id=lead.id)).status is LeadStatus.ACTIVE


async def test_the_lead_keeps_its_first_assignment_and_first_feedback(actors):
    lead = await active_lead(actors)
    assert lead.first_assigned_at == lead.assigned_at
    assert lead.first_feedback_at is None

    first, _ = await leads.record_feedback(actors.clerk_a.user, lead.id, Channel.PHONE, "One.")
    await leads.record_feedback(actors.manager.user, lead.id, Channel.PHONE, "Two.")
    moved = await leads.reassign_lead(actors.manager.user, lead.id, actors.clerk_b.user.id)

    assert moved.first_assigned_at == lead.assigned_at  # a reassignment does not restart it
    assert moved.first_feedback_at == first.created_at


async def test_waiting_since_follows_assignment_feedback_and_reassignment(actors):
    lead = await active_lead(actors)
    assert lead.waiting_since == lead.assigned_at

    first, _ = await leads.record_feedback(actors.clerk_a.user, lead.id, Channel.PHONE, "One.")
    assert (await Lead.get(id=lead.id)).waiting_since == first.created_at
    later, _ = await leads.record_feedback(actors.manager.user, lead.id, Channel.PHONE, "Two.")
    assert (await Lead.get(id=lead.id)).waiting_since == later.created_at

    # A feedback stamped earlier than the current wait never moves it back.
    await Lead.filter(id=lead.id).update(waiting_since=later.created_at + timedelta(hours=1))
    await leads.record_feedback(actors.clerk_a.user, lead.id, Channel.PHONE, "Three.")
    assert (await Lead.get(id=lead.id)).waiting_since == later.created_at + timedelta(hours=1)

    moved = await leads.reassign_lead(actors.manager.user, lead.id, actors.clerk_b.user.id)
    assert moved.waiting_since == moved.assigned_at  # the new clerk's wait starts now


async def test_feedback_only_on_active_leads_and_only_by_assignee_or_manager(actors):
    campaign = await new_campaign(actors)
    lead = await active_lead(actors, campaign)
    [fresh] = await intake(actors, campaign, 1, prefix="fresh")

    await denied(leads.record_feedback(actors.clerk_b.user, lead.id, Channel.PHONE, "Not mine."))
    await denied(leads.record_feedback(actors.partner.user, lead.id, Channel.PHONE, "Hello."))
    await refused(
        leads.record_feedback(actors.manager.user, fresh.id, Channel.PHONE, "Too early."),
        ErrorCode.INVALID_STATE,
        ["leadId"],
    )
    await refused(
        leads.record_feedback(actors.clerk_a.user, lead.id, Channel.EMAIL, "   "),
        ErrorCode.REQUIRED,
        ["note"],
    )
    await refused(
        leads.record_feedback(actors.clerk_a.user, lead.id, Channel.EMAIL, "x" * 5001),
        ErrorCode.TOO_LONG,
        ["note"],
    )
    await refused(
        leads.record_feedback(actors.clerk_a.user, 999_999, Channel.EMAIL, "Who?"),
        ErrorCode.NOT_FOUND,
        ["leadId"],
    )

    await leads.close_lead(actors.clerk_a.user, lead.id, Outcome.SUCCESSFUL)
    await refused(
        leads.record_feedback(actors.clerk_a.user, lead.id, Channel.PHONE, "Afterwards."),
        ErrorCode.INVALID_STATE,
        ["leadId"],
    )


# --- Closing --------------------------------------------------------------------------------


async def test_unsuccessful_close_needs_a_reason_and_keeps_the_note(actors):
    lead = await active_lead(actors)
    clerk = actors.clerk_a.user

    await refused(
        leads.close_lead(clerk, lead.id, Outcome.UNSUCCESSFUL), ErrorCode.REQUIRED, ["reason"]
    )
    await refused(
        leads.close_lead(
            clerk, lead.id, Outcome.UNSUCCESSFUL, CloseReason.OTHER, draft=OpportunityDraft()
        ),
        ErrorCode.INVALID,
        ["opportunity"],
    )

    result = await leads.close_lead(
        clerk, lead.id, Outcome.UNSUCCESSFUL, CloseReason.WRONG_CONTACT_DATA, " Number is dead. "
    )

    assert result.opportunity is None
    closed = result.lead
    assert closed.status is LeadStatus.DONE
    assert (closed.outcome, closed.close_reason, closed.close_note, closed.closed_by_id) == (
        Outcome.UNSUCCESSFUL,
        CloseReason.WRONG_CONTACT_DATA,
        "Number is dead.",
        clerk.id,
    )
    assert closed.closed_at is not None
    event = await LeadEvent.get(lead_id=lead.id, kind=LeadEventKind.CLOSED)
    assert (event.outcome, event.close_reason, event.note, event.actor_id) == (
        Outcome.UNSUCCESSFUL,
        CloseReason.WRONG_CONTACT_DATA,
        "Number is dead.",
        clerk.id,
    )
    assert await Opportunity.all().count() == 0


async def test_successful_close_creates_the_opportunity_with_defaults(actors):
    lead = await active_lead(actors, company="Acme GmbH")
    manager = actors.manager.user

    await refused(
        leads.close_lead(manager, lead.id, Outcome.SUCCESSFUL, CloseReason.OTHER),
        ErrorCode.INVALID,
        ["reason"],
    )

    # Closed by a manager: the opportunity still goes to the lead's clerk.
    result = await leads.close_lead(manager, lead.id, Outcome.SUCCESSFUL, note="Signed.")

    opportunity = result.opportunity
    assert opportunity is not None
    assert opportunity.title == "Spring Fair: Anna Berg (Acme GmbH)"
    assert opportunity.owner_id == actors.clerk_a.user.id
    assert (opportunity.contact_id, opportunity.lead_id) == (lead.contact_id, lead.id)
    assert opportunity.stage is OpportunityStage.OPEN
    assert opportunity.expected_value is None
    assert result.lead.status is LeadStatus.DONE
    assert (result.lead.outcome, result.lead.close_reason) == (Outcome.SUCCESSFUL, None)
    assert result.lead.closed_by_id == manager.id

    assert await kinds(lead.id) == [
        LeadEventKind.CREATED,
        LeadEventKind.ASSIGNED,
        LeadEventKind.CLOSED,
        LeadEventKind.OPPORTUNITY_CREATED,
    ]
    created = await LeadEvent.get(lead_id=lead.id, kind=LeadEventKind.OPPORTUNITY_CREATED)
    assert created.opportunity_id == opportunity.id
    [event] = await OpportunityEvent.filter(opportunity_id=opportunity.id)
    assert (event.kind, event.owner_id, event.actor_id) == (
        OpportunityEventKind.CREATED,
        actors.clerk_a.user.id,
        manager.id,
    )


async def test_successful_close_title_without_company(actors):
    lead = await active_lead(actors)
    result = await leads.close_lead(actors.clerk_a.user, lead.id, Outcome.SUCCESSFUL)
    assert result.opportunity is not None
    assert result.opportunity.title == "Spring Fair: Anna Berg"


async def test_successful_close_takes_the_draft(actors):
    lead = await active_lead(actors)
    draft = OpportunityDraft(
        title=" Fleet deal ", expected_value=Decimal("12500.5"), owner_id=actors.clerk_b.user.id
    )

    result = await leads.close_lead(actors.clerk_a.user, lead.id, Outcome.SUCCESSFUL, draft=draft)

    opportunity = await Opportunity.get(id=result.opportunity.id)
    assert (opportunity.title, opportunity.expected_value, opportunity.owner_id) == (
        "Fleet deal",
        Decimal("12500.50"),
        actors.clerk_b.user.id,
    )


async def test_successful_close_refusals_change_nothing(actors):
    lead = await active_lead(actors)
    clerk = actors.clerk_a.user

    for draft, field in [
        (OpportunityDraft(owner_id=actors.inactive_clerk.user.id), ["opportunity", "ownerId"]),
        (OpportunityDraft(owner_id=actors.manager.user.id), ["opportunity", "ownerId"]),
        (OpportunityDraft(expected_value=Decimal("-1")), ["opportunity", "expectedValue"]),
        (OpportunityDraft(title="t" * 201), ["opportunity", "title"]),
    ]:
        code = ErrorCode.TOO_LONG if field[-1] == "title" else ErrorCode.INVALID
        await refused(
            leads.close_lead(clerk, lead.id, Outcome.SUCCESSFUL, draft=draft), code, field
        )
    await refused(
        leads.close_lead(clerk, lead.id, Outcome.SUCCESSFUL, note="n" * 5001),
        ErrorCode.TOO_LONG,
        ["note"],
    )
    assert (await Lead.get(id=lead.id)).status is LeadStatus.ACTIVE


async def test_close_only_active_leads_and_only_by_assignee_or_manager(actors):
    campaign = await new_campaign(actors)
    lead = await active_lead(actors, campaign)
    [fresh] = await intake(actors, campaign, 1, prefix="fresh")

    await refused(
        leads.close_lead(actors.manager.user, fresh.id, Outcome.SUCCESSFUL),
        ErrorCode.INVALID_STATE,
        ["leadId"],
    )
    await refused(
        leads.close_lead(actors.manager.user, 999_999, Outcome.SUCCESSFUL),
        ErrorCode.NOT_FOUND,
        ["leadId"],
    )
    await denied(leads.close_lead(actors.clerk_b.user, lead.id, Outcome.SUCCESSFUL))
    await denied(leads.close_lead(actors.clerk_a.user, fresh.id, Outcome.SUCCESSFUL))

    await leads.close_lead(actors.clerk_a.user, lead.id, Outcome.SUCCESSFUL)
    for outcome, reason in [
        (Outcome.SUCCESSFUL, None),
        (Outcome.UNSUCCESSFUL, CloseReason.DUPLICATE),
    ]:
        await refused(
            leads.close_lead(actors.clerk_a.user, lead.id, outcome, reason),
            ErrorCode.INVALID_STATE,
            ["leadId"],
        )
    assert await Opportunity.filter(lead_id=lead.id).count() == 1


async def test_close_and_opportunity_are_one_transaction(actors, backend):
    """When the opportunity cannot be stored, the close is rolled back with it. A database
    trigger refuses the insert, so the failure happens inside the real transaction."""
    lead = await active_lead(actors)
    connection = connections.get("default")
    if backend == "sqlite":
        create = (
            "CREATE TRIGGER refuse_opportunity BEFORE INSERT ON opportunities "
            "BEGIN SELECT RAISE(ABORT, 'opportunity refused'); END;"
        )
        drop = "DROP TRIGGER IF EXISTS refuse_opportunity;"
    else:
        create = (
            "CREATE FUNCTION refuse_opportunity() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'opportunity refused'; END $$; "
            "CREATE TRIGGER refuse_opportunity BEFORE INSERT ON opportunities "
            "FOR EACH ROW EXECUTE FUNCTION refuse_opportunity();"
        )
        drop = (
            "DROP TRIGGER IF EXISTS refuse_opportunity ON opportunities; "
            "DROP FUNCTION IF EXISTS refuse_opportunity();"
        )
    before = await snapshot()
    await connection.execute_script(create)
    try:
        # Tortoise wraps SQLite's error; asyncpg's RaiseError comes through as it is.
        with pytest.raises(Exception, match="opportunity refused") as caught:
            await leads.close_lead(actors.clerk_a.user, lead.id, Outcome.SUCCESSFUL)
    finally:
        await connection.execute_script(drop)

    assert not isinstance(caught.value, DomainError)
    assert await snapshot() == before
    assert (await Lead.get(id=lead.id)).status is LeadStatus.ACTIVE
    # Once the database takes it again, the very same close works.
    result = await leads.close_lead(actors.clerk_a.user, lead.id, Outcome.SUCCESSFUL)
    assert result.opportunity is not None


# --- Opportunities --------------------------------------------------------------------------


async def won_opportunity(actors) -> Opportunity:
    lead = await active_lead(actors)
    result = await leads.close_lead(actors.clerk_a.user, lead.id, Outcome.SUCCESSFUL)
    assert result.opportunity is not None
    return result.opportunity


async def test_hand_over_moves_the_opportunity_with_history(actors):
    opportunity = await won_opportunity(actors)

    moved = await opportunities.hand_over_opportunity(
        actors.clerk_a.user, opportunity.id, actors.clerk_b.user.id, " Holiday cover. "
    )
    back = await opportunities.hand_over_opportunity(
        actors.manager.user, opportunity.id, actors.clerk_a.user.id
    )

    assert moved.owner_id == actors.clerk_b.user.id
    assert back.owner_id == actors.clerk_a.user.id
    events = await OpportunityEvent.filter(opportunity_id=opportunity.id).order_by("id")
    assert [(e.kind, e.actor_id, e.owner_id, e.previous_owner_id, e.note) for e in events] == [
        (OpportunityEventKind.CREATED, actors.clerk_a.user.id, actors.clerk_a.user.id, None, ""),
        (
            OpportunityEventKind.HANDED_OVER,
            actors.clerk_a.user.id,
            actors.clerk_b.user.id,
            actors.clerk_a.user.id,
            "Holiday cover.",
        ),
        (
            OpportunityEventKind.HANDED_OVER,
            actors.manager.user.id,
            actors.clerk_a.user.id,
            actors.clerk_b.user.id,
            "",
        ),
    ]


async def test_hand_over_refusals(actors):
    opportunity = await won_opportunity(actors)
    owner = actors.clerk_a.user

    for target, code in [
        (owner.id, ErrorCode.INVALID),
        (actors.inactive_clerk.user.id, ErrorCode.INVALID),
        (actors.manager.user.id, ErrorCode.INVALID),
        (actors.partner.user.id, ErrorCode.INVALID),
        (999_999, ErrorCode.INVALID),
    ]:
        error = await refused(
            opportunities.hand_over_opportunity(owner, opportunity.id, target), code, ["ownerId"]
        )
        # A clerk learns nothing about users it may not list: no names, no roles, no existence.
        if target != owner.id:
            assert error.message == "Choose one of the active clerks."
    # A manager gets the specific reason.
    manager_error = await refused(
        opportunities.hand_over_opportunity(
            actors.manager.user, opportunity.id, actors.partner.user.id
        ),
        ErrorCode.INVALID,
        ["ownerId"],
    )
    assert "not a clerk" in manager_error.message
    await refused(
        opportunities.hand_over_opportunity(owner, 999_999, actors.clerk_b.user.id),
        ErrorCode.NOT_FOUND,
        ["opportunityId"],
    )
    await refused(
        opportunities.hand_over_opportunity(
            owner, opportunity.id, actors.clerk_b.user.id, "n" * 5001
        ),
        ErrorCode.TOO_LONG,
        ["note"],
    )
    # Only the owner (or a manager) hands over.
    await denied(
        opportunities.hand_over_opportunity(
            actors.clerk_b.user, opportunity.id, actors.clerk_b.user.id
        )
    )

    for stage in (OpportunityStage.WON, OpportunityStage.LOST):
        await Opportunity.filter(id=opportunity.id).update(stage=stage)
        await refused(
            opportunities.hand_over_opportunity(
                actors.manager.user, opportunity.id, actors.clerk_b.user.id
            ),
            ErrorCode.INVALID_STATE,
            ["opportunityId"],
        )
    assert await OpportunityEvent.filter(kind=OpportunityEventKind.HANDED_OVER).count() == 0


async def test_create_opportunity_outside_a_close(actors):
    opportunity = await won_opportunity(actors)
    clerk = actors.clerk_a.user

    second = await opportunities.create_opportunity(
        clerk, opportunity.contact_id, " Service contract ", Decimal("99.999")
    )

    assert (second.title, second.owner_id, second.lead_id) == ("Service contract", clerk.id, None)
    assert second.expected_value == Decimal("100.00")
    assert await OpportunityEvent.filter(opportunity_id=second.id).count() == 1
    await refused(
        opportunities.create_opportunity(actors.manager.user, opportunity.contact_id, "No owner"),
        ErrorCode.REQUIRED,
        ["ownerId"],
    )
    await refused(
        opportunities.create_opportunity(clerk, opportunity.contact_id, "  "),
        ErrorCode.REQUIRED,
        ["title"],
    )
    await denied(
        opportunities.create_opportunity(actors.clerk_b.user, opportunity.contact_id, "Mine now")
    )
