"""Writes about a person that run alongside their erasure (review A, findings 2 and 4): every
transaction that writes about a contact's lead or opportunity and reads the contact, or must
not race an erasure, locks the CONTACT first, then the lead or opportunity (the erasure's
order). So the erasure either waits for it and then blanks what it wrote, or runs first and
is seen: no name is stored again, and no deadlock (PostgreSQL) between the two."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tortoise.transactions import in_transaction

from leadflow import clock
from leadflow.db.enums import ActivityKind, NotificationKind, OpportunityEventKind, Outcome
from leadflow.db.models import (
    Activity,
    Contact,
    Lead,
    Notification,
    Opportunity,
    OpportunityEvent,
)
from leadflow.errors import DomainError, ErrorCode
from leadflow.services import activities, campaigns, leads, opportunities, reminders
from leadflow.services.leads import LeadIntake
from leadflow.services.privacy import config, erasure, suppression, traces
from leadflow.settings import Settings
from tests.helpers import Actors

PERSON = LeadIntake(
    first_name="Erdmute",
    last_name="Quastenflosser",
    company="Quastbootsbau KG",
    email="eq@quast.example",
    phone="+49 5541 771903",
)
T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fresh_key_cache() -> Iterator[None]:
    """Each test starts like a new process: no configured key, no cached generated one."""
    config.configure(Settings())
    suppression.forget_cached_key()
    yield
    config.configure(Settings())
    suppression.forget_cached_key()


async def _active_lead(actors: Actors, campaign_name: str = "Messe") -> Lead:
    manager, clerk = actors.manager.user, actors.clerk_a.user
    campaign = await campaigns.create_campaign(manager, campaign_name)
    [lead] = await leads.create_leads(manager, campaign.id, [PERSON])
    await leads.assign_leads(manager, [lead.id], clerk.id)
    return await Lead.get(id=lead.id)


async def _outcome(call: Awaitable[Any]) -> Any:
    """The call's result, or the exception it raised (a deadlock is one: the test names it)."""
    try:
        return await call
    except Exception as error:  # a deadlock must surface as a value, not abort
        return error


def _no_deadlock(*results: object) -> None:
    assert not any("deadlock" in str(result).lower() for result in results), results


async def _titles(contact_id: int) -> list[str]:
    return [
        str(t)
        for t in await Opportunity.filter(contact_id=contact_id).values_list("title", flat=True)
    ]


# ---------------------------------------------------------------------------------------------
# closeLead (SUCCESSFUL): the default opportunity title


async def test_a_close_after_an_erasure_committed_titles_the_opportunity_with_the_marker(
    actors: Actors, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The erasure commits between the close's checks and its transaction (both databases)."""
    lead = await _active_lead(actors)
    checked = leads._opportunity_for_close

    async def erased_meanwhile(*args: Any) -> Any:
        new = await checked(*args)
        await erasure.erase_contact(actors.admin.user, lead.contact_id, "Anruf")
        return new

    monkeypatch.setattr(leads, "_opportunity_for_close", erased_meanwhile)
    result = await leads.close_lead(actors.clerk_a.user, lead.id, Outcome.SUCCESSFUL)

    assert (await Contact.get(id=lead.contact_id)).erased_at is not None
    assert result.opportunity is not None
    assert result.opportunity.title == traces.ERASED_MARK
    assert await _titles(lead.contact_id) == [traces.ERASED_MARK]


async def test_a_close_names_the_opportunity_after_the_person_as_before(actors: Actors) -> None:
    lead = await _active_lead(actors)
    result = await leads.close_lead(actors.clerk_a.user, lead.id, Outcome.SUCCESSFUL)
    assert result.opportunity is not None
    assert result.opportunity.title == "Messe: Erdmute Quastenflosser (Quastbootsbau KG)"


async def test_an_erasure_starting_during_a_close_waits_and_blanks_its_title(
    actors: Actors, monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    """PostgreSQL: the close holds the lead when the erasure starts; before the fix the close
    then waited for the contact (its opportunity's foreign key) and the erasure for the
    lead: a deadlock."""
    if backend != "postgres":
        pytest.skip("PostgreSQL row locks (SQLite serialises writers)")
    lead = await _active_lead(actors)
    lead_held = asyncio.Event()
    finish_activities = activities.complete_open_activities

    async def slowly(*args: Any, **kwargs: Any) -> None:
        lead_held.set()  # the close's guarded UPDATE holds the lead's row now
        await asyncio.sleep(0.5)
        await finish_activities(*args, **kwargs)

    monkeypatch.setattr(leads, "complete_open_activities", slowly)

    async def erase() -> object:
        await lead_held.wait()
        return await _outcome(erasure.erase_contact(actors.admin.user, lead.contact_id, "Anruf"))

    closed, erased = await asyncio.gather(
        _outcome(leads.close_lead(actors.clerk_a.user, lead.id, Outcome.SUCCESSFUL)), erase()
    )

    _no_deadlock(closed, erased)
    assert isinstance(closed, leads.CloseResult), closed
    assert isinstance(erased, Contact) and erased.erased_at is not None, erased
    # The close committed first; the erasure then replaced the title it had stored.
    assert await _titles(lead.contact_id) == [traces.ERASED_MARK]


# ---------------------------------------------------------------------------------------------
# scheduleActivity (CALL/EMAIL): the consent check's contact lock


async def test_a_call_planned_while_the_person_is_erased_does_not_deadlock(
    actors: Actors, monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    """PostgreSQL: the step holds its lead when the erasure starts (which takes the contact,
    then the leads); before the fix the step then asked for the contact: a deadlock. Now the
    step holds the contact first, the erasure waits and blanks the step's note."""
    if backend != "postgres":
        pytest.skip("PostgreSQL row locks (SQLite serialises writers)")
    lead = await _active_lead(actors)
    locked = asyncio.Event()
    consent_check = activities._objection_overridden

    async def slowly(*args: Any) -> bool:
        locked.set()
        await asyncio.sleep(0.5)
        return await consent_check(*args)

    monkeypatch.setattr(activities, "_objection_overridden", slowly)
    subject = activities.SubjectRef(activities.SubjectKind.LEAD, lead.id)

    async def erase() -> object:
        await locked.wait()
        return await _outcome(erasure.erase_contact(actors.admin.user, lead.contact_id, "Anruf"))

    planned, erased = await asyncio.gather(
        _outcome(
            activities.schedule_activity(
                actors.clerk_a.user,
                subject,
                ActivityKind.CALL,
                clock.now() + timedelta(days=1),
                "Erdmute anrufen",
            )
        ),
        erase(),
    )

    _no_deadlock(planned, erased)
    assert isinstance(planned, Activity), planned
    assert isinstance(erased, Contact) and erased.erased_at is not None, erased
    assert (await Activity.get(id=planned.id)).note == ""


async def test_a_completion_planning_an_email_while_erasing_does_not_deadlock(
    actors: Actors, monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    """completeActivity with a next EMAIL step on an opportunity: the same order (contact,
    then the opportunity) as scheduleActivity; before the fix a deadlock with the erasure."""
    if backend != "postgres":
        pytest.skip("PostgreSQL row locks (SQLite serialises writers)")
    lead = await _active_lead(actors)
    clerk = actors.clerk_a.user
    closed = await leads.close_lead(clerk, lead.id, Outcome.SUCCESSFUL)
    assert closed.opportunity is not None
    subject = activities.SubjectRef(activities.SubjectKind.OPPORTUNITY, closed.opportunity.id)
    task = await activities.schedule_activity(
        clerk, subject, ActivityKind.TASK, clock.now() + timedelta(hours=1), "Angebot"
    )
    locked = asyncio.Event()
    consent_check = activities._objection_overridden

    async def slowly(*args: Any) -> bool:
        locked.set()
        await asyncio.sleep(0.5)
        return await consent_check(*args)

    monkeypatch.setattr(activities, "_objection_overridden", slowly)
    next_step = activities.PlannedStep(
        ActivityKind.EMAIL, clock.now() + timedelta(days=2), "Erdmute das Angebot mailen"
    )

    async def erase() -> object:
        await locked.wait()
        return await _outcome(erasure.erase_contact(actors.admin.user, lead.contact_id, "Anruf"))

    completed, erased = await asyncio.gather(
        _outcome(activities.complete_activity(clerk, task.id, "erledigt", next_step)), erase()
    )

    _no_deadlock(completed, erased)
    assert isinstance(completed, activities.CompletedActivity), completed
    assert isinstance(erased, Contact) and erased.erased_at is not None, erased
    notes = await Activity.filter(opportunity_id=closed.opportunity.id).values_list(
        "note", "done_note"
    )
    assert sorted(notes) == [("", ""), ("", "")], notes


async def test_a_call_planned_after_the_erasure_began_is_refused(actors: Actors) -> None:
    """The other order, on both databases: the erased person objects (OPTED_OUT)."""
    lead = await _active_lead(actors)
    await erasure.erase_contact(actors.admin.user, lead.contact_id, "Anruf")
    subject = activities.SubjectRef(activities.SubjectKind.LEAD, lead.id)
    with pytest.raises(DomainError) as refused:
        await activities.schedule_activity(
            actors.clerk_a.user, subject, ActivityKind.CALL, clock.now() + timedelta(days=1)
        )
    assert refused.value.code is ErrorCode.OPTED_OUT
    assert await Activity.filter(lead_id=lead.id).count() == 0


# ---------------------------------------------------------------------------------------------
# Reminder rounds: ACTIVITY_DUE names the lead's person or the opportunity's title


async def _due_call_on_lead_and_opportunity(actors: Actors) -> tuple[Lead, Opportunity]:
    """A lead and an opportunity of the person, each with a call due at T0 + 30 min."""
    clerk = actors.clerk_a.user
    with clock.frozen_at(T0):
        lead = await _active_lead(actors)
        other = await _active_lead(actors, "Herbst")
        closed = await leads.close_lead(clerk, other.id, Outcome.SUCCESSFUL)
        assert closed.opportunity is not None
        for subject in (
            activities.SubjectRef(activities.SubjectKind.LEAD, lead.id),
            activities.SubjectRef(activities.SubjectKind.OPPORTUNITY, closed.opportunity.id),
        ):
            await activities.schedule_activity(
                clerk, subject, ActivityKind.CALL, T0 + timedelta(minutes=30)
            )
    return lead, closed.opportunity


async def test_a_round_while_an_erasure_commits_stores_no_name(
    actors: Actors, backend: str
) -> None:
    """PostgreSQL: the erasure has blanked everything but not committed when the round reads
    the subjects; the round waits for the contacts' locks and reads the tombstone. Before the
    fix it read the committed name and stored it after the erasure had blanked the
    notifications."""
    if backend != "postgres":
        pytest.skip("PostgreSQL row locks (SQLite serialises writers)")
    lead, _ = await _due_call_on_lead_and_opportunity(actors)
    erasing, release = asyncio.Event(), asyncio.Event()

    async def erase() -> None:
        async with in_transaction():
            await erasure.erase_contact(actors.admin.user, lead.contact_id, "Anruf")
            erasing.set()
            await release.wait()

    async def round_() -> object:
        await erasing.wait()
        with clock.frozen_at(T0 + timedelta(minutes=31)):
            return await _outcome(reminders.run_round())

    async def let_go() -> None:
        await erasing.wait()
        await asyncio.sleep(0.5)  # the round reached the contacts' locks meanwhile
        release.set()

    _, done, _ = await asyncio.gather(erase(), round_(), let_go())

    assert isinstance(done, reminders.ReminderRound) and done.activities_due == 2, done
    messages = sorted(
        str(m)
        for m in await Notification.filter(kind=NotificationKind.ACTIVITY_DUE).values_list(
            "message", flat=True
        )
    )
    assert messages == [f"Anruf fällig: {traces.ERASED_MARK}"] * 2, messages


async def test_a_round_after_the_erasure_names_the_tombstone(actors: Actors) -> None:
    """Both databases: the round reads the blanked contact and the marker title."""
    lead, _ = await _due_call_on_lead_and_opportunity(actors)
    await erasure.erase_contact(actors.admin.user, lead.contact_id, "Anruf")
    with clock.frozen_at(T0 + timedelta(minutes=31)):
        done = await reminders.run_round()
    assert done.activities_due == 2
    messages = await Notification.filter(kind=NotificationKind.ACTIVITY_DUE).values_list(
        "message", flat=True
    )
    assert [str(m) for m in messages] == [f"Anruf fällig: {traces.ERASED_MARK}"] * 2


# ---------------------------------------------------------------------------------------------
# updateOpportunity: the history note quotes the old title


async def test_an_opportunity_edit_after_an_erasure_quotes_no_old_title(
    actors: Actors, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The erasure commits between the edit's permission read and its transaction (both
    databases): the note quotes the title as it is then (the marker), not the name read
    before."""
    lead = await _active_lead(actors)
    closed = await leads.close_lead(actors.clerk_a.user, lead.id, Outcome.SUCCESSFUL)
    assert closed.opportunity is not None
    owned = opportunities._opportunity_owned_by

    async def erased_meanwhile(*args: Any) -> Opportunity:
        found = await owned(*args)
        await erasure.erase_contact(actors.admin.user, lead.contact_id, "Anruf")
        return found

    monkeypatch.setattr(opportunities, "_opportunity_owned_by", erased_meanwhile)
    await opportunities.update_opportunity(
        actors.clerk_a.user,
        closed.opportunity.id,
        opportunities.OpportunityChanges(given=frozenset({"title"}), title="Folgeauftrag"),
    )

    notes = await OpportunityEvent.filter(
        opportunity_id=closed.opportunity.id, kind=OpportunityEventKind.UPDATED
    ).values_list("note", flat=True)
    assert notes == [f"title: {traces.ERASED_MARK} -> Folgeauftrag"]
