"""Scheduled reminders (services/reminders.run_round), on both databases with a frozen clock:
a due activity is announced once to its assignee, also when two rounds run at the same time
(PostgreSQL: two connections, the advisory lock and the once_key), and again when it is
rescheduled; NEW leads past their campaign's waiting limit are announced to each manager once
(a count per campaign), a clerk's long-waiting ACTIVE leads to the clerk once per wait; nothing
older than a week; the messages are the German texts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from leadflow import clock
from leadflow.db.enums import ActivityKind, NotificationKind
from leadflow.db.models import Activity, Campaign, Contact, Lead, Notification, User
from leadflow.services import reminders
from tests.helpers import Actors

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


async def new_lead(campaign: Campaign, created_at: datetime, **columns: object) -> Lead:
    contact = await Contact.create(last_name="Berg", company="Müller GmbH")
    lead = await Lead.create(campaign=campaign, contact=contact)
    # Set afterwards: the model stamps created_at itself on insert.
    await Lead.filter(id=lead.id).update(created_at=created_at, **columns)
    return await Lead.get(id=lead.id)


async def activity(lead: Lead, assignee: User, due_at: datetime) -> Activity:
    return await Activity.create(
        kind=ActivityKind.CALL, due_at=due_at, assignee=assignee, lead=lead, created_by=assignee
    )


async def round_at(moment: datetime) -> reminders.ReminderRound:
    with clock.frozen_at(moment):
        return await reminders.run_round()


async def notes(kind: NotificationKind) -> list[Notification]:
    return list(await Notification.filter(kind=kind).order_by("id"))


async def test_a_due_activity_is_announced_once_to_its_assignee(actors: Actors):
    clerk = actors.clerk_a.user
    campaign = await Campaign.create(name="Messe Süd")
    lead = await new_lead(campaign, T0 - timedelta(days=1), assignee_id=clerk.id)
    call = await activity(lead, clerk, T0 + timedelta(minutes=30))

    before = await round_at(T0)
    due = await round_at(T0 + timedelta(minutes=31))
    again = await round_at(T0 + timedelta(minutes=32))

    assert before.ran and before.activities_due == 0
    assert (due.activities_due, again.activities_due) == (1, 0)
    [note] = await notes(NotificationKind.ACTIVITY_DUE)
    assert note.user_id == clerk.id
    assert (note.activity_id, note.lead_id) == (call.id, lead.id)
    assert note.message == "Anruf fällig: Müller GmbH"


async def test_two_rounds_at_once_announce_a_due_activity_once(actors: Actors):
    clerk = actors.clerk_a.user
    campaign = await Campaign.create(name="Messe Süd")
    leads = [await new_lead(campaign, T0, assignee_id=clerk.id) for _ in range(5)]
    for lead in leads:
        await activity(lead, clerk, T0 + timedelta(minutes=5))

    with clock.frozen_at(T0 + timedelta(minutes=10)):
        rounds = await asyncio.gather(*(reminders.run_round() for _ in range(4)))

    assert sum(result.activities_due for result in rounds) == 5
    assert len(await notes(NotificationKind.ACTIVITY_DUE)) == 5
    assert any(result.ran for result in rounds)


async def test_a_rescheduled_activity_reminds_again_and_a_done_one_not(actors: Actors):
    clerk = actors.clerk_a.user
    campaign = await Campaign.create(name="Messe Süd")
    lead = await new_lead(campaign, T0, assignee_id=clerk.id)
    call = await activity(lead, clerk, T0)
    await round_at(T0 + timedelta(minutes=1))

    await Activity.filter(id=call.id).update(due_at=T0 + timedelta(days=1))
    assert (await round_at(T0 + timedelta(hours=2))).activities_due == 0
    assert (await round_at(T0 + timedelta(days=1, minutes=1))).activities_due == 1

    await Activity.filter(id=call.id).update(
        due_at=T0 + timedelta(days=2), done_at=T0 + timedelta(days=1, hours=1)
    )
    assert (await round_at(T0 + timedelta(days=2, minutes=1))).activities_due == 0
    assert len(await notes(NotificationKind.ACTIVITY_DUE)) == 2


async def test_activities_due_more_than_a_week_ago_are_not_announced(actors: Actors):
    clerk = actors.clerk_a.user
    campaign = await Campaign.create(name="Alt")
    lead = await new_lead(campaign, T0 - timedelta(days=30), assignee_id=clerk.id)
    await activity(lead, clerk, T0 - timedelta(days=8))
    inactive_lead = await new_lead(campaign, T0, assignee_id=clerk.id)
    await activity(inactive_lead, actors.inactive_clerk.user, T0 - timedelta(hours=1))
    assert (await round_at(T0)).activities_due == 0


async def test_new_leads_past_the_limit_are_announced_to_each_manager_once(actors: Actors):
    campaign = await Campaign.create(name="Messe Süd", waiting_limit_hours=24)
    unlimited = await Campaign.create(name="Ohne Frist")
    for _ in range(3):
        await new_lead(campaign, T0 - timedelta(hours=25))
    await new_lead(campaign, T0 - timedelta(hours=1))
    await new_lead(unlimited, T0 - timedelta(days=3))
    await new_lead(campaign, T0 - timedelta(hours=30), assignee_id=actors.clerk_a.user.id)

    first = await round_at(T0)
    again = await round_at(T0 + timedelta(minutes=1))

    managers = {actors.manager.user.id, actors.manager2.user.id}
    assert (first.waiting_for_managers, again.waiting_for_managers) == (2, 0)
    waiting = await notes(NotificationKind.LEADS_WAITING)
    for_managers = [note for note in waiting if note.user_id in managers]
    assert {note.user_id for note in for_managers} == managers
    assert {note.message for note in for_managers} == {
        "3 Leads in Messe Süd warten seit über 24 h auf Zuteilung"
    }

    # The fourth lead crosses the limit a day later: counted then, alone.
    later = await round_at(T0 + timedelta(hours=23, minutes=1))
    assert later.waiting_for_managers == 2
    newest = (await notes(NotificationKind.LEADS_WAITING))[-1]
    assert newest.message == "1 Lead in Messe Süd wartet seit über 24 h auf Zuteilung"


async def test_a_clerks_long_waits_are_announced_once_per_wait(actors: Actors):
    clerk = actors.clerk_a.user
    campaign = await Campaign.create(name="Messe Süd", waiting_limit_hours=24)
    waiting = await new_lead(
        campaign,
        T0 - timedelta(days=2),
        assignee_id=clerk.id,
        waiting_since=T0 - timedelta(hours=25),
    )
    await new_lead(campaign, T0, assignee_id=clerk.id, waiting_since=T0 - timedelta(hours=2))

    first = await round_at(T0)
    again = await round_at(T0 + timedelta(minutes=5))
    assert (first.waiting_for_clerks, again.waiting_for_clerks) == (1, 0)
    [note] = [n for n in await notes(NotificationKind.LEADS_WAITING) if n.user_id == clerk.id]
    assert note.message == "1 Lead wartet seit über 24 h auf Ihre Rückmeldung"
    assert note.lead_id == waiting.id

    # Feedback starts a new wait on the first lead; a day later both have crossed again.
    await Lead.filter(id=waiting.id).update(waiting_since=T0 + timedelta(hours=1))
    later = await round_at(T0 + timedelta(days=1, hours=2))
    assert later.waiting_for_clerks == 1
    newest = [n for n in await notes(NotificationKind.LEADS_WAITING) if n.user_id == clerk.id][-1]
    assert newest.message == "2 Leads warten seit über 24 h auf Ihre Rückmeldung"
    assert newest.lead_id is None
