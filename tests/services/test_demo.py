"""The demo (`leadflow serve --demo`, `make run`): the users, campaigns and leads it promises,
timestamps that obey the definitions in services.reports, aging lists with entries, rollups
equal to the leads, and a second run that adds nothing.

Seeding takes seconds, so one test seeds once and checks each promise in its own helper. The
expected figures were worked out from demo.py's rules (per campaign 100 leads: the last third
stays NEW, of the others every second one is closed) and its fixed random seeds."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest

from leadflow.db.enums import LeadEventKind, LeadStatus, Outcome, Role
from leadflow.db.models import (
    ApiToken,
    Campaign,
    Contact,
    Feedback,
    Lead,
    LeadEvent,
    Opportunity,
    OpportunityEvent,
    User,
)
from leadflow.demo import seed_demo
from leadflow.errors import DomainError
from leadflow.services import accounts, reports
from leadflow.services.reports import AgingKind
from tests.rollups import expected_rollups, stored_rollups

DEMO_PASSWORD = "leadflow-demo"  # as the README documents it
USERS = {
    "admin@demo.leadflow": ("Arne Admin", Role.ADMIN),
    "manager@demo.leadflow": ("Maria Manager", Role.MANAGER),
    "clerk1@demo.leadflow": ("Sven Sachbearbeiter", Role.CLERK),
    "clerk2@demo.leadflow": ("Petra Pohl", Role.CLERK),
    "clerk3@demo.leadflow": ("Kemal Kaya", Role.CLERK),
}
CAMPAIGNS = {
    "Frühjahrsmesse 2026": (date(2026, 3, 2), date(2026, 3, 6)),
    "Newsletter Herbst": (date(2026, 9, 1), None),
    "Webinar Energiesparen": (date(2026, 10, 15), date(2026, 10, 15)),
}
# Per campaign (NEW, ACTIVE, DONE, successful, unsuccessful): 34 of 100 stay new, 66 are
# assigned and every second of them is closed; the outcomes come from the people's seed.
FIGURES = {
    "Frühjahrsmesse 2026": (34, 33, 33, 11, 22),
    "Newsletter Herbst": (34, 33, 33, 12, 21),
    "Webinar Energiesparen": (34, 33, 33, 13, 20),
}
# The aging lists at 7 days, from the timing seed: no lead is within an hour of the limit, so
# the numbers hold however long the seeding takes.
AGING_DAYS = 7
AGING_NEW = 50
AGING_WITHOUT_FEEDBACK = 20
ASSIGNMENTS = (LeadEventKind.ASSIGNED, LeadEventKind.REASSIGNED)


async def test_the_demo_tells_a_consistent_story_once(app):
    messages: list[str] = []
    started = datetime.now(UTC)
    await seed_demo(messages.append)
    seeded = datetime.now(UTC)
    assert messages[0].startswith("Demo data created.")

    await check_users()
    await check_campaigns_and_leads()
    await check_timestamps(started, seeded)
    await check_aging_lists(seeded)
    assert await stored_rollups() == await expected_rollups()

    await check_a_second_run_adds_nothing()


async def check_users() -> None:
    users = await User.all()
    assert {user.email: (user.name, user.role) for user in users} == USERS
    assert all(user.active for user in users)
    # The manager and the clerks get an API token each (printed once).
    token_owners = await ApiToken.all().values_list("user__email", flat=True)
    assert sorted(token_owners) == sorted(
        email for email, (_, role) in USERS.items() if role is not Role.ADMIN
    )
    for email in USERS:
        assert (await log_in(email, DEMO_PASSWORD)).user.email == email
    with pytest.raises(DomainError):
        await log_in("manager@demo.leadflow", "not-the-password")


async def log_in(email: str, password: str) -> accounts.LoginResult:
    return await accounts.log_in(
        email, password, address="127.0.0.1", user_agent="test", lifetime=timedelta(hours=1)
    )


async def check_campaigns_and_leads() -> None:
    campaigns = await Campaign.all()
    assert {c.name: (c.starts_on, c.ends_on) for c in campaigns} == CAMPAIGNS
    names = {campaign.id: campaign.name for campaign in campaigns}
    counted: dict[str, list[int]] = {name: [0] * 5 for name in CAMPAIGNS}
    columns = {LeadStatus.NEW: 0, LeadStatus.ACTIVE: 1, LeadStatus.DONE: 2}
    for lead in await Lead.all():
        figures = counted[names[lead.campaign_id]]
        figures[columns[lead.status]] += 1
        if lead.outcome is Outcome.SUCCESSFUL:
            figures[3] += 1
        elif lead.outcome is Outcome.UNSUCCESSFUL:
            figures[4] += 1
            assert lead.close_reason is not None
    assert {name: tuple(figures) for name, figures in counted.items()} == FIGURES
    # Each successful close made an opportunity for the clerk who closed it.
    successful = {lead.id: lead for lead in await Lead.filter(outcome=Outcome.SUCCESSFUL)}
    opportunities = await Opportunity.all()
    assert sorted(o.lead_id for o in opportunities) == sorted(successful)
    assert all(o.owner_id == successful[o.lead_id].assignee_id for o in opportunities)


async def check_timestamps(started: datetime, seeded: datetime) -> None:
    """The definitions at the top of services.reports, lead by lead, against its events and
    feedback; everything within the eight weeks before the seeding, nothing in the future."""
    events: dict[int, list[LeadEvent]] = defaultdict(list)
    for event in await LeadEvent.all():
        events[event.lead_id].append(event)
    feedback: dict[int, list[datetime]] = defaultdict(list)
    for entry in await Feedback.all():
        feedback[entry.lead_id].append(entry.created_at)
    clerks = set(await User.filter(role=Role.CLERK).values_list("id", flat=True))
    leads = await Lead.all()
    assert len(leads) == 300
    for lead in leads:
        check_lead_timestamps(lead, events[lead.id], feedback[lead.id], clerks)
        assert started - timedelta(weeks=8, hours=1) <= lead.created_at <= seeded, lead.id
    # Spread over the weeks, not bunched at the end.
    assert min(lead.created_at for lead in leads) < started - timedelta(weeks=7)
    moments = [
        *[event.at for event in await LeadEvent.all()],
        *[entry.created_at for entry in await Feedback.all()],
        *[o.created_at for o in await Opportunity.all()],
        *[event.at for event in await OpportunityEvent.all()],
        *[contact.created_at for contact in await Contact.all()],
        *[campaign.created_at for campaign in await Campaign.all()],
        *[user.created_at for user in await User.all()],
    ]
    assert max(moments) <= seeded
    # The campaigns and the accounts were set up before the leads came in.
    first_lead = min(lead.created_at for lead in leads)
    assert max(user.created_at for user in await User.all()) <= first_lead
    campaign_created = dict(await Campaign.all().values_list("id", "created_at"))
    assert all(campaign_created[lead.campaign_id] <= lead.created_at for lead in leads)


def check_lead_timestamps(
    lead: Lead, events: list[LeadEvent], feedback: list[datetime], clerks: set[int]
) -> None:
    at = {kind: sorted(e.at for e in events if e.kind is kind) for kind in LeadEventKind}
    assert at[LeadEventKind.CREATED] == [lead.created_at], lead.id
    if lead.assignee_id is None:
        assert lead.status is LeadStatus.NEW
        assert [lead.first_assigned_at, lead.assigned_at, lead.first_feedback_at] == [None] * 3
        assert [lead.waiting_since, lead.closed_at, lead.outcome] == [None] * 3
        assert not feedback and len(events) == 1, lead.id
        return
    assert lead.assignee_id in clerks
    assignments = sorted(e.at for e in events if e.kind in ASSIGNMENTS)
    assert lead.first_assigned_at == min(at[LeadEventKind.ASSIGNED]), lead.id
    assert lead.assigned_at == max(assignments), lead.id
    assert lead.created_at <= lead.first_assigned_at <= lead.assigned_at, lead.id
    assert sorted(feedback) == at[LeadEventKind.FEEDBACK_RECORDED], lead.id
    assert lead.first_feedback_at == (min(feedback) if feedback else None), lead.id
    assert all(moment >= lead.first_assigned_at for moment in feedback), lead.id
    if lead.closed_at is None:
        assert lead.waiting_since == max([lead.assigned_at, *feedback]), lead.id
        assert lead.outcome is None and not at[LeadEventKind.CLOSED], lead.id
        return
    assert lead.waiting_since is None, lead.id  # a closed lead waits for nobody
    assert at[LeadEventKind.CLOSED] == [lead.closed_at], lead.id
    assert lead.closed_at >= max([lead.created_at, lead.assigned_at, *feedback]), lead.id
    assert lead.outcome is not None and lead.closed_by_id == lead.assignee_id, lead.id


async def check_aging_lists(seeded: datetime) -> None:
    """Both aging lists have entries: NEW leads created more than 7 days ago, and ACTIVE ones
    whose last activity (latest assignment or feedback) is older than that."""
    cutoff = seeded - timedelta(days=AGING_DAYS)
    last_activity: dict[int, datetime] = {}
    for event in await LeadEvent.filter(kind__in=ASSIGNMENTS):
        last_activity[event.lead_id] = max(event.at, last_activity.get(event.lead_id, event.at))
    for entry in await Feedback.all():
        last_activity[entry.lead_id] = max(entry.created_at, last_activity[entry.lead_id])
    leads = await Lead.all()
    overlooked = {
        lead.id for lead in leads if lead.status is LeadStatus.NEW and lead.created_at < cutoff
    }
    quiet = {
        lead.id
        for lead in leads
        if lead.status is LeadStatus.ACTIVE and last_activity[lead.id] < cutoff
    }
    assert (len(overlooked), len(quiet)) == (AGING_NEW, AGING_WITHOUT_FEEDBACK)

    manager = await User.get(email="manager@demo.leadflow")
    listed_new = reports.aging_leads(manager, AgingKind.NEW, AGING_DAYS, at=seeded)
    listed_quiet = reports.aging_leads(
        manager, AgingKind.ACTIVE_WITHOUT_FEEDBACK, AGING_DAYS, at=seeded
    )
    assert set(await listed_new.values_list("id", flat=True)) == overlooked
    assert set(await listed_quiet.values_list("id", flat=True)) == quiet


async def table_sizes() -> dict[str, int]:
    models = (User, ApiToken, Campaign, Contact, Lead, LeadEvent, Feedback, Opportunity)
    return {model.__name__: await model.all().count() for model in models}


async def check_a_second_run_adds_nothing() -> None:
    sizes = await table_sizes()
    leads = [dict(row) for row in await Lead.all().order_by("id").values()]
    rollups = await stored_rollups()
    messages: list[str] = []
    await seed_demo(messages.append)
    assert len(messages) == 1 and "nothing added" in messages[0]
    assert await table_sizes() == sizes
    assert [dict(row) for row in await Lead.all().order_by("id").values()] == leads
    assert await stored_rollups() == rollups


async def test_no_demo_is_mixed_into_a_database_with_data(app):
    # Leads imported at the command line, before anyone has an account.
    campaign = await Campaign.create(name="Messe")
    contact = await Contact.create(last_name="Berg", email="berg@example.com")
    await Lead.create(campaign=campaign, contact=contact)
    messages: list[str] = []
    await seed_demo(messages.append)
    assert messages == ["Demo: the database has data already, so no demo data was added."]
    assert await User.all().count() == 0
    assert await Campaign.all().count() == 1
    assert await Lead.all().count() == 1
